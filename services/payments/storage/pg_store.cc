#include "services/payments/storage/pg_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/payments/core/errors.h"
#include "services/payments/core/schedule.h"

namespace uwallet::payments {
namespace {

using nlohmann::json;

pg::Param Ts(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return std::nullopt;
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

absl::Time TimeAt(const pg::Result& r, int row, int col, absl::Time if_null) {
  if (r.IsNull(row, col)) return if_null;
  return absl::FromUnixMicros(r.Int(row, col));
}

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"

constexpr char kPaymentColumns[] =
    "payment_id::text, owner_user_id, idempotency_key, request_digest, kind, status, "
    "failure_reason, payer::text, payee::text, amount_minor, fee_minor, refunded_minor, "
    "currency, "
    "note, order_ref, coalesce(original_payment_id::text, ''), payment_code_id, "
    "risk_decision, "
    "hold_id, array_to_json(ledger_ids)::text, bank_reference, bank_state, "
    "card_token, " US("created_at") ", " US("updated_at") ", " US("arrives_by") ", " US(
        "completed_at") ", " US("next_check_at");

std::string PartyJson(const Party& party) {
  return json{{"k", static_cast<int>(party.kind)},
              {"u", party.user_id},
              {"m", party.merchant_id},
              {"n", party.display_name},
              {"c", party.card_id},
              {"b", static_cast<int>(party.card_brand)},
              {"l", party.card_last4}}
      .dump();
}

Party PartyFrom(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  Party party;
  if (!j.is_object()) return party;
  party.kind = static_cast<PartyKind>(j.value("k", 0));
  party.user_id = j.value("u", "");
  party.merchant_id = j.value("m", "");
  party.display_name = j.value("n", "");
  party.card_id = j.value("c", "");
  party.card_brand = static_cast<CardBrand>(j.value("b", 0));
  party.card_last4 = j.value("l", "");
  return party;
}

std::string PartyUser(const Party& party) {
  if (party.kind == PartyKind::kMerchant) return party.merchant_id;
  return party.user_id;
}

pg::Param OptionalText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

Payment PaymentFrom(const pg::Result& r, int row) {
  Payment p;
  p.payment_id = r.String(row, 0);
  p.owner_user_id = r.String(row, 1);
  p.idempotency_key = r.String(row, 2);
  p.request_digest = r.String(row, 3);
  p.kind = static_cast<PaymentKind>(r.Int(row, 4));
  p.status = static_cast<PaymentStatus>(r.Int(row, 5));
  p.failure_reason = r.String(row, 6);
  p.payer = PartyFrom(r.String(row, 7));
  p.payee = PartyFrom(r.String(row, 8));
  p.amount_minor = r.Int(row, 9);
  p.fee_minor = r.Int(row, 10);
  p.refunded_minor = r.Int(row, 11);
  p.currency = r.String(row, 12);
  p.note = r.String(row, 13);
  p.order_ref = r.String(row, 14);
  p.original_payment_id = r.String(row, 15);
  p.payment_code_id = r.String(row, 16);
  p.risk_decision = r.String(row, 17);
  p.hold_id = r.String(row, 18);
  json ids = json::parse(r.String(row, 19), nullptr, false);
  if (ids.is_array()) {
    for (const auto& id : ids) p.ledger_transaction_ids.push_back(id.get<std::string>());
  }
  p.bank_reference = r.String(row, 20);
  p.bank_state = r.String(row, 21);
  p.card_token = r.String(row, 22);
  p.created_at = TimeAt(r, row, 23, absl::InfinitePast());
  p.updated_at = TimeAt(r, row, 24, absl::InfinitePast());
  p.arrives_by = TimeAt(r, row, 25, absl::InfinitePast());
  p.completed_at = TimeAt(r, row, 26, absl::InfinitePast());
  p.next_check_at = TimeAt(r, row, 27, absl::InfiniteFuture());
  return p;
}

absl::Status LoadHistory(pg::Connection& conn, Payment& payment) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("SELECT status, " US(
                    "changed_at") ", failure_reason, note "
                                  "FROM payment_status_history WHERE payment_id = $1::uuid "
                                  "ORDER BY seq",
                pg::P(payment.payment_id)));
  payment.history.clear();
  for (int i = 0; i < r.Rows(); ++i) {
    payment.history.push_back({static_cast<PaymentStatus>(r.Int(i, 0)),
                               TimeAt(r, i, 1, absl::InfinitePast()), r.String(i, 2),
                               r.String(i, 3)});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Payment>> LoadWhere(pg::Connection& conn, const std::string& where,
                                                 const pg::Params& params, bool for_update) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      conn.Exec(absl::StrCat("SELECT ", kPaymentColumns, " FROM payments WHERE ",
                                             where, for_update ? " FOR UPDATE" : ""),
                                params));
  if (r.Rows() == 0) return std::optional<Payment>();
  Payment payment = PaymentFrom(r, 0);
  UW_RETURN_IF_ERROR(LoadHistory(conn, payment));
  return std::optional<Payment>(std::move(payment));
}

absl::StatusOr<std::optional<Payment>> LoadById(pg::Connection& conn, const std::string& id,
                                                bool for_update) {
  if (!IsUuid(id)) return std::optional<Payment>();
  return LoadWhere(conn, "payment_id = $1::uuid", pg::P(id), for_update);
}

absl::Status AppendHistory(pg::Connection& tx, const std::string& id, const StatusChange& change) {
  return tx
      .Exec(
          "INSERT INTO payment_status_history (payment_id, status, changed_at, "
          "failure_reason, note) VALUES ($1::uuid, $2, $3::timestamptz, $4, $5)",
          pg::P(id, static_cast<int>(change.status), Ts(change.changed_at), change.failure_reason,
                change.note))
      .status();
}

absl::Status AppendEvent(events::Outbox& outbox, pg::Connection& tx, const std::string& type,
                         const Payment& p) {
  json payload = {{"payment_id", p.payment_id},
                  {"kind", KindName(p.kind)},
                  {"status", StatusName(p.status)},
                  {"amount_minor", p.amount_minor},
                  {"fee_minor", p.fee_minor},
                  {"refunded_minor", p.refunded_minor},
                  {"currency", p.currency},
                  {"payer_user_id", PartyUser(p.payer)},
                  {"payee_user_id", PartyUser(p.payee)},
                  {"failure_reason", p.failure_reason},
                  {"original_payment_id", p.original_payment_id},
                  // A schedule run's payment: its failure is told by payments.schedule_run_failed.
                  {"scheduled", absl::StartsWith(p.idempotency_key, kScheduleKeyPrefix)}};
  return outbox.Append(tx, type, p.owner_user_id, payload.dump()).status();
}

// Writes the mutable columns of a payment loaded and changed in this transaction.
absl::Status WritePayment(pg::Connection& tx, const Payment& p) {
  json ids = p.ledger_transaction_ids;
  return tx
      .Exec(
          "UPDATE payments SET status = $2, failure_reason = $3, refunded_minor = $4, "
          "risk_decision = $5, hold_id = $6, "
          "ledger_ids = ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), "
          "bank_reference = $8, bank_state = $9, arrives_by = $10::timestamptz, "
          "completed_at = $11::timestamptz, next_check_at = $12::timestamptz, "
          "updated_at = $13::timestamptz WHERE payment_id = $1::uuid",
          pg::P(p.payment_id, static_cast<int>(p.status), p.failure_reason, p.refunded_minor,
                p.risk_decision, p.hold_id, ids.dump(), p.bank_reference, p.bank_state,
                Ts(p.arrives_by), Ts(p.completed_at), Ts(p.next_check_at), Ts(p.updated_at)))
      .status();
}

// The same rules as the in-memory fake: returns true when the status changed.
bool ApplyInMemory(Payment& p, const Transition& t, absl::Time now) {
  const bool changed = p.status != t.to;
  p.status = t.to;
  if (!t.failure_reason.empty()) p.failure_reason = t.failure_reason;
  if (t.risk_decision) p.risk_decision = *t.risk_decision;
  if (t.hold_id) p.hold_id = *t.hold_id;
  for (const auto& id : t.add_ledger_ids) p.ledger_transaction_ids.push_back(id);
  if (t.bank_reference) p.bank_reference = *t.bank_reference;
  if (t.bank_state) p.bank_state = *t.bank_state;
  if (t.arrives_by) p.arrives_by = *t.arrives_by;
  if (t.next_check_at) p.next_check_at = *t.next_check_at;
  if (IsTerminal(t.to)) p.next_check_at = absl::InfiniteFuture();
  p.updated_at = now;
  if (changed && (t.to == PaymentStatus::kSucceeded || t.to == PaymentStatus::kFailed)) {
    p.completed_at = now;
  }
  return changed;
}

absl::Status ChangeInTx(pg::Connection& tx, events::Outbox& outbox, Payment& p, const Transition& t,
                        absl::Time now) {
  const bool changed = ApplyInMemory(p, t, now);
  UW_RETURN_IF_ERROR(WritePayment(tx, p));
  if (changed) {
    StatusChange change{t.to, now, t.to == PaymentStatus::kFailed ? p.failure_reason : "", t.note};
    UW_RETURN_IF_ERROR(AppendHistory(tx, p.payment_id, change));
    p.history.push_back(change);
    if (!t.event_type.empty()) UW_RETURN_IF_ERROR(AppendEvent(outbox, tx, t.event_type, p));
  }
  return absl::OkStatus();
}

absl::Status InsertRow(pg::Connection& tx, const Payment& p, bool* inserted) {
  json ids = p.ledger_transaction_ids;
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      tx.Exec("INSERT INTO payments (payment_id, owner_user_id, idempotency_key, request_digest, "
              "kind, status, failure_reason, payer, payee, payer_user_id, payee_user_id, "
              "amount_minor, fee_minor, refunded_minor, currency, note, order_ref, "
              "original_payment_id, payment_code_id, risk_decision, hold_id, ledger_ids, "
              "bank_reference, bank_state, card_token, created_at, updated_at, arrives_by, "
              "completed_at, next_check_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::jsonb, "
              "$9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17, $18::uuid, $19, $20, $21, "
              "ARRAY(SELECT jsonb_array_elements_text($22::jsonb)), $23, $24, $25, "
              "$26::timestamptz, $27::timestamptz, $28::timestamptz, $29::timestamptz, "
              "$30::timestamptz) ON CONFLICT (owner_user_id, idempotency_key) DO NOTHING "
              "RETURNING payment_id",
              pg::P(p.payment_id, p.owner_user_id, p.idempotency_key, p.request_digest,
                    static_cast<int>(p.kind), static_cast<int>(p.status), p.failure_reason,
                    PartyJson(p.payer), PartyJson(p.payee), OptionalText(PartyUser(p.payer)),
                    OptionalText(PartyUser(p.payee)), p.amount_minor, p.fee_minor, p.refunded_minor,
                    p.currency, p.note, p.order_ref, OptionalText(p.original_payment_id),
                    p.payment_code_id, p.risk_decision, p.hold_id, ids.dump(), p.bank_reference,
                    p.bank_state, p.card_token, Ts(p.created_at), Ts(p.updated_at),
                    Ts(p.arrives_by), Ts(p.completed_at), Ts(p.next_check_at))));
  *inserted = r.Rows() == 1;
  if (*inserted) {
    for (const StatusChange& change : p.history) {
      UW_RETURN_IF_ERROR(AppendHistory(tx, p.payment_id, change));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Usage> UsageInTx(pg::Connection& conn, const std::string& user, PaymentKind kind,
                                absl::Time day_start) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      conn.Exec("SELECT coalesce(sum(amount_minor), 0)::bigint, count(*) "
                                "FROM payments WHERE owner_user_id = $1 AND kind = $2 "
                                "AND status <> 4 AND created_at >= $3::timestamptz",
                                pg::P(user, static_cast<int>(kind), Ts(day_start))));
  return Usage{r.Int(0, 0), r.Int(0, 1)};
}

absl::Status MapCodeOnce(absl::Status status) {
  if (status.code() == absl::StatusCode::kAlreadyExists &&
      pg::ConstraintOf(status) == "payments_code_once") {
    return Precondition("QR_CODE_EXPIRED", "this payment code was already paid");
  }
  return status;
}

constexpr char kCardColumns[] =
    "card_id::text, user_id, token, brand, last4, holder_name, expiry_month, expiry_year, "
    "bank_name, " US("created_at");

BankCard CardFrom(const pg::Result& r, int i) {
  return BankCard{.card_id = r.String(i, 0),
                  .user_id = r.String(i, 1),
                  .token = r.String(i, 2),
                  .brand = static_cast<CardBrand>(r.Int(i, 3)),
                  .last4 = r.String(i, 4),
                  .holder_name = r.String(i, 5),
                  .expiry_month = static_cast<int>(r.Int(i, 6)),
                  .expiry_year = static_cast<int>(r.Int(i, 7)),
                  .bank_name = r.String(i, 8),
                  .created_at = TimeAt(r, i, 9, absl::InfinitePast())};
}

constexpr char kScheduleColumns[] =
    "schedule_id::text, user_id, idempotency_key, payee_by, payee_value, payee_user_id, "
    "payee_display_name, amount_minor, currency, cadence, note, " US("starts_at") ", " US(
        "ends_at") ", " US("next_run_at") ", status, failed_run_count, " US("created_at") ", " US("last_period_start") ", " US("last_ran_at") ", last_payment_id, last_status, "
                                                                                                                                                "last_failure_reason";

Schedule ScheduleFrom(const pg::Result& r, int i) {
  Schedule s;
  s.schedule_id = r.String(i, 0);
  s.user_id = r.String(i, 1);
  s.idempotency_key = r.String(i, 2);
  s.to = {static_cast<PayeeRef::By>(r.Int(i, 3)), r.String(i, 4)};
  s.payee_user_id = r.String(i, 5);
  s.payee_display_name = r.String(i, 6);
  s.amount_minor = r.Int(i, 7);
  s.currency = r.String(i, 8);
  s.cadence = static_cast<Cadence>(r.Int(i, 9));
  s.note = r.String(i, 10);
  s.starts_at = TimeAt(r, i, 11, absl::InfinitePast());
  s.ends_at = TimeAt(r, i, 12, absl::InfiniteFuture());
  s.next_run_at = TimeAt(r, i, 13, absl::InfiniteFuture());
  s.status = static_cast<ScheduleStatus>(r.Int(i, 14));
  s.failed_run_count = static_cast<int>(r.Int(i, 15));
  s.created_at = TimeAt(r, i, 16, absl::InfinitePast());
  s.last_period_start = TimeAt(r, i, 17, absl::InfinitePast());
  s.last_ran_at = TimeAt(r, i, 18, absl::InfinitePast());
  s.last_payment_id = r.String(i, 19);
  s.last_status = static_cast<PaymentStatus>(r.Int(i, 20));
  s.last_failure_reason = r.String(i, 21);
  return s;
}

constexpr char kRefundRequestColumns[] =
    "refund_request_id::text, user_id, idempotency_key, payment_id::text, merchant_id, "
    "amount_minor, refunded_minor, reserved_minor, currency, reason, status, refund_payment_id, "
    "decision_reason, " US("created_at") ", " US("decided_at");

RefundRequestRecord RefundRequestFrom(const pg::Result& r, int i) {
  return RefundRequestRecord{.refund_request_id = r.String(i, 0),
                             .user_id = r.String(i, 1),
                             .idempotency_key = r.String(i, 2),
                             .payment_id = r.String(i, 3),
                             .merchant_id = r.String(i, 4),
                             .amount_minor = r.Int(i, 5),
                             .refunded_minor = r.Int(i, 6),
                             .reserved_minor = r.Int(i, 7),
                             .currency = r.String(i, 8),
                             .reason = r.String(i, 9),
                             .status = static_cast<int>(r.Int(i, 10)),
                             .refund_payment_id = r.String(i, 11),
                             .decision_reason = r.String(i, 12),
                             .created_at = TimeAt(r, i, 13, absl::InfinitePast()),
                             .decided_at = TimeAt(r, i, 14, absl::InfinitePast())};
}

// refund_request_refunds.state
constexpr int kLinkInFlight = 1;
constexpr int kLinkSucceeded = 2;
constexpr int kLinkFailed = 3;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

absl::StatusOr<InsertResult> PgPaymentStore::InsertPayment(
    const Payment& payment, const std::optional<DailyLimitCheck>& limit) {
  InsertResult out;
  absl::Status status = pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    if (limit) {
      // One user's payments of a kind queue here, so two cannot both slip under the limit.
      UW_RETURN_IF_ERROR(tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))",
                                 pg::P(payment.owner_user_id, static_cast<int>(limit->kind)))
                             .status());
      UW_ASSIGN_OR_RETURN(std::optional<Payment> existing,
                          LoadWhere(tx, "owner_user_id = $1 AND idempotency_key = $2",
                                    pg::P(payment.owner_user_id, payment.idempotency_key), false));
      if (existing) {
        out = {*std::move(existing), false};
        return absl::OkStatus();
      }
      UW_ASSIGN_OR_RETURN(Usage used,
                          UsageInTx(tx, payment.owner_user_id, limit->kind, limit->day_start));
      if (limit->daily_max_minor > 0 &&
          used.amount_minor + payment.amount_minor > limit->daily_max_minor) {
        return WithMetadata(
            Precondition("LIMIT_EXCEEDED", "above today's limit"),
            {{"limit", "daily_amount"},
             {"remaining_minor",
              absl::StrCat(std::max<int64_t>(0, limit->daily_max_minor - used.amount_minor))}});
      }
      if (limit->daily_count_max > 0 && used.count + 1 > limit->daily_count_max) {
        return WithMetadata(Precondition("LIMIT_EXCEEDED", "too many payments today"),
                            {{"limit", "daily_count"}, {"remaining_minor", "0"}});
      }
    }
    bool inserted = false;
    UW_RETURN_IF_ERROR(InsertRow(tx, payment, &inserted));
    if (!inserted) {
      UW_ASSIGN_OR_RETURN(std::optional<Payment> existing,
                          LoadWhere(tx, "owner_user_id = $1 AND idempotency_key = $2",
                                    pg::P(payment.owner_user_id, payment.idempotency_key), false));
      if (!existing) return absl::AbortedError("idempotency key conflict; retry");
      out = {*std::move(existing), false};
      return absl::OkStatus();
    }
    if (payment.status == PaymentStatus::kFailed) {
      UW_RETURN_IF_ERROR(AppendEvent(outbox_, tx, "payments.payment_failed", payment));
    }
    out = {payment, true};
    return absl::OkStatus();
  });
  if (!status.ok()) return MapCodeOnce(status);
  return out;
}

