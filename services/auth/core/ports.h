#pragma once
// What the auth core needs from the outside world, as small interfaces: the durable store
// (PostgreSQL in storage/pg_store.h, in-memory in test/fakes.h) and the short-lived stores
// (Redis in storage/redis_stores.h). The core never sees SQL, Lua or a connection.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/core/types.h"

namespace uwallet::auth {

// How many of a user's most recently used devices count as known (the new-device check) and are
// listed (AuthTx::Devices).
inline constexpr int kKnownDevicesMax = 100;

// What a sign-in needs before the password is checked, read in one go.
struct SignInCandidate {
  User user;
  std::string password_hash;
  LockState lock;
  bool totp_enabled = false;
  bool has_devices = false;  // the user has signed in from some device before
  // The device asked about is among the kKnownDevicesMax most recent and presented its secret.
  bool device_known = false;
};

// A successful sign-in's view of the user under its row locks (users and lockouts).
struct SignInLock {
  User user;
  LockState lock;
  // The device asked about has signed in before and presented its secret; read after the locks.
  bool device_known = false;
};

// Every write of a successful sign-in.
struct SignInRecord {
  std::string user_id;
  absl::Time now = absl::InfinitePast();  // the new last_login_at and the device's last_seen_at
  bool clear_lockout = false;
  std::optional<Device> device;  // recorded (first or last seen) when set
  // Set with `device`: the hash of the new secret the device is given (replaces the stored one).
  std::string new_device_secret_hash;
  std::string ip;
  std::vector<SecurityEvent> events;  // each with its outbox event, as AppendSecurityEvent
};

// One transaction on the durable store. Everything done through one AuthTx commits or rolls back
// together, security events and their outbox rows included. `for_update` locks the row until the
// end of the transaction.
class AuthTx {
 public:
  virtual ~AuthTx() = default;

  [[nodiscard]] virtual absl::StatusOr<std::optional<User>> UserById(absl::string_view user_id,
                                                                     bool for_update) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<User>> UserByContact(const Contact& contact,
                                                                          bool for_update) = 0;
  // Inserts the user with its credentials and an empty lockout row. ALREADY_EXISTS with reason
  // CONTACT_ALREADY_REGISTERED when the phone or email belongs to another account.
  [[nodiscard]] virtual absl::Status InsertUser(const User& user,
                                                absl::string_view password_hash) = 0;
  // Writes every field of `user` (by user_id); the same ALREADY_EXISTS for a taken contact.
  [[nodiscard]] virtual absl::Status UpdateUser(const User& user) = 0;
  [[nodiscard]] virtual absl::StatusOr<bool> AnyUserWithRole(absl::string_view role) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<User>> FindUsers(const UserQuery& query) = 0;

  [[nodiscard]] virtual absl::StatusOr<std::string> PasswordHash(absl::string_view user_id) = 0;
  [[nodiscard]] virtual absl::Status SetPasswordHash(absl::string_view user_id,
                                                     absl::string_view hash, absl::Time now) = 0;

  [[nodiscard]] virtual absl::StatusOr<LockState> Lockout(absl::string_view user_id,
                                                          bool for_update) = 0;
  // The lockout state of each of `user_ids` (a user without a lockout row: a cleared state).
  [[nodiscard]] virtual absl::StatusOr<std::map<std::string, LockState>> Lockouts(
      const std::vector<std::string>& user_ids) = 0;
  [[nodiscard]] virtual absl::Status SetLockout(absl::string_view user_id,
                                                const LockState& state) = 0;

  // Records a sign-in from `device`; true when the user had never signed in from it.
  [[nodiscard]] virtual absl::StatusOr<bool> TouchDevice(absl::string_view user_id,
                                                         const Device& device, absl::string_view ip,
                                                         absl::Time now) = 0;
  // The user's kKnownDevicesMax most recently used devices, most recent first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<KnownDevice>> Devices(
      absl::string_view user_id) = 0;
  // Drops the device's secret (it stays recorded) and returns the device as recorded (no
  // secret); empty when the user has no such device.
  [[nodiscard]] virtual absl::StatusOr<std::optional<Device>> ForgetDevice(
      absl::string_view user_id, absl::string_view device_id) = 0;
  // Drops every device secret of the user; how many devices held one.
  [[nodiscard]] virtual absl::StatusOr<int> ForgetAllDevices(absl::string_view user_id) = 0;

