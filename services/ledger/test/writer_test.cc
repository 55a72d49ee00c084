// The batching writer against the in-memory store: requests arriving together share one
// transaction, each gets its own result, a failing batch is re-run one by one, the queue is
// bounded.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "services/ledger/storage/batching_writer.h"
#include "services/ledger/storage/pg_store.h"
#include "services/ledger/test/fake_store.h"

namespace uwallet::ledger {
namespace {

const std::string kBank = "00000000-0000-7000-8000-000000000001";
const std::string kAlice = "00000000-0000-7000-8000-00000000000a";
const std::string kBob = "00000000-0000-7000-8000-00000000000b";

struct Fixture {
  FakeClock clock;
  UuidV7Generator ids{clock};
  PostingEngine engine{clock, ids};
  ledger::testing::FakeStore store;
  Fixture() {
    store.AddAccount(kBank, AccountKind::kBankSettlement, "CNY");
    store.AddAccount(kAlice, AccountKind::kUserWallet, "CNY", 1'000);
    store.AddAccount(kBob, AccountKind::kUserWallet, "CNY");
  }
};

Operation Pay(const std::string& key, int64_t amount) {
  return {.type = OperationType::kPostTransfers,
          .caller = "payments",
          .idempotency_key = key,
          .transfers = {{.debit_account_id = kAlice,
                         .credit_account_id = kBob,
                         .amount_minor = amount,
                         .currency = "CNY",
                         .kind = TransferKind::kP2p}}};
}

TEST_CASE("requests that arrive together share one transaction, each with its own result") {
  Fixture f;
  BatchingWriter writer(
      f.engine, f.store,
      {.batch_max = 8, .wait_max = absl::Seconds(5), .workers = 1, .eager_when_idle = false});
  writer.Start();
  std::vector<std::future<OperationResult>> results;
  for (int i = 0; i < 8; ++i) {
    auto promise = std::make_shared<std::promise<OperationResult>>();
    results.push_back(promise->get_future());
    // 8 × 150 = 1,200 > 1,000: the last two cannot be paid.
    writer.Submit(Pay("k" + std::to_string(i), 150),
                  [promise](OperationResult r) { promise->set_value(std::move(r)); });
  }
  int ok = 0, insufficient = 0;
  for (auto& result : results) {
    OperationResult r = result.get();  // the 8th submission closes the window early
    if (r.status.ok()) ++ok;
    if (ReasonOf(r.status) == "INSUFFICIENT_FUNDS") ++insufficient;
  }
  REQUIRE(ok == 6);
  REQUIRE(insufficient == 2);
  const WriterStats stats = writer.Stats();
  REQUIRE(stats.batches == 1);
  REQUIRE(stats.largest_batch == 8);
  REQUIRE(f.store.transactions_run == 1);
  REQUIRE(f.store.BalanceOf(kBob).Posted() == 900);
  writer.Stop();
}

TEST_CASE("an idle writer sends a lone request at once instead of waiting for its window") {
  Fixture f;
  // The window is an hour: if the writer waited for it, this test would hang (and time out).
  BatchingWriter writer(f.engine, f.store, {.wait_max = absl::Hours(1), .workers = 1});
  writer.Start();
  REQUIRE(writer.Execute(Pay("alone", 1)).status.ok());
  REQUIRE(writer.Stats().batches == 1);
  writer.Stop();
}

TEST_CASE("a batch that fails as a whole is re-run one operation at a time") {
  Fixture f;
  // The "database" refuses any batch with more than one record in it.
  f.store.apply_error = [](const BatchEffects& effects) {
    return effects.records.size() > 1 ? absl::InternalError("boom") : absl::OkStatus();
  };
  BatchingWriter writer(
      f.engine, f.store,
      {.batch_max = 4, .wait_max = absl::Seconds(5), .workers = 1, .eager_when_idle = false});
  writer.Start();
  std::vector<std::future<OperationResult>> results;
  for (int i = 0; i < 4; ++i) {
    auto promise = std::make_shared<std::promise<OperationResult>>();
    results.push_back(promise->get_future());
    writer.Submit(Pay("f" + std::to_string(i), 10),
                  [promise](OperationResult r) { promise->set_value(std::move(r)); });
  }
  for (auto& result : results) REQUIRE(result.get().status.ok());
  REQUIRE(writer.Stats().fallbacks == 1);
  REQUIRE(f.store.BalanceOf(kBob).Posted() == 40);
  writer.Stop();
}

TEST_CASE("an unavailable database is everyone's answer, with the retry reason") {
  Fixture f;
  f.store.apply_error = [](const BatchEffects&) {
    return absl::UnavailableError("database connection lost");
  };
  BatchingWriter writer(f.engine, f.store, {.wait_max = absl::ZeroDuration(), .workers = 1});
  writer.Start();
  OperationResult result = writer.Execute(Pay("u", 1));
  REQUIRE(result.status.code() == absl::StatusCode::kUnavailable);
  REQUIRE(ReasonOf(result.status) == "DEPENDENCY_UNAVAILABLE");
  writer.Stop();
}

TEST_CASE("a stopped writer refuses; a full queue answers RESOURCE_EXHAUSTED") {
  Fixture f;
  BatchingWriter writer(f.engine, f.store, {.queue_max = 2});
  REQUIRE(writer.Execute(Pay("s", 1)).status.code() == absl::StatusCode::kUnavailable);
  // Not started: nothing drains the queue, so it fills up. Start → refused; use a started writer
  // whose single worker is held up by the store's lock instead.
  BatchingWriter busy(
      f.engine, f.store,
      {.batch_max = 1, .wait_max = absl::ZeroDuration(), .workers = 1, .queue_max = 2});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> blocked{false};
  f.store.before_apply = [&](ledger::testing::FakeState&) {
    if (!blocked.exchange(true)) released.wait();
  };
  busy.Start();
  std::vector<std::future<OperationResult>> results;
  auto submit = [&](const std::string& key) {
    auto promise = std::make_shared<std::promise<OperationResult>>();
    results.push_back(promise->get_future());
    busy.Submit(Pay(key, 1), [promise](OperationResult r) { promise->set_value(std::move(r)); });
  };
  submit("q0");
  while (!blocked.load()) std::this_thread::yield();  // q0 is inside its transaction
  submit("q1");
  submit("q2");
  submit("q3");  // the queue holds q1 and q2: this one is refused at once
  REQUIRE(results[3].get().status.code() == absl::StatusCode::kResourceExhausted);
  release.set_value();
  for (int i = 0; i < 3; ++i) REQUIRE(results[i].get().status.ok());
  busy.Stop();
}

TEST_CASE("array literals quote every element and escape quotes and backslashes") {
  ArrayLiteral array;
  array.Add("plain");
  array.Add(R"(say "hi")");
  array.Add(R"(back\slash)");
  array.AddNull();
  array.Add("");
  REQUIRE(array.Finish() == R"({"plain","say \"hi\"","back\\slash",NULL,""})");
  REQUIRE(ArrayLiteral().Finish() == "{}");
}

}  // namespace
}  // namespace uwallet::ledger
