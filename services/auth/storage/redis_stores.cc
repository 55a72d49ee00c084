#include "services/auth/storage/redis_stores.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "uwallet/common/status.h"
#include "uwallet/redis/script.h"

namespace uwallet::auth {
namespace {

std::string Millis(absl::Duration duration) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(duration)));
}

std::string UnixMillis(absl::Time time) {
  if (time == absl::InfinitePast()) return "0";
  return std::to_string(absl::ToUnixMillis(time));
}

absl::Time FromMillisText(const std::string& text) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(text, &ms) || ms == 0) return absl::InfinitePast();
  return absl::FromUnixMillis(ms);
}

absl::Status Unexpected(absl::string_view what, const redis::Reply& reply) {
  return absl::InternalError(absl::StrCat("unexpected reply to ", what, ": ", reply.DebugString()));
}

// ---- codes ----

const redis::Script& PutCodeScript() {
  static const auto* script = new redis::Script(R"lua(
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'n', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua");
  return *script;
}

// {0} gone, {1} accepted (deleted), {2, attempts_left} wrong (deleted when none are left).
const redis::Script& CheckCodeScript() {
  static const auto* script = new redis::Script(R"lua(
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {0, 0} end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {1, 0}
end
local wrong = redis.call('HINCRBY', KEYS[1], 'n', 1)
local left = tonumber(ARGV[2]) - wrong
if left <= 0 then redis.call('DEL', KEYS[1]) end
return {2, left}
)lua");
  return *script;
}

// ---- rate limits ----

const redis::Script& HitScript() {
  static const auto* script = new redis::Script(R"lua(
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('PTTL', KEYS[1])}
)lua");
  return *script;
}

// ---- sessions ----
// ARGV conventions: the last argument is the key prefix ("<pool prefix>auth:").

const redis::Script& ByTokenScript() {
  // KEYS: tok. ARGV: prefix.
  static const auto* script = new redis::Script(R"lua(
local sid = redis.call('GET', KEYS[1])
if not sid then return false end
local fields = redis.call('HGETALL', ARGV[1] .. 'sess:' .. sid)
if #fields == 0 then
  redis.call('DEL', KEYS[1])
  return false
end
return fields
)lua");
  return *script;
}

const redis::Script& TouchScript() {
  // KEYS: sess. ARGV: seen_ms, ip, keep_ms, prefix.
  static const auto* script = new redis::Script(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1], 'ip', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local th = redis.call('HGET', KEYS[1], 'th')
if th then redis.call('PEXPIRE', ARGV[4] .. 'tok:' .. th, ARGV[3]) end
return 1
)lua");
  return *script;
}

const redis::Script& RotateScript() {
  // KEYS: sess. ARGV: new token hash, step_up_ms, keep_ms, prefix.
  static const auto* script = new redis::Script(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'th')
if old then redis.call('DEL', ARGV[4] .. 'tok:' .. old) end
local sid = redis.call('HGET', KEYS[1], 'sid')
redis.call('HSET', KEYS[1], 'th', ARGV[1], 'su', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', ARGV[4] .. 'tok:' .. ARGV[1], sid, 'PX', ARGV[3])
return 1
)lua");
  return *script;
}

// Revokes one session (its hash, its token and its index entry). Shared by two scripts.
constexpr char kRevokeFunction[] = R"lua(
local function revoke(prefix, sid)
  local key = prefix .. 'sess:' .. sid
  local values = redis.call('HMGET', key, 'th', 'uid')
  if not values[1] and not values[2] then return 0 end
  redis.call('DEL', key)
  if values[1] then redis.call('DEL', prefix .. 'tok:' .. values[1]) end
  if values[2] then redis.call('SREM', prefix .. 'usess:' .. values[2], sid) end
  return 1
end
)lua";

