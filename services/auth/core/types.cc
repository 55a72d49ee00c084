#include "services/auth/core/types.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace uwallet::auth {

absl::string_view PurposeName(CodePurpose purpose) {
  switch (purpose) {
    case CodePurpose::kVerifyContact:
      return "verify_contact";
    case CodePurpose::kResetPassword:
      return "reset_password";
    case CodePurpose::kStepUp:
      return "step_up";
    case CodePurpose::kChangeContact:
      return "change_contact";
    case CodePurpose::kReportStolen:
      return "report_stolen";
  }
  return "unknown";
}

bool User::HasRole(absl::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::vector<Contact> User::VerifiedContacts() const {
  std::vector<Contact> contacts;
  if (!phone.empty() && phone_verified) contacts.push_back({ContactKind::kPhone, phone});
  if (!email.empty() && email_verified) contacts.push_back({ContactKind::kEmail, email});
  return contacts;
}

bool User::Owns(const Contact& contact) const {
  return contact.kind == ContactKind::kPhone ? (!phone.empty() && phone == contact.value)
                                             : (!email.empty() && email == contact.value);
}

namespace {
struct KindName {
  SecurityEventKind kind;
  absl::string_view name;
};
constexpr KindName kKindNames[] = {
    {SecurityEventKind::kLoginSucceeded, "login_succeeded"},
    {SecurityEventKind::kLoginFailed, "login_failed"},
    {SecurityEventKind::kNewDevice, "new_device"},
    {SecurityEventKind::kLocked, "locked"},
    {SecurityEventKind::kUnlocked, "unlocked"},
    {SecurityEventKind::kPasswordReset, "password_reset"},
    {SecurityEventKind::kPasswordChanged, "password_changed"},
    {SecurityEventKind::kTotpEnabled, "totp_enabled"},
    {SecurityEventKind::kTotpDisabled, "totp_disabled"},
    {SecurityEventKind::kFrozen, "frozen"},
    {SecurityEventKind::kUnfrozen, "unfrozen"},
    {SecurityEventKind::kContactChanged, "contact_changed"},
    {SecurityEventKind::kContactVerified, "contact_verified"},
    {SecurityEventKind::kStepUp, "step_up"},
    {SecurityEventKind::kSessionRevoked, "session_revoked"},
    {SecurityEventKind::kDeviceForgotten, "device_forgotten"},
};
}  // namespace

absl::string_view SecurityEventKindName(SecurityEventKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

bool SecurityEventKindFromName(absl::string_view name, SecurityEventKind* kind) {
  for (const auto& entry : kKindNames) {
    if (entry.name == name) {
      *kind = entry.kind;
      return true;
    }
  }
  return false;
}

std::string OutboxEventType(SecurityEventKind kind) {
  if (kind == SecurityEventKind::kTotpEnabled || kind == SecurityEventKind::kTotpDisabled) {
    return "auth.totp_changed";
  }
  return absl::StrCat("auth.", SecurityEventKindName(kind));
}

}  // namespace uwallet::auth
