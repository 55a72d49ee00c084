// AuthCore: staff actions (look-up, unlock, freeze, audit, staff accounts) and the internal API.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/auth/core/auth_core.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"
#include "services/auth/core/password_policy.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/encoding.h"

namespace uwallet::auth {
namespace {

absl::Status PageTokenInvalid() {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kPageTokenInvalid,
                    "page_token is not one this service issued");
}

// Page tokens carry the last id seen (a UUID), base64url encoded.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token) {
  if (token.empty()) return std::string();
  if (token.size() > 128) return PageTokenInvalid();
  absl::StatusOr<std::string> id = crypto::Base64UrlDecode(token);
  if (!id.ok() || !IsUuid(*id)) return PageTokenInvalid();
  return *std::move(id);
}

absl::Status CheckUserId(absl::string_view user_id, absl::string_view field = "user_id") {
  if (user_id.empty()) return InvalidField(field, "required");
  if (!IsUuid(user_id)) return InvalidField(field, "not a user id");
  return absl::OkStatus();
}

absl::Status CheckIdentityCheck(const IdentityCheck& check) {
  if (check.method < 1 || check.method > 4) {
    return InvalidField("identity_check.method", "the identity check performed is required");
  }
  size_t characters = 0;
  if (!CountUtf8(check.note, &characters)) {
    return InvalidField("identity_check.note", "not valid UTF-8");
  }
  if (characters > kNoteCharactersMax) {
    return InvalidField("identity_check.note", "at most 500 characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UserDetail> AuthCore::LoadDetail(absl::string_view user_id) {
  UserDetail detail;
  bool found = false;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserById(user_id, false));
    if (!user) return absl::OkStatus();
    found = true;
    detail.user = *std::move(user);
    UW_ASSIGN_OR_RETURN(detail.lock, tx.Lockout(user_id, false));
    UW_ASSIGN_OR_RETURN(std::optional<TotpRecord> totp, tx.Totp(user_id, false));
    detail.totp_enabled = totp.has_value() && totp->enabled;
    UW_ASSIGN_OR_RETURN(detail.devices, tx.Devices(user_id));
    UW_ASSIGN_OR_RETURN(detail.recent_events, tx.RecentSecurityEvents(user_id, kRecentEventsMax));
    return absl::OkStatus();
  }));
  if (!found) return UserNotFound();
  UW_ASSIGN_OR_RETURN(detail.sessions, deps_.sessions->ListForUser(user_id));
  const absl::Time now = deps_.clock->Now();
  detail.sessions.erase(
      std::remove_if(detail.sessions.begin(), detail.sessions.end(),
                     [&](const SessionRecord& s) { return SessionExpiredAt(s, now); }),
      detail.sessions.end());
  return detail;
}