absl::StatusOr<std::optional<Payment>> PgPaymentStore::GetPayment(const std::string& payment_id) {
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  return LoadById(*conn, payment_id, false);
}

absl::StatusOr<std::optional<Payment>> PgPaymentStore::FindByKey(const std::string& owner,
                                                                 const std::string& key) {
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  return LoadWhere(*conn, "owner_user_id = $1 AND idempotency_key = $2", pg::P(owner, key), false);
}

absl::StatusOr<TransitionResult> PgPaymentStore::Apply(const std::string& payment_id,
                                                       const Transition& transition,
                                                       absl::Time now) {
  TransitionResult out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<Payment> payment, LoadById(tx, payment_id, true));
    if (!payment) return NotFound("PAYMENT_NOT_FOUND", "no such payment");
    out = {*payment, false};
    if (std::find(transition.from.begin(), transition.from.end(), payment->status) ==
        transition.from.end()) {
      return absl::OkStatus();
    }
    UW_RETURN_IF_ERROR(ChangeInTx(tx, outbox_, *payment, transition, now));
    out = {*std::move(payment), true};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Payment>> PgPaymentStore::ListPayments(const PaymentQuery& query) {
  std::vector<int> kinds, statuses;
  for (PaymentKind k : query.kinds) kinds.push_back(static_cast<int>(k));
  for (PaymentStatus s : query.statuses) statuses.push_back(static_cast<int>(s));
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  const std::string sql = absl::StrCat(
      "SELECT ", kPaymentColumns,
      " FROM payments WHERE (payer_user_id = $1 OR payee_user_id = $1 OR owner_user_id = $1) "
      "AND (cardinality($2::int[]) = 0 OR kind = ANY($2::int[])) "
      "AND (cardinality($3::int[]) = 0 OR status = ANY($3::int[])) "
      "AND ($4::timestamptz IS NULL OR created_at >= $4::timestamptz) "
      "AND ($5::timestamptz IS NULL OR created_at < $5::timestamptz) "
      "AND ($6::uuid IS NULL OR payment_id < $6::uuid) "
      "ORDER BY payment_id DESC LIMIT $7");
  auto array = [](const std::vector<int>& values) {
    std::string text = "{";
    for (size_t i = 0; i < values.size(); ++i) absl::StrAppend(&text, i ? "," : "", values[i]);
    return text + "}";
  };
  if (!query.after_payment_id.empty() && !IsUuid(query.after_payment_id)) {
    return WithReason(absl::StatusCode::kInvalidArgument, "PAGE_TOKEN_INVALID",
                      "page_token is not valid");
  }
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec(sql, pg::P(query.user_id, array(kinds), array(statuses), Ts(query.from),
                            Ts(query.to), OptionalText(query.after_payment_id), query.limit)));
  std::vector<Payment> out;
  for (int i = 0; i < r.Rows(); ++i) {
    out.push_back(PaymentFrom(r, i));
    UW_RETURN_IF_ERROR(LoadHistory(*conn, out.back()));
  }
  return out;
}

