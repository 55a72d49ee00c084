// The ledger against a real PostgreSQL (UWALLET_TEST_PG_DSN): the schema's own refusals, every
// error reason through the batching writer, holds, linked batches, idempotency under concurrency,
// pagination while transfers arrive, statements, spending summary and the trial balance.
#include <catch2/catch.hpp>

#include <atomic>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "services/ledger/core/codec.h"
#include "services/ledger/core/engine.h"
#include "services/ledger/core/queries.h"
#include "services/ledger/schema/migrations.h"
#include "services/ledger/storage/batching_writer.h"
#include "services/ledger/storage/hold_sweeper.h"
#include "services/ledger/storage/pg_store.h"
#include "uwallet/common/check.h"
#include "uwallet/testing/pg_fixture.h"

namespace uwallet::ledger {
namespace {

// One ledger "replica": its own pool, store, engine and writer on the shared schema.
struct Replica {
  Replica(std::unique_ptr<pg::Pool> pool_in, Clock& clock, IdGenerator& ids,
          WriterOptions options = {})
      : pool(std::move(pool_in)),
        outbox("ledger", ids, clock),
        store(*pool, outbox),
        reader(*pool, outbox),
        engine(clock, ids),
        writer(engine, store, options),
        queries(reader, reader, clock, ids, "Asia/Shanghai") {
    writer.Start();
  }
  ~Replica() { writer.Stop(); }
  std::unique_ptr<pg::Pool> pool;
  events::Outbox outbox;
  PgLedgerStore store;
  PgLedgerReader reader;
  PostingEngine engine;
  BatchingWriter writer;
  LedgerQueries queries;
};

struct Fixture {
  testing::PgSchema schema{"ledger", 2};
  FakeClock clock{absl::FromCivil(absl::CivilSecond(2031, 5, 17, 12, 0, 0), absl::UTCTimeZone())};
  UuidV7Generator ids{clock};
  std::unique_ptr<Replica> replica;
  std::string bank, fees;

  Fixture() {
    UW_CHECK_OK(pg::Migrate(schema.pool(), schema.name(), Migrations()));
    replica = std::make_unique<Replica>(schema.NewPool(12), clock, ids);
    bank = Open("bank_settlement", OwnerKind::kSystem, AccountKind::kBankSettlement);
    fees = Open("fee_revenue", OwnerKind::kSystem, AccountKind::kFeeRevenue);
  }