const redis::Script& RevokeScript() {
  // ARGV: prefix, session id.
  static const auto* script = new redis::Script(absl::StrCat(kRevokeFunction, R"lua(
return revoke(ARGV[1], ARGV[2])
)lua"));
  return *script;
}

const redis::Script& RevokeAllScript() {
  // KEYS: usess. ARGV: prefix, except session id ("" for none).
  static const auto* script = new redis::Script(absl::StrCat(kRevokeFunction, R"lua(
local count = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= ARGV[2] then
    count = count + revoke(ARGV[1], sid)
    redis.call('SREM', KEYS[1], sid)
  end
end
return count
)lua"));
  return *script;
}

const redis::Script& CreateSessionScript() {
  // KEYS: sess, tok, usess. ARGV: keep_ms, session id, index_ttl_ms, sessions_max, prefix, field,
  // value, ... The user's least recently seen sessions make room first (at most sessions_max
  // remain); index entries of vanished sessions are dropped on the way.
  static const auto* script = new redis::Script(absl::StrCat(kRevokeFunction, R"lua(
local prefix = ARGV[5]
local live = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local seen = redis.call('HGET', prefix .. 'sess:' .. sid, 'seen')
  if seen then
    live[#live + 1] = {sid, tonumber(seen) or 0}
  else
    redis.call('SREM', KEYS[3], sid)
  end
end
local excess = #live - tonumber(ARGV[4]) + 1
if excess > 0 then
  table.sort(live, function(a, b) return a[2] < b[2] end)
  for i = 1, excess do revoke(prefix, live[i][1]) end
end
redis.call('DEL', KEYS[1])
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return 1
)lua"));
  return *script;
}

const redis::Script& ListScript() {
  // KEYS: usess. ARGV: prefix. Drops index entries whose session expired.
  static const auto* script = new redis::Script(R"lua(
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HGETALL', ARGV[1] .. 'sess:' .. sid)
  if #fields == 0 then
    redis.call('SREM', KEYS[1], sid)
  else
    out[#out + 1] = fields
  end
end
return out
)lua");
  return *script;
}

const redis::Script& MarkVerifiedScript() {
  // KEYS: usess. ARGV: prefix.
  static const auto* script = new redis::Script(R"lua(
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'sess:' .. sid
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'cv', '1') end
end
return 1
)lua");
  return *script;
}

constexpr absl::Duration kUserIndexTtl = absl::Hours(24);

std::vector<std::string> SessionFields(const SessionRecord& s, absl::string_view token_hash) {
  return {"sid",     s.session_id,
          "uid",     s.user_id,
          "roles",   absl::StrJoin(s.roles, ","),
          "cv",      s.contact_verified ? "1" : "0",
          "did",     s.device.device_id,
          "dname",   s.device.name,
          "dplat",   std::to_string(s.device.platform),
          "dapp",    s.device.app_version,
          "ip",      s.ip,
          "created", UnixMillis(s.created_at),
          "seen",    UnixMillis(s.last_seen_at),
          "exp",     UnixMillis(s.expires_at),
          "su",      UnixMillis(s.step_up_at),
          "th",      std::string(token_hash)};
}

absl::StatusOr<SessionRecord> SessionFromFields(const redis::Reply& reply) {
  if (!reply.IsArray() || reply.elements().size() % 2 != 0) {
    return Unexpected("session fields", reply);
  }
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < reply.elements().size(); i += 2) {
    fields[reply.elements()[i].str()] = reply.elements()[i + 1].str();
  }
  SessionRecord s;
  s.session_id = fields["sid"];
  s.user_id = fields["uid"];
  s.roles = absl::StrSplit(fields["roles"], ',', absl::SkipEmpty());
  s.contact_verified = fields["cv"] == "1";
  s.device.device_id = fields["did"];
  s.device.name = fields["dname"];
  (void)absl::SimpleAtoi(fields["dplat"], &s.device.platform);
  s.device.app_version = fields["dapp"];
  s.ip = fields["ip"];
  s.created_at = FromMillisText(fields["created"]);
  s.last_seen_at = FromMillisText(fields["seen"]);
  s.expires_at = FromMillisText(fields["exp"]);
  s.step_up_at = FromMillisText(fields["su"]);
  if (s.session_id.empty() || s.user_id.empty()) return Unexpected("session fields", reply);
  return s;
}

}  // namespace

// ---- RedisCodeStore ----

absl::Status RedisCodeStore::Put(absl::string_view key, absl::string_view code_hash,
                                 absl::Duration ttl) {
  return pool_
      .Eval(PutCodeScript(), {pool_.Key(absl::StrCat("auth:", key))},
            {std::string(code_hash), Millis(ttl)})
      .status();
}

absl::StatusOr<CodeCheck> RedisCodeStore::Check(absl::string_view key, absl::string_view code_hash,
                                                int max_attempts) {
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Eval(CheckCodeScript(), {pool_.Key(absl::StrCat("auth:", key))},
                                 {std::string(code_hash), std::to_string(max_attempts)}));
  if (!reply.IsArray() || reply.elements().size() != 2 || !reply.elements()[0].IsInteger() ||
      !reply.elements()[1].IsInteger()) {
    return Unexpected("code check", reply);
  }
  const int64_t outcome = reply.elements()[0].integer();
  CodeCheck check;
  check.result = outcome == 1   ? CodeCheckResult::kAccepted
                 : outcome == 2 ? CodeCheckResult::kWrong
                                : CodeCheckResult::kGone;
  check.attempts_left = static_cast<int>(reply.elements()[1].integer());
  return check;
}

absl::StatusOr<bool> RedisCodeStore::Exists(absl::string_view key) {
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Command({"EXISTS", pool_.Key(absl::StrCat("auth:", key))}));
  UW_ASSIGN_OR_RETURN(int64_t count, reply.AsInteger());
  return count > 0;
}

