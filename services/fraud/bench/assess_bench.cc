// uwallet-fraud-bench: FraudInternalService.Assess from N concurrent clients for a duration;
// prints calls/s and latency percentiles (a figure, never an assertion). Used by
// `tools/bench fraud`.
//   uwallet-fraud-bench --addr=127.0.0.1:50055 --identity-key=HEX [--clients=64] [--duration=10]
//                       [--users=10000] [--warmup=2] [--rate=0]
// --rate=N paces the clients to N calls/s in total (each client on its own schedule, latency
// measured from the scheduled start, so a slow answer is not hidden by a late start); 0 = as
// fast as they can (closed loop).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uwallet/common/clock.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"

namespace {

constexpr int kClientsMax = 1024;
constexpr int kChannels = 4;  // spread the clients over a few HTTP/2 connections

std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], prefix)) return std::string(argv[i] + prefix.size());
  }
  return fallback;
}

int IntArg(int argc, char** argv, const std::string& name, int fallback) {
  int value = fallback;
  if (!absl::SimpleAtoi(Arg(argc, argv, name, std::to_string(fallback)), &value)) {
    std::fprintf(stderr, "bad --%s\n", name.c_str());
    std::exit(2);
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace uwallet;  // NOLINT(build/namespaces): a small tool
  const std::string addr = Arg(argc, argv, "addr", "127.0.0.1:50055");
  const std::string key = Arg(argc, argv, "identity-key", "");
  const int clients = std::clamp(IntArg(argc, argv, "clients", 64), 1, kClientsMax);
  const int duration_s = std::max(1, IntArg(argc, argv, "duration", 10));
  const int warmup_s = std::max(0, IntArg(argc, argv, "warmup", 2));
  const int users = std::max(1, IntArg(argc, argv, "users", 10'000));
  const int rate = std::max(0, IntArg(argc, argv, "rate", 0));
  // Paced: each client sends every `interval`, starting at a different offset.
  const auto interval = rate > 0 ? std::chrono::nanoseconds(1'000'000'000LL * clients / rate)
                                 : std::chrono::nanoseconds(0);
  auto signer = grpcutil::IdentitySigner::Create(key, RealClock::Instance());
  if (!signer.ok()) {
    std::fprintf(stderr, "bad --identity-key: %s\n", signer.status().ToString().c_str());
    return 2;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < kChannels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("bench_channel", i);  // distinct arguments: distinct connections
    channels.push_back(grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies_ms(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = fraud::v1::FraudInternalService::NewStub(channels[c % kChannels]);
      uint64_t n = static_cast<uint64_t>(c) * 7919;
      auto next = std::chrono::steady_clock::now() + interval * c / clients;
      while (!stop.load()) {
        if (rate > 0) {
          std::this_thread::sleep_until(next);
        } else {
          next = std::chrono::steady_clock::now();
        }
        const auto scheduled = next;
        next += interval;
        fraud::v1::AssessRequest request;
        request.set_user_id(absl::StrCat("bench-user-", (n++ * 2654435761u) % users));
        request.set_kind(fraud::v1::ACTIVITY_KIND_TRANSFER);
        request.mutable_amount()->set_amount_minor(1'000 + static_cast<int64_t>(n % 500'000));
        request.mutable_amount()->set_currency("CNY");
        request.set_counterparty_id(absl::StrCat("payee-", n % 97));
        request.mutable_device()->set_device_id(absl::StrCat("device-", c));
        request.set_ip("10.0.0.1");
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        context.AddMetadata(grpcutil::kIdentityHeader, signer->SignService("payments"));
        fraud::v1::AssessResponse response;
        grpc::Status status = stub->Assess(&context, request, &response);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - scheduled)
                .count();
        if (!measuring.load()) continue;
        if (!status.ok()) {
          ++errors;
          continue;
        }
        latencies_ms[c].push_back(ms);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(warmup_s));
  measuring = true;
  const auto begin = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(duration_s));
  measuring = false;
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : latencies_ms) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(all.size() * p))];
  };
  std::printf(
      "clients=%d rate=%s calls=%zu calls_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      "errors=%lld\n",
      clients, rate > 0 ? std::to_string(rate).c_str() : "max", all.size(), all.size() / elapsed_s,
      pct(0.50), pct(0.99), all.empty() ? 0.0 : all.back(), static_cast<long long>(errors.load()));
  return 0;
}
