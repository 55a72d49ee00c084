#include "services/ledger/grpc/authz.h"

#include <map>

#include "absl/strings/match.h"
#include "services/ledger/core/errors.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger {
namespace {

const std::map<std::string, Audience, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, Audience, std::less<>>{
      {"/uwallet.ledger.v1.LedgerService/GetBalances", Audience::kOwnAccounts},
      {"/uwallet.ledger.v1.LedgerService/ListTransactions", Audience::kOwnAccounts},
      {"/uwallet.ledger.v1.LedgerService/GetTransaction", Audience::kOwnAccounts},
      {"/uwallet.ledger.v1.LedgerService/GetSpendingSummary", Audience::kOwnAccounts},
      {"/uwallet.ledger.v1.LedgerInternalService/OpenAccount", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/PostTransfers", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/CreateHold", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/PostHold", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/VoidHold", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/ListHolds", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/GetAccount", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/ListAccounts", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/FreezeAccount", Audience::kService},
      {"/uwallet.ledger.v1.LedgerInternalService/UnfreezeAccount", Audience::kService},
      {"/uwallet.ledger.v1.LedgerAdminService/GetTrialBalance", Audience::kFinance},
      {"/uwallet.ledger.v1.LedgerAdminService/GetAccountStatement", Audience::kStaff},
  };
  return *table;
}

}  // namespace

std::optional<Audience> AudienceOf(absl::string_view full_method) {
  auto it = Table().find(full_method);
  if (it == Table().end()) return std::nullopt;
  return it->second;
}

absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience) {
  switch (audience) {
    case Audience::kOwnAccounts:
      if (!identity.user_id.empty() && (identity.HasRole(grpcutil::roles::kCustomer) ||
                                        identity.HasRole(grpcutil::roles::kMerchant))) {
        return absl::OkStatus();
      }
      return RoleRequired("a signed-in customer or merchant is required");
    case Audience::kService:
      if (identity.IsService()) return absl::OkStatus();
      return RoleRequired("only uwallet services may call the internal ledger API");
    case Audience::kStaff:
      if (identity.HasRole(grpcutil::roles::kAgent) ||
          identity.HasRole(grpcutil::roles::kAnalyst) ||
          identity.HasRole(grpcutil::roles::kAdmin)) {
        return absl::OkStatus();
      }
      return RoleRequired("staff only");
    case Audience::kFinance:
      if (identity.HasRole(grpcutil::roles::kAnalyst) ||
          identity.HasRole(grpcutil::roles::kAdmin)) {
        return absl::OkStatus();
      }
      return RoleRequired("analysts and admins only");
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

std::string ServiceName(const grpcutil::Identity& identity) {
  for (const std::string& role : identity.roles) {
    if (absl::StartsWith(role, grpcutil::roles::kServicePrefix)) {
      return role.substr(sizeof(grpcutil::roles::kServicePrefix) - 1);
    }
  }
  return "";
}

}  // namespace uwallet::ledger
