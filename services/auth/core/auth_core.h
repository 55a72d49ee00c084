#pragma once
// The auth domain: every use case of the auth service, as one object that receives its stores,
// clock, ids and notifier as interfaces (ports.h). No gRPC, libpq or hiredis here; grpc/ maps
// protos to these calls and storage/ implements the ports.
//
// Threading: every method may be called from many threads at once. Rules that must hold under
// races (one lock period per five failures, a code accepted once, a TOTP step accepted once) are
// enforced by the stores' atomic operations, never by this object's memory.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/core/lockout.h"
#include "services/auth/core/messages.h"
#include "services/auth/core/ports.h"
#include "services/auth/core/types.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"
#include "uwallet/crypto/password.h"
#include "uwallet/notify/notifier.h"

namespace uwallet::auth {

// Secrets the core needs, all derived from the one --totp-key (32 bytes) so that operators manage
// a single key: the AES-256-GCM key for TOTP secrets and the HMAC keys for code hashes.
struct AuthKeys {
  std::string totp_key;         // 32 bytes
  std::string code_pepper;      // HMAC-SHA256 key for verification-code hashes
  std::string recovery_pepper;  // HMAC-SHA256 key for recovery-code hashes

  // INVALID_ARGUMENT unless `master_key` is 32 bytes.
  [[nodiscard]] static absl::StatusOr<AuthKeys> Derive(absl::string_view master_key);
  // A fixed, publicly known key for local runs with the development mailbox only.
  [[nodiscard]] static std::string DevelopmentMasterKey();
};

// Every limit and lifetime, named, with the defaults of DESIGN §4 and issue 3.
struct AuthLimits {
  LockoutPolicy lockout;
  crypto::PasswordParams password;

  absl::Duration code_ttl = absl::Minutes(10);
  int code_attempts_max = 5;
  int64_t code_sends_per_destination_per_minute = 1;
  int64_t code_sends_per_destination_per_day = 10;
  // Per-IP budgets are generous on purpose: carrier-grade NAT puts many real people behind one
  // address. They stop floods; per-destination limits and the lockout stop targeted abuse.
  int64_t code_sends_per_ip_per_hour = 100;  // 0: no per-IP budget
  int64_t registrations_per_ip_per_hour = 100;
  int64_t logins_per_ip_per_minute = 300;

  absl::Duration session_idle = absl::Minutes(30);
  absl::Duration session_absolute = absl::Hours(12);
  // Activity is written back at most this often per session (the idle timer's granularity).
  absl::Duration session_touch_interval = absl::Minutes(1);
  int sessions_per_user_max = 20;

  absl::Duration challenge_ttl = absl::Minutes(5);
  int challenge_attempts_max = 5;
  // Risk-based second factor: a user with at least one known device and a verified contact who
  // signs in (right password, TOTP off) from a device never seen before gets a contact-code
  // challenge. The first device is never challenged. Off: new devices are only recorded/notified.
  bool new_device_challenge = true;
  // Contact codes sent for such challenges, per user (a password alone must not flood a phone).
  int64_t new_device_codes_per_user_per_hour = 10;
  absl::Duration step_up_ttl = absl::Minutes(5);
  absl::Duration totp_enrollment_ttl = absl::Minutes(10);
  int recovery_codes = 10;
};

inline constexpr size_t kDisplayNameCharactersMax = 64;
inline constexpr size_t kLocaleBytesMax = 35;
inline constexpr size_t kReasonCharactersMax = 500;
inline constexpr size_t kNoteCharactersMax = 500;
inline constexpr size_t kDeviceFieldBytesMax = 128;
inline constexpr size_t kTokenBytesMax = 256;
// LoginRequest.device_token (issued ones are 43 characters).
inline constexpr size_t kDeviceTokenBytesMax = 128;
inline constexpr size_t kPasswordInputBytesMax = 1024;
inline constexpr int kRecentEventsMax = 50;
inline constexpr int kFindUsersPageMax = 100;
inline constexpr int kAuditPageMax = 100;

// Who is calling, from the verified identity assertion.
struct Caller {
  std::string user_id;     // empty: anonymous or a service
  std::string session_id;  // empty: anonymous or a service
  std::vector<std::string> roles;
  std::string ip;
  std::string device_id;
  std::string request_id;
  // "service:fraud" style actor name for service callers.
  std::string service;
};

struct IssuedSession {
  std::string token;  // shown once
  SessionRecord session;
  absl::Duration idle_timeout;
  // The device's new secret, shown once: set when this sign-in made the device known.
  std::string device_token;
};

enum class SecondFactorKind { kTotp, kRecoveryCode, kContactCode };

struct Challenge {
  std::string challenge_id;
  std::vector<SecondFactorKind> methods;
  std::string masked_destination;
  absl::Time expires_at;
};

struct LoginResult {
  std::optional<IssuedSession> session;
  std::optional<Challenge> challenge;
};

struct RegisterInput {
  std::string phone;  // exactly one of phone / email
  std::string email;
  std::string password;
  std::string display_name;
  std::string locale;
};

struct RegisterResult {
  std::string user_id;
  absl::Duration retry_after;
};

struct SendCodeResult {
  absl::Duration retry_after;
  absl::Duration code_ttl;
};

struct ProfileView {
  User user;
  bool totp_enabled = false;
};

struct TotpEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
  absl::Time expires_at;
};

