// The payments authorisation table: every RPC of the four services has an entry, and each audience
// admits exactly the callers it names.
#include <catch2/catch.hpp>

#include "services/payments/core/errors.h"
#include "services/payments/grpc/services.h"
#include "uwallet/common/status.h"

namespace uwallet::payments {
namespace {

grpcutil::Identity Who(std::vector<std::string> roles, std::string user_id = "u-1") {
  grpcutil::Identity identity;
  identity.user_id = std::move(user_id);
  identity.roles = std::move(roles);
  return identity;
}

TEST_CASE("every RPC of the payments services has an audience") {
  const google::protobuf::FileDescriptor* file = v1::Payment::descriptor()->file();
  int methods = 0;
  for (int s = 0; s < file->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      const std::string name = "/" + service->full_name() + "/" + service->method(m)->name();
      INFO(name);
      REQUIRE(AudienceOf(name).has_value());
      ++methods;
    }
  }
  REQUIRE(methods == 29);
  // Refund requests: customers list their own; listing and rejecting on the merchant side is
  // for merchants only.
  REQUIRE(AudienceOf("/uwallet.payments.v1.PaymentsService/ListRefundRequests") ==
          Audience::kOwnData);
  REQUIRE(AudienceOf("/uwallet.payments.v1.MerchantService/ListRefundRequests") ==
          Audience::kMerchant);
  REQUIRE(AudienceOf("/uwallet.payments.v1.MerchantService/RejectRefundRequest") ==
          Audience::kMerchant);
  REQUIRE_FALSE(AudienceOf("/uwallet.payments.v1.PaymentsService/Nope").has_value());
  REQUIRE_FALSE(AudienceOf("/uwallet.ledger.v1.LedgerService/GetBalances").has_value());
}

TEST_CASE("audiences admit only their callers") {
  const auto customer = Who({"customer"});
  const auto merchant = Who({"merchant"});
  const auto agent = Who({"agent"});
  const auto analyst = Who({"analyst"});
  const auto service = Who({"service:fraud"}, "");
  const auto anonymous = Who({"anonymous"}, "");
  REQUIRE(CheckAudience(customer, Audience::kOwnData).ok());
  REQUIRE(CheckAudience(merchant, Audience::kOwnData).ok());
  REQUIRE(ReasonOf(CheckAudience(anonymous, Audience::kOwnData)) == "ROLE_REQUIRED");
  REQUIRE_FALSE(CheckAudience(service, Audience::kOwnData).ok());
  REQUIRE(CheckAudience(merchant, Audience::kMerchant).ok());
  REQUIRE_FALSE(CheckAudience(customer, Audience::kMerchant).ok());
  REQUIRE(CheckAudience(agent, Audience::kStaffWrite).ok());
  REQUIRE(CheckAudience(analyst, Audience::kStaff).ok());
  REQUIRE_FALSE(CheckAudience(analyst, Audience::kStaffWrite).ok());
  REQUIRE_FALSE(CheckAudience(customer, Audience::kStaff).ok());
  REQUIRE(CheckAudience(service, Audience::kService).ok());
  REQUIRE_FALSE(CheckAudience(agent, Audience::kService).ok());
  REQUIRE_FALSE(CheckAudience(customer, Audience::kService).ok());
}

TEST_CASE("reason metadata reaches the client as ErrorInfo.metadata") {
  absl::Status status = WithReason(absl::StatusCode::kInvalidArgument, "WRONG_PIN", "wrong");
  status = WithMetadata(status, {{"attempts_left", "3"}});
  grpc::Status out = ToGrpcWithMetadata(status);
  REQUIRE(out.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(out.error_details().find("WRONG_PIN") != std::string::npos);
  REQUIRE(out.error_details().find("attempts_left") != std::string::npos);
}

}  // namespace
}  // namespace uwallet::payments
