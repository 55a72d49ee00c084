#pragma once
// The auth domain's records. Plain values: no gRPC, no libpq, no hiredis.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace uwallet::auth {

enum class ContactKind { kPhone, kEmail };

// A phone (E.164, "+8613800138000") or an email address (lower case), always normalised.
struct Contact {
  ContactKind kind = ContactKind::kPhone;
  std::string value;
  friend bool operator==(const Contact&, const Contact&) = default;
};

// Numbers match uwallet.auth.v1.CodePurpose.
enum class CodePurpose {
  kVerifyContact = 1,
  kResetPassword = 2,
  kStepUp = 3,
  kChangeContact = 4,
  kReportStolen = 5,
};
[[nodiscard]] absl::string_view PurposeName(CodePurpose purpose);  // "verify_contact", ...

// Numbers match uwallet.auth.v1.StepUpAction.
enum class StepUpAction {
  kChangeContact = 1,
  kLargePayment = 2,
  kSetPaymentPin = 3,
  kAddBankCard = 4,
};

// Roles travel as strings (as in the identity assertion): uwallet.common.v1.Role names lower-cased.
namespace role {
inline constexpr char kCustomer[] = "customer";
inline constexpr char kMerchant[] = "merchant";
inline constexpr char kAgent[] = "agent";
inline constexpr char kAnalyst[] = "analyst";
inline constexpr char kAdmin[] = "admin";
}  // namespace role

struct Device {
  std::string device_id;
  std::string name;
  int platform = 0;  // uwallet.common.v1.Platform
  std::string app_version;
  // SHA-256 (hex) of the device secret the sign-in presented (LoginRequest.device_token); empty
  // when none. Only the sign-in uses it: it is not stored with sessions or security events.
  std::string secret_hash;
};

struct User {
  std::string user_id;
  std::string phone;  // "" when none
  std::string email;  // "" when none
  bool phone_verified = false;
  bool email_verified = false;
  std::string display_name;
  std::string locale;
  std::vector<std::string> roles;
  bool frozen = false;
  std::string frozen_reason;
  std::string frozen_by;
  std::string frozen_case_id;
  absl::Time frozen_at = absl::InfinitePast();
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
  absl::Time last_login_at = absl::InfinitePast();  // InfinitePast: never

  [[nodiscard]] bool ContactVerified() const {
    return (!phone.empty() && phone_verified) || (!email.empty() && email_verified);
  }
  [[nodiscard]] bool HasRole(absl::string_view role) const;
  // The verified contacts, phone first.
  [[nodiscard]] std::vector<Contact> VerifiedContacts() const;
  [[nodiscard]] bool Owns(const Contact& contact) const;
};

// Consecutive wrong passwords and lock periods of one account.
struct LockState {
  int failed_attempts = 0;
  int lock_count = 0;  // lock periods since the last successful sign-in / reset / unlock
  absl::Time locked_at = absl::InfinitePast();
  absl::Time locked_until = absl::InfinitePast();
  bool locked_indefinitely = false;  // until support unlocks or the password is reset
  absl::Time last_failed_at = absl::InfinitePast();

  [[nodiscard]] bool IsLocked(absl::Time now) const {
    return locked_indefinitely || now < locked_until;
  }
  friend bool operator==(const LockState&, const LockState&) = default;
};

struct TotpRecord {
  std::string user_id;
  std::string sealed_secret;  // AES-256-GCM, associated data "totp-secret:<user id>"
  bool enabled = false;
  absl::Time pending_expires_at = absl::InfinitePast();  // while not enabled
  int64_t last_used_counter = -1;
  absl::Time created_at = absl::InfinitePast();
  absl::Time enabled_at = absl::InfinitePast();
};

struct KnownDevice {
  Device device;
  absl::Time first_seen_at = absl::InfinitePast();
  absl::Time last_seen_at = absl::InfinitePast();
  std::string last_ip;
  bool trusted = false;  // it holds a device secret (signs in without the new-device check)
};

// Numbers match uwallet.auth.v1.SecurityEventKind.
enum class SecurityEventKind {
  kLoginSucceeded = 1,
  kLoginFailed = 2,
  kNewDevice = 3,
  kLocked = 4,
  kUnlocked = 5,
  kPasswordReset = 6,
  kPasswordChanged = 7,
  kTotpEnabled = 8,
  kTotpDisabled = 9,
  kFrozen = 10,
  kUnfrozen = 11,
  kContactChanged = 12,
  kContactVerified = 13,
  kStepUp = 14,
  kSessionRevoked = 15,
  kDeviceForgotten = 16,
};
// "login_failed", ... (the security_events.kind column).
[[nodiscard]] absl::string_view SecurityEventKindName(SecurityEventKind kind);
[[nodiscard]] bool SecurityEventKindFromName(absl::string_view name, SecurityEventKind* kind);
// The outbox event type: "auth.login_failed", ...; both TOTP kinds are "auth.totp_changed".
[[nodiscard]] std::string OutboxEventType(SecurityEventKind kind);

struct SecurityEvent {
  std::string event_id;
  std::string user_id;
  SecurityEventKind kind = SecurityEventKind::kLoginFailed;
  absl::Time occurred_at = absl::InfinitePast();
  std::string ip;
  Device device;
  std::string detail;  // short, non-secret
  // Extra facts for the outbox payload only ("locked_until", "actor_id", ...).
  std::map<std::string, std::string> attributes;
};

// Numbers match uwallet.auth.v1.IdentityCheckMethod.
struct IdentityCheck {
  int method = 0;
  std::string note;
};

struct AuditEntry {
  std::string audit_id;
  std::string actor_id;  // staff user id, "service:<name>" or "bootstrap"
  std::vector<std::string> actor_roles;
  std::string action;  // "auth.unlock_user", ...
  std::string target_user_id;
  std::string reason;
  IdentityCheck identity_check;
  std::string request_id;
  absl::Time created_at = absl::InfinitePast();
  std::map<std::string, std::string> metadata;
};

struct AuditFilter {
  std::string target_user_id;
  std::string actor_id;
  std::string action;
  absl::Time from = absl::InfinitePast();  // inclusive
  absl::Time to = absl::InfiniteFuture();  // exclusive
  std::string before_audit_id;             // paging: entries older than this one
  int limit = 50;
};

struct UserQuery {
  // Exactly one of these is set by the core.
  std::string user_id;
  Contact contact;
  bool by_contact = false;
  std::string display_name_prefix;
  std::string after_user_id;  // paging
  int limit = 20;
};

}  // namespace uwallet::auth
