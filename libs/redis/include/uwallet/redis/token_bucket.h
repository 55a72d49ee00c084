#pragma once
// A token bucket in Redis for rate limits shared by every gateway replica: a bucket holds up to
// `capacity` tokens, refills continuously at `refill_per_second`, and each request takes `cost`
// tokens or is refused with the time until enough tokens are back. One Lua script reads, refills,
// takes and writes, so concurrent requests never both spend the same token. An untouched bucket
// expires once it would be full again, so idle keys do not pile up.

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/clock.h"
#include "uwallet/redis/pool.h"

namespace uwallet::redis {

struct TokenBucketOptions {
  int64_t capacity = 0;          // burst size, >= 1
  double refill_per_second = 0;  // > 0; fractions allowed (0.5 = one token every 2 s)
};

struct TokenBucketDecision {
  bool allowed = false;
  int64_t retry_after_ms = 0;  // when refused: wait at least this long before trying again
  int64_t remaining = 0;       // whole tokens left after this request
};

class TokenBucket {
 public:
  // `clock` null: the time comes from the Redis server (TIME), the same for every replica. A clock
  // (a FakeClock in tests) supplies the time instead.
  TokenBucket(Pool& pool, TokenBucketOptions options, const Clock* clock = nullptr);

  // Takes `cost` tokens from the bucket at `key` (a full key: build it with Pool::Key).
  // INVALID_ARGUMENT when the options are invalid or cost is not in 1..capacity.
  [[nodiscard]] absl::StatusOr<TokenBucketDecision> Take(absl::string_view key, int64_t cost = 1);

 private:
  Pool& pool_;
  const TokenBucketOptions options_;
  const Clock* const clock_;
};

}  // namespace uwallet::redis
