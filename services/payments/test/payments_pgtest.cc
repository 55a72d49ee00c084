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
  // Four concurrent refunds answer the same request: exactly one is linked to it.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::mutex ids_mutex;
  std::string linked_refund;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = core.MerchantRefund(shop, {.idempotency_key = "r" + std::to_string(i),
                                          .payment_id = paid->payment_id,
                                          .amount = Amount{1'000, "CNY"},
                                          .reason = "ok",
                                          .refund_request_id = q1->refund_request_id});
      if (r.ok()) {
        ++ok;
        std::lock_guard<std::mutex> lock(ids_mutex);
        linked_refund = r->refund.payment_id;
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(ok == 1);
  REQUIRE(f.Count("SELECT count(*) FROM refund_requests WHERE status = 2 AND "
                  "refund_payment_id = '" +
                  linked_refund + "'") == 1);
  auto q1_now = core.RequestRefund(f.alice, {.idempotency_key = "q1",
                                             .payment_id = paid->payment_id,
                                             .amount = Amount{3'000, "CNY"},
                                             .reason = "broken"});
  REQUIRE(q1_now->status == kRefundRequestRefunded);
  REQUIRE(q1_now->refund_payment_id == linked_refund);
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
  REQUIRE(reversed->refund.amount_minor == 9'000);
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
  REQUIRE(f.Count("SELECT count(*) FROM refund_requests WHERE status = 1") == 0);
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
