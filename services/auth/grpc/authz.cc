#include "services/auth/grpc/authz.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/auth/core/errors.h"

namespace uwallet::auth::grpcapi {
namespace {

constexpr uint32_t kStaff = kAgent | kAdmin;
constexpr uint32_t kAnyone = kAnonymous | kSignedIn | kAgent | kAdmin | kService;

constexpr Rule kRules[] = {
    // Public: anonymous callers (the gateway adds their IP and device).
    {"AuthService/Register", kAnonymous},
    {"AuthService/SendCode", kAnonymous | kSignedIn},  // STEP_UP / CHANGE_CONTACT need a session
    {"AuthService/VerifyContact", kAnonymous | kSignedIn},
    {"AuthService/Login", kAnonymous},
    {"AuthService/CompleteSecondFactor", kAnonymous},
    {"AuthService/ResetPassword", kAnonymous},
    // Public: signed in, always the caller's own account.
    {"AuthService/Logout", kSignedIn},
    {"AuthService/LogoutAll", kSignedIn},
    {"AuthService/ListSessions", kSignedIn},
    {"AuthService/RevokeSession", kSignedIn},
    {"AuthService/ListDevices", kSignedIn},
    {"AuthService/ForgetDevice", kSignedIn},
    {"AuthService/ChangePassword", kSignedIn},
    {"AuthService/BeginTotpEnrollment", kSignedIn},
    {"AuthService/ConfirmTotpEnrollment", kSignedIn},
    {"AuthService/DisableTotp", kSignedIn},
    {"AuthService/StepUp", kSignedIn},
    {"AuthService/GetProfile", kSignedIn},
    {"AuthService/UpdateProfile", kSignedIn},
    {"AuthService/ChangeContact", kSignedIn},
    // Staff.
    {"AuthAdminService/FindUsers", kStaff},
    {"AuthAdminService/GetUser", kStaff},
    {"AuthAdminService/UnlockUser", kStaff},
    {"AuthAdminService/FreezeUser", kStaff},
    {"AuthAdminService/UnfreezeUser", kStaff},
    {"AuthAdminService/ListAuditLog", kStaff},
    {"AuthAdminService/CreateStaffAccount", kAdmin},
    // Internal: other services only.
    {"AuthInternalService/ValidateSession", kService},
    {"AuthInternalService/ValidateStepUpToken", kService},
    {"AuthInternalService/LookupUser", kService},
    {"AuthInternalService/VerifyCode", kService},
    {"AuthInternalService/FreezeUser", kService},
    {"AuthInternalService/GetContacts", kService},
    // Development mailbox: only registered when --dev-mailbox is on; any verified caller.
    {"DevMailboxService/ListMessages", kAnyone},
};

}  // namespace

const Rule* Rules(size_t* count) {
  *count = sizeof(kRules) / sizeof(kRules[0]);
  return kRules;
}

uint32_t AccessOf(const grpcutil::Identity& identity) {
  uint32_t access = 0;
  if (identity.IsService()) access |= kService;
  const bool person = !identity.user_id.empty() && !identity.session_id.empty();
  if (identity.HasRole(grpcutil::roles::kAnonymous) && identity.user_id.empty()) {
    access |= kAnonymous;
  }
  if (person && !identity.HasRole(grpcutil::roles::kAnonymous)) {
    access |= kSignedIn;
    if (identity.HasRole(grpcutil::roles::kAgent)) access |= kAgent;
    if (identity.HasRole(grpcutil::roles::kAdmin)) access |= kAdmin;
  }
  return access;
}

absl::StatusOr<Caller> AuthorizeIdentity(const grpcutil::Identity& identity,
                                         absl::string_view method) {
  const Rule* rule = nullptr;
  for (const Rule& candidate : kRules) {
    if (candidate.method == method) rule = &candidate;
  }
  if (rule == nullptr) {
    return WithReason(absl::StatusCode::kPermissionDenied, reason::kRoleRequired,
                      "no authorisation rule for this RPC");
  }
  if ((AccessOf(identity) & rule->allowed) == 0) {
    return WithReason(absl::StatusCode::kPermissionDenied, reason::kRoleRequired,
                      absl::StrCat("the caller's role may not call ", method));
  }
  Caller caller;
  caller.user_id = identity.user_id;
  caller.session_id = identity.session_id;
  caller.roles = identity.roles;
  caller.ip = identity.client_ip;
  caller.device_id = identity.device_id;
  for (const std::string& role : identity.roles) {
    if (absl::StartsWith(role, grpcutil::roles::kServicePrefix)) caller.service = role;
  }
  return caller;
}

absl::StatusOr<Caller> Authorize(const grpcutil::IdentitySigner& signer,
                                 const grpc::ServerContextBase& context, absl::string_view method) {
  UW_ASSIGN_OR_RETURN(grpcutil::Identity identity, signer.FromContext(context));
  UW_ASSIGN_OR_RETURN(Caller caller, AuthorizeIdentity(identity, method));
  caller.request_id = grpcutil::RequestIdOf(context);
  return caller;
}

}  // namespace uwallet::auth::grpcapi
