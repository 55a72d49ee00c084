// The authorisation table: every RPC of the three services has an entry, and each audience admits
// exactly the roles it names.
#include <catch2/catch.hpp>

#include "google/protobuf/descriptor.h"
#include "services/fraud/grpc/authz.h"
#include "uwallet/fraud/v1/fraud.grpc.pb.h"

namespace uwallet::fraud {
namespace {

grpcutil::Identity With(std::vector<std::string> roles, std::string user_id = "user-1") {
  grpcutil::Identity identity;
  identity.user_id = std::move(user_id);
  identity.roles = std::move(roles);
  return identity;
}

TEST_CASE("every RPC of the fraud services has an entry in the table") {
  const google::protobuf::FileDescriptor* file = v1::AssessRequest::descriptor()->file();
  REQUIRE(file->service_count() == 3);
  for (int s = 0; s < file->service_count(); ++s) {
    const auto* service = file->service(s);
    REQUIRE(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
      INFO(method);
      CHECK(AudienceOf(method).has_value());
    }
  }
  CHECK_FALSE(AudienceOf("/uwallet.fraud.v1.FraudService/Nope").has_value());
}

TEST_CASE("audiences admit exactly their roles") {
  const auto customer = With({grpcutil::roles::kCustomer});
  const auto anonymous = With({grpcutil::roles::kAnonymous}, "");
  const auto service = With({"service:payments"}, "");
  const auto analyst = With({grpcutil::roles::kAnalyst});
  const auto agent = With({grpcutil::roles::kAgent});
  CHECK(CheckAudience(customer, Audience::kCustomer).ok());
  CHECK_FALSE(CheckAudience(anonymous, Audience::kCustomer).ok());
  CHECK_FALSE(CheckAudience(service, Audience::kCustomer).ok());
  CHECK(CheckAudience(anonymous, Audience::kCustomerOrAnonymous).ok());
  CHECK(CheckAudience(customer, Audience::kCustomerOrAnonymous).ok());
  CHECK_FALSE(CheckAudience(agent, Audience::kCustomerOrAnonymous).ok());
  CHECK(CheckAudience(service, Audience::kService).ok());
  CHECK_FALSE(CheckAudience(customer, Audience::kService).ok());
  CHECK_FALSE(CheckAudience(analyst, Audience::kService).ok());
  CHECK(CheckAudience(analyst, Audience::kAnalyst).ok());
  CHECK(CheckAudience(With({grpcutil::roles::kAdmin}), Audience::kAnalyst).ok());
  CHECK_FALSE(CheckAudience(agent, Audience::kAnalyst).ok());
  CHECK_FALSE(CheckAudience(customer, Audience::kAnalyst).ok());
  CHECK(CheckAudience(analyst, Audience::kStaff).ok());
  CHECK(CheckAudience(agent, Audience::kStaff).ok());
  CHECK(CheckAudience(With({grpcutil::roles::kAdmin}), Audience::kStaff).ok());
  CHECK_FALSE(CheckAudience(customer, Audience::kStaff).ok());
  CHECK_FALSE(CheckAudience(service, Audience::kStaff).ok());
  CHECK(AudienceOf("/uwallet.fraud.v1.FraudAnalystService/ListUserAlerts") == Audience::kStaff);
  // Agents may list one customer's cases (the handler refuses them the queue); timelines and
  // resolving stay with analysts.
  CHECK(AudienceOf("/uwallet.fraud.v1.FraudAnalystService/ListCases") == Audience::kStaff);
  CHECK(AudienceOf("/uwallet.fraud.v1.FraudAnalystService/GetCase") == Audience::kAnalyst);
  CHECK(AudienceOf("/uwallet.fraud.v1.FraudAnalystService/ResolveCase") == Audience::kAnalyst);
}

}  // namespace
}  // namespace uwallet::fraud