absl::StatusOr<Usage> PgPaymentStore::DailyUsage(const std::string& user_id, PaymentKind kind,
                                                 absl::Time day_start) {
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  return UsageInTx(*conn, user_id, kind, day_start);
}

absl::StatusOr<InsertResult> PgPaymentStore::ReserveRefund(const Payment& refund,
                                                           const std::string& refund_request_id) {
  InsertResult out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<Payment> original,
                        LoadById(tx, refund.original_payment_id, true));
    if (!original) return NotFound("PAYMENT_NOT_FOUND", "no such payment");
    UW_ASSIGN_OR_RETURN(std::optional<Payment> existing,
                        LoadWhere(tx, "owner_user_id = $1 AND idempotency_key = $2",
                                  pg::P(refund.owner_user_id, refund.idempotency_key), false));
    if (existing) {
      out = {*std::move(existing), false};
      return absl::OkStatus();
    }
    if (original->status != PaymentStatus::kSucceeded) {
      return WithMetadata(Precondition("INVALID_STATE", "the payment cannot be refunded now"),
                          {{"state", StatusName(original->status)}});
    }
    if (original->refunded_minor + refund.amount_minor > original->amount_minor) {
      return WithMetadata(
          Precondition("REFUND_EXCEEDS_PAYMENT", "more than what is still refundable"),
          {{"refundable_minor", absl::StrCat(original->amount_minor - original->refunded_minor)}});
    }
    if (!refund_request_id.empty()) {
      if (!IsUuid(refund_request_id)) {
        return NotFound("REFUND_REQUEST_NOT_FOUND", "no such refund request for this payment");
      }
      // The original's row lock above already queues every refund of this payment; the request's
      // own lock keeps a concurrent rejection out.
      UW_ASSIGN_OR_RETURN(
          pg::Result request,
          tx.Exec("SELECT status, amount_minor - refunded_minor - reserved_minor "
                  "FROM refund_requests "
                  "WHERE refund_request_id = $1::uuid AND payment_id = $2::uuid FOR UPDATE",
                  pg::P(refund_request_id, original->payment_id)));
      if (request.Rows() == 0) {
        return NotFound("REFUND_REQUEST_NOT_FOUND", "no such refund request for this payment");
      }
      const int status = static_cast<int>(request.Int(0, 0));
      if (!IsOpenRefundRequest(status)) {
        return WithMetadata(Precondition("INVALID_STATE", "the refund request is already decided"),
                            {{"status", RefundRequestStatusName(status)}});
      }
      const int64_t requested_remaining = request.Int(0, 1);
      if (refund.amount_minor > requested_remaining) {
        return WithMetadata(
            Precondition("REFUND_EXCEEDS_REQUEST",
                         "more than the refund request still asks for (with refunds in flight)"),
            {{"requested_remaining_minor", absl::StrCat(requested_remaining)}});
      }
    }
    bool inserted = false;
    UW_RETURN_IF_ERROR(InsertRow(tx, refund, &inserted));
    if (!inserted) return absl::AbortedError("refund key conflict; retry");
    if (!refund_request_id.empty()) {
      UW_RETURN_IF_ERROR(tx.Exec("UPDATE refund_requests SET reserved_minor = reserved_minor + $2 "
                                 "WHERE refund_request_id = $1::uuid",
                                 pg::P(refund_request_id, refund.amount_minor))
                             .status());
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO refund_request_refunds (refund_payment_id, refund_request_id, "
                  "amount_minor, state) VALUES ($1::uuid, $2::uuid, $3, $4)",
                  pg::P(refund.payment_id, refund_request_id, refund.amount_minor, kLinkInFlight))
              .status());
    }
    original->refunded_minor += refund.amount_minor;
    UW_RETURN_IF_ERROR(WritePayment(tx, *original));
    out = {refund, true};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<TransitionResult> PgPaymentStore::CompleteRefund(
    const std::string& refund_id, bool succeeded, const std::string& failure_reason,
    const std::vector<std::string>& ledger_ids, absl::Time now) {
  TransitionResult out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<Payment> refund, LoadById(tx, refund_id, true));
    if (!refund) return NotFound("PAYMENT_NOT_FOUND", "no such refund");
    out = {*refund, false};
    if (refund->status != PaymentStatus::kPending) return absl::OkStatus();
    UW_ASSIGN_OR_RETURN(std::optional<Payment> original,
                        LoadById(tx, refund->original_payment_id, true));
    if (!original) return absl::InternalError("refund without its original");
    if (succeeded) {
      UW_RETURN_IF_ERROR(ChangeInTx(tx, outbox_, *refund,
                                    {.to = PaymentStatus::kSucceeded,
                                     .add_ledger_ids = ledger_ids,
                                     .event_type = "payments.refunded"},
                                    now));
      if (refund->kind == PaymentKind::kReversal) {
        UW_RETURN_IF_ERROR(ChangeInTx(tx, outbox_, *original,
                                      {.to = PaymentStatus::kReversed, .note = "reversed"}, now));
      } else if (original->refunded_minor == original->amount_minor) {
        UW_RETURN_IF_ERROR(ChangeInTx(tx, outbox_, *original,
                                      {.to = PaymentStatus::kRefunded, .note = "refunded in full"},
                                      now));
      }
      // The customer's request linked to this refund: its reservation becomes refunded, and it
      // is REFUNDED once its refunds reach what it asked for (PARTIALLY_REFUNDED before).
      UW_RETURN_IF_ERROR(
          tx.Exec("WITH link AS (UPDATE refund_request_refunds SET state = $2 "
                  "WHERE refund_payment_id = $1::uuid AND state = $3 "
                  "RETURNING refund_request_id, amount_minor) "
                  "UPDATE refund_requests r SET "
                  "refunded_minor = r.refunded_minor + link.amount_minor, "
                  "reserved_minor = r.reserved_minor - link.amount_minor, "
                  "refund_payment_id = $1, "
                  "status = CASE WHEN r.refunded_minor + link.amount_minor >= r.amount_minor "
                  "THEN $4::smallint ELSE $5::smallint END, "
                  "decided_at = CASE WHEN r.refunded_minor + link.amount_minor >= r.amount_minor "
                  "THEN $6::timestamptz ELSE r.decided_at END "
                  "FROM link WHERE r.refund_request_id = link.refund_request_id",
                  pg::P(refund->payment_id, kLinkSucceeded, kLinkInFlight, kRefundRequestRefunded,
                        kRefundRequestPartiallyRefunded, Ts(now)))
              .status());
      // Once nothing is left to refund, every open request of the original without a refund in
      // flight is answered too: the whole payment came back, which covers what it asked for.
      const bool nothing_left = refund->kind == PaymentKind::kReversal ||
                                original->refunded_minor == original->amount_minor;
      if (nothing_left) {
        UW_RETURN_IF_ERROR(
            tx.Exec("UPDATE refund_requests SET status = $3, decided_at = $4::timestamptz, "
                    "refunded_minor = amount_minor, refund_payment_id = $1 "
                    "WHERE payment_id = $2::uuid AND status IN ($5, $6) AND reserved_minor = 0",
                    pg::P(refund->payment_id, original->payment_id, kRefundRequestRefunded, Ts(now),
                          kRefundRequestRequested, kRefundRequestPartiallyRefunded))
                .status());
      }
    } else {
      // The linked request's reservation is released; it waits to be answered again.
      UW_RETURN_IF_ERROR(
          tx.Exec("WITH link AS (UPDATE refund_request_refunds SET state = $2 "
                  "WHERE refund_payment_id = $1::uuid AND state = $3 "
                  "RETURNING refund_request_id, amount_minor) "
                  "UPDATE refund_requests r SET reserved_minor = r.reserved_minor - "
                  "link.amount_minor FROM link WHERE r.refund_request_id = link.refund_request_id",
                  pg::P(refund->payment_id, kLinkFailed, kLinkInFlight))
              .status());
      original->refunded_minor -= refund->amount_minor;
      UW_RETURN_IF_ERROR(WritePayment(tx, *original));
      UW_RETURN_IF_ERROR(ChangeInTx(tx, outbox_, *refund,
                                    {.to = PaymentStatus::kFailed,
                                     .failure_reason = failure_reason,
                                     .event_type = "payments.payment_failed"},
                                    now));
    }
    out = {*std::move(refund), true};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Payment>> PgPaymentStore::ClaimDueChecks(absl::Time now,
                                                                    absl::Duration lease,
                                                                    int limit) {
  std::vector<Payment> out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    out.clear();
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec("UPDATE payments SET next_check_at = $2::timestamptz WHERE payment_id IN ("
                "SELECT payment_id FROM payments WHERE status = 1 AND next_check_at <= "
                "$1::timestamptz ORDER BY next_check_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
                "RETURNING payment_id::text",
                pg::P(Ts(now), Ts(now + lease), limit)));
    for (int i = 0; i < r.Rows(); ++i) {
      UW_ASSIGN_OR_RETURN(std::optional<Payment> p, LoadById(tx, r.String(i, 0), false));
      if (p) out.push_back(*std::move(p));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cards and PIN
// ---------------------------------------------------------------------------------------------

absl::Status PgPaymentStore::InsertCard(const BankCard& card) {
  return pool_
      .Exec(
          "INSERT INTO bank_cards (card_id, user_id, token, brand, last4, holder_name, "
          "expiry_month, expiry_year, bank_name, created_at) VALUES ($1::uuid, $2, $3, $4, $5, "
          "$6, $7, $8, $9, $10::timestamptz)",
          pg::P(card.card_id, card.user_id, card.token, static_cast<int>(card.brand), card.last4,
                card.holder_name, card.expiry_month, card.expiry_year, card.bank_name,
                Ts(card.created_at)))
      .status();
}

absl::StatusOr<std::vector<BankCard>> PgPaymentStore::ListCards(const std::string& user_id) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kCardColumns,
                                              " FROM bank_cards WHERE user_id = $1 AND "
                                              "removed_at IS NULL ORDER BY created_at"),
                                 pg::P(user_id)));
  std::vector<BankCard> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(CardFrom(r, i));
  return out;
}