absl::StatusOr<UsersPage> AuthCore::FindUsers(absl::string_view query_text, int page_size,
                                              absl::string_view page_token) {
  const absl::string_view text = absl::StripAsciiWhitespace(query_text);
  if (text.empty()) return InvalidField("query", "required");
  if (text.size() > kContactInputBytesMax) return InvalidField("query", "too long");
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  const int limit = page_size == 0 ? 20 : std::min(page_size, kFindUsersPageMax);
  UserQuery query;
  UW_ASSIGN_OR_RETURN(query.after_user_id, DecodePageToken(page_token));
  query.limit = limit + 1;
  if (IsUuid(text)) {
    query.user_id = absl::AsciiStrToLower(text);
  } else if (absl::StatusOr<Contact> contact = NormalizeContact(text, "query"); contact.ok()) {
    query.contact = *std::move(contact);
    query.by_contact = true;
  } else {
    query.display_name_prefix = std::string(text);
  }
  UsersPage page;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(page.users, tx.FindUsers(query));
    if (static_cast<int>(page.users.size()) > limit) {
      page.users.resize(limit);
      page.next_page_token = crypto::Base64UrlEncode(page.users.back().user_id);
    }
    std::vector<std::string> ids;
    for (const User& user : page.users) ids.push_back(user.user_id);
    UW_ASSIGN_OR_RETURN(auto locks, tx.Lockouts(ids));
    for (const User& user : page.users) page.locks.push_back(locks[user.user_id]);
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<UserDetail> AuthCore::GetUser(absl::string_view user_id) {
  UW_RETURN_IF_ERROR(CheckUserId(user_id));
  return LoadDetail(user_id);
}

absl::StatusOr<StaffActionResult> AuthCore::UnlockUser(const Caller& actor,
                                                       absl::string_view user_id,
                                                       absl::string_view reason_text,
                                                       const IdentityCheck& check) {
  UW_RETURN_IF_ERROR(CheckUserId(user_id));
  UW_RETURN_IF_ERROR(CheckReason(reason_text));
  UW_RETURN_IF_ERROR(CheckIdentityCheck(check));
  StaffActionResult result;
  User user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> found, tx.UserById(user_id, true));
    if (!found) return UserNotFound();
    user = *found;
    UW_ASSIGN_OR_RETURN(LockState lock, tx.Lockout(user_id, true));
    const bool was_locked = lock.IsLocked(deps_.clock->Now());
    UW_RETURN_IF_ERROR(tx.SetLockout(user_id, Cleared()));
    AuditEntry audit = NewAudit(actor, "auth.unlock_user", user_id, reason_text, check);
    audit.metadata["was_locked"] = was_locked ? "true" : "false";
    audit.metadata["lock_count"] = std::to_string(lock.lock_count);
    UW_RETURN_IF_ERROR(tx.AppendAudit(audit));
    result.audit_id = audit.audit_id;
    result.changed = was_locked || lock.failed_attempts > 0;
    SecurityEvent event =
        NewEvent(user_id, SecurityEventKind::kUnlocked, actor, "unlocked by staff");
    event.attributes["actor_id"] = audit.actor_id;
    event.attributes["audit_id"] = audit.audit_id;
    return tx.AppendSecurityEvent(event);
  }));
  log::Info("user unlocked", {{"user", std::string(user_id)}, {"audit", result.audit_id}});
  NotifyUser(user, "account_unlocked",
             {"Your uwallet account was unlocked", "你的 uwallet 账户已解锁"},
             {"uwallet support unlocked sign-in to your account. If you did not ask for this, "
              "reset your password.",
              "uwallet 客服已解除你账户的登录锁定。如果不是你本人申请的，请重设密码。"});
  UW_ASSIGN_OR_RETURN(result.detail, LoadDetail(user_id));
  return result;
}

