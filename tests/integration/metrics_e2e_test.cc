// Scrapes /metrics of the running suite (tools/test writes the addresses to UWALLET_TEST_ENV_FILE)
// and parses it strictly as Prometheus text: every service's exposition is well-formed, and one
// gRPC call (a health check, which goes through the same interceptor as every RPC) shows up in
// uwallet_grpc_server_handled_total and the latency histogram; the connection pool gauges of every
// service with a database; and a business event (a failed sign-in through the gateway) counted by
// type once the outbox relay published it. Without the env file: exit 77.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/prometheus_text.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"

namespace uwallet::testing {
namespace {

constexpr size_t kResponseBytesMax = 16 * 1024 * 1024;
constexpr char kHandled[] = "uwallet_grpc_server_handled_total";
constexpr char kLatency[] = "uwallet_grpc_server_handling_seconds";
constexpr char kHealthMethod[] = "/grpc.health.v1.Health/Check";
const char* const kServices[] = {"AUTH", "LEDGER", "PAYMENTS", "SUPPORT", "FRAUD", "GATEWAY"};

// KEY='value' lines (the format tools/lib/suite.sh writes).
std::map<std::string, std::string> ReadEnvFile() {
  const char* path = std::getenv("UWALLET_TEST_ENV_FILE");
  if (path == nullptr || *path == '\0') {
    std::printf("UWALLET_TEST_ENV_FILE not set: skipping (run through tools/test)\n");
    std::exit(77);
  }
  std::ifstream in(path);
  REQUIRE(in.good());
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view value = kv.second;
    if (absl::ConsumePrefix(&value, "'")) absl::ConsumeSuffix(&value, "'");
    env[kv.first] = std::string(value);
  }
  return env;
}

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One HTTP/1.0 exchange (no chunking) with bounded waits and size; `head` is the request line
// and headers without the final blank line.
HttpResponse HttpExchange(const std::string& address, const std::string& head,
                          const std::string& body) {
  std::pair<std::string, std::string> host_port = absl::StrSplit(address, absl::MaxSplits(':', 1));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* resolved = nullptr;
  REQUIRE(getaddrinfo(host_port.first.c_str(), host_port.second.c_str(), &hints, &resolved) == 0);
  int fd = socket(resolved->ai_family, resolved->ai_socktype, resolved->ai_protocol);
  REQUIRE(fd >= 0);
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const bool connected = connect(fd, resolved->ai_addr, resolved->ai_addrlen) == 0;
  freeaddrinfo(resolved);
  if (!connected) close(fd);
  INFO("connecting to " << address);
  REQUIRE(connected);
  const std::string request = absl::StrCat(head, "\r\n\r\n", body);
  REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string raw;
  char buffer[65536];
  while (raw.size() <= kResponseBytesMax) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  REQUIRE(raw.size() <= kResponseBytesMax);
  const size_t header_end = raw.find("\r\n\r\n");
  REQUIRE(header_end != std::string::npos);
  HttpResponse response;
  response.body = raw.substr(header_end + 4);
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, header_end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  REQUIRE(status_line.size() >= 2);
  REQUIRE(absl::SimpleAtoi(status_line[1], &response.status));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> header = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    response.headers[absl::AsciiStrToLower(header.first)] =
        std::string(absl::StripAsciiWhitespace(header.second));
  }
  return response;
}

HttpResponse HttpGet(const std::string& address, const std::string& path) {
  return HttpExchange(
      address, absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", address, "\r\nAccept: text/plain"),
      "");
}

PromExposition Scrape(const std::string& address) {
  HttpResponse response = HttpGet(address, "/metrics");
  INFO("GET http://" << address << "/metrics");
  REQUIRE(response.status == 200);
  REQUIRE(absl::StartsWith(response.headers["content-type"], "text/plain"));
  if (response.headers.count("content-length") > 0) {
    size_t length = 0;
    REQUIRE(absl::SimpleAtoi(response.headers["content-length"], &length));
    REQUIRE(response.body.size() == length);
  }
  absl::StatusOr<PromExposition> parsed = ParsePrometheusText(response.body);
  INFO("parse error: " << parsed.status().ToString() << "\n--- body:\n" << response.body);
  REQUIRE(parsed.ok());
  return *std::move(parsed);
}

double ValueOrZero(const PromExposition& exposition, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  absl::StatusOr<double> value = exposition.Value(name, labels);
  return value.ok() ? *value : 0;
}

TEST_CASE("every service serves well-formed Prometheus text with the RPC families") {
  std::map<std::string, std::string> env = ReadEnvFile();
  for (const char* service : kServices) {
    const std::string key = absl::StrCat("UW_METRICS_", service);
    INFO(key);
    REQUIRE(env.count(key) == 1);
    PromExposition exposition = Scrape(env[key]);
    // The suite's start-up health checks already went through the interceptor.
    const PromFamily* handled = exposition.Find(kHandled);
    REQUIRE(handled != nullptr);
    CHECK(handled->type == "counter");
    CHECK(!handled->help.empty());
    const PromFamily* latency = exposition.Find(kLatency);
    REQUIRE(latency != nullptr);
    CHECK(latency->type == "histogram");
  }
}

