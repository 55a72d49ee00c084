// Load client for `tools/bench auth` (tools/bench.d/auth.sh starts the servers and the service).
// Prints figures, asserts nothing:
//   1. argon2id: the cost of one hash with the service's parameters, and how many hashes per
//      second this machine's cores allow when they do nothing else (measured in this run);
//   2. Login over gRPC with N clients for a fixed time: logins/s and its ratio to (1). (1) and (2)
//      alternate in --rounds rounds, each login phase right after its own hash phase, and the
//      ratio printed is the median of the rounds' ratios: on a shared machine whose speed drifts
//      by tens of percent within a minute, a ratio of two phases minutes apart measures the drift;
//      two adjacent phases see the same machine.
//   3. ValidateSession over gRPC with N clients: calls/s (the script sets it beside
//      redis-benchmark's GET rate on the same Redis).
// With --cpu-of=NAME:PID,... it also prints the CPU each process (with its children, e.g. the
// PostgreSQL postmaster and its backends) spent per login over the login phases, beside this
// client's own and the hash's: where the time outside the hash goes, run by run. With
// --metrics=HOST:PORT (the service's metrics listener) it reads the service's own argon2id
// totals (uwallet_password_hash_cpu_seconds_total) around the login phases, so the auth process's
// share splits into the hash as it ran inside the service and everything else.
// Bounded: fixed duration, fixed client count, one call in flight per client.
//
//   uwallet-auth-bench --target=HOST:PORT --identity-key=KEY [--seconds=10] [--clients=8]
//                      [--users=16] [--rounds=3] [--cpu-of=auth:PID,postgres:PID,redis:PID]
//                      [--metrics=HOST:PORT]

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/common/clock.h"
#include "uwallet/crypto/password.h"
#include "uwallet/grpcutil/identity.h"

namespace {

namespace pb = ::uwallet::auth::v1;
using Clock = std::chrono::steady_clock;

constexpr char kPassword[] = "bench correct horse 1";

struct Options {
  std::string target;
  std::string identity_key;
  int seconds = 10;
  int clients = 8;
  int users = 16;
  int rounds = 3;
  std::vector<std::pair<std::string, int>> cpu_of;  // --cpu-of=name:pid,...
  std::string metrics;                              // --metrics=host:port of the service
};

// "--name=value" -> value, when `arg` starts with `name`.
bool Take(absl::string_view arg, absl::string_view name, std::string* value) {
  if (!absl::StartsWith(arg, name)) return false;
  *value = std::string(arg.substr(name.size()));
  return true;
}

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    std::string value;
    if (Take(arg, "--target=", &options->target) ||
        Take(arg, "--identity-key=", &options->identity_key) ||
        Take(arg, "--metrics=", &options->metrics)) {
      continue;
    }
    if (Take(arg, "--seconds=", &value)) {
      if (!absl::SimpleAtoi(value, &options->seconds)) return false;
    } else if (Take(arg, "--clients=", &value)) {
      if (!absl::SimpleAtoi(value, &options->clients)) return false;
    } else if (Take(arg, "--users=", &value)) {
      if (!absl::SimpleAtoi(value, &options->users)) return false;
    } else if (Take(arg, "--rounds=", &value)) {
      if (!absl::SimpleAtoi(value, &options->rounds)) return false;
    } else if (Take(arg, "--cpu-of=", &value)) {
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> name_pid = absl::StrSplit(item, ':');
        int pid = 0;
        if (name_pid.first.empty() || !absl::SimpleAtoi(name_pid.second, &pid) || pid <= 0) {
          return false;
        }
        options->cpu_of.emplace_back(name_pid.first, pid);
      }
    } else {
      return false;
    }
  }
  return !options->target.empty() && !options->identity_key.empty() && options->seconds > 0 &&
         options->seconds <= 600 && options->clients > 0 && options->clients <= 256 &&
         options->users > 0 && options->users <= 1000 && options->rounds > 0 &&
         options->rounds <= 20;
}

