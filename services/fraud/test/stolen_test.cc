// The stolen-account sequence with fakes: interrupted midway and retried, every step takes effect
// exactly once; anonymous proof; flagging a transaction.
#include <catch2/catch.hpp>

#include "services/fraud/core/stolen.h"
#include "services/fraud/test/fakes.h"

namespace uwallet::fraud {
namespace {

struct World {
  testing::FakeStolenStore store;
  testing::FakeAuth auth;
  testing::FakeLedger ledger;
  testing::FakePayments payments;
  testing::FakeSupport support;
  notify::FakeNotifier notifier;
  FakeClock clock;
  StolenAccountFlow flow{store, auth, ledger, payments, support, notifier, clock};
  World() {
    ledger.holds = {{"hold-1", true}, {"hold-2", true}};
    Features f;
    f.recent_transfers.push_back({"tx-9", 88'800, "CNY", "stranger", 3, clock.Now()});
    store.features["user-1"] = f;
  }
  bool AllDone(const StolenReport& report) { return testing::FakeStolenStore::Finished(report); }
};

TEST_CASE("signed in: one call does every step once; a second call repeats none") {
  World w;
  auto first = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(first.ok());
  CHECK(first->pending_error.ok());
  CHECK(w.AllDone(first->report));
  CHECK(w.auth.frozen.count("user-1") == 1);
  CHECK(w.ledger.frozen.count("user-1") == 1);
  CHECK(w.ledger.void_calls == 2);
  CHECK(w.payments.cancel_calls == 1);
  CHECK(w.support.open_calls == 1);
  CHECK(first->report.ticket_id == "ticket-1");
  REQUIRE(w.support.requests.size() == 1);
  CHECK(w.support.requests[0].body.find("tx-9") != std::string::npos);  // recent transactions
  CHECK(w.notifier.sent.size() == 3);                                   // push, SMS, email

  auto second = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(second.ok());
  CHECK(second->report.case_id == first->report.case_id);
  CHECK(w.auth.freeze_calls == 1);
  CHECK(w.ledger.freeze_calls == 1);
  CHECK(w.ledger.void_calls == 2);
  CHECK(w.payments.cancel_calls == 1);
  CHECK(w.support.open_calls == 1);
  CHECK(w.notifier.sent.size() == 3);
  CHECK(w.store.cases_opened == 1);
}

TEST_CASE("interrupted midway, a retry completes the remaining steps exactly once") {
  World w;
  w.payments.cancel_failure.remaining = 1;
  w.support.ticket_failure.remaining = 1;
  auto first = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(first.ok());  // the account is frozen: the call succeeds
  CHECK_FALSE(first->pending_error.ok());
  CHECK(first->report.Done(StolenStep::kFreezeLogin));
  CHECK(first->report.Done(StolenStep::kFreezeWallet));
  CHECK(first->report.Done(StolenStep::kVoidHolds));
  CHECK_FALSE(first->report.Done(StolenStep::kCancelSchedules));
  CHECK_FALSE(first->report.Done(StolenStep::kOpenTicket));
  CHECK(first->report.Done(StolenStep::kNotify));

  // A different key while the report is unfinished continues the same report and case.
  auto retry = w.flow.Report({.user_id = "user-1", .idempotency_key = "k2"});
  REQUIRE(retry.ok());
  CHECK(retry->pending_error.ok());
  CHECK(w.AllDone(retry->report));
  CHECK(retry->report.report_id == first->report.report_id);
  CHECK(w.auth.freeze_calls == 1);
  CHECK(w.ledger.freeze_calls == 1);
  CHECK(w.ledger.void_calls == 2);
  CHECK(w.payments.cancel_calls == 1);
  CHECK(w.support.open_calls == 1);
  CHECK(w.notifier.sent.size() == 3);
  for (const auto& [step, count] : w.store.marks) {
    INFO("step " << static_cast<int>(step));
    CHECK(count == 1);
  }
}

TEST_CASE("when the freeze fails the call fails and nothing after it runs") {
  World w;
  w.ledger.freeze_failure.remaining = 1;
  auto first = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  CHECK(absl::IsUnavailable(first.status()));
  CHECK(w.auth.freeze_calls == 1);
  CHECK(w.ledger.void_calls == 0);
  CHECK(w.support.open_calls == 0);
  auto retry = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(retry.ok());
  CHECK(w.AllDone(retry->report));
  CHECK(w.auth.freeze_calls == 1);  // done before the failure: not repeated
  CHECK(w.ledger.freeze_calls == 1);
}

TEST_CASE("a crash between a step and its record repeats nothing visible") {
  World w;
  // The step record of void-holds fails after the holds were voided (as if the process died).
  w.store.mark_failure.remaining = 0;
  auto first = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(first.ok());
  // Simulate: forget that void-holds and the ticket were recorded, then retry.
  w.store.reports.begin()->second.done.erase(StolenStep::kVoidHolds);
  w.store.reports.begin()->second.done.erase(StolenStep::kOpenTicket);
  w.ledger.holds = {{"hold-1", true}, {"hold-2", true}};  // still listed as pending
  auto retry = w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"});
  REQUIRE(retry.ok());
  CHECK(w.ledger.void_calls == 2);   // same idempotency keys: the ledger replays
  CHECK(w.support.open_calls == 1);  // same ticket key: the same ticket
  CHECK(retry->report.ticket_id == "ticket-1");
}

TEST_CASE("the background resumer finishes reports left pending") {
  World w;
  w.payments.cancel_failure.remaining = 1;
  REQUIRE(w.flow.Report({.user_id = "user-1", .idempotency_key = "k1"}).ok());
  w.clock.Advance(absl::Minutes(2));
  auto completed = w.flow.ResumeUnfinished(absl::Minutes(1), 10);
  REQUIRE(completed.ok());
  CHECK(*completed == 1);
  CHECK(w.payments.cancel_calls == 1);
  CHECK(w.AllDone(w.store.reports.begin()->second));
}

TEST_CASE("anonymous with a code; a retry with the same key needs no second code") {
  World w;
  auto bad =
      w.flow.Report({.idempotency_key = "k1", .destination = "+8613800000000", .code = "000000"});
  CHECK_FALSE(bad.ok());
  auto none = w.flow.Report({.idempotency_key = "k1"});
  CHECK(absl::IsUnauthenticated(none.status()));
  auto good =
      w.flow.Report({.idempotency_key = "k1", .destination = "+8613800000000", .code = "123456"});
  REQUIRE(good.ok());
  CHECK(good->report.user_id == "user-1");
  const int verifies = w.auth.verify_calls;
  auto again =
      w.flow.Report({.idempotency_key = "k1", .destination = "+8613800000000", .code = "123456"});
  REQUIRE(again.ok());
  CHECK(w.auth.verify_calls == verifies);
  CHECK(again->report.report_id == good->report.report_id);
  CHECK(w.auth.freeze_calls == 1);
}

TEST_CASE("flagging a transaction opens one dispute ticket; unknown transactions are refused") {
  World w;
  CHECK(absl::IsNotFound(
      w.flow.FlagTransaction({.user_id = "user-1", .transaction_id = "tx-other"}).status()));
  auto flag = w.flow.FlagTransaction({.user_id = "user-1", .transaction_id = "tx-9"});
  REQUIRE(flag.ok());
  CHECK_FALSE(flag->ticket_id.empty());
  REQUIRE(w.support.requests.size() == 1);
  CHECK(w.support.requests[0].dispute);
  auto again = w.flow.FlagTransaction({.user_id = "user-1", .transaction_id = "tx-9"});
  REQUIRE(again.ok());
  CHECK(again->ticket_id == flag->ticket_id);
  CHECK(w.support.open_calls == 1);
}

TEST_CASE("bad input is refused with a clear reason") {
  World w;
  CHECK(absl::IsInvalidArgument(w.flow.Report({.user_id = "user-1"}).status()));
  CHECK(absl::IsInvalidArgument(
      w.flow.Report({.user_id = "user-1", .idempotency_key = std::string(200, 'k')}).status()));
}

}  // namespace
}  // namespace uwallet::fraud
