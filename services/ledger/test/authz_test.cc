// The authorisation table: every RPC of the ledger's proto has an entry (a new RPC without one
// would be denied), and each audience admits exactly the roles it names.
#include <catch2/catch.hpp>

#include <google/protobuf/descriptor.h>

#include "services/ledger/grpc/authz.h"
#include "uwallet/ledger/v1/ledger.pb.h"

namespace uwallet::ledger {
namespace {

grpcutil::Identity With(std::string user_id, std::vector<std::string> roles) {
  return {.user_id = std::move(user_id), .roles = std::move(roles)};
}

TEST_CASE("every ledger RPC has an entry in the table") {
  // Make sure the generated descriptors are linked in.
  (void)uwallet::ledger::v1::GetBalancesRequest::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* name :
       {"uwallet.ledger.v1.LedgerService", "uwallet.ledger.v1.LedgerInternalService",
        "uwallet.ledger.v1.LedgerAdminService"}) {
    const auto* service = pool->FindServiceByName(name);
    REQUIRE(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string full = "/" + service->full_name() + "/" + service->method(i)->name();
      INFO(full);
      REQUIRE(AudienceOf(full).has_value());
      ++methods;
    }
  }
  REQUIRE(methods == 16);
  REQUIRE_FALSE(AudienceOf("/uwallet.ledger.v1.LedgerService/DropTables").has_value());
}

TEST_CASE("audiences admit exactly their roles") {
  const auto customer = With("u1", {"customer"});
  const auto merchant = With("m1", {"merchant"});
  const auto agent = With("s1", {"agent"});
  const auto analyst = With("s2", {"analyst"});
  const auto admin = With("s3", {"admin"});
  const auto service = With("", {"service:payments"});
  const auto no_user = With("", {"customer"});

  REQUIRE(CheckAudience(customer, Audience::kOwnAccounts).ok());
  REQUIRE(CheckAudience(merchant, Audience::kOwnAccounts).ok());
  REQUIRE_FALSE(CheckAudience(no_user, Audience::kOwnAccounts).ok());
  REQUIRE_FALSE(CheckAudience(agent, Audience::kOwnAccounts).ok());
  REQUIRE_FALSE(CheckAudience(service, Audience::kOwnAccounts).ok());

  REQUIRE(CheckAudience(service, Audience::kService).ok());
  REQUIRE_FALSE(CheckAudience(customer, Audience::kService).ok());
  REQUIRE_FALSE(CheckAudience(admin, Audience::kService).ok());

  REQUIRE(CheckAudience(agent, Audience::kStaff).ok());
  REQUIRE(CheckAudience(analyst, Audience::kStaff).ok());
  REQUIRE(CheckAudience(admin, Audience::kStaff).ok());
  REQUIRE_FALSE(CheckAudience(customer, Audience::kStaff).ok());
  REQUIRE_FALSE(CheckAudience(service, Audience::kStaff).ok());

  REQUIRE(CheckAudience(admin, Audience::kFinance).ok());
  REQUIRE(CheckAudience(analyst, Audience::kFinance).ok());
  REQUIRE_FALSE(CheckAudience(agent, Audience::kFinance).ok());
  REQUIRE(CheckAudience(customer, Audience::kFinance).code() ==
          absl::StatusCode::kPermissionDenied);

  REQUIRE(ServiceName(service) == "payments");
  REQUIRE(ServiceName(customer).empty());
}

}  // namespace
}  // namespace uwallet::ledger