// CPU seconds of process `pid` and its live descendants, plus what its reaped children spent
// (fields 14-17 of /proc/PID/stat: utime, stime, cutime, cstime). 0 once it is gone.
double TreeCpuSeconds(int pid) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    int other = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &other)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    // fields[0] is field 3 (state): field N is fields[N - 3].
    if (fields.size() < 15) continue;
    int parent = 0;
    (void)absl::SimpleAtoi(fields[1], &parent);
    if (other == pid || parent == pid) {
      int64_t sum = 0;
      for (int f = 14; f <= 17; ++f) {
        int64_t v = 0;
        (void)absl::SimpleAtoi(fields[f - 3], &v);
        sum += v;
      }
      total += static_cast<double>(sum) / ticks;
    }
  }
  return total;  // grandchildren are not followed: PostgreSQL's backends are the postmaster's
}

// The service's argon2id totals from its Prometheus page: {computations, CPU seconds}, or
// nullopt when the page cannot be read.
std::optional<std::pair<double, double>> ServiceHashTotals(const std::string& host_port) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  const std::pair<std::string, std::string> address = absl::StrSplit(host_port, ':');
  std::string page;
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(resolver.resolve(address.first, address.second));
    http::request<http::empty_body> request{http::verb::get, "/metrics", 11};
    request.set(http::field::host, host_port);
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    page = std::move(response.body());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot read metrics from %s: %s\n", host_port.c_str(), e.what());
    return std::nullopt;
  }
  auto value = [&](absl::string_view name) -> std::optional<double> {
    for (absl::string_view line : absl::StrSplit(page, '\n')) {
      if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) continue;
      double v = 0;
      if (absl::SimpleAtod(line, &v)) return v;
    }
    return std::nullopt;
  };
  const std::optional<double> hashes = value("uwallet_password_hashes_total");
  const std::optional<double> cpu = value("uwallet_password_hash_cpu_seconds_total");
  if (!hashes || !cpu) return std::nullopt;
  return std::make_pair(*hashes, *cpu);
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Latencies {
  std::mutex mutex;
  std::vector<double> ms;
  void Add(std::vector<double>& local) {
    std::lock_guard<std::mutex> lock(mutex);
    ms.insert(ms.end(), local.begin(), local.end());
  }
  double Percentile(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  }
};

