#include "services/payments/grpc/services.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/payments/core/errors.h"
#include "services/payments/grpc/clients.h"
#include "uwallet/grpcutil/handler.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::payments {
namespace {

constexpr char kPrefix[] = "/uwallet.payments.v1.";

// The authorisation table: every RPC and who may call it. Anything not listed is denied.
const std::map<std::string, Audience, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, Audience, std::less<>>{
      {"PaymentsService/QuoteFee", Audience::kOwnData},
      {"PaymentsService/Transfer", Audience::kOwnData},
      {"PaymentsService/PayMerchant", Audience::kOwnData},
      {"PaymentsService/TopUp", Audience::kOwnData},
      {"PaymentsService/Withdraw", Audience::kOwnData},
      {"PaymentsService/GetPayment", Audience::kOwnData},
      {"PaymentsService/ListPayments", Audience::kOwnData},
      {"PaymentsService/RequestRefund", Audience::kOwnData},
      {"PaymentsService/ListRefundRequests", Audience::kOwnData},
      {"PaymentsService/AddBankCard", Audience::kOwnData},
      {"PaymentsService/ListBankCards", Audience::kOwnData},
      {"PaymentsService/RemoveBankCard", Audience::kOwnData},
      {"PaymentsService/SetPaymentPin", Audience::kOwnData},
      {"PaymentsService/ChangePaymentPin", Audience::kOwnData},
      {"PaymentsService/CreateSchedule", Audience::kOwnData},
      {"PaymentsService/ListSchedules", Audience::kOwnData},
      {"PaymentsService/CancelSchedule", Audience::kOwnData},
      {"PaymentsService/GetLimits", Audience::kOwnData},
      {"MerchantService/CreatePaymentCode", Audience::kMerchant},
      {"MerchantService/RefundPayment", Audience::kMerchant},
      {"MerchantService/ListRefundRequests", Audience::kMerchant},
      {"MerchantService/RejectRefundRequest", Audience::kMerchant},
      {"PaymentsAdminService/GetPayment", Audience::kStaff},
      {"PaymentsAdminService/ListUserPayments", Audience::kStaff},
      {"PaymentsAdminService/RefundPayment", Audience::kStaffWrite},
      {"PaymentsAdminService/ReversePayment", Audience::kStaffWrite},
      {"PaymentsInternalService/HandleSettlement", Audience::kService},
      {"PaymentsInternalService/ResolveReview", Audience::kService},
      {"PaymentsInternalService/CancelUserSchedules", Audience::kService},
  };
  return *table;
}

template <typename Body>
grpc::Status Serve(grpc::ServerContext* context, const GrpcDeps& deps, absl::string_view method,
                   Body&& body) {
  absl::Status result;
  grpc::Status handled = grpcutil::Handle(context, [&]() -> absl::Status {
    IncomingCall call(context);
    std::optional<Audience> audience = AudienceOf(absl::StrCat(kPrefix, method));
    if (!audience) return RoleRequired("this method is not open to any caller");
    absl::StatusOr<grpcutil::Identity> identity = deps.signer.FromContext(*context);
    if (!identity.ok()) return result = identity.status();
    UW_RETURN_IF_ERROR(result = CheckAudience(*identity, *audience));
    result = body(*identity);
    return result;
  });
  if (!handled.ok() && !result.ok() && !MetadataOf(result).empty()) {
    return ToGrpcWithMetadata(result);
  }
  return handled;
}

Caller CallerOf(const grpcutil::Identity& identity) {
  return {identity.user_id, identity.session_id, identity.device_id, identity.client_ip};
}

