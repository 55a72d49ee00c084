// The payments store against a real PostgreSQL (UWALLET_TEST_PG_DSN; skipped without it): the core
// runs on PgPaymentStore with fake clients, so the database's own guarantees are what is tested —
// idempotency keys under concurrency, daily limits under concurrency, schedule claiming by two
// workers (exactly once per period), the PIN lockout, refunds bounded by the original, and a card
// table that never holds a card number.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "services/payments/core/errors.h"
#include "services/payments/core/fees.h"
#include "services/payments/core/payments_core.h"
#include "services/payments/core/simulated_bank.h"
#include "services/payments/schema/migrations.h"
#include "services/payments/storage/pg_store.h"
#include "services/payments/test/fakes.h"
#include "uwallet/common/check.h"
#include "uwallet/common/ids.h"
#include "uwallet/events/events.h"
#include "uwallet/testing/pg_fixture.h"

namespace uwallet::payments {
namespace {

struct PgFixture {
  uwallet::testing::PgSchema schema{"payments", 8};
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  UuidV7Generator ids{clock};
  events::Outbox outbox{"payments", ids, clock};
  std::unique_ptr<PgPaymentStore> store;
  testing::FakeLedger ledger;
  testing::FakeAuth auth;
  testing::FakeRisk risk;
  SimulatedBank bank{clock, {}};
  std::unique_ptr<PaymentsCore> core;
  Caller alice{.user_id = "alice"};

  PgFixture() {
    UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations()));
    store = std::make_unique<PgPaymentStore>(schema.pool(), outbox, absl::UTCTimeZone());
    CoreOptions options;
    options.qr_key = std::string(32, 'k');
    core = std::make_unique<PaymentsCore>(*store, ledger, auth, risk, bank, clock, ids, options);
    auth.Add("alice", "A*e", "+8613800000001");
    auth.Add("bob", "B*b", "+8613800000002");
    auth.Add("shop", "S*p", "", true);
    auth.GrantStepUp("alice", "t", StepUpAction::kSetPaymentPin);
    UW_CHECK_OK(core->SetPaymentPin(alice, "246810", "t"));
    ledger.balances[testing::AccountKey({AccountRef::Kind::kUserWallet, "alice", "CNY"})] =
        10'000'000;
  }
  int64_t Balance(const std::string& user) {
    return ledger.Balance({AccountRef::Kind::kUserWallet, user, "CNY"});
  }
  TransferCommand ToBob(int64_t amount, const std::string& key) {
    return {.idempotency_key = key,
            .to = {PayeeRef::By::kUserId, "bob"},
            .amount = {amount, "CNY"},
            .pin = "246810"};
  }
  int64_t Count(const std::string& sql) { return schema.pool().Exec(sql).value().Int(0, 0); }
};

