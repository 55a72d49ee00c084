// AuthCore: sign-in with lockout, second-factor challenges, sessions, password change.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/auth/core/auth_core.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"
#include "services/auth/core/password_policy.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/random.h"

namespace uwallet::auth {
namespace {

absl::Status CheckDevice(const Device& device) {
  if (device.device_id.size() > kDeviceFieldBytesMax) {
    return InvalidField("device.device_id", "too long");
  }
  if (device.name.size() > kDeviceFieldBytesMax) return InvalidField("device.name", "too long");
  if (device.app_version.size() > kDeviceFieldBytesMax) {
    return InvalidField("device.app_version", "too long");
  }
  if (device.platform < 0 || device.platform > 5) return InvalidField("device.platform", "unknown");
  return absl::OkStatus();
}

std::string ChallengeKey(absl::string_view challenge_id) {
  return absl::StrCat("chal:", crypto::Sha256Hex(challenge_id));
}

// The value stored under a challenge key: who, from which device, and for a contact-code
// challenge the keyed hash of the code that was sent.
nlohmann::json ChallengeValue(absl::string_view user_id, const Device& device) {
  return {{"uid", std::string(user_id)},   {"dev_id", device.device_id},
          {"dev_name", device.name},       {"dev_platform", device.platform},
          {"dev_app", device.app_version}, {"dev_secret", device.secret_hash}};
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr char kMethodContactCode[] = "contact_code";

std::string DeviceLabel(const Device& device) {
  if (!device.name.empty()) return device.name;
  if (!device.device_id.empty()) return absl::StrCat("device ", device.device_id);
  return "an unknown device";
}

}  // namespace

bool AuthCore::SessionExpiredAt(const SessionRecord& session, absl::Time now) const {
  return now >= session.expires_at || now >= session.last_seen_at + limits_.session_idle;
}

absl::Duration AuthCore::KeepFor(const SessionRecord& session, absl::Time now) const {
  // The store keeps a session a little past the point where the core would refuse it anyway;
  // activity is written back at most every session_touch_interval.
  const absl::Duration idle_left =
      session.last_seen_at + limits_.session_idle + limits_.session_touch_interval - now;
  const absl::Duration absolute_left = session.expires_at - now;
  return std::max(absl::Seconds(1), std::min(idle_left, absolute_left));
}

absl::StatusOr<SessionRecord> AuthCore::RequireSession(const Caller& caller) {
  if (caller.user_id.empty() || caller.session_id.empty()) return SessionExpired();
  UW_ASSIGN_OR_RETURN(std::optional<SessionRecord> session,
                      deps_.sessions->ById(caller.session_id));
  if (!session || session->user_id != caller.user_id) return SessionExpired();
  if (SessionExpiredAt(*session, deps_.clock->Now())) {
    (void)deps_.sessions->Revoke(session->session_id);
    return SessionExpired();
  }
  return *std::move(session);
}

absl::StatusOr<IssuedSession> AuthCore::IssueSession(const User& user, const Device& device,
                                                     const Caller& caller) {
  const absl::Time now = deps_.clock->Now();
  UW_ASSIGN_OR_RETURN(std::string token, crypto::RandomToken(crypto::kSessionTokenBytes));
  SessionRecord session;
  session.session_id = deps_.ids->NewId();
  session.user_id = user.user_id;
  session.roles = user.roles;
  session.contact_verified = user.ContactVerified();
  session.device = device;
  session.ip = caller.ip;
  session.created_at = now;
  session.last_seen_at = now;
  session.expires_at = now + limits_.session_absolute;
  // The per-user number of sessions stays bounded: the least recently used ones make room.
  UW_RETURN_IF_ERROR(deps_.sessions->Create(session, crypto::Sha256Hex(token),
                                            KeepFor(session, now), limits_.sessions_per_user_max));
  return IssuedSession{.token = std::move(token),
                       .session = std::move(session),
                       .idle_timeout = limits_.session_idle};
}

absl::Status AuthCore::RecordFailedPassword(const User& user, const Device& device,
                                            const Caller& caller, absl::string_view detail) {
  FailureOutcome outcome;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(LockState state, tx.Lockout(user.user_id, /*for_update=*/true));
    const absl::Time now = deps_.clock->Now();
    outcome = ApplyFailure(limits_.lockout, state, now);
    SecurityEvent failed = NewEvent(user.user_id, SecurityEventKind::kLoginFailed, caller,
                                    outcome.counted ? detail : "attempt while locked");
    failed.device = device;
    failed.attributes["failed_attempts"] = std::to_string(outcome.state.failed_attempts);
    UW_RETURN_IF_ERROR(tx.AppendSecurityEvent(failed));
    if (!outcome.counted) return absl::OkStatus();
    UW_RETURN_IF_ERROR(tx.SetLockout(user.user_id, outcome.state));
    if (outcome.locked_now) {
      SecurityEvent locked = NewEvent(user.user_id, SecurityEventKind::kLocked, caller,
                                      outcome.state.locked_indefinitely
                                          ? "locked until support unlocks or password reset"
                                          : "locked after repeated wrong passwords");
      locked.device = device;
      locked.attributes["lock_count"] = std::to_string(outcome.state.lock_count);
      locked.attributes["locked_until"] =
          outcome.state.locked_indefinitely
              ? std::string()
              : absl::FormatTime(absl::RFC3339_sec, outcome.state.locked_until,
                                 absl::UTCTimeZone());
      UW_RETURN_IF_ERROR(tx.AppendSecurityEvent(locked));
    }
    return absl::OkStatus();
  }));
  if (outcome.locked_now) {
    const std::string at =
        absl::FormatTime("%Y-%m-%d %H:%M UTC", outcome.state.locked_until, absl::UTCTimeZone());
    const Text until =
        outcome.state.locked_indefinitely
            ? Text{"until you reset your password or contact support", "，直到你重设密码或联系客服"}
            : Text{absl::StrCat("until ", at, ", or until you reset your password"),
                   absl::StrCat("至 ", at, "（重设密码后可立即登录）")};
    NotifyUser(user, "account_locked",
               {"Your uwallet account is locked", "你的 uwallet 账户已锁定"},
               {absl::StrCat("After several wrong passwords, sign-in to your account is locked ",
                             until.en, ". If this was not you, reset your password now."),
                absl::StrCat("由于多次输错密码，你的账户登录已锁定", until.zh,
                             "。如果不是你本人操作，请立即重设密码。")});
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedSession> AuthCore::CompleteLogin(const User& candidate, const Device& device,
                                                      const Caller& caller) {
  // Made before the transaction (its body may run again); used only if the device is not known.
  std::string device_token;
  if (!device.device_id.empty()) {
    UW_ASSIGN_OR_RETURN(device_token, crypto::RandomToken(crypto::kSessionTokenBytes));
  }
  bool new_device = false;
  bool signed_in_before = false;
  User user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    // Re-read under the row locks: a lock or freeze that landed while the password was being
    // checked wins.
    UW_ASSIGN_OR_RETURN(std::optional<SignInLock> current,
                        tx.LockForSignIn(candidate.user_id, device));
    if (!current) return InvalidCredentials();
    const absl::Time now = deps_.clock->Now();
    if (current->lock.IsLocked(now)) return InvalidCredentials();
    if (current->user.frozen) {
      return WithReason(absl::StatusCode::kUnauthenticated, reason::kAccountFrozen,
                        "this account is frozen; contact uwallet support");
    }
    SignInRecord record{.user_id = current->user.user_id,
                        .now = now,
                        .clear_lockout = !(current->lock == Cleared()),
                        .ip = caller.ip};
    signed_in_before = current->user.last_login_at != absl::InfinitePast();
    current->user.last_login_at = now;
    if (!device.device_id.empty()) {
      record.device = device;
      new_device = !current->device_known;
      // A device that did not prove itself with its secret (new, or an id alone) gets one now;
      // a device id claimed without it counts as a new device, whoever knew the id.
      if (new_device) record.new_device_secret_hash = crypto::Sha256Hex(device_token);
    }
    SecurityEvent succeeded =
        NewEvent(current->user.user_id, SecurityEventKind::kLoginSucceeded, caller, "");
    succeeded.device = device;
    record.events.push_back(std::move(succeeded));
    if (new_device) {
      SecurityEvent seen = NewEvent(current->user.user_id, SecurityEventKind::kNewDevice, caller,
                                    DeviceLabel(device));
      seen.device = device;
      record.events.push_back(std::move(seen));
    }
    UW_RETURN_IF_ERROR(tx.RecordSignIn(record));
    user = std::move(current->user);
    return absl::OkStatus();
  }));
  if (new_device && signed_in_before) {
    NotifyUser(user, "new_device",
               {"New sign-in to your uwallet account", "你的 uwallet 账户在新设备上登录"},
               {absl::StrCat("Your account was just signed in on ", DeviceLabel(device),
                             ". If this was not you, reset your password and contact support."),
                absl::StrCat("你的账户刚刚在 ", DeviceLabel(device),
                             " 上登录。如果不是你本人操作，请重设密码并联系客服。")});
  }
  UW_ASSIGN_OR_RETURN(IssuedSession session, IssueSession(user, device, caller));
  if (new_device) session.device_token = std::move(device_token);
  return session;
}

