// Load client for tools/bench gateway: N concurrent clients call one method for a fixed time over
// gRPC (to a service directly, or to the gateway) or gRPC-Web (to the gateway), and print calls/s
// and latency percentiles. Bounded: fixed duration, fixed client count, one call in flight each.
//
//   gateway_bench --mode=grpc|grpcweb --target=HOST:PORT --method=/pkg.Svc/M --request-hex=...
//                 [--clients=64] [--seconds=5] [--identity-key=KEY (direct: sign as anonymous)]
//                 [--bearer=TOKEN]

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/gateway/web/grpc_web_codec.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/grpcutil/identity.h"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Args {
  std::string mode = "grpc";
  std::string target;
  std::string method;
  std::string request;
  int clients = 64;
  int seconds = 5;
  std::string identity_key;
  std::string bearer;
};

struct Result {
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::string first_error;
};

using Clock = std::chrono::steady_clock;

void RunGrpc(const Args& args, Clock::time_point until, Result* result) {
  auto channel = grpc::CreateChannel(args.target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  std::optional<uwallet::grpcutil::IdentitySigner> signer;
  if (!args.identity_key.empty()) {
    signer.emplace(*uwallet::grpcutil::IdentitySigner::Create(args.identity_key,
                                                              uwallet::RealClock::Instance()));
  }
  grpc::Slice slice(args.request.data(), args.request.size());
  grpc::ByteBuffer request(&slice, 1);
  while (Clock::now() < until) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (signer) {
      context.AddMetadata(uwallet::grpcutil::kIdentityHeader,
                          signer->Sign({.roles = {"anonymous"}, .client_ip = "127.0.0.1"}));
    }
    if (!args.bearer.empty()) context.AddMetadata("authorization", "Bearer " + args.bearer);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    const auto start = Clock::now();
    stub.UnaryCall(&context, args.method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) { done.set_value(status); });
    grpc::Status status = done.get_future().get();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (status.ok()) {
      result->latencies_ms.push_back(ms);
    } else {
      if (result->errors++ == 0) result->first_error = status.error_message();
    }
  }
}

void RunGrpcWeb(const Args& args, Clock::time_point until, Result* result) {
  std::vector<std::string> parts = absl::StrSplit(args.target, ':');
  net::io_context io;
  net::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.connect(resolver.resolve(parts[0], parts[1]));
  const std::string body = uwallet::gateway::grpcweb::DataFrame(args.request);
  while (Clock::now() < until) {
    http::request<http::string_body> request(http::verb::post, args.method, 11);
    request.set(http::field::host, args.target);
    request.set(http::field::content_type, "application/grpc-web+proto");
    request.set("x-grpc-web", "1");
    if (!args.bearer.empty()) request.set(http::field::authorization, "Bearer " + args.bearer);
    request.body() = body;
    request.prepare_payload();
    const auto start = Clock::now();
    beast::error_code ec;
    http::write(stream, request, ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (!ec) http::read(stream, buffer, response, ec);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const bool ok = !ec && response.result() == http::status::ok &&
                    response["grpc-status"].empty() &&
                    absl::StrContains(response.body(), "grpc-status:0");
    if (ok) {
      result->latencies_ms.push_back(ms);
    } else {
      if (result->errors++ == 0) {
        result->first_error = ec ? ec.message() : std::string(response["grpc-message"]);
      }
      if (ec) return;
    }
  }
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (arg.substr(0, name.size()) == name) return std::string(arg.substr(name.size()));
      return std::nullopt;
    };
    if (auto mode = value("--mode="))
      args.mode = *mode;
    else if (auto target = value("--target="))
      args.target = *target;
    else if (auto method = value("--method="))
      args.method = *method;
    else if (auto hex = value("--request-hex="))
      args.request = *uwallet::crypto::HexDecode(*hex);
    else if (auto clients = value("--clients="))
      args.clients = std::stoi(*clients);
    else if (auto seconds = value("--seconds="))
      args.seconds = std::stoi(*seconds);
    else if (auto key = value("--identity-key="))
      args.identity_key = *key;
    else if (auto bearer = value("--bearer="))
      args.bearer = *bearer;
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (args.target.empty() || args.method.empty() || args.clients < 1 || args.clients > 1024 ||
      args.seconds < 1 || args.seconds > 600) {
    std::fprintf(stderr, "need --target, --method; clients 1..1024, seconds 1..600\n");
    return 2;
  }
  std::vector<Result> results(args.clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(args.seconds);
  for (int i = 0; i < args.clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        if (args.mode == "grpcweb") {
          RunGrpcWeb(args, until, &results[i]);
        } else {
          RunGrpc(args, until, &results[i]);
        }
      } catch (const std::exception& e) {
        results[i].errors++;
        results[i].first_error = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  int64_t errors = 0;
  std::string first_error;
  for (auto& result : results) {
    all.insert(all.end(), result.latencies_ms.begin(), result.latencies_ms.end());
    errors += result.errors;
    if (first_error.empty()) first_error = result.first_error;
  }
  std::sort(all.begin(), all.end());
  std::printf("calls_per_s=%.0f p50_ms=%.3f p99_ms=%.3f ok=%zu errors=%lld\n", all.size() / elapsed,
              Percentile(all, 0.50), Percentile(all, 0.99), all.size(),
              static_cast<long long>(errors));
  if (errors > 0) std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  return all.empty() ? 1 : 0;
}
