#pragma once
// The payments gRPC services: proto ↔ domain mapping and the authorisation table (authz in
// services.cc, one place). Handlers hold no logic: they authorise, map, call PaymentsCore, map
// back.

#include <grpcpp/grpcpp.h>

#include "services/payments/core/payments_core.h"
#include "uwallet/grpcutil/identity.h"
#include "uwallet/payments/v1/payments.grpc.pb.h"

namespace uwallet::payments {

// Who may call an RPC. An RPC missing from the table is denied.
enum class Audience {
  kOwnData,     // a signed-in customer or merchant, acting on their own data
  kMerchant,    // a signed-in merchant, acting on their own merchant
  kStaff,       // agent or admin (analysts read only)
  kStaffWrite,  // agent or admin
  kService,     // another uwallet service (role service:<name>)
};

[[nodiscard]] std::optional<Audience> AudienceOf(absl::string_view full_method);
[[nodiscard]] absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience);

// Converts a handler's status, carrying reason metadata (attempts_left, payment_id, ...) into the
// google.rpc.ErrorInfo that apps decode.
[[nodiscard]] grpc::Status ToGrpcWithMetadata(const absl::Status& status);

struct GrpcDeps {
  PaymentsCore& core;
  const grpcutil::IdentitySigner& signer;
};

class PaymentsGrpc final : public v1::PaymentsService::Service {
 public:
  explicit PaymentsGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status QuoteFee(grpc::ServerContext*, const v1::QuoteFeeRequest*,
                        v1::QuoteFeeResponse*) override;
  grpc::Status Transfer(grpc::ServerContext*, const v1::TransferRequest*,
                        v1::TransferResponse*) override;
  grpc::Status PayMerchant(grpc::ServerContext*, const v1::PayMerchantRequest*,
                           v1::PayMerchantResponse*) override;
  grpc::Status TopUp(grpc::ServerContext*, const v1::TopUpRequest*, v1::TopUpResponse*) override;
  grpc::Status Withdraw(grpc::ServerContext*, const v1::WithdrawRequest*,
                        v1::WithdrawResponse*) override;
  grpc::Status GetPayment(grpc::ServerContext*, const v1::GetPaymentRequest*,
                          v1::GetPaymentResponse*) override;
  grpc::Status ListPayments(grpc::ServerContext*, const v1::ListPaymentsRequest*,
                            v1::ListPaymentsResponse*) override;
  grpc::Status RequestRefund(grpc::ServerContext*, const v1::RequestRefundRequest*,
                             v1::RequestRefundResponse*) override;
  grpc::Status ListRefundRequests(grpc::ServerContext*, const v1::ListRefundRequestsRequest*,
                                  v1::ListRefundRequestsResponse*) override;
  grpc::Status AddBankCard(grpc::ServerContext*, const v1::AddBankCardRequest*,
                           v1::AddBankCardResponse*) override;
  grpc::Status ListBankCards(grpc::ServerContext*, const v1::ListBankCardsRequest*,
                             v1::ListBankCardsResponse*) override;
  grpc::Status RemoveBankCard(grpc::ServerContext*, const v1::RemoveBankCardRequest*,
                              v1::RemoveBankCardResponse*) override;
  grpc::Status SetPaymentPin(grpc::ServerContext*, const v1::SetPaymentPinRequest*,
                             v1::SetPaymentPinResponse*) override;
  grpc::Status ChangePaymentPin(grpc::ServerContext*, const v1::ChangePaymentPinRequest*,
                                v1::ChangePaymentPinResponse*) override;
  grpc::Status CreateSchedule(grpc::ServerContext*, const v1::CreateScheduleRequest*,
                              v1::CreateScheduleResponse*) override;
  grpc::Status ListSchedules(grpc::ServerContext*, const v1::ListSchedulesRequest*,
                             v1::ListSchedulesResponse*) override;
  grpc::Status CancelSchedule(grpc::ServerContext*, const v1::CancelScheduleRequest*,
                              v1::CancelScheduleResponse*) override;
  grpc::Status GetLimits(grpc::ServerContext*, const v1::GetLimitsRequest*,
                         v1::GetLimitsResponse*) override;

 private:
  GrpcDeps deps_;
};

class MerchantGrpc final : public v1::MerchantService::Service {
 public:
  explicit MerchantGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status CreatePaymentCode(grpc::ServerContext*, const v1::CreatePaymentCodeRequest*,
                                 v1::CreatePaymentCodeResponse*) override;
  grpc::Status RefundPayment(grpc::ServerContext*, const v1::RefundPaymentRequest*,
                             v1::RefundPaymentResponse*) override;
  grpc::Status ListRefundRequests(grpc::ServerContext*,
                                  const v1::MerchantServiceListRefundRequestsRequest*,
                                  v1::MerchantServiceListRefundRequestsResponse*) override;
  grpc::Status RejectRefundRequest(grpc::ServerContext*, const v1::RejectRefundRequestRequest*,
                                   v1::RejectRefundRequestResponse*) override;

 private:
  GrpcDeps deps_;
};

class AdminGrpc final : public v1::PaymentsAdminService::Service {
 public:
  explicit AdminGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status GetPayment(grpc::ServerContext*, const v1::PaymentsAdminServiceGetPaymentRequest*,
                          v1::PaymentsAdminServiceGetPaymentResponse*) override;
  grpc::Status ListUserPayments(grpc::ServerContext*, const v1::ListUserPaymentsRequest*,
                                v1::ListUserPaymentsResponse*) override;
  grpc::Status RefundPayment(grpc::ServerContext*,
                             const v1::PaymentsAdminServiceRefundPaymentRequest*,
                             v1::PaymentsAdminServiceRefundPaymentResponse*) override;
  grpc::Status ReversePayment(grpc::ServerContext*, const v1::ReversePaymentRequest*,
                              v1::ReversePaymentResponse*) override;

 private:
  GrpcDeps deps_;
};

class InternalGrpc final : public v1::PaymentsInternalService::Service {
 public:
  explicit InternalGrpc(GrpcDeps deps) : deps_(deps) {}
  grpc::Status HandleSettlement(grpc::ServerContext*, const v1::HandleSettlementRequest*,
                                v1::HandleSettlementResponse*) override;
  grpc::Status ResolveReview(grpc::ServerContext*, const v1::ResolveReviewRequest*,
                             v1::ResolveReviewResponse*) override;
  grpc::Status CancelUserSchedules(grpc::ServerContext*, const v1::CancelUserSchedulesRequest*,
                                   v1::CancelUserSchedulesResponse*) override;

 private:
  GrpcDeps deps_;
};

}  // namespace uwallet::payments
