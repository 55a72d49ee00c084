#pragma once
// Proto <-> domain conversions for the auth service. No rules here: only shapes.

#include <string>
#include <vector>

#include "google/protobuf/timestamp.pb.h"
#include "services/auth/core/auth_core.h"
#include "uwallet/auth/v1/auth.pb.h"
#include "uwallet/common/v1/common.pb.h"

namespace uwallet::auth::grpcapi {

namespace pb = ::uwallet::auth::v1;
namespace common_pb = ::uwallet::common::v1;

// Leaves `out` unset for InfinitePast.
void SetTime(absl::Time time, google::protobuf::Timestamp* out);
[[nodiscard]] absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

[[nodiscard]] common_pb::Role RoleToProto(absl::string_view role);
// "" for roles a staff account cannot be created with.
[[nodiscard]] std::string RoleFromProto(common_pb::Role role);
void AddRoles(const std::vector<std::string>& roles, google::protobuf::RepeatedField<int>* out);

[[nodiscard]] Device DeviceFromProto(const common_pb::Device& device);
void DeviceToProto(const Device& device, common_pb::Device* out);

[[nodiscard]] pb::UserStatus StatusOf(const User& user, const LockState& lock, absl::Time now);

void ProfileToProto(const User& user, bool totp_enabled, pb::UserStatus status, pb::Profile* out);
void SessionToProto(const IssuedSession& issued, pb::Session* out);
void KnownDeviceToProto(const KnownDevice& known, pb::KnownDevice* out);
void SessionInfoToProto(const SessionRecord& session, absl::string_view current_session_id,
                        pb::SessionInfo* out);
void UserDetailToProto(const UserDetail& detail, absl::Time now, pb::User* out);
void SecurityEventToProto(const SecurityEvent& event, pb::SecurityEvent* out);
void AuditEntryToProto(const AuditEntry& entry, pb::AuditEntry* out);
// The status shown is the one a GetUser would show: frozen, else locked (at `now`), else active.
void UserSummaryToProto(const User& user, const LockState& lock, absl::Time now,
                        pb::UserSummary* out);

}  // namespace uwallet::auth::grpcapi
