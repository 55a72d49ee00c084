#pragma once
// Live chat across replicas: every ticket event is PUBLISHed on one Redis channel; each replica
// runs one EventHub (one subscriber connection, one thread) that hands events to the streams of
// this replica. Pub/sub is at-most-once: a stream that reconnects resumes from storage with
// after_message_id.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/support/core/ports.h"
#include "uwallet/redis/pool.h"
#include "uwallet/redis/subscriber.h"

namespace uwallet::support {

inline constexpr char kEventsChannel[] = "support:events";
inline constexpr size_t kWatchQueueMax = 256;  // events buffered per stream before it is dropped
inline constexpr int kStreamsMaxDefault = 200;

[[nodiscard]] std::string EncodeEvent(const TicketEvent& event);
[[nodiscard]] absl::StatusOr<TicketEvent> DecodeEvent(const std::string& json);

class RedisEventPublisher final : public EventPublisher {
 public:
  explicit RedisEventPublisher(redis::Pool& pool) : pool_(pool) {}
  void Publish(const TicketEvent& event) override;

 private:
  redis::Pool& pool_;
};

// One stream's mailbox.
class Watch {
 public:
  explicit Watch(std::string ticket_id) : ticket_id_(std::move(ticket_id)) {}
  // The next event, or nullopt after `timeout` or once closed (closed() tells which).
  [[nodiscard]] std::optional<TicketEvent> Next(absl::Duration timeout);
  [[nodiscard]] bool closed() const;
  // True when events were dropped because the stream fell behind (it should end; the client
  // reconnects and resumes from storage).
  [[nodiscard]] bool overflowed() const;
  [[nodiscard]] const std::string& ticket_id() const { return ticket_id_; }

 private:
  friend class EventHub;
  void Push(const TicketEvent& event);
  void Close();

  const std::string ticket_id_;  // empty: the queue
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<TicketEvent> events_;
  bool closed_ = false;
  bool overflowed_ = false;
};

class EventHub {
 public:
  // `options`: the service's Redis options (host, port, prefix); the hub opens its own connection.
  EventHub(redis::PoolOptions options, int streams_max);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Subscribes and starts the thread; returns once Redis confirmed the subscription (or it
  // failed: the thread keeps retrying).
  [[nodiscard]] absl::Status Start();
  // Ends every stream and the thread. Bounded: the thread wakes at least every poll interval.
  void Stop();

  // A mailbox for one ticket (or the queue, ticket_id empty). RESOURCE_EXHAUSTED beyond
  // streams_max concurrent streams on this replica; UNAVAILABLE while stopping.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<Watch>> Register(const std::string& ticket_id);
  void Unregister(const std::shared_ptr<Watch>& watch);
  [[nodiscard]] int active() const;
  [[nodiscard]] bool stopping() const { return stopping_.load(); }

 private:
  void Loop();
  void Dispatch(const TicketEvent& event);

  const redis::PoolOptions options_;
  const int streams_max_;
  std::unique_ptr<redis::Subscriber> subscriber_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<Watch>> watches_;  // guarded by mutex_
};

}  // namespace uwallet::support
