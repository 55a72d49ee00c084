// uwallet-payments: transfers, merchant payments, top-ups, withdrawals, fees, refunds, the payment
// PIN, limits and scheduled transfers. See services/payments/README.md.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "services/payments/core/payments_core.h"
#include "services/payments/core/simulated_bank.h"
#include "services/payments/grpc/clients.h"
#include "services/payments/grpc/services.h"
#include "services/payments/schema/migrations.h"
#include "services/payments/storage/pg_store.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/random.h"
#include "uwallet/events/events.h"
#include "uwallet/service/metrics.h"
#include "uwallet/service/runtime.h"

namespace {

using namespace uwallet;            // NOLINT(build/namespaces): main wiring only
using namespace uwallet::payments;  // NOLINT(build/namespaces)

struct Flags {
  std::string currency = "CNY";
  std::string fees = "withdrawal:10:10:0";
  std::string time_zone = "Asia/Shanghai";
  std::string qr_key;
  std::string pin_key;  // 64 hex digits
  int64_t risk_allow_up_to_minor = 50'000;
  absl::Duration ledger_timeout = absl::Seconds(3);
  absl::Duration auth_timeout = absl::Seconds(2);
  absl::Duration fraud_timeout = absl::Milliseconds(300);
  absl::Duration worker_interval = absl::Seconds(1);
  absl::Duration bank_payout_latency = absl::Seconds(2);
  absl::Duration bank_slow_latency = absl::Seconds(30);
  absl::Duration retry_after = absl::Seconds(30);
  absl::Duration schedule_run_lease = absl::Minutes(2);
};

// Resumes interrupted payments, asks the bank about pending ones and runs due schedules.
class Worker {
 public:
  Worker(PaymentsCore& core, absl::Duration interval) : core_(core), interval_(interval) {}
  ~Worker() { Stop(); }
  void Start() {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stop_) {
        lock.unlock();
        if (auto checked = core_.RunDueChecks(); !checked.ok()) {
          log::Warn("payment checks failed", {{"error", checked.status().ToString()}});
        }
        if (auto ran = core_.RunDueSchedules(); !ran.ok()) {
          log::Warn("scheduled transfers failed", {{"error", ran.status().ToString()}});
        }
        lock.lock();
        wake_.wait_for(lock, std::chrono::microseconds(absl::ToInt64Microseconds(interval_)),
                       [this] { return stop_; });
      }
    });
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  PaymentsCore& core_;
  absl::Duration interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

struct Payments {
  Payments(service::Runtime& runtime, const Flags& flags, CoreOptions options)
      : outbox("payments", *runtime.ids, *runtime.clock),
        store(*runtime.pg, outbox, options.zone),
        ledger(runtime.Channel(runtime.peers.ledger), *runtime.signer, flags.ledger_timeout),
        auth(runtime.Channel(runtime.peers.auth), *runtime.signer, flags.auth_timeout),
        risk(runtime.Channel(runtime.peers.fraud), *runtime.signer, flags.fraud_timeout),
        bank(*runtime.clock, {.payout_latency = flags.bank_payout_latency,
                              .slow_latency = flags.bank_slow_latency}),
        core(store, ledger, auth, risk, bank, *runtime.clock, *runtime.ids, std::move(options)),
        deps{core, *runtime.signer},
        worker(core, flags.worker_interval),
        relay(*runtime.pg, *runtime.redis) {}
  events::Outbox outbox;
  PgPaymentStore store;
  GrpcLedgerClient ledger;
  GrpcAuthClient auth;
  GrpcRiskClient risk;
  SimulatedBank bank;
  PaymentsCore core;
  GrpcDeps deps;
  Worker worker;
  events::Relay relay;
};

Flags flags;
std::unique_ptr<Payments> app;

