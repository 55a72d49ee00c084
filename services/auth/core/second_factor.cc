// AuthCore: TOTP enrolment, recovery codes, step-up, profile and contact change.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/auth/core/auth_core.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/aead.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/random.h"
#include "uwallet/crypto/totp.h"

namespace uwallet::auth {
namespace {

constexpr char kIssuer[] = "uwallet";
constexpr int64_t kSecondFactorGuessesPerWindow = 10;
constexpr absl::Duration kSecondFactorWindow = absl::Minutes(10);

std::string TotpAssociatedData(absl::string_view user_id) {
  return absl::StrCat("totp-secret:", user_id);
}

std::string StepUpKey(absl::string_view token) {
  return absl::StrCat("stepup:", crypto::Sha256Hex(token));
}

// Stored value of a step-up token: "<user id>|<action>|<expires unix ms>|<session id>".
struct StepUpValue {
  std::string user_id;
  int action = 0;
  absl::Time expires_at;
  std::string session_id;
};

std::string EncodeStepUp(const StepUpValue& value) {
  return absl::StrCat(value.user_id, "|", value.action, "|", absl::ToUnixMillis(value.expires_at),
                      "|", value.session_id);
}

std::optional<StepUpValue> DecodeStepUp(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '|');
  if (parts.size() != 4) return std::nullopt;
  StepUpValue value;
  int64_t expires_ms = 0;
  value.user_id = std::string(parts[0]);
  if (!absl::SimpleAtoi(parts[1], &value.action) || !absl::SimpleAtoi(parts[2], &expires_ms)) {
    return std::nullopt;
  }
  value.expires_at = absl::FromUnixMillis(expires_ms);
  value.session_id = std::string(parts[3]);
  return value;
}

std::string AccountLabel(const User& user) { return !user.email.empty() ? user.email : user.phone; }

}  // namespace

absl::Status AuthCore::CheckSecondFactorBudget(absl::string_view user_id) {
  UW_ASSIGN_OR_RETURN(RateDecision decision,
                      deps_.limits->Hit(absl::StrCat("rl:2fa:", user_id),
                                        kSecondFactorGuessesPerWindow, kSecondFactorWindow));
  if (!decision.allowed) {
    return RateLimited(std::max<int64_t>(1, absl::ToInt64Seconds(decision.retry_after)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> AuthCore::CheckSecondFactor(absl::string_view user_id, SecondFactorKind kind,
                                                 absl::string_view code) {
  std::optional<TotpRecord> record;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(record, tx.Totp(user_id, false));
    return absl::OkStatus();
  }));
  if (!record || !record->enabled) {
    return WithReason(absl::StatusCode::kFailedPrecondition, reason::kTotpNotEnabled,
                      "two-step verification is not enabled");
  }
  if (kind == SecondFactorKind::kRecoveryCode) {
    absl::StatusOr<std::string> normalized = crypto::NormalizeRecoveryCode(code);
    if (!normalized.ok()) return false;
    const std::string hash =
        crypto::Base64UrlEncode(crypto::HmacSha256(keys_.recovery_pepper, *normalized));
    bool used = false;
    UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(used, tx.UseRecoveryCode(user_id, hash, deps_.clock->Now()));
      return absl::OkStatus();
    }));
    return used;
  }
  if (kind != SecondFactorKind::kTotp) return false;
  UW_ASSIGN_OR_RETURN(std::string secret, crypto::Open(keys_.totp_key, record->sealed_secret,
                                                       TotpAssociatedData(user_id)));
  const std::optional<int64_t> counter = crypto::TotpMatch(secret, code, deps_.clock->Now());
  if (!counter) return false;
  // Accepted once: the counter must move forward, atomically in the store.
  bool advanced = false;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(advanced, tx.AdvanceTotpCounter(user_id, *counter));
    return absl::OkStatus();
  }));
  return advanced;
}