void SetTime(google::protobuf::Timestamp* out, absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time TimeFrom(const google::protobuf::Timestamp& ts, absl::Time if_unset) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return if_unset;
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void SetMoney(common::v1::Money* out, int64_t amount_minor, const std::string& currency) {
  out->set_amount_minor(amount_minor);
  out->set_currency(currency);
}

std::optional<Amount> AmountOf(bool has, const common::v1::Money& money) {
  if (!has) return std::nullopt;
  return Amount{money.amount_minor(), money.currency()};
}

common::v1::ErrorReason ReasonEnum(const std::string& reason) {
  common::v1::ErrorReason value = common::v1::ERROR_REASON_UNSPECIFIED;
  if (reason.empty() || !common::v1::ErrorReason_Parse("ERROR_REASON_" + reason, &value)) {
    return common::v1::ERROR_REASON_UNSPECIFIED;
  }
  return value;
}

void PartyToProto(const Party& party, v1::Party* out) {
  out->set_kind(static_cast<v1::PartyKind>(static_cast<int>(party.kind)));
  out->set_user_id(party.user_id);
  out->set_merchant_id(party.merchant_id);
  out->set_display_name(party.display_name);
  if (party.kind == PartyKind::kBankCard) {
    out->mutable_bank_card()->set_card_id(party.card_id);
    out->mutable_bank_card()->set_brand(
        static_cast<v1::CardBrand>(static_cast<int>(party.card_brand)));
    out->mutable_bank_card()->set_last4(party.card_last4);
  }
}

void PaymentToProto(const Payment& p, v1::Payment* out) {
  out->set_payment_id(p.payment_id);
  out->set_kind(static_cast<v1::PaymentKind>(static_cast<int>(p.kind)));
  out->set_status(static_cast<v1::PaymentStatus>(static_cast<int>(p.status)));
  out->set_failure_reason(ReasonEnum(p.failure_reason));
  PartyToProto(p.payer, out->mutable_payer());
  PartyToProto(p.payee, out->mutable_payee());
  SetMoney(out->mutable_amount(), p.amount_minor, p.currency);
  SetMoney(out->mutable_fee(), p.fee_minor, p.currency);
  SetMoney(out->mutable_total(), p.total_minor(), p.currency);
  SetMoney(out->mutable_refunded_amount(), p.refunded_minor, p.currency);
  out->set_note(p.note);
  out->set_order_ref(p.order_ref);
  out->set_original_payment_id(p.original_payment_id);
  SetTime(out->mutable_created_at(), p.created_at);
  SetTime(out->mutable_updated_at(), p.updated_at);
  SetTime(out->mutable_arrives_by(), p.arrives_by);
  SetTime(out->mutable_completed_at(), p.completed_at);
  for (const StatusChange& change : p.history) {
    v1::PaymentStatusChange* c = out->add_status_history();
    c->set_status(static_cast<v1::PaymentStatus>(static_cast<int>(change.status)));
    SetTime(c->mutable_changed_at(), change.changed_at);
    c->set_failure_reason(ReasonEnum(change.failure_reason));
    c->set_note(change.note);
  }
  for (const std::string& id : p.ledger_transaction_ids) out->add_ledger_transaction_ids(id);
  out->set_bank_reference(p.bank_reference);
}

void CardToProto(const BankCard& card, v1::BankCard* out) {
  out->set_card_id(card.card_id);
  out->set_brand(static_cast<v1::CardBrand>(static_cast<int>(card.brand)));
  out->set_last4(card.last4);
  out->set_holder_name(card.holder_name);
  out->set_expiry_month(card.expiry_month);
  out->set_expiry_year(card.expiry_year);
  out->set_bank_name(card.bank_name);
  SetTime(out->mutable_created_at(), card.created_at);
}

absl::StatusOr<PayeeRef> PayeeFrom(const v1::Payee& payee) {
  switch (payee.payee_case()) {
    case v1::Payee::kUserId:
      return PayeeRef{PayeeRef::By::kUserId, payee.user_id()};
    case v1::Payee::kPhone:
      return PayeeRef{PayeeRef::By::kPhone, payee.phone()};
    case v1::Payee::kEmail:
      return PayeeRef{PayeeRef::By::kEmail, payee.email()};
    default:
      return Invalid("to", "who to send to is required (user id, phone or email)");
  }
}

void PayeeToProto(const PayeeRef& ref, v1::Payee* out) {
  switch (ref.by) {
    case PayeeRef::By::kUserId:
      out->set_user_id(ref.value);
      break;
    case PayeeRef::By::kPhone:
      out->set_phone(ref.value);
      break;
    case PayeeRef::By::kEmail:
      out->set_email(ref.value);
      break;
  }
}

void ScheduleToProto(const Schedule& s, v1::Schedule* out) {
  out->set_schedule_id(s.schedule_id);
  PayeeToProto(s.to, out->mutable_to());
  out->set_payee_display_name(s.payee_display_name);
  SetMoney(out->mutable_amount(), s.amount_minor, s.currency);
  out->set_cadence(static_cast<v1::Cadence>(static_cast<int>(s.cadence)));
  out->set_note(s.note);
  SetTime(out->mutable_starts_at(), s.starts_at);
  SetTime(out->mutable_ends_at(), s.ends_at);
  if (s.status == ScheduleStatus::kActive) SetTime(out->mutable_next_run_at(), s.next_run_at);
  out->set_status(static_cast<v1::ScheduleStatus>(static_cast<int>(s.status)));
  if (s.last_ran_at != absl::InfinitePast()) {
    v1::ScheduleRun* run = out->mutable_last_run();
    SetTime(run->mutable_period_start(), s.last_period_start);
    SetTime(run->mutable_ran_at(), s.last_ran_at);
    run->set_payment_id(s.last_payment_id);
    run->set_status(static_cast<v1::PaymentStatus>(static_cast<int>(s.last_status)));
    run->set_failure_reason(ReasonEnum(s.last_failure_reason));
  }
  out->set_failed_run_count(s.failed_run_count);
  SetTime(out->mutable_created_at(), s.created_at);
}

void RefundRequestToProto(const RefundRequestRecord& record, v1::RefundRequest* out) {
  out->set_refund_request_id(record.refund_request_id);
  out->set_payment_id(record.payment_id);
  SetMoney(out->mutable_amount(), record.amount_minor, record.currency);
  out->set_reason(record.reason);
  out->set_status(static_cast<v1::RefundRequestStatus>(record.status));
  out->set_refund_payment_id(record.refund_payment_id);
  SetTime(out->mutable_created_at(), record.created_at);
  SetTime(out->mutable_decided_at(), record.decided_at);
  SetMoney(out->mutable_refunded_amount(), record.refunded_minor, record.currency);
  out->set_decision_reason(record.decision_reason);
}

// A page of refund requests into either side's response (customer's or merchant's).
template <typename Response>
absl::Status ListRefundRequestsInto(PaymentsCore& core, RefundRequestQuery query, int page_size,
                                    const std::string& page_token, Response* resp) {
  UW_ASSIGN_OR_RETURN(auto page, core.ListRefundRequests(std::move(query), page_size, page_token));
  for (const RefundRequestRecord& r : page.first) {
    RefundRequestToProto(r, resp->add_refund_requests());
  }
  resp->set_next_page_token(page.second);
  return absl::OkStatus();
}

PaymentQuery QueryFrom(const std::string& user_id, const v1::PaymentFilter& filter) {
  PaymentQuery query{.user_id = user_id};
  for (int kind : filter.kinds()) query.kinds.push_back(static_cast<PaymentKind>(kind));
  for (int status : filter.statuses()) {
    query.statuses.push_back(static_cast<PaymentStatus>(status));
  }
  query.from = TimeFrom(filter.time_range().start_time(), absl::InfinitePast());
  query.to = TimeFrom(filter.time_range().end_time(), absl::InfiniteFuture());
  return query;
}

}  // namespace

