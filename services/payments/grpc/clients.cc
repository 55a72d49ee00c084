#include "services/payments/grpc/clients.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/payments/core/errors.h"
#include "services/payments/core/payments_core.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::payments {
namespace {

thread_local const grpc::ServerContext* current_call = nullptr;

constexpr char kServiceName[] = "payments";

ledger::v1::AccountKind LedgerAccountKind(AccountRef::Kind kind) {
  return static_cast<ledger::v1::AccountKind>(static_cast<int>(kind));
}

ledger::v1::OwnerKind OwnerKindOf(AccountRef::Kind kind) {
  switch (kind) {
    case AccountRef::Kind::kUserWallet:
      return ledger::v1::OWNER_KIND_USER;
    case AccountRef::Kind::kMerchant:
      return ledger::v1::OWNER_KIND_MERCHANT;
    default:
      return ledger::v1::OWNER_KIND_SYSTEM;
  }
}

std::string SystemOwner(AccountRef::Kind kind) {
  return kind == AccountRef::Kind::kBankSettlement ? "bank_settlement" : "fee_revenue";
}

// At most `max_bytes` of `text`, never cutting a UTF-8 sequence in half (an invalid string would
// fail to serialize).
std::string Truncate(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void SetMoney(common::v1::Money* money, int64_t amount_minor, const std::string& currency) {
  money->set_amount_minor(amount_minor);
  money->set_currency(currency);
}

}  // namespace

IncomingCall::IncomingCall(const grpc::ServerContext* context) : previous_(current_call) {
  current_call = context;
}
IncomingCall::~IncomingCall() { current_call = previous_; }
const grpc::ServerContext* IncomingCall::Current() { return current_call; }

std::unique_ptr<grpc::ClientContext> CallContext(const grpcutil::IdentitySigner& signer,
                                                 absl::Duration timeout, absl::Duration cap) {
  const std::string assertion = signer.SignService(kServiceName);
  std::unique_ptr<grpc::ClientContext> context =
      current_call != nullptr ? grpcutil::OutgoingContext(*current_call, assertion)
                              : grpcutil::OutgoingContext(timeout, assertion);
  const auto capped =
      std::chrono::system_clock::now() + std::chrono::microseconds(absl::ToInt64Microseconds(cap));
  if (context->deadline() > capped) context->set_deadline(capped);
  return context;
}

// ---------------------------------------------------------------------------------------------
// Ledger
// ---------------------------------------------------------------------------------------------

absl::StatusOr<std::string> GrpcLedgerClient::AccountId(const AccountRef& ref) {
  const std::string owner = ref.owner_id.empty() ? SystemOwner(ref.kind) : ref.owner_id;
  const std::string cache_key =
      absl::StrCat(static_cast<int>(ref.kind), "/", owner, "/", ref.currency);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = accounts_.find(cache_key);
    if (it != accounts_.end()) return it->second;
  }
  ledger::v1::OpenAccountRequest request;
  request.set_owner_id(owner);
  request.set_owner_kind(OwnerKindOf(ref.kind));
  request.set_kind(LedgerAccountKind(ref.kind));
  request.set_currency(ref.currency);
  ledger::v1::OpenAccountResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(
      grpcutil::FromGrpcStatus(stub_->OpenAccount(context.get(), request, &response)));
  std::lock_guard<std::mutex> lock(mutex_);
  accounts_[cache_key] = response.account().account_id();
  return response.account().account_id();
}

absl::Status GrpcLedgerClient::Fill(const Leg& leg, ledger::v1::TransferSpec* spec) {
  UW_ASSIGN_OR_RETURN(std::string debit, AccountId(leg.debit));
  UW_ASSIGN_OR_RETURN(std::string credit, AccountId(leg.credit));
  spec->set_debit_account_id(debit);
  spec->set_credit_account_id(credit);
  SetMoney(spec->mutable_amount(), leg.amount_minor, leg.debit.currency);
  spec->set_kind(static_cast<ledger::v1::TransferKind>(static_cast<int>(leg.kind)));
  spec->set_description(Truncate(leg.description, 200));
  for (const auto& [key, value] : leg.metadata) (*spec->mutable_metadata())[key] = value;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> GrpcLedgerClient::PostLinked(
    const std::string& idempotency_key, const std::vector<Leg>& legs) {
  ledger::v1::PostTransfersRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_linked(true);
  for (const Leg& leg : legs) UW_RETURN_IF_ERROR(Fill(leg, request.add_transfers()));
  ledger::v1::PostTransfersResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(
      grpcutil::FromGrpcStatus(stub_->PostTransfers(context.get(), request, &response)));
  std::vector<std::string> ids;
  for (const auto& result : response.results()) {
    if (result.has_error()) {
      return WithReason(absl::StatusCode::kFailedPrecondition, result.error().reason(),
                        "the ledger refused the transfer");
    }
    ids.push_back(result.transfer().transfer_id());
  }
  return ids;
}

absl::StatusOr<std::string> GrpcLedgerClient::CreateHold(const std::string& idempotency_key,
                                                         const HoldSpec& hold) {
  ledger::v1::CreateHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  UW_ASSIGN_OR_RETURN(std::string debit, AccountId(hold.debit));
  UW_ASSIGN_OR_RETURN(std::string credit, AccountId(hold.credit));
  request.set_debit_account_id(debit);
  request.set_credit_account_id(credit);
  SetMoney(request.mutable_amount(), hold.amount_minor, hold.debit.currency);
  request.set_kind(static_cast<ledger::v1::TransferKind>(static_cast<int>(hold.kind)));
  request.set_description(Truncate(hold.description, 200));
  for (const auto& [key, value] : hold.metadata) (*request.mutable_metadata())[key] = value;
  request.set_ttl_s(hold.ttl_s);
  ledger::v1::CreateHoldResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(
      grpcutil::FromGrpcStatus(stub_->CreateHold(context.get(), request, &response)));
  return response.hold().hold_id();
}

absl::StatusOr<std::vector<std::string>> GrpcLedgerClient::PostHold(
    const std::string& idempotency_key, const std::string& hold_id,
    const std::vector<Leg>& linked) {
  ledger::v1::PostHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_hold_id(hold_id);
  for (const Leg& leg : linked) UW_RETURN_IF_ERROR(Fill(leg, request.add_linked_transfers()));
  ledger::v1::PostHoldResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(stub_->PostHold(context.get(), request, &response)));
  std::vector<std::string> ids = {response.transfer().transfer_id()};
  for (const auto& transfer : response.linked_transfers()) ids.push_back(transfer.transfer_id());
  return ids;
}

