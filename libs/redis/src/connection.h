#pragma once
// One blocking hiredis connection with deadlines. Internal to libs/redis: the only place that
// touches hiredis types.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "uwallet/redis/pool.h"
#include "uwallet/redis/reply.h"

struct redisContext;
struct redisReply;

namespace uwallet::redis::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

[[nodiscard]] SteadyTime DeadlineAfter(absl::Duration duration);

// Copies a hiredis reply (and its children) into a Reply. Null (no reply) is nil.
[[nodiscard]] Reply ConvertReply(const redisReply* reply);

class Connection {
 public:
  // Connects within options.connect_timeout, then AUTH and CLIENT SETNAME when configured.
  // UNAVAILABLE when Redis cannot be reached.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Connection>> Open(const PoolOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command (writes are bounded by the command timeout set on the socket).
  [[nodiscard]] absl::Status Send(const std::vector<std::vector<std::string>>& commands,
                                  SteadyTime deadline);
  // The next reply, or nullopt when none arrived before `deadline` (the connection stays usable:
  // the caller decides whether an outstanding reply makes it broken).
  [[nodiscard]] absl::StatusOr<std::optional<Reply>> Read(SteadyTime deadline);
  // Send, then one reply per command. A timeout marks the connection broken.
  [[nodiscard]] absl::StatusOr<std::vector<Reply>> Execute(
      const std::vector<std::vector<std::string>>& commands, SteadyTime deadline);

  // False once an I/O error, timeout or protocol error happened: close it, never reuse it.
  [[nodiscard]] bool healthy() const { return !broken_; }
  void MarkBroken() { broken_ = true; }
  // Non-blocking check of an idle connection: false when the server closed it (or sent something
  // unrequested, which would desynchronise replies).
  [[nodiscard]] bool LooksAlive();

 private:
  Connection(redisContext* context, std::string address);
  [[nodiscard]] absl::Status IoError(absl::string_view what);

  redisContext* const context_;
  const std::string address_;  // "redis 127.0.0.1:6379", for messages
  bool broken_ = false;
};

}  // namespace uwallet::redis::internal