absl::StatusOr<std::optional<BankCard>> PgPaymentStore::GetCard(const std::string& user_id,
                                                                const std::string& card_id) {
  if (!IsUuid(card_id)) return std::optional<BankCard>();
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kCardColumns,
                                              " FROM bank_cards WHERE user_id = $1 AND "
                                              "card_id = $2::uuid AND removed_at IS NULL"),
                                 pg::P(user_id, card_id)));
  if (r.Rows() == 0) return std::optional<BankCard>();
  return std::optional<BankCard>(CardFrom(r, 0));
}

absl::Status PgPaymentStore::RemoveCard(const std::string& user_id, const std::string& card_id,
                                        absl::Time now) {
  if (!IsUuid(card_id)) return NotFound("CARD_NOT_FOUND", "no such bank card");
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("UPDATE bank_cards SET removed_at = $3::timestamptz WHERE "
                                 "user_id = $1 AND card_id = $2::uuid AND removed_at IS NULL",
                                 pg::P(user_id, card_id, Ts(now))));
  if (r.Affected() == 0) return NotFound("CARD_NOT_FOUND", "no such bank card");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PinState>> PgPaymentStore::GetPin(const std::string& user_id) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT pin_hash, failed_attempts, lock_count, " US(
                                     "locked_until") " FROM payment_pins WHERE user_id = $1",
                                 pg::P(user_id)));
  if (r.Rows() == 0) return std::optional<PinState>();
  return std::optional<PinState>(PinState{.hash = r.String(0, 0),
                                          .failed_attempts = static_cast<int>(r.Int(0, 1)),
                                          .lock_count = static_cast<int>(r.Int(0, 2)),
                                          .locked_until = TimeAt(r, 0, 3, absl::InfinitePast())});
}