absl::StatusOr<StaffActionResult> AuthCore::SetFrozen(const Caller& actor,
                                                      absl::string_view user_id, bool frozen,
                                                      absl::string_view reason_text,
                                                      absl::string_view case_id,
                                                      const IdentityCheck& check) {
  UW_RETURN_IF_ERROR(CheckUserId(user_id));
  UW_RETURN_IF_ERROR(CheckReason(reason_text));
  if (case_id.size() > 128) return InvalidField("case_id", "too long");
  if (!frozen) UW_RETURN_IF_ERROR(CheckIdentityCheck(check));
  // Sessions go before the freeze commits and again after it, so that no session outlives the
  // commit; a failure answers UNAVAILABLE and a retry (idempotent) revokes again.
  if (frozen) UW_RETURN_IF_ERROR(RevokeEverySession(user_id));
  StaffActionResult result;
  User user;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    result = StaffActionResult{};
    UW_ASSIGN_OR_RETURN(std::optional<User> found, tx.UserById(user_id, true));
    if (!found) return UserNotFound();
    user = *found;
    if (found->frozen == frozen) {
      result.changed = false;
      return absl::OkStatus();
    }
    const absl::Time now = deps_.clock->Now();
    AuditEntry audit = NewAudit(actor, frozen ? "auth.freeze_user" : "auth.unfreeze_user", user_id,
                                reason_text, check);
    if (!case_id.empty()) audit.metadata["case_id"] = std::string(case_id);
    if (frozen) {
      // No device stays trusted through a freeze (a stolen phone still holds its secret): after
      // the unfreeze, each device's next sign-in asks for a code sent to the verified contact.
      UW_ASSIGN_OR_RETURN(int forgotten, tx.ForgetAllDevices(user_id));
      audit.metadata["devices_forgotten"] = std::to_string(forgotten);
      found->frozen = true;
      found->frozen_reason = std::string(reason_text);
      found->frozen_by = audit.actor_id;
      found->frozen_at = now;
      found->frozen_case_id = std::string(case_id);
    } else {
      audit.metadata["frozen_by"] = found->frozen_by;
      found->frozen = false;
      found->frozen_reason.clear();
      found->frozen_by.clear();
      found->frozen_case_id.clear();
      found->frozen_at = absl::InfinitePast();
    }
    found->updated_at = now;
    UW_RETURN_IF_ERROR(tx.UpdateUser(*found));
    UW_RETURN_IF_ERROR(tx.AppendAudit(audit));
    result.audit_id = audit.audit_id;
    SecurityEvent event =
        NewEvent(user_id, frozen ? SecurityEventKind::kFrozen : SecurityEventKind::kUnfrozen, actor,
                 reason_text.substr(0, 200));
    event.attributes["actor_id"] = audit.actor_id;
    event.attributes["audit_id"] = audit.audit_id;
    if (!case_id.empty()) event.attributes["case_id"] = std::string(case_id);
    return tx.AppendSecurityEvent(event);
  }));
  if (frozen) UW_RETURN_IF_ERROR(RevokeEverySession(user_id));
  if (result.changed) {
    log::Info(frozen ? "user frozen" : "user unfrozen",
              {{"user", std::string(user_id)}, {"audit", result.audit_id}});
    if (frozen) {
      NotifyUser(
          user, "account_frozen", {"Your uwallet account is frozen", "你的 uwallet 账户已冻结"},
          {"Your account was frozen for your protection: sign-in and payments are paused. "
           "Contact uwallet support to restore it.",
           "为保护你的资金安全，你的账户已被冻结：登录和付款暂停。请联系 uwallet 客服恢复。"});
    } else {
      NotifyUser(user, "account_unfrozen",
                 {"Your uwallet account is active again", "你的 uwallet 账户已恢复使用"},
                 {"Your account was unfrozen by uwallet support. You can sign in again.",
                  "uwallet 客服已解除冻结，你可以重新登录了。"});
    }
  }
  UW_ASSIGN_OR_RETURN(result.detail, LoadDetail(user_id));
  return result;
}

absl::StatusOr<StaffActionResult> AuthCore::FreezeUser(const Caller& actor,
                                                       absl::string_view user_id,
                                                       absl::string_view reason_text,
                                                       absl::string_view case_id) {
  return SetFrozen(actor, user_id, true, reason_text, case_id, IdentityCheck{});
}

absl::StatusOr<StaffActionResult> AuthCore::UnfreezeUser(const Caller& actor,
                                                         absl::string_view user_id,
                                                         absl::string_view reason_text,
                                                         const IdentityCheck& check) {
  return SetFrozen(actor, user_id, false, reason_text, "", check);
}

absl::StatusOr<AuditPage> AuthCore::ListAuditLog(AuditFilter filter, int page_size,
                                                 absl::string_view page_token) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  if (!filter.target_user_id.empty()) {
    UW_RETURN_IF_ERROR(CheckUserId(filter.target_user_id, "target_user_id"));
  }
  if (filter.actor_id.size() > 128) return InvalidField("actor_id", "too long");
  if (filter.action.size() > 64) return InvalidField("action", "too long");
  const int limit = page_size == 0 ? 50 : std::min(page_size, kAuditPageMax);
  UW_ASSIGN_OR_RETURN(filter.before_audit_id, DecodePageToken(page_token));
  filter.limit = limit + 1;
  AuditPage page;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(page.entries, tx.ListAudit(filter));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.entries.size()) > limit) {
    page.entries.resize(limit);
    page.next_page_token = crypto::Base64UrlEncode(page.entries.back().audit_id);
  }
  return page;
}