bool AuthCore::NewDeviceIsRisky(const SignInCandidate& candidate, const Device& device) const {
  if (!limits_.new_device_challenge || !candidate.user.ContactVerified()) return false;
  // The first device is trusted (there is nothing to compare with); an unidentified device
  // (no device id) of a user who has devices counts as new.
  if (!candidate.has_devices) return false;
  if (device.device_id.empty()) return true;
  return !candidate.device_known;
}

absl::StatusOr<Challenge> AuthCore::StartContactCodeChallenge(const User& user,
                                                              const Device& device) {
  const std::vector<Contact> contacts = user.VerifiedContacts();
  if (contacts.empty()) return absl::InternalError("no verified contact for a contact code");
  const Contact& contact = contacts.front();
  UW_ASSIGN_OR_RETURN(
      RateDecision budget,
      deps_.limits->Hit(absl::StrCat("rl:chalcode:", user.user_id),
                        limits_.new_device_codes_per_user_per_hour, absl::Hours(1)));
  if (!budget.allowed) {
    return RateLimited(std::max<int64_t>(1, absl::ToInt64Seconds(budget.retry_after)));
  }
  UW_ASSIGN_OR_RETURN(std::string challenge_id, crypto::RandomToken(32));
  UW_ASSIGN_OR_RETURN(std::string code, crypto::RandomDigits(6));
  nlohmann::json value = ChallengeValue(user.user_id, device);
  value["method"] = kMethodContactCode;
  value["code_hash"] = ContactCodeHash(challenge_id, code);
  UW_RETURN_IF_ERROR(
      deps_.tokens->Put(ChallengeKey(challenge_id), DumpJson(value), limits_.challenge_ttl));
  notify::Notification message;
  message.channel =
      contact.kind == ContactKind::kPhone ? notify::Channel::kSms : notify::Channel::kEmail;
  message.destination = contact.value;
  message.kind = "login_challenge";
  const int64_t minutes = absl::ToInt64Minutes(limits_.challenge_ttl);
  message.subject = Pick({"Your uwallet sign-in code", "uwallet 登录验证码"}, user.locale);
  message.body =
      Pick({absl::StrCat("[uwallet] Your code to sign in on ", DeviceLabel(device), " is ", code,
                         ". It expires in ", minutes,
                         " minutes. If you are not signing in, change your password now."),
            absl::StrCat("【uwallet】你在 ", DeviceLabel(device), " 上登录的验证码是 ", code, "，",
                         minutes, " 分钟内有效。如果不是你本人在登录，请立即修改密码。")},
           user.locale);
  message.code = code;
  UW_RETURN_IF_ERROR(deps_.notifier->Send(message));
  return Challenge{.challenge_id = std::move(challenge_id),
                   .methods = {SecondFactorKind::kContactCode},
                   .masked_destination = MaskContact(contact),
                   .expires_at = deps_.clock->Now() + limits_.challenge_ttl};
}