absl::Status PgPaymentStore::PutPin(const std::string& user_id, const std::string& hash,
                                    absl::Time now) {
  return pool_
      .Exec(
          "INSERT INTO payment_pins (user_id, pin_hash, updated_at) VALUES ($1, $2, "
          "$3::timestamptz) ON CONFLICT (user_id) DO UPDATE SET pin_hash = EXCLUDED.pin_hash, "
          "failed_attempts = 0, lock_count = 0, locked_until = NULL, updated_at = "
          "EXCLUDED.updated_at",
          pg::P(user_id, hash, Ts(now)))
      .status();
}

absl::StatusOr<PinState> PgPaymentStore::RecordWrongPin(const std::string& user_id, absl::Time now,
                                                        int attempts_max, absl::Duration lock_base,
                                                        absl::Duration lock_max) {
  // One statement: concurrent wrong PINs each count, and the attempt that reaches the maximum
  // locks for base * 2^lock_count (capped) and starts the counter again.
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(
          "UPDATE payment_pins SET "
          "locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz + "
          "make_interval(secs => least($5::double precision, $4::double precision * "
          "power(2, least(lock_count, 20)))) ELSE locked_until END, "
          "lock_count = CASE WHEN failed_attempts + 1 >= $2 THEN lock_count + 1 ELSE lock_count "
          "END, "
          "failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 "
          "END, updated_at = $3::timestamptz WHERE user_id = $1 "
          "RETURNING pin_hash, failed_attempts, lock_count, " US("locked_until"),
          pg::P(user_id, attempts_max, Ts(now), absl::ToInt64Seconds(lock_base),
                absl::ToInt64Seconds(lock_max))));
  if (r.Rows() == 0) return Precondition("PIN_NOT_SET", "set a payment PIN first");
  return PinState{.hash = r.String(0, 0),
                  .failed_attempts = static_cast<int>(r.Int(0, 1)),
                  .lock_count = static_cast<int>(r.Int(0, 2)),
                  .locked_until = TimeAt(r, 0, 3, absl::InfinitePast())};
}

