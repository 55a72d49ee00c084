// ledger-load: drives PostTransfers of a running ledger with N concurrent clients (gRPC callback
// API, one call in flight per client), random pairs among the accounts listed in a file, and prints
// transfers/s and latency percentiles. Used by `tools/bench ledger` next to pgbench.
//
//   uwallet-ledger-load --addr=127.0.0.1:50052 --identity-key=HEX --accounts-file=ids.txt
//                       --clients=64 --duration=10s [--warmup=2s] [--rate=3000]
//
// Closed loop by default (each client sends its next transfer when the previous one is answered).
// With --rate, an open loop like `pgbench -R`: transfers are scheduled at exponential intervals
// (Poisson arrivals, the given total rate spread over the clients) and latency is measured from the
// scheduled start, so time spent waiting behind a slow call counts, as it does in pgbench.
//
// Output (one line, key=value): clients, rate, ok, errors, seconds, tps, p50_ms, p90_ms, p99_ms,
// max_ms, first_error.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/config.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/ledger/v1/ledger.grpc.pb.h"

namespace {

namespace v1 = ::uwallet::ledger::v1;
using Clock = std::chrono::steady_clock;

constexpr int kClientsMax = 4096;
constexpr size_t kAccountsMax = 10'000'000;

struct Options {
  std::string addr = "127.0.0.1:50052";
  std::string identity_key;
  std::string accounts_file;
  std::string currency = "CNY";
  int64_t clients = 16;
  int64_t rate = 0;  // transfers/s over all clients; 0: closed loop
  int64_t amount_max_minor = 100;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration call_timeout = absl::Seconds(10);
};

class Driver {
 public:
  Driver(const Options& options, std::vector<std::string> accounts,
         const uwallet::grpcutil::IdentitySigner& signer)
      : options_(options), accounts_(std::move(accounts)), signer_(signer) {
    grpc::ChannelArguments args;
    // Several HTTP/2 connections, so one TCP stream is not the bottleneck at 256 clients.
    const int channels = static_cast<int>(std::clamp<int64_t>(options.clients / 16, 1, 8));
    for (int i = 0; i < channels; ++i) {
      args.SetInt("uwallet.bench.channel", i);  // distinct args → distinct connections
      stubs_.push_back(v1::LedgerInternalService::NewStub(
          grpc::CreateCustomChannel(options.addr, grpc::InsecureChannelCredentials(), args)));
    }
    const uint64_t run = std::random_device{}();
    for (int i = 0; i < options.clients; ++i) {
      auto client = std::make_unique<ClientState>();
      client->index = i;
      client->random.seed(run ^ (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
      client->key_prefix = absl::StrCat("bench-", run, "-", i, "-");
      clients_.push_back(std::move(client));
    }
  }

  void Run() {
    start_ = Clock::now();
    measure_from_ = start_ + ToChrono(options_.warmup);
    end_ = measure_from_ + ToChrono(options_.duration);
    std::thread timer([this] { TimerLoop(); });
    for (auto& client : clients_) {
      client->scheduled = start_;
      if (options_.rate > 0) {
        client->scheduled = start_ + NextGap(*client);
        Schedule(client.get());
      } else {
        Issue(*client);
      }
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      finished_cv_.wait(lock, [&] { return finished_ == static_cast<int>(clients_.size()); });
      stop_timer_ = true;
    }
    timer_cv_.notify_all();
    timer.join();
  }

  void Report() const {
    std::vector<double> latencies_ms;
    int64_t ok = 0;
    int64_t errors = 0;
    std::string first_error;
    for (const auto& client : clients_) {
      latencies_ms.insert(latencies_ms.end(), client->latencies_ms.begin(),
                          client->latencies_ms.end());
      ok += client->ok;
      errors += client->errors;
      if (first_error.empty()) first_error = client->first_error;
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto percentile = [&](double p) {
      if (latencies_ms.empty()) return 0.0;
      const size_t index =
          std::min(latencies_ms.size() - 1,
                   static_cast<size_t>(p * static_cast<double>(latencies_ms.size())));
      return latencies_ms[index];
    };
    const double seconds = absl::ToDoubleSeconds(options_.duration);
    for (char& c : first_error) {
      if (c == ' ' || c == '\n') c = '_';
    }
    std::printf(
        "clients=%lld rate=%lld ok=%lld errors=%lld seconds=%.1f tps=%.0f p50_ms=%.3f "
        "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f first_error=%s\n",
        static_cast<long long>(options_.clients), static_cast<long long>(options_.rate),
        static_cast<long long>(ok), static_cast<long long>(errors), seconds,
        static_cast<double>(ok) / seconds, percentile(0.50), percentile(0.90), percentile(0.99),
        latencies_ms.empty() ? 0.0 : latencies_ms.back(),
        first_error.empty() ? "-" : first_error.c_str());
  }

 private:
  struct ClientState {
    int index = 0;
    std::mt19937_64 random;
    std::string key_prefix;
    uint64_t sequence = 0;
    std::unique_ptr<grpc::ClientContext> context;
    v1::PostTransfersRequest request;
    v1::PostTransfersResponse response;
    Clock::time_point scheduled;  // rate mode: when this call was due
    Clock::time_point started;
    std::vector<double> latencies_ms;  // only this client's callback touches it
    int64_t ok = 0;
    int64_t errors = 0;
    std::string first_error;
  };

  static Clock::duration ToChrono(absl::Duration d) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d)));
  }

