#include "services/auth/grpc/services.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"
#include "services/auth/grpc/authz.h"
#include "services/auth/grpc/mapping.h"
#include "uwallet/common/log.h"
#include "uwallet/grpcutil/handler.h"

namespace uwallet::auth::grpcapi {
namespace {

namespace devtools_pb = ::uwallet::devtools::v1;

// What leaves the service: dependency failures keep UNAVAILABLE (retry) with a reason and no
// internal text; internal failures are logged and answered without detail.
absl::Status Sanitize(const absl::Status& status, absl::string_view method) {
  if (status.ok()) return status;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      log::Warn("dependency unavailable",
                {{"rpc", std::string(method)}, {"error", status.ToString()}});
      return WithDependencyReason(status);
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      log::Error("internal error", {{"rpc", std::string(method)}, {"error", status.ToString()}});
      return absl::InternalError("internal error");
    default:
      return status;
  }
}

template <typename Body>
grpc::Status Serve(grpc::ServerContext* context, const grpcutil::IdentitySigner& signer,
                   absl::string_view method, Body&& body) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    absl::StatusOr<Caller> caller = Authorize(signer, *context, method);
    if (!caller.ok()) return caller.status();
    return Sanitize(body(*caller), method);
  });
}

SecondFactorKind FactorOf(const pb::CompleteSecondFactorRequest& request) {
  switch (request.factor_case()) {
    case pb::CompleteSecondFactorRequest::kRecoveryCode:
      return SecondFactorKind::kRecoveryCode;
    case pb::CompleteSecondFactorRequest::kContactCode:
      return SecondFactorKind::kContactCode;
    default:
      return SecondFactorKind::kTotp;
  }
}

common_pb::NotificationChannel ChannelToProto(notify::Channel channel) {
  switch (channel) {
    case notify::Channel::kSms:
      return common_pb::NOTIFICATION_CHANNEL_SMS;
    case notify::Channel::kEmail:
      return common_pb::NOTIFICATION_CHANNEL_EMAIL;
    case notify::Channel::kPush:
      return common_pb::NOTIFICATION_CHANNEL_PUSH;
  }
  return common_pb::NOTIFICATION_CHANNEL_UNSPECIFIED;
}

}  // namespace

// =============================================================================================
// AuthService

grpc::Status AuthServiceImpl::Register(grpc::ServerContext* context,
                                       const pb::RegisterRequest* request,
                                       pb::RegisterResponse* response) {
  return Serve(context, signer_, "AuthService/Register", [&](const Caller& caller) -> absl::Status {
    RegisterInput input;
    if (request->contact_case() == pb::RegisterRequest::kPhone) input.phone = request->phone();
    if (request->contact_case() == pb::RegisterRequest::kEmail) input.email = request->email();
    if (request->contact_case() == pb::RegisterRequest::CONTACT_NOT_SET) {
      return InvalidField("contact", "exactly one of phone or email");
    }
    if ((request->contact_case() == pb::RegisterRequest::kPhone && input.phone.empty()) ||
        (request->contact_case() == pb::RegisterRequest::kEmail && input.email.empty())) {
      return InvalidField("contact", "required");
    }
    input.password = request->password();
    input.display_name = request->display_name();
    input.locale = request->locale();
    UW_ASSIGN_OR_RETURN(RegisterResult result, core_.Register(input, caller));
    response->set_user_id(result.user_id);
    response->set_retry_after_s(absl::ToInt64Seconds(result.retry_after));
    return absl::OkStatus();
  });
}

grpc::Status AuthServiceImpl::SendCode(grpc::ServerContext* context,
                                       const pb::SendCodeRequest* request,
                                       pb::SendCodeResponse* response) {
  return Serve(context, signer_, "AuthService/SendCode", [&](const Caller& caller) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        SendCodeResult result,
        core_.SendCode(request->destination(), request->purpose(), caller, request->locale()));
    response->set_retry_after_s(absl::ToInt64Seconds(result.retry_after));
    response->set_code_ttl_s(absl::ToInt64Seconds(result.code_ttl));
    return absl::OkStatus();
  });
}

grpc::Status AuthServiceImpl::VerifyContact(grpc::ServerContext* context,
                                            const pb::VerifyContactRequest* request,
                                            pb::VerifyContactResponse*) {
  return Serve(context, signer_, "AuthService/VerifyContact", [&](const Caller& caller) {
    return core_.VerifyContact(request->destination(), request->code(), caller);
  });
}