std::string AuthCore::ContactCodeHash(absl::string_view challenge_id,
                                      absl::string_view code) const {
  return crypto::Base64UrlEncode(crypto::HmacSha256(
      keys_.code_pepper, absl::StrCat("login-challenge\n", challenge_id, "\n", code)));
}

absl::StatusOr<LoginResult> AuthCore::Login(absl::string_view identifier,
                                            absl::string_view password,
                                            const Device& presented_device, const Caller& caller,
                                            absl::string_view device_token) {
  if (identifier.empty()) return InvalidField("identifier", "required");
  if (identifier.size() > kContactInputBytesMax) return InvalidField("identifier", "too long");
  if (password.empty()) return InvalidField("password", "required");
  if (password.size() > kPasswordInputBytesMax) return InvalidField("password", "too long");
  UW_RETURN_IF_ERROR(CheckDevice(presented_device));
  if (device_token.size() > kDeviceTokenBytesMax) return InvalidField("device_token", "too long");
  Device device = presented_device;
  device.secret_hash = device_token.empty() ? "" : crypto::Sha256Hex(device_token);
  UW_RETURN_IF_ERROR(
      CheckIpBudget("login", caller, limits_.logins_per_ip_per_minute, absl::Minutes(1)));

  absl::StatusOr<Contact> contact = NormalizeContact(identifier, "identifier");
  if (!contact.ok()) {
    (void)PasswordMatches(std::nullopt, password);
    return InvalidCredentials();
  }
  // One round trip before the hash: the user, the hash, the lockout, TOTP and the device.
  UW_ASSIGN_OR_RETURN(std::optional<SignInCandidate> candidate,
                      deps_.store->FindSignInCandidate(*contact, device));
  std::optional<std::string> hash;
  if (candidate) hash = candidate->password_hash;
  // The hash is always computed: unknown users, locked accounts and wrong passwords all cost the
  // same time and get the same answer.
  const bool matches = PasswordMatches(hash, password);
  if (!candidate) return InvalidCredentials();
  const User* user = &candidate->user;
  if (!matches || candidate->lock.IsLocked(deps_.clock->Now())) {
    UW_RETURN_IF_ERROR(RecordFailedPassword(*user, device, caller, "wrong password"));
    return InvalidCredentials();
  }
  if (user->frozen) {
    SecurityEvent refused =
        NewEvent(user->user_id, SecurityEventKind::kLoginFailed, caller, "account frozen");
    refused.device = device;
    UW_RETURN_IF_ERROR(
        deps_.store->Transact([&](AuthTx& tx) { return tx.AppendSecurityEvent(refused); }));
    // Only a caller who knows the password learns that the account is frozen.
    return WithReason(absl::StatusCode::kUnauthenticated, reason::kAccountFrozen,
                      "this account is frozen; contact uwallet support");
  }
  if (candidate->totp_enabled) {
    UW_ASSIGN_OR_RETURN(std::string challenge_id, crypto::RandomToken(32));
    UW_RETURN_IF_ERROR(deps_.tokens->Put(ChallengeKey(challenge_id),
                                         DumpJson(ChallengeValue(user->user_id, device)),
                                         limits_.challenge_ttl));
    Challenge challenge{.challenge_id = std::move(challenge_id),
                        .methods = {SecondFactorKind::kTotp, SecondFactorKind::kRecoveryCode},
                        .expires_at = deps_.clock->Now() + limits_.challenge_ttl};
    return LoginResult{.challenge = std::move(challenge)};
  }
  if (NewDeviceIsRisky(*candidate, device)) {
    UW_ASSIGN_OR_RETURN(Challenge challenge, StartContactCodeChallenge(*user, device));
    return LoginResult{.challenge = std::move(challenge)};
  }
  UW_ASSIGN_OR_RETURN(IssuedSession session, CompleteLogin(*user, device, caller));
  return LoginResult{.session = std::move(session)};
}

