#include "uwallet/service/metrics.h"

#include "prometheus/counter.h"
#include "prometheus/histogram.h"

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
