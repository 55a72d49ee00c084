#include "uwallet/service/metrics.h"

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "uwallet/crypto/password.h"

namespace uwallet::service {

std::function<void(const std::string&, absl::Duration)> EventMetrics(
    prometheus::Registry& registry) {
  auto& published = prometheus::BuildCounter()
                        .Name("uwallet_events_published_total")
                        .Help(
                            "Domain events published from the outbox, by type (business "
                            "counters: payments by outcome, logins by result, tickets opened)")
                        .Register(registry);
  auto& waited = prometheus::BuildHistogram()
                     .Name("uwallet_outbox_wait_seconds")
                     .Help("Time an event waited in the outbox before the relay published it")
                     .Register(registry)
                     .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                                      2.5, 5, 10, 30, 60});
  return [&published, &waited](const std::string& type, absl::Duration wait) {
    published.Add({{"type", type}}).Increment();
    waited.Observe(absl::ToDoubleSeconds(wait));
  };
}

events::OutboxPruner::PassHook OutboxPruneMetrics(prometheus::Registry& registry) {
  auto& pruned = prometheus::BuildCounter()
                     .Name("uwallet_outbox_pruned_total")
                     .Help(
                         "Rows the outbox pruner deleted: published events past the retention "
                         "(table=outbox) and their exactly-once markers (table=processed_events)")
                     .Register(registry);
  auto& passes = prometheus::BuildCounter()
                     .Name("uwallet_outbox_prune_passes_total")
                     .Help("Passes of the outbox pruner by result (ok, failed)")
                     .Register(registry);
  auto& last = prometheus::BuildGauge()
                   .Name("uwallet_outbox_last_prune_timestamp_seconds")
                   .Help("Unix time of the outbox pruner's last successful pass (0: none yet)")
                   .Register(registry)
                   .Add({});
  prometheus::Counter& events = pruned.Add({{"table", "outbox"}});
  prometheus::Counter& markers = pruned.Add({{"table", "processed_events"}});
  prometheus::Counter& ok = passes.Add({{"result", "ok"}});
  prometheus::Counter& failed = passes.Add({{"result", "failed"}});
  return [&events, &markers, &ok, &failed,
          &last](const absl::StatusOr<events::OutboxPruner::Pruned>& pass) {
    if (!pass.ok()) {
      failed.Increment();
      return;
    }
    ok.Increment();
    events.Increment(static_cast<double>(pass->events));
    markers.Increment(static_cast<double>(pass->markers));
    last.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  };
}

namespace {

prometheus::MetricFamily OneValue(std::string name, std::string help, prometheus::MetricType type,
                                  double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {.name = std::move(name), .help = std::move(help), .type = type, .metric = {metric}};
}

class PasswordHashCollectable final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    const crypto::PasswordHashTotals totals = crypto::PasswordHashTotalsSoFar();
    using prometheus::MetricType;
    return {
        OneValue("uwallet_password_hashes_total",
                 "argon2id computations (password hashes and checks, dummy hashes for unknown "
                 "users)",
                 MetricType::Counter, static_cast<double>(totals.hashes)),
        OneValue("uwallet_password_hash_cpu_seconds_total",
                 "CPU time spent inside argon2id computations", MetricType::Counter,
                 absl::ToDoubleSeconds(totals.cpu)),
        OneValue("uwallet_password_hash_wait_seconds_total",
                 "Time computations waited for a hash slot (all slots busy: sign-ins queue)",
                 MetricType::Counter, absl::ToDoubleSeconds(totals.waited)),
        OneValue("uwallet_password_hashes_running", "argon2id computations running now",
                 MetricType::Gauge, crypto::PasswordHashesRunning()),
        OneValue("uwallet_password_hash_slots", "argon2id computations allowed at once",
                 MetricType::Gauge, crypto::PasswordHashConcurrency()),
    };
  }
};

}  // namespace

std::shared_ptr<prometheus::Collectable> PasswordHashMetrics() {
  return std::make_shared<PasswordHashCollectable>();
}

PoolGauges::PoolGauges(prometheus::Registry& registry, const pg::Pool* pg, const redis::Pool* redis)
    : pg_(pg), redis_(redis) {
  if (pg_ != nullptr) {
    auto& family = prometheus::BuildGauge()
                       .Name("uwallet_pg_pool_connections")
                       .Help("PostgreSQL connections of this process by state (in_use, idle)")
                       .Register(registry);
    pg_in_use_ = &family.Add({{"state", "in_use"}});
    pg_idle_ = &family.Add({{"state", "idle"}});
  }
  if (redis_ != nullptr) {
    auto& family = prometheus::BuildGauge()
                       .Name("uwallet_redis_pool_connections")
                       .Help("Redis connections of this process by state (open, idle)")
                       .Register(registry);
    redis_open_ = &family.Add({{"state", "open"}});
    redis_idle_ = &family.Add({{"state", "idle"}});
    redis_waiting_ = &prometheus::BuildGauge()
                          .Name("uwallet_redis_pool_waiting")
                          .Help("Callers waiting for a free Redis connection")
                          .Register(registry)
                          .Add({});
  }
}

void PoolGauges::Sample() {
  if (pg_ != nullptr) {
    pg_in_use_->Set(pg_->InUse());
    pg_idle_->Set(pg_->Idle());
  }
  if (redis_ != nullptr) {
    const redis::PoolStats stats = redis_->Stats();
    redis_open_->Set(stats.open);
    redis_idle_->Set(stats.idle);
    redis_waiting_->Set(stats.waiting);
  }
}

}  // namespace uwallet::service
