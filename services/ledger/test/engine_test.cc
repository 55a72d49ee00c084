// The posting engine against the in-memory store: every error reason, linked and unlinked
// batches, idempotency, holds, frozen accounts and neighbours in one batch.
#include <catch2/catch.hpp>

#include <limits>

#include "services/ledger/core/codec.h"
#include "services/ledger/core/engine.h"
#include "services/ledger/core/errors.h"
#include "services/ledger/test/fake_store.h"

namespace uwallet::ledger {
namespace {

using testing::FakeStore;

// Fixed ids, valid UUIDs.
const std::string kBank = "00000000-0000-7000-8000-000000000001";
const std::string kAlice = "00000000-0000-7000-8000-00000000000a";
const std::string kBob = "00000000-0000-7000-8000-00000000000b";
const std::string kFees = "00000000-0000-7000-8000-00000000000f";
const std::string kUsd = "00000000-0000-7000-8000-0000000000ee";
const std::string kMissing = "00000000-0000-7000-8000-000000000404";

struct Fixture {
  FakeClock clock;
  UuidV7Generator ids{clock};
  PostingEngine engine{clock, ids};
  FakeStore store;

  Fixture() {
    store.AddAccount(kBank, AccountKind::kBankSettlement, "CNY");
    store.AddAccount(kAlice, AccountKind::kUserWallet, "CNY", 10'000, "alice");
    store.AddAccount(kBob, AccountKind::kUserWallet, "CNY", 0, "bob");
    store.AddAccount(kFees, AccountKind::kFeeRevenue, "CNY");
    store.AddAccount(kUsd, AccountKind::kUserWallet, "USD", 500, "alice");
  }

  std::vector<OperationResult> Run(const std::vector<Operation>& operations) {
    std::vector<OperationResult> results;
    absl::Status status = store.RunInTransaction([&](LedgerTransaction& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(results, engine.ExecuteBatch(tx, operations));
      return absl::OkStatus();
    });
    REQUIRE(status.ok());
    return results;
  }
  OperationResult RunOne(const Operation& operation) { return Run({operation})[0]; }
};

TransferSpec Spec(const std::string& from, const std::string& to, int64_t amount,
                  const std::string& currency = "CNY", TransferKind kind = TransferKind::kP2p) {
  return {.debit_account_id = from,
          .credit_account_id = to,
          .amount_minor = amount,
          .currency = currency,
          .kind = kind};
}

Operation Post(const std::string& key, std::vector<TransferSpec> transfers, bool linked = false) {
  return {.type = OperationType::kPostTransfers,
          .caller = "payments",
          .idempotency_key = key,
          .transfers = std::move(transfers),
          .linked = linked};
}

Operation CreateHold(const std::string& key, TransferSpec spec, int64_t ttl_s = 0) {
  return {.type = OperationType::kCreateHold,
          .caller = "payments",
          .idempotency_key = key,
          .hold = std::move(spec),
          .ttl_s = ttl_s};
}

Operation PostHold(const std::string& key, const std::string& hold_id,
                   std::optional<int64_t> amount = std::nullopt) {
  return {.type = OperationType::kPostHold,
          .caller = "payments",
          .idempotency_key = key,
          .hold_id = hold_id,
          .post_amount_minor = amount};
}

Operation VoidHold(const std::string& key, const std::string& hold_id) {
  return {.type = OperationType::kVoidHold,
          .caller = "payments",
          .idempotency_key = key,
          .hold_id = hold_id,
          .void_reason = "bank declined"};
}

TEST_CASE("a transfer moves money, writes both legs, an event and the idempotency record") {
  Fixture f;
  OperationResult result = f.RunOne(Post("k1", {Spec(kAlice, kBob, 2'500)}));
  REQUIRE(result.status.ok());
  REQUIRE_FALSE(result.replayed);
  REQUIRE(result.outcomes.size() == 1);
  const Transfer& transfer = *result.outcomes[0].transfer;
  REQUIRE(transfer.amount_minor == 2'500);
  REQUIRE(transfer.caller == "payments");
  REQUIRE(transfer.idempotency_key == "k1");
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 7'500);
  REQUIRE(f.store.BalanceOf(kBob).Posted() == 2'500);
  REQUIRE(f.store.state().transfers.size() == 1);
  REQUIRE(f.store.state().entries.size() == 2);
  REQUIRE(f.store.state().entries[0].balance_after == 7'500);
  REQUIRE(f.store.state().entries[1].balance_after == 2'500);
  REQUIRE(f.store.state().events.size() == 1);
  REQUIRE(f.store.state().events[0].type == kEventTransferPosted);
  REQUIRE(f.store.state().records.size() == 1);
}

TEST_CASE("each error reason") {
  Fixture f;
  auto reason_of = [&](Operation op) { return ReasonOf(f.RunOne(op).status); };
  REQUIRE(reason_of(Post("a", {Spec(kAlice, kBob, 10'001)})) == "INSUFFICIENT_FUNDS");
  REQUIRE(reason_of(Post("b", {Spec(kAlice, kMissing, 1)})) == "ACCOUNT_NOT_FOUND");
  REQUIRE(reason_of(Post("c", {Spec(kMissing, kAlice, 1)})) == "ACCOUNT_NOT_FOUND");
  REQUIRE(reason_of(Post("d", {Spec(kAlice, kUsd, 1)})) == "CURRENCY_MISMATCH");
  REQUIRE(reason_of(Post("e", {Spec(kAlice, kBob, 1, "USD")})) == "CURRENCY_MISMATCH");
  REQUIRE(reason_of(Post("f", {Spec(kAlice, kAlice, 1)})) == "SAME_ACCOUNT");
  REQUIRE(reason_of(Post("g", {Spec(kAlice, kBob, 0)})) == "AMOUNT_INVALID");
  REQUIRE(reason_of(Post("h", {Spec(kAlice, kBob, -5)})) == "AMOUNT_INVALID");
  REQUIRE(reason_of(Post("i", {Spec(kAlice, kBob, kAmountMinorMax + 1)})) == "AMOUNT_INVALID");
  REQUIRE(reason_of(Post("", {Spec(kAlice, kBob, 1)})) == "INVALID_FIELD");
  REQUIRE(reason_of(Post("j", {Spec("not-an-id", kBob, 1)})) == "INVALID_FIELD");
  REQUIRE(reason_of(Post("k", {Spec(kAlice, kBob, 1, "cny")})) == "INVALID_FIELD");
  REQUIRE(reason_of(Post("l", {Spec(kAlice, kBob, 1, "CNY", TransferKind::kUnspecified)})) ==
          "INVALID_FIELD");
  REQUIRE(reason_of(Post("m", {})) == "INVALID_FIELD");
  // Nothing moved, and failed requests leave no idempotency record.
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 10'000);
  REQUIRE(f.store.state().records.empty());
  REQUIRE(f.store.state().transfers.empty());
  // The codes tell the caller what to do.
  REQUIRE(f.RunOne(Post("n", {Spec(kAlice, kBob, 10'001)})).status.code() ==
          absl::StatusCode::kFailedPrecondition);
  REQUIRE(f.RunOne(Post("o", {Spec(kAlice, kMissing, 1)})).status.code() ==
          absl::StatusCode::kNotFound);
}

TEST_CASE("sums that would overflow int64 are AMOUNT_INVALID, never wrapped") {
  Fixture f;
  // The bank settlement account may go negative, so its debits can approach the limit.
  f.store.state().accounts.at(kBank).balance.posted_debits =
      std::numeric_limits<int64_t>::max() - 10;
  OperationResult result = f.RunOne(Post("o1", {Spec(kBank, kBob, 11, "CNY")}));
  REQUIRE(ReasonOf(result.status) == "AMOUNT_INVALID");
  REQUIRE(f.RunOne(Post("o2", {Spec(kBank, kBob, 10, "CNY")})).status.ok());
}

TEST_CASE("frozen accounts accept credits and refuse debits") {
  Fixture f;
  f.store.state().accounts.at(kAlice).balance.frozen = true;
  REQUIRE(ReasonOf(f.RunOne(Post("f1", {Spec(kAlice, kBob, 1)})).status) == "ACCOUNT_FROZEN");
  REQUIRE(ReasonOf(f.RunOne(CreateHold("f2", Spec(kAlice, kBob, 1))).status) == "ACCOUNT_FROZEN");
  REQUIRE(
      f.RunOne(Post("f3", {Spec(kBank, kAlice, 100, "CNY", TransferKind::kTopUp)})).status.ok());
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 10'100);
}

TEST_CASE("a linked batch applies all or nothing") {
  Fixture f;
  // Payment and fee: the fee makes it exceed the balance.
  OperationResult failed =
      f.RunOne(Post("pay1", {Spec(kAlice, kBob, 9'990), Spec(kAlice, kFees, 20)}, true));
  REQUIRE(ReasonOf(failed.status) == "INSUFFICIENT_FUNDS");
  REQUIRE(std::string(failed.status.message()).find("transfers[1]") != std::string::npos);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 10'000);
  REQUIRE(f.store.BalanceOf(kBob).Posted() == 0);
  REQUIRE(f.store.state().transfers.empty());

  OperationResult ok =
      f.RunOne(Post("pay2", {Spec(kAlice, kBob, 9'000), Spec(kAlice, kFees, 20)}, true));
  REQUIRE(ok.status.ok());
  REQUIRE_FALSE(ok.batch_id.empty());
  REQUIRE(ok.outcomes[0].transfer->batch_id == ok.batch_id);
  REQUIRE(ok.outcomes[1].transfer->batch_id == ok.batch_id);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 980);
  REQUIRE(f.store.BalanceOf(kFees).Posted() == 20);
}

TEST_CASE("an unlinked batch applies what it can and reports each outcome") {
  Fixture f;
  OperationResult result = f.RunOne(
      Post("u1", {Spec(kAlice, kBob, 6'000), Spec(kAlice, kBob, 6'000), Spec(kAlice, kBob, 10)}));
  REQUIRE(result.status.ok());
  REQUIRE(result.outcomes.size() == 3);
  REQUIRE(result.outcomes[0].transfer.has_value());
  REQUIRE(result.outcomes[1].reason == "INSUFFICIENT_FUNDS");
  REQUIRE(result.outcomes[2].transfer.has_value());
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 3'990);
  // The stored result replays the same mix.
  OperationResult replay = f.RunOne(
      Post("u1", {Spec(kAlice, kBob, 6'000), Spec(kAlice, kBob, 6'000), Spec(kAlice, kBob, 10)}));
  REQUIRE(replay.replayed);
  REQUIRE(replay.outcomes[1].reason == "INSUFFICIENT_FUNDS");
  REQUIRE(replay.outcomes[1].error.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(replay.outcomes[2].transfer->transfer_id == result.outcomes[2].transfer->transfer_id);
  // Nothing applied at all: the call fails with the first reason.
  OperationResult none =
      f.RunOne(Post("u2", {Spec(kAlice, kBob, 9'000), Spec(kAlice, kMissing, 1)}));
  REQUIRE(ReasonOf(none.status) == "INSUFFICIENT_FUNDS");
}

TEST_CASE("idempotency: replay, mismatch, duplicates inside one batch") {
  Fixture f;
  OperationResult first = f.RunOne(Post("same", {Spec(kAlice, kBob, 100)}));
  REQUIRE(first.status.ok());
  OperationResult again = f.RunOne(Post("same", {Spec(kAlice, kBob, 100)}));
  REQUIRE(again.status.ok());
  REQUIRE(again.replayed);
  REQUIRE(again.outcomes[0].transfer->transfer_id == first.outcomes[0].transfer->transfer_id);
  REQUIRE(again.outcomes[0].transfer->created_at == first.outcomes[0].transfer->created_at);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 9'900);

  OperationResult other = f.RunOne(Post("same", {Spec(kAlice, kBob, 101)}));
  REQUIRE(other.status.code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(ReasonOf(other.status) == "IDEMPOTENCY_KEY_REUSED");
  // The same key for another operation type is a different request too.
  OperationResult as_hold = f.RunOne(CreateHold("same", Spec(kAlice, kBob, 100)));
  REQUIRE(ReasonOf(as_hold.status) == "IDEMPOTENCY_KEY_REUSED");
  // Keys are scoped to the caller.
  Operation from_support = Post("same", {Spec(kAlice, kBob, 100)});
  from_support.caller = "support";
  REQUIRE_FALSE(f.RunOne(from_support).replayed);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 9'800);

  // Three copies of one request in one batch: one applies, two replay it.
  auto results = f.Run({Post("dup", {Spec(kAlice, kBob, 7)}), Post("dup", {Spec(kAlice, kBob, 7)}),
                        Post("dup", {Spec(kAlice, kBob, 8)})});
  REQUIRE(results[0].status.ok());
  REQUIRE_FALSE(results[0].replayed);
  REQUIRE(results[1].replayed);
  REQUIRE(ReasonOf(results[2].status) == "IDEMPOTENCY_KEY_REUSED");
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 9'793);
  // A failed request frees its key: the retry after a top-up applies.
  REQUIRE(ReasonOf(f.RunOne(Post("later", {Spec(kAlice, kBob, 20'000)})).status) ==
          "INSUFFICIENT_FUNDS");
  REQUIRE(f.RunOne(Post("top", {Spec(kBank, kAlice, 20'000, "CNY", TransferKind::kTopUp)}))
              .status.ok());
  OperationResult later = f.RunOne(Post("later", {Spec(kAlice, kBob, 20'000)}));
  REQUIRE(later.status.ok());
  REQUIRE_FALSE(later.replayed);
}

TEST_CASE("a concurrent duplicate committed first makes the batch run again and replay it") {
  Fixture f;
  const Operation op = Post("race", {Spec(kAlice, kBob, 100)});
  // Another writer "commits" the same key between our lookup and our insert, with its own effect.
  // The fake calls the hook on the live state and on the committed snapshot: inject both, once.
  int calls = 0;
  f.store.before_apply = [&](testing::FakeState& state) {
    if (++calls > 2) return;
    OperationResult theirs;
    theirs.outcomes.push_back({.transfer = Transfer{.transfer_id = "theirs",
                                                    .debit_account_id = kAlice,
                                                    .credit_account_id = kBob,
                                                    .amount_minor = 100,
                                                    .currency = "CNY",
                                                    .kind = TransferKind::kP2p}});
    state.records[{"payments", "race"}] = {.caller = "payments",
                                           .idempotency_key = "race",
                                           .operation = OperationType::kPostTransfers,
                                           .request_hash = RequestHash(op),
                                           .result_json = EncodeResult(theirs)};
    state.accounts.at(kAlice).balance.posted_debits += 100;
    state.accounts.at(kBob).balance.posted_credits += 100;
  };
  OperationResult result = f.RunOne(op);
  REQUIRE(result.status.ok());
  REQUIRE(result.replayed);
  REQUIRE(result.outcomes[0].transfer->transfer_id == "theirs");
  REQUIRE(f.store.aborts == 1);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 9'900);  // applied once
}

TEST_CASE("neighbours in one batch do not fail each other") {
  Fixture f;
  auto results = f.Run({Post("n1", {Spec(kAlice, kBob, 4'000)}),
                        Post("n2", {Spec(kAlice, kBob, 7'000)}),  // fails after n1
                        Post("n3", {Spec(kBob, kFees, 1'000)}),   // uses n1's money
                        Post("n4", {Spec(kAlice, kMissing, 1)})});
  REQUIRE(results[0].status.ok());
  REQUIRE(ReasonOf(results[1].status) == "INSUFFICIENT_FUNDS");
  REQUIRE(results[2].status.ok());
  REQUIRE(ReasonOf(results[3].status) == "ACCOUNT_NOT_FOUND");
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 6'000);
  REQUIRE(f.store.BalanceOf(kBob).Posted() == 3'000);
  REQUIRE(f.store.BalanceOf(kFees).Posted() == 1'000);
  REQUIRE(f.store.state().records.size() == 2);
}

TEST_CASE("holds: pending debits count against available; post partial; void; states") {
  Fixture f;
  OperationResult created =
      f.RunOne(CreateHold("h1", Spec(kAlice, kBank, 6'000, "CNY", TransferKind::kWithdrawal)));
  REQUIRE(created.status.ok());
  const Hold hold = *created.hold;
  REQUIRE(hold.state == HoldState::kPending);
  REQUIRE(f.store.BalanceOf(kAlice).pending_debits == 6'000);
  REQUIRE(f.store.BalanceOf(kAlice).Available() == 4'000);
  REQUIRE(f.store.BalanceOf(kBank).pending_credits == 6'000);
  // The reserved money cannot be spent twice.
  REQUIRE(ReasonOf(f.RunOne(Post("spend", {Spec(kAlice, kBob, 4'001)})).status) ==
          "INSUFFICIENT_FUNDS");
  REQUIRE(ReasonOf(f.RunOne(CreateHold(
                                "h2", Spec(kAlice, kBank, 4'001, "CNY", TransferKind::kWithdrawal)))
                       .status) == "INSUFFICIENT_FUNDS");
  // More than held: refused.
  REQUIRE(ReasonOf(f.RunOne(PostHold("p0", hold.hold_id, 6'001)).status) == "AMOUNT_INVALID");
  // Partial post: 5,000 moves, the other 1,000 is released.
  OperationResult posted = f.RunOne(PostHold("p1", hold.hold_id, 5'000));
  REQUIRE(posted.status.ok());
  REQUIRE(posted.hold->state == HoldState::kPosted);
  REQUIRE(posted.hold->posted_amount_minor == 5'000);
  REQUIRE(posted.outcomes[0].transfer->hold_id == hold.hold_id);
  REQUIRE(posted.hold->posted_transfer_id == posted.outcomes[0].transfer->transfer_id);
  REQUIRE(f.store.BalanceOf(kAlice).pending_debits == 0);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 5'000);
  REQUIRE(f.store.BalanceOf(kBank).pending_credits == 0);
  REQUIRE(f.store.BalanceOf(kBank).Posted() == 5'000);
  // Posted once; a second post or a void is HOLD_NOT_PENDING; the first post replays.
  REQUIRE(ReasonOf(f.RunOne(PostHold("p2", hold.hold_id)).status) == "HOLD_NOT_PENDING");
  REQUIRE(ReasonOf(f.RunOne(VoidHold("v1", hold.hold_id)).status) == "HOLD_NOT_PENDING");
  REQUIRE(f.RunOne(PostHold("p1", hold.hold_id, 5'000)).replayed);
  REQUIRE(ReasonOf(f.RunOne(PostHold("p3", "00000000-0000-7000-8000-00000000dead")).status) ==
          "NOT_FOUND");

  // Void releases everything.
  OperationResult second =
      f.RunOne(CreateHold("h3", Spec(kAlice, kBank, 1'000, "CNY", TransferKind::kWithdrawal)));
  OperationResult voided = f.RunOne(VoidHold("v2", second.hold->hold_id));
  REQUIRE(voided.status.ok());
  REQUIRE(voided.hold->state == HoldState::kVoided);
  REQUIRE(voided.hold->void_reason == "bank declined");
  REQUIRE(f.store.BalanceOf(kAlice).Available() == 5'000);
  REQUIRE(ReasonOf(f.RunOne(PostHold("p4", second.hold->hold_id)).status) == "HOLD_NOT_PENDING");
}

TEST_CASE("a hold posted with its fee is one atomic batch") {
  Fixture f;
  const Hold hold =
      *f.RunOne(CreateHold("w1", Spec(kAlice, kBank, 9'000, "CNY", TransferKind::kWithdrawal)))
           .hold;
  Operation post = PostHold("w1-post", hold.hold_id);
  // Fee of 2,000 does not fit: after posting 9,000 only 1,000 is left.
  post.transfers = {Spec(kAlice, kFees, 2'000, "CNY", TransferKind::kFee)};
  REQUIRE(ReasonOf(f.RunOne(post).status) == "INSUFFICIENT_FUNDS");
  REQUIRE(f.store.BalanceOf(kAlice).pending_debits == 9'000);  // still held
  post.idempotency_key = "w1-post-2";
  post.transfers = {Spec(kAlice, kFees, 500, "CNY", TransferKind::kFee)};
  OperationResult ok = f.RunOne(post);
  REQUIRE(ok.status.ok());
  REQUIRE(ok.outcomes.size() == 2);
  REQUIRE(ok.outcomes[0].transfer->batch_id == ok.outcomes[1].transfer->batch_id);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 500);
  REQUIRE(f.store.BalanceOf(kFees).Posted() == 500);
}

TEST_CASE("expired holds cannot be posted or voided; the sweeper releases them") {
  Fixture f;
  const Hold hold =
      *f.RunOne(CreateHold("e1", Spec(kAlice, kBob, 3'000, "CNY", TransferKind::kRiskHold), 60))
           .hold;
  REQUIRE(hold.expires_at.has_value());
  Operation early_expire{.type = OperationType::kExpireHold, .hold_id = hold.hold_id};
  REQUIRE_FALSE(f.RunOne(early_expire).status.ok());  // not yet
  REQUIRE(f.store.BalanceOf(kAlice).pending_debits == 3'000);
  f.clock.Advance(absl::Seconds(61));
  REQUIRE(ReasonOf(f.RunOne(PostHold("e2", hold.hold_id)).status) == "HOLD_EXPIRED");
  REQUIRE(ReasonOf(f.RunOne(VoidHold("e3", hold.hold_id)).status) == "HOLD_EXPIRED");
  OperationResult expired = f.RunOne(early_expire);
  REQUIRE(expired.status.ok());
  REQUIRE(expired.hold->state == HoldState::kExpired);
  REQUIRE(f.store.BalanceOf(kAlice).pending_debits == 0);
  REQUIRE(f.store.BalanceOf(kBob).pending_credits == 0);
  REQUIRE(f.store.BalanceOf(kAlice).Posted() == 10'000);
  REQUIRE(ReasonOf(f.RunOne(PostHold("e4", hold.hold_id)).status) == "HOLD_NOT_PENDING");
  REQUIRE(f.store.state().events.back().type == kEventHoldExpired);
}

TEST_CASE("request hash: metadata order does not matter, every field does") {
  Operation a = Post("k", {Spec(kAlice, kBob, 1)});
  a.transfers[0].metadata = {{"x", "1"}, {"y", "2"}};
  Operation b = a;
  b.transfers[0].metadata = {{"y", "2"}, {"x", "1"}};
  REQUIRE(RequestHash(a) == RequestHash(b));
  b.transfers[0].metadata["y"] = "3";
  REQUIRE(RequestHash(a) != RequestHash(b));
  Operation c = a;
  c.transfers[0].description = "note";
  REQUIRE(RequestHash(a) != RequestHash(c));
  Operation d = a;
  d.linked = true;
  REQUIRE(RequestHash(a) != RequestHash(d));
  Operation e = a;
  e.idempotency_key = "other";  // the key is the record's name, not part of the request
  REQUIRE(RequestHash(a) == RequestHash(e));
}

TEST_CASE("a PostTransfers record is compact and replays the full transfers") {
  Fixture f;
  Operation op = Post("compact", {Spec(kAlice, kBob, 100), Spec(kAlice, kMissing, 5)});
  op.transfers[0].description = "lunch";
  op.transfers[0].metadata = {{"payment_id", "p-1"}};
  OperationResult first = f.RunOne(op);
  REQUIRE(first.status.ok());
  const std::string& stored = f.store.state().records.at({"payments", "compact"}).result_json;
  REQUIRE(stored.find("lunch") == std::string::npos);  // specs are not stored twice
  OperationResult replay = f.RunOne(op);
  REQUIRE(replay.replayed);
  const Transfer& a = *first.outcomes[0].transfer;
  const Transfer& b = *replay.outcomes[0].transfer;
  REQUIRE(TransferToJson(a) == TransferToJson(b));
  REQUIRE(ReasonOf(replay.outcomes[1].error) == "ACCOUNT_NOT_FOUND");
  REQUIRE(TransferIndexOf(replay.outcomes[1].error) == 1);
  // A record that does not fit the request is DATA_LOSS, not a made-up answer.
  Operation other = op;
  other.transfers.pop_back();
  REQUIRE(DecodeStoredResult(other, stored).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("stored results decode to what was encoded") {
  OperationResult result;
  result.batch_id = "b";
  result.outcomes.push_back({.transfer = Transfer{.transfer_id = "t",
                                                  .amount_minor = 5,
                                                  .currency = "CNY",
                                                  .kind = TransferKind::kFee,
                                                  .metadata = {{"payment_id", "p"}},
                                                  .created_at = absl::FromUnixMicros(123)}});
  absl::Status error = WithReason(absl::StatusCode::kFailedPrecondition, "X", "why");
  result.outcomes.push_back({.error = error, .reason = "X"});
  result.hold =
      Hold{.hold_id = "h", .state = HoldState::kPending, .expires_at = absl::FromUnixMicros(9)};
  absl::StatusOr<OperationResult> decoded = DecodeResult(EncodeResult(result));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->batch_id == "b");
  REQUIRE(decoded->outcomes[0].transfer->metadata.at("payment_id") == "p");
  REQUIRE(decoded->outcomes[0].transfer->created_at == absl::FromUnixMicros(123));
  REQUIRE(ReasonOf(decoded->outcomes[1].error) == "X");
  REQUIRE(decoded->hold->expires_at == absl::FromUnixMicros(9));
  REQUIRE_FALSE(decoded->hold->resolved_at.has_value());
  REQUIRE(DecodeResult("{not json").status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace uwallet::ledger