  std::string Open(const std::string& owner, OwnerKind owner_kind = OwnerKind::kUser,
                   AccountKind kind = AccountKind::kUserWallet,
                   const std::string& currency = "CNY") {
    auto opened = replica->queries.OpenAccount(owner, owner_kind, kind, currency);
    UW_CHECK_OK(opened.status());
    return opened->first.account.account_id;
  }
  OperationResult Execute(Operation op) { return replica->writer.Execute(std::move(op)); }
  OperationResult Transfer(const std::string& key, const std::string& from, const std::string& to,
                           int64_t amount, TransferKind kind = TransferKind::kP2p,
                           const std::string& currency = "CNY") {
    return Execute({.type = OperationType::kPostTransfers,
                    .caller = "payments",
                    .idempotency_key = key,
                    .transfers = {{.debit_account_id = from,
                                   .credit_account_id = to,
                                   .amount_minor = amount,
                                   .currency = currency,
                                   .kind = kind}}});
  }
  void Fund(const std::string& account, int64_t amount) {
    OperationResult result =
        Transfer("fund-" + ids.NewId(), bank, account, amount, TransferKind::kTopUp);
    UW_CHECK_OK(result.status);
  }
  Balance BalanceOf(const std::string& account) {
    auto state = replica->queries.GetAccount(account);
    UW_CHECK_OK(state.status());
    return state->balance;
  }
  int64_t Count(const std::string& sql) {
    auto rows = schema.pool().Exec(sql);
    UW_CHECK_OK(rows.status());
    return rows->Int(0, 0);
  }
  void RequireBooksBalance() {
    auto lines = replica->queries.TrialBalance();
    REQUIRE(lines.ok());
    for (const auto& line : *lines) {
      INFO(line.currency);
      REQUIRE(line.balanced);
      REQUIRE(line.balance_sum == 0);
    }
  }
};

TransferSpec Spec(const std::string& from, const std::string& to, int64_t amount,
                  TransferKind kind = TransferKind::kP2p) {
  return {.debit_account_id = from,
          .credit_account_id = to,
          .amount_minor = amount,
          .currency = "CNY",
          .kind = kind};
}

TEST_CASE("the schema refuses what must never happen") {
  Fixture f;
  const std::string alice = f.Open("alice");
  f.Fund(alice, 1'000);
  pg::Pool& pool = f.schema.pool();

  SECTION("transfers cannot be updated, deleted or truncated") {
    absl::Status update = pool.Exec("UPDATE transfers SET amount_minor = 1").status();
    REQUIRE(update.code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE(pg::RaisedMessageOf(update) == "TRANSFERS_ARE_IMMUTABLE");
    absl::Status remove = pool.Exec("DELETE FROM transfers").status();
    REQUIRE(pg::RaisedMessageOf(remove) == "TRANSFERS_ARE_IMMUTABLE");
    REQUIRE(pg::RaisedMessageOf(pool.Exec("TRUNCATE transfers").status()) ==
            "TRANSFERS_ARE_IMMUTABLE");
    REQUIRE(pg::RaisedMessageOf(pool.Exec("DELETE FROM entries").status()) ==
            "ENTRIES_ARE_IMMUTABLE");
    REQUIRE(pg::RaisedMessageOf(pool.Exec("UPDATE idempotency_keys SET result = '{}'").status()) ==
            "IDEMPOTENCY_KEYS_ARE_IMMUTABLE");
    REQUIRE(f.Count("SELECT count(*) FROM transfers") == 1);
  }
  SECTION("a user wallet never goes below zero, counting pending debits") {
    absl::Status status =
        pool.Exec("UPDATE balances SET posted_debits = 1001 WHERE account_id = $1::uuid",
                  pg::P(alice))
            .status();
    REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE(pg::ConstraintOf(status) == "balances_never_negative");
    status = pool.Exec("UPDATE balances SET pending_debits = 1001 WHERE account_id = $1::uuid",
                       pg::P(alice))
                 .status();
    REQUIRE(pg::ConstraintOf(status) == "balances_never_negative");
    // A settlement account may.
    REQUIRE(f.BalanceOf(f.bank).Posted() == -1'000);
  }
  SECTION("a frozen account takes no debit, even written by hand") {
    REQUIRE(pool.Exec("UPDATE balances SET frozen = true WHERE account_id = $1::uuid", pg::P(alice))
                .ok());
    absl::Status status =
        pool.Exec("UPDATE balances SET posted_debits = 1 WHERE account_id = $1::uuid", pg::P(alice))
            .status();
    REQUIRE(pg::RaisedMessageOf(status) == "ACCOUNT_FROZEN");
  }
  SECTION("posted sums only grow; accounts are immutable") {
    REQUIRE(pg::RaisedMessageOf(
                pool.Exec("UPDATE balances SET posted_credits = 0 WHERE account_id = $1::uuid",
                          pg::P(alice))
                    .status()) == "POSTED_SUMS_ONLY_GROW");
    REQUIRE(pg::RaisedMessageOf(pool.Exec("UPDATE accounts SET allow_negative = true").status()) ==
            "ACCOUNTS_ARE_IMMUTABLE");
  }
  SECTION("a batch statement that misses rows it expected fails (its COMMIT is skipped)") {
    REQUIRE(pool.Exec("SELECT ledger_expect_rows(2, 2, 'X')")->Int(0, 0) == 2);
    absl::Status status = pool.Exec("SELECT ledger_expect_rows(1, 2, 'LEDGER_X_MISSING')").status();
    REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
    REQUIRE(pg::RaisedMessageOf(status) == "LEDGER_X_MISSING");
  }
}

TEST_CASE("each error reason, through the writer and PostgreSQL") {
  Fixture f;
  const std::string alice = f.Open("alice");
  const std::string bob = f.Open("bob");
  const std::string alice_usd = f.Open("alice", OwnerKind::kUser, AccountKind::kUserWallet, "USD");
  f.Fund(alice, 10'000);
  const std::string unknown = "00000000-0000-7000-8000-000000000404";
  auto reason = [&](const OperationResult& result) { return ReasonOf(result.status); };

  REQUIRE(reason(f.Transfer("e1", alice, bob, 10'001)) == "INSUFFICIENT_FUNDS");
  REQUIRE(reason(f.Transfer("e2", alice, unknown, 1)) == "ACCOUNT_NOT_FOUND");
  REQUIRE(reason(f.Transfer("e3", unknown, bob, 1)) == "ACCOUNT_NOT_FOUND");
  REQUIRE(reason(f.Transfer("e4", alice, alice_usd, 1)) == "CURRENCY_MISMATCH");
  REQUIRE(reason(f.Transfer("e5", alice, bob, 1, TransferKind::kP2p, "USD")) ==
          "CURRENCY_MISMATCH");
  REQUIRE(reason(f.Transfer("e6", alice, alice, 1)) == "SAME_ACCOUNT");
  REQUIRE(reason(f.Transfer("e7", alice, bob, 0)) == "AMOUNT_INVALID");
  REQUIRE(reason(f.Transfer("e8", alice, bob, -1)) == "AMOUNT_INVALID");
  REQUIRE(reason(f.Transfer("e9", alice, bob, std::numeric_limits<int64_t>::min())) ==
          "AMOUNT_INVALID");
  REQUIRE(reason(f.Transfer("e10", alice, bob, kAmountMinorMax + 1)) == "AMOUNT_INVALID");
  // Overflow of a running sum: bring the settlement account's debits near the int64 limit.
  REQUIRE(f.schema.pool()
              .Exec("UPDATE balances SET posted_debits = $2 WHERE account_id = $1::uuid",
                    pg::P(f.bank, std::numeric_limits<int64_t>::max() - 5))
              .ok());
  REQUIRE(reason(f.Transfer("e11", f.bank, bob, 6, TransferKind::kTopUp)) == "AMOUNT_INVALID");
  REQUIRE(f.Transfer("e12", f.bank, bob, 5, TransferKind::kTopUp).status.ok());

  // Frozen: debits refused, credits accepted.
  REQUIRE(f.replica->queries.SetFrozen({.account_id = alice}, true, "stolen phone", "case-1").ok());
  REQUIRE(reason(f.Transfer("e13", alice, bob, 1)) == "ACCOUNT_FROZEN");
  REQUIRE(f.Transfer("e14", bob, alice, 1).status.ok());
  REQUIRE(f.replica->queries.SetFrozen({.owner_id = "alice"}, false, "", "case-1").ok());
  REQUIRE(f.Transfer("e15", alice, bob, 1).status.ok());

  // Key reuse with a different request.
  OperationResult reused = f.Transfer("e15", alice, bob, 2);
  REQUIRE(reused.status.code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(reason(reused) == "IDEMPOTENCY_KEY_REUSED");

  // Holds: not pending, expired.
  OperationResult hold = f.Execute({.type = OperationType::kCreateHold,
                                    .caller = "payments",
                                    .idempotency_key = "h1",
                                    .hold = Spec(alice, f.bank, 100, TransferKind::kWithdrawal),
                                    .ttl_s = 30});
  REQUIRE(hold.status.ok());
  REQUIRE(f.Execute({.type = OperationType::kVoidHold,
                     .caller = "payments",
                     .idempotency_key = "h1-void",
                     .hold_id = hold.hold->hold_id})
              .status.ok());
  REQUIRE(reason(f.Execute({.type = OperationType::kPostHold,
                            .caller = "payments",
                            .idempotency_key = "h1-post",
                            .hold_id = hold.hold->hold_id})) == "HOLD_NOT_PENDING");
  OperationResult hold2 = f.Execute({.type = OperationType::kCreateHold,
                                     .caller = "payments",
                                     .idempotency_key = "h2",
                                     .hold = Spec(alice, f.bank, 100, TransferKind::kWithdrawal),
                                     .ttl_s = 30});
  f.clock.Advance(absl::Seconds(31));
  REQUIRE(reason(f.Execute({.type = OperationType::kPostHold,
                            .caller = "payments",
                            .idempotency_key = "h2-post",
                            .hold_id = hold2.hold->hold_id})) == "HOLD_EXPIRED");
  // Nothing of the failures moved money.
  REQUIRE(f.BalanceOf(alice).Posted() == 10'000);
  REQUIRE(f.Count("SELECT count(*) FROM idempotency_keys WHERE idempotency_key LIKE 'e%'") == 3);
  // (No trial balance here: the settlement debits were edited by hand above, on purpose; the
  // trial balance reports such sums as OUT_OF_RANGE instead of wrapping.)
  REQUIRE(f.replica->queries.TrialBalance().status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("holds: post partially, void, expire by the sweeper") {
  Fixture f;
  const std::string alice = f.Open("alice");
  f.Fund(alice, 10'000);
  auto create = [&](const std::string& key, int64_t amount, int64_t ttl_s) {
    OperationResult result =
        f.Execute({.type = OperationType::kCreateHold,
                   .caller = "payments",
                   .idempotency_key = key,
                   .hold = Spec(alice, f.bank, amount, TransferKind::kWithdrawal),
                   .ttl_s = ttl_s});
    REQUIRE(result.status.ok());
    return *result.hold;
  };
  const Hold partial = create("w1", 6'000, 0);
  REQUIRE(f.BalanceOf(alice).pending_debits == 6'000);
  REQUIRE(f.BalanceOf(alice).Available() == 4'000);
  REQUIRE(ReasonOf(f.Transfer("spend", alice, f.fees, 4'001).status) == "INSUFFICIENT_FUNDS");

  OperationResult posted = f.Execute({.type = OperationType::kPostHold,
                                      .caller = "payments",
                                      .idempotency_key = "w1-post",
                                      .transfers = {Spec(alice, f.fees, 200, TransferKind::kFee)},
                                      .hold_id = partial.hold_id,
                                      .post_amount_minor = 5'500});
  REQUIRE(posted.status.ok());
  REQUIRE(posted.hold->state == HoldState::kPosted);
  REQUIRE(posted.hold->posted_amount_minor == 5'500);
  Balance balance = f.BalanceOf(alice);
  REQUIRE(balance.pending_debits == 0);
  REQUIRE(balance.Posted() == 10'000 - 5'500 - 200);
  REQUIRE(f.BalanceOf(f.bank).pending_credits == 0);
  REQUIRE(f.Count("SELECT count(*) FROM holds WHERE state = 2 AND posted_amount_minor = 5500") ==
          1);
  REQUIRE(f.Count("SELECT count(*) FROM transfers WHERE hold_id IS NOT NULL") == 1);
  REQUIRE(f.Count("SELECT count(DISTINCT batch_id) FROM transfers WHERE batch_id IS NOT NULL") ==
          1);
  // The database refuses a second resolution of the same hold, even by hand.
  REQUIRE(pg::RaisedMessageOf(f.schema.pool().Exec("UPDATE holds SET state = 3").status()) ==
          "HOLD_NOT_PENDING");

  const Hold voided = create("w2", 1'000, 0);
  OperationResult void_result = f.Execute({.type = OperationType::kVoidHold,
                                           .caller = "payments",
                                           .idempotency_key = "w2-void",
                                           .hold_id = voided.hold_id,
                                           .void_reason = "bank declined"});
  REQUIRE(void_result.status.ok());
  REQUIRE(f.BalanceOf(alice).pending_debits == 0);

  const Hold expiring = create("w3", 2'000, 60);
  const Hold lasting = create("w4", 100, 3'600);
  REQUIRE(f.BalanceOf(alice).pending_debits == 2'100);
  HoldSweeper sweeper(f.replica->reader, f.replica->writer, f.clock, absl::Seconds(1));
  REQUIRE(sweeper.SweepOnce().value() == 0);
  f.clock.Advance(absl::Seconds(61));
  REQUIRE(sweeper.SweepOnce().value() == 1);
  REQUIRE(sweeper.SweepOnce().value() == 0);
  REQUIRE(f.BalanceOf(alice).pending_debits == 100);
  auto holds = f.replica->queries.ListHolds({.account_id = alice}, 0, "");
  REQUIRE(holds.ok());
  REQUIRE(holds->holds.size() == 4);
  std::map<std::string, HoldState> states;
  for (const Hold& hold : holds->holds) states[hold.hold_id] = hold.state;
  REQUIRE(states[expiring.hold_id] == HoldState::kExpired);
  REQUIRE(states[lasting.hold_id] == HoldState::kPending);
  REQUIRE(states[voided.hold_id] == HoldState::kVoided);
  auto pending =
      f.replica->queries.ListHolds({.owner_id = "alice", .states = {HoldState::kPending}}, 0, "");
  REQUIRE(pending->holds.size() == 1);
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'ledger.hold_expired'") == 1);
  f.RequireBooksBalance();
}

TEST_CASE("a linked batch applies atomically in PostgreSQL") {
  Fixture f;
  const std::string alice = f.Open("alice");
  const std::string shop = f.Open("shop-1", OwnerKind::kMerchant, AccountKind::kMerchant);
  f.Fund(alice, 1'000);
  auto pay = [&](const std::string& key, int64_t amount, int64_t fee) {
    return f.Execute({.type = OperationType::kPostTransfers,
                      .caller = "payments",
                      .idempotency_key = key,
                      .transfers = {Spec(alice, shop, amount, TransferKind::kMerchantPayment),
                                    Spec(alice, f.fees, fee, TransferKind::kFee)},
                      .linked = true});
  };
  const int64_t before = f.Count("SELECT count(*) FROM transfers");
  OperationResult failed = pay("pay-1", 990, 20);
  REQUIRE(ReasonOf(failed.status) == "INSUFFICIENT_FUNDS");
  REQUIRE(f.Count("SELECT count(*) FROM transfers") == before);
  REQUIRE(f.BalanceOf(shop).Posted() == 0);
  OperationResult ok = pay("pay-2", 900, 20);
  REQUIRE(ok.status.ok());
  REQUIRE(f.Count(absl::StrCat("SELECT count(*) FROM transfers WHERE batch_id = '", ok.batch_id,
                               "'")) == 2);
  REQUIRE(f.BalanceOf(alice).Posted() == 80);
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'ledger.transfer_posted'") == 3);
  f.RequireBooksBalance();
}

TEST_CASE("idempotency: replay, mismatch, and 50 concurrent duplicates on two replicas") {
  Fixture f;
  const std::string alice = f.Open("alice");
  const std::string bob = f.Open("bob");
  f.Fund(alice, 100'000);
  OperationResult first = f.Transfer("once", alice, bob, 700);
  OperationResult replay = f.Transfer("once", alice, bob, 700);
  REQUIRE(replay.replayed);
  REQUIRE(replay.outcomes[0].transfer->transfer_id == first.outcomes[0].transfer->transfer_id);
  REQUIRE(ReasonOf(f.Transfer("once", alice, bob, 701).status) == "IDEMPOTENCY_KEY_REUSED");
  REQUIRE(f.BalanceOf(bob).Posted() == 700);

  // A second replica on its own connections: duplicates really race in separate transactions.
  Replica other(f.schema.NewPool(12), f.clock, f.ids);
  std::atomic<int> applied{0}, replayed{0}, failed{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      BatchingWriter& writer = i % 2 == 0 ? f.replica->writer : other.writer;
      OperationResult result = writer.Execute({.type = OperationType::kPostTransfers,
                                               .caller = "payments",
                                               .idempotency_key = "dup",
                                               .transfers = {Spec(alice, bob, 1'000)}});
      if (!result.status.ok()) {
        ++failed;
      } else if (result.replayed) {
        ++replayed;
      } else {
        ++applied;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  REQUIRE(failed == 0);
  REQUIRE(applied == 1);
  REQUIRE(replayed == 49);
  REQUIRE(f.Count("SELECT count(*) FROM transfers WHERE idempotency_key = 'dup'") == 1);
  REQUIRE(f.BalanceOf(bob).Posted() == 1'700);
  f.RequireBooksBalance();
}

TEST_CASE("pagination is stable while new transfers arrive") {
  Fixture f;
  const std::string alice = f.Open("alice");
  const std::string bob = f.Open("bob");
  f.Fund(alice, 1'000'000);
  for (int i = 0; i < 24; ++i) {
    f.clock.Advance(absl::Milliseconds(1 + i % 2));  // some share a timestamp with a neighbour
    REQUIRE(f.Transfer("p" + std::to_string(i), alice, bob, 10 + i).status.ok());
  }
  // 25 transactions of alice exist (the top-up and 24 payments).
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  absl::Time previous = absl::InfiniteFuture();
  do {
    auto page = f.replica->queries.ListTransactions("alice", {}, 10, token);
    REQUIRE(page.ok());
    for (const HistoryItem& item : page->items) {
      REQUIRE(seen.insert(item.transaction_id).second);  // never twice
      REQUIRE(item.created_at <= previous);              // newest first
      previous = item.created_at;
    }
    token = page->next_page_token;
    ++pages;
    // New transfers land between page requests; they are newer than every cursor.
    f.clock.Advance(absl::Milliseconds(1));
    REQUIRE(f.Transfer("new" + std::to_string(pages), alice, bob, 1).status.ok());
  } while (!token.empty() && pages < 10);
  REQUIRE(pages == 3);
  REQUIRE(seen.size() == 25);

  // A filter: only money in (the top-up), and a token from another filter is refused.
  auto incoming =
      f.replica->queries.ListTransactions("alice", {.direction = Direction::kIn}, 5, "");
  REQUIRE(incoming->items.size() == 1);
  REQUIRE(incoming->items[0].kind == TransferKind::kTopUp);
  REQUIRE(incoming->items[0].counterparty.kind == AccountKind::kBankSettlement);
  auto first = f.replica->queries.ListTransactions("alice", {}, 5, "");
  REQUIRE(ReasonOf(f.replica->queries
                       .ListTransactions("alice", {.direction = Direction::kOut}, 5,
                                         first->next_page_token)
                       .status()) == "PAGE_TOKEN_INVALID");
  REQUIRE(ReasonOf(f.replica->queries.ListTransactions("alice", {}, 101, "").status()) ==
          "INVALID_FIELD");
  // By counterparty: bob's user id.
  auto to_bob = f.replica->queries.ListTransactions("alice", {.counterparty_id = "bob"}, 100, "");
  REQUIRE(to_bob->items.size() == 24 + 3);
  // One transaction: the owner sees it; anybody else gets NOT_FOUND.
  const std::string id = first->items[0].transaction_id;
  REQUIRE(f.replica->queries.GetTransaction("alice", id).ok());
  REQUIRE(f.replica->queries.GetTransaction("bob", id)->direction == Direction::kIn);
  REQUIRE(f.replica->queries.GetTransaction("mallory", id).status().code() ==
          absl::StatusCode::kNotFound);
}

TEST_CASE("statements carry running balances; spending summary by month") {
  Fixture f;
  const std::string alice = f.Open("alice");
  const std::string shop = f.Open("shop-1", OwnerKind::kMerchant, AccountKind::kMerchant);
  const std::string bob = f.Open("bob");
  f.Fund(alice, 10'000);             // 2031-05-17
  f.clock.Advance(absl::Hours(24));  // 05-18
  REQUIRE(f.Transfer("s1", alice, shop, 1'200, TransferKind::kMerchantPayment).status.ok());
  REQUIRE(f.Transfer("s2", alice, shop, 800, TransferKind::kMerchantPayment).status.ok());
  f.clock.Advance(absl::Hours(24));  // 05-19
  REQUIRE(f.Transfer("s3", alice, bob, 500).status.ok());
  REQUIRE(f.Transfer("s4", bob, alice, 50).status.ok());
  f.clock.Advance(absl::Hours(24 * 20));  // 06-08
  REQUIRE(f.Transfer("s5", alice, bob, 1).status.ok());

  auto summary = f.replica->queries.GetSpendingSummary("alice", "2031-05", "", "");
  REQUIRE(summary.ok());
  REQUIRE(summary->currency == "CNY");
  REQUIRE(summary->total_spent_minor == 2'500);
  REQUIRE(summary->total_received_minor == 10'050);
  REQUIRE(summary->by_day.size() == 31);
  REQUIRE(summary->by_day[17].date == "2031-05-18");
  REQUIRE(summary->by_day[17].spent_minor == 2'000);
  REQUIRE(summary->by_kind[0].kind == TransferKind::kMerchantPayment);
  REQUIRE(summary->by_kind[0].spent_minor == 2'000);
  REQUIRE(summary->by_kind[0].count == 2);
  REQUIRE(summary->by_counterparty[0].counterparty.owner_id == "shop-1");
  REQUIRE(summary->by_counterparty[1].counterparty.owner_id == "bob");

  const absl::Time may_18 =
      absl::FromCivil(absl::CivilSecond(2031, 5, 18, 0, 0, 0), absl::UTCTimeZone());
  const absl::Time june =
      absl::FromCivil(absl::CivilSecond(2031, 6, 1, 0, 0, 0), absl::UTCTimeZone());
  auto statement = f.replica->queries.AccountStatement(alice, may_18, june, 3, "");
  REQUIRE(statement.ok());
  REQUIRE(statement->page.opening_balance == 10'000);
  REQUIRE(statement->page.closing_balance == 7'550);
  REQUIRE(statement->page.lines.size() == 3);
  REQUIRE(statement->page.lines[0].balance_after == 8'800);
  REQUIRE(statement->page.lines[1].balance_after == 8'000);
  REQUIRE(statement->page.lines[2].balance_after == 7'500);
  auto rest =
      f.replica->queries.AccountStatement(alice, may_18, june, 3, statement->next_page_token);
  REQUIRE(rest->page.lines.size() == 1);
  REQUIRE(rest->page.lines[0].direction == Direction::kIn);
  REQUIRE(rest->page.lines[0].balance_after == 7'550);
  REQUIRE(rest->next_page_token.empty());
}

TEST_CASE("accounts: open is idempotent, also concurrently; freeze by owner") {
  Fixture f;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::string> ids;
  int created = 0;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto opened = f.replica->queries.OpenAccount("carol", OwnerKind::kUser,
                                                   AccountKind::kUserWallet, "CNY");
      REQUIRE(opened.ok());
      std::lock_guard<std::mutex> lock(mutex);
      ids.insert(opened->first.account.account_id);
      created += opened->second ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(ids.size() == 1);
  REQUIRE(created == 1);
  REQUIRE(ReasonOf(f.replica->queries
                       .OpenAccount("carol", OwnerKind::kMerchant, AccountKind::kUserWallet, "CNY")
                       .status()) == "INVALID_FIELD");
  f.Open("carol", OwnerKind::kUser, AccountKind::kUserWallet, "USD");
  auto frozen = f.replica->queries.SetFrozen({.owner_id = "carol"}, true, "stolen", "case-9");
  REQUIRE(frozen->size() == 2);
  REQUIRE(frozen->at(0).balance.frozen);
  REQUIRE(
      f.replica->queries.GetAccountByKey("carol", AccountKind::kUserWallet, "USD")->balance.frozen);
  REQUIRE(f.Count("SELECT count(*) FROM outbox WHERE type = 'ledger.account_frozen'") == 2);
  REQUIRE(ReasonOf(f.replica->queries.SetFrozen({.owner_id = "nobody"}, true, "", "").status()) ==
          "ACCOUNT_NOT_FOUND");
}

TEST_CASE("many concurrent writers: money is conserved, no wallet negative, books balance") {
  Fixture f;
  std::vector<std::string> wallets;
  for (int i = 0; i < 6; ++i) {
    wallets.push_back(f.Open("user-" + std::to_string(i)));
    f.Fund(wallets.back(), 5'000);
  }
  Replica other(f.schema.NewPool(12), f.clock, f.ids, {.batch_max = 16});
  std::atomic<int> ok{0}, insufficient{0}, other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int i = 0; i < 60; ++i) {
        const int from = static_cast<int>(random() % wallets.size());
        const int to =
            static_cast<int>((from + 1 + random() % (wallets.size() - 1)) % wallets.size());
        BatchingWriter& writer = t % 2 == 0 ? f.replica->writer : other.writer;
        OperationResult result =
            writer.Execute({.type = OperationType::kPostTransfers,
                            .caller = "load",
                            .idempotency_key = absl::StrCat("t", t, "-", i),
                            .transfers = {Spec(wallets[from], wallets[to], 1 + random() % 3'000)}});
        if (result.status.ok()) {
          ++ok;
        } else if (ReasonOf(result.status) == "INSUFFICIENT_FUNDS") {
          ++insufficient;
        } else {
          ++other_errors;
          UNSCOPED_INFO(result.status.ToString());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(other_errors == 0);
  REQUIRE(ok + insufficient == 16 * 60);
  int64_t total = 0;
  for (const std::string& wallet : wallets) {
    const Balance balance = f.BalanceOf(wallet);
    REQUIRE(balance.Posted() >= 0);
    total += static_cast<int64_t>(balance.Posted());
  }
  REQUIRE(total == 6 * 5'000);
  REQUIRE(f.Count("SELECT count(*) FROM transfers WHERE caller = 'load'") == ok.load());
  f.RequireBooksBalance();
  const WriterStats stats = f.replica->writer.Stats();
  INFO("batches " << stats.batches << " operations " << stats.operations << " largest "
                  << stats.largest_batch);
  REQUIRE(stats.operations >= stats.batches);
}

}  // namespace
}  // namespace uwallet::ledger
