#pragma once
// Metrics every service shares beyond the per-RPC ones of libs/grpcutil:
//   - business counters from the domain events: uwallet_events_published_total{type} counts what
//     the outbox relay published (payments by outcome, logins by result, tickets opened, holds...),
//     uwallet_outbox_wait_seconds how long events waited in the outbox;
//   - argon2id (libs/crypto, read when scraped): uwallet_password_hashes_total,
//     uwallet_password_hash_cpu_seconds_total (CPU inside argon2id), ..._wait_seconds_total (time
//     spent waiting for a hash slot), uwallet_password_hashes_running, uwallet_password_hash_slots;
//   - outbox pruning (events::OutboxPruner): uwallet_outbox_pruned_total{table} rows deleted,
//     uwallet_outbox_prune_passes_total{result} passes by outcome, and
//     uwallet_outbox_last_prune_timestamp_seconds, when the last pass succeeded;
//   - pool gauges: uwallet_pg_pool_connections{state} and uwallet_redis_pool_connections{state},
//     sampled with the readiness check.
// One place for these names, so dashboards work the same for every service.

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "uwallet/events/events.h"
#include "uwallet/pg/pg.h"
#include "uwallet/redis/pool.h"

namespace uwallet::service {

// A hook for events::Relay::OnPublished that counts into `registry` (which must outlive it).
[[nodiscard]] std::function<void(const std::string& type, absl::Duration waited)> EventMetrics(
    prometheus::Registry& registry);

// A hook for events::OutboxPruner that counts into `registry` (which must outlive it).
[[nodiscard]] events::OutboxPruner::PassHook OutboxPruneMetrics(prometheus::Registry& registry);

// The process's argon2id computations, for grpcutil::Server::AddCollectable.
[[nodiscard]] std::shared_ptr<prometheus::Collectable> PasswordHashMetrics();

// Gauges of the connection pools a service has (either may be null).
class PoolGauges {
 public:
  PoolGauges(prometheus::Registry& registry, const pg::Pool* pg, const redis::Pool* redis);
  // Reads the pools' current state into the gauges.
  void Sample();

 private:
  const pg::Pool* pg_;
  const redis::Pool* redis_;
  prometheus::Gauge* pg_in_use_ = nullptr;
  prometheus::Gauge* pg_idle_ = nullptr;
  prometheus::Gauge* redis_open_ = nullptr;
  prometheus::Gauge* redis_idle_ = nullptr;
  prometheus::Gauge* redis_waiting_ = nullptr;
};

}  // namespace uwallet::service