absl::Status GrpcLedgerClient::VoidHold(const std::string& idempotency_key,
                                        const std::string& hold_id, const std::string& reason) {
  ledger::v1::VoidHoldRequest request;
  request.set_idempotency_key(idempotency_key);
  request.set_hold_id(hold_id);
  request.set_reason(reason);
  ledger::v1::VoidHoldResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  return grpcutil::FromGrpcStatus(stub_->VoidHold(context.get(), request, &response));
}

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

absl::StatusOr<UserInfo> GrpcAuthClient::LookupUser(const PayeeRef& key) {
  auth::v1::LookupUserRequest request;
  switch (key.by) {
    case PayeeRef::By::kUserId:
      request.set_user_id(key.value);
      break;
    case PayeeRef::By::kPhone:
      request.set_phone(key.value);
      break;
    case PayeeRef::By::kEmail:
      request.set_email(key.value);
      break;
  }
  auth::v1::LookupUserResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(
      grpcutil::FromGrpcStatus(stub_->LookupUser(context.get(), request, &response)));
  UserInfo info{.user_id = response.user_id(),
                .masked_display_name = response.masked_display_name(),
                .status = static_cast<UserStatus>(static_cast<int>(response.status())),
                .contact_verified = response.contact_verified()};
  for (int role : response.roles()) {
    if (role == common::v1::ROLE_MERCHANT) info.is_merchant = true;
  }
  return info;
}

absl::Status GrpcAuthClient::ValidateStepUp(const std::string& user_id, const std::string& token,
                                            StepUpAction action, bool consume) {
  auth::v1::ValidateStepUpTokenRequest request;
  request.set_step_up_token(token);
  request.set_user_id(user_id);
  request.set_action(static_cast<auth::v1::StepUpAction>(static_cast<int>(action)));
  request.set_consume(consume);
  auth::v1::ValidateStepUpTokenResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  absl::Status status =
      grpcutil::FromGrpcStatus(stub_->ValidateStepUpToken(context.get(), request, &response));
  if (!status.ok() && IsDefinitive(status) && ReasonOf(status) != "STEP_UP_REQUIRED") {
    return WithReason(absl::StatusCode::kFailedPrecondition, "STEP_UP_REQUIRED",
                      "the step-up token is not valid for this payment");
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Fraud
// ---------------------------------------------------------------------------------------------

absl::StatusOr<RiskDecision> GrpcRiskClient::Assess(const RiskQuery& query) {
  fraud::v1::AssessRequest request;
  request.set_user_id(query.user_id);
  fraud::v1::ActivityKind kind = fraud::v1::ACTIVITY_KIND_TRANSFER;
  switch (query.kind) {
    case PaymentKind::kMerchant:
      kind = fraud::v1::ACTIVITY_KIND_MERCHANT_PAYMENT;
      break;
    case PaymentKind::kTopUp:
      kind = fraud::v1::ACTIVITY_KIND_TOP_UP;
      break;
    case PaymentKind::kWithdrawal:
      kind = fraud::v1::ACTIVITY_KIND_WITHDRAWAL;
      break;
    default:
      break;
  }
  if (query.scheduled) kind = fraud::v1::ACTIVITY_KIND_SCHEDULED_TRANSFER;
  request.set_kind(kind);
  SetMoney(request.mutable_amount(), query.amount_minor, query.currency);
  request.set_counterparty_id(query.counterparty_id);
  request.mutable_device()->set_device_id(query.device_id);
  request.set_ip(query.ip);
  request.set_session_id(query.session_id);
  request.set_reference_id(query.reference_id);
  request.set_step_up_verified(query.step_up_verified);
  fraud::v1::AssessResponse response;
  auto context = CallContext(signer_, timeout_, timeout_);
  UW_RETURN_IF_ERROR(grpcutil::FromGrpcStatus(stub_->Assess(context.get(), request, &response)));
  switch (response.decision()) {
    case fraud::v1::DECISION_ALLOW:
      return RiskDecision::kAllow;
    case fraud::v1::DECISION_CHALLENGE:
      return RiskDecision::kChallenge;
    case fraud::v1::DECISION_REVIEW:
      return RiskDecision::kReview;
    case fraud::v1::DECISION_DECLINE:
      return RiskDecision::kDecline;
    default:
      return absl::UnavailableError("the fraud service gave no decision");
  }
}

}  // namespace uwallet::payments
