#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/grpcutil/server.h"

namespace uwallet::grpcutil {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(Health::Stub& stub, const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub.Check(&context, request, &response);
  return status.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

template <typename F>
bool Eventually(F condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_CASE("health follows the readiness check; unknown methods are UNIMPLEMENTED") {
  Server server({.service_name = "test",
                 .listen = "127.0.0.1:0",
                 .readiness_interval = absl::Milliseconds(20)});
  std::atomic<bool> ready{false};
  server.AddHealthName("uwallet.test.v1.TestService");
  server.SetReadinessCheck([&] {
    return ready.load() ? absl::OkStatus() : absl::UnavailableError("database unavailable");
  });
  REQUIRE(server.Start().ok());
  REQUIRE(server.port() > 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  REQUIRE(Eventually([&] { return Check(*stub, "") == HealthCheckResponse::NOT_SERVING; }));
  // Liveness does not follow the dependencies: a database outage is not a reason to restart.
  REQUIRE(Check(*stub, kLivenessHealthService) == HealthCheckResponse::SERVING);
  ready = true;
  REQUIRE(Eventually([&] { return Check(*stub, "") == HealthCheckResponse::SERVING; }));
  REQUIRE(Check(*stub, "uwallet.test.v1.TestService") == HealthCheckResponse::SERVING);
  ready = false;
  REQUIRE(Eventually([&] { return Check(*stub, "") == HealthCheckResponse::NOT_SERVING; }));
  REQUIRE(Check(*stub, kLivenessHealthService) == HealthCheckResponse::SERVING);

  // A service nobody registered here.
  auto mailbox = uwallet::devtools::v1::DevMailboxService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  uwallet::devtools::v1::ListMessagesResponse response;
  grpc::Status status =
      mailbox->ListMessages(&context, uwallet::devtools::v1::ListMessagesRequest(), &response);
  REQUIRE(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  // The interceptor hands a request id back to the caller.
  REQUIRE(context.GetServerInitialMetadata().count("x-request-id") == 1);
  server.Shutdown();
}

TEST_CASE("a taken port is a start-up error") {
  Server first({.service_name = "a", .listen = "127.0.0.1:0"});
  REQUIRE(first.Start().ok());
  Server second({.service_name = "b", .listen = "127.0.0.1:" + std::to_string(first.port())});
  REQUIRE_FALSE(second.Start().ok());
}

}  // namespace
}  // namespace uwallet::grpcutil