struct StepUpResult {
  std::string step_up_token;
  absl::Time expires_at;
  IssuedSession session;
};

struct UserDetail {
  User user;
  LockState lock;
  bool totp_enabled = false;
  std::vector<KnownDevice> devices;
  std::vector<SessionRecord> sessions;
  std::vector<SecurityEvent> recent_events;
};

struct StaffActionResult {
  UserDetail detail;
  std::string audit_id;
  bool changed = true;
};

struct SessionIdentity {
  SessionRecord session;
  bool frozen = false;
};

struct UsersPage {
  std::vector<User> users;
  std::vector<LockState> locks;  // users[i]'s lockout state, so agents see who is locked
  std::string next_page_token;
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  std::string next_page_token;
};

struct UserKey {  // exactly one
  std::string user_id;
  std::string phone;
  std::string email;
};

class AuthCore {
 public:
  struct Deps {
    AuthStore* store = nullptr;
    SessionStore* sessions = nullptr;
    CodeStore* codes = nullptr;
    RateLimiter* limits = nullptr;
    TokenStore* tokens = nullptr;
    notify::Notifier* notifier = nullptr;
    const Clock* clock = nullptr;
    IdGenerator* ids = nullptr;
  };
  AuthCore(Deps deps, AuthKeys keys, AuthLimits limits = {});

  // ---- public, anonymous ----
  [[nodiscard]] absl::StatusOr<RegisterResult> Register(const RegisterInput& input,
                                                        const Caller& caller);
  // `locale`: the message's language; empty: the account's (English when there is none).
  [[nodiscard]] absl::StatusOr<SendCodeResult> SendCode(absl::string_view destination, int purpose,
                                                        const Caller& caller,
                                                        absl::string_view locale = "");
  [[nodiscard]] absl::Status VerifyContact(absl::string_view destination, absl::string_view code,
                                           const Caller& caller);
  // `device_token`: the secret the device was given when it became known (empty: none). A
  // session issued to a device that did not prove itself that way carries a new one.
  [[nodiscard]] absl::StatusOr<LoginResult> Login(absl::string_view identifier,
                                                  absl::string_view password, const Device& device,
                                                  const Caller& caller,
                                                  absl::string_view device_token = "");
  [[nodiscard]] absl::StatusOr<IssuedSession> CompleteSecondFactor(absl::string_view challenge_id,
                                                                   SecondFactorKind kind,
                                                                   absl::string_view code,
                                                                   const Caller& caller);
  [[nodiscard]] absl::Status ResetPassword(absl::string_view destination, absl::string_view code,
                                           absl::string_view new_password, const Caller& caller);

