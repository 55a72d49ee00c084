#include "services/fraud/grpc/clients.h"

#include <chrono>

#include "absl/strings/str_cat.h"

#include "uwallet/common/status.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::fraud {
namespace {

thread_local const grpc::ServerContext* current_call = nullptr;

// Keeps the downstream code and reason; names the dependency in the message.
absl::Status Downstream(const char* service, const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted = grpcutil::FromGrpcStatus(status);
  if (converted.code() == absl::StatusCode::kUnimplemented) {
    return absl::UnimplementedError(
        absl::StrCat(service, " does not implement this call yet: ", converted.message()));
  }
  return Annotate(converted, service);
}

}  // namespace

CallScope::CallScope(const grpc::ServerContext* context) : previous_(current_call) {
  current_call = context;
}
CallScope::~CallScope() { current_call = previous_; }

std::unique_ptr<grpc::ClientContext> RemoteCalls::Context() const {
  const std::string assertion = signer_.SignService("fraud");
  if (current_call == nullptr) return grpcutil::OutgoingContext(kBackgroundCallTimeout, assertion);
  auto context = grpcutil::OutgoingContext(*current_call, assertion);
  const auto cap = std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(kCallTimeoutMax));
  if (context->deadline() > cap) context->set_deadline(cap);
  return context;
}

absl::StatusOr<std::string> GrpcAuthClient::VerifyReportCode(const std::string& destination,
                                                             const std::string& code) {
  auth::v1::VerifyCodeRequest request;
  request.set_destination(destination);
  request.set_purpose(auth::v1::CODE_PURPOSE_REPORT_STOLEN);
  request.set_code(code);
  auth::v1::VerifyCodeResponse response;
  auto context = calls_.Context();
  UW_RETURN_IF_ERROR(Downstream("auth", stub_->VerifyCode(context.get(), request, &response)));
  return response.user_id();
}

absl::Status GrpcAuthClient::FreezeUser(const std::string& user_id, const std::string& reason,
                                        const std::string& case_id) {
  auth::v1::AuthInternalServiceFreezeUserRequest request;
  request.set_user_id(user_id);
  request.set_reason(reason);
  request.set_case_id(case_id);
  auth::v1::AuthInternalServiceFreezeUserResponse response;
  auto context = calls_.Context();
  return Downstream("auth", stub_->FreezeUser(context.get(), request, &response));
}

absl::StatusOr<Contacts> GrpcAuthClient::GetContacts(const std::string& user_id) {
  auth::v1::GetContactsRequest request;
  request.set_user_id(user_id);
  auth::v1::GetContactsResponse response;
  auto context = calls_.Context();
  UW_RETURN_IF_ERROR(Downstream("auth", stub_->GetContacts(context.get(), request, &response)));
  Contacts contacts;
  if (response.phone_verified()) contacts.phone = response.phone();
  if (response.email_verified()) contacts.email = response.email();
  contacts.locale = response.locale();
  return contacts;
}

absl::StatusOr<bool> GrpcAuthClient::IsFrozen(const std::string& user_id) {
  auth::v1::LookupUserRequest request;
  request.set_user_id(user_id);
  auth::v1::LookupUserResponse response;
  auto context = calls_.Context();
  UW_RETURN_IF_ERROR(Downstream("auth", stub_->LookupUser(context.get(), request, &response)));
  return response.status() == auth::v1::USER_STATUS_FROZEN;
}

absl::Status GrpcLedgerClient::FreezeOwner(const std::string& owner_id, const std::string& reason,
                                           const std::string& reference) {
  ledger::v1::FreezeAccountRequest request;
  request.set_owner_id(owner_id);
  request.set_reason(reason);
  request.set_reference(reference);
  ledger::v1::FreezeAccountResponse response;
  auto context = calls_.Context();
  grpc::Status status = stub_->FreezeAccount(context.get(), request, &response);
  // Wallets open on first use: an owner with no account has nothing to freeze (sign-in is frozen
  // in auth, so no one can open one in the user's name meanwhile).
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return absl::OkStatus();
  return Downstream("ledger", status);
}