absl::StatusOr<IssuedSession> AuthCore::CompleteSecondFactor(absl::string_view challenge_id,
                                                             SecondFactorKind kind,
                                                             absl::string_view code,
                                                             const Caller& caller) {
  if (challenge_id.empty()) return InvalidField("challenge_id", "required");
  if (challenge_id.size() > kTokenBytesMax) return InvalidField("challenge_id", "too long");
  if (code.empty()) {
    return InvalidField("factor", "a totp_code, recovery_code or contact_code is required");
  }
  if (code.size() > kTokenBytesMax) return InvalidField("factor", "too long");
  const absl::Status expired =
      WithReason(absl::StatusCode::kFailedPrecondition, reason::kChallengeExpired,
                 "the sign-in challenge expired or was completed");
  const std::string key = ChallengeKey(challenge_id);
  UW_ASSIGN_OR_RETURN(std::optional<std::string> value, deps_.tokens->Get(key));
  if (!value) return expired;
  const nlohmann::json parsed = nlohmann::json::parse(*value, nullptr, false);
  if (!parsed.is_object()) return absl::InternalError("unreadable challenge");
  const std::string user_id = parsed.value("uid", "");
  Device device{.device_id = parsed.value("dev_id", ""),
                .name = parsed.value("dev_name", ""),
                .platform = parsed.value("dev_platform", 0),
                .app_version = parsed.value("dev_app", ""),
                .secret_hash = parsed.value("dev_secret", "")};
  const bool contact_challenge = parsed.value("method", "") == kMethodContactCode;
  if (contact_challenge != (kind == SecondFactorKind::kContactCode)) {
    return InvalidField(kind == SecondFactorKind::kContactCode ? "contact_code" : "factor",
                        contact_challenge ? "this challenge accepts the contact_code sent"
                                          : "not offered for this challenge");
  }

  UW_ASSIGN_OR_RETURN(RateDecision tries,
                      deps_.limits->Hit(absl::StrCat("rl:chal:", crypto::Sha256Hex(challenge_id)),
                                        limits_.challenge_attempts_max, limits_.challenge_ttl));
  if (!tries.allowed) {
    UW_RETURN_IF_ERROR(deps_.tokens->Delete(key));
    return expired;
  }
  bool accepted = false;
  if (contact_challenge) {
    accepted = crypto::ConstantTimeEquals(ContactCodeHash(challenge_id, code),
                                          parsed.value("code_hash", ""));
  } else {
    UW_ASSIGN_OR_RETURN(accepted, CheckSecondFactor(user_id, kind, code));
  }
  if (!accepted) {
    const int left = static_cast<int>(limits_.challenge_attempts_max - tries.count);
    if (left <= 0) UW_RETURN_IF_ERROR(deps_.tokens->Delete(key));
    return CodeInvalid(std::max(0, left));
  }
  // Exactly one completion per challenge, however many race.
  UW_ASSIGN_OR_RETURN(std::optional<std::string> taken, deps_.tokens->Take(key));
  if (!taken) return expired;
  UW_ASSIGN_OR_RETURN(User user, LoadUser(user_id));
  return CompleteLogin(user, device, caller);
}