  Clock::duration NextGap(ClientState& client) {
    // Exponential inter-arrival per client: the clients together are a Poisson process at `rate`.
    std::exponential_distribution<double> gap(static_cast<double>(options_.rate) /
                                              static_cast<double>(options_.clients));
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(gap(client.random)));
  }

  void Issue(ClientState& client) {
    const size_t from = client.random() % accounts_.size();
    size_t to = client.random() % (accounts_.size() - 1);
    if (to >= from) ++to;
    client.request.Clear();
    client.request.set_idempotency_key(absl::StrCat(client.key_prefix, client.sequence++));
    auto* spec = client.request.add_transfers();
    spec->set_debit_account_id(accounts_[from]);
    spec->set_credit_account_id(accounts_[to]);
    spec->mutable_amount()->set_amount_minor(
        1 + static_cast<int64_t>(client.random() % options_.amount_max_minor));
    spec->mutable_amount()->set_currency(options_.currency);
    spec->set_kind(v1::TRANSFER_KIND_P2P);
    client.response.Clear();
    client.context =
        uwallet::grpcutil::OutgoingContext(options_.call_timeout, signer_.SignService("bench"));
    client.started = Clock::now();
    if (options_.rate == 0) client.scheduled = client.started;
    auto& stub = *stubs_[client.index % stubs_.size()];
    stub.async()->PostTransfers(client.context.get(), &client.request, &client.response,
                                [this, &client](grpc::Status status) { Done(client, status); });
  }

  void Done(ClientState& client, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (client.scheduled >= measure_from_ && now <= end_) {
      if (status.ok()) {
        ++client.ok;
        client.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(now - client.scheduled).count());
      } else {
        ++client.errors;
        if (client.first_error.empty()) {
          client.first_error =
              absl::StrCat(static_cast<int>(status.error_code()), ":", status.error_message());
        }
      }
    }
    if (now >= end_) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_;
      finished_cv_.notify_all();
      return;
    }
    if (options_.rate == 0) {
      Issue(client);
      return;
    }
    client.scheduled += NextGap(client);
    if (client.scheduled <= now) {
      Issue(client);  // behind schedule: go at once (the lag counts in the latency)
    } else {
      Schedule(&client);
    }
  }

  void Schedule(ClientState* client) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      due_.push({client->scheduled, client});
    }
    timer_cv_.notify_one();
  }

  void TimerLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_timer_) {
      if (due_.empty()) {
        timer_cv_.wait(lock);
        continue;
      }
      const auto next = due_.top();
      if (next.first > Clock::now()) {
        timer_cv_.wait_until(lock, next.first);
        continue;
      }
      due_.pop();
      lock.unlock();
      Issue(*next.second);
      lock.lock();
    }
  }

  const Options& options_;
  std::vector<std::string> accounts_;
  const uwallet::grpcutil::IdentitySigner& signer_;
  std::vector<std::unique_ptr<v1::LedgerInternalService::Stub>> stubs_;
  std::vector<std::unique_ptr<ClientState>> clients_;
  Clock::time_point start_, measure_from_, end_;
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  std::condition_variable timer_cv_;
  int finished_ = 0;
  bool stop_timer_ = false;
  using Due = std::pair<Clock::time_point, ClientState*>;
  struct Later {
    bool operator()(const Due& a, const Due& b) const { return a.first > b.first; }
  };
  std::priority_queue<Due, std::vector<Due>, Later> due_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  uwallet::Config config("ledger-load");
  config.AddString("addr", &options.addr, "ledger gRPC address");
  config.AddString("identity-key", &options.identity_key, "identity HMAC key (as the suite's)");
  config.AddString("accounts-file", &options.accounts_file, "account ids, one per line");
  config.AddString("currency", &options.currency, "currency of the accounts");
  config.AddInt("clients", &options.clients, "concurrent clients (one call in flight each)");
  config.AddInt("rate", &options.rate, "transfers/s over all clients; 0: as fast as possible");
  config.AddInt("amount-max-minor", &options.amount_max_minor, "largest random amount");
  config.AddDuration("duration", &options.duration, "measured time");
  config.AddDuration("warmup", &options.warmup, "unmeasured time before it");
  if (absl::Status status = config.Parse(argc, argv); !status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kCancelled ? 0 : 2;
  }
  if (options.clients < 1 || options.clients > kClientsMax || options.amount_max_minor < 1 ||
      options.rate < 0 || options.duration <= absl::ZeroDuration()) {
    std::fprintf(stderr, "bad --clients, --rate, --amount-max-minor or --duration\n");
    return 2;
  }
  std::vector<std::string> accounts;
  std::ifstream in(options.accounts_file);
  for (std::string line; std::getline(in, line) && accounts.size() < kAccountsMax;) {
    if (!line.empty()) accounts.push_back(line);
  }
  if (accounts.size() < 2) {
    std::fprintf(stderr, "need at least two accounts in --accounts-file\n");
    return 2;
  }
  auto signer = uwallet::grpcutil::IdentitySigner::Create(options.identity_key,
                                                          uwallet::RealClock::Instance());
  if (!signer.ok()) {
    std::fprintf(stderr, "bad --identity-key: %s\n",
                 std::string(signer.status().message()).c_str());
    return 2;
  }
  Driver driver(options, std::move(accounts), *signer);
  driver.Run();
  driver.Report();
  return 0;
}
