// uwallet-fraud: risk assessment before money moves, alerts, analyst cases and the "my account
// was stolen" switch. See services/fraud/README.md.
#include <unistd.h>

#include <array>
#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/fraud/core/assessor.h"
#include "services/fraud/core/rules.h"
#include "services/fraud/core/stolen.h"
#include "services/fraud/grpc/clients.h"
#include "services/fraud/grpc/services.h"
#include "services/fraud/schema/migrations.h"
#include "services/fraud/storage/alert_hub.h"
#include "services/fraud/storage/pg_store.h"
#include "services/fraud/storage/workers.h"
#include "uwallet/common/log.h"
#include "uwallet/notify/notifier.h"
#include "uwallet/service/runtime.h"

namespace {

using namespace uwallet;         // NOLINT(build/namespaces): main wiring only
using namespace uwallet::fraud;  // NOLINT(build/namespaces)

// Without a provider and without the dev mailbox, notifications are visibly not delivered.
class LogOnlyNotifier final : public notify::Notifier {
 public:
  absl::Status Send(const notify::Notification& notification) override {
    log::Warn(
        "notification not delivered: no provider configured",
        {{"kind", notification.kind}, {"channel", notify::ChannelName(notification.channel)}});
    return absl::OkStatus();
  }
};

struct Fraud {
  explicit Fraud(service::Runtime& runtime)
      : store(*runtime.pg, *runtime.ids),
        decision_log(*runtime.pg),
        calls(*runtime.signer),
        auth(runtime.Channel(runtime.peers.auth), calls),
        ledger(runtime.Channel(runtime.peers.ledger), calls),
        payments(runtime.Channel(runtime.peers.payments), calls),
        support(runtime.Channel(runtime.peers.support), calls),
        notifier(runtime.dev_mailbox
                     ? std::unique_ptr<notify::Notifier>(
                           std::make_unique<notify::DevMailbox>(*runtime.redis, *runtime.clock))
                     : std::make_unique<LogOnlyNotifier>()),
        assessor(store, payments, *runtime.clock, *runtime.ids),
        stolen(store, auth, ledger, payments, support, *notifier, *runtime.clock),
        hub(*runtime.redis, runtime.redis->options()),
        workers(store, *runtime.redis, hub, *notifier, auth, stolen, *runtime.clock, ConsumerName(),
                &ledger) {
    store.UseDecisionLog(&decision_log);
  }

  static std::string ConsumerName() {
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    return absl::StrCat("fraud-", host, "-", getpid());
  }

  PgFraudStore store;
  DecisionLogWriter decision_log;
  RemoteCalls calls;
  GrpcAuthClient auth;
  GrpcLedgerClient ledger;
  GrpcPaymentsClient payments;
  GrpcSupportClient support;
  std::unique_ptr<notify::Notifier> notifier;
  Assessor assessor;
  StolenAccountFlow stolen;
  AlertHub hub;
  FraudWorkers workers;
};

std::unique_ptr<Fraud> fraud_app;

// Business counters of the fraud service: Assess decisions and alerts that reached people.
std::function<void(Decision)> AssessCounter(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("uwallet_fraud_assessments_total")
                     .Help("Risk assessments before money moves, by decision")
                     .Register(registry);
  std::array<prometheus::Counter*, 5> by_decision = {
      &family.Add({{"decision", "unspecified"}}), &family.Add({{"decision", "allow"}}),
      &family.Add({{"decision", "challenge"}}), &family.Add({{"decision", "review"}}),
      &family.Add({{"decision", "decline"}})};
  return [by_decision](Decision decision) {
    const auto index = static_cast<size_t>(decision);
    by_decision[index < by_decision.size() ? index : 0]->Increment();
  };
}

std::function<void(const Alert&)> AlertCounter(prometheus::Registry& registry) {
  auto& family =
      prometheus::BuildCounter()
          .Name("uwallet_fraud_alerts_delivered_total")
          .Help("Alerts delivered to users (push, and SMS/email when chosen), by category")
          .Register(registry);
  prometheus::Counter* transaction = &family.Add({{"category", "transaction"}});
  prometheus::Counter* security = &family.Add({{"category", "security"}});
  return [transaction, security](const Alert& alert) {
    (alert.category == AlertCategory::kTransaction ? transaction : security)->Increment();
  };
}

}  // namespace

int main(int argc, char** argv) {
  return service::Run(
      argc, argv,
      {
          .name = "fraud",
          .schema = "fraud",
          .migrations = Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50055",
          .default_metrics_listen = "127.0.0.1:9105",
          .health_names = {"uwallet.fraud.v1.FraudService", "uwallet.fraud.v1.FraudInternalService",
                           "uwallet.fraud.v1.FraudAnalystService"},
          .build = [](service::Runtime& runtime)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            fraud_app = std::make_unique<Fraud>(runtime);
            absl::Status seeded =
                fraud_app->store.EnsureRules(DefaultRules(), runtime.clock->Now());
            if (!seeded.ok()) {
              // PostgreSQL may come up after us: the rules are seeded again on the next start,
              // and Assess answers from whatever rules exist.
              log::Warn("fraud: cannot seed default rules yet", {{"error", seeded.ToString()}});
            }
            GrpcDeps deps{.signer = *runtime.signer,
                          .assessor = fraud_app->assessor,
                          .repository = fraud_app->store,
                          .stolen = fraud_app->stolen,
                          .hub = fraud_app->hub,
                          .clock = *runtime.clock,
                          .on_assessed = AssessCounter(*runtime.server->metrics())};
            fraud_app->workers.OnDelivered(AlertCounter(*runtime.server->metrics()));
            return std::vector<std::shared_ptr<grpc::Service>>{
                std::make_shared<FraudPublicGrpc>(deps), std::make_shared<FraudInternalGrpc>(deps),
                std::make_shared<FraudAnalystGrpc>(deps)};
          },
          .start_background =
              [](service::Runtime& runtime) {
                absl::Status seeded =
                    fraud_app->store.EnsureRules(DefaultRules(), runtime.clock->Now());
                if (!seeded.ok()) return seeded;
                fraud_app->decision_log.Start();
                fraud_app->hub.Start();
                fraud_app->workers.Start();
                return absl::OkStatus();
              },
          .stop_background =
              [] {
                fraud_app->hub.Stop();  // ends every WatchAlerts stream cleanly
                fraud_app->workers.Stop();
                fraud_app->decision_log.Stop();  // writes what is still queued
              },
      });
}
