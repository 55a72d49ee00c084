#pragma once
// Live alerts for WatchAlerts, across replicas: the replica that stores an alert publishes
// "<user_id> <alert_id>" on one Redis pub/sub channel; every replica's hub has one subscriber
// thread that wakes the local streams of that user. Pub/sub is at-most-once, so a stream also
// re-reads PostgreSQL after its last sent alert on every wake-up and at least every
// kWatchReconcile: nothing is lost, nothing is sent twice (alert ids are ordered).

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "uwallet/redis/pool.h"

namespace uwallet::fraud {

inline constexpr char kAlertChannel[] = "fraud:alerts";
inline constexpr int kWatchStreamsMax = 256;
inline constexpr absl::Duration kWatchReconcile = absl::Seconds(5);

class AlertHub {
 public:
  // One waiting stream.
  class Watch {
   public:
    // Waits until an alert for the user arrives, the hub stops, or `timeout` passes. Returns
    // false once the hub is stopping.
    bool Wait(absl::Duration timeout);

   private:
    friend class AlertHub;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool signalled_ = false;
    bool stopping_ = false;
  };

  AlertHub(redis::Pool& redis, redis::PoolOptions subscriber_options)
      : redis_(redis), subscriber_options_(std::move(subscriber_options)) {}
  ~AlertHub() { Stop(); }

  void Start();
  void Stop();

  // RESOURCE_EXHAUSTED (TOO_MANY_STREAMS) over kWatchStreamsMax on this replica.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<Watch>> Register(const std::string& user_id);
  void Unregister(const std::string& user_id, const std::shared_ptr<Watch>& watch);

  // Tells every replica that the user has a new alert.
  [[nodiscard]] absl::Status Publish(const std::string& user_id, const std::string& alert_id);
  // Wakes local watchers of the user (what the subscriber thread does per message).
  void Wake(const std::string& user_id);
  [[nodiscard]] int active() const { return active_.load(); }

 private:
  redis::Pool& redis_;
  redis::PoolOptions subscriber_options_;
  std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<Watch>> watches_;
  std::atomic<int> active_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace uwallet::fraud
