// AuthCore: shared helpers, keys, registration, verification codes, password reset.
#include "services/auth/core/auth_core.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"
#include "services/auth/core/password_policy.h"
#include "uwallet/common/check.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/random.h"

namespace uwallet::auth {
namespace {

constexpr int kCodeDigits = 6;

notify::Channel ChannelFor(const Contact& contact) {
  return contact.kind == ContactKind::kPhone ? notify::Channel::kSms : notify::Channel::kEmail;
}

Text PurposeText(CodePurpose purpose) {
  switch (purpose) {
    case CodePurpose::kVerifyContact:
      return {"to verify this contact", "验证此联系方式"};
    case CodePurpose::kResetPassword:
      return {"to reset your password", "重设密码"};
    case CodePurpose::kStepUp:
      return {"to confirm a sensitive action", "确认敏感操作"};
    case CodePurpose::kChangeContact:
      return {"to make this your new contact", "将其设为新的联系方式"};
    case CodePurpose::kReportStolen:
      return {"to report your account as stolen", "报告账户被盗"};
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys and validation helpers

absl::StatusOr<AuthKeys> AuthKeys::Derive(absl::string_view master_key) {
  if (master_key.size() != 32) {
    return absl::InvalidArgumentError("the TOTP/auth master key must be 32 bytes (64 hex digits)");
  }
  // Domain separation: one key per use, so a leak of one derived key exposes nothing else.
  AuthKeys keys;
  keys.totp_key = crypto::HmacSha256(master_key, "uwallet-auth/v1/totp-secret-aead");
  keys.code_pepper = crypto::HmacSha256(master_key, "uwallet-auth/v1/verification-code");
  keys.recovery_pepper = crypto::HmacSha256(master_key, "uwallet-auth/v1/recovery-code");
  return keys;
}

std::string AuthKeys::DevelopmentMasterKey() {
  return crypto::Sha256("uwallet development master key: local runs and tests only, never prod");
}

absl::Status CheckDisplayName(absl::string_view name, absl::string_view field) {
  if (absl::StripAsciiWhitespace(name).empty()) return InvalidField(field, "required");
  size_t characters = 0;
  if (!CountUtf8(name, &characters)) return InvalidField(field, "not valid UTF-8");
  if (characters > kDisplayNameCharactersMax) return InvalidField(field, "at most 64 characters");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return InvalidField(field, "control characters are not allowed");
  }
  return absl::OkStatus();
}

absl::Status CheckLocale(absl::string_view locale) {
  if (locale.size() > kLocaleBytesMax) return InvalidField("locale", "too long");
  for (unsigned char c : locale) {
    if (!absl::ascii_isalnum(c) && c != '-') {
      return InvalidField("locale", "a BCP 47 tag such as zh-CN or en");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReason(absl::string_view reason) {
  if (absl::StripAsciiWhitespace(reason).empty()) return InvalidField("reason", "required");
  size_t characters = 0;
  if (!CountUtf8(reason, &characters)) return InvalidField("reason", "not valid UTF-8");
  if (characters > kReasonCharactersMax) return InvalidField("reason", "at most 500 characters");
  return absl::OkStatus();
}

absl::Status CheckSixDigits(absl::string_view code, absl::string_view field) {
  if (code.empty()) return InvalidField(field, "required");
  if (code.size() != kCodeDigits ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidField(field, "6 digits");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Construction and shared helpers

AuthCore::AuthCore(Deps deps, AuthKeys keys, AuthLimits limits)
    : deps_(deps), keys_(std::move(keys)), limits_(std::move(limits)) {
  UW_CHECK(deps_.store != nullptr && deps_.sessions != nullptr && deps_.codes != nullptr);
  UW_CHECK(deps_.limits != nullptr && deps_.tokens != nullptr && deps_.notifier != nullptr);
  UW_CHECK(deps_.clock != nullptr && deps_.ids != nullptr);
  UW_CHECK(keys_.totp_key.size() == 32 && !keys_.code_pepper.empty());
  UW_CHECK(limits_.code_attempts_max >= 1 && limits_.sessions_per_user_max >= 1);
}

std::string AuthCore::CodeKey(CodePurpose purpose, const Contact& contact) const {
  // The destination is hashed so that Redis keys carry no phone numbers or emails.
  return absl::StrCat("code:", PurposeName(purpose), ":", crypto::Sha256Hex(contact.value));
}

std::string AuthCore::CodeHash(CodePurpose purpose, const Contact& contact,
                               absl::string_view code) const {
  // Keyed: a Redis dump alone does not allow trying the million codes offline.
  return crypto::Base64UrlEncode(crypto::HmacSha256(
      keys_.code_pepper, absl::StrCat(PurposeName(purpose), "\n", contact.value, "\n", code)));
}

absl::Status AuthCore::CheckCode(CodePurpose purpose, const Contact& contact,
                                 absl::string_view code) {
  UW_ASSIGN_OR_RETURN(CodeCheck check, deps_.codes->Check(CodeKey(purpose, contact),
                                                          CodeHash(purpose, contact, code),
                                                          limits_.code_attempts_max));
  switch (check.result) {
    case CodeCheckResult::kAccepted:
      return absl::OkStatus();
    case CodeCheckResult::kWrong:
      return CodeInvalid(std::max(0, check.attempts_left));
    case CodeCheckResult::kGone:
      return CodeExpired();
  }
  return CodeExpired();
}

absl::Status AuthCore::IssueCode(CodePurpose purpose, const Contact& contact,
                                 absl::string_view locale) {
  UW_ASSIGN_OR_RETURN(std::string code, crypto::RandomDigits(kCodeDigits));
  UW_RETURN_IF_ERROR(deps_.codes->Put(CodeKey(purpose, contact), CodeHash(purpose, contact, code),
                                      limits_.code_ttl));
  notify::Notification message;
  message.channel = ChannelFor(contact);
  message.destination = contact.value;
  message.kind = std::string(PurposeName(purpose));
  const int64_t minutes = absl::ToInt64Minutes(limits_.code_ttl);
  const Text purpose_text = PurposeText(purpose);
  message.subject = Pick({"Your uwallet code", "uwallet 验证码"}, locale);
  message.body =
      Pick({absl::StrCat("[uwallet] Your code ", purpose_text.en, " is ", code, ". It expires in ",
                         minutes, " minutes. uwallet staff will never ask you for it."),
            absl::StrCat("【uwallet】验证码 ", code, "，用于", purpose_text.zh, "，", minutes,
                         " 分钟内有效。uwallet 工作人员不会向你索要验证码。")},
           locale);
  message.code = code;
  return deps_.notifier->Send(message);
}

absl::Status AuthCore::CheckIpBudget(absl::string_view what, const Caller& caller, int64_t limit,
                                     absl::Duration window) {
  if (limit <= 0 || caller.ip.empty()) return absl::OkStatus();
  UW_ASSIGN_OR_RETURN(
      RateDecision decision,
      deps_.limits->Hit(absl::StrCat("rl:", what, ":ip:", caller.ip), limit, window));
  if (!decision.allowed) {
    return RateLimited(std::max<int64_t>(1, absl::ToInt64Seconds(decision.retry_after)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RateDecision> AuthCore::CheckSendBudget(const Contact& contact,
                                                       const Caller& caller) {
  UW_RETURN_IF_ERROR(
      CheckIpBudget("code", caller, limits_.code_sends_per_ip_per_hour, absl::Hours(1)));
  const std::string destination = crypto::Sha256Hex(contact.value);
  UW_ASSIGN_OR_RETURN(
      RateDecision minute,
      deps_.limits->Hit(absl::StrCat("rl:code:minute:", destination),
                        limits_.code_sends_per_destination_per_minute, absl::Minutes(1)));
  if (!minute.allowed) return minute;
  UW_ASSIGN_OR_RETURN(
      RateDecision day,
      deps_.limits->Hit(absl::StrCat("rl:code:day:", destination),
                        limits_.code_sends_per_destination_per_day, absl::Hours(24)));
  if (!day.allowed) return day;
  minute.retry_after = absl::Minutes(1);
  return minute;
}

absl::StatusOr<User> AuthCore::LoadUser(absl::string_view user_id) {
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserById(user_id, false));
    return absl::OkStatus();
  }));
  if (!user) return UserNotFound();
  return *std::move(user);
}

bool AuthCore::PasswordMatches(const std::optional<std::string>& hash,
                               absl::string_view password) const {
  if (!hash) {
    crypto::BurnPasswordTime(limits_.password);
    return false;
  }
  absl::StatusOr<bool> matches = crypto::VerifyPassword(*hash, password);
  if (!matches.ok()) {
    log::Error("stored password hash unusable", {{"error", matches.status().ToString()}});
    return false;
  }
  return *matches;
}

absl::StatusOr<std::string> AuthCore::HashNewPassword(absl::string_view password) const {
  return crypto::HashPassword(password, limits_.password);
}

SecurityEvent AuthCore::NewEvent(absl::string_view user_id, SecurityEventKind kind,
                                 const Caller& caller, absl::string_view detail) const {
  SecurityEvent event;
  event.event_id = deps_.ids->NewId();
  event.user_id = std::string(user_id);
  event.kind = kind;
  event.occurred_at = deps_.clock->Now();
  event.ip = caller.ip;
  event.device.device_id = caller.device_id;
  event.detail = std::string(detail);
  return event;
}

AuditEntry AuthCore::NewAudit(const Caller& actor, absl::string_view action,
                              absl::string_view target_user_id, absl::string_view reason,
                              const IdentityCheck& check) const {
  AuditEntry entry;
  entry.audit_id = deps_.ids->NewId();
  entry.actor_id = !actor.user_id.empty()   ? actor.user_id
                   : !actor.service.empty() ? actor.service
                                            : std::string("unknown");
  entry.actor_roles = actor.roles;
  entry.action = std::string(action);
  entry.target_user_id = std::string(target_user_id);
  entry.reason = std::string(reason);
  entry.identity_check = check;
  entry.request_id = actor.request_id;
  entry.created_at = deps_.clock->Now();
  return entry;
}

void AuthCore::NotifyUser(const User& user, absl::string_view kind, const Text& subject,
                          const Text& body) {
  for (const Contact& contact : user.VerifiedContacts()) {
    notify::Notification message;
    message.channel = ChannelFor(contact);
    message.destination = contact.value;
    message.kind = std::string(kind);
    message.subject = Pick(subject, user.locale);
    message.body = absl::StrCat(SpeaksChinese(user.locale) ? "【uwallet】" : "[uwallet] ",
                                Pick(body, user.locale));
    if (absl::Status status = deps_.notifier->Send(message); !status.ok()) {
      log::Warn(
          "security notice not sent",
          {{"kind", std::string(kind)}, {"user", user.user_id}, {"error", status.ToString()}});
    }
  }
}

absl::Status AuthCore::RevokeEverySession(absl::string_view user_id) {
  UW_ASSIGN_OR_RETURN(int revoked, deps_.sessions->RevokeAllForUser(user_id, ""));
  (void)revoked;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Registration, codes, contact verification, password reset

absl::StatusOr<RegisterResult> AuthCore::Register(const RegisterInput& input,
                                                  const Caller& caller) {
  if (input.phone.empty() == input.email.empty()) {
    return InvalidField("contact", "exactly one of phone or email");
  }
  UW_ASSIGN_OR_RETURN(Contact contact, input.phone.empty() ? NormalizeEmail(input.email, "email")
                                                           : NormalizePhone(input.phone, "phone"));
  UW_RETURN_IF_ERROR(CheckDisplayName(input.display_name));
  UW_RETURN_IF_ERROR(CheckLocale(input.locale));
  UW_RETURN_IF_ERROR(CheckPasswordPolicy(input.password, "password"));
  UW_RETURN_IF_ERROR(
      CheckIpBudget("register", caller, limits_.registrations_per_ip_per_hour, absl::Hours(1)));
  UW_ASSIGN_OR_RETURN(std::string hash, HashNewPassword(input.password));

  const absl::Time now = deps_.clock->Now();
  User user;
  user.user_id = deps_.ids->NewId();
  (contact.kind == ContactKind::kPhone ? user.phone : user.email) = contact.value;
  user.display_name = std::string(absl::StripAsciiWhitespace(input.display_name));
  user.locale = input.locale;
  user.roles = {role::kCustomer};
  user.created_at = now;
  user.updated_at = now;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) { return tx.InsertUser(user, hash); }));

  // The first code. The IP was charged for the registration already; the destination budget
  // still applies (a refusal only means the user asks again with SendCode).
  Caller no_ip = caller;
  no_ip.ip.clear();
  absl::StatusOr<RateDecision> budget = CheckSendBudget(contact, no_ip);
  if (budget.ok() && budget->allowed) {
    if (absl::Status sent = IssueCode(CodePurpose::kVerifyContact, contact, input.locale);
        !sent.ok()) {
      log::Warn("first verification code not sent",
                {{"user", user.user_id}, {"error", sent.ToString()}});
    }
  }
  log::Info("user registered", {{"user", user.user_id}});
  return RegisterResult{.user_id = user.user_id, .retry_after = absl::Minutes(1)};
}

absl::StatusOr<SendCodeResult> AuthCore::SendCode(absl::string_view destination, int purpose_number,
                                                  const Caller& caller, absl::string_view locale) {
  if (purpose_number < 1 || purpose_number > 5) {
    return InvalidField("purpose",
                        "one of VERIFY_CONTACT, RESET_PASSWORD, STEP_UP, "
                        "CHANGE_CONTACT, REPORT_STOLEN");
  }
  const auto purpose = static_cast<CodePurpose>(purpose_number);
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeContact(destination, "destination"));
  UW_RETURN_IF_ERROR(CheckLocale(locale));
  std::string account_locale;  // the message's language when the request names none

  if (purpose == CodePurpose::kStepUp || purpose == CodePurpose::kChangeContact) {
    UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
    UW_ASSIGN_OR_RETURN(User user, LoadUser(session.user_id));
    account_locale = user.locale;
    if (purpose == CodePurpose::kStepUp) {
      const auto verified = user.VerifiedContacts();
      if (std::find(verified.begin(), verified.end(), contact) == verified.end()) {
        return InvalidField("destination", "not a verified contact of this account");
      }
    } else if (user.Owns(contact)) {
      return InvalidField("destination", "already the contact of this account");
    }
  }

  // Budgets are charged whether or not an account exists, so the answer is the same.
  UW_ASSIGN_OR_RETURN(RateDecision budget, CheckSendBudget(contact, caller));
  if (!budget.allowed) {
    return RateLimited(std::max<int64_t>(1, absl::ToInt64Seconds(budget.retry_after)));
  }

  bool send = true;
  if (purpose == CodePurpose::kVerifyContact || purpose == CodePurpose::kResetPassword ||
      purpose == CodePurpose::kReportStolen) {
    std::optional<User> user;
    UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(user, tx.UserByContact(contact, false));
      return absl::OkStatus();
    }));
    send = user.has_value();
    if (send) account_locale = user->locale;
    if (send && purpose == CodePurpose::kVerifyContact) {
      send = contact.kind == ContactKind::kPhone ? !user->phone_verified : !user->email_verified;
    }
  }
  if (send) UW_RETURN_IF_ERROR(IssueCode(purpose, contact, FirstLocale(locale, account_locale)));
  return SendCodeResult{.retry_after = budget.retry_after, .code_ttl = limits_.code_ttl};
}

absl::Status AuthCore::VerifyContact(absl::string_view destination, absl::string_view code,
                                     const Caller& caller) {
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeContact(destination, "destination"));
  UW_RETURN_IF_ERROR(CheckSixDigits(code, "code"));
  UW_RETURN_IF_ERROR(CheckCode(CodePurpose::kVerifyContact, contact, code));
  std::string user_id;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserByContact(contact, true));
    if (!user) return CodeExpired();  // the contact changed hands since the code was sent
    (contact.kind == ContactKind::kPhone ? user->phone_verified : user->email_verified) = true;
    user->updated_at = deps_.clock->Now();
    UW_RETURN_IF_ERROR(tx.UpdateUser(*user));
    user_id = user->user_id;
    return tx.AppendSecurityEvent(
        NewEvent(user->user_id, SecurityEventKind::kContactVerified, caller,
                 contact.kind == ContactKind::kPhone ? "phone verified" : "email verified"));
  }));
  if (absl::Status status = deps_.sessions->MarkContactVerified(user_id); !status.ok()) {
    log::Warn("sessions not marked verified", {{"user", user_id}, {"error", status.ToString()}});
  }
  return absl::OkStatus();
}