absl::Status GrpcLedgerClient::UnfreezeOwner(const std::string& owner_id, const std::string& reason,
                                             const std::string& reference) {
  ledger::v1::UnfreezeAccountRequest request;
  request.set_owner_id(owner_id);
  request.set_reason(reason);
  request.set_reference(reference);
  ledger::v1::UnfreezeAccountResponse response;
  auto context = calls_.Context();
  grpc::Status status = stub_->UnfreezeAccount(context.get(), request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return absl::OkStatus();  // no wallet
  return Downstream("ledger", status);
}

absl::StatusOr<std::vector<std::string>> GrpcLedgerClient::ListPendingHolds(
    const std::string& owner_id) {
  std::vector<std::string> holds;
  std::string token;
  constexpr int kPagesMax = 10;  // 10 x 100 holds at most
  for (int page = 0; page < kPagesMax; ++page) {
    ledger::v1::ListHoldsRequest request;
    request.set_owner_id(owner_id);
    request.add_states(ledger::v1::HOLD_STATE_PENDING);
    request.set_page_size(100);
    request.set_page_token(token);
    ledger::v1::ListHoldsResponse response;
    auto context = calls_.Context();
    grpc::Status status = stub_->ListHolds(context.get(), request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) break;  // no account: no holds
    UW_RETURN_IF_ERROR(Downstream("ledger", status));
    for (const auto& hold : response.holds()) holds.push_back(hold.hold_id());
    token = response.next_page_token();
    if (token.empty()) break;
  }
  return holds;
}

absl::Status GrpcLedgerClient::VoidHold(const std::string& idempotency_key,
                                        const std::string& hold_id, const std::string& reason) {
  ledger::v1::VoidHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_hold_id(hold_id);
  request.set_reason(reason);
  ledger::v1::VoidHoldResponse response;
  auto context = calls_.Context();
  return Downstream("ledger", stub_->VoidHold(context.get(), request, &response));
}

absl::Status GrpcPaymentsClient::CancelUserSchedules(const std::string& user_id,
                                                     const std::string& reason) {
  payments::v1::CancelUserSchedulesRequest request;
  request.set_user_id(user_id);
  request.set_reason(reason);
  payments::v1::CancelUserSchedulesResponse response;
  auto context = calls_.Context();
  return Downstream("payments", stub_->CancelUserSchedules(context.get(), request, &response));
}

absl::Status GrpcPaymentsClient::ResolveReview(const std::string& idempotency_key,
                                               const std::string& payment_id, bool approve,
                                               const std::string& case_id,
                                               const std::string& note) {
  payments::v1::ResolveReviewRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_payment_id(payment_id);
  request.set_approve(approve);
  request.set_case_id(case_id);
  request.set_note(note);
  payments::v1::ResolveReviewResponse response;
  auto context = calls_.Context();
  return Downstream("payments", stub_->ResolveReview(context.get(), request, &response));
}

absl::StatusOr<std::string> GrpcSupportClient::OpenSystemTicket(const TicketRequest& in) {
  support::v1::OpenSystemTicketRequest request;
  request.set_idempotency_key(in.idempotency_key);
  request.set_user_id(in.user_id);
  request.set_category(in.dispute ? support::v1::TICKET_CATEGORY_DISPUTE
                                  : support::v1::TICKET_CATEGORY_SECURITY);
  request.set_priority(in.dispute ? support::v1::PRIORITY_HIGH : support::v1::PRIORITY_URGENT);
  request.set_subject(in.subject);
  request.set_body(in.body);
  request.set_payment_id(in.payment_id);
  request.set_case_id(in.case_id);
  support::v1::OpenSystemTicketResponse response;
  auto context = calls_.Context();
  UW_RETURN_IF_ERROR(
      Downstream("support", stub_->OpenSystemTicket(context.get(), request, &response)));
  return response.ticket().ticket_id();
}

}  // namespace uwallet::fraud
