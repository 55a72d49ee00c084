#pragma once
// A pub/sub subscriber on its own dedicated connection (a subscribed connection can do nothing
// else, so it never comes from a Pool). Pub/sub is at-most-once: messages published while the
// connection is down are lost. After a lost connection, Next reconnects and subscribes again to
// every channel; reconnects() grows by one each time, so a caller (live chat) can re-read what it
// may have missed from durable storage.
//
// Not thread-safe: one thread owns a Subscriber and calls Next in a loop.

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "uwallet/redis/pool.h"

namespace uwallet::redis {

struct Message {
  std::string channel;
  std::string payload;
};

class Subscriber {
 public:
  static constexpr size_t kChannelsMax = 1'000;
  static constexpr size_t kBufferedMessagesMax = 10'000;

  // Uses host, port, password, client_name, the timeouts and key_prefix of `options` (pool_size
  // and wait_timeout do not apply). Connects on the first Subscribe.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Subscriber>> Create(PoolOptions options);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  [[nodiscard]] std::string Key(absl::string_view key) const;

  // SUBSCRIBE to `channels` (full names: build them with Key) and wait for Redis to confirm, so a
  // message published after this returns is delivered. UNAVAILABLE when Redis cannot be reached;
  // the channels are remembered and Next keeps trying to subscribe.
  [[nodiscard]] absl::Status Subscribe(std::vector<std::string> channels);

  // The next message. DEADLINE_EXCEEDED when none arrived within `timeout`; UNAVAILABLE when the
  // connection is down and could not be re-established within `timeout` (it retries with backoff
  // meanwhile, so calling Next in a loop never spins).
  [[nodiscard]] absl::StatusOr<Message> Next(absl::Duration timeout);

  [[nodiscard]] int64_t reconnects() const { return reconnects_; }

 private:
  explicit Subscriber(PoolOptions options);
  [[nodiscard]] absl::Status Connect();
  [[nodiscard]] absl::Status SendSubscribe(const std::vector<std::string>& channels);
  void Buffer(Message message);

  const PoolOptions options_;
  std::unique_ptr<internal::Connection> connection_;
  std::set<std::string> channels_;
  std::deque<Message> buffered_;  // messages that arrived while waiting for confirmations
  bool connected_before_ = false;
  int64_t reconnects_ = 0;
};

}  // namespace uwallet::redis