TEST_CASE("one health check RPC is counted by method and code and timed") {
  std::map<std::string, std::string> env = ReadEnvFile();
  REQUIRE(env.count("UWALLET_AUTH_ADDR") == 1);
  REQUIRE(env.count("UW_METRICS_AUTH") == 1);
  const std::map<std::string, std::string> ok_labels = {{"method", kHealthMethod}, {"code", "OK"}};
  const std::map<std::string, std::string> method_label = {{"method", kHealthMethod}};

  PromExposition before = Scrape(env["UW_METRICS_AUTH"]);
  const double handled_before = ValueOrZero(before, kHandled, ok_labels);
  const double timed_before = ValueOrZero(before, std::string(kLatency) + "_count", method_label);

  auto channel = grpc::CreateChannel(env["UWALLET_AUTH_ADDR"], grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);

  PromExposition after = Scrape(env["UW_METRICS_AUTH"]);
  // At least our call (other tests may call auth's health at the same time).
  CHECK(ValueOrZero(after, kHandled, ok_labels) >= handled_before + 1);
  CHECK(ValueOrZero(after, std::string(kLatency) + "_count", method_label) >= timed_before + 1);
}

TEST_CASE("an RPC that fails is counted under its status code") {
  std::map<std::string, std::string> env = ReadEnvFile();
  // Health of a service name the server does not know: NOT_FOUND.
  const std::map<std::string, std::string> labels = {{"method", kHealthMethod},
                                                     {"code", "NOT_FOUND"}};
  const double before = ValueOrZero(Scrape(env["UW_METRICS_AUTH"]), kHandled, labels);
  auto channel = grpc::CreateChannel(env["UWALLET_AUTH_ADDR"], grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("uwallet.no_such.v1.NoSuchService");
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  REQUIRE(status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ValueOrZero(Scrape(env["UW_METRICS_AUTH"]), kHandled, labels) >= before + 1);
}

// Polls `service`'s /metrics until `ok` holds for it (at most ~15 s); returns the last value.
double WaitForValue(const std::string& address, const std::string& name,
                    const std::map<std::string, std::string>& labels,
                    const std::function<bool(double)>& ok) {
  double value = 0;
  for (int i = 0; i < 150; ++i) {
    value = ValueOrZero(Scrape(address), name, labels);
    if (ok(value)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return value;
}

TEST_CASE("services with a database expose their pool gauges") {
  std::map<std::string, std::string> env = ReadEnvFile();
  for (const char* service : {"AUTH", "LEDGER", "PAYMENTS", "SUPPORT", "FRAUD"}) {
    const std::string address = env[absl::StrCat("UW_METRICS_", service)];
    INFO(service);
    PromExposition exposition = Scrape(address);
    const PromFamily* pg = exposition.Find("uwallet_pg_pool_connections");
    REQUIRE(pg != nullptr);
    CHECK(pg->type == "gauge");
    const PromFamily* redis = exposition.Find("uwallet_redis_pool_connections");
    REQUIRE(redis != nullptr);
    CHECK(redis->type == "gauge");
    // The readiness check (every 2 s) keeps at least one connection of each kind open.
    auto open = [](double v) { return v >= 1; };
    CHECK(WaitForValue(address, "uwallet_pg_pool_connections", {{"state", "idle"}}, open) +
              ValueOrZero(Scrape(address), "uwallet_pg_pool_connections", {{"state", "in_use"}}) >=
          1);
    CHECK(WaitForValue(address, "uwallet_redis_pool_connections", {{"state", "open"}}, open) >= 1);
  }
}

TEST_CASE("a failed sign-in is counted as a business event once the relay published it") {
  std::map<std::string, std::string> env = ReadEnvFile();
  namespace authpb = ::uwallet::auth::v1;
  auto channel =
      grpc::CreateChannel(env["UWALLET_GATEWAY_ADDR"], grpc::InsecureChannelCredentials());
  auto auth = authpb::AuthService::NewStub(channel);
  const std::string email =
      absl::StrCat("metrics-", getpid(), "-",
                   std::chrono::steady_clock::now().time_since_epoch().count(), "@example.com");
  {
    authpb::RegisterRequest request;
    request.set_email(email);
    request.set_password("a long enough passphrase 42");
    request.set_display_name("Metrics Test");
    authpb::RegisterResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = auth->Register(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
  const std::string metrics = env["UW_METRICS_AUTH"];
  const std::map<std::string, std::string> labels = {{"type", "auth.login_failed"}};
  const double before = ValueOrZero(Scrape(metrics), "uwallet_events_published_total", labels);
  const PromExposition hashes_before = Scrape(metrics);
  {
    authpb::LoginRequest request;
    request.set_identifier(email);
    request.set_password("not the passphrase");
    request.mutable_device()->set_device_id("metrics-test");
    authpb::LoginResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = auth->Login(&context, request, &response);
    REQUIRE(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  // At least ours (other tests fail sign-ins at the same time).
  CHECK(WaitForValue(metrics, "uwallet_events_published_total", labels,
                     [&](double v) { return v >= before + 1; }) >= before + 1);
  const PromFamily* waited = Scrape(metrics).Find("uwallet_outbox_wait_seconds");
  REQUIRE(waited != nullptr);
  CHECK(waited->type == "histogram");

  // The wrong password cost one argon2id computation (at least: other tests sign in too), and its
  // CPU is counted.
  const PromExposition hashes_after = Scrape(metrics);
  for (const char* family :
       {"uwallet_password_hashes_total", "uwallet_password_hash_cpu_seconds_total",
        "uwallet_password_hash_wait_seconds_total"}) {
    const PromFamily* found = hashes_after.Find(family);
    INFO(family);
    REQUIRE(found != nullptr);
    CHECK(found->type == "counter");
  }
  CHECK(ValueOrZero(hashes_after, "uwallet_password_hashes_total", {}) >=
        ValueOrZero(hashes_before, "uwallet_password_hashes_total", {}) + 1);
  // 19 MiB, two passes: well over a millisecond of CPU.
  CHECK(ValueOrZero(hashes_after, "uwallet_password_hash_cpu_seconds_total", {}) >=
        ValueOrZero(hashes_before, "uwallet_password_hash_cpu_seconds_total", {}) + 0.001);
  CHECK(ValueOrZero(hashes_after, "uwallet_password_hash_slots", {}) >= 1);
}

// The sum of a family's samples whose labels include `labels`.
double SumSamples(const PromExposition& exposition, const std::string& family,
                  const std::map<std::string, std::string>& labels) {
  const PromFamily* found = exposition.Find(family);
  if (found == nullptr) return 0;
  double sum = 0;
  for (const PromSample& sample : found->samples) {
    if (sample.name != family) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      match = match && it != sample.labels.end() && it->second == value;
    }
    if (match) sum += sample.value;
  }
  return sum;
}

TEST_CASE("the gateway counts calls by protocol and method, gRPC-Web included") {
  std::map<std::string, std::string> env = ReadEnvFile();
  const std::string metrics = env["UW_METRICS_GATEWAY"];
  constexpr char kMethod[] = "/uwallet.support.v1.SupportService/SearchFaq";  // public
  const std::map<std::string, std::string> web = {{"protocol", "grpc-web"}, {"method", kMethod}};
  const std::map<std::string, std::string> native = {{"protocol", "grpc"}, {"method", kMethod}};
  PromExposition before = Scrape(metrics);
  const double web_before = SumSamples(before, "uwallet_gateway_handled_total", web);
  const double native_before = SumSamples(before, "uwallet_gateway_handled_total", native);

  // A gRPC-Web call as a browser makes it: one uncompressed frame with an empty message.
  const std::string frame("\0\0\0\0\0", 5);
  HttpResponse response =
      HttpExchange(env["UWALLET_HTTP_LISTEN"],
                   absl::StrCat("POST ", kMethod, " HTTP/1.0\r\nHost: ", env["UWALLET_HTTP_LISTEN"],
                                "\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n"
                                "Content-Length: ",
                                frame.size()),
                   frame);
  REQUIRE(response.status == 200);
  // And the same method over native gRPC.
  auto channel =
      grpc::CreateChannel(env["UWALLET_GATEWAY_ADDR"], grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice no_bytes(std::string{});
  grpc::ByteBuffer empty(&no_bytes, 1);  // an empty SearchFaqRequest
  grpc::ByteBuffer reply;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  generic.UnaryCall(&context, kMethod, grpc::StubOptions(), &empty, &reply, [&](grpc::Status) {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    done_cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(done_cv.wait_for(lock, std::chrono::seconds(15), [&] { return done; }));
  }

  PromExposition after = Scrape(metrics);
  CHECK(SumSamples(after, "uwallet_gateway_handled_total", web) >= web_before + 1);
  CHECK(SumSamples(after, "uwallet_gateway_handled_total", native) >= native_before + 1);
  const PromFamily* seconds = after.Find("uwallet_gateway_handling_seconds");
  REQUIRE(seconds != nullptr);
  CHECK(seconds->type == "histogram");
  REQUIRE(after.Find("uwallet_gateway_queued_calls") != nullptr);
}

}  // namespace
}  // namespace uwallet::testing