absl::Status PgPaymentStore::RecordRightPin(const std::string& user_id) {
  return pool_
      .Exec("UPDATE payment_pins SET failed_attempts = 0, lock_count = 0 WHERE user_id = $1",
            pg::P(user_id))
      .status();
}

absl::Status PgPaymentStore::ReplacePinHash(const std::string& user_id, const std::string& old_hash,
                                            const std::string& new_hash) {
  return pool_
      .Exec("UPDATE payment_pins SET pin_hash = $3 WHERE user_id = $1 AND pin_hash = $2",
            pg::P(user_id, old_hash, new_hash))
      .status();
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Schedule> PgPaymentStore::InsertSchedule(const Schedule& s) {
  UW_RETURN_IF_ERROR(
      pool_
          .Exec("INSERT INTO schedules (schedule_id, user_id, idempotency_key, payee_by, "
                "payee_value, payee_user_id, payee_display_name, amount_minor, currency, cadence, "
                "note, starts_at, ends_at, next_run_at, status, created_at, updated_at) VALUES "
                "($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz, "
                "$13::timestamptz, $14::timestamptz, 1, $15::timestamptz, $15::timestamptz) "
                "ON CONFLICT (user_id, idempotency_key) DO NOTHING",
                pg::P(s.schedule_id, s.user_id, s.idempotency_key, static_cast<int>(s.to.by),
                      s.to.value, s.payee_user_id, s.payee_display_name, s.amount_minor, s.currency,
                      static_cast<int>(s.cadence), s.note, Ts(s.starts_at), Ts(s.ends_at),
                      Ts(s.next_run_at), Ts(s.created_at)))
          .status());
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kScheduleColumns,
                                              " FROM schedules WHERE user_id = $1 AND "
                                              "idempotency_key = $2"),
                                 pg::P(s.user_id, s.idempotency_key)));
  if (r.Rows() == 0) return absl::AbortedError("schedule vanished; retry");
  return ScheduleFrom(r, 0);
}

absl::StatusOr<std::vector<Schedule>> PgPaymentStore::ListSchedules(const std::string& user_id,
                                                                    int limit) {
  UW_ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(absl::StrCat("SELECT ", kScheduleColumns,
                                                            " FROM schedules WHERE user_id = $1 "
                                                            "ORDER BY schedule_id DESC LIMIT $2"),
                                               pg::P(user_id, limit)));
  std::vector<Schedule> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ScheduleFrom(r, i));
  return out;
}

absl::StatusOr<Schedule> PgPaymentStore::CancelSchedule(const std::string& user_id,
                                                        const std::string& schedule_id,
                                                        absl::Time now) {
  if (!IsUuid(schedule_id)) return NotFound("NOT_FOUND", "no such schedule");
  UW_RETURN_IF_ERROR(pool_
                         .Exec("UPDATE schedules SET status = 2, updated_at = $3::timestamptz "
                               "WHERE user_id = $1 AND schedule_id = $2::uuid AND status = 1",
                               pg::P(user_id, schedule_id, Ts(now)))
                         .status());
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kScheduleColumns,
                                              " FROM schedules WHERE user_id = $1 AND "
                                              "schedule_id = $2::uuid"),
                                 pg::P(user_id, schedule_id)));
  if (r.Rows() == 0) return NotFound("NOT_FOUND", "no such schedule");
  return ScheduleFrom(r, 0);
}

absl::StatusOr<int> PgPaymentStore::CancelUserSchedules(const std::string& user_id,
                                                        absl::Time now) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("UPDATE schedules SET status = 2, updated_at = $2::timestamptz "
                                 "WHERE user_id = $1 AND status = 1",
                                 pg::P(user_id, Ts(now))));
  return static_cast<int>(r.Affected());
}

