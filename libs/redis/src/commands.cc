// The atomic helpers on Pool: single-use values, fixed-window counters, pub/sub publishing.

#include <utility>

#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"
#include "uwallet/redis/pool.h"

namespace uwallet::redis {
namespace {

absl::StatusOr<std::string> TtlMilliseconds(absl::Duration ttl, absl::string_view command) {
  if (ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis ", command, ": ttl ", absl::FormatDuration(ttl), " is below 1ms"));
  }
  return absl::StrCat(absl::ToInt64Milliseconds(ttl));
}

absl::Status Unexpected(absl::string_view command, const Reply& reply) {
  return absl::InternalError(
      absl::StrCat("redis: unexpected reply to ", command, ": ", reply.DebugString()));
}

// INCR; PEXPIRE only when this INCR created the key (so later calls never extend the window), or
// when the key somehow has no expiry (a counter that would otherwise never reset).
const Script& IncrWithExpiryScript() {
  static const Script* script = new Script(R"lua(
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
)lua");
  return *script;
}

}  // namespace

absl::StatusOr<bool> Pool::SetNxPx(absl::string_view key, absl::string_view value,
                                   absl::Duration ttl) {
  UW_ASSIGN_OR_RETURN(std::string ttl_ms, TtlMilliseconds(ttl, "SET NX PX"));
  UW_ASSIGN_OR_RETURN(Reply reply, Command({"SET", std::string(key), std::string(value), "NX", "PX",
                                            std::move(ttl_ms)}));
  if (reply.IsNil()) return false;
  if (reply.IsStatus() && reply.str() == "OK") return true;
  return Unexpected("SET NX PX", reply);
}

absl::StatusOr<std::optional<std::string>> Pool::GetDel(absl::string_view key) {
  UW_ASSIGN_OR_RETURN(Reply reply, Command({"GETDEL", std::string(key)}));
  if (reply.IsNil()) return std::optional<std::string>();
  if (reply.IsString()) return std::optional<std::string>(reply.str());
  return Unexpected("GETDEL", reply);
}

absl::StatusOr<int64_t> Pool::IncrWithExpiry(absl::string_view key, absl::Duration ttl) {
  UW_ASSIGN_OR_RETURN(std::string ttl_ms, TtlMilliseconds(ttl, "IncrWithExpiry"));
  UW_ASSIGN_OR_RETURN(Reply reply,
                      Eval(IncrWithExpiryScript(), {std::string(key)}, {std::move(ttl_ms)}));
  if (!reply.IsInteger()) return Unexpected("IncrWithExpiry", reply);
  return reply.integer();
}

absl::StatusOr<int64_t> Pool::Publish(absl::string_view channel, absl::string_view message) {
  UW_ASSIGN_OR_RETURN(Reply reply,
                      Command({"PUBLISH", std::string(channel), std::string(message)}));
  if (!reply.IsInteger()) return Unexpected("PUBLISH", reply);
  return reply.integer();
}

}  // namespace uwallet::redis
