#pragma once
// The auth service's gRPC handlers. Each one: authorise (authz.h), map the request, call the
// core, map the answer. No rules live here.

#include "services/auth/core/auth_core.h"
#include "uwallet/auth/v1/auth.grpc.pb.h"
#include "uwallet/devtools/v1/devtools.grpc.pb.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/notify/notifier.h"

namespace uwallet::auth::grpcapi {

namespace pb = ::uwallet::auth::v1;

class AuthServiceImpl final : public pb::AuthService::Service {
 public:
  AuthServiceImpl(AuthCore& core, const grpcutil::IdentitySigner& signer)
      : core_(core), signer_(signer) {}

  grpc::Status Register(grpc::ServerContext* context, const pb::RegisterRequest* request,
                        pb::RegisterResponse* response) override;
  grpc::Status SendCode(grpc::ServerContext* context, const pb::SendCodeRequest* request,
                        pb::SendCodeResponse* response) override;
  grpc::Status VerifyContact(grpc::ServerContext* context, const pb::VerifyContactRequest* request,
                             pb::VerifyContactResponse* response) override;
  grpc::Status Login(grpc::ServerContext* context, const pb::LoginRequest* request,
                     pb::LoginResponse* response) override;
  grpc::Status CompleteSecondFactor(grpc::ServerContext* context,
                                    const pb::CompleteSecondFactorRequest* request,
                                    pb::CompleteSecondFactorResponse* response) override;
  grpc::Status Logout(grpc::ServerContext* context, const pb::LogoutRequest* request,
                      pb::LogoutResponse* response) override;
  grpc::Status LogoutAll(grpc::ServerContext* context, const pb::LogoutAllRequest* request,
                         pb::LogoutAllResponse* response) override;
  grpc::Status ListSessions(grpc::ServerContext* context, const pb::ListSessionsRequest* request,
                            pb::ListSessionsResponse* response) override;
  grpc::Status RevokeSession(grpc::ServerContext* context, const pb::RevokeSessionRequest* request,
                             pb::RevokeSessionResponse* response) override;
  grpc::Status ListDevices(grpc::ServerContext* context, const pb::ListDevicesRequest* request,
                           pb::ListDevicesResponse* response) override;
  grpc::Status ForgetDevice(grpc::ServerContext* context, const pb::ForgetDeviceRequest* request,
                            pb::ForgetDeviceResponse* response) override;
  grpc::Status ResetPassword(grpc::ServerContext* context, const pb::ResetPasswordRequest* request,
                             pb::ResetPasswordResponse* response) override;
  grpc::Status ChangePassword(grpc::ServerContext* context,
                              const pb::ChangePasswordRequest* request,
                              pb::ChangePasswordResponse* response) override;
  grpc::Status BeginTotpEnrollment(grpc::ServerContext* context,
                                   const pb::BeginTotpEnrollmentRequest* request,
                                   pb::BeginTotpEnrollmentResponse* response) override;
  grpc::Status ConfirmTotpEnrollment(grpc::ServerContext* context,
                                     const pb::ConfirmTotpEnrollmentRequest* request,
                                     pb::ConfirmTotpEnrollmentResponse* response) override;
  grpc::Status DisableTotp(grpc::ServerContext* context, const pb::DisableTotpRequest* request,
                           pb::DisableTotpResponse* response) override;
  grpc::Status StepUp(grpc::ServerContext* context, const pb::StepUpRequest* request,
                      pb::StepUpResponse* response) override;
  grpc::Status GetProfile(grpc::ServerContext* context, const pb::GetProfileRequest* request,
                          pb::GetProfileResponse* response) override;
  grpc::Status UpdateProfile(grpc::ServerContext* context, const pb::UpdateProfileRequest* request,
                             pb::UpdateProfileResponse* response) override;
  grpc::Status ChangeContact(grpc::ServerContext* context, const pb::ChangeContactRequest* request,
                             pb::ChangeContactResponse* response) override;

 private:
  AuthCore& core_;
  const grpcutil::IdentitySigner& signer_;
};

class AuthAdminServiceImpl final : public pb::AuthAdminService::Service {
 public:
  AuthAdminServiceImpl(AuthCore& core, const grpcutil::IdentitySigner& signer, const Clock& clock)
      : core_(core), signer_(signer), clock_(clock) {}

  grpc::Status FindUsers(grpc::ServerContext* context, const pb::FindUsersRequest* request,
                         pb::FindUsersResponse* response) override;
  grpc::Status GetUser(grpc::ServerContext* context, const pb::GetUserRequest* request,
                       pb::GetUserResponse* response) override;
  grpc::Status UnlockUser(grpc::ServerContext* context, const pb::UnlockUserRequest* request,
                          pb::UnlockUserResponse* response) override;
  grpc::Status FreezeUser(grpc::ServerContext* context, const pb::FreezeUserRequest* request,
                          pb::FreezeUserResponse* response) override;
  grpc::Status UnfreezeUser(grpc::ServerContext* context, const pb::UnfreezeUserRequest* request,
                            pb::UnfreezeUserResponse* response) override;
  grpc::Status ListAuditLog(grpc::ServerContext* context, const pb::ListAuditLogRequest* request,
                            pb::ListAuditLogResponse* response) override;
  grpc::Status CreateStaffAccount(grpc::ServerContext* context,
                                  const pb::CreateStaffAccountRequest* request,
                                  pb::CreateStaffAccountResponse* response) override;

 private:
  AuthCore& core_;
  const grpcutil::IdentitySigner& signer_;
  const Clock& clock_;
};

class AuthInternalServiceImpl final : public pb::AuthInternalService::Service {
 public:
  AuthInternalServiceImpl(AuthCore& core, const grpcutil::IdentitySigner& signer)
      : core_(core), signer_(signer) {}

  grpc::Status ValidateSession(grpc::ServerContext* context,
                               const pb::ValidateSessionRequest* request,
                               pb::ValidateSessionResponse* response) override;
  grpc::Status ValidateStepUpToken(grpc::ServerContext* context,
                                   const pb::ValidateStepUpTokenRequest* request,
                                   pb::ValidateStepUpTokenResponse* response) override;
  grpc::Status LookupUser(grpc::ServerContext* context, const pb::LookupUserRequest* request,
                          pb::LookupUserResponse* response) override;
  grpc::Status VerifyCode(grpc::ServerContext* context, const pb::VerifyCodeRequest* request,
                          pb::VerifyCodeResponse* response) override;
  grpc::Status FreezeUser(grpc::ServerContext* context,
                          const pb::AuthInternalServiceFreezeUserRequest* request,
                          pb::AuthInternalServiceFreezeUserResponse* response) override;
  grpc::Status GetContacts(grpc::ServerContext* context, const pb::GetContactsRequest* request,
                           pb::GetContactsResponse* response) override;

 private:
  AuthCore& core_;
  const grpcutil::IdentitySigner& signer_;
};

// Served only when the service runs with --dev-mailbox (local runs and tests).
class DevMailboxServiceImpl final : public ::uwallet::devtools::v1::DevMailboxService::Service {
 public:
  DevMailboxServiceImpl(notify::DevMailbox& mailbox, const grpcutil::IdentitySigner& signer)
      : mailbox_(mailbox), signer_(signer) {}

  grpc::Status ListMessages(grpc::ServerContext* context,
                            const ::uwallet::devtools::v1::ListMessagesRequest* request,
                            ::uwallet::devtools::v1::ListMessagesResponse* response) override;

 private:
  notify::DevMailbox& mailbox_;
  const grpcutil::IdentitySigner& signer_;
};

}  // namespace uwallet::auth::grpcapi