  // ---- public, signed in (the caller's own account) ----
  [[nodiscard]] absl::Status Logout(const Caller& caller);
  [[nodiscard]] absl::StatusOr<int> LogoutAll(const Caller& caller, bool keep_current);
  [[nodiscard]] absl::StatusOr<std::vector<SessionRecord>> ListSessions(const Caller& caller);
  [[nodiscard]] absl::Status RevokeSession(const Caller& caller, absl::string_view session_id);
  // The caller's devices, most recently used first, and the calling session's device id.
  struct DeviceList {
    std::vector<KnownDevice> devices;
    std::string current_device_id;
  };
  [[nodiscard]] absl::StatusOr<DeviceList> ListDevices(const Caller& caller);
  // Stops trusting one of the caller's devices and signs its sessions out; how many.
  [[nodiscard]] absl::StatusOr<int> ForgetDevice(const Caller& caller, absl::string_view device_id);
  [[nodiscard]] absl::Status ChangePassword(const Caller& caller, absl::string_view old_password,
                                            absl::string_view new_password);
  [[nodiscard]] absl::StatusOr<TotpEnrollment> BeginTotpEnrollment(const Caller& caller);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ConfirmTotpEnrollment(
      const Caller& caller, absl::string_view code);
  [[nodiscard]] absl::Status DisableTotp(const Caller& caller, absl::string_view code);
  // `code` (sent for STEP_UP) or `totp_code`: exactly one non-empty.
  [[nodiscard]] absl::StatusOr<StepUpResult> StepUp(const Caller& caller, absl::string_view code,
                                                    absl::string_view totp_code, int action);
  [[nodiscard]] absl::StatusOr<ProfileView> GetProfile(const Caller& caller);
  [[nodiscard]] absl::StatusOr<ProfileView> UpdateProfile(
      const Caller& caller, const std::optional<std::string>& display_name,
      const std::optional<std::string>& locale);
  [[nodiscard]] absl::StatusOr<ProfileView> ChangeContact(const Caller& caller,
                                                          absl::string_view new_destination,
                                                          absl::string_view code,
                                                          absl::string_view step_up_token);