// ---- RedisRateLimiter ----

absl::StatusOr<RateDecision> RedisRateLimiter::Hit(absl::string_view key, int64_t limit,
                                                   absl::Duration window) {
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_.Eval(HitScript(), {pool_.Key(absl::StrCat("auth:", key))}, {Millis(window)}));
  if (!reply.IsArray() || reply.elements().size() != 2 || !reply.elements()[0].IsInteger() ||
      !reply.elements()[1].IsInteger()) {
    return Unexpected("rate limit", reply);
  }
  RateDecision decision;
  decision.count = reply.elements()[0].integer();
  decision.allowed = decision.count <= limit;
  decision.retry_after = absl::Milliseconds(std::max<int64_t>(0, reply.elements()[1].integer()));
  return decision;
}

absl::Status RedisRateLimiter::Reset(absl::string_view key) {
  return pool_.Command({"DEL", pool_.Key(absl::StrCat("auth:", key))}).status();
}

// ---- RedisTokenStore ----

absl::Status RedisTokenStore::Put(absl::string_view key, absl::string_view value,
                                  absl::Duration ttl) {
  return pool_
      .Command(
          {"SET", pool_.Key(absl::StrCat("auth:", key)), std::string(value), "PX", Millis(ttl)})
      .status();
}

absl::StatusOr<std::optional<std::string>> RedisTokenStore::Get(absl::string_view key) {
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Command({"GET", pool_.Key(absl::StrCat("auth:", key))}));
  if (reply.IsNil()) return std::optional<std::string>();
  UW_ASSIGN_OR_RETURN(std::string value, reply.AsString());
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<std::string>> RedisTokenStore::Take(absl::string_view key) {
  return pool_.GetDel(pool_.Key(absl::StrCat("auth:", key)));
}

absl::Status RedisTokenStore::Delete(absl::string_view key) {
  return pool_.Command({"DEL", pool_.Key(absl::StrCat("auth:", key))}).status();
}

// ---- RedisSessionStore ----

std::string RedisSessionStore::Prefix() const { return pool_.Key("auth:"); }

absl::Status RedisSessionStore::Create(const SessionRecord& session, absl::string_view token_hash,
                                       absl::Duration keep_for, int sessions_max) {
  if (sessions_max < 1) return absl::InvalidArgumentError("sessions_max must be at least 1");
  const std::string prefix = Prefix();
  std::vector<std::string> args = {Millis(keep_for), session.session_id, Millis(kUserIndexTtl),
                                   std::to_string(sessions_max), prefix};
  for (std::string& field : SessionFields(session, token_hash)) args.push_back(std::move(field));
  return pool_
      .Eval(CreateSessionScript(),
            {absl::StrCat(prefix, "sess:", session.session_id),
             absl::StrCat(prefix, "tok:", token_hash),
             absl::StrCat(prefix, "usess:", session.user_id)},
            std::move(args))
      .status();
}