absl::StatusOr<std::vector<ClaimedRun>> PgPaymentStore::ClaimDueRuns(absl::Time now,
                                                                     absl::Duration lease,
                                                                     int limit) {
  std::vector<ClaimedRun> out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    out.clear();
    UW_ASSIGN_OR_RETURN(pg::Result r,
                        tx.Exec(absl::StrCat("SELECT ", kScheduleColumns,
                                             " FROM schedules WHERE status = 1 AND next_run_at <= "
                                             "$1::timestamptz ORDER BY next_run_at LIMIT $2 "
                                             "FOR UPDATE SKIP LOCKED"),
                                pg::P(Ts(now), limit)));
    for (int i = 0; i < r.Rows(); ++i) {
      Schedule s = ScheduleFrom(r, i);
      while (s.status == ScheduleStatus::kActive && s.next_run_at <= now &&
             static_cast<int>(out.size()) < limit) {
        if (s.next_run_at >= s.ends_at) {
          s.status = ScheduleStatus::kCompleted;
          break;
        }
        // The primary key (schedule, period) is the exactly-once guarantee: a period somebody
        // already claimed is never returned again.
        UW_ASSIGN_OR_RETURN(pg::Result claimed,
                            tx.Exec("INSERT INTO schedule_runs (schedule_id, period_start, "
                                    "claimed_at) VALUES ($1::uuid, $2::timestamptz, "
                                    "$3::timestamptz) ON CONFLICT DO NOTHING RETURNING 1",
                                    pg::P(s.schedule_id, Ts(s.next_run_at), Ts(now))));
        if (claimed.Rows() == 1) out.push_back({s, s.next_run_at});
        s.next_run_at = NextPeriodStart(s.cadence, s.starts_at, s.next_run_at, zone_);
      }
      if (s.next_run_at >= s.ends_at) s.status = ScheduleStatus::kCompleted;
      UW_RETURN_IF_ERROR(
          tx.Exec("UPDATE schedules SET next_run_at = $2::timestamptz, status = "
                  "$3, updated_at = $4::timestamptz WHERE schedule_id = $1::uuid",
                  pg::P(s.schedule_id, Ts(s.next_run_at), static_cast<int>(s.status), Ts(now)))
              .status());
    }
    if (static_cast<int>(out.size()) >= limit) return absl::OkStatus();
    // Runs whose worker stopped after claiming them (no payment recorded on the run, not
    // completed or left PENDING by a transient error) past the lease: claimed again, once — a
    // concurrent worker either skips the locked row or re-checks claimed_at and finds it fresh.
    UW_ASSIGN_OR_RETURN(
        pg::Result stale,
        tx.Exec("UPDATE schedule_runs r SET claimed_at = $1::timestamptz "
                "WHERE (r.schedule_id, r.period_start) IN ("
                "  SELECT u.schedule_id, u.period_start FROM schedule_runs u "
                "  JOIN schedules s ON s.schedule_id = u.schedule_id AND s.status <> 2 "
                "  WHERE u.payment_id = '' AND (u.completed_at IS NULL OR u.status = 1) "
                "    AND u.claimed_at <= $2::timestamptz "
                "  ORDER BY u.claimed_at LIMIT $3 FOR UPDATE OF u SKIP LOCKED) "
                "AND r.claimed_at <= $2::timestamptz "
                "RETURNING r.schedule_id::text, " US("r.period_start"),
                pg::P(Ts(now), Ts(now - lease), limit - static_cast<int>(out.size()))));
    for (int i = 0; i < stale.Rows(); ++i) {
      UW_ASSIGN_OR_RETURN(pg::Result row,
                          tx.Exec(absl::StrCat("SELECT ", kScheduleColumns,
                                               " FROM schedules WHERE schedule_id = $1::uuid"),
                                  pg::P(stale.String(i, 0))));
      if (row.Rows() == 0) continue;
      out.push_back({ScheduleFrom(row, 0), TimeAt(stale, i, 1, absl::InfinitePast())});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PgPaymentStore::CompleteRun(const std::string& schedule_id, absl::Time period_start,
                                         const std::string& payment_id, PaymentStatus status,
                                         const std::string& failure_reason, absl::Time now) {
  return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    // Recording the same outcome twice (the run's worker and the payment check may both finish
    // it) changes nothing, so a failure is counted once.
    UW_ASSIGN_OR_RETURN(
        pg::Result run,
        tx.Exec("UPDATE schedule_runs SET payment_id = $3, status = $4, "
                "failure_reason = $5, completed_at = $6::timestamptz "
                "WHERE schedule_id = $1::uuid AND period_start = $2::timestamptz AND NOT "
                "(completed_at IS NOT NULL AND status = $4 AND payment_id = $3) RETURNING 1",
                pg::P(schedule_id, Ts(period_start), payment_id, static_cast<int>(status),
                      failure_reason, Ts(now))));
    if (run.Rows() == 0) return absl::OkStatus();
    const bool failed = status == PaymentStatus::kFailed;
    // The schedule shows its latest period: a late outcome of an older one does not replace it.
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec("UPDATE schedules SET last_period_start = $2::timestamptz, last_ran_at = "
                "$3::timestamptz, last_payment_id = $4, last_status = $5, last_failure_reason = "
                "$6, failed_run_count = CASE WHEN $7 THEN failed_run_count + 1 ELSE 0 END, "
                "updated_at = $3::timestamptz WHERE schedule_id = $1::uuid AND "
                "(last_period_start IS NULL OR last_period_start <= $2::timestamptz) "
                "RETURNING user_id, amount_minor, currency, payee_display_name",
                pg::P(schedule_id, Ts(period_start), Ts(now), payment_id, static_cast<int>(status),
                      failure_reason, failed)));
    if (failed && r.Rows() == 1) {
      json payload = {{"schedule_id", schedule_id},       {"payment_id", payment_id},
                      {"failure_reason", failure_reason}, {"amount_minor", r.Int(0, 1)},
                      {"currency", r.String(0, 2)},       {"payee_display_name", r.String(0, 3)}};
      UW_RETURN_IF_ERROR(
          outbox_.Append(tx, "payments.schedule_run_failed", r.String(0, 0), payload.dump())
              .status());
    }
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Refund requests and audit
// ---------------------------------------------------------------------------------------------

absl::StatusOr<RefundRequestRecord> PgPaymentStore::InsertRefundRequest(
    const RefundRequestRecord& q) {
  UW_RETURN_IF_ERROR(
      pool_
          .Exec(
              "INSERT INTO refund_requests (refund_request_id, user_id, idempotency_key, "
              "payment_id, merchant_id, amount_minor, currency, reason, status, created_at) "
              "VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7, $8, $9, $10::timestamptz) "
              "ON CONFLICT (user_id, idempotency_key) DO NOTHING",
              pg::P(q.refund_request_id, q.user_id, q.idempotency_key, q.payment_id, q.merchant_id,
                    q.amount_minor, q.currency, q.reason, q.status, Ts(q.created_at)))
          .status());
  UW_ASSIGN_OR_RETURN(std::optional<RefundRequestRecord> found,
                      FindRefundRequest(q.user_id, q.idempotency_key));
  if (!found) return absl::AbortedError("refund request vanished; retry");
  return *std::move(found);
}

absl::StatusOr<std::optional<RefundRequestRecord>> PgPaymentStore::FindRefundRequest(
    const std::string& user_id, const std::string& idempotency_key) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kRefundRequestColumns,
                                              " FROM refund_requests WHERE "
                                              "user_id = $1 AND idempotency_key = $2"),
                                 pg::P(user_id, idempotency_key)));
  if (r.Rows() == 0) return std::optional<RefundRequestRecord>();
  return std::optional<RefundRequestRecord>(RefundRequestFrom(r, 0));
}

