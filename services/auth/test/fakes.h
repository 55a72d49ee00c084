#pragma once
// In-memory implementations of the auth ports for unit tests of the core. Time-limited entries
// expire by the injected clock, so TTL rules are tested without sleeping. Each fake can be told
// to fail as if its server were down.

#include <map>
#include <mutex>
#include <set>

#include "services/auth/core/ports.h"
#include "uwallet/common/clock.h"

namespace uwallet::auth::testing {

// Transactions run one at a time on a copy of the state that replaces it only on success, so a
// failing body rolls back like a database transaction.
class FakeAuthStore final : public AuthStore {
 public:
  struct State {
    std::map<std::string, User> users;
    std::map<std::string, std::string> password_hashes;
    std::map<std::string, LockState> lockouts;
    std::map<std::pair<std::string, std::string>, KnownDevice> devices;
    std::map<std::string, TotpRecord> totp;
    std::map<std::pair<std::string, std::string>, bool> recovery_codes;  // -> used
    std::vector<SecurityEvent> events;
    std::vector<AuditEntry> audit;
  };

  [[nodiscard]] absl::Status Transact(const std::function<absl::Status(AuthTx&)>& body) override;
  [[nodiscard]] absl::StatusOr<std::optional<SignInCandidate>> FindSignInCandidate(
      const Contact& contact, const Device& device) override;

  // Read access for assertions (copies, under the lock).
  [[nodiscard]] State Snapshot() const;
  [[nodiscard]] int CountEvents(absl::string_view user_id, SecurityEventKind kind) const;
  bool unavailable = false;

 private:
  mutable std::mutex mutex_;
  State state_;
};

class FakeCodeStore final : public CodeStore {
 public:
  explicit FakeCodeStore(const Clock& clock) : clock_(clock) {}
  [[nodiscard]] absl::Status Put(absl::string_view key, absl::string_view code_hash,
                                 absl::Duration ttl) override;
  [[nodiscard]] absl::StatusOr<CodeCheck> Check(absl::string_view key, absl::string_view code_hash,
                                                int max_attempts) override;
  [[nodiscard]] absl::StatusOr<bool> Exists(absl::string_view key) override;
  bool unavailable = false;

 private:
  struct Entry {
    std::string hash;
    int wrong = 0;
    absl::Time expires_at;
  };
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

class FakeRateLimiter final : public RateLimiter {
 public:
  explicit FakeRateLimiter(const Clock& clock) : clock_(clock) {}
  [[nodiscard]] absl::StatusOr<RateDecision> Hit(absl::string_view key, int64_t limit,
                                                 absl::Duration window) override;
  [[nodiscard]] absl::Status Reset(absl::string_view key) override;
  bool unavailable = false;

 private:
  struct Window {
    int64_t count = 0;
    absl::Time ends_at;
  };
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

class FakeTokenStore final : public TokenStore {
 public:
  explicit FakeTokenStore(const Clock& clock) : clock_(clock) {}
  [[nodiscard]] absl::Status Put(absl::string_view key, absl::string_view value,
                                 absl::Duration ttl) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Take(absl::string_view key) override;
  [[nodiscard]] absl::Status Delete(absl::string_view key) override;
  bool unavailable = false;

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, absl::Time>> values_;
};

class FakeSessionStore final : public SessionStore {
 public:
  explicit FakeSessionStore(const Clock& clock) : clock_(clock) {}
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
  bool unavailable = false;

 private:
  struct Entry {
    SessionRecord session;
    std::string token_hash;
    absl::Time kept_until;
  };
  [[nodiscard]] Entry* Live(absl::string_view session_id);  // under mutex_
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry> sessions_;        // by session id
  std::map<std::string, std::string> by_token_;  // token hash -> session id
};

}  // namespace uwallet::auth::testing
