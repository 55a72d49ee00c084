#pragma once
// A bounded pool of blocking hiredis connections, and the atomic helpers the services build on
// (single-use codes, fixed-window counters, Lua scripts, streams, pub/sub).
//
// Each call borrows one connection for one command (or one short pipeline) and returns it. Every
// wait is bounded: waiting for a free connection (wait_timeout), connecting (connect_timeout),
// and each command (command_timeout, plus the BLOCK time of XReadGroup). A connection that fails
// (I/O error, timeout, protocol error) is closed, never reused; an idle connection that the server
// closed (restart, CLIENT KILL, idle timeout) is noticed before use. New connections are made on
// the next borrow, so the pool reconnects by itself once Redis is back.
//
// Errors: Redis unreachable, a timeout or a lost connection -> UNAVAILABLE; pool exhausted ->
// UNAVAILABLE ("redis pool exhausted ..."); a Redis error reply -> StatusFromRedisError (reply.h).
//
// Keys: no call adds the key prefix by itself. Build every key and channel name with Key(), which
// prepends PoolOptions::key_prefix ("uw:auth:" in a service, a unique prefix in each test).
//
// Thread-safe. A Pool must outlive every call it serves.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "uwallet/redis/reply.h"
#include "uwallet/redis/script.h"

namespace uwallet::redis {

namespace internal {
class Connection;
}  // namespace internal

struct PoolOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;     // AUTH on connect when not empty
  std::string client_name;  // CLIENT SETNAME on connect when not empty (no spaces)
  int pool_size = 8;        // at most this many connections; 1..Pool::kPoolSizeMax
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Seconds(1);
  absl::Duration wait_timeout = absl::Milliseconds(500);  // for a free connection
  std::string key_prefix;                                 // prepended by Key()
};

// Checks the options: INVALID_ARGUMENT naming the bad field.
[[nodiscard]] absl::Status ValidateOptions(const PoolOptions& options);

struct HostPort {
  std::string host;
  int port = 0;
};
// "127.0.0.1:6379" or "redis.svc:6379" -> {host, port}; INVALID_ARGUMENT when malformed.
[[nodiscard]] absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

struct PoolStats {
  int open = 0;          // connections that exist (idle + borrowed)
  int idle = 0;          // connections ready to lend
  int waiting = 0;       // callers waiting for a connection
  int64_t connects = 0;  // connections made since the pool was created
  int64_t connect_failures = 0;
  int64_t discarded = 0;  // broken or server-closed connections that were closed
  int64_t exhausted = 0;  // borrows refused after wait_timeout
};

using FieldValues = std::vector<std::pair<std::string, std::string>>;

struct StreamEntry {
  std::string id;  // "1700000000000-0"
  std::map<std::string, std::string> fields;
};

struct AutoClaimResult {
  std::string next_start_id;  // "0-0" once the whole pending list was scanned
  std::vector<StreamEntry> entries;
  std::vector<std::string> deleted_ids;  // pending ids whose entries were trimmed from the stream
};

class Pool {
 public:
  static constexpr int kPoolSizeMax = 256;
  static constexpr size_t kPipelineCommandsMax = 10'000;
  static constexpr int64_t kStreamCountMax = 10'000;  // entries per read, claim or ack

  // Validates the options. Connects lazily: a service starts (and reports NOT_SERVING through its
  // health check, using Ping) while Redis is still down.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Pool>> Create(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  [[nodiscard]] const PoolOptions& options() const { return options_; }
  [[nodiscard]] std::string Key(absl::string_view key) const;

  // One command, arguments binary-safe ({"SET", key, value}). An error reply becomes a status.
  [[nodiscard]] absl::StatusOr<Reply> Command(std::vector<std::string> args);
  // Several commands in one round trip on one connection (not a transaction: wrap them in
  // MULTI/EXEC for that). One reply per command; error replies stay in the vector as Reply errors
  // (Reply::ToStatus), because the other commands did run. At most kPipelineCommandsMax commands.
  [[nodiscard]] absl::StatusOr<std::vector<Reply>> Pipeline(
      std::vector<std::vector<std::string>> commands);
  // OK when Redis answers PONG. For health checks.
  [[nodiscard]] absl::Status Ping();