// ---------------------------------------------------------------------------------------------
// Sessions

absl::StatusOr<SessionIdentity> AuthCore::ValidateSession(absl::string_view token,
                                                          absl::string_view ip) {
  if (token.empty()) return InvalidField("token", "required");
  if (token.size() > kTokenBytesMax) return SessionExpired();
  UW_ASSIGN_OR_RETURN(std::optional<SessionRecord> session,
                      deps_.sessions->ByTokenHash(crypto::Sha256Hex(token)));
  if (!session) return SessionExpired();
  const absl::Time now = deps_.clock->Now();
  if (SessionExpiredAt(*session, now)) {
    (void)deps_.sessions->Revoke(session->session_id);
    return SessionExpired();
  }
  const bool ip_changed = !ip.empty() && ip != session->ip;
  if (ip_changed || now - session->last_seen_at >= limits_.session_touch_interval) {
    session->last_seen_at = now;
    if (!ip.empty()) session->ip = std::string(ip);
    UW_ASSIGN_OR_RETURN(bool alive, deps_.sessions->Touch(session->session_id, now, session->ip,
                                                          KeepFor(*session, now)));
    if (!alive) return SessionExpired();
  }
  return SessionIdentity{.session = *std::move(session)};
}

absl::Status AuthCore::Logout(const Caller& caller) {
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  return deps_.sessions->Revoke(session.session_id).status();
}

absl::StatusOr<int> AuthCore::LogoutAll(const Caller& caller, bool keep_current) {
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  return deps_.sessions->RevokeAllForUser(session.user_id,
                                          keep_current ? session.session_id : std::string());
}

absl::StatusOr<std::vector<SessionRecord>> AuthCore::ListSessions(const Caller& caller) {
  UW_ASSIGN_OR_RETURN(SessionRecord current, RequireSession(caller));
  UW_ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions,
                      deps_.sessions->ListForUser(current.user_id));
  const absl::Time now = deps_.clock->Now();
  sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                [&](const SessionRecord& s) { return SessionExpiredAt(s, now); }),
                 sessions.end());
  std::sort(sessions.begin(), sessions.end(),
            [](const auto& a, const auto& b) { return a.last_seen_at > b.last_seen_at; });
  return sessions;
}

absl::Status AuthCore::RevokeSession(const Caller& caller, absl::string_view session_id) {
  if (session_id.empty()) return InvalidField("session_id", "required");
  if (session_id.size() > kTokenBytesMax) return InvalidField("session_id", "too long");
  UW_ASSIGN_OR_RETURN(SessionRecord current, RequireSession(caller));
  UW_ASSIGN_OR_RETURN(std::optional<SessionRecord> target, deps_.sessions->ById(session_id));
  if (!target || target->user_id != current.user_id) {
    return WithReason(absl::StatusCode::kNotFound, reason::kNotFound, "no such session");
  }
  UW_RETURN_IF_ERROR(deps_.sessions->Revoke(target->session_id).status());
  SecurityEvent revoked =
      NewEvent(current.user_id, SecurityEventKind::kSessionRevoked, caller, "revoked by the user");
  revoked.device = target->device;
  return deps_.store->Transact([&](AuthTx& tx) { return tx.AppendSecurityEvent(revoked); });
}