std::optional<Audience> AudienceOf(absl::string_view full_method) {
  if (!absl::ConsumePrefix(&full_method, kPrefix)) return std::nullopt;
  auto it = Table().find(full_method);
  if (it == Table().end()) return std::nullopt;
  return it->second;
}

absl::Status CheckAudience(const grpcutil::Identity& identity, Audience audience) {
  using namespace grpcutil::roles;  // NOLINT(build/namespaces)
  switch (audience) {
    case Audience::kOwnData:
      if (!identity.user_id.empty() &&
          (identity.HasRole(kCustomer) || identity.HasRole(kMerchant))) {
        return absl::OkStatus();
      }
      return RoleRequired("a signed-in customer is required");
    case Audience::kMerchant:
      if (!identity.user_id.empty() && identity.HasRole(kMerchant)) return absl::OkStatus();
      return RoleRequired("merchants only");
    case Audience::kStaff:
      if (identity.HasRole(kAgent) || identity.HasRole(kAdmin) || identity.HasRole(kAnalyst)) {
        return absl::OkStatus();
      }
      return RoleRequired("staff only");
    case Audience::kStaffWrite:
      if (!identity.user_id.empty() && (identity.HasRole(kAgent) || identity.HasRole(kAdmin))) {
        return absl::OkStatus();
      }
      return RoleRequired("support agents and admins only");
    case Audience::kService:
      if (identity.IsService()) return absl::OkStatus();
      return RoleRequired("only uwallet services may call the internal payments API");
  }
  return RoleRequired("denied");
}

