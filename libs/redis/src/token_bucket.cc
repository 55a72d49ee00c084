#include "uwallet/redis/token_bucket.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uwallet/common/status.h"

namespace uwallet::redis {
namespace {

// KEYS[1]: the bucket (a hash: tokens, ts). ARGV: capacity, refill per millisecond, cost, and the
// time in Unix milliseconds ("" = ask the server, so every replica shares one clock). Tokens are
// fractional so slow refill rates (0.5 per second) work.
const Script& TokenBucketScript() {
  static const Script* script = new Script(R"lua(
local capacity = tonumber(ARGV[1])
local rate_per_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now_ms
if ARGV[4] == '' then
  local time = redis.call('TIME')
  now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
else
  now_ms = tonumber(ARGV[4])
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local last_ms = tonumber(state[2])
if tokens == nil or last_ms == nil then
  tokens = capacity
  last_ms = now_ms
end
if now_ms > last_ms then
  tokens = math.min(capacity, tokens + (now_ms - last_ms) * rate_per_ms)
  last_ms = now_ms
end
local allowed = 0
local retry_after_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_after_ms = math.ceil((cost - tokens) / rate_per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(last_ms))
-- Once the bucket would be full again the key carries no information: let it expire then.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate_per_ms) + 1000)
return {allowed, retry_after_ms, math.floor(tokens)}
)lua");
  return *script;
}

}  // namespace

TokenBucket::TokenBucket(Pool& pool, TokenBucketOptions options, const Clock* clock)
    : pool_(pool), options_(options), clock_(clock) {}

absl::StatusOr<TokenBucketDecision> TokenBucket::Take(absl::string_view key, int64_t cost) {
  if (options_.capacity < 1 || !(options_.refill_per_second > 0) ||
      !std::isfinite(options_.refill_per_second)) {
    return absl::InvalidArgumentError(
        "token bucket: capacity must be >= 1 and refill_per_second > 0");
  }
  if (cost < 1 || cost > options_.capacity) {
    return absl::InvalidArgumentError(
        absl::StrCat("token bucket: cost ", cost, " is not in 1..", options_.capacity));
  }
  std::vector<std::string> args = {
      absl::StrCat(options_.capacity), absl::StrFormat("%.17g", options_.refill_per_second / 1000),
      absl::StrCat(cost),
      clock_ == nullptr ? std::string() : absl::StrCat(absl::ToUnixMillis(clock_->Now()))};
  UW_ASSIGN_OR_RETURN(Reply reply, pool_.Eval(TokenBucketScript(), {std::string(key)}, args));
  if (!reply.IsArray() || reply.elements().size() != 3) {
    return absl::InternalError(
        absl::StrCat("token bucket: unexpected reply ", reply.DebugString()));
  }
  TokenBucketDecision decision;
  UW_ASSIGN_OR_RETURN(int64_t allowed, reply.elements()[0].AsInteger());
  UW_ASSIGN_OR_RETURN(decision.retry_after_ms, reply.elements()[1].AsInteger());
  UW_ASSIGN_OR_RETURN(decision.remaining, reply.elements()[2].AsInteger());
  decision.allowed = allowed == 1;
  return decision;
}

}  // namespace uwallet::redis