absl::StatusOr<StaffActionResult> AuthCore::CreateStaffAccount(
    const Caller& actor, absl::string_view email, absl::string_view display_name,
    const std::vector<std::string>& roles, absl::string_view initial_password) {
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeEmail(email, "email"));
  UW_RETURN_IF_ERROR(CheckDisplayName(display_name));
  static const std::set<std::string> kStaffRoles = {role::kAgent, role::kAnalyst, role::kAdmin,
                                                    role::kMerchant};
  std::set<std::string> unique;
  for (const std::string& name : roles) {
    if (kStaffRoles.count(name) == 0) {
      return InvalidField("roles", "only AGENT, ANALYST, ADMIN and MERCHANT may be given");
    }
    unique.insert(name);
  }
  if (unique.empty()) return InvalidField("roles", "at least one role");
  UW_RETURN_IF_ERROR(CheckPasswordPolicy(initial_password, "initial_password"));
  UW_ASSIGN_OR_RETURN(std::string hash, HashNewPassword(initial_password));
  const absl::Time now = deps_.clock->Now();
  User user;
  user.user_id = deps_.ids->NewId();
  user.email = contact.value;
  user.email_verified = true;  // set up by an administrator, not self-registered
  user.display_name = std::string(display_name);
  user.roles.assign(unique.begin(), unique.end());
  user.created_at = now;
  user.updated_at = now;
  StaffActionResult result;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_RETURN_IF_ERROR(tx.InsertUser(user, hash));
    AuditEntry audit =
        NewAudit(actor, "auth.create_staff_account", user.user_id, "staff account created", {});
    std::string role_list;
    for (const auto& name : user.roles)
      absl::StrAppend(&role_list, role_list.empty() ? "" : ",", name);
    audit.metadata["roles"] = role_list;
    UW_RETURN_IF_ERROR(tx.AppendAudit(audit));
    result.audit_id = audit.audit_id;
    return absl::OkStatus();
  }));
  result.detail.user = user;
  return result;
}

absl::StatusOr<std::optional<std::string>> AuthCore::BootstrapAdmin(absl::string_view email,
                                                                    absl::string_view password) {
  UW_ASSIGN_OR_RETURN(Contact contact, NormalizeEmail(email, "bootstrap admin email"));
  UW_RETURN_IF_ERROR(CheckPasswordPolicy(password, "bootstrap admin password"));
  bool exists = false;
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(exists, tx.AnyUserWithRole(role::kAdmin));
    return absl::OkStatus();
  }));
  if (exists) return std::optional<std::string>();
  UW_ASSIGN_OR_RETURN(std::string hash, HashNewPassword(password));
  const absl::Time now = deps_.clock->Now();
  User user;
  user.user_id = deps_.ids->NewId();
  user.email = contact.value;
  user.email_verified = true;
  user.display_name = "Administrator";
  user.roles = {role::kAdmin};
  user.created_at = now;
  user.updated_at = now;
  Caller bootstrap;
  bootstrap.service = "bootstrap";
  UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
    // Checked again inside the transaction; two replicas starting together meet at the unique
    // email instead.
    UW_ASSIGN_OR_RETURN(bool again, tx.AnyUserWithRole(role::kAdmin));
    if (again) return absl::AlreadyExistsError("an admin exists");
    UW_RETURN_IF_ERROR(tx.InsertUser(user, hash));
    AuditEntry audit = NewAudit(bootstrap, "auth.bootstrap_admin", user.user_id,
                                "first admin created by --bootstrap-admin", {});
    return tx.AppendAudit(audit);
  }));
  return std::optional<std::string>(user.user_id);
}

// ---------------------------------------------------------------------------------------------
// Internal API

absl::StatusOr<User> AuthCore::LookupUser(const UserKey& key) {
  const int given = !key.user_id.empty() + !key.phone.empty() + !key.email.empty();
  if (given != 1) return InvalidField("key", "exactly one of user_id, phone or email");
  std::optional<User> user;
  if (!key.user_id.empty()) {
    UW_RETURN_IF_ERROR(CheckUserId(key.user_id));
    UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(user, tx.UserById(key.user_id, false));
      return absl::OkStatus();
    }));
  } else {
    UW_ASSIGN_OR_RETURN(Contact contact, key.phone.empty() ? NormalizeEmail(key.email, "email")
                                                           : NormalizePhone(key.phone, "phone"));
    UW_RETURN_IF_ERROR(deps_.store->Transact([&](AuthTx& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(user, tx.UserByContact(contact, false));
      return absl::OkStatus();
    }));
  }
  if (!user) return UserNotFound();
  return *std::move(user);
}

absl::StatusOr<User> AuthCore::GetContacts(absl::string_view user_id) {
  UW_RETURN_IF_ERROR(CheckUserId(user_id));
  return LoadUser(user_id);
}

}  // namespace uwallet::auth
