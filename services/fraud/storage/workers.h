#pragma once
// The fraud service's background work: the event consumer (group "fraud"), the alert deliverer
// (pub/sub fan-out + notifier, at-least-once from the alerts table) and the stolen-account
// resumer (completes reports whose later steps failed).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "services/fraud/core/ports.h"
#include "services/fraud/core/stolen.h"
#include "services/fraud/storage/alert_hub.h"
#include "services/fraud/storage/pg_store.h"
#include "uwallet/events/events.h"
#include "uwallet/notify/notifier.h"

namespace uwallet::fraud {

inline constexpr int kDeliverBatchMax = 100;
inline constexpr absl::Duration kDeliverInterval = absl::Milliseconds(500);
inline constexpr absl::Duration kResumeInterval = absl::Seconds(30);
inline constexpr int kResumeBatchMax = 20;

// events::Event → the core's RiskEvent.
[[nodiscard]] RiskEvent ToRiskEvent(const events::Event& event);

// The consumer's handler: exactly-once effect through PgFraudStore::ApplyEventOnce. With a
// ledger and an auth client, `auth.unfrozen` (staff unfroze the user in auth) also unfreezes the
// user's wallet first (idempotent; a failure leaves the event unacknowledged, so it is retried),
// unless auth says the user is frozen again: an old `auth.unfrozen` delivered late (a replay, a
// pending entry reclaimed after a new stolen-account freeze) must not undo the newer freeze.
[[nodiscard]] events::Consumer::Handler MakeEventHandler(PgFraudStore& store,
                                                         std::function<void()> on_alerts,
                                                         LedgerClient* ledger = nullptr,
                                                         AuthClient* auth = nullptr);

class FraudWorkers {
 public:
  FraudWorkers(PgFraudStore& store, redis::Pool& redis, AlertHub& hub, notify::Notifier& notifier,
               AuthClient& auth, StolenAccountFlow& stolen, const Clock& clock,
               std::string consumer_name, LedgerClient* ledger = nullptr);
  ~FraudWorkers() { Stop(); }
  void Start();
  void Stop();
  // One delivery round (tests call it directly).
  [[nodiscard]] absl::StatusOr<int> DeliverOnce();
  void Poke();
  // Called for each alert that reached the person (for metrics); set before Start.
  void OnDelivered(std::function<void(const Alert&)> hook) { on_delivered_ = std::move(hook); }

 private:
  absl::Status Deliver(const Alert& alert);
  std::function<void(const Alert&)> on_delivered_;

  PgFraudStore& store_;
  AlertHub& hub_;
  notify::Notifier& notifier_;
  AuthClient& auth_;
  StolenAccountFlow& stolen_;
  const Clock& clock_;
  events::Consumer consumer_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool poked_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace uwallet::fraud