absl::StatusOr<TotpEnrollment> AuthCore::BeginTotpEnrollment(const Caller& caller) {
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  UW_ASSIGN_OR_RETURN(std::string secret, crypto::NewTotpSecret());
  UW_ASSIGN_OR_RETURN(std::string sealed,
                      crypto::Seal(keys_.totp_key, secret, TotpAssociatedData(session.user_id)));
  const absl::Time now = deps_.clock->Now();
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserById(session.user_id, false));
    if (!user) return SessionExpired();
    UW_ASSIGN_OR_RETURN(std::optional<TotpRecord> existing, tx.Totp(session.user_id, true));
    if (existing && existing->enabled) {
      return WithReason(absl::StatusCode::kFailedPrecondition, reason::kTotpAlreadyEnabled,
                        "two-step verification is already enabled");
    }
    return tx.PutTotp(TotpRecord{.user_id = session.user_id,
                                 .sealed_secret = sealed,
                                 .enabled = false,
                                 .pending_expires_at = now + limits_.totp_enrollment_ttl,
                                 .last_used_counter = -1,
                                 .created_at = now});
  }));
  UW_ASSIGN_OR_RETURN(std::string uri, crypto::OtpauthUri(kIssuer, AccountLabel(*user), secret));
  return TotpEnrollment{.secret_base32 = crypto::Base32Encode(secret),
                        .otpauth_uri = std::move(uri),
                        .expires_at = now + limits_.totp_enrollment_ttl};
}

absl::StatusOr<std::vector<std::string>> AuthCore::ConfirmTotpEnrollment(const Caller& caller,
                                                                         absl::string_view code) {
  UW_RETURN_IF_ERROR(CheckSixDigits(code, "code"));
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  UW_RETURN_IF_ERROR(CheckSecondFactorBudget(session.user_id));
  UW_ASSIGN_OR_RETURN(std::vector<std::string> recovery_codes,
                      crypto::NewRecoveryCodes(limits_.recovery_codes));
  std::vector<std::string> hashes;
  for (const std::string& recovery : recovery_codes) {
    hashes.push_back(crypto::Base64UrlEncode(crypto::HmacSha256(keys_.recovery_pepper, recovery)));
  }
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserById(session.user_id, false));
    if (!user) return SessionExpired();
    UW_ASSIGN_OR_RETURN(std::optional<TotpRecord> record, tx.Totp(session.user_id, true));
    const absl::Time now = deps_.clock->Now();
    if (record && record->enabled) {
      return WithReason(absl::StatusCode::kFailedPrecondition, reason::kTotpAlreadyEnabled,
                        "two-step verification is already enabled");
    }
    if (!record || now >= record->pending_expires_at) {
      return WithReason(absl::StatusCode::kFailedPrecondition, reason::kCodeExpired,
                        "no enrolment pending; start again with BeginTotpEnrollment");
    }
    UW_ASSIGN_OR_RETURN(std::string secret, crypto::Open(keys_.totp_key, record->sealed_secret,
                                                         TotpAssociatedData(session.user_id)));
    const std::optional<int64_t> counter = crypto::TotpMatch(secret, code, now);
    if (!counter) return CodeInvalid(1);
    record->enabled = true;
    record->enabled_at = now;
    record->pending_expires_at = absl::InfinitePast();
    record->last_used_counter = *counter;
    UW_RETURN_IF_ERROR(tx.PutTotp(*record));
    UW_RETURN_IF_ERROR(tx.ReplaceRecoveryCodes(session.user_id, hashes));
    return tx.AppendSecurityEvent(
        NewEvent(session.user_id, SecurityEventKind::kTotpEnabled, caller, "enabled by user"));
  }));
  NotifyUser(*user, "totp_enabled", {"Two-step verification is on", "两步验证已开启"},
             {"Two-step verification was turned on for your uwallet account.",
              "你的 uwallet 账户已开启两步验证。"});
  return recovery_codes;
}

absl::Status AuthCore::DisableTotp(const Caller& caller, absl::string_view code) {
  if (code.empty()) return InvalidField("code", "required");
  if (code.size() > kTokenBytesMax) return InvalidField("code", "too long");
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  UW_RETURN_IF_ERROR(CheckSecondFactorBudget(session.user_id));
  const bool digits = CheckSixDigits(code, "code").ok();
  UW_ASSIGN_OR_RETURN(
      bool accepted,
      CheckSecondFactor(session.user_id,
                        digits ? SecondFactorKind::kTotp : SecondFactorKind::kRecoveryCode, code));
  if (!accepted) return CodeInvalid(1);
  std::optional<User> user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserById(session.user_id, false));
    if (!user) return SessionExpired();
    UW_RETURN_IF_ERROR(tx.DeleteTotp(session.user_id));
    return tx.AppendSecurityEvent(
        NewEvent(session.user_id, SecurityEventKind::kTotpDisabled, caller, "disabled by user"));
  }));
  NotifyUser(*user, "totp_disabled", {"Two-step verification is off", "两步验证已关闭"},
             {"Two-step verification was turned off for your uwallet account. If this was not "
              "you, contact uwallet support at once.",
              "你的 uwallet 账户已关闭两步验证。如果不是你本人操作，请立即联系 uwallet 客服。"});
  return absl::OkStatus();
}