  // A successful sign-in: locks the user's row and lockout row (as UserById and Lockout with
  // for_update), then tells whether `device` (its id may be empty) has signed in before with the
  // secret it presents (Device::secret_hash). Empty when there is no such user.
  [[nodiscard]] virtual absl::StatusOr<std::optional<SignInLock>> LockForSignIn(
      absl::string_view user_id, const Device& device) = 0;
  // Writes a sign-in: last_login_at, the lockout cleared (when asked), the device, the events.
  // The last call of its transaction: the PostgreSQL store commits in the same round trip.
  [[nodiscard]] virtual absl::Status RecordSignIn(const SignInRecord& record) = 0;

  [[nodiscard]] virtual absl::StatusOr<std::optional<TotpRecord>> Totp(absl::string_view user_id,
                                                                       bool for_update) = 0;
  [[nodiscard]] virtual absl::Status PutTotp(const TotpRecord& record) = 0;
  // Removes the TOTP secret and every recovery code.
  [[nodiscard]] virtual absl::Status DeleteTotp(absl::string_view user_id) = 0;
  // Stores `counter` as the last accepted one only when it is greater than the stored one; false
  // otherwise (a replayed or older code). Atomic on its own.
  [[nodiscard]] virtual absl::StatusOr<bool> AdvanceTotpCounter(absl::string_view user_id,
                                                                int64_t counter) = 0;
  [[nodiscard]] virtual absl::Status ReplaceRecoveryCodes(
      absl::string_view user_id, const std::vector<std::string>& code_hashes) = 0;
  // Marks an unused code used; false when there is no such unused code. Atomic on its own.
  [[nodiscard]] virtual absl::StatusOr<bool> UseRecoveryCode(absl::string_view user_id,
                                                             absl::string_view code_hash,
                                                             absl::Time now) = 0;
  [[nodiscard]] virtual absl::StatusOr<int> UnusedRecoveryCodes(absl::string_view user_id) = 0;

  // Writes the per-user history row and the outbox event (type OutboxEventType(kind)).
  [[nodiscard]] virtual absl::Status AppendSecurityEvent(const SecurityEvent& event) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<SecurityEvent>> RecentSecurityEvents(
      absl::string_view user_id, int limit) = 0;

  [[nodiscard]] virtual absl::Status AppendAudit(const AuditEntry& entry) = 0;
  // Newest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit(
      const AuditFilter& filter) = 0;
};

class AuthStore {
 public:
  virtual ~AuthStore() = default;
  // Runs `body` in one transaction. The body may run more than once (serialisation retries), so
  // it must only touch the transaction. UNAVAILABLE when the database cannot be reached.
  [[nodiscard]] virtual absl::Status Transact(const std::function<absl::Status(AuthTx&)>& body) = 0;
  // The user who owns `contact`, with the password hash, lockout, TOTP state and whether
  // `device` is known (its id among the recent ones, with the secret it presents), as one
  // consistent read (no transaction needed). Empty when nobody owns the contact.
  [[nodiscard]] virtual absl::StatusOr<std::optional<SignInCandidate>> FindSignInCandidate(
      const Contact& contact, const Device& device) = 0;
};

// Verification codes, one live code per key (purpose + destination).
enum class CodeCheckResult { kAccepted, kWrong, kGone };
struct CodeCheck {
  CodeCheckResult result = CodeCheckResult::kGone;
  int attempts_left = 0;  // for kWrong
};

