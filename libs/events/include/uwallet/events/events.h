#pragma once
// Domain events through a transactional outbox (DESIGN.md §5):
//   1. a service writes its change and Outbox::Append in ONE PostgreSQL transaction;
//   2. a Relay publishes unpublished rows to the Redis stream and marks them sent (at least once);
//   3. a Consumer reads the stream with a consumer group, skips event ids it already handled,
//      acknowledges only after the handler succeeded, and takes over messages another consumer
//      left pending too long.
// Handlers whose effect lives in PostgreSQL get exactly-once effect by calling
// MarkProcessedInTx in the same transaction as the effect.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"
#include "uwallet/pg/migrate.h"
#include "uwallet/pg/pg.h"
#include "uwallet/redis/pool.h"

namespace uwallet::events {

inline constexpr char kStream[] = "events";  // the Redis stream (behind the pool's key prefix)
inline constexpr int64_t kStreamLengthMax = 1'000'000;  // approximate trim
inline constexpr int kRelayBatchMax = 256;
inline constexpr int kConsumerBatchMax = 128;
inline constexpr size_t kPayloadBytesMax = 64 * 1024;

struct Event {
  std::string id;          // UUIDv7, unique; consumers deduplicate on it
  std::string type;        // "auth.login_failed", "ledger.transfer_posted", ...
  std::string source;      // the service that wrote it
  std::string subject_id;  // the user or account it is about (the shard key)
  std::string payload;     // JSON object
  absl::Time occurred_at;
};

// Migration version 0 of every service that publishes events: the outbox table. (Services number
// their own migrations from 1.)
[[nodiscard]] pg::Migration OutboxMigration();
// The table consumers use for exactly-once effects (processed_events); include it in a consuming
// service's migrations as version 0 too, or call both: they are independent statements.
[[nodiscard]] std::vector<pg::Migration> OutboxAndInboxMigrations();

class Outbox {
 public:
  Outbox(std::string source, IdGenerator& ids, const Clock& clock)
      : source_(std::move(source)), ids_(ids), clock_(clock) {}
  // Writes the event in the caller's transaction; returns its id.
  [[nodiscard]] absl::StatusOr<std::string> Append(pg::Connection& tx, absl::string_view type,
                                                   absl::string_view subject_id,
                                                   absl::string_view payload_json);
  struct NewEvent {
    std::string type;
    std::string subject_id;
    std::string payload_json;  // a JSON object
  };
  // Writes several events with ONE statement in the caller's transaction (the same rows as
  // Append); returns their ids in order. For writers that batch many changes per transaction.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> AppendBatch(
      pg::Connection& tx, const std::vector<NewEvent>& events);
  // The one statement AppendBatch runs, for writers that send it themselves (e.g. pipelined with
  // their own writes in one round trip); it must run in the same transaction as the change.
  struct BatchStatement {
    std::string sql;
    pg::Params params;
    std::vector<std::string> event_ids;
  };
  [[nodiscard]] absl::StatusOr<BatchStatement> PrepareBatch(const std::vector<NewEvent>& events);

 private:
  std::string source_;
  IdGenerator& ids_;
  const Clock& clock_;
};

// Publishes outbox rows to the stream. Several replicas may run it at once (FOR UPDATE SKIP
// LOCKED); a crash between XADD and the mark publishes a row twice, which consumers absorb.
class Relay {
 public:
  Relay(pg::Pool& pg, redis::Pool& redis, absl::Duration poll_interval = absl::Milliseconds(100))
      : pg_(pg), redis_(redis), poll_interval_(poll_interval) {}
  ~Relay() { Stop(); }
  // Called once per event after its batch committed: the event type and how long it waited in
  // the outbox (occurred -> published). For metrics (business counters by event type, relay lag);
  // set before Start, keep it cheap.
  using PublishedHook = std::function<void(const std::string& type, absl::Duration waited)>;
  void OnPublished(PublishedHook hook) { on_published_ = std::move(hook); }
  // Publishes one batch; returns how many rows it published.
  [[nodiscard]] absl::StatusOr<int> PublishBatch();