absl::StatusOr<CoreOptions> OptionsFrom(const Flags& f) {
  CoreOptions options;
  options.currency = f.currency;
  UW_ASSIGN_OR_RETURN(options.fees, FeeTable::Parse(f.fees));
  if (!absl::LoadTimeZone(f.time_zone, &options.zone)) {
    return absl::InvalidArgumentError("unknown --payments-time-zone");
  }
  options.risk_fail_policy.allow_up_to_minor = f.risk_allow_up_to_minor;
  options.retry_after = f.retry_after;
  if (f.schedule_run_lease <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--payments-schedule-lease must be positive");
  }
  options.schedule_run_lease = f.schedule_run_lease;
  options.qr_key = f.qr_key;
  if (options.qr_key.empty()) {
    // Codes then only verify on this replica and die with it: fine for a laptop, not for a cluster.
    log::Warn("--payments-qr-key not set; using a random per-process key");
    UW_ASSIGN_OR_RETURN(options.qr_key, crypto::RandomToken(32));
  }
  if (options.qr_key.size() < 32) {
    return absl::InvalidArgumentError("--payments-qr-key needs at least 32 bytes");
  }
  if (f.pin_key.empty()) {
    // Never a random key here: PINs stored with it could not be checked after a restart.
    log::Warn("--payments-pin-key not set; payment PINs use argon2id (slow: tens per second)");
  } else {
    absl::StatusOr<std::string> key = crypto::HexDecode(f.pin_key);
    if (!key.ok() || key->size() != kPinKeyBytes) {
      return absl::InvalidArgumentError("--payments-pin-key must be 64 hex digits (32 bytes)");
    }
    options.pin_key = *std::move(key);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  return service::Run(
      argc, argv,
      {
          .name = "payments",
          .schema = "payments",
          .migrations = Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50053",
          .default_metrics_listen = "127.0.0.1:9103",
          .health_names = {"uwallet.payments.v1.PaymentsService",
                           "uwallet.payments.v1.MerchantService",
                           "uwallet.payments.v1.PaymentsAdminService",
                           "uwallet.payments.v1.PaymentsInternalService"},
          .register_flags =
              [](Config& config) {
                config.AddString("payments-currency", &flags.currency, "the wallet currency");
                config.AddString("payments-fees", &flags.fees,
                                 "fee table: kind:rate_bp:min_minor:max_minor,... (kinds "
                                 "transfer, merchant, top_up, withdrawal; unlisted are free)");
                config.AddString("payments-time-zone", &flags.time_zone,
                                 "day boundary of daily limits and schedules");
                config.AddString("payments-qr-key", &flags.qr_key,
                                 "HMAC key of merchant payment codes (>= 32 bytes; the same on "
                                 "every replica)");
                config.AddString("payments-pin-key", &flags.pin_key,
                                 "key protecting stored payment PINs (64 hex digits, the same on "
                                 "every replica; prefer the environment variable)");
                config.AddInt("payments-risk-allow-up-to-minor", &flags.risk_allow_up_to_minor,
                              "when fraud does not answer: allow up to this amount, hold above");
                config.AddDuration("payments-ledger-timeout", &flags.ledger_timeout,
                                   "deadline of ledger calls made by workers");
                config.AddDuration("payments-auth-timeout", &flags.auth_timeout,
                                   "deadline of auth calls");
                config.AddDuration("payments-fraud-timeout", &flags.fraud_timeout,
                                   "deadline of the risk check");
                config.AddDuration("payments-worker-interval", &flags.worker_interval,
                                   "how often the worker checks banks, retries and schedules");
                config.AddDuration("payments-retry-after", &flags.retry_after,
                                   "when the worker resumes a payment nobody retried");
                config.AddDuration("payments-schedule-lease", &flags.schedule_run_lease,
                                   "when a claimed schedule run still without a payment (its "
                                   "worker stopped) is re-driven by another worker");
                config.AddDuration("payments-bank-latency", &flags.bank_payout_latency,
                                   "simulated bank: payout settlement time");
                config.AddDuration("payments-bank-slow-latency", &flags.bank_slow_latency,
                                   "simulated bank: settlement time of slow cards (...0077)");
              },
          .build = [](service::Runtime& runtime)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            UW_ASSIGN_OR_RETURN(CoreOptions options, OptionsFrom(flags));
            app = std::make_unique<Payments>(runtime, flags, std::move(options));
            std::vector<std::shared_ptr<grpc::Service>> services;
            services.push_back(std::make_shared<PaymentsGrpc>(app->deps));
            services.push_back(std::make_shared<MerchantGrpc>(app->deps));
            services.push_back(std::make_shared<AdminGrpc>(app->deps));
            services.push_back(std::make_shared<InternalGrpc>(app->deps));
            return services;
          },
          .start_background = [](service::Runtime& runtime) -> absl::Status {
            app->relay.OnPublished(service::EventMetrics(*runtime.server->metrics()));
            app->relay.Start();
            app->worker.Start();
            return absl::OkStatus();
          },
          .stop_background =
              [] {
                if (!app) return;
                app->worker.Stop();
                app->relay.Stop();
              },
      });
}