class CodeStore {
 public:
  virtual ~CodeStore() = default;
  // Stores the hash of a new code under `key`, replacing (killing) any previous one.
  [[nodiscard]] virtual absl::Status Put(absl::string_view key, absl::string_view code_hash,
                                         absl::Duration ttl) = 0;
  // Atomically: no code -> kGone; the right hash -> the code is deleted, kAccepted (exactly once
  // however many callers race); a wrong hash -> one attempt used, kWrong, and the code is deleted
  // when `max_attempts` wrong tries are reached.
  [[nodiscard]] virtual absl::StatusOr<CodeCheck> Check(absl::string_view key,
                                                        absl::string_view code_hash,
                                                        int max_attempts) = 0;
  // True when a live code exists under `key` (no attempt is used).
  [[nodiscard]] virtual absl::StatusOr<bool> Exists(absl::string_view key) = 0;
};

struct RateDecision {
  bool allowed = true;
  int64_t count = 0;  // hits in the current window, this one included
  absl::Duration retry_after = absl::ZeroDuration();
};

// Fixed-window counters: at most `limit` hits per `window` per key.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  [[nodiscard]] virtual absl::StatusOr<RateDecision> Hit(absl::string_view key, int64_t limit,
                                                         absl::Duration window) = 0;
  [[nodiscard]] virtual absl::Status Reset(absl::string_view key) = 0;
};

// Short-lived opaque values: second-factor challenges, step-up tokens.
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  [[nodiscard]] virtual absl::Status Put(absl::string_view key, absl::string_view value,
                                         absl::Duration ttl) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) = 0;
  // Atomic get-and-delete: of many concurrent callers exactly one receives the value.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Take(absl::string_view key) = 0;
  [[nodiscard]] virtual absl::Status Delete(absl::string_view key) = 0;
};

// A signed-in session as stored (the token itself is never stored, only its SHA-256).
struct SessionRecord {
  std::string session_id;
  std::string user_id;
  std::vector<std::string> roles;
  bool contact_verified = false;
  Device device;
  std::string ip;
  absl::Time created_at = absl::InfinitePast();
  absl::Time last_seen_at = absl::InfinitePast();
  absl::Time expires_at = absl::InfinitePast();  // absolute
  absl::Time step_up_at = absl::InfinitePast();
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  // Stores the session, findable by `token_hash` and listed under its user. `keep_for` bounds
  // how long the store keeps it (the core enforces idle and absolute expiry itself). Atomically
  // first revokes the user's least recently used sessions (by last_seen_at) so that at most
  // `sessions_max` remain, the new one included, however many sign-ins race.
  [[nodiscard]] virtual absl::Status Create(const SessionRecord& session,
                                            absl::string_view token_hash, absl::Duration keep_for,
                                            int sessions_max) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<SessionRecord>> ByTokenHash(
      absl::string_view token_hash) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<SessionRecord>> ById(
      absl::string_view session_id) = 0;
  // Records activity if the session still exists; false when it is gone (revoked meanwhile).
  [[nodiscard]] virtual absl::StatusOr<bool> Touch(absl::string_view session_id,
                                                   absl::Time last_seen_at, absl::string_view ip,
                                                   absl::Duration keep_for) = 0;
  // Replaces the token (the old one stops working at once) and records a step-up; false when the
  // session is gone.
  [[nodiscard]] virtual absl::StatusOr<bool> Rotate(absl::string_view session_id,
                                                    absl::string_view new_token_hash,
                                                    absl::Time step_up_at,
                                                    absl::Duration keep_for) = 0;
  // The user's sessions (bounded by the per-user cap); drops index entries of vanished ones.
  [[nodiscard]] virtual absl::StatusOr<std::vector<SessionRecord>> ListForUser(
      absl::string_view user_id) = 0;
  // True when the session existed.
  [[nodiscard]] virtual absl::StatusOr<bool> Revoke(absl::string_view session_id) = 0;
  // Revokes every session of the user but `except_session_id` (may be empty); returns how many.
  [[nodiscard]] virtual absl::StatusOr<int> RevokeAllForUser(
      absl::string_view user_id, absl::string_view except_session_id) = 0;
  [[nodiscard]] virtual absl::Status MarkContactVerified(absl::string_view user_id) = 0;
};

}  // namespace uwallet::auth