absl::StatusOr<StepUpResult> AuthCore::StepUp(const Caller& caller, absl::string_view code,
                                              absl::string_view totp_code, int action) {
  if (action < 1 || action > 4) return InvalidField("action", "required");
  if (code.empty() == totp_code.empty()) {
    return InvalidField("proof", "exactly one of code or totp_code");
  }
  UW_RETURN_IF_ERROR(
      CheckSixDigits(code.empty() ? totp_code : code, code.empty() ? "totp_code" : "code"));
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  UW_ASSIGN_OR_RETURN(User user, LoadUser(session.user_id));
  if (!totp_code.empty()) {
    UW_RETURN_IF_ERROR(CheckSecondFactorBudget(user.user_id));
    UW_ASSIGN_OR_RETURN(bool accepted,
                        CheckSecondFactor(user.user_id, SecondFactorKind::kTotp, totp_code));
    if (!accepted) return CodeInvalid(1);
  } else {
    // The code went to one of the verified contacts: use the one that has a live code, so that
    // no attempt is spent on the other.
    std::optional<Contact> target;
    for (const Contact& contact : user.VerifiedContacts()) {
      UW_ASSIGN_OR_RETURN(bool live, deps_.codes->Exists(CodeKey(CodePurpose::kStepUp, contact)));
      if (live) {
        target = contact;
        break;
      }
    }
    if (!target) return CodeExpired();
    UW_RETURN_IF_ERROR(CheckCode(CodePurpose::kStepUp, *target, code));
  }
  const absl::Time now = deps_.clock->Now();
  UW_ASSIGN_OR_RETURN(std::string step_up_token, crypto::RandomToken(crypto::kSessionTokenBytes));
  const StepUpValue value{.user_id = user.user_id,
                          .action = action,
                          .expires_at = now + limits_.step_up_ttl,
                          .session_id = session.session_id};
  UW_RETURN_IF_ERROR(
      deps_.tokens->Put(StepUpKey(step_up_token), EncodeStepUp(value), limits_.step_up_ttl));
  // A new session token as well: whatever held the old one loses it.
  UW_ASSIGN_OR_RETURN(std::string token, crypto::RandomToken(crypto::kSessionTokenBytes));
  session.step_up_at = now;
  UW_ASSIGN_OR_RETURN(bool alive,
                      deps_.sessions->Rotate(session.session_id, crypto::Sha256Hex(token), now,
                                             KeepFor(session, now)));
  if (!alive) return SessionExpired();
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) {
    SecurityEvent event = NewEvent(user.user_id, SecurityEventKind::kStepUp, caller,
                                   totp_code.empty() ? "by code" : "by totp");
    event.attributes["action"] = std::to_string(action);
    return tx.AppendSecurityEvent(event);
  }));
  return StepUpResult{.step_up_token = std::move(step_up_token),
                      .expires_at = value.expires_at,
                      .session = IssuedSession{.token = std::move(token),
                                               .session = std::move(session),
                                               .idle_timeout = limits_.session_idle}};
}

absl::StatusOr<absl::Time> AuthCore::ValidateStepUpToken(absl::string_view token,
                                                         absl::string_view user_id, int action,
                                                         bool consume) {
  if (action < 1 || action > 4) return InvalidField("action", "required");
  if (user_id.empty()) return InvalidField("user_id", "required");
  if (token.empty()) return StepUpRequired("a step-up token is required for this action");
  if (token.size() > kTokenBytesMax) return StepUpRequired("step-up token invalid");
  const std::string key = StepUpKey(token);
  UW_ASSIGN_OR_RETURN(std::optional<std::string> stored, deps_.tokens->Get(key));
  if (!stored) return StepUpRequired("step-up token expired or used");
  const std::optional<StepUpValue> value = DecodeStepUp(*stored);
  if (!value || value->user_id != user_id || value->action != action ||
      deps_.clock->Now() >= value->expires_at) {
    return StepUpRequired("step-up token is not for this user and action");
  }
  if (consume) {
    UW_ASSIGN_OR_RETURN(std::optional<std::string> taken, deps_.tokens->Take(key));
    if (!taken || *taken != *stored) return StepUpRequired("step-up token expired or used");
  }
  return value->expires_at;
}

