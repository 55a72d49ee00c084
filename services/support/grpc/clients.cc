#include "services/support/grpc/clients.h"

#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::support {

std::string AssertionOf(const grpc::ServerContext& context) {
  auto it = context.client_metadata().find(grpcutil::kIdentityHeader);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<Person> GrpcDirectory::Lookup(const std::string& user_id) {
  if (peers_.auth_internal == nullptr) return absl::FailedPreconditionError("no auth client");
  auth::v1::GetContactsRequest request;
  request.set_user_id(user_id);
  auth::v1::GetContactsResponse response;
  auto context = grpcutil::OutgoingContext(kDirectoryTimeout, signer_.SignService("support"));
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(
      peers_.auth_internal->GetContacts(context.get(), request, &response)));
  return Person{.display_name = response.display_name(), .locale = response.locale()};
}

absl::StatusOr<PaymentInfo> GrpcMoneyClient::GetPayment(const std::string& payment_id) {
  // The customer's own assertion: payments shows a user only their own payments.
  payments::v1::GetPaymentRequest request;
  request.set_payment_id(payment_id);
  payments::v1::GetPaymentResponse response;
  auto context = grpcutil::OutgoingContext(incoming_, caller_assertion_);
  absl::Status status =
      grpcutil::FromGrpcStatus(peers_.payments->GetPayment(context.get(), request, &response));
  if (absl::IsNotFound(status)) {
    return WithReason(absl::StatusCode::kNotFound, "PAYMENT_NOT_FOUND", "no such payment");
  }
  UW_RETURN_IF_ERROR(status);
  const payments::v1::Payment& p = response.payment();
  PaymentInfo info;
  info.payment_id = p.payment_id();
  info.payer_user_id = p.payer().user_id();
  info.payee_is_merchant = p.payee().kind() == payments::v1::PARTY_KIND_MERCHANT;
  info.payee_owner_id = info.payee_is_merchant ? p.payee().merchant_id() : p.payee().user_id();
  info.amount = {.amount_minor = p.amount().amount_minor(), .currency = p.amount().currency()};
  info.refunded_minor = p.refunded_amount().amount_minor();
  info.succeeded = p.status() == payments::v1::PAYMENT_STATUS_SUCCEEDED;
  return info;
}

absl::StatusOr<std::string> GrpcMoneyClient::OpenAccount(const std::string& owner_id,
                                                         int owner_kind, int account_kind,
                                                         const std::string& currency) {
  ledger::v1::OpenAccountRequest request;
  request.set_owner_id(owner_id);
  request.set_owner_kind(static_cast<ledger::v1::OwnerKind>(owner_kind));
  request.set_kind(static_cast<ledger::v1::AccountKind>(account_kind));
  request.set_currency(currency);
  ledger::v1::OpenAccountResponse response;
  auto context = grpcutil::OutgoingContext(incoming_, signer_.SignService("support"));
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(
      peers_.ledger_internal->OpenAccount(context.get(), request, &response)));
  return response.account().account_id();
}

absl::StatusOr<std::string> GrpcMoneyClient::CreateDisputeHold(const std::string& idempotency_key,
                                                               const PaymentInfo& payment,
                                                               const Money& amount,
                                                               const std::string& ticket_id) {
  if (payment.payee_owner_id.empty()) {
    return WithReason(absl::StatusCode::kFailedPrecondition, "PAYMENT_NOT_DISPUTABLE",
                      "this payment has no wallet payee to hold funds from");
  }
  UW_ASSIGN_OR_RETURN(std::string payee_account,
                      OpenAccount(payment.payee_owner_id,
                                  payment.payee_is_merchant ? ledger::v1::OWNER_KIND_MERCHANT
                                                            : ledger::v1::OWNER_KIND_USER,
                                  payment.payee_is_merchant ? ledger::v1::ACCOUNT_KIND_MERCHANT
                                                            : ledger::v1::ACCOUNT_KIND_USER_WALLET,
                                  amount.currency));
  UW_ASSIGN_OR_RETURN(std::string suspense,
                      OpenAccount(kDisputeSuspenseOwner, ledger::v1::OWNER_KIND_SYSTEM,
                                  ledger::v1::ACCOUNT_KIND_SUSPENSE, amount.currency));
  ledger::v1::CreateHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_debit_account_id(payee_account);
  request.set_credit_account_id(suspense);
  request.mutable_amount()->set_amount_minor(amount.amount_minor);
  request.mutable_amount()->set_currency(amount.currency);
  request.set_kind(ledger::v1::TRANSFER_KIND_DISPUTE_HOLD);
  request.set_description("dispute of payment " + payment.payment_id);
  (*request.mutable_metadata())["ticket_id"] = ticket_id;
  (*request.mutable_metadata())["payment_id"] = payment.payment_id;
  ledger::v1::CreateHoldResponse response;
  auto context = grpcutil::OutgoingContext(incoming_, signer_.SignService("support"));
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(
      peers_.ledger_internal->CreateHold(context.get(), request, &response)));
  return response.hold().hold_id();
}

absl::Status GrpcMoneyClient::VoidHold(const std::string& idempotency_key,
                                       const std::string& hold_id, const std::string& reason) {
  ledger::v1::VoidHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_hold_id(hold_id);
  request.set_reason(reason.substr(0, 200));
  ledger::v1::VoidHoldResponse response;
  auto context = grpcutil::OutgoingContext(incoming_, signer_.SignService("support"));
  return grpcutil::FromGrpcStatus(
      peers_.ledger_internal->VoidHold(context.get(), request, &response));
}

absl::StatusOr<std::string> GrpcMoneyClient::Refund(const std::string& idempotency_key,
                                                    const std::string& payment_id,
                                                    const Money& amount, const std::string& reason,
                                                    const std::string& ticket_id) {
  // The agent's own assertion: payments audits who refunded.
  payments::v1::PaymentsAdminServiceRefundPaymentRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_payment_id(payment_id);
  request.mutable_amount()->set_amount_minor(amount.amount_minor);
  request.mutable_amount()->set_currency(amount.currency);
  request.set_reason(reason);
  request.set_ticket_id(ticket_id);
  payments::v1::PaymentsAdminServiceRefundPaymentResponse response;
  auto context = grpcutil::OutgoingContext(incoming_, caller_assertion_);
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(
      peers_.payments_admin->RefundPayment(context.get(), request, &response)));
  return response.refund().payment_id();
}

}  // namespace uwallet::support