  // ---- staff (authorised by grpc/authz) ----
  [[nodiscard]] absl::StatusOr<UsersPage> FindUsers(absl::string_view query, int page_size,
                                                    absl::string_view page_token);
  [[nodiscard]] absl::StatusOr<UserDetail> GetUser(absl::string_view user_id);
  [[nodiscard]] absl::StatusOr<StaffActionResult> UnlockUser(const Caller& actor,
                                                             absl::string_view user_id,
                                                             absl::string_view reason,
                                                             const IdentityCheck& check);
  [[nodiscard]] absl::StatusOr<StaffActionResult> FreezeUser(const Caller& actor,
                                                             absl::string_view user_id,
                                                             absl::string_view reason,
                                                             absl::string_view case_id);
  [[nodiscard]] absl::StatusOr<StaffActionResult> UnfreezeUser(const Caller& actor,
                                                               absl::string_view user_id,
                                                               absl::string_view reason,
                                                               const IdentityCheck& check);
  [[nodiscard]] absl::StatusOr<AuditPage> ListAuditLog(AuditFilter filter, int page_size,
                                                       absl::string_view page_token);
  // roles: names from role:: (agent, analyst, admin, merchant).
  [[nodiscard]] absl::StatusOr<StaffActionResult> CreateStaffAccount(
      const Caller& actor, absl::string_view email, absl::string_view display_name,
      const std::vector<std::string>& roles, absl::string_view initial_password);
  // Creates an admin with this email and password when no admin exists (operator bootstrap).
  // Returns the new user id, or nullopt when an admin already existed.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> BootstrapAdmin(
      absl::string_view email, absl::string_view password);

  // ---- internal (other services) ----
  [[nodiscard]] absl::StatusOr<SessionIdentity> ValidateSession(absl::string_view token,
                                                                absl::string_view ip);
  [[nodiscard]] absl::StatusOr<absl::Time> ValidateStepUpToken(absl::string_view token,
                                                               absl::string_view user_id,
                                                               int action, bool consume);
  [[nodiscard]] absl::StatusOr<User> LookupUser(const UserKey& key);
  [[nodiscard]] absl::StatusOr<std::string> VerifyCode(absl::string_view destination, int purpose,
                                                       absl::string_view code);
  [[nodiscard]] absl::StatusOr<User> GetContacts(absl::string_view user_id);

  [[nodiscard]] const AuthLimits& limits() const { return limits_; }

 private:
  // Helpers shared by the use cases (auth_core.cc).
  [[nodiscard]] std::string CodeKey(CodePurpose purpose, const Contact& contact) const;
  [[nodiscard]] std::string CodeHash(CodePurpose purpose, const Contact& contact,
                                     absl::string_view code) const;
  [[nodiscard]] absl::Status CheckCode(CodePurpose purpose, const Contact& contact,
                                       absl::string_view code);
  [[nodiscard]] absl::Status IssueCode(CodePurpose purpose, const Contact& contact,
                                       absl::string_view locale);
  [[nodiscard]] absl::StatusOr<RateDecision> CheckSendBudget(const Contact& contact,
                                                             const Caller& caller);
  [[nodiscard]] absl::Status CheckIpBudget(absl::string_view what, const Caller& caller,
                                           int64_t limit, absl::Duration window);
  // The caller's live session (and its user), refusing anonymous and expired callers.
  [[nodiscard]] absl::StatusOr<SessionRecord> RequireSession(const Caller& caller);
  [[nodiscard]] absl::StatusOr<User> LoadUser(absl::string_view user_id);
  [[nodiscard]] absl::StatusOr<IssuedSession> IssueSession(const User& user, const Device& device,
                                                           const Caller& caller);
  // Records a wrong password under the row lock; notifies the user when it locked the account.
  [[nodiscard]] absl::Status RecordFailedPassword(const User& user, const Device& device,
                                                  const Caller& caller, absl::string_view detail);
  // A password check that spends the same time whether or not `hash` is known.
  [[nodiscard]] bool PasswordMatches(const std::optional<std::string>& hash,
                                     absl::string_view password) const;
  [[nodiscard]] absl::StatusOr<std::string> HashNewPassword(absl::string_view password) const;
  // TOTP or recovery code (kind chosen by the caller) against the user's enabled TOTP.
  // true: accepted (and used up); false: wrong or replayed. TOTP_NOT_ENABLED when off.
  [[nodiscard]] absl::StatusOr<bool> CheckSecondFactor(absl::string_view user_id,
                                                       SecondFactorKind kind,
                                                       absl::string_view code);
  // Per-user budget for TOTP / recovery-code guesses outside a login challenge.
  [[nodiscard]] absl::Status CheckSecondFactorBudget(absl::string_view user_id);
  // The password (and second factor) were right: clears the lockout under the row lock, records
  // the device and events, and issues the session.
  [[nodiscard]] absl::StatusOr<IssuedSession> CompleteLogin(const User& user, const Device& device,
                                                            const Caller& caller);
  // True when the sign-in from `device` needs a contact code (see new_device_challenge).
  [[nodiscard]] bool NewDeviceIsRisky(const SignInCandidate& candidate, const Device& device) const;
  // Stores a challenge, sends its code to the user's first verified contact.
  [[nodiscard]] absl::StatusOr<Challenge> StartContactCodeChallenge(const User& user,
                                                                    const Device& device);
  [[nodiscard]] std::string ContactCodeHash(absl::string_view challenge_id,
                                            absl::string_view code) const;
  [[nodiscard]] bool SessionExpiredAt(const SessionRecord& session, absl::Time now) const;
  [[nodiscard]] absl::Duration KeepFor(const SessionRecord& session, absl::Time now) const;
  [[nodiscard]] absl::StatusOr<UserDetail> LoadDetail(absl::string_view user_id);
  [[nodiscard]] SecurityEvent NewEvent(absl::string_view user_id, SecurityEventKind kind,
                                       const Caller& caller, absl::string_view detail) const;
  [[nodiscard]] AuditEntry NewAudit(const Caller& actor, absl::string_view action,
                                    absl::string_view target_user_id, absl::string_view reason,
                                    const IdentityCheck& check) const;
  // Best effort: a security notice to every verified contact of `user`, in the account's
  // language (failures are logged).
  void NotifyUser(const User& user, absl::string_view kind, const Text& subject, const Text& body);
  [[nodiscard]] absl::Status RevokeEverySession(absl::string_view user_id);
  [[nodiscard]] absl::StatusOr<StaffActionResult> SetFrozen(const Caller& actor,
                                                            absl::string_view user_id, bool frozen,
                                                            absl::string_view reason,
                                                            absl::string_view case_id,
                                                            const IdentityCheck& check);

  Deps deps_;
  AuthKeys keys_;
  AuthLimits limits_;
};

// Shared validation helpers (also used by grpc/ for early checks).
[[nodiscard]] absl::Status CheckDisplayName(absl::string_view name,
                                            absl::string_view field = "display_name");
[[nodiscard]] absl::Status CheckLocale(absl::string_view locale);
[[nodiscard]] absl::Status CheckReason(absl::string_view reason);
[[nodiscard]] absl::Status CheckSixDigits(absl::string_view code, absl::string_view field);

}  // namespace uwallet::auth