// ---------------------------------------------------------------------------------------------
// Profile and contact change

absl::StatusOr<ProfileView> AuthCore::GetProfile(const Caller& caller) {
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  ProfileView view;
  bool found = false;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserById(session.user_id, false));
    if (!user) return absl::OkStatus();
    found = true;
    view.user = *std::move(user);
    UW_ASSIGN_OR_RETURN(std::optional<TotpRecord> totp, tx.Totp(session.user_id, false));
    view.totp_enabled = totp.has_value() && totp->enabled;
    return absl::OkStatus();
  }));
  if (!found) return SessionExpired();
  return view;
}

absl::StatusOr<ProfileView> AuthCore::UpdateProfile(const Caller& caller,
                                                    const std::optional<std::string>& display_name,
                                                    const std::optional<std::string>& locale) {
  if (display_name) UW_RETURN_IF_ERROR(CheckDisplayName(*display_name));
  if (locale) UW_RETURN_IF_ERROR(CheckLocale(*locale));
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserById(session.user_id, true));
    if (!user) return SessionExpired();
    if (display_name) user->display_name = *display_name;
    if (locale) user->locale = *locale;
    user->updated_at = deps_.clock->Now();
    return tx.UpdateUser(*user);
  }));
  return GetProfile(caller);
}

absl::StatusOr<ProfileView> AuthCore::ChangeContact(const Caller& caller,
                                                    absl::string_view new_destination,
                                                    absl::string_view code,
                                                    absl::string_view step_up_token) {
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeContact(new_destination, "new_destination"));
  UW_RETURN_IF_ERROR(CheckSixDigits(code, "code"));
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  const int action = static_cast<int>(StepUpAction::kChangeContact);
  UW_RETURN_IF_ERROR(
      ValidateStepUpToken(step_up_token, session.user_id, action, /*consume=*/false).status());
  // Refuse a taken contact before the code is used up.
  std::optional<User> owner;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(owner, tx.UserByContact(contact, false));
    return absl::OkStatus();
  }));
  if (owner) {
    return WithReason(absl::StatusCode::kAlreadyExists, reason::kContactAlreadyRegistered,
                      "this phone or email is already registered");
  }
  UW_RETURN_IF_ERROR(CheckCode(CodePurpose::kChangeContact, contact, code));
  UW_RETURN_IF_ERROR(
      ValidateStepUpToken(step_up_token, session.user_id, action, /*consume=*/true).status());
  User before;
  User after;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserById(session.user_id, true));
    if (!user) return SessionExpired();
    before = *user;
    if (contact.kind == ContactKind::kPhone) {
      user->phone = contact.value;
      user->phone_verified = true;
    } else {
      user->email = contact.value;
      user->email_verified = true;
    }
    user->updated_at = deps_.clock->Now();
    UW_RETURN_IF_ERROR(tx.UpdateUser(*user));
    after = *user;
    return tx.AppendSecurityEvent(
        NewEvent(user->user_id, SecurityEventKind::kContactChanged, caller,
                 contact.kind == ContactKind::kPhone ? "phone changed" : "email changed"));
  }));
  // The old contact hears about it too: it is where a victim would still be reachable.
  const bool phone = contact.kind == ContactKind::kPhone;
  NotifyUser(before, "contact_changed",
             {"Your uwallet contact was changed", "你的 uwallet 联系方式已变更"},
             {absl::StrCat("The ", phone ? "phone number" : "email",
                           " of your account was changed to ", MaskContact(contact),
                           ". If this was not you, contact uwallet support at once."),
              absl::StrCat("你账户的", phone ? "手机号" : "邮箱", "已改为 ", MaskContact(contact),
                           "。如果不是你本人操作，请立即联系 uwallet 客服。")});
  (void)after;
  return GetProfile(caller);
}

}  // namespace uwallet::auth
