#include "services/fraud/grpc/authz.h"

#include <map>

#include "services/fraud/core/errors.h"
#include "uwallet/common/status.h"

namespace uwallet::fraud {
namespace {

const std::map<std::string, Audience, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, Audience, std::less<>>{
      {"/uwallet.fraud.v1.FraudService/ListMyAlerts", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudService/AcknowledgeAlert", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudService/WatchAlerts", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudService/GetAlertSettings", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudService/UpdateAlertSettings", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudService/ReportAccountStolen", Audience::kCustomerOrAnonymous},
      {"/uwallet.fraud.v1.FraudService/FlagTransaction", Audience::kCustomer},
      {"/uwallet.fraud.v1.FraudInternalService/Assess", Audience::kService},
      // Staff: support agents list the cases of ONE customer (their 360); the handler refuses
      // them the queue (no user_id). Reading a case's timeline and resolving stay with analysts.
      {"/uwallet.fraud.v1.FraudAnalystService/ListCases", Audience::kStaff},
      {"/uwallet.fraud.v1.FraudAnalystService/GetCase", Audience::kAnalyst},
      {"/uwallet.fraud.v1.FraudAnalystService/ResolveCase", Audience::kAnalyst},
      {"/uwallet.fraud.v1.FraudAnalystService/ListRules", Audience::kAnalyst},
      {"/uwallet.fraud.v1.FraudAnalystService/UpdateRule", Audience::kAnalyst},
      {"/uwallet.fraud.v1.FraudAnalystService/ListUserAlerts", Audience::kStaff},
  };
  return *table;
}

bool IsCustomer(const grpcutil::Identity& identity) {
  return !identity.user_id.empty() && (identity.HasRole(grpcutil::roles::kCustomer) ||
                                       identity.HasRole(grpcutil::roles::kMerchant));
}

}  // namespace

std::optional<Audience> AudienceOf(absl::string_view full_method) {
  auto it = Table().find(full_method);
  if (it == Table().end()) return std::nullopt;
  return it->second;
}

absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience) {
  switch (audience) {
    case Audience::kCustomer:
      if (IsCustomer(identity)) return absl::OkStatus();
      return RoleRequired("a signed-in customer is required");
    case Audience::kCustomerOrAnonymous:
      if (IsCustomer(identity) || identity.HasRole(grpcutil::roles::kAnonymous)) {
        return absl::OkStatus();
      }
      return RoleRequired("a signed-in customer, or an anonymous caller with a code");
    case Audience::kService:
      if (identity.IsService()) return absl::OkStatus();
      return RoleRequired("only uwallet services may call the internal fraud API");
    case Audience::kAnalyst:
      if (identity.HasRole(grpcutil::roles::kAnalyst) ||
          identity.HasRole(grpcutil::roles::kAdmin)) {
        return absl::OkStatus();
      }
      return RoleRequired("analysts and admins only");
    case Audience::kStaff:
      if (identity.HasRole(grpcutil::roles::kAnalyst) ||
          identity.HasRole(grpcutil::roles::kAgent) || identity.HasRole(grpcutil::roles::kAdmin)) {
        return absl::OkStatus();
      }
      return RoleRequired("support and risk staff only");
  }
  return RoleRequired("denied");
}

absl::StatusOr<grpcutil::Identity> Authorize(const grpcutil::IdentitySigner& signer,
                                             const grpc::ServerContextBase& context,
                                             absl::string_view full_method) {
  const std::optional<Audience> audience = AudienceOf(full_method);
  if (!audience) return RoleRequired("this method is not open to any caller");
  UW_ASSIGN_OR_RETURN(grpcutil::Identity identity, signer.FromContext(context));
  UW_RETURN_IF_ERROR(CheckAudience(identity, *audience));
  return identity;
}

}  // namespace uwallet::fraud
