// uwctl: the operator's command line for uwallet, built on the gRPC APIs.
//
//   uwctl health [--wait=60s] ADDR...    every address answers grpc.health.v1 SERVING
//
// Exit status: 0 on success, 1 when a check fails, 2 on bad usage.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kUsage[] =
    "usage: uwctl health [--wait=DURATION] ADDR...\n"
    "  health   checks grpc.health.v1 on every address; with --wait, retries until all are\n"
    "           SERVING or the time is up\n";

std::string CheckOnce(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
  if (!status.ok()) return "unreachable (" + status.error_message() + ")";
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

int HealthCommand(const std::vector<std::string>& args) {
  absl::Duration wait = absl::ZeroDuration();
  std::vector<std::string> addresses;
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "--wait=")) {
      if (!absl::ParseDuration(arg.substr(7), &wait)) {
        std::fprintf(stderr, "bad duration in %s\n%s", arg.c_str(), kUsage);
        return 2;
      }
    } else {
      addresses.push_back(arg);
    }
  }
  if (addresses.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const absl::Time deadline = absl::Now() + wait;
  std::vector<std::string> states(addresses.size());
  while (true) {
    bool all = true;
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (states[i] != "SERVING") states[i] = CheckOnce(addresses[i]);
      all = all && states[i] == "SERVING";
    }
    if (all || absl::Now() >= deadline) {
      for (size_t i = 0; i < addresses.size(); ++i) {
        std::printf("%-22s %s\n", addresses[i].c_str(), states[i].c_str());
      }
      return all ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "health") return HealthCommand(args);
  std::fprintf(stderr, "unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