absl::StatusOr<std::optional<RefundRequestRecord>> PgPaymentStore::GetRefundRequest(
    const std::string& refund_request_id) {
  if (!IsUuid(refund_request_id)) return std::optional<RefundRequestRecord>();
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kRefundRequestColumns,
                                              " FROM refund_requests WHERE refund_request_id = "
                                              "$1::uuid"),
                                 pg::P(refund_request_id)));
  if (r.Rows() == 0) return std::optional<RefundRequestRecord>();
  return std::optional<RefundRequestRecord>(RefundRequestFrom(r, 0));
}

absl::StatusOr<std::vector<RefundRequestRecord>> PgPaymentStore::ListRefundRequests(
    const RefundRequestQuery& query) {
  if (!query.after_refund_request_id.empty() && !IsUuid(query.after_refund_request_id)) {
    return WithReason(absl::StatusCode::kInvalidArgument, "PAGE_TOKEN_INVALID",
                      "page_token is not valid");
  }
  if (!query.payment_id.empty() && !IsUuid(query.payment_id)) {
    return WithReason(absl::StatusCode::kNotFound, "PAYMENT_NOT_FOUND", "no such payment");
  }
  const std::string statuses = absl::StrCat("{", absl::StrJoin(query.statuses, ","), "}");
  // The customer, the merchant or (staff) the payment; each has its own index
  // (refund_requests_by_user / _by_merchant / _by_payment).
  const auto [owner, owner_id] = !query.user_id.empty() ? std::pair("user_id = $1", query.user_id)
                                 : !query.merchant_id.empty()
                                     ? std::pair("merchant_id = $1", query.merchant_id)
                                     : std::pair("payment_id = $1::uuid", query.payment_id);
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(
          absl::StrCat("SELECT ", kRefundRequestColumns, " FROM refund_requests WHERE ", owner,
                       " AND (cardinality($2::int[]) = 0 OR status = ANY($2::int[])) "
                       "AND ($3::uuid IS NULL OR refund_request_id < $3::uuid) "
                       "AND ($5::uuid IS NULL OR payment_id = $5::uuid) "
                       "ORDER BY refund_request_id DESC LIMIT $4"),
          pg::P(owner_id, statuses, OptionalText(query.after_refund_request_id), query.limit,
                OptionalText(query.payment_id))));
  std::vector<RefundRequestRecord> out;
  out.reserve(r.Rows());
  for (int i = 0; i < r.Rows(); ++i) out.push_back(RefundRequestFrom(r, i));
  return out;
}

absl::StatusOr<RefundRequestRecord> PgPaymentStore::RejectRefundRequest(
    const std::string& merchant_id, const std::string& refund_request_id, const std::string& reason,
    absl::Time now) {
  RefundRequestRecord out;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    if (!IsUuid(refund_request_id) || merchant_id.empty()) {
      return NotFound("REFUND_REQUEST_NOT_FOUND", "no such refund request");
    }
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec(absl::StrCat("SELECT ", kRefundRequestColumns,
                             " FROM refund_requests WHERE refund_request_id = $1::uuid AND "
                             "merchant_id = $2 FOR UPDATE"),
                pg::P(refund_request_id, merchant_id)));
    // Someone else's request is reported like an unknown one, so ids cannot be probed.
    if (r.Rows() == 0) return NotFound("REFUND_REQUEST_NOT_FOUND", "no such refund request");
    RefundRequestRecord request = RefundRequestFrom(r, 0);
    if (!IsOpenRefundRequest(request.status)) {
      return WithMetadata(
          Precondition("REFUND_REQUEST_NOT_OPEN", "the refund request is already decided"),
          {{"status", RefundRequestStatusName(request.status)}});
    }
    if (request.reserved_minor > 0) {
      return WithMetadata(
          Precondition("INVALID_STATE", "a refund answering this request is still in progress"),
          {{"state", "REFUND_IN_PROGRESS"}});
    }
    UW_RETURN_IF_ERROR(tx.Exec("UPDATE refund_requests SET status = $2, decided_at = "
                               "$3::timestamptz, decision_reason = $4 "
                               "WHERE refund_request_id = $1::uuid",
                               pg::P(refund_request_id, kRefundRequestRejected, Ts(now), reason))
                           .status());
    request.status = kRefundRequestRejected;
    request.decided_at = now;
    request.decision_reason = reason;
    json payload = {{"refund_request_id", request.refund_request_id},
                    {"payment_id", request.payment_id},
                    {"status", RefundRequestStatusName(request.status)},
                    {"amount_minor", request.amount_minor},
                    {"refunded_minor", request.refunded_minor},
                    {"currency", request.currency},
                    {"customer_user_id", request.user_id},
                    {"merchant_user_id", request.merchant_id},
                    {"reason", reason}};
    // Subject: the customer, who is told the answer.
    UW_RETURN_IF_ERROR(
        outbox_.Append(tx, "payments.refund_request_rejected", request.user_id, payload.dump())
            .status());
    out = std::move(request);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PgPaymentStore::AppendAudit(const AuditEntry& e) {
  return pool_
      .Exec(
          "INSERT INTO payments_audit (audit_id, actor_user_id, action, payment_id, reason, "
          "reference, at) VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7::timestamptz)",
          pg::P(e.audit_id, e.actor_user_id, e.action, e.payment_id, e.reason, e.reference,
                Ts(e.at)))
      .status();
}

}  // namespace uwallet::payments
