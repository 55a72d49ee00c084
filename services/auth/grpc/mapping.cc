#include "services/auth/grpc/mapping.h"

#include "services/auth/core/contacts.h"

namespace uwallet::auth::grpcapi {

void SetTime(absl::Time time, google::protobuf::Timestamp* out) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

common_pb::Role RoleToProto(absl::string_view role) {
  if (role == role::kCustomer) return common_pb::ROLE_CUSTOMER;
  if (role == role::kMerchant) return common_pb::ROLE_MERCHANT;
  if (role == role::kAgent) return common_pb::ROLE_AGENT;
  if (role == role::kAnalyst) return common_pb::ROLE_ANALYST;
  if (role == role::kAdmin) return common_pb::ROLE_ADMIN;
  return common_pb::ROLE_UNSPECIFIED;
}

std::string RoleFromProto(common_pb::Role role) {
  switch (role) {
    case common_pb::ROLE_MERCHANT:
      return role::kMerchant;
    case common_pb::ROLE_AGENT:
      return role::kAgent;
    case common_pb::ROLE_ANALYST:
      return role::kAnalyst;
    case common_pb::ROLE_ADMIN:
      return role::kAdmin;
    default:
      return "";
  }
}

void AddRoles(const std::vector<std::string>& roles, google::protobuf::RepeatedField<int>* out) {
  for (const std::string& role : roles) {
    const common_pb::Role value = RoleToProto(role);
    if (value != common_pb::ROLE_UNSPECIFIED) out->Add(value);
  }
}

Device DeviceFromProto(const common_pb::Device& device) {
  return Device{.device_id = device.device_id(),
                .name = device.name(),
                .platform = static_cast<int>(device.platform()),
                .app_version = device.app_version()};
}

void DeviceToProto(const Device& device, common_pb::Device* out) {
  out->set_device_id(device.device_id);
  out->set_name(device.name);
  if (common_pb::Platform_IsValid(device.platform)) {
    out->set_platform(static_cast<common_pb::Platform>(device.platform));
  }
  out->set_app_version(device.app_version);
}

pb::UserStatus StatusOf(const User& user, const LockState& lock, absl::Time now) {
  if (user.frozen) return pb::USER_STATUS_FROZEN;
  if (lock.IsLocked(now)) return pb::USER_STATUS_LOCKED;
  return pb::USER_STATUS_ACTIVE;
}

void ProfileToProto(const User& user, bool totp_enabled, pb::UserStatus status, pb::Profile* out) {
  out->set_user_id(user.user_id);
  out->set_display_name(user.display_name);
  out->set_phone(user.phone);
  out->set_phone_verified(user.phone_verified);
  out->set_email(user.email);
  out->set_email_verified(user.email_verified);
  out->set_totp_enabled(totp_enabled);
  out->set_locale(user.locale);
  AddRoles(user.roles, out->mutable_roles());
  out->set_status(status);
  SetTime(user.created_at, out->mutable_created_at());
}

void KnownDeviceToProto(const KnownDevice& known, pb::KnownDevice* out) {
  DeviceToProto(known.device, out->mutable_device());
  SetTime(known.first_seen_at, out->mutable_first_seen_at());
  SetTime(known.last_seen_at, out->mutable_last_seen_at());
  out->set_last_ip(known.last_ip);
  out->set_trusted(known.trusted);
}

void SessionToProto(const IssuedSession& issued, pb::Session* out) {
  out->set_token(issued.token);
  out->set_session_id(issued.session.session_id);
  out->set_user_id(issued.session.user_id);
  SetTime(issued.session.expires_at, out->mutable_expires_at());
  out->set_idle_timeout_s(absl::ToInt64Seconds(issued.idle_timeout));
  out->set_device_token(issued.device_token);
}

void SessionInfoToProto(const SessionRecord& session, absl::string_view current_session_id,
                        pb::SessionInfo* out) {
  out->set_session_id(session.session_id);
  DeviceToProto(session.device, out->mutable_device());
  out->set_ip(session.ip);
  SetTime(session.created_at, out->mutable_created_at());
  SetTime(session.last_seen_at, out->mutable_last_seen_at());
  SetTime(session.expires_at, out->mutable_expires_at());
  out->set_current(session.session_id == current_session_id);
}

void UserDetailToProto(const UserDetail& detail, absl::Time now, pb::User* out) {
  ProfileToProto(detail.user, detail.totp_enabled, StatusOf(detail.user, detail.lock, now),
                 out->mutable_profile());
  pb::LockState* lock = out->mutable_lock();
  lock->set_locked(detail.lock.IsLocked(now));
  if (lock->locked() && !detail.lock.locked_indefinitely) {
    SetTime(detail.lock.locked_until, lock->mutable_locked_until());
  }
  lock->set_failed_attempts(detail.lock.failed_attempts);
  lock->set_lock_count(detail.lock.lock_count);
  SetTime(detail.lock.locked_at, lock->mutable_locked_at());
  pb::FreezeState* freeze = out->mutable_freeze();
  freeze->set_frozen(detail.user.frozen);
  freeze->set_reason(detail.user.frozen_reason);
  freeze->set_frozen_by(detail.user.frozen_by);
  SetTime(detail.user.frozen_at, freeze->mutable_frozen_at());
  freeze->set_case_id(detail.user.frozen_case_id);
  SetTime(detail.user.last_login_at, out->mutable_last_login_at());
}

void SecurityEventToProto(const SecurityEvent& event, pb::SecurityEvent* out) {
  out->set_event_id(event.event_id);
  out->set_kind(static_cast<pb::SecurityEventKind>(static_cast<int>(event.kind)));
  SetTime(event.occurred_at, out->mutable_occurred_at());
  out->set_ip(event.ip);
  DeviceToProto(event.device, out->mutable_device());
  out->set_detail(event.detail);
}

void AuditEntryToProto(const AuditEntry& entry, pb::AuditEntry* out) {
  out->set_audit_id(entry.audit_id);
  out->set_actor_id(entry.actor_id);
  AddRoles(entry.actor_roles, out->mutable_actor_roles());
  out->set_action(entry.action);
  out->set_target_user_id(entry.target_user_id);
  out->set_reason(entry.reason);
  if (pb::IdentityCheckMethod_IsValid(entry.identity_check.method)) {
    out->mutable_identity_check()->set_method(
        static_cast<pb::IdentityCheckMethod>(entry.identity_check.method));
  }
  out->mutable_identity_check()->set_note(entry.identity_check.note);
  out->set_request_id(entry.request_id);
  SetTime(entry.created_at, out->mutable_created_at());
  for (const auto& [name, value] : entry.metadata) (*out->mutable_metadata())[name] = value;
}

void UserSummaryToProto(const User& user, const LockState& lock, absl::Time now,
                        pb::UserSummary* out) {
  out->set_user_id(user.user_id);
  out->set_display_name(user.display_name);
  if (!user.phone.empty()) {
    out->set_masked_phone(MaskContact(Contact{ContactKind::kPhone, user.phone}));
  }
  if (!user.email.empty()) {
    out->set_masked_email(MaskContact(Contact{ContactKind::kEmail, user.email}));
  }
  out->set_status(StatusOf(user, lock, now));
  AddRoles(user.roles, out->mutable_roles());
  SetTime(user.created_at, out->mutable_created_at());
}

}  // namespace uwallet::auth::grpcapi