grpc::Status AuthServiceImpl::Login(grpc::ServerContext* context, const pb::LoginRequest* request,
                                    pb::LoginResponse* response) {
  return Serve(context, signer_, "AuthService/Login", [&](const Caller& caller) -> absl::Status {
    Device device = DeviceFromProto(request->device());
    if (device.device_id.empty()) device.device_id = caller.device_id;
    UW_ASSIGN_OR_RETURN(LoginResult result, core_.Login(request->identifier(), request->password(),
                                                        device, caller, request->device_token()));
    if (result.session) {
      SessionToProto(*result.session, response->mutable_session());
    } else if (result.challenge) {
      pb::SecondFactorChallenge* challenge = response->mutable_challenge();
      challenge->set_challenge_id(result.challenge->challenge_id);
      for (SecondFactorKind kind : result.challenge->methods) {
        challenge->add_methods(kind == SecondFactorKind::kTotp ? pb::SECOND_FACTOR_METHOD_TOTP
                               : kind == SecondFactorKind::kRecoveryCode
                                   ? pb::SECOND_FACTOR_METHOD_RECOVERY_CODE
                                   : pb::SECOND_FACTOR_METHOD_CONTACT_CODE);
      }
      challenge->set_masked_destination(result.challenge->masked_destination);
      SetTime(result.challenge->expires_at, challenge->mutable_expires_at());
    }
    return absl::OkStatus();
  });
}

