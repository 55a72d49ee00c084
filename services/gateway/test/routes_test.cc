#include <google/protobuf/descriptor.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/core/routes.h"
#include "uwallet/auth/v1/auth.pb.h"
#include "uwallet/devtools/v1/devtools.pb.h"
#include "uwallet/fraud/v1/fraud.pb.h"
#include "uwallet/gateway/v1/gateway.pb.h"
#include "uwallet/ledger/v1/ledger.pb.h"
#include "uwallet/payments/v1/payments.pb.h"
#include "uwallet/support/v1/support.pb.h"

namespace uwallet::gateway {
namespace {

// Every service of every uwallet contract, from the compiled-in descriptors.
std::vector<const google::protobuf::ServiceDescriptor*> AllServices() {
  const google::protobuf::FileDescriptor* files[] = {
      auth::v1::LoginRequest::descriptor()->file(),
      ledger::v1::GetBalancesRequest::descriptor()->file(),
      payments::v1::TransferRequest::descriptor()->file(),
      support::v1::CreateTicketRequest::descriptor()->file(),
      fraud::v1::AssessRequest::descriptor()->file(),
      gateway::v1::GetHomeRequest::descriptor()->file(),
      devtools::v1::ListMessagesRequest::descriptor()->file()};
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file : files) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

TEST_CASE("every public and staff method has a route; internal ones never do") {
  auto table = RouteTable::Build();
  REQUIRE(table.ok());
  int checked = 0;
  for (const auto* service : AllServices()) {
    const bool internal = absl::EndsWith(service->name(), "InternalService");
    const bool dev = service->full_name() == "uwallet.devtools.v1.DevMailboxService";
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method =
          absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
      INFO(method);
      if (internal || dev) {
        REQUIRE(table->Find(method) == nullptr);
      } else {
        const Route* route = table->Find(method);
        REQUIRE(route != nullptr);
        // Nobody may reach a staff service anonymously or as a customer.
        if (absl::StrContains(service->name(), "Admin") ||
            absl::StrContains(service->name(), "Agent") ||
            absl::StrContains(service->name(), "Analyst")) {
          REQUIRE_FALSE(route->anonymous);
          REQUIRE_FALSE(route->roles.contains("customer"));
        }
        ++checked;
      }
    }
  }
  REQUIRE(checked > 50);
  REQUIRE(table->Find("/uwallet.ledger.v1.LedgerInternalService/PostTransfers") == nullptr);
  REQUIRE(table->Find("/no.such/Method") == nullptr);
}

TEST_CASE("anonymous methods are exactly the sign-up, sign-in, reset, FAQ and stolen-phone ones") {
  auto table = RouteTable::Build();
  REQUIRE(table.ok());
  std::set<std::string> anonymous;
  for (const auto& [method, route] : table->routes()) {
    if (route.anonymous) anonymous.insert(method);
  }
  const std::set<std::string> expected = {"/uwallet.auth.v1.AuthService/Register",
                                          "/uwallet.auth.v1.AuthService/SendCode",
                                          "/uwallet.auth.v1.AuthService/VerifyContact",
                                          "/uwallet.auth.v1.AuthService/Login",
                                          "/uwallet.auth.v1.AuthService/CompleteSecondFactor",
                                          "/uwallet.auth.v1.AuthService/ResetPassword",
                                          "/uwallet.support.v1.SupportService/SearchFaq",
                                          "/uwallet.support.v1.SupportService/GetFaqArticle",
                                          "/uwallet.support.v1.SupportService/Ask",
                                          "/uwallet.fraud.v1.FraudService/ReportAccountStolen"};
  REQUIRE(anonymous == expected);
}

TEST_CASE("roles: customers use the wallet, staff their desks, admins create staff") {
  auto table = RouteTable::Build();
  REQUIRE(table.ok());
  const Route* transfer = table->Find("/uwallet.payments.v1.PaymentsService/Transfer");
  REQUIRE(RolesAllowed(*transfer, {"customer"}));
  REQUIRE_FALSE(RolesAllowed(*transfer, {"agent"}));  // staff do not spend from the desk
  const Route* unlock = table->Find("/uwallet.auth.v1.AuthAdminService/UnlockUser");
  REQUIRE(RolesAllowed(*unlock, {"agent"}));
  REQUIRE_FALSE(RolesAllowed(*unlock, {"customer"}));
  REQUIRE_FALSE(RolesAllowed(*unlock, {"analyst"}));
  const Route* staff = table->Find("/uwallet.auth.v1.AuthAdminService/CreateStaffAccount");
  REQUIRE(RolesAllowed(*staff, {"admin"}));
  REQUIRE_FALSE(RolesAllowed(*staff, {"agent"}));
  const Route* cases = table->Find("/uwallet.fraud.v1.FraudAnalystService/ListCases");
  REQUIRE(RolesAllowed(*cases, {"analyst"}));
  REQUIRE_FALSE(RolesAllowed(*cases, {"agent"}));
  REQUIRE(table->Find("/uwallet.support.v1.SupportService/WatchTicket")->server_streaming);
  // Refund requests: customers list their own; only merchants list and reject theirs.
  const Route* mine = table->Find("/uwallet.payments.v1.PaymentsService/ListRefundRequests");
  REQUIRE(mine != nullptr);
  REQUIRE(RolesAllowed(*mine, {"customer"}));
  REQUIRE_FALSE(RolesAllowed(*mine, {"agent"}));
  for (const char* method : {"/uwallet.payments.v1.MerchantService/ListRefundRequests",
                             "/uwallet.payments.v1.MerchantService/RejectRefundRequest"}) {
    const Route* merchant = table->Find(method);
    REQUIRE(merchant != nullptr);
    REQUIRE(RolesAllowed(*merchant, {"merchant"}));
    REQUIRE_FALSE(RolesAllowed(*merchant, {"customer"}));
    REQUIRE_FALSE(RolesAllowed(*merchant, {"agent", "admin"}));
    REQUIRE_FALSE(merchant->anonymous);
  }
}

TEST_CASE("the dev mailbox is routed only when enabled") {
  REQUIRE(RouteTable::Build()->Find("/uwallet.devtools.v1.DevMailboxService/ListMessages") ==
          nullptr);
  auto dev = RouteTable::Build({.dev_mailbox = true});
  const Route* mailbox = dev->Find("/uwallet.devtools.v1.DevMailboxService/ListMessages");
  REQUIRE(mailbox != nullptr);
  REQUIRE(mailbox->anonymous);
}

}  // namespace
}  // namespace uwallet::gateway