  void Start();
  void Stop();

 private:
  pg::Pool& pg_;
  redis::Pool& redis_;
  absl::Duration poll_interval_;
  PublishedHook on_published_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Deletes what the outbox tables no longer need. Published events stay in the outbox for `keep`
// after they occurred, so that `uwctl outbox replay` can send them again; the exactly-once
// markers of processed_events stay until their event is a day older than that (by the time in
// the event id: event ids are UUIDv7), so that an event that can still be replayed always finds
// its marker. Every service with the outbox migration runs one (libs/service).
class OutboxPruner {
 public:
  struct Pruned {
    int64_t events = 0;
    int64_t markers = 0;
  };
  // Called after every pass of the background thread, with what it deleted or why it failed
  // (metrics).
  using PassHook = std::function<void(const absl::StatusOr<Pruned>&)>;
  static constexpr absl::Duration kInterval = absl::Minutes(10);
  // `keep` zero: nothing is ever deleted. `every`: the time between two passes (kInterval when
  // not more than zero).
  OutboxPruner(pg::Pool& pg, absl::Duration keep, absl::Duration every = kInterval,
               PassHook on_pass = nullptr)
      : pg_(pg),
        keep_(keep),
        every_(every > absl::ZeroDuration() ? every : kInterval),
        on_pass_(std::move(on_pass)) {}
  ~OutboxPruner() { Stop(); }
  // One pass as of `now`: published outbox rows older than `keep`, oldest first, stopping at the
  // first row that is unpublished or newer (so it reads only the head of the outbox, however long
  // it is), and older markers; at most `max_rows` of each, in chunks of short statements.
  [[nodiscard]] absl::StatusOr<Pruned> Prune(absl::Time now, int64_t max_rows = 50'000);
  // A pass a minute after Start (or `every`, if shorter), then one every `every`. Several
  // replicas may run it at once.
  void Start();
  void Stop();

 private:
  pg::Pool& pg_;
  absl::Duration keep_;
  absl::Duration every_;
  PassHook on_pass_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct ConsumerOptions {
  std::string group;     // one group per consuming service ("fraud")
  std::string consumer;  // unique per replica (host/pid)
  int batch = 64;
  absl::Duration block = absl::Milliseconds(500);
  absl::Duration reclaim_idle = absl::Seconds(30);  // take over messages pending this long
  absl::Duration dedupe_ttl = absl::Hours(24 * 7);
  std::vector<std::string> types;  // only these event types (empty: all); others are acked
};

class Consumer {
 public:
  using Handler = std::function<absl::Status(const Event&)>;
  Consumer(redis::Pool& redis, ConsumerOptions options, Handler handler)
      : redis_(redis), options_(std::move(options)), handler_(std::move(handler)) {}
  ~Consumer() { Stop(); }

  // Creates the group if needed (reading from the start of the stream).
  [[nodiscard]] absl::Status Init();
  // One round: reclaim stuck messages, read new ones, handle, acknowledge. Returns handled count.
  [[nodiscard]] absl::StatusOr<int> PollOnce();
  void Start();
  void Stop();

 private:
  [[nodiscard]] absl::Status HandleEntry(const redis::StreamEntry& entry, int* handled);

  redis::Pool& redis_;
  ConsumerOptions options_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// In the consumer's own transaction: true the first time this (group, event) is seen, false after.
[[nodiscard]] absl::StatusOr<bool> MarkProcessedInTx(pg::Connection& tx, absl::string_view group,
                                                     absl::string_view event_id);

// Parses stream fields into an Event (INVALID_ARGUMENT when fields are missing).
[[nodiscard]] absl::StatusOr<Event> EventFromFields(const redis::FieldValues& fields);

}  // namespace uwallet::events
