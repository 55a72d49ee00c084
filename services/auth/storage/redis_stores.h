#pragma once
// The short-lived auth state in Redis: verification codes, rate-limit counters, challenges and
// step-up tokens, and sessions. Every key lives under the pool's prefix plus "auth:". Each
// multi-step change is one Lua script, so concurrent callers see it whole or not at all.
//
// Keys (after the pool prefix):
//   auth:code:<purpose>:<sha256(destination)>  hash {h: code hash, n: wrong tries}
//   auth:rl:...                                 fixed-window counters
//   auth:chal:<sha256(challenge id)>            second-factor challenge (JSON)
//   auth:stepup:<sha256(token)>                 step-up token
//   auth:sess:<session id>                      hash: the session
//   auth:tok:<sha256(token)>                    session id (the bearer token never stored)
//   auth:usess:<user id>                        set of the user's session ids
//
// The session scripts reach keys named inside the script (the user's sessions), which a Redis
// Cluster would refuse; a clustered deployment needs hash tags per user first (README).

#include "services/auth/core/ports.h"
#include "uwallet/redis/pool.h"

namespace uwallet::auth {

class RedisCodeStore final : public CodeStore {
 public:
  explicit RedisCodeStore(redis::Pool& pool) : pool_(pool) {}
  [[nodiscard]] absl::Status Put(absl::string_view key, absl::string_view code_hash,
                                 absl::Duration ttl) override;
  [[nodiscard]] absl::StatusOr<CodeCheck> Check(absl::string_view key, absl::string_view code_hash,
                                                int max_attempts) override;
  [[nodiscard]] absl::StatusOr<bool> Exists(absl::string_view key) override;

 private:
  redis::Pool& pool_;
};

class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(redis::Pool& pool) : pool_(pool) {}
  [[nodiscard]] absl::StatusOr<RateDecision> Hit(absl::string_view key, int64_t limit,
                                                 absl::Duration window) override;
  [[nodiscard]] absl::Status Reset(absl::string_view key) override;

 private:
  redis::Pool& pool_;
};

class RedisTokenStore final : public TokenStore {
 public:
  explicit RedisTokenStore(redis::Pool& pool) : pool_(pool) {}
  [[nodiscard]] absl::Status Put(absl::string_view key, absl::string_view value,
                                 absl::Duration ttl) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Take(absl::string_view key) override;
  [[nodiscard]] absl::Status Delete(absl::string_view key) override;

 private:
  redis::Pool& pool_;
};

class RedisSessionStore final : public SessionStore {
 public:
  explicit RedisSessionStore(redis::Pool& pool) : pool_(pool) {}
  [[nodiscard]] absl::Status Create(const SessionRecord& session, absl::string_view token_hash,
                                    absl::Duration keep_for, int sessions_max) override;
  [[nodiscard]] absl::StatusOr<std::optional<SessionRecord>> ByTokenHash(
      absl::string_view token_hash) override;
  [[nodiscard]] absl::StatusOr<std::optional<SessionRecord>> ById(
      absl::string_view session_id) override;
  [[nodiscard]] absl::StatusOr<bool> Touch(absl::string_view session_id, absl::Time last_seen_at,
                                           absl::string_view ip, absl::Duration keep_for) override;
  [[nodiscard]] absl::StatusOr<bool> Rotate(absl::string_view session_id,
                                            absl::string_view new_token_hash, absl::Time step_up_at,
                                            absl::Duration keep_for) override;
  [[nodiscard]] absl::StatusOr<std::vector<SessionRecord>> ListForUser(
      absl::string_view user_id) override;
  [[nodiscard]] absl::StatusOr<bool> Revoke(absl::string_view session_id) override;
  [[nodiscard]] absl::StatusOr<int> RevokeAllForUser(absl::string_view user_id,
                                                     absl::string_view except_session_id) override;
  [[nodiscard]] absl::Status MarkContactVerified(absl::string_view user_id) override;

 private:
  [[nodiscard]] std::string Prefix() const;
  redis::Pool& pool_;
};

}  // namespace uwallet::auth