absl::StatusOr<AuthCore::DeviceList> AuthCore::ListDevices(const Caller& caller) {
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  DeviceList list{.current_device_id = session.device.device_id};
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(list.devices, tx.Devices(session.user_id));
    return absl::OkStatus();
  }));
  for (KnownDevice& known : list.devices) known.device.secret_hash.clear();
  return list;
}

absl::StatusOr<int> AuthCore::ForgetDevice(const Caller& caller, absl::string_view device_id) {
  if (device_id.empty()) return InvalidField("device_id", "required");
  if (device_id.size() > kDeviceFieldBytesMax) return InvalidField("device_id", "too long");
  UW_ASSIGN_OR_RETURN(SessionRecord current, RequireSession(caller));
  // The secret first: from this commit on, the device's next sign-in is a new device. Its
  // sessions are signed out after (a sign-in racing in between is challenged like any other).
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<Device> device, tx.ForgetDevice(current.user_id, device_id));
    if (!device) {
      return WithReason(absl::StatusCode::kNotFound, reason::kNotFound, "no such device");
    }
    SecurityEvent forgotten = NewEvent(current.user_id, SecurityEventKind::kDeviceForgotten, caller,
                                       "forgotten by the user");
    forgotten.device = *std::move(device);  // named as the owner knows it (fraud's alert too)
    return tx.AppendSecurityEvent(forgotten);
  }));
  UW_ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions,
                      deps_.sessions->ListForUser(current.user_id));
  int revoked = 0;
  for (const SessionRecord& session : sessions) {
    if (session.device.device_id != device_id) continue;
    UW_ASSIGN_OR_RETURN(bool was_live, deps_.sessions->Revoke(session.session_id));
    revoked += was_live ? 1 : 0;
  }
  return revoked;
}

// ---------------------------------------------------------------------------------------------
// Password change (signed in)

absl::Status AuthCore::ChangePassword(const Caller& caller, absl::string_view old_password,
                                      absl::string_view new_password) {
  if (old_password.empty()) return InvalidField("old_password", "required");
  if (old_password.size() > kPasswordInputBytesMax) {
    return InvalidField("old_password", "too long");
  }
  UW_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, "new_password"));
  UW_ASSIGN_OR_RETURN(SessionRecord session, RequireSession(caller));
  std::optional<User> user;
  std::optional<std::string> hash;
  LockState lock;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(user, tx.UserById(session.user_id, false));
    if (!user) return SessionExpired();
    UW_ASSIGN_OR_RETURN(hash, tx.PasswordHash(user->user_id));
    UW_ASSIGN_OR_RETURN(lock, tx.Lockout(user->user_id, false));
    return absl::OkStatus();
  }));
  // A stolen session must not become a password oracle: wrong old passwords count towards the
  // same lockout as sign-ins.
  const bool matches = PasswordMatches(hash, old_password);
  if (!matches || lock.IsLocked(deps_.clock->Now())) {
    UW_RETURN_IF_ERROR(
        RecordFailedPassword(*user, session.device, caller, "wrong password at change"));
    return InvalidCredentials();
  }
  if (old_password == new_password) {
    return InvalidField("new_password", "must differ from the old password");
  }
  UW_ASSIGN_OR_RETURN(std::string new_hash, HashNewPassword(new_password));
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_RETURN_IF_ERROR(tx.SetPasswordHash(user->user_id, new_hash, deps_.clock->Now()));
    UW_RETURN_IF_ERROR(tx.SetLockout(user->user_id, Cleared()));
    return tx.AppendSecurityEvent(
        NewEvent(user->user_id, SecurityEventKind::kPasswordChanged, caller, "changed by user"));
  }));
  UW_RETURN_IF_ERROR(deps_.sessions->RevokeAllForUser(user->user_id, session.session_id).status());
  NotifyUser(*user, "password_changed",
             {"Your uwallet password was changed", "你的 uwallet 密码已修改"},
             {"Your password was changed and your other devices were signed out. If this was not "
              "you, reset your password and contact uwallet support.",
              "你的密码已修改，其他设备均已退出登录。如果不是你本人操作，请重设密码并联系 uwallet "
              "客服。"});
  return absl::OkStatus();
}

}  // namespace uwallet::auth