  // EVALSHA, falling back to EVAL when the server lost its script cache (NOSCRIPT).
  [[nodiscard]] absl::StatusOr<Reply> Eval(const Script& script, std::vector<std::string> keys,
                                           std::vector<std::string> args);

  // SET key value NX PX ttl: true when this call set the key, false when it already existed.
  [[nodiscard]] absl::StatusOr<bool> SetNxPx(absl::string_view key, absl::string_view value,
                                             absl::Duration ttl);
  // GETDEL: the value, removed atomically (exactly one of many concurrent callers gets it).
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetDel(absl::string_view key);
  // INCR, and PEXPIRE ttl only when the key is new: a fixed window that later calls do not extend.
  // (A counter found without any expiry, e.g. written by hand, gets one too.) Returns the count.
  [[nodiscard]] absl::StatusOr<int64_t> IncrWithExpiry(absl::string_view key, absl::Duration ttl);
  // PUBLISH: the number of subscribers that received the message.
  [[nodiscard]] absl::StatusOr<int64_t> Publish(absl::string_view channel,
                                                absl::string_view message);

  // Streams. XADD stream [MAXLEN ~ maxlen_approx] * fields...; maxlen_approx 0 keeps everything.
  [[nodiscard]] absl::StatusOr<std::string> XAdd(absl::string_view stream,
                                                 const FieldValues& fields, int64_t maxlen_approx);
  // XGROUP CREATE; a group that already exists (BUSYGROUP) is OK. The group starts at `start_id`
  // ("0": every entry already in the stream, "$": only new ones).
  [[nodiscard]] absl::Status XGroupCreate(absl::string_view stream, absl::string_view group,
                                          bool mkstream, absl::string_view start_id = "0");
  // XREADGROUP ... STREAMS stream >: up to `count` entries never delivered to the group. `block`
  // 0 returns at once; otherwise waits up to `block` for entries (holding a pooled connection
  // meanwhile, so keep it short or give consumers their own pool). Empty when none arrived.
  [[nodiscard]] absl::StatusOr<std::vector<StreamEntry>> XReadGroup(absl::string_view group,
                                                                    absl::string_view consumer,
                                                                    absl::string_view stream,
                                                                    int64_t count,
                                                                    absl::Duration block);
  // XACK: how many of `ids` were pending and are now acknowledged.
  [[nodiscard]] absl::StatusOr<int64_t> XAck(absl::string_view stream, absl::string_view group,
                                             const std::vector<std::string>& ids);
  // XAUTOCLAIM: takes over up to `count` entries pending for longer than `min_idle` in any consumer
  // of the group (a consumer that crashed before XACK), scanning from `start_id`.
  [[nodiscard]] absl::StatusOr<AutoClaimResult> XAutoClaim(absl::string_view stream,
                                                           absl::string_view group,
                                                           absl::string_view consumer,
                                                           absl::Duration min_idle, int64_t count,
                                                           absl::string_view start_id = "0-0");

  [[nodiscard]] PoolStats Stats() const;

 private:
  explicit Pool(PoolOptions options);

  // Borrows a connection, sends the commands, reads one reply each (error replies included) and
  // returns the connection (or closes it when it broke). `extra_wait` extends the reply deadline
  // for blocking commands.
  [[nodiscard]] absl::StatusOr<std::vector<Reply>> Run(
      const std::vector<std::vector<std::string>>& commands, absl::Duration extra_wait);
  [[nodiscard]] absl::StatusOr<Reply> RunOne(const std::vector<std::string>& args,
                                             absl::Duration extra_wait);
  [[nodiscard]] absl::StatusOr<std::unique_ptr<internal::Connection>> Borrow();
  void Return(std::unique_ptr<internal::Connection> connection);

  const PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<internal::Connection>> idle_;  // guarded by mutex_
  PoolStats stats_;  // guarded by mutex_ (idle is idle_.size())
};

}  // namespace uwallet::redis
