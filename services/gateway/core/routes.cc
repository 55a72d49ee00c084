#include "services/gateway/core/routes.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"

namespace uwallet::gateway {
namespace {

const std::set<std::string> kSignedIn = {"customer", "merchant", "agent", "analyst", "admin"};
const std::set<std::string> kCustomers = {"customer", "merchant"};
const std::set<std::string> kMerchants = {"merchant"};
const std::set<std::string> kAgents = {"agent", "admin"};
const std::set<std::string> kAnalysts = {"analyst", "admin"};
const std::set<std::string> kStaff = {"agent", "analyst", "admin"};
const std::set<std::string> kNone = {};

struct ServiceRoute {
  const char* service;  // full name
  Upstream upstream;
  const std::set<std::string>* roles;  // who may call its methods when signed in
  std::vector<std::string> anonymous;  // methods also callable without a session
  std::map<std::string, const std::set<std::string>*> role_overrides;  // per method
};

// THE table. Internal services (uwallet.*.v1.*InternalService) are deliberately absent: the
// gateway never forwards to them. Add a public or staff service here, or it stays unreachable.
const std::vector<ServiceRoute>& ServiceRoutes() {
  static const auto* routes = new std::vector<ServiceRoute>{
      {"uwallet.auth.v1.AuthService",
       Upstream::kAuth,
       &kSignedIn,
       {"Register", "SendCode", "VerifyContact", "Login", "CompleteSecondFactor", "ResetPassword"},
       {}},
      {"uwallet.auth.v1.AuthAdminService",
       Upstream::kAuth,
       &kAgents,
       {},
       {{"CreateStaffAccount", new std::set<std::string>{"admin"}}}},
      {"uwallet.ledger.v1.LedgerService", Upstream::kLedger, &kSignedIn, {}, {}},
      {"uwallet.ledger.v1.LedgerAdminService", Upstream::kLedger, &kStaff, {}, {}},
      {"uwallet.payments.v1.PaymentsService", Upstream::kPayments, &kCustomers, {}, {}},
      {"uwallet.payments.v1.MerchantService", Upstream::kPayments, &kMerchants, {}, {}},
      {"uwallet.payments.v1.PaymentsAdminService", Upstream::kPayments, &kAgents, {}, {}},
      {"uwallet.support.v1.SupportService",
       Upstream::kSupport,
       &kSignedIn,
       {"SearchFaq", "GetFaqArticle", "Ask"},
       {}},
      {"uwallet.support.v1.SupportAgentService", Upstream::kSupport, &kAgents, {}, {}},
      {"uwallet.fraud.v1.FraudService",
       Upstream::kFraud,
       &kSignedIn,
       // "My phone was stolen": with a code sent to the registered contact, no session needed.
       {"ReportAccountStolen"},
       {}},
      {"uwallet.fraud.v1.FraudAnalystService", Upstream::kFraud, &kAnalysts, {}, {}},
      {"uwallet.gateway.v1.GatewayService", Upstream::kGateway, &kSignedIn, {}, {}},
  };
  return *routes;
}

}  // namespace

const char* UpstreamName(Upstream upstream) {
  switch (upstream) {
    case Upstream::kAuth:
      return "auth";
    case Upstream::kLedger:
      return "ledger";
    case Upstream::kPayments:
      return "payments";
    case Upstream::kSupport:
      return "support";
    case Upstream::kFraud:
      return "fraud";
    case Upstream::kGateway:
      return "gateway";
  }
  return "unknown";
}

absl::StatusOr<RouteTable> RouteTable::Build(const RouteOptions& options) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  RouteTable table;
  std::vector<ServiceRoute> services = ServiceRoutes();
  if (options.dev_mailbox) {
    services.push_back(
        {"uwallet.devtools.v1.DevMailboxService", Upstream::kAuth, &kNone, {"ListMessages"}, {}});
  }
  for (const ServiceRoute& entry : services) {
    const auto* service = pool->FindServiceByName(entry.service);
    if (service == nullptr) {
      return absl::InternalError(absl::StrCat("route table names unknown service ", entry.service));
    }
    std::vector<std::string> named = entry.anonymous;
    for (const auto& [name, roles] : entry.role_overrides) named.push_back(name);
    for (const auto& name : named) {
      if (service->FindMethodByName(name) == nullptr) {
        return absl::InternalError(
            absl::StrCat("route table names unknown method ", entry.service, "/", name));
      }
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      Route route;
      route.method = absl::StrCat("/", service->full_name(), "/", method->name());
      route.upstream = entry.upstream;
      route.server_streaming = method->server_streaming();
      route.client_streaming = method->client_streaming();
      route.anonymous = std::find(entry.anonymous.begin(), entry.anonymous.end(), method->name()) !=
                        entry.anonymous.end();
      auto override_it = entry.role_overrides.find(method->name());
      route.roles = override_it != entry.role_overrides.end() ? *override_it->second : *entry.roles;
      table.routes_.emplace(route.method, std::move(route));
    }
  }
  return table;
}

const Route* RouteTable::Find(absl::string_view method) const {
  auto it = routes_.find(method);
  return it == routes_.end() ? nullptr : &it->second;
}

bool RolesAllowed(const Route& route, const std::vector<std::string>& roles) {
  for (const auto& role : roles) {
    if (route.roles.contains(role)) return true;
  }
  return false;
}

}  // namespace uwallet::gateway