grpc::Status ToGrpcWithMetadata(const absl::Status& status) {
  if (!ReasonOf(status).empty()) return grpcutil::ToGrpcStatus(status);
  // No reason (e.g. a transport failure): the default one for its code, metadata kept.
  return grpcutil::ToGrpcStatus(WithErrorMetadata(
      WithReason(status.code(), ReasonOrDefault(status), status.message()), MetadataOf(status)));
}

// ---------------------------------------------------------------------------------------------
// PaymentsService
// ---------------------------------------------------------------------------------------------

grpc::Status PaymentsGrpc::QuoteFee(grpc::ServerContext* context, const v1::QuoteFeeRequest* req,
                                    v1::QuoteFeeResponse* resp) {
  return Serve(context, deps_, "PaymentsService/QuoteFee", [&](const auto& identity) {
    QuoteRequest request{.kind = static_cast<PaymentKind>(static_cast<int>(req->kind())),
                         .amount = AmountOf(req->has_amount(), req->amount())};
    switch (req->target_case()) {
      case v1::QuoteFeeRequest::kTo: {
        UW_ASSIGN_OR_RETURN(PayeeRef to, PayeeFrom(req->to()));
        request.to = to;
        break;
      }
      case v1::QuoteFeeRequest::kMerchantId:
        request.merchant_id = req->merchant_id();
        break;
      case v1::QuoteFeeRequest::kQrPayload:
        request.qr_payload = req->qr_payload();
        break;
      case v1::QuoteFeeRequest::kBankCardId:
        request.bank_card_id = req->bank_card_id();
        break;
      default:
        break;
    }
    UW_ASSIGN_OR_RETURN(Quote quote, deps_.core.QuoteFee(CallerOf(identity), request));
    SetMoney(resp->mutable_amount(), quote.amount.amount_minor, quote.amount.currency);
    SetMoney(resp->mutable_fee(), quote.fee_minor, quote.amount.currency);
    SetMoney(resp->mutable_total(), quote.total_minor, quote.amount.currency);
    SetTime(resp->mutable_arrives_by(), quote.arrives_by);
    resp->set_payee_display_name(quote.payee_display_name);
    resp->set_step_up_required(quote.step_up_required);
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::Transfer(grpc::ServerContext* context, const v1::TransferRequest* req,
                                    v1::TransferResponse* resp) {
  return Serve(context, deps_, "PaymentsService/Transfer", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(PayeeRef to, PayeeFrom(req->to()));
    UW_ASSIGN_OR_RETURN(
        Payment payment,
        deps_.core.Transfer(CallerOf(identity),
                            {.idempotency_key = req->idempotency_key(),
                             .to = to,
                             .amount = {req->amount().amount_minor(), req->amount().currency()},
                             .note = req->note(),
                             .pin = req->pin(),
                             .step_up_token = req->step_up_token()}));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::PayMerchant(grpc::ServerContext* context,
                                       const v1::PayMerchantRequest* req,
                                       v1::PayMerchantResponse* resp) {
  return Serve(context, deps_, "PaymentsService/PayMerchant", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(Payment payment, deps_.core.PayMerchant(
                                             CallerOf(identity),
                                             {.idempotency_key = req->idempotency_key(),
                                              .merchant_id = req->merchant_id(),
                                              .qr_payload = req->qr_payload(),
                                              .amount = AmountOf(req->has_amount(), req->amount()),
                                              .order_ref = req->order_ref(),
                                              .pin = req->pin(),
                                              .step_up_token = req->step_up_token()}));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::TopUp(grpc::ServerContext* context, const v1::TopUpRequest* req,
                                 v1::TopUpResponse* resp) {
  return Serve(context, deps_, "PaymentsService/TopUp", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        Payment payment,
        deps_.core.TopUp(CallerOf(identity),
                         {.idempotency_key = req->idempotency_key(),
                          .bank_card_id = req->bank_card_id(),
                          .amount = {req->amount().amount_minor(), req->amount().currency()}}));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::Withdraw(grpc::ServerContext* context, const v1::WithdrawRequest* req,
                                    v1::WithdrawResponse* resp) {
  return Serve(context, deps_, "PaymentsService/Withdraw", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        Payment payment,
        deps_.core.Withdraw(CallerOf(identity),
                            {.idempotency_key = req->idempotency_key(),
                             .bank_card_id = req->bank_card_id(),
                             .amount = {req->amount().amount_minor(), req->amount().currency()},
                             .pin = req->pin(),
                             .step_up_token = req->step_up_token()}));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::GetPayment(grpc::ServerContext* context,
                                      const v1::GetPaymentRequest* req,
                                      v1::GetPaymentResponse* resp) {
  return Serve(context, deps_, "PaymentsService/GetPayment", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(Payment payment,
                        deps_.core.GetPayment(identity.user_id, req->payment_id()));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::ListPayments(grpc::ServerContext* context,
                                        const v1::ListPaymentsRequest* req,
                                        v1::ListPaymentsResponse* resp) {
  return Serve(context, deps_, "PaymentsService/ListPayments", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(auto page,
                        deps_.core.ListPayments(QueryFrom(identity.user_id, req->filter()),
                                                req->page_size(), req->page_token()));
    for (const Payment& p : page.first) PaymentToProto(p, resp->add_payments());
    resp->set_next_page_token(page.second);
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::RequestRefund(grpc::ServerContext* context,
                                         const v1::RequestRefundRequest* req,
                                         v1::RequestRefundResponse* resp) {
  return Serve(context, deps_, "PaymentsService/RequestRefund", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        RefundRequestRecord record,
        deps_.core.RequestRefund(CallerOf(identity),
                                 {.idempotency_key = req->idempotency_key(),
                                  .payment_id = req->payment_id(),
                                  .amount = AmountOf(req->has_amount(), req->amount()),
                                  .reason = req->reason()}));
    RefundRequestToProto(record, resp->mutable_refund_request());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::ListRefundRequests(grpc::ServerContext* context,
                                              const v1::ListRefundRequestsRequest* req,
                                              v1::ListRefundRequestsResponse* resp) {
  return Serve(context, deps_, "PaymentsService/ListRefundRequests", [&](const auto& identity) {
    return ListRefundRequestsInto(deps_.core,
                                  {.user_id = identity.user_id, .payment_id = req->payment_id()},
                                  req->page_size(), req->page_token(), resp);
  });
}

grpc::Status PaymentsGrpc::AddBankCard(grpc::ServerContext* context,
                                       const v1::AddBankCardRequest* req,
                                       v1::AddBankCardResponse* resp) {
  return Serve(context, deps_, "PaymentsService/AddBankCard", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(BankCard card, deps_.core.AddBankCard(CallerOf(identity),
                                                              {.card_number = req->card_number(),
                                                               .holder_name = req->holder_name(),
                                                               .expiry_month = req->expiry_month(),
                                                               .expiry_year = req->expiry_year()}));
    CardToProto(card, resp->mutable_card());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::ListBankCards(grpc::ServerContext* context,
                                         const v1::ListBankCardsRequest*,
                                         v1::ListBankCardsResponse* resp) {
  return Serve(context, deps_, "PaymentsService/ListBankCards", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(std::vector<BankCard> cards, deps_.core.ListBankCards(identity.user_id));
    for (const BankCard& card : cards) CardToProto(card, resp->add_cards());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::RemoveBankCard(grpc::ServerContext* context,
                                          const v1::RemoveBankCardRequest* req,
                                          v1::RemoveBankCardResponse*) {
  return Serve(context, deps_, "PaymentsService/RemoveBankCard", [&](const auto& identity) {
    return deps_.core.RemoveBankCard(identity.user_id, req->card_id());
  });
}

grpc::Status PaymentsGrpc::SetPaymentPin(grpc::ServerContext* context,
                                         const v1::SetPaymentPinRequest* req,
                                         v1::SetPaymentPinResponse*) {
  return Serve(context, deps_, "PaymentsService/SetPaymentPin", [&](const auto& identity) {
    return deps_.core.SetPaymentPin(CallerOf(identity), req->pin(), req->step_up_token());
  });
}

grpc::Status PaymentsGrpc::ChangePaymentPin(grpc::ServerContext* context,
                                            const v1::ChangePaymentPinRequest* req,
                                            v1::ChangePaymentPinResponse*) {
  return Serve(context, deps_, "PaymentsService/ChangePaymentPin", [&](const auto& identity) {
    return deps_.core.ChangePaymentPin(CallerOf(identity), req->old_pin(), req->new_pin());
  });
}

grpc::Status PaymentsGrpc::CreateSchedule(grpc::ServerContext* context,
                                          const v1::CreateScheduleRequest* req,
                                          v1::CreateScheduleResponse* resp) {
  return Serve(context, deps_, "PaymentsService/CreateSchedule", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(PayeeRef to, PayeeFrom(req->to()));
    UW_ASSIGN_OR_RETURN(
        Schedule schedule,
        deps_.core.CreateSchedule(
            CallerOf(identity), {.idempotency_key = req->idempotency_key(),
                                 .to = to,
                                 .amount = {req->amount().amount_minor(), req->amount().currency()},
                                 .cadence = static_cast<Cadence>(static_cast<int>(req->cadence())),
                                 .starts_at = TimeFrom(req->starts_at(), absl::InfinitePast()),
                                 .ends_at = TimeFrom(req->ends_at(), absl::InfiniteFuture()),
                                 .note = req->note(),
                                 .pin = req->pin()}));
    ScheduleToProto(schedule, resp->mutable_schedule());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::ListSchedules(grpc::ServerContext* context,
                                         const v1::ListSchedulesRequest* req,
                                         v1::ListSchedulesResponse* resp) {
  return Serve(context, deps_, "PaymentsService/ListSchedules", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(std::vector<Schedule> schedules,
                        deps_.core.ListSchedules(identity.user_id, req->page_size()));
    for (const Schedule& s : schedules) ScheduleToProto(s, resp->add_schedules());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::CancelSchedule(grpc::ServerContext* context,
                                          const v1::CancelScheduleRequest* req,
                                          v1::CancelScheduleResponse* resp) {
  return Serve(context, deps_, "PaymentsService/CancelSchedule", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(Schedule schedule,
                        deps_.core.CancelSchedule(identity.user_id, req->schedule_id()));
    ScheduleToProto(schedule, resp->mutable_schedule());
    return absl::OkStatus();
  });
}

grpc::Status PaymentsGrpc::GetLimits(grpc::ServerContext* context, const v1::GetLimitsRequest*,
                                     v1::GetLimitsResponse* resp) {
  return Serve(context, deps_, "PaymentsService/GetLimits", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(std::vector<LimitView> views, deps_.core.GetLimits(identity.user_id));
    const std::string& currency = deps_.core.options().currency;
    for (const LimitView& view : views) {
      v1::Limit* limit = resp->add_limits();
      limit->set_kind(static_cast<v1::PaymentKind>(static_cast<int>(view.kind)));
      SetMoney(limit->mutable_per_transaction_max(), view.limits.per_transaction_max_minor,
               currency);
      SetMoney(limit->mutable_daily_max(), view.limits.daily_max_minor, currency);
      SetMoney(limit->mutable_daily_used(), view.used.amount_minor, currency);
      limit->set_daily_count_max(static_cast<int32_t>(view.limits.daily_count_max));
      limit->set_daily_count_used(static_cast<int32_t>(view.used.count));
      if (view.limits.step_up_threshold_minor > 0) {
        SetMoney(limit->mutable_step_up_threshold(), view.limits.step_up_threshold_minor, currency);
      }
      SetTime(limit->mutable_resets_at(), view.resets_at);
    }
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// MerchantService
// ---------------------------------------------------------------------------------------------

grpc::Status MerchantGrpc::CreatePaymentCode(grpc::ServerContext* context,
                                             const v1::CreatePaymentCodeRequest* req,
                                             v1::CreatePaymentCodeResponse* resp) {
  return Serve(context, deps_, "MerchantService/CreatePaymentCode", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        CreatedCode code,
        deps_.core.CreatePaymentCode(CallerOf(identity), AmountOf(req->has_amount(), req->amount()),
                                     req->order_ref(), req->ttl_s()));
    resp->set_payment_code_id(code.payment_code_id);
    resp->set_qr_payload(code.qr_payload);
    SetTime(resp->mutable_expires_at(), code.expires_at);
    return absl::OkStatus();
  });
}

grpc::Status MerchantGrpc::RefundPayment(grpc::ServerContext* context,
                                         const v1::RefundPaymentRequest* req,
                                         v1::RefundPaymentResponse* resp) {
  return Serve(context, deps_, "MerchantService/RefundPayment", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        RefundResult result,
        deps_.core.MerchantRefund(CallerOf(identity),
                                  {.idempotency_key = req->idempotency_key(),
                                   .payment_id = req->payment_id(),
                                   .amount = AmountOf(req->has_amount(), req->amount()),
                                   .reason = req->reason(),
                                   .reference = req->refund_request_id(),
                                   .refund_request_id = req->refund_request_id()}));
    PaymentToProto(result.refund, resp->mutable_refund());
    PaymentToProto(result.original, resp->mutable_original());
    return absl::OkStatus();
  });
}

grpc::Status MerchantGrpc::ListRefundRequests(
    grpc::ServerContext* context, const v1::MerchantServiceListRefundRequestsRequest* req,
    v1::MerchantServiceListRefundRequestsResponse* resp) {
  return Serve(context, deps_, "MerchantService/ListRefundRequests", [&](const auto& identity) {
    RefundRequestQuery query{.merchant_id = identity.user_id};
    for (int status : req->statuses()) query.statuses.push_back(status);
    return ListRefundRequestsInto(deps_.core, std::move(query), req->page_size(), req->page_token(),
                                  resp);
  });
}

grpc::Status MerchantGrpc::RejectRefundRequest(grpc::ServerContext* context,
                                               const v1::RejectRefundRequestRequest* req,
                                               v1::RejectRefundRequestResponse* resp) {
  return Serve(context, deps_, "MerchantService/RejectRefundRequest", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(RefundRequestRecord record,
                        deps_.core.RejectRefundRequest(CallerOf(identity), req->refund_request_id(),
                                                       req->reason()));
    RefundRequestToProto(record, resp->mutable_refund_request());
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// PaymentsAdminService
// ---------------------------------------------------------------------------------------------

grpc::Status AdminGrpc::GetPayment(grpc::ServerContext* context,
                                   const v1::PaymentsAdminServiceGetPaymentRequest* req,
                                   v1::PaymentsAdminServiceGetPaymentResponse* resp) {
  return Serve(context, deps_, "PaymentsAdminService/GetPayment", [&](const auto&) {
    UW_ASSIGN_OR_RETURN(Payment payment, deps_.core.GetAnyPayment(req->payment_id()));
    PaymentToProto(payment, resp->mutable_payment());
    UW_ASSIGN_OR_RETURN(std::vector<RefundRequestRecord> requests,
                        deps_.core.PaymentRefundRequests(payment.payment_id));
    for (const RefundRequestRecord& r : requests) {
      RefundRequestToProto(r, resp->add_refund_requests());
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminGrpc::ListUserPayments(grpc::ServerContext* context,
                                         const v1::ListUserPaymentsRequest* req,
                                         v1::ListUserPaymentsResponse* resp) {
  return Serve(context, deps_, "PaymentsAdminService/ListUserPayments", [&](const auto&) {
    UW_ASSIGN_OR_RETURN(auto page, deps_.core.ListPayments(QueryFrom(req->user_id(), req->filter()),
                                                           req->page_size(), req->page_token()));
    for (const Payment& p : page.first) PaymentToProto(p, resp->add_payments());
    resp->set_next_page_token(page.second);
    return absl::OkStatus();
  });
}

grpc::Status AdminGrpc::RefundPayment(grpc::ServerContext* context,
                                      const v1::PaymentsAdminServiceRefundPaymentRequest* req,
                                      v1::PaymentsAdminServiceRefundPaymentResponse* resp) {
  return Serve(context, deps_, "PaymentsAdminService/RefundPayment", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        RefundResult result,
        deps_.core.StaffRefund(CallerOf(identity),
                               {.idempotency_key = req->idempotency_key(),
                                .payment_id = req->payment_id(),
                                .amount = AmountOf(req->has_amount(), req->amount()),
                                .reason = req->reason(),
                                .reference = req->ticket_id()}));
    PaymentToProto(result.refund, resp->mutable_refund());
    PaymentToProto(result.original, resp->mutable_original());
    resp->set_audit_id(result.audit_id);
    return absl::OkStatus();
  });
}

grpc::Status AdminGrpc::ReversePayment(grpc::ServerContext* context,
                                       const v1::ReversePaymentRequest* req,
                                       v1::ReversePaymentResponse* resp) {
  return Serve(context, deps_, "PaymentsAdminService/ReversePayment", [&](const auto& identity) {
    UW_ASSIGN_OR_RETURN(
        RefundResult result,
        deps_.core.StaffReverse(CallerOf(identity), {.idempotency_key = req->idempotency_key(),
                                                     .payment_id = req->payment_id(),
                                                     .reason = req->reason()}));
    PaymentToProto(result.refund, resp->mutable_reversal());
    PaymentToProto(result.original, resp->mutable_original());
    resp->set_audit_id(result.audit_id);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// PaymentsInternalService
// ---------------------------------------------------------------------------------------------

grpc::Status InternalGrpc::HandleSettlement(grpc::ServerContext* context,
                                            const v1::HandleSettlementRequest* req,
                                            v1::HandleSettlementResponse* resp) {
  return Serve(context, deps_, "PaymentsInternalService/HandleSettlement", [&](const auto&) {
    BankOutcome outcome = BankOutcome::kSettled;
    switch (req->outcome()) {
      case v1::SETTLEMENT_OUTCOME_SETTLED:
        outcome = BankOutcome::kSettled;
        break;
      case v1::SETTLEMENT_OUTCOME_DECLINED:
        outcome = BankOutcome::kDeclined;
        break;
      case v1::SETTLEMENT_OUTCOME_FAILED:
        outcome = BankOutcome::kFailed;
        break;
      default:
        return Invalid("outcome", "outcome is required");
    }
    std::string reason = common::v1::ErrorReason_Name(req->failure_reason());
    reason = reason.rfind("ERROR_REASON_", 0) == 0 ? reason.substr(13) : "";
    if (reason == "UNSPECIFIED") reason.clear();
    UW_ASSIGN_OR_RETURN(Payment payment,
                        deps_.core.HandleSettlement({.payment_id = req->payment_id(),
                                                     .bank_reference = req->bank_reference(),
                                                     .outcome = outcome,
                                                     .failure_reason = reason}));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status InternalGrpc::ResolveReview(grpc::ServerContext* context,
                                         const v1::ResolveReviewRequest* req,
                                         v1::ResolveReviewResponse* resp) {
  return Serve(context, deps_, "PaymentsInternalService/ResolveReview", [&](const auto&) {
    UW_ASSIGN_OR_RETURN(Payment payment,
                        deps_.core.ResolveReview(req->payment_id(), req->approve(), req->note()));
    PaymentToProto(payment, resp->mutable_payment());
    return absl::OkStatus();
  });
}

grpc::Status InternalGrpc::CancelUserSchedules(grpc::ServerContext* context,
                                               const v1::CancelUserSchedulesRequest* req,
                                               v1::CancelUserSchedulesResponse* resp) {
  return Serve(context, deps_, "PaymentsInternalService/CancelUserSchedules", [&](const auto&) {
    UW_ASSIGN_OR_RETURN(int cancelled, deps_.core.CancelUserSchedules(req->user_id()));
    resp->set_cancelled_count(cancelled);
    return absl::OkStatus();
  });
}

}  // namespace uwallet::payments