TEST_CASE("pg: one payment per idempotency key under concurrency, with history and events") {
  PgFixture f;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::mutex ids_mutex;
  std::set<std::string> payment_ids;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto payment = f.core->Transfer(f.alice, f.ToBob(1'234, "same-key"));
      if (payment.ok()) {
        ++ok;
        std::lock_guard<std::mutex> lock(ids_mutex);
        payment_ids.insert(payment->payment_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(ok == 8);
  REQUIRE(payment_ids.size() == 1);
  REQUIRE(f.Balance("bob") == 1'234);
  REQUIRE(f.Count("SELECT count(*) FROM payments") == 1);
  REQUIRE(f.Count("SELECT count(*) FROM payment_status_history") == 2);
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'payments.payment_succeeded'") == 1);
  auto stored = f.core->GetPayment("bob", *payment_ids.begin());
  REQUIRE(stored.ok());
  REQUIRE(stored->status == PaymentStatus::kSucceeded);
  REQUIRE(stored->history.size() == 2);
  REQUIRE(stored->payee.display_name == "B*b");
  // Same key, different request.
  auto reused = f.core->Transfer(f.alice, f.ToBob(1, "same-key"));
  REQUIRE(ReasonOf(reused.status()) == "IDEMPOTENCY_KEY_REUSED");
}

TEST_CASE("pg: retries after faults at each step charge once") {
  PgFixture f;
  f.ledger.fail_after = 1;  // applied, answer lost
  REQUIRE_FALSE(f.core->Transfer(f.alice, f.ToBob(500, "k1")).ok());
  auto retried = f.core->Transfer(f.alice, f.ToBob(500, "k1"));
  REQUIRE(retried.ok());
  REQUIRE(retried->status == PaymentStatus::kSucceeded);
  f.ledger.fail_before = 1;  // never reached the ledger; the worker finishes it
  REQUIRE_FALSE(f.core->Transfer(f.alice, f.ToBob(700, "k2")).ok());
  f.clock.Advance(absl::Minutes(1));
  REQUIRE(*f.core->RunDueChecks() == 1);
  REQUIRE(f.Balance("bob") == 1'200);
  REQUIRE(f.ledger.applied_calls == 2);
}

TEST_CASE("pg: the daily limit holds under concurrent payments") {
  PgFixture f;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, limited{0};
  f.ledger.balances[testing::AccountKey({AccountRef::Kind::kUserWallet, "alice", "CNY"})] =
      100'000'000;
  // Daily transfer limit is ¥200,000 = 20,000,000; per payment ¥5,000 (no step-up at ≤ 500,000).
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        auto payment = f.core->Transfer(
            f.alice, f.ToBob(500'000, "k-" + std::to_string(i) + "-" + std::to_string(j)));
        if (payment.ok()) ++ok;
        if (ReasonOf(payment.status()) == "LIMIT_EXCEEDED") ++limited;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(ok == 40);
  REQUIRE(limited == 20);
  REQUIRE(f.Balance("bob") == 20'000'000);
}

TEST_CASE("pg: two workers claim each schedule period exactly once") {
  PgFixture f;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(f.core
                ->CreateSchedule(f.alice, {.idempotency_key = "s" + std::to_string(i),
                                           .to = {PayeeRef::By::kUserId, "bob"},
                                           .amount = {100, "CNY"},
                                           .cadence = Cadence::kDaily,
                                           .starts_at = f.clock.Now(),
                                           .pin = "246810"})
                .ok());
  }
  f.clock.Advance(absl::Hours(24 * 2) + absl::Seconds(1));
  // A second replica: its own pool and store, same database.
  std::unique_ptr<pg::Pool> other_pool = f.schema.NewPool(4);
  PgPaymentStore other_store(*other_pool, f.outbox, absl::UTCTimeZone());
  CoreOptions options;
  options.qr_key = std::string(32, 'k');
  PaymentsCore other(other_store, f.ledger, f.auth, f.risk, f.bank, f.clock, f.ids, options);
  std::atomic<int> handled{0};
  std::thread a([&] {
    for (int i = 0; i < 5; ++i) handled += f.core->RunDueSchedules(2).value_or(0);
  });
  std::thread b([&] {
    for (int i = 0; i < 5; ++i) handled += other.RunDueSchedules(2).value_or(0);
  });
  a.join();
  b.join();
  handled += *f.core->RunDueSchedules();
  REQUIRE(handled == 15);  // 5 schedules × periods day 0, 1, 2
  REQUIRE(f.Count("SELECT count(*) FROM schedule_runs") == 15);
  REQUIRE(f.Count("SELECT count(*) FROM payments WHERE kind = 1 AND status = 3") == 15);
  REQUIRE(f.Balance("bob") == 1'500);
  // Inserting a period twice is refused by the key itself.
  auto dup = f.schema.pool().Exec(
      "INSERT INTO schedule_runs (schedule_id, period_start, claimed_at) SELECT schedule_id, "
      "period_start, now() FROM schedule_runs LIMIT 1");
  REQUIRE(dup.status().code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("pg: a failed schedule run is evented once with what its owner is told") {
  PgFixture f;
  auto created = f.core->CreateSchedule(f.alice, {.idempotency_key = "rent",
                                                  .to = {PayeeRef::By::kUserId, "bob"},
                                                  .amount = {30'000, "CNY"},
                                                  .cadence = Cadence::kMonthly,
                                                  .starts_at = f.clock.Now(),
                                                  .pin = "246810"});
  REQUIRE(created.ok());
  f.ledger.balances[testing::AccountKey({AccountRef::Kind::kUserWallet, "alice", "CNY"})] = 0;
  f.clock.Advance(absl::Seconds(1));
  REQUIRE(*f.core->RunDueSchedules() == 1);
  REQUIRE(*f.core->RunDueSchedules() == 0);
  const std::string run_event =
      "SELECT count(*) FROM outbox WHERE type = 'payments.schedule_run_failed' AND subject_id = "
      "'alice' AND payload::jsonb->>'schedule_id' = '" +
      created->schedule_id +
      "' AND payload::jsonb->>'failure_reason' = 'INSUFFICIENT_FUNDS' AND "
      "(payload::jsonb->>'amount_minor')::bigint = 30000 AND payload::jsonb->>'currency' = 'CNY' "
      "AND payload::jsonb->>'payee_display_name' = 'B*b'";
  REQUIRE(f.Count(run_event) == 1);
  // The run's payment, if it failed after it was recorded, says it belongs to a schedule (fraud
  // then alerts once, from the run's event); a payment of one's own says it does not.
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'payments.payment_failed' AND "
                  "payload::jsonb->>'scheduled' <> 'true'") == 0);
  REQUIRE_FALSE(f.core->Transfer(f.alice, f.ToBob(100, "own")).ok());
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'payments.payment_failed' AND "
                  "payload::jsonb->>'scheduled' = 'false'") == 1);
}

TEST_CASE("pg: a schedule run claimed by a worker that crashed is re-driven once by another") {
  PgFixture f;
  std::vector<std::string> schedule_ids;
  for (int i = 0; i < 4; ++i) {
    auto created = f.core->CreateSchedule(f.alice, {.idempotency_key = "s" + std::to_string(i),
                                                    .to = {PayeeRef::By::kUserId, "bob"},
                                                    .amount = {100, "CNY"},
                                                    .cadence = Cadence::kDaily,
                                                    .starts_at = f.clock.Now(),
                                                    .pin = "246810"});
    REQUIRE(created.ok());
    schedule_ids.push_back(created->schedule_id);
  }
  const absl::Duration lease = CoreOptions().schedule_run_lease;
  // Worker A claims today's four periods and crashes before paying any of them.
  auto claimed = f.store->ClaimDueRuns(f.clock.Now(), lease, 10);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 4);
  REQUIRE(f.Count("SELECT count(*) FROM schedule_runs WHERE payment_id = ''") == 4);
  // The owner cancels one schedule meanwhile: its orphaned run is not paid.
  REQUIRE(f.core->CancelSchedule("alice", schedule_ids[3]).ok());

  // Worker B (its own pool and store) and worker A restarted, both running.
  std::unique_ptr<pg::Pool> other_pool = f.schema.NewPool(4);
  PgPaymentStore other_store(*other_pool, f.outbox, absl::UTCTimeZone());
  CoreOptions options;
  options.qr_key = std::string(32, 'k');
  PaymentsCore other(other_store, f.ledger, f.auth, f.risk, f.bank, f.clock, f.ids, options);
  auto both = [&] {
    std::atomic<int> handled{0};
    std::thread a([&] {
      for (int i = 0; i < 3; ++i) handled += f.core->RunDueSchedules(2).value_or(0);
    });
    std::thread b([&] {
      for (int i = 0; i < 3; ++i) handled += other.RunDueSchedules(2).value_or(0);
    });
    a.join();
    b.join();
    return handled.load();
  };
  f.clock.Advance(lease - absl::Seconds(1));
  REQUIRE(both() == 0);  // within the lease the runs are still A's
  REQUIRE(f.Balance("bob") == 0);
  f.clock.Advance(absl::Seconds(1));
  REQUIRE(both() == 3);  // re-driven: each exactly once, by A or B
  REQUIRE(f.Balance("bob") == 300);
  REQUIRE(f.Count("SELECT count(*) FROM payments WHERE kind = 1 AND status = 3") == 3);
  REQUIRE(f.Count("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'schedule:%'") == 3);
  REQUIRE(f.Count("SELECT count(*) FROM schedule_runs WHERE payment_id <> '' AND completed_at "
                  "IS NOT NULL AND status = 3") == 3);
  REQUIRE(f.Count("SELECT count(*) FROM schedules WHERE last_status = 3") == 3);
  // Later rounds (still today) find nothing more to pay.
  f.clock.Advance(lease);
  REQUIRE(both() == 0);
  REQUIRE(f.Balance("bob") == 300);
  REQUIRE(f.Count("SELECT count(*) FROM schedule_runs WHERE payment_id = ''") == 1);  // cancelled
}

TEST_CASE("pg: a reversal returns the fee; refund requests are linked to the merchant's refund") {
  PgFixture f;
  CoreOptions options;
  options.qr_key = std::string(32, 'k');
  options.fees = *FeeTable::Parse("merchant:100:0:0,withdrawal:10:10:0");
  PaymentsCore core(*f.store, f.ledger, f.auth, f.risk, f.bank, f.clock, f.ids, options);
  const AccountRef fees{AccountRef::Kind::kFeeRevenue, "", "CNY"};
  auto paid = core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                         .merchant_id = "shop",
                                         .amount = Amount{10'000, "CNY"},
                                         .pin = "246810"});
  REQUIRE(paid.ok());
  REQUIRE(paid->fee_minor == 100);
  REQUIRE(f.ledger.Balance(fees) == 100);
  auto q1 = core.RequestRefund(f.alice, {.idempotency_key = "q1",
                                         .payment_id = paid->payment_id,
                                         .amount = Amount{3'000, "CNY"},
                                         .reason = "broken"});
  REQUIRE(q1.ok());
  Caller shop{.user_id = "shop"};
  // Four concurrent refunds of the whole request answer it: exactly one is linked to it.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> exceeded{0};
  std::mutex ids_mutex;
  std::string linked_refund;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = core.MerchantRefund(shop, {.idempotency_key = "r" + std::to_string(i),
                                          .payment_id = paid->payment_id,
                                          .amount = Amount{3'000, "CNY"},
                                          .reason = "ok",
                                          .refund_request_id = q1->refund_request_id});
      if (r.ok()) {
        ++ok;
        std::lock_guard<std::mutex> lock(ids_mutex);
        linked_refund = r->refund.payment_id;
      } else if (ReasonOf(r.status()) == "REFUND_EXCEEDS_REQUEST" ||
                 ReasonOf(r.status()) == "INVALID_STATE") {
        ++exceeded;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(ok == 1);
  REQUIRE(exceeded == 3);
  REQUIRE(f.Count("SELECT count(*) FROM refund_requests WHERE status = 2 AND "
                  "refunded_minor = 3000 AND reserved_minor = 0 AND refund_payment_id = '" +
                  linked_refund + "'") == 1);
  REQUIRE(f.Count("SELECT refunded_minor FROM payments WHERE kind = 2") == 3'000);
  auto q1_now = core.RequestRefund(f.alice, {.idempotency_key = "q1",
                                             .payment_id = paid->payment_id,
                                             .amount = Amount{3'000, "CNY"},
                                             .reason = "broken"});
  REQUIRE(q1_now->status == kRefundRequestRefunded);
  REQUIRE(q1_now->refund_payment_id == linked_refund);
  REQUIRE(q1_now->refunded_minor == 3'000);
  auto q2 = core.RequestRefund(f.alice, {.idempotency_key = "q2",
                                         .payment_id = paid->payment_id,
                                         .reason = "never mind, everything"});
  REQUIRE(q2->status == kRefundRequestRequested);

  // Staff reverse the rest: amount and fee back in one linked ledger batch; the waiting request
  // is answered by the reversal.
  const int calls_before = f.ledger.applied_calls;
  auto reversed = core.StaffReverse(
      {.user_id = "agent-1"},
      {.idempotency_key = "v1", .payment_id = paid->payment_id, .reason = "merchant fraud"});
  REQUIRE(reversed.ok());
  REQUIRE(f.ledger.applied_calls == calls_before + 1);
  REQUIRE(reversed->refund.amount_minor == 7'000);
  REQUIRE(reversed->refund.fee_minor == 100);
  REQUIRE(reversed->original.status == PaymentStatus::kReversed);
  REQUIRE(f.ledger.Balance(fees) == 0);
  REQUIRE(f.Balance("alice") == 10'000'000);
  REQUIRE(f.Count("SELECT fee_minor FROM payments WHERE kind = 6") == 100);
  auto q2_now = core.RequestRefund(f.alice, {.idempotency_key = "q2",
                                             .payment_id = paid->payment_id,
                                             .reason = "never mind, everything"});
  REQUIRE(q2_now->status == kRefundRequestRefunded);
  REQUIRE(q2_now->refund_payment_id == reversed->refund.payment_id);
  REQUIRE(q2_now->refunded_minor == 7'000);
  REQUIRE(f.Count("SELECT count(*) FROM refund_requests WHERE status = 1") == 0);
}

// Alice pays the shop `amount` and asks for `requested` of it back.
std::pair<Payment, RefundRequestRecord> PayAndAsk(PgFixture& f, const std::string& key,
                                                  int64_t amount, int64_t requested) {
  auto paid = f.core->PayMerchant(f.alice, {.idempotency_key = "pay-" + key,
                                            .merchant_id = "shop",
                                            .amount = Amount{amount, "CNY"},
                                            .pin = "246810"});
  REQUIRE(paid.ok());
  auto asked = f.core->RequestRefund(f.alice, {.idempotency_key = "ask-" + key,
                                               .payment_id = paid->payment_id,
                                               .amount = Amount{requested, "CNY"},
                                               .reason = "broken"});
  REQUIRE(asked.ok());
  return {*paid, *asked};
}

RefundRequestRecord RequestNow(PgFixture& f, const RefundRequestRecord& request) {
  auto now = f.store->GetRefundRequest(request.refund_request_id);
  REQUIRE(now.ok());
  REQUIRE(now->has_value());
  return **now;
}

TEST_CASE(
    "pg: concurrent partial refunds answer a request exactly; the merchant rejects the rest") {
  PgFixture f;
  f.auth.Add("other-shop", "O*p", "", true);
  const Caller shop{.user_id = "shop"};
  const auto paid_and_asked = PayAndAsk(f, "1", 10'000, 4'000);
  const Payment& paid = paid_and_asked.first;
  const RefundRequestRecord& asked = paid_and_asked.second;
  REQUIRE(asked.status == kRefundRequestRequested);
  REQUIRE(asked.merchant_id == "shop");
  const int64_t alice_before = f.Balance("alice");

  // Four concurrent refunds of 1500 answer a request for 4000: exactly two fit.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> exceeded{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = f.core->MerchantRefund(shop, {.idempotency_key = "part-" + std::to_string(i),
                                             .payment_id = paid.payment_id,
                                             .amount = Amount{1'500, "CNY"},
                                             .reason = "part",
                                             .refund_request_id = asked.refund_request_id});
      if (r.ok()) ++ok;
      if (ReasonOf(r.status()) == "REFUND_EXCEEDS_REQUEST") ++exceeded;
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(ok == 2);
  REQUIRE(exceeded == 2);
  RefundRequestRecord now = RequestNow(f, asked);
  REQUIRE(now.status == kRefundRequestPartiallyRefunded);
  REQUIRE(now.refunded_minor == 3'000);
  REQUIRE(now.reserved_minor == 0);
  REQUIRE(now.decided_at == absl::InfinitePast());
  REQUIRE(f.Balance("alice") == alice_before + 3'000);
  REQUIRE(f.Count("SELECT count(*) FROM refund_request_refunds WHERE state = 2") == 2);
  REQUIRE(f.Count("SELECT refunded_minor FROM payments WHERE payment_id = '" + paid.payment_id +
                  "'") == 3'000);

  // Only the merchant paid may reject it; an unknown id looks the same.
  auto foreign =
      f.core->RejectRefundRequest({.user_id = "other-shop"}, asked.refund_request_id, "no");
  REQUIRE(foreign.status().code() == absl::StatusCode::kNotFound);
  REQUIRE(ReasonOf(foreign.status()) == "REFUND_REQUEST_NOT_FOUND");
  REQUIRE(ReasonOf(f.core->RejectRefundRequest(shop, "00000000-0000-7000-8000-000000000000", "no")
                       .status()) == "REFUND_REQUEST_NOT_FOUND");
  REQUIRE(ReasonOf(f.core->RejectRefundRequest(shop, "not-a-uuid", "no").status()) ==
          "REFUND_REQUEST_NOT_FOUND");

  // The shop rejects the rest: REJECTED, the 3000 refunded kept, the customer's event written.
  f.clock.Advance(absl::Minutes(3));
  auto rejected = f.core->RejectRefundRequest(shop, asked.refund_request_id, "rest was used");
  REQUIRE(rejected.ok());
  REQUIRE(rejected->status == kRefundRequestRejected);
  REQUIRE(rejected->refunded_minor == 3'000);
  REQUIRE(rejected->decision_reason == "rest was used");
  now = RequestNow(f, asked);
  REQUIRE(now.status == kRefundRequestRejected);
  REQUIRE(now.refunded_minor == 3'000);
  REQUIRE(now.decision_reason == "rest was used");
  REQUIRE(now.decided_at == f.clock.Now());
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'payments.refund_request_rejected' "
                  "AND subject_id = 'alice' AND payload::jsonb->>'refund_request_id' = '" +
                  asked.refund_request_id +
                  "' AND payload::jsonb->>'reason' = 'rest was used' "
                  "AND payload::jsonb->>'payment_id' = '" +
                  paid.payment_id + "'") == 1);
  // Decided: not again, and no linked refund any more.
  auto again = f.core->RejectRefundRequest(shop, asked.refund_request_id, "again");
  REQUIRE(again.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ReasonOf(again.status()) == "REFUND_REQUEST_NOT_OPEN");
  REQUIRE(ReasonOf(f.core
                       ->MerchantRefund(shop, {.idempotency_key = "late",
                                               .payment_id = paid.payment_id,
                                               .amount = Amount{500, "CNY"},
                                               .refund_request_id = asked.refund_request_id})
                       .status()) == "INVALID_STATE");
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = "
                  "'payments.refund_request_rejected'") == 1);
  // The table's CHECK is the second guard: refunded + reserved never passes the request.
  REQUIRE_FALSE(
      f.schema.pool().Exec("UPDATE refund_requests SET refunded_minor = amount_minor + 1").ok());
}

TEST_CASE("pg: partial then full linked refunds; a fully refunded request cannot be rejected") {
  PgFixture f;
  const Caller shop{.user_id = "shop"};
  const auto paid_and_asked = PayAndAsk(f, "1", 10'000, 5'000);
  const Payment& paid = paid_and_asked.first;
  const RefundRequestRecord& asked = paid_and_asked.second;
  auto part = f.core->MerchantRefund(shop, {.idempotency_key = "a",
                                            .payment_id = paid.payment_id,
                                            .amount = Amount{2'000, "CNY"},
                                            .refund_request_id = asked.refund_request_id});
  REQUIRE(part.ok());
  RefundRequestRecord now = RequestNow(f, asked);
  REQUIRE(now.status == kRefundRequestPartiallyRefunded);
  REQUIRE(now.refunded_minor == 2'000);
  REQUIRE(now.refund_payment_id == part->refund.payment_id);
  // More than the rest of the request is refused; nothing is reserved by the refusal.
  REQUIRE(ReasonOf(f.core
                       ->MerchantRefund(shop, {.idempotency_key = "b",
                                               .payment_id = paid.payment_id,
                                               .amount = Amount{3'001, "CNY"},
                                               .refund_request_id = asked.refund_request_id})
                       .status()) == "REFUND_EXCEEDS_REQUEST");
  REQUIRE(RequestNow(f, asked).reserved_minor == 0);
  // Without an amount: the rest of the request.
  f.clock.Advance(absl::Minutes(1));
  auto rest = f.core->MerchantRefund(shop, {.idempotency_key = "c",
                                            .payment_id = paid.payment_id,
                                            .refund_request_id = asked.refund_request_id});
  REQUIRE(rest.ok());
  REQUIRE(rest->refund.amount_minor == 3'000);
  REQUIRE(rest->original.refunded_minor == 5'000);
  REQUIRE(rest->original.status == PaymentStatus::kSucceeded);
  now = RequestNow(f, asked);
  REQUIRE(now.status == kRefundRequestRefunded);
  REQUIRE(now.refunded_minor == 5'000);
  REQUIRE(now.refund_payment_id == rest->refund.payment_id);
  REQUIRE(now.decided_at == f.clock.Now());
  REQUIRE(ReasonOf(f.core->RejectRefundRequest(shop, asked.refund_request_id, "no").status()) ==
          "REFUND_REQUEST_NOT_OPEN");
}

TEST_CASE("pg: customers and merchants page through refund requests, newest first") {
  PgFixture f;
  f.auth.Add("other-shop", "O*p", "", true);
  std::vector<std::string> ids;  // oldest first
  std::vector<std::string> payment_ids;
  for (int i = 0; i < 5; ++i) {
    f.clock.Advance(absl::Seconds(1));
    auto [paid, asked] = PayAndAsk(f, std::to_string(i), 1'000, 100);
    ids.push_back(asked.refund_request_id);
    payment_ids.push_back(paid.payment_id);
  }
  // Bob's request on another shop's payment is in neither list.
  f.ledger.balances[testing::AccountKey({AccountRef::Kind::kUserWallet, "bob", "CNY"})] = 10'000;
  f.auth.GrantStepUp("bob", "tb", StepUpAction::kSetPaymentPin);
  REQUIRE(f.core->SetPaymentPin({.user_id = "bob"}, "135792", "tb").ok());
  auto bobs = f.core->PayMerchant({.user_id = "bob"}, {.idempotency_key = "b",
                                                       .merchant_id = "other-shop",
                                                       .amount = Amount{500, "CNY"},
                                                       .pin = "135792"});
  REQUIRE(bobs.ok());
  REQUIRE(f.core
              ->RequestRefund({.user_id = "bob"},
                              {.idempotency_key = "bq", .payment_id = bobs->payment_id})
              .ok());
  REQUIRE(f.core->RejectRefundRequest({.user_id = "shop"}, ids[3], "no").ok());

  auto collect = [&](RefundRequestQuery query, int page_size) {
    std::vector<std::string> seen;
    std::string token;
    for (int page = 0; page < 10; ++page) {
      auto got = f.core->ListRefundRequests(query, page_size, token);
      REQUIRE(got.ok());
      REQUIRE(static_cast<int>(got->first.size()) <= page_size);
      for (const auto& r : got->first) seen.push_back(r.refund_request_id);
      token = got->second;
      if (token.empty()) break;
    }
    return seen;
  };
  const std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  REQUIRE(collect({.user_id = "alice"}, 2) == newest_first);
  REQUIRE(collect({.merchant_id = "shop"}, 2) == newest_first);
  REQUIRE(collect({.merchant_id = "shop", .statuses = {kRefundRequestRejected}}, 2) ==
          std::vector<std::string>{ids[3]});
  REQUIRE(collect({.merchant_id = "shop", .statuses = {kRefundRequestRequested}}, 3) ==
          std::vector<std::string>{ids[4], ids[2], ids[1], ids[0]});
  const auto bob_list = collect({.user_id = "bob"}, 10);
  REQUIRE(bob_list.size() == 1);
  REQUIRE(collect({.merchant_id = "other-shop"}, 10) == bob_list);
  REQUIRE(ReasonOf(f.core->ListRefundRequests({.user_id = "alice"}, 2, "garbage").status()) ==
          "PAGE_TOKEN_INVALID");

  // One payment's requests: a second one on payment 1, then the customer's filter and staff's list.
  f.clock.Advance(absl::Seconds(1));
  auto again = f.core->RequestRefund(f.alice, {.idempotency_key = "ask-1-again",
                                               .payment_id = payment_ids[1],
                                               .amount = Amount{200, "CNY"},
                                               .reason = "and the lid"});
  REQUIRE(again.ok());
  const std::vector<std::string> on_payment_1{again->refund_request_id, ids[1]};
  REQUIRE(collect({.user_id = "alice", .payment_id = payment_ids[1]}, 1) == on_payment_1);
  REQUIRE(collect({.user_id = "bob", .payment_id = payment_ids[1]}, 10).empty());
  auto staff = f.core->PaymentRefundRequests(payment_ids[1]);
  REQUIRE(staff.ok());
  REQUIRE(staff->size() == 2);
  REQUIRE((*staff)[0].refund_request_id == again->refund_request_id);
  REQUIRE((*staff)[0].reason == "and the lid");
  auto rejected = f.core->PaymentRefundRequests(payment_ids[3]);
  REQUIRE(rejected.ok());
  REQUIRE(rejected->size() == 1);
  REQUIRE((*rejected)[0].status == kRefundRequestRejected);
  REQUIRE((*rejected)[0].decision_reason == "no");
  REQUIRE(f.core->PaymentRefundRequests(bobs->payment_id)->size() == 1);
  REQUIRE(ReasonOf(f.core->PaymentRefundRequests("not-a-payment").status()) == "PAYMENT_NOT_FOUND");
  REQUIRE(ReasonOf(f.core->PaymentRefundRequests("").status()) == "PAYMENT_NOT_FOUND");
  REQUIRE(ReasonOf(f.core->ListRefundRequests({.user_id = "alice", .payment_id = "x"}, 2, "")
                       .status()) == "PAYMENT_NOT_FOUND");
}

// Applies the migrations older than `version` (the state a database was in before it).
void MigrateBefore(uwallet::testing::PgSchema& schema, int version) {
  std::vector<pg::Migration> before;
  for (const pg::Migration& m : Migrations()) {
    if (m.version < version) before.push_back(m);
  }
  REQUIRE(before.back().version == version - 1);
  UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), before));
}

TEST_CASE("pg: migration 0003 carries refund requests over and fixes wrongly closed ones") {
  uwallet::testing::PgSchema schema{"payments", 4};
  MigrateBefore(schema, 3);
  // A merchant payment P of 10000 with a linked refund of 1000 (succeeded) and one of 2000 (in
  // flight); Q of 5000 refunded in full.
  const std::string p = "00000000-0000-7000-8000-000000000001";
  const std::string r1 = "00000000-0000-7000-8000-000000000002";
  const std::string r2 = "00000000-0000-7000-8000-000000000003";
  const std::string q = "00000000-0000-7000-8000-000000000004";
  const std::string rq = "00000000-0000-7000-8000-000000000005";
  auto payment = [&](const std::string& id, int kind, int status, int64_t amount, int64_t refunded,
                     const std::string& original) {
    const bool refund = kind == 5;
    REQUIRE(schema.pool()
                .Exec("INSERT INTO payments (payment_id, owner_user_id, idempotency_key, "
                      "request_digest, kind, status, payer, payee, payer_user_id, payee_user_id, "
                      "amount_minor, fee_minor, refunded_minor, currency, original_payment_id, "
                      "created_at, updated_at) VALUES ($1::uuid, $2, $1, '', $3, $4, $5::jsonb, "
                      "$6::jsonb, $7, $8, $9, 0, $10, 'CNY', $11::uuid, now(), now())",
                      pg::P(id, refund ? "shop" : "alice", kind, status,
                            refund ? R"({"k":2,"m":"shop"})" : R"({"k":1,"u":"alice"})",
                            refund ? R"({"k":1,"u":"alice"})" : R"({"k":2,"m":"shop"})",
                            refund ? "shop" : "alice", refund ? "alice" : "shop", amount, refunded,
                            original.empty() ? pg::Param() : pg::Param(original)))
                .ok());
  };
  payment(p, 2, 3, 10'000, 3'000, "");
  payment(r1, 5, 3, 1'000, 0, p);
  payment(r2, 5, 1, 2'000, 0, p);
  payment(q, 2, 5, 5'000, 5'000, "");
  payment(rq, 5, 3, 5'000, 0, q);
  auto request = [&](const std::string& id, const std::string& on, int64_t amount, int status,
                     const std::string& refund) {
    REQUIRE(schema.pool()
                .Exec("INSERT INTO refund_requests (refund_request_id, user_id, idempotency_key, "
                      "payment_id, amount_minor, currency, status, refund_payment_id, "
                      "created_at, decided_at) VALUES ($1::uuid, 'alice', $1, $2::uuid, $3, "
                      "'CNY', $4, $5, now(), $6::timestamptz)",
                      pg::P(id, on, amount, status, refund,
                            status == 2 ? pg::Param("2026-12-01 00:00:00+00") : pg::Param()))
                .ok());
  };
  const std::string wrongly_closed = "00000000-0000-7000-8000-0000000000a1";
  const std::string in_flight = "00000000-0000-7000-8000-0000000000a2";
  const std::string answered_in_full = "00000000-0000-7000-8000-0000000000a3";
  const std::string waiting = "00000000-0000-7000-8000-0000000000a4";
  request(wrongly_closed, p, 3'000, 2, r1);  // the bug: 1000 of 3000 marked REFUNDED
  request(in_flight, p, 2'000, 1, r2);
  request(answered_in_full, q, 1'000, 2, rq);
  request(waiting, p, 500, 1, "");

  UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations()));
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  UuidV7Generator ids{clock};
  events::Outbox outbox{"payments", ids, clock};
  PgPaymentStore store(schema.pool(), outbox, absl::UTCTimeZone());
  auto get = [&](const std::string& id) {
    auto got = store.GetRefundRequest(id);
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    return **got;
  };
  RefundRequestRecord fixed = get(wrongly_closed);
  REQUIRE(fixed.status == kRefundRequestPartiallyRefunded);
  REQUIRE(fixed.refunded_minor == 1'000);
  REQUIRE(fixed.decided_at == absl::InfinitePast());
  REQUIRE(fixed.merchant_id == "shop");
  RefundRequestRecord reserved = get(in_flight);
  REQUIRE(reserved.status == kRefundRequestRequested);
  REQUIRE(reserved.reserved_minor == 2'000);
  REQUIRE(reserved.refund_payment_id.empty());
  REQUIRE(get(answered_in_full).status == kRefundRequestRefunded);
  REQUIRE(get(answered_in_full).refunded_minor == 1'000);
  REQUIRE(get(waiting).status == kRefundRequestRequested);
  REQUIRE(get(waiting).refunded_minor == 0);
  // The refund in flight before the migration completes its request afterwards.
  REQUIRE(store.CompleteRefund(r2, true, "", {"ledger-1"}, clock.Now()).ok());
  reserved = get(in_flight);
  REQUIRE(reserved.status == kRefundRequestRefunded);
  REQUIRE(reserved.refunded_minor == 2'000);
  REQUIRE(reserved.reserved_minor == 0);
  REQUIRE(reserved.refund_payment_id == r2);
}

TEST_CASE("pg: migration 0004 closes open refund requests on transfers, with the reason") {
  uwallet::testing::PgSchema schema{"payments", 4};
  MigrateBefore(schema, 4);
  // A transfer T (kind 1) and a merchant payment M (kind 2), both succeeded; an open request on
  // each, and a request on T already answered by T's full refund.
  const std::string t = "00000000-0000-7000-8000-000000000011";
  const std::string m = "00000000-0000-7000-8000-000000000012";
  for (const auto& [id, kind] : {std::pair{t, 1}, std::pair{m, 2}}) {
    REQUIRE(schema.pool()
                .Exec("INSERT INTO payments (payment_id, owner_user_id, idempotency_key, "
                      "request_digest, kind, status, payer, payee, payer_user_id, payee_user_id, "
                      "amount_minor, fee_minor, refunded_minor, currency, created_at, updated_at) "
                      "VALUES ($1::uuid, 'alice', $1, '', $2, 3, '{}'::jsonb, '{}'::jsonb, "
                      "'alice', 'bob', 1000, 0, 0, 'CNY', now(), now())",
                      pg::P(id, kind))
                .ok());
  }
  const std::string on_transfer = "00000000-0000-7000-8000-0000000000b1";
  const std::string on_merchant = "00000000-0000-7000-8000-0000000000b2";
  const std::string answered = "00000000-0000-7000-8000-0000000000b3";
  for (const auto& [id, on, status] :
       {std::tuple{on_transfer, t, 1}, std::tuple{on_merchant, m, 1}, std::tuple{answered, t, 2}}) {
    REQUIRE(schema.pool()
                .Exec("INSERT INTO refund_requests (refund_request_id, user_id, idempotency_key, "
                      "payment_id, amount_minor, currency, status, created_at) VALUES "
                      "($1::uuid, 'alice', $1, $2::uuid, 500, 'CNY', $3, now())",
                      pg::P(id, on, status))
                .ok());
  }
  UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations()));
  auto row = [&](const std::string& id) {
    return schema.pool()
        .Exec(
            "SELECT status, decision_reason, decided_at IS NOT NULL FROM refund_requests "
            "WHERE refund_request_id = $1::uuid",
            pg::P(id))
        .value();
  };
  pg::Result closed = row(on_transfer);
  REQUIRE(closed.Int(0, 0) == 3);
  REQUIRE(closed.String(0, 1) ==
          "A transfer to a person is not refunded on request: ask them to send it back, or open "
          "a dispute.");
  REQUIRE(closed.Bool(0, 2));
  REQUIRE(row(on_merchant).Int(0, 0) == 1);  // a merchant still answers it
  REQUIRE(row(answered).Int(0, 0) == 2);     // already answered by the refund
}

TEST_CASE("pg: the card table never holds a card number") {
  PgFixture f;
  auto card = f.core->AddBankCard(f.alice, {.card_number = "4111 1111 1111 1111",
                                            .holder_name = "Li Lei",
                                            .expiry_month = 12,
                                            .expiry_year = 2035});
  REQUIRE(card.ok());
  REQUIRE(f.Count("SELECT count(*) FROM bank_cards WHERE last4 = '1111'") == 1);
  REQUIRE(f.Count("SELECT count(*) FROM bank_cards b WHERE (SELECT string_agg(t::text, ' ') "
                  "FROM (SELECT b.*) t) ~ '4111111111111111'") == 0);
  REQUIRE(f.Count("SELECT count(*) FROM payments_audit") == 0);
  // The constraint refuses a number even if code tried to store one.
  auto raw = f.schema.pool().Exec(
      "INSERT INTO bank_cards (card_id, user_id, token, brand, last4, holder_name, expiry_month, "
      "expiry_year, created_at) VALUES (gen_random_uuid(), 'x', '4111111111111111', 2, '1111', "
      "'Li', 1, 2030, now())");
  REQUIRE(raw.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(f.core->ListBankCards("alice")->size() == 1);
  REQUIRE(f.core->RemoveBankCard("alice", card->card_id).ok());
  REQUIRE(f.core->ListBankCards("alice")->empty());
}

TEST_CASE("pg: a PIN hash is replaced only while it is still the one that was checked") {
  PgFixture f;
  const std::string before = f.store->GetPin("alice").value()->hash;
  // A PIN changed meanwhile wins over a rehash of the old one.
  REQUIRE(f.store->ReplacePinHash("alice", "not-the-stored-hash", "uwpin1$x$y").ok());
  REQUIRE(f.store->GetPin("alice").value()->hash == before);
  REQUIRE(f.store->ReplacePinHash("alice", before, "uwpin1$x$y").ok());
  REQUIRE(f.store->GetPin("alice").value()->hash == "uwpin1$x$y");
  // Attempts and lockouts are left as they were.
  REQUIRE(f.store->GetPin("alice").value()->failed_attempts == 0);
}

TEST_CASE("pg: PIN lockout grows; refunds stay within the original; withdrawal lifecycle") {
  PgFixture f;
  auto wrong = [&] {
    auto command = f.ToBob(100, "w" + std::to_string(f.Count("SELECT count(*) FROM payments")));
    command.pin = "999999";
    return f.core->Transfer(f.alice, command).status();
  };
  for (int i = 0; i < 4; ++i) REQUIRE(ReasonOf(wrong()) == "WRONG_PIN");
  auto locked = wrong();
  REQUIRE(ReasonOf(locked) == "PIN_LOCKED");
  REQUIRE(MetadataOf(locked)["retry_after_s"] == "901");
  f.clock.Advance(absl::Minutes(15));
  for (int i = 0; i < 4; ++i) REQUIRE(ReasonOf(wrong()) == "WRONG_PIN");
  REQUIRE(MetadataOf(wrong())["retry_after_s"] == "1801");
  f.clock.Advance(absl::Minutes(30));

  auto paid = f.core->PayMerchant(f.alice, {.idempotency_key = "m1",
                                            .merchant_id = "shop",
                                            .amount = Amount{10'000, "CNY"},
                                            .pin = "246810"});
  REQUIRE(paid.ok());
  Caller shop{.user_id = "shop"};
  std::vector<std::thread> threads;
  std::atomic<int> refunded{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto r = f.core->MerchantRefund(shop, {.idempotency_key = "r" + std::to_string(i),
                                             .payment_id = paid->payment_id,
                                             .amount = Amount{3'000, "CNY"},
                                             .reason = "partial"});
      if (r.ok()) ++refunded;
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(refunded == 3);  // 3 × 3,000 ≤ 10,000 < 4 × 3,000
  auto original = f.core->GetAnyPayment(paid->payment_id);
  REQUIRE(original->refunded_minor == 9'000);
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'payments.refunded'") == 3);

  auto card = f.core->AddBankCard(f.alice, {.card_number = "4111 1111 1111 1111",
                                            .holder_name = "Li Lei",
                                            .expiry_month = 12,
                                            .expiry_year = 2035});
  auto pending = f.core->Withdraw(f.alice, {.idempotency_key = "wd",
                                            .bank_card_id = card->card_id,
                                            .amount = {100'000, "CNY"},
                                            .pin = "246810"});
  REQUIRE(pending.ok());
  REQUIRE(pending->status == PaymentStatus::kPending);
  f.clock.Advance(absl::Seconds(31));
  REQUIRE(*f.core->RunDueChecks() == 1);
  auto done = f.core->GetPayment("alice", pending->payment_id);
  REQUIRE(done->status == PaymentStatus::kSucceeded);
  REQUIRE(done->history.size() == 2);
  REQUIRE(f.ledger.Balance({AccountRef::Kind::kFeeRevenue, "", "CNY"}) == 100);
}

}  // namespace
}  // namespace uwallet::payments