absl::Status AuthCore::ResetPassword(absl::string_view destination, absl::string_view code,
                                     absl::string_view new_password, const Caller& caller) {
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeContact(destination, "destination"));
  UW_RETURN_IF_ERROR(CheckSixDigits(code, "code"));
  // The password is checked before the code so that a weak choice does not use the code up.
  UW_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, "new_password"));
  UW_RETURN_IF_ERROR(CheckCode(CodePurpose::kResetPassword, contact, code));
  UW_ASSIGN_OR_RETURN(std::string hash, HashNewPassword(new_password));
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserByContact(contact, true));
    if (!user) return CodeExpired();
    const absl::Time now = deps_.clock->Now();
    UW_RETURN_IF_ERROR(tx.SetPasswordHash(user->user_id, hash, now));
    UW_RETURN_IF_ERROR(tx.SetLockout(user->user_id, Cleared()));
    // Possession of the code proves the contact, too.
    bool& verified =
        contact.kind == ContactKind::kPhone ? user->phone_verified : user->email_verified;
    if (!verified) {
      verified = true;
      user->updated_at = now;
      UW_RETURN_IF_ERROR(tx.UpdateUser(*user));
    }
    return tx.AppendSecurityEvent(
        NewEvent(user->user_id, SecurityEventKind::kPasswordReset, caller, "reset by code"));
  }));
  UW_RETURN_IF_ERROR(RevokeEverySession(user->user_id));
  NotifyUser(
      *user, "password_changed", {"Your uwallet password was changed", "你的 uwallet 密码已修改"},
      {"Your password was reset and every device was signed out. If this was not you, "
       "contact uwallet support at once.",
       "你的密码已重设，所有设备均已退出登录。如果不是你本人操作，请立即联系 uwallet 客服。"});
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuthCore::VerifyCode(absl::string_view destination, int purpose_number,
                                                 absl::string_view code) {
  if (purpose_number < 1 || purpose_number > 5) return InvalidField("purpose", "required");
  const auto purpose = static_cast<CodePurpose>(purpose_number);
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeContact(destination, "destination"));
  UW_RETURN_IF_ERROR(CheckSixDigits(code, "code"));
  UW_RETURN_IF_ERROR(CheckCode(purpose, contact, code));
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserByContact(contact, false));
    return absl::OkStatus();
  }));
  if (!user) return UserNotFound();
  return user->user_id;
}

}  // namespace uwallet::auth