grpc::Status AuthServiceImpl::CompleteSecondFactor(grpc::ServerContext* context,
                                                   const pb::CompleteSecondFactorRequest* request,
                                                   pb::CompleteSecondFactorResponse* response) {
  return Serve(context, signer_, "AuthService/CompleteSecondFactor",
               [&](const Caller& caller) -> absl::Status {
                 const std::string& code =
                     request->factor_case() == pb::CompleteSecondFactorRequest::kTotpCode
                         ? request->totp_code()
                     : request->factor_case() == pb::CompleteSecondFactorRequest::kRecoveryCode
                         ? request->recovery_code()
                         : request->contact_code();
                 UW_ASSIGN_OR_RETURN(IssuedSession session,
                                     core_.CompleteSecondFactor(request->challenge_id(),
                                                                FactorOf(*request), code, caller));
                 SessionToProto(session, response->mutable_session());
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::Logout(grpc::ServerContext* context, const pb::LogoutRequest*,
                                     pb::LogoutResponse*) {
  return Serve(context, signer_, "AuthService/Logout",
               [&](const Caller& caller) { return core_.Logout(caller); });
}

grpc::Status AuthServiceImpl::LogoutAll(grpc::ServerContext* context,
                                        const pb::LogoutAllRequest* request,
                                        pb::LogoutAllResponse* response) {
  return Serve(context, signer_, "AuthService/LogoutAll",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(int revoked, core_.LogoutAll(caller, request->keep_current()));
                 response->set_revoked_count(revoked);
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::ListSessions(grpc::ServerContext* context,
                                           const pb::ListSessionsRequest*,
                                           pb::ListSessionsResponse* response) {
  return Serve(
      context, signer_, "AuthService/ListSessions", [&](const Caller& caller) -> absl::Status {
        UW_ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions, core_.ListSessions(caller));
        for (const SessionRecord& session : sessions) {
          SessionInfoToProto(session, caller.session_id, response->add_sessions());
        }
        return absl::OkStatus();
      });
}

grpc::Status AuthServiceImpl::RevokeSession(grpc::ServerContext* context,
                                            const pb::RevokeSessionRequest* request,
                                            pb::RevokeSessionResponse*) {
  return Serve(context, signer_, "AuthService/RevokeSession", [&](const Caller& caller) {
    return core_.RevokeSession(caller, request->session_id());
  });
}

grpc::Status AuthServiceImpl::ListDevices(grpc::ServerContext* context,
                                          const pb::ListDevicesRequest*,
                                          pb::ListDevicesResponse* response) {
  return Serve(context, signer_, "AuthService/ListDevices",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(AuthCore::DeviceList list, core_.ListDevices(caller));
                 for (const KnownDevice& known : list.devices) {
                   pb::KnownDevice* out = response->add_devices();
                   KnownDeviceToProto(known, out);
                   out->set_current(!list.current_device_id.empty() &&
                                    known.device.device_id == list.current_device_id);
                 }
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::ForgetDevice(grpc::ServerContext* context,
                                           const pb::ForgetDeviceRequest* request,
                                           pb::ForgetDeviceResponse* response) {
  return Serve(context, signer_, "AuthService/ForgetDevice",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(int revoked, core_.ForgetDevice(caller, request->device_id()));
                 response->set_revoked_sessions(revoked);
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::ResetPassword(grpc::ServerContext* context,
                                            const pb::ResetPasswordRequest* request,
                                            pb::ResetPasswordResponse*) {
  return Serve(context, signer_, "AuthService/ResetPassword", [&](const Caller& caller) {
    return core_.ResetPassword(request->destination(), request->code(), request->new_password(),
                               caller);
  });
}

grpc::Status AuthServiceImpl::ChangePassword(grpc::ServerContext* context,
                                             const pb::ChangePasswordRequest* request,
                                             pb::ChangePasswordResponse*) {
  return Serve(context, signer_, "AuthService/ChangePassword", [&](const Caller& caller) {
    return core_.ChangePassword(caller, request->old_password(), request->new_password());
  });
}

grpc::Status AuthServiceImpl::BeginTotpEnrollment(grpc::ServerContext* context,
                                                  const pb::BeginTotpEnrollmentRequest*,
                                                  pb::BeginTotpEnrollmentResponse* response) {
  return Serve(context, signer_, "AuthService/BeginTotpEnrollment",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(TotpEnrollment enrollment, core_.BeginTotpEnrollment(caller));
                 response->set_secret(enrollment.secret_base32);
                 response->set_otpauth_uri(enrollment.otpauth_uri);
                 SetTime(enrollment.expires_at, response->mutable_expires_at());
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::ConfirmTotpEnrollment(grpc::ServerContext* context,
                                                    const pb::ConfirmTotpEnrollmentRequest* request,
                                                    pb::ConfirmTotpEnrollmentResponse* response) {
  return Serve(context, signer_, "AuthService/ConfirmTotpEnrollment",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(std::vector<std::string> codes,
                                     core_.ConfirmTotpEnrollment(caller, request->code()));
                 for (std::string& code : codes) response->add_recovery_codes(std::move(code));
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::DisableTotp(grpc::ServerContext* context,
                                          const pb::DisableTotpRequest* request,
                                          pb::DisableTotpResponse*) {
  return Serve(context, signer_, "AuthService/DisableTotp",
               [&](const Caller& caller) { return core_.DisableTotp(caller, request->code()); });
}

grpc::Status AuthServiceImpl::StepUp(grpc::ServerContext* context, const pb::StepUpRequest* request,
                                     pb::StepUpResponse* response) {
  return Serve(context, signer_, "AuthService/StepUp", [&](const Caller& caller) -> absl::Status {
    UW_ASSIGN_OR_RETURN(StepUpResult result,
                        core_.StepUp(caller, request->code(), request->totp_code(),
                                     static_cast<int>(request->action())));
    response->set_step_up_token(result.step_up_token);
    SetTime(result.expires_at, response->mutable_step_up_expires_at());
    SessionToProto(result.session, response->mutable_session());
    return absl::OkStatus();
  });
}

grpc::Status AuthServiceImpl::GetProfile(grpc::ServerContext* context, const pb::GetProfileRequest*,
                                         pb::GetProfileResponse* response) {
  return Serve(context, signer_, "AuthService/GetProfile",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(ProfileView view, core_.GetProfile(caller));
                 ProfileToProto(view.user, view.totp_enabled,
                                view.user.frozen ? pb::USER_STATUS_FROZEN : pb::USER_STATUS_ACTIVE,
                                response->mutable_profile());
                 return absl::OkStatus();
               });
}

grpc::Status AuthServiceImpl::UpdateProfile(grpc::ServerContext* context,
                                            const pb::UpdateProfileRequest* request,
                                            pb::UpdateProfileResponse* response) {
  return Serve(
      context, signer_, "AuthService/UpdateProfile", [&](const Caller& caller) -> absl::Status {
        std::optional<std::string> display_name;
        std::optional<std::string> locale;
        if (request->has_display_name()) display_name = request->display_name();
        if (request->has_locale()) locale = request->locale();
        UW_ASSIGN_OR_RETURN(ProfileView view, core_.UpdateProfile(caller, display_name, locale));
        ProfileToProto(view.user, view.totp_enabled,
                       view.user.frozen ? pb::USER_STATUS_FROZEN : pb::USER_STATUS_ACTIVE,
                       response->mutable_profile());
        return absl::OkStatus();
      });
}

grpc::Status AuthServiceImpl::ChangeContact(grpc::ServerContext* context,
                                            const pb::ChangeContactRequest* request,
                                            pb::ChangeContactResponse* response) {
  return Serve(
      context, signer_, "AuthService/ChangeContact", [&](const Caller& caller) -> absl::Status {
        UW_ASSIGN_OR_RETURN(ProfileView view,
                            core_.ChangeContact(caller, request->new_destination(), request->code(),
                                                request->step_up_token()));
        ProfileToProto(view.user, view.totp_enabled,
                       view.user.frozen ? pb::USER_STATUS_FROZEN : pb::USER_STATUS_ACTIVE,
                       response->mutable_profile());
        return absl::OkStatus();
      });
}

// =============================================================================================
// AuthAdminService

grpc::Status AuthAdminServiceImpl::FindUsers(grpc::ServerContext* context,
                                             const pb::FindUsersRequest* request,
                                             pb::FindUsersResponse* response) {
  return Serve(context, signer_, "AuthAdminService/FindUsers", [&](const Caller&) -> absl::Status {
    UW_ASSIGN_OR_RETURN(UsersPage page, core_.FindUsers(request->query(), request->page_size(),
                                                        request->page_token()));
    const absl::Time now = clock_.Now();
    for (size_t i = 0; i < page.users.size(); ++i) {
      UserSummaryToProto(page.users[i], page.locks[i], now, response->add_users());
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status AuthAdminServiceImpl::GetUser(grpc::ServerContext* context,
                                           const pb::GetUserRequest* request,
                                           pb::GetUserResponse* response) {
  return Serve(context, signer_, "AuthAdminService/GetUser", [&](const Caller&) -> absl::Status {
    UW_ASSIGN_OR_RETURN(UserDetail detail, core_.GetUser(request->user_id()));
    UserDetailToProto(detail, clock_.Now(), response->mutable_user());
    for (const KnownDevice& known : detail.devices) {
      KnownDeviceToProto(known, response->add_devices());
    }
    for (const SessionRecord& session : detail.sessions) {
      SessionInfoToProto(session, "", response->add_sessions());
    }
    for (const SecurityEvent& event : detail.recent_events) {
      SecurityEventToProto(event, response->add_recent_events());
    }
    return absl::OkStatus();
  });
}

grpc::Status AuthAdminServiceImpl::UnlockUser(grpc::ServerContext* context,
                                              const pb::UnlockUserRequest* request,
                                              pb::UnlockUserResponse* response) {
  return Serve(
      context, signer_, "AuthAdminService/UnlockUser", [&](const Caller& caller) -> absl::Status {
        const IdentityCheck check{.method = request->identity_check().method(),
                                  .note = request->identity_check().note()};
        UW_ASSIGN_OR_RETURN(StaffActionResult result,
                            core_.UnlockUser(caller, request->user_id(), request->reason(), check));
        UserDetailToProto(result.detail, clock_.Now(), response->mutable_user());
        response->set_audit_id(result.audit_id);
        return absl::OkStatus();
      });
}

grpc::Status AuthAdminServiceImpl::FreezeUser(grpc::ServerContext* context,
                                              const pb::FreezeUserRequest* request,
                                              pb::FreezeUserResponse* response) {
  return Serve(
      context, signer_, "AuthAdminService/FreezeUser", [&](const Caller& caller) -> absl::Status {
        UW_ASSIGN_OR_RETURN(StaffActionResult result,
                            core_.FreezeUser(caller, request->user_id(), request->reason(), ""));
        UserDetailToProto(result.detail, clock_.Now(), response->mutable_user());
        response->set_audit_id(result.audit_id);
        return absl::OkStatus();
      });
}

grpc::Status AuthAdminServiceImpl::UnfreezeUser(grpc::ServerContext* context,
                                                const pb::UnfreezeUserRequest* request,
                                                pb::UnfreezeUserResponse* response) {
  return Serve(
      context, signer_, "AuthAdminService/UnfreezeUser", [&](const Caller& caller) -> absl::Status {
        const IdentityCheck check{.method = request->identity_check().method(),
                                  .note = request->identity_check().note()};
        UW_ASSIGN_OR_RETURN(StaffActionResult result, core_.UnfreezeUser(caller, request->user_id(),
                                                                         request->reason(), check));
        UserDetailToProto(result.detail, clock_.Now(), response->mutable_user());
        response->set_audit_id(result.audit_id);
        return absl::OkStatus();
      });
}

grpc::Status AuthAdminServiceImpl::ListAuditLog(grpc::ServerContext* context,
                                                const pb::ListAuditLogRequest* request,
                                                pb::ListAuditLogResponse* response) {
  return Serve(
      context, signer_, "AuthAdminService/ListAuditLog", [&](const Caller&) -> absl::Status {
        AuditFilter filter;
        filter.target_user_id = request->target_user_id();
        filter.actor_id = request->actor_id();
        filter.action = request->action();
        if (request->time_range().has_start_time()) {
          filter.from = FromTimestamp(request->time_range().start_time());
        }
        if (request->time_range().has_end_time()) {
          filter.to = FromTimestamp(request->time_range().end_time());
        }
        UW_ASSIGN_OR_RETURN(AuditPage page, core_.ListAuditLog(filter, request->page_size(),
                                                               request->page_token()));
        for (const AuditEntry& entry : page.entries) {
          AuditEntryToProto(entry, response->add_entries());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status AuthAdminServiceImpl::CreateStaffAccount(grpc::ServerContext* context,
                                                      const pb::CreateStaffAccountRequest* request,
                                                      pb::CreateStaffAccountResponse* response) {
  return Serve(context, signer_, "AuthAdminService/CreateStaffAccount",
               [&](const Caller& caller) -> absl::Status {
                 std::vector<std::string> roles;
                 for (int role : request->roles()) {
                   const std::string name = RoleFromProto(static_cast<common_pb::Role>(role));
                   if (name.empty()) {
                     return InvalidField("roles",
                                         "only AGENT, ANALYST, ADMIN and MERCHANT may be given");
                   }
                   roles.push_back(name);
                 }
                 UW_ASSIGN_OR_RETURN(
                     StaffActionResult result,
                     core_.CreateStaffAccount(caller, request->email(), request->display_name(),
                                              roles, request->initial_password()));
                 response->set_user_id(result.detail.user.user_id);
                 response->set_audit_id(result.audit_id);
                 return absl::OkStatus();
               });
}

// =============================================================================================
// AuthInternalService

grpc::Status AuthInternalServiceImpl::ValidateSession(grpc::ServerContext* context,
                                                      const pb::ValidateSessionRequest* request,
                                                      pb::ValidateSessionResponse* response) {
  return Serve(context, signer_, "AuthInternalService/ValidateSession",
               [&](const Caller&) -> absl::Status {
                 if (request->ip().size() > 64) return InvalidField("ip", "too long");
                 UW_ASSIGN_OR_RETURN(SessionIdentity identity,
                                     core_.ValidateSession(request->token(), request->ip()));
                 const SessionRecord& session = identity.session;
                 pb::Identity* out = response->mutable_identity();
                 out->set_user_id(session.user_id);
                 AddRoles(session.roles, out->mutable_roles());
                 out->set_status(pb::USER_STATUS_ACTIVE);
                 out->set_session_id(session.session_id);
                 SetTime(session.expires_at, out->mutable_session_expires_at());
                 SetTime(session.step_up_at, out->mutable_step_up_at());
                 out->set_contact_verified(session.contact_verified);
                 out->set_device_id(session.device.device_id);
                 return absl::OkStatus();
               });
}

grpc::Status AuthInternalServiceImpl::ValidateStepUpToken(
    grpc::ServerContext* context, const pb::ValidateStepUpTokenRequest* request,
    pb::ValidateStepUpTokenResponse* response) {
  return Serve(context, signer_, "AuthInternalService/ValidateStepUpToken",
               [&](const Caller&) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(absl::Time expires,
                                     core_.ValidateStepUpToken(
                                         request->step_up_token(), request->user_id(),
                                         static_cast<int>(request->action()), request->consume()));
                 SetTime(expires, response->mutable_step_up_expires_at());
                 return absl::OkStatus();
               });
}

grpc::Status AuthInternalServiceImpl::LookupUser(grpc::ServerContext* context,
                                                 const pb::LookupUserRequest* request,
                                                 pb::LookupUserResponse* response) {
  return Serve(
      context, signer_, "AuthInternalService/LookupUser", [&](const Caller&) -> absl::Status {
        UserKey key;
        switch (request->key_case()) {
          case pb::LookupUserRequest::kUserId:
            key.user_id = request->user_id();
            break;
          case pb::LookupUserRequest::kPhone:
            key.phone = request->phone();
            break;
          case pb::LookupUserRequest::kEmail:
            key.email = request->email();
            break;
          default:
            return InvalidField("key", "exactly one of user_id, phone or email");
        }
        UW_ASSIGN_OR_RETURN(User user, core_.LookupUser(key));
        response->set_user_id(user.user_id);
        response->set_masked_display_name(MaskDisplayName(user.display_name));
        response->set_status(user.frozen ? pb::USER_STATUS_FROZEN : pb::USER_STATUS_ACTIVE);
        response->set_contact_verified(user.ContactVerified());
        AddRoles(user.roles, response->mutable_roles());
        return absl::OkStatus();
      });
}

grpc::Status AuthInternalServiceImpl::VerifyCode(grpc::ServerContext* context,
                                                 const pb::VerifyCodeRequest* request,
                                                 pb::VerifyCodeResponse* response) {
  return Serve(context, signer_, "AuthInternalService/VerifyCode",
               [&](const Caller&) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(
                     std::string user_id,
                     core_.VerifyCode(request->destination(), request->purpose(), request->code()));
                 response->set_user_id(user_id);
                 return absl::OkStatus();
               });
}

grpc::Status AuthInternalServiceImpl::FreezeUser(
    grpc::ServerContext* context, const pb::AuthInternalServiceFreezeUserRequest* request,
    pb::AuthInternalServiceFreezeUserResponse* response) {
  return Serve(context, signer_, "AuthInternalService/FreezeUser",
               [&](const Caller& caller) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(StaffActionResult result,
                                     core_.FreezeUser(caller, request->user_id(), request->reason(),
                                                      request->case_id()));
                 response->set_changed(result.changed);
                 SetTime(result.detail.user.frozen_at, response->mutable_frozen_at());
                 return absl::OkStatus();
               });
}

grpc::Status AuthInternalServiceImpl::GetContacts(grpc::ServerContext* context,
                                                  const pb::GetContactsRequest* request,
                                                  pb::GetContactsResponse* response) {
  return Serve(context, signer_, "AuthInternalService/GetContacts",
               [&](const Caller&) -> absl::Status {
                 UW_ASSIGN_OR_RETURN(User user, core_.GetContacts(request->user_id()));
                 response->set_display_name(user.display_name);
                 response->set_locale(user.locale);
                 response->set_phone(user.phone);
                 response->set_phone_verified(user.phone_verified);
                 response->set_email(user.email);
                 response->set_email_verified(user.email_verified);
                 return absl::OkStatus();
               });
}

// =============================================================================================
// DevMailboxService

grpc::Status DevMailboxServiceImpl::ListMessages(grpc::ServerContext* context,
                                                 const devtools_pb::ListMessagesRequest* request,
                                                 devtools_pb::ListMessagesResponse* response) {
  return Serve(
      context, signer_, "DevMailboxService/ListMessages", [&](const Caller&) -> absl::Status {
        if (request->destination().empty()) {
          return InvalidField("destination", "required");
        }
        if (request->destination().size() > kContactInputBytesMax) {
          return InvalidField("destination", "too long");
        }
        if (request->page_size() < 0) {
          return InvalidField("page_size", "must not be negative");
        }
        // The mailbox is keyed by the normalised contact (or a user id for push).
        std::string destination = request->destination();
        if (absl::StatusOr<Contact> contact = NormalizeContact(destination); contact.ok()) {
          destination = contact->value;
        }
        const int limit = request->page_size() == 0 ? 20 : std::min(request->page_size(), 100);
        UW_ASSIGN_OR_RETURN(std::vector<notify::StoredMessage> messages,
                            mailbox_.List(destination, notify::kDevMailboxMessagesMax));
        const absl::Time since =
            request->has_since() ? FromTimestamp(request->since()) : absl::InfinitePast();
        for (size_t i = 0; i < messages.size(); ++i) {
          const notify::StoredMessage& stored = messages[i];
          if (stored.sent_at < since) continue;
          if (response->messages_size() >= limit) break;
          devtools_pb::MailboxMessage* out = response->add_messages();
          // Position from the oldest kept message: stable while the message is kept.
          out->set_message_id(
              absl::StrCat(absl::ToUnixMillis(stored.sent_at), "-", messages.size() - i));
          out->set_channel(ChannelToProto(stored.notification.channel));
          out->set_destination(stored.notification.destination);
          out->set_subject(stored.notification.subject);
          out->set_body(stored.notification.body);
          out->set_code(stored.notification.code);
          out->set_template_name(stored.notification.kind);
          SetTime(stored.sent_at, out->mutable_sent_at());
        }
        return absl::OkStatus();
      });
}

}  // namespace uwallet::auth::grpcapi