// Runs `call` from `clients` threads for `seconds`; returns successful calls per second.
template <typename Call>
double RunFor(int clients, int seconds, Latencies& latencies, std::atomic<int64_t>& failures,
              Call call) {
  std::atomic<int64_t> done{0};
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> local;
      local.reserve(1 << 16);
      for (int64_t i = 0; Clock::now() < deadline; ++i) {
        const auto before = Clock::now();
        const bool ok = call(c, i);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
        if (ok) {
          ++done;
          if (local.size() < (1u << 20)) local.push_back(ms);
        } else {
          ++failures;
        }
      }
      latencies.Add(local);
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  return static_cast<double>(done.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: uwallet-auth-bench --target=HOST:PORT --identity-key=KEY [--seconds=10]"
                 " [--clients=8] [--users=16] [--rounds=3]\n");
    return 2;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  // 1. argon2id alone: one hash, then every core hashing for a while.
  auto hash = uwallet::crypto::HashPassword(kPassword);
  if (!hash.ok()) return 1;
  const auto one_started = Clock::now();
  constexpr int kSerialHashes = 10;
  for (int i = 0; i < kSerialHashes; ++i) (void)uwallet::crypto::VerifyPassword(*hash, kPassword);
  const double hash_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - one_started).count() / kSerialHashes;
  // Every core hashing, nothing else running (one phase of each round). The CPU those hashes
  // took, over all rounds, gives the CPU of one hash independently of the machine's drift.
  std::atomic<int64_t> hashes_done{0};
  double hash_cpu_seconds = 0;
  uwallet::crypto::PasswordHashTotals inside_alone;  // argon2id's own CPU in these phases
  auto measure_hashes = [&](int seconds) {
    Latencies hash_latencies;
    std::atomic<int64_t> hash_failures{0};
    const uwallet::crypto::PasswordHashTotals totals_before =
        uwallet::crypto::PasswordHashTotalsSoFar();
    const double before = SelfCpuSeconds();
    const double rate =
        RunFor(static_cast<int>(cores), seconds, hash_latencies, hash_failures, [&](int, int64_t) {
          ++hashes_done;
          return uwallet::crypto::VerifyPassword(*hash, kPassword).value_or(false);
        });
    hash_cpu_seconds += SelfCpuSeconds() - before;
    const uwallet::crypto::PasswordHashTotals totals_after =
        uwallet::crypto::PasswordHashTotalsSoFar();
    inside_alone.hashes += totals_after.hashes - totals_before.hashes;
    inside_alone.cpu += totals_after.cpu - totals_before.cpu;
    return rate;
  };

  // 2. Login through the service.
  uwallet::RealClock& clock = uwallet::RealClock::Instance();
  auto signer = uwallet::grpcutil::IdentitySigner::Create(options.identity_key, clock);
  if (!signer.ok()) {
    std::fprintf(stderr, "bad identity key\n");
    return 2;
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::vector<std::unique_ptr<pb::AuthService::Stub>> auth;
  std::vector<std::unique_ptr<pb::AuthInternalService::Stub>> internal;
  for (int c = 0; c < options.clients; ++c) {
    args.SetInt("uwallet.bench.channel", c);  // one connection per client
    auto channel =
        grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args);
    auth.push_back(pb::AuthService::NewStub(channel));
    internal.push_back(pb::AuthInternalService::NewStub(channel));
  }
  auto anonymous = [&]() {
    uwallet::grpcutil::Identity identity;
    identity.roles = {uwallet::grpcutil::roles::kAnonymous};
    return uwallet::grpcutil::OutgoingContext(absl::Seconds(10), signer->Sign(identity));
  };
  const std::string run = std::to_string(absl::ToUnixMillis(absl::Now()));
  std::vector<std::string> users;
  for (int u = 0; u < options.users; ++u) {
    users.push_back(absl::StrCat("bench-", run, "-", u, "@example.com"));
    pb::RegisterRequest request;
    request.set_email(users.back());
    request.set_password(kPassword);
    request.set_display_name("Bench");
    pb::RegisterResponse response;
    grpc::Status status = auth[0]->Register(anonymous().get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "register failed: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  std::vector<std::string> tokens(options.clients);
  Latencies login_latencies;
  std::atomic<int64_t> login_failures{0};
  std::atomic<int64_t> logins{0};
  // CPU seconds over the login phases: this client, then each --cpu-of process.
  std::vector<double> login_cpu(options.cpu_of.size() + 1, 0.0);
  auto cpu_now = [&]() {
    std::vector<double> now{SelfCpuSeconds()};
    for (const auto& [name, pid] : options.cpu_of) now.push_back(TreeCpuSeconds(pid));
    return now;
  };
  // The service's argon2id computations over the login phases: {computations, CPU seconds}.
  std::pair<double, double> service_hashes{0, 0};
  bool service_hashes_known = !options.metrics.empty();
  auto measure_logins = [&](int seconds) {
    std::optional<std::pair<double, double>> hashes_before;
    if (service_hashes_known) hashes_before = ServiceHashTotals(options.metrics);
    const std::vector<double> before = cpu_now();
    const double rate =
        RunFor(options.clients, seconds, login_latencies, login_failures, [&](int c, int64_t i) {
          pb::LoginRequest request;
          request.set_identifier(users[(c + i * options.clients) % users.size()]);
          request.set_password(kPassword);
          request.mutable_device()->set_device_id(absl::StrCat("bench-device-", c));
          pb::LoginResponse response;
          if (!auth[c]->Login(anonymous().get(), request, &response).ok()) return false;
          tokens[c] = response.session().token();
          ++logins;
          return true;
        });
    const std::vector<double> after = cpu_now();
    for (size_t i = 0; i < login_cpu.size(); ++i) login_cpu[i] += after[i] - before[i];
    std::optional<std::pair<double, double>> hashes_after;
    if (hashes_before) hashes_after = ServiceHashTotals(options.metrics);
    if (hashes_after) {
      service_hashes.first += hashes_after->first - hashes_before->first;
      service_hashes.second += hashes_after->second - hashes_before->second;
    } else {
      service_hashes_known = false;
    }
    return rate;
  };
  // Rounds: hashing alone, then logins, side by side in time.
  const int hash_seconds = std::max(2, options.seconds / 2);
  std::vector<double> hash_rates, login_rates, ratios;
  for (int round = 1; round <= options.rounds; ++round) {
    hash_rates.push_back(measure_hashes(hash_seconds));
    login_rates.push_back(measure_logins(options.seconds));
    ratios.push_back(login_rates.back() / hash_rates.back());
    std::printf("round %d: %.1f hashes/s alone, then %.1f logins/s = %.0f%%\n", round,
                hash_rates.back(), login_rates.back(), 100.0 * ratios.back());
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  const double hashes_per_s = mean(hash_rates);
  const double logins_per_s = mean(login_rates);
  std::printf(
      "argon2id (m=19 MiB, t=2, p=1): %.1f ms per hash on one core; %.1f hashes/s on %u "
      "cores (mean of %d rounds)\n",
      hash_ms, hashes_per_s, cores, options.rounds);
  std::printf(
      "Login: %.1f logins/s with %d clients (p50 %.1f ms, p99 %.1f ms, %lld failed) = "
      "%.0f%% of the hashing alone (median of the rounds' ratios; pooled %.0f%%)\n",
      logins_per_s, options.clients, login_latencies.Percentile(0.5),
      login_latencies.Percentile(0.99), static_cast<long long>(login_failures.load()),
      100.0 * median(ratios), 100.0 * logins_per_s / hashes_per_s);
  if (logins.load() > 0) {
    // Where a login's CPU goes, over the login phases (warm-up and all): the hash itself runs
    // inside the auth process, so "auth outside the hash" is its share minus one hash.
    const double per_login_ms = 1000.0 / static_cast<double>(logins.load());
    std::string line =
        absl::StrFormat("CPU per login (ms): client %.2f", login_cpu[0] * per_login_ms);
    double total = login_cpu[0] * per_login_ms;
    for (size_t i = 0; i < options.cpu_of.size(); ++i) {
      const double ms = login_cpu[i + 1] * per_login_ms;
      total += ms;
      absl::StrAppendFormat(&line, ", %s %.2f", options.cpu_of[i].first, ms);
    }
    const double hash_cpu_ms =
        1000.0 * hash_cpu_seconds / static_cast<double>(std::max<int64_t>(1, hashes_done.load()));
    absl::StrAppendFormat(&line,
                          "; total %.2f against %.2f of CPU per hash in the hashing-alone phases "
                          "(%.2f more; 90%% of the hash rate leaves %.2f)",
                          total, hash_cpu_ms, total - hash_cpu_ms, hash_cpu_ms / 9.0);
    std::printf("%s\n", line.c_str());
    if (service_hashes_known && service_hashes.first > 0 && inside_alone.hashes > 0 &&
        !options.cpu_of.empty()) {
      // argon2id's own CPU (thread CPU inside the computation) in both places: how much slower
      // the hash ran beside everything else, and what the service spent outside it.
      const double inside_ms = 1000.0 * service_hashes.second / service_hashes.first;
      const double alone_ms =
          absl::ToDoubleMilliseconds(inside_alone.cpu) / static_cast<double>(inside_alone.hashes);
      const double service_ms = login_cpu[1] * per_login_ms;
      const double hashes_per_login = service_hashes.first / static_cast<double>(logins.load());
      std::printf(
          "argon2id CPU per hash: %.2f ms alone, %.2f ms inside %s during the logins (%.2f "
          "hashes per login); %s outside the hash: %.2f ms per login\n",
          alone_ms, inside_ms, options.cpu_of[0].first.c_str(), hashes_per_login,
          options.cpu_of[0].first.c_str(), service_ms - hashes_per_login * inside_ms);
    }
  }

  // 3. ValidateSession as the gateway calls it.
  const std::string gateway = signer->SignService("gateway");
  Latencies validate_latencies;
  std::atomic<int64_t> validate_failures{0};
  const double validations_per_s = RunFor(
      options.clients, options.seconds, validate_latencies, validate_failures, [&](int c, int64_t) {
        pb::ValidateSessionRequest request;
        request.set_token(tokens[c]);
        pb::ValidateSessionResponse response;
        auto context = uwallet::grpcutil::OutgoingContext(absl::Seconds(10), gateway);
        return internal[c]->ValidateSession(context.get(), request, &response).ok();
      });
  std::printf(
      "ValidateSession: %.1f calls/s with %d clients (p50 %.2f ms, p99 %.2f ms, %lld "
      "failed)\n",
      validations_per_s, options.clients, validate_latencies.Percentile(0.5),
      validate_latencies.Percentile(0.99), static_cast<long long>(validate_failures.load()));
  std::printf("RESULT hashes_per_s=%.1f logins_per_s=%.1f validations_per_s=%.1f\n", hashes_per_s,
              logins_per_s, validations_per_s);
  return 0;
}