absl::StatusOr<std::optional<SessionRecord>> RedisSessionStore::ByTokenHash(
    absl::string_view token_hash) {
  const std::string prefix = Prefix();
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_.Eval(ByTokenScript(), {absl::StrCat(prefix, "tok:", token_hash)}, {prefix}));
  if (reply.IsNil()) return std::optional<SessionRecord>();
  UW_ASSIGN_OR_RETURN(SessionRecord session, SessionFromFields(reply));
  return std::optional<SessionRecord>(std::move(session));
}

absl::StatusOr<std::optional<SessionRecord>> RedisSessionStore::ById(absl::string_view session_id) {
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Command({"HGETALL", absl::StrCat(Prefix(), "sess:", session_id)}));
  if (!reply.IsArray() || reply.elements().empty()) return std::optional<SessionRecord>();
  UW_ASSIGN_OR_RETURN(SessionRecord session, SessionFromFields(reply));
  return std::optional<SessionRecord>(std::move(session));
}

absl::StatusOr<bool> RedisSessionStore::Touch(absl::string_view session_id, absl::Time last_seen_at,
                                              absl::string_view ip, absl::Duration keep_for) {
  const std::string prefix = Prefix();
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_.Eval(TouchScript(), {absl::StrCat(prefix, "sess:", session_id)},
                 {UnixMillis(last_seen_at), std::string(ip), Millis(keep_for), prefix}));
  UW_ASSIGN_OR_RETURN(int64_t alive, reply.AsInteger());
  return alive == 1;
}

absl::StatusOr<bool> RedisSessionStore::Rotate(absl::string_view session_id,
                                               absl::string_view new_token_hash,
                                               absl::Time step_up_at, absl::Duration keep_for) {
  const std::string prefix = Prefix();
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_.Eval(RotateScript(), {absl::StrCat(prefix, "sess:", session_id)},
                 {std::string(new_token_hash), UnixMillis(step_up_at), Millis(keep_for), prefix}));
  UW_ASSIGN_OR_RETURN(int64_t alive, reply.AsInteger());
  return alive == 1;
}

absl::StatusOr<std::vector<SessionRecord>> RedisSessionStore::ListForUser(
    absl::string_view user_id) {
  const std::string prefix = Prefix();
  UW_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_.Eval(ListScript(), {absl::StrCat(prefix, "usess:", user_id)}, {prefix}));
  std::vector<SessionRecord> sessions;
  if (!reply.IsArray()) return Unexpected("session list", reply);
  for (const redis::Reply& fields : reply.elements()) {
    UW_ASSIGN_OR_RETURN(SessionRecord session, SessionFromFields(fields));
    sessions.push_back(std::move(session));
  }
  return sessions;
}

absl::StatusOr<bool> RedisSessionStore::Revoke(absl::string_view session_id) {
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Eval(RevokeScript(), {}, {Prefix(), std::string(session_id)}));
  UW_ASSIGN_OR_RETURN(int64_t existed, reply.AsInteger());
  return existed == 1;
}

absl::StatusOr<int> RedisSessionStore::RevokeAllForUser(absl::string_view user_id,
                                                        absl::string_view except_session_id) {
  const std::string prefix = Prefix();
  UW_ASSIGN_OR_RETURN(redis::Reply reply,
                      pool_.Eval(RevokeAllScript(), {absl::StrCat(prefix, "usess:", user_id)},
                                 {prefix, std::string(except_session_id)}));
  UW_ASSIGN_OR_RETURN(int64_t count, reply.AsInteger());
  return static_cast<int>(count);
}

absl::Status RedisSessionStore::MarkContactVerified(absl::string_view user_id) {
  const std::string prefix = Prefix();
  return pool_.Eval(MarkVerifiedScript(), {absl::StrCat(prefix, "usess:", user_id)}, {prefix})
      .status();
}

}  // namespace uwallet::auth
