// Unit tests of the payments core with in-memory fakes: every failure reason, fees and rounding,
// the PIN lockout, limits, risk decisions and the fail policy, QR codes, cards, top-ups, the
// withdrawal lifecycle, refunds, schedules, and idempotent retries with faults injected at each
// step.

#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "services/payments/core/cards.h"
#include "services/payments/core/errors.h"
#include "services/payments/core/payments_core.h"
#include "services/payments/core/qr.h"
#include "services/payments/core/simulated_bank.h"
#include "services/payments/test/fakes.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::payments {
namespace {

using testing::AccountKey;

// A Luhn-valid 16-digit number with the given prefix and last four digits.
std::string CardNumber(const std::string& prefix, const std::string& last4) {
  for (int filler = 0; filler < 100; ++filler) {
    std::string number = prefix;
    while (number.size() < 10) number += "0";
    number += (filler < 10 ? "0" : "") + std::to_string(filler);
    number += last4;
    if (LuhnValid(number)) return number;
  }
  return "";
}

struct Fixture {
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  SequentialIdGenerator ids{"p-"};
  testing::FakeStore store;
  testing::FakeLedger ledger;
  testing::FakeAuth auth;
  testing::FakeRisk risk;
  SimulatedBank bank{clock, {.payout_latency = absl::Seconds(5), .slow_latency = absl::Minutes(2)}};
  PaymentsCore core;
  Caller alice{.user_id = "alice", .session_id = "s1", .device_id = "d1", .ip = "10.0.0.1"};
  Caller bob{.user_id = "bob"};
  Caller shop{.user_id = "shop"};
  int key_counter = 0;

  static CoreOptions Options() {
    CoreOptions options;
    options.qr_key = std::string(32, 'q');
    options.pin_key = std::string(kPinKeyBytes, 'p');
    return options;
  }

  Fixture() : Fixture(Options()) {}
  explicit Fixture(CoreOptions options)
      : core(store, ledger, auth, risk, bank, clock, ids, std::move(options)) {
    auth.Add("alice", "A*e", "+8613800000001");
    auth.Add("bob", "B*b", "+8613800000002");
    auth.Add("shop", "S*p", "", /*merchant=*/true);
    SetPin("alice", "246810");
    Fund("alice", 1'000'000);
  }

  void SetPin(const std::string& user, const std::string& pin) {
    auth.GrantStepUp(user, "pin-token", StepUpAction::kSetPaymentPin);
    REQUIRE(core.SetPaymentPin({.user_id = user}, pin, "pin-token").ok());
  }
  AccountRef Wallet(const std::string& user) {
    return {AccountRef::Kind::kUserWallet, user, "CNY"};
  }
  void Fund(const std::string& user, int64_t amount) {
    ledger.balances[AccountKey(Wallet(user))] += amount;
  }
  int64_t Balance(const std::string& user) { return ledger.Balance(Wallet(user)); }
  int64_t Available(const std::string& user) { return ledger.Available(Wallet(user)); }
  std::string Key() { return "key-" + std::to_string(++key_counter); }

  TransferCommand ToBob(int64_t amount, std::string key = "") {
    return {.idempotency_key = key.empty() ? Key() : key,
            .to = {PayeeRef::By::kPhone, "+8613800000002"},
            .amount = {amount, "CNY"},
            .note = "lunch",
            .pin = "246810"};
  }
  std::string AddCard(const Caller& who, const std::string& last4) {
    auto card = core.AddBankCard(who, {.card_number = CardNumber("6222", last4),
                                       .holder_name = "Li Lei",
                                       .expiry_month = 12,
                                       .expiry_year = 2035});
    REQUIRE(card.ok());
    return card->card_id;
  }
};

void RequireReason(const absl::Status& status, const std::string& reason) {
  INFO(status.ToString());
  REQUIRE_FALSE(status.ok());
  REQUIRE(ReasonOf(status) == reason);
}

TEST_CASE("fees: table, minimum, rounding up in minor units, free kinds") {
  FeeTable table = FeeTable::Default();
  REQUIRE(*table.FeeFor(PaymentKind::kWithdrawal, 100) == 10);       // ¥1 → min ¥0.10
  REQUIRE(*table.FeeFor(PaymentKind::kWithdrawal, 100'000) == 100);  // ¥1000 → ¥1.00
  REQUIRE(*table.FeeFor(PaymentKind::kWithdrawal, 100'001) == 101);  // rounds up
  REQUIRE(*table.FeeFor(PaymentKind::kWithdrawal, 9'000'000'000'000'000'000) ==
          9'000'000'000'000'000);
  REQUIRE(*table.FeeFor(PaymentKind::kTransfer, 100'000) == 0);
  RequireReason(table.FeeFor(PaymentKind::kTransfer, 0).status(), "AMOUNT_INVALID");
  RequireReason(table.FeeFor(PaymentKind::kWithdrawal, INT64_MAX).status(), "AMOUNT_INVALID");

  auto parsed = FeeTable::Parse("withdrawal:25:50:1000, merchant:60:0:0");
  REQUIRE(parsed.ok());
  REQUIRE(*parsed->FeeFor(PaymentKind::kWithdrawal, 1'000) == 50);        // min
  REQUIRE(*parsed->FeeFor(PaymentKind::kWithdrawal, 1'000'000) == 1000);  // cap
  REQUIRE(*parsed->FeeFor(PaymentKind::kMerchant, 1'001) == 7);           // 6.006 → 7
  REQUIRE_FALSE(FeeTable::Parse("withdrawal:10").ok());
  REQUIRE_FALSE(FeeTable::Parse("teleport:1:1:1").ok());
  REQUIRE_FALSE(FeeTable::Parse("withdrawal:10:100:50").ok());
}

TEST_CASE("quote: fee, total, masked payee, step-up flag, arrival") {
  Fixture f;
  auto quote = f.core.QuoteFee(
      f.alice, {.kind = PaymentKind::kWithdrawal, .amount = Amount{100'000, "CNY"}});
  REQUIRE(quote.ok());
  REQUIRE(quote->fee_minor == 100);
  REQUIRE(quote->total_minor == 100'100);
  REQUIRE(quote->arrives_by > f.clock.Now());
  auto transfer =
      f.core.QuoteFee(f.alice, {.kind = PaymentKind::kTransfer,
                                .amount = Amount{600'000, "CNY"},
                                .to = PayeeRef{PayeeRef::By::kPhone, "+8613800000002"}});
  REQUIRE(transfer.ok());
  REQUIRE(transfer->payee_display_name == "B*b");
  REQUIRE(transfer->step_up_required);
  REQUIRE(transfer->fee_minor == 0);
}

TEST_CASE("transfer: success moves money once, shows the masked payee, writes an event") {
  Fixture f;
  auto payment = f.core.Transfer(f.alice, f.ToBob(12'34));
  REQUIRE(payment.ok());
  REQUIRE(payment->status == PaymentStatus::kSucceeded);
  REQUIRE(payment->payee.display_name == "B*b");
  REQUIRE(payment->payee.user_id == "bob");
  REQUIRE(f.Balance("alice") == 1'000'000 - 1234);
  REQUIRE(f.Balance("bob") == 1234);
  REQUIRE(payment->history.size() == 2);
  REQUIRE(payment->history.front().status == PaymentStatus::kPending);
  REQUIRE(payment->history.back().status == PaymentStatus::kSucceeded);
  REQUIRE(f.store.events.back().first == "payments.payment_succeeded");
  // Bob sees it too; a stranger does not.
  REQUIRE(f.core.GetPayment("bob", payment->payment_id).ok());
  RequireReason(f.core.GetPayment("mallory", payment->payment_id).status(), "PAYMENT_NOT_FOUND");
}

TEST_CASE("transfer: every refusal has its reason") {
  Fixture f;
  SECTION("SELF_TRANSFER") {
    auto command = f.ToBob(100);
    command.to = {PayeeRef::By::kUserId, "alice"};
    RequireReason(f.core.Transfer(f.alice, command).status(), "SELF_TRANSFER");
  }
  SECTION("PAYEE_NOT_FOUND") {
    auto command = f.ToBob(100);
    command.to = {PayeeRef::By::kEmail, "nobody@example.com"};
    RequireReason(f.core.Transfer(f.alice, command).status(), "PAYEE_NOT_FOUND");
  }
  SECTION("CONTACT_NOT_VERIFIED") {
    f.auth.users["alice"].info.contact_verified = false;
    RequireReason(f.core.Transfer(f.alice, f.ToBob(100)).status(), "CONTACT_NOT_VERIFIED");
  }
  SECTION("ACCOUNT_FROZEN (auth)") {
    f.auth.users["alice"].info.status = UserStatus::kFrozen;
    RequireReason(f.core.Transfer(f.alice, f.ToBob(100)).status(), "ACCOUNT_FROZEN");
  }
  SECTION("ACCOUNT_FROZEN (ledger) is recorded as a failed payment") {
    f.ledger.frozen.insert(AccountKey(f.Wallet("alice")));
    auto status = f.core.Transfer(f.alice, f.ToBob(100)).status();
    RequireReason(status, "ACCOUNT_FROZEN");
    auto failed = f.core.GetPayment("alice", MetadataOf(status)["payment_id"]);
    REQUIRE(failed.ok());
    REQUIRE(failed->failure_reason == "ACCOUNT_FROZEN");
  }
  SECTION("INSUFFICIENT_FUNDS: recorded FAILED, payment id in metadata, nothing moved") {
    f.Fund("alice", -999'900);
    auto status = f.core.Transfer(f.alice, f.ToBob(101)).status();
    RequireReason(status, "INSUFFICIENT_FUNDS");
    REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
    const std::string id = MetadataOf(status)["payment_id"];
    auto failed = f.core.GetPayment("alice", id);
    REQUIRE(failed.ok());
    REQUIRE(failed->status == PaymentStatus::kFailed);
    REQUIRE(failed->failure_reason == "INSUFFICIENT_FUNDS");
    REQUIRE(f.Balance("alice") == 100);
    REQUIRE(f.store.events.back().first == "payments.payment_failed");
  }
  SECTION("AMOUNT_INVALID") {
    RequireReason(f.core.Transfer(f.alice, f.ToBob(0)).status(), "AMOUNT_INVALID");
    RequireReason(f.core.Transfer(f.alice, f.ToBob(-5)).status(), "AMOUNT_INVALID");
  }
  SECTION("CURRENCY_MISMATCH") {
    auto command = f.ToBob(100);
    command.amount.currency = "USD";
    RequireReason(f.core.Transfer(f.alice, command).status(), "CURRENCY_MISMATCH");
  }
  SECTION("LIMIT_EXCEEDED per transaction") {
    auto status = f.core.Transfer(f.alice, f.ToBob(5'000'001)).status();
    RequireReason(status, "LIMIT_EXCEEDED");
    REQUIRE(MetadataOf(status)["limit"] == "per_transaction");
  }
  SECTION("LIMIT_EXCEEDED daily") {
    f.Fund("alice", 100'000'000);
    f.auth.GrantStepUp("alice", "big", StepUpAction::kLargePayment);
    for (int i = 0; i < 4; ++i) {
      auto command = f.ToBob(5'000'000);
      command.step_up_token = "big";
      REQUIRE(f.core.Transfer(f.alice, command).ok());
    }
    auto status = f.core.Transfer(f.alice, f.ToBob(1)).status();
    RequireReason(status, "LIMIT_EXCEEDED");
    REQUIRE(MetadataOf(status)["limit"] == "daily_amount");
    // The next day the limit starts again.
    f.clock.Advance(absl::Hours(24));
    REQUIRE(f.core.Transfer(f.alice, f.ToBob(1)).ok());
  }
  SECTION("STEP_UP_REQUIRED above the threshold, accepted with a valid token") {
    auto status = f.core.Transfer(f.alice, f.ToBob(500'001)).status();
    RequireReason(status, "STEP_UP_REQUIRED");
    auto command = f.ToBob(500'001);
    command.step_up_token = "wrong";
    RequireReason(f.core.Transfer(f.alice, command).status(), "STEP_UP_REQUIRED");
    f.auth.GrantStepUp("alice", "good", StepUpAction::kLargePayment);
    command.step_up_token = "good";
    REQUIRE(f.core.Transfer(f.alice, command).ok());
  }
  SECTION("IDEMPOTENCY_KEY_REUSED") {
    REQUIRE(f.core.Transfer(f.alice, f.ToBob(100, "same")).ok());
    RequireReason(f.core.Transfer(f.alice, f.ToBob(200, "same")).status(),
                  "IDEMPOTENCY_KEY_REUSED");
  }
}

TEST_CASE("risk: decline, challenge, review with a hold, fail policy when fraud is down") {
  Fixture f;
  SECTION("decline → RISK_DECLINED, recorded, nothing moved") {
    f.risk.decision = RiskDecision::kDecline;
    auto status = f.core.Transfer(f.alice, f.ToBob(100)).status();
    RequireReason(status, "RISK_DECLINED");
    REQUIRE_FALSE(MetadataOf(status)["payment_id"].empty());
    REQUIRE(f.Balance("alice") == 1'000'000);
  }
  SECTION("challenge → STEP_UP_REQUIRED; with a step-up it goes ahead") {
    f.risk.decision = RiskDecision::kChallenge;
    RequireReason(f.core.Transfer(f.alice, f.ToBob(100, "k")).status(), "STEP_UP_REQUIRED");
    f.auth.GrantStepUp("alice", "ok", StepUpAction::kLargePayment);
    auto command = f.ToBob(100, "k");
    command.step_up_token = "ok";
    auto payment = f.core.Transfer(f.alice, command);
    REQUIRE(payment.ok());
    REQUIRE(payment->status == PaymentStatus::kSucceeded);
  }
  SECTION("review → UNDER_REVIEW with the money held; approve posts, reject releases") {
    f.risk.decision = RiskDecision::kReview;
    auto held = f.core.Transfer(f.alice, f.ToBob(10'000));
    REQUIRE(held.ok());
    REQUIRE(held->status == PaymentStatus::kUnderReview);
    REQUIRE_FALSE(held->hold_id.empty());
    REQUIRE(f.Available("alice") == 1'000'000 - 10'000);
    REQUIRE(f.Balance("bob") == 0);
    auto second = f.core.Transfer(f.alice, f.ToBob(20'000));
    REQUIRE(second.ok());

    auto approved = f.core.ResolveReview(held->payment_id, true, "case ok");
    REQUIRE(approved.ok());
    REQUIRE(approved->status == PaymentStatus::kSucceeded);
    REQUIRE(f.Balance("bob") == 10'000);

    auto rejected = f.core.ResolveReview(second->payment_id, false, "fraud");
    REQUIRE(rejected.ok());
    REQUIRE(rejected->status == PaymentStatus::kFailed);
    REQUIRE(rejected->failure_reason == "RISK_DECLINED");
    REQUIRE(f.Available("alice") == 1'000'000 - 10'000);
    REQUIRE(f.ledger.PendingHolds() == 0);
    // Resolving again changes nothing.
    REQUIRE(f.core.ResolveReview(second->payment_id, true, "").value().status ==
            PaymentStatus::kFailed);
  }
  SECTION("fraud down: small payments go ahead, large ones are held") {
    f.risk.down = true;
    auto small = f.core.Transfer(f.alice, f.ToBob(50'000));
    REQUIRE(small.ok());
    REQUIRE(small->status == PaymentStatus::kSucceeded);
    auto large = f.core.Transfer(f.alice, f.ToBob(50'001));
    REQUIRE(large.ok());
    REQUIRE(large->status == PaymentStatus::kUnderReview);
  }
}

TEST_CASE("payment PIN: an argon2id PIN from before the PIN key is stored keyed after it is used") {
  CoreOptions keyless = Fixture::Options();
  keyless.pin_key.clear();
  Fixture f(keyless);  // alice's PIN is stored with argon2id
  const std::string legacy = f.store.GetPin("alice").value()->hash;
  REQUIRE(legacy.rfind("$argon2id$", 0) == 0);
  // The service restarts with --payments-pin-key.
  CoreOptions keyed_options = Fixture::Options();
  PaymentsCore keyed(f.store, f.ledger, f.auth, f.risk, f.bank, f.clock, f.ids, keyed_options);
  auto wrong = f.ToBob(100);
  wrong.pin = "999999";
  RequireReason(keyed.Transfer(f.alice, wrong).status(), "WRONG_PIN");
  REQUIRE(f.store.GetPin("alice").value()->hash == legacy);  // a wrong PIN changes nothing
  REQUIRE(keyed.Transfer(f.alice, f.ToBob(100)).ok());
  const std::string now_stored = f.store.GetPin("alice").value()->hash;
  REQUIRE(now_stored.rfind("uwpin1$", 0) == 0);
  // The keyed PIN works from now on, and the wrong one is still wrong.
  REQUIRE(keyed.Transfer(f.alice, f.ToBob(100)).ok());
  RequireReason(keyed.Transfer(f.alice, wrong).status(), "WRONG_PIN");
  REQUIRE(f.store.GetPin("alice").value()->hash == now_stored);
}

TEST_CASE("payment PIN: not set, wrong with attempts left, lockout that grows, change") {
  Fixture f;
  SECTION("PIN_NOT_SET") {
    f.Fund("bob", 1000);
    TransferCommand command{.idempotency_key = "b1",
                            .to = {PayeeRef::By::kUserId, "alice"},
                            .amount = {100, "CNY"},
                            .pin = "135790"};
    RequireReason(f.core.Transfer(f.bob, command).status(), "PIN_NOT_SET");
  }
  SECTION("format") {
    f.auth.GrantStepUp("bob", "t", StepUpAction::kSetPaymentPin);
    RequireReason(f.core.SetPaymentPin(f.bob, "12345", "t"), "INVALID_FIELD");
    RequireReason(f.core.SetPaymentPin(f.bob, "123456", "t"), "INVALID_FIELD");
    RequireReason(f.core.SetPaymentPin(f.bob, "000000", "t"), "INVALID_FIELD");
    RequireReason(f.core.SetPaymentPin(f.bob, "135790", "nope"), "STEP_UP_REQUIRED");
    REQUIRE(f.core.SetPaymentPin(f.bob, "135790", "t").ok());
    // The step-up token was used up.
    RequireReason(f.core.SetPaymentPin(f.bob, "135791", "t"), "STEP_UP_REQUIRED");
  }
  SECTION("lockout grows and a right PIN resets the counter") {
    auto wrong = [&] {
      auto command = f.ToBob(100);
      command.pin = "999999";
      return f.core.Transfer(f.alice, command).status();
    };
    for (int left = 4; left >= 1; --left) {
      auto status = wrong();
      RequireReason(status, "WRONG_PIN");
      REQUIRE(MetadataOf(status)["attempts_left"] == std::to_string(left));
    }
    auto locked = wrong();
    RequireReason(locked, "PIN_LOCKED");
    REQUIRE(MetadataOf(locked)["retry_after_s"] == std::to_string(15 * 60 + 1));
    // Even the right PIN is refused while locked.
    RequireReason(f.core.Transfer(f.alice, f.ToBob(100)).status(), "PIN_LOCKED");
    f.clock.Advance(absl::Minutes(15));
    for (int i = 0; i < 4; ++i) RequireReason(wrong(), "WRONG_PIN");
    auto locked_again = wrong();
    RequireReason(locked_again, "PIN_LOCKED");
    REQUIRE(MetadataOf(locked_again)["retry_after_s"] == std::to_string(30 * 60 + 1));
    f.clock.Advance(absl::Minutes(30));
    REQUIRE(f.core.Transfer(f.alice, f.ToBob(100)).ok());
    RequireReason(wrong(), "WRONG_PIN");
    REQUIRE(MetadataOf(wrong())["attempts_left"] == "3");
  }
  SECTION("change PIN needs the old one") {
    RequireReason(f.core.ChangePaymentPin(f.alice, "111112", "975310"), "WRONG_PIN");
    REQUIRE(f.core.ChangePaymentPin(f.alice, "246810", "975310").ok());
    auto command = f.ToBob(100);
    command.pin = "975310";
    REQUIRE(f.core.Transfer(f.alice, command).ok());
  }
}

TEST_CASE("idempotency: a retry never charges twice, whatever step failed") {
  Fixture f;
  auto once = [&](const absl::StatusOr<Payment>& result) {
    REQUIRE(result.ok());
    REQUIRE(result->status == PaymentStatus::kSucceeded);
    REQUIRE(f.Balance("alice") == 1'000'000 - 777);
    REQUIRE(f.Balance("bob") == 777);
  };
  SECTION("ledger unreachable before it applied") {
    f.ledger.fail_before = 1;
    auto first = f.core.Transfer(f.alice, f.ToBob(777, "k"));
    REQUIRE(first.status().code() == absl::StatusCode::kUnavailable);
    REQUIRE(f.Balance("bob") == 0);
    once(f.core.Transfer(f.alice, f.ToBob(777, "k")));
  }
  SECTION("ledger applied but the answer was lost") {
    f.ledger.fail_after = 1;
    auto first = f.core.Transfer(f.alice, f.ToBob(777, "k"));
    REQUIRE_FALSE(first.ok());
    once(f.core.Transfer(f.alice, f.ToBob(777, "k")));
    REQUIRE(f.ledger.applied_calls == 1);
  }
  SECTION("marking the result failed after the ledger applied (before the response)") {
    f.store.fail_next_apply = 1;
    auto first = f.core.Transfer(f.alice, f.ToBob(777, "k"));
    REQUIRE(first.status().code() == absl::StatusCode::kUnavailable);
    once(f.core.Transfer(f.alice, f.ToBob(777, "k")));
    REQUIRE(f.ledger.applied_calls == 1);
  }
  SECTION("the response was lost after everything succeeded") {
    auto first = f.core.Transfer(f.alice, f.ToBob(777, "k"));
    REQUIRE(first.ok());
    auto again = f.core.Transfer(f.alice, f.ToBob(777, "k"));
    once(again);
    REQUIRE(again->payment_id == first->payment_id);
    REQUIRE(f.ledger.applied_calls == 1);
  }
  SECTION("nobody retries: the worker finishes the payment") {
    f.ledger.fail_before = 1;
    REQUIRE_FALSE(f.core.Transfer(f.alice, f.ToBob(777, "k")).ok());
    REQUIRE(*f.core.RunDueChecks() == 0);  // not due yet
    f.clock.Advance(absl::Minutes(1));
    REQUIRE(*f.core.RunDueChecks() == 1);
    once(f.core.Transfer(f.alice, f.ToBob(777, "k")));
  }
  SECTION("a failed payment retried returns the same failure") {
    auto first = f.core.Transfer(f.alice, f.ToBob(5'000'000 - 1, "big"));
    (void)first;
    f.Fund("alice", -1'000'000);
    auto failed = f.core.Transfer(f.alice, f.ToBob(100, "k2"));
    RequireReason(failed.status(), "INSUFFICIENT_FUNDS");
    f.Fund("alice", 1'000'000);
    auto again = f.core.Transfer(f.alice, f.ToBob(100, "k2"));
    RequireReason(again.status(), "INSUFFICIENT_FUNDS");
    REQUIRE(MetadataOf(again.status())["payment_id"] == MetadataOf(failed.status())["payment_id"]);
  }
  SECTION("concurrent duplicates: exactly one payment") {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] {
        if (f.core.Transfer(f.alice, f.ToBob(777, "k")).ok()) ++ok;
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE(ok == 4);
    once(f.core.Transfer(f.alice, f.ToBob(777, "k")));
  }
}

TEST_CASE("merchant payments by id and by QR code; QR tamper and expiry") {
  Fixture f;
  auto by_id = f.core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                            .merchant_id = "shop",
                                            .amount = Amount{2'500, "CNY"},
                                            .order_ref = "order-1",
                                            .pin = "246810"});
  REQUIRE(by_id.ok());
  REQUIRE(by_id->payee.kind == PartyKind::kMerchant);
  REQUIRE(f.ledger.Balance({AccountRef::Kind::kMerchant, "shop", "CNY"}) == 2'500);

  RequireReason(f.core
                    .PayMerchant(f.alice, {.idempotency_key = "m2",
                                           .merchant_id = "bob",
                                           .amount = Amount{1, "CNY"},
                                           .pin = "246810"})
                    .status(),
                "MERCHANT_NOT_FOUND");

  auto code = f.core.CreatePaymentCode(f.shop, Amount{8'800, "CNY"}, "order-2", 60);
  REQUIRE(code.ok());
  auto by_qr = f.core.PayMerchant(
      f.alice, {.idempotency_key = "m3", .qr_payload = code->qr_payload, .pin = "246810"});
  REQUIRE(by_qr.ok());
  REQUIRE(by_qr->amount_minor == 8'800);
  REQUIRE(by_qr->order_ref == "order-2");
  // A fixed-amount code is paid once.
  RequireReason(
      f.core
          .PayMerchant(f.alice,
                       {.idempotency_key = "m4", .qr_payload = code->qr_payload, .pin = "246810"})
          .status(),
      "QR_CODE_EXPIRED");
  // Another amount than the code's.
  auto other = f.core.CreatePaymentCode(f.shop, Amount{100, "CNY"}, "order-3", 60);
  RequireReason(f.core
                    .PayMerchant(f.alice, {.idempotency_key = "m5",
                                           .qr_payload = other->qr_payload,
                                           .amount = Amount{1, "CNY"},
                                           .pin = "246810"})
                    .status(),
                "AMOUNT_INVALID");
  // Tampered: change one character of the claims.
  std::string tampered = other->qr_payload;
  tampered[8] = tampered[8] == 'A' ? 'B' : 'A';
  RequireReason(
      f.core
          .PayMerchant(f.alice, {.idempotency_key = "m6", .qr_payload = tampered, .pin = "246810"})
          .status(),
      "QR_CODE_INVALID");
  RequireReason(VerifyPaymentCode(std::string(32, 'x'), other->qr_payload, f.clock.Now()).status(),
                "QR_CODE_INVALID");
  RequireReason(VerifyPaymentCode(std::string(32, 'q'), "garbage", f.clock.Now()).status(),
                "QR_CODE_INVALID");
  f.clock.Advance(absl::Seconds(61));
  RequireReason(
      f.core
          .PayMerchant(f.alice,
                       {.idempotency_key = "m7", .qr_payload = other->qr_payload, .pin = "246810"})
          .status(),
      "QR_CODE_EXPIRED");
}

TEST_CASE("bank cards: Luhn, brand, last4, never the number") {
  Fixture f;
  REQUIRE(LuhnValid("4111111111111111"));
  REQUIRE_FALSE(LuhnValid("4111111111111112"));
  RequireReason(f.core
                    .AddBankCard(f.alice, {.card_number = "4111 1111 1111 1112",
                                           .holder_name = "Li",
                                           .expiry_month = 1,
                                           .expiry_year = 2030})
                    .status(),
                "CARD_INVALID");
  RequireReason(f.core
                    .AddBankCard(f.alice, {.card_number = "4111 1111 1111 1111",
                                           .holder_name = "Li",
                                           .expiry_month = 1,
                                           .expiry_year = 2020})
                    .status(),
                "CARD_INVALID");
  RequireReason(f.core
                    .AddBankCard(f.alice, {.card_number = CardNumber("6222", "0069"),
                                           .holder_name = "Li",
                                           .expiry_month = 1,
                                           .expiry_year = 2030})
                    .status(),
                "CARD_DECLINED");
  auto card = f.core.AddBankCard(f.alice, {.card_number = "4111-1111-1111-1111",
                                           .holder_name = "Li",
                                           .expiry_month = 1,
                                           .expiry_year = 2030});
  REQUIRE(card.ok());
  REQUIRE(card->last4 == "1111");
  REQUIRE(card->brand == CardBrand::kVisa);
  REQUIRE_FALSE(std::regex_search(card->token, std::regex("[0-9]{12,}")));
  REQUIRE(f.core.ListBankCards("alice")->size() == 1);
  REQUIRE(f.core.RemoveBankCard("alice", card->card_id).ok());
  RequireReason(f.core.RemoveBankCard("alice", card->card_id), "CARD_NOT_FOUND");
}

TEST_CASE("top-up with the simulated bank's test cards") {
  Fixture f;
  auto top_up = [&](const std::string& card_id, int64_t amount) {
    return f.core.TopUp(
        f.alice, {.idempotency_key = f.Key(), .bank_card_id = card_id, .amount = {amount, "CNY"}});
  };
  auto good = top_up(f.AddCard(f.alice, "4242"), 50'000);
  REQUIRE(good.ok());
  REQUIRE(good->status == PaymentStatus::kSucceeded);
  REQUIRE(f.Balance("alice") == 1'050'000);
  RequireReason(top_up(f.AddCard(f.alice, "0002"), 100).status(), "CARD_DECLINED");
  RequireReason(top_up(f.AddCard(f.alice, "0051"), 100).status(), "INSUFFICIENT_FUNDS");
  auto timeout = top_up(f.AddCard(f.alice, "0091"), 100).status();
  RequireReason(timeout, "BANK_UNAVAILABLE");
  REQUIRE(timeout.code() == absl::StatusCode::kUnavailable);
  RequireReason(top_up("no-such-card", 100).status(), "CARD_NOT_FOUND");
  REQUIRE(f.Balance("alice") == 1'050'000);

  auto slow = top_up(f.AddCard(f.alice, "0077"), 10'000);
  REQUIRE(slow.ok());
  REQUIRE(slow->status == PaymentStatus::kPending);
  f.clock.Advance(absl::Minutes(3));
  REQUIRE(*f.core.RunDueChecks() == 1);
  REQUIRE(f.core.GetPayment("alice", slow->payment_id)->status == PaymentStatus::kSucceeded);
  REQUIRE(f.Balance("alice") == 1'060'000);
}

TEST_CASE("withdrawal lifecycle: held, then settled with the fee, or failed with money back") {
  Fixture f;
  auto withdraw = [&](const std::string& card_id, int64_t amount) {
    return f.core.Withdraw(f.alice, {.idempotency_key = f.Key(),
                                     .bank_card_id = card_id,
                                     .amount = {amount, "CNY"},
                                     .pin = "246810"});
  };
  const AccountRef fees{AccountRef::Kind::kFeeRevenue, "", "CNY"};
  SECTION("settles") {
    auto pending = withdraw(f.AddCard(f.alice, "4242"), 100'000);
    REQUIRE(pending.ok());
    REQUIRE(pending->status == PaymentStatus::kPending);
    REQUIRE(pending->fee_minor == 100);
    REQUIRE(pending->arrives_by > f.clock.Now());
    REQUIRE(f.Available("alice") == 1'000'000 - 100'100);
    REQUIRE(f.Balance("alice") == 1'000'000);
    REQUIRE(*f.core.RunDueChecks() == 0);
    f.clock.Advance(absl::Seconds(31));
    REQUIRE(*f.core.RunDueChecks() == 1);
    auto done = f.core.GetPayment("alice", pending->payment_id);
    REQUIRE(done->status == PaymentStatus::kSucceeded);
    REQUIRE(f.Balance("alice") == 1'000'000 - 100'100);
    REQUIRE(f.ledger.Balance(fees) == 100);
    REQUIRE(f.ledger.PendingHolds() == 0);
    REQUIRE(f.store.events.back().first == "payments.payment_succeeded");
  }
  SECTION("declined by the bank: hold voided, reason recorded") {
    auto pending = withdraw(f.AddCard(f.alice, "0002"), 100'000);
    REQUIRE(pending.ok());
    f.clock.Advance(absl::Seconds(31));
    REQUIRE(*f.core.RunDueChecks() == 1);
    auto done = f.core.GetPayment("alice", pending->payment_id);
    REQUIRE(done->status == PaymentStatus::kFailed);
    REQUIRE(done->failure_reason == "CARD_DECLINED");
    REQUIRE(f.Available("alice") == 1'000'000);
    REQUIRE(f.ledger.Balance(fees) == 0);
  }
  SECTION("bank timeout: money back with BANK_UNAVAILABLE") {
    auto pending = withdraw(f.AddCard(f.alice, "0091"), 100'000);
    REQUIRE(pending.ok());
    f.clock.Advance(absl::Seconds(31));
    REQUIRE(*f.core.RunDueChecks() == 1);
    auto done = f.core.GetPayment("alice", pending->payment_id);
    REQUIRE(done->failure_reason == "BANK_UNAVAILABLE");
    REQUIRE(f.Available("alice") == 1'000'000);
  }
  SECTION("settlement callback is idempotent") {
    auto pending = withdraw(f.AddCard(f.alice, "0077"), 1'000);
    REQUIRE(pending.ok());
    Settlement settled{.payment_id = pending->payment_id,
                       .bank_reference = pending->bank_reference,
                       .outcome = BankOutcome::kSettled};
    REQUIRE(f.core.HandleSettlement(settled)->status == PaymentStatus::kSucceeded);
    REQUIRE(f.core.HandleSettlement(settled)->status == PaymentStatus::kSucceeded);
    REQUIRE(f.Balance("alice") == 1'000'000 - 1'000 - 10);
  }
  SECTION("insufficient funds for amount plus fee") {
    f.Fund("alice", -999'950);
    RequireReason(withdraw(f.AddCard(f.alice, "4242"), 45).status(), "INSUFFICIENT_FUNDS");
    REQUIRE(f.Available("alice") == 50);
  }
}

TEST_CASE("refunds: partial, never above the original; staff reversal audited") {
  Fixture f;
  auto paid = f.core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                           .merchant_id = "shop",
                                           .amount = Amount{10'000, "CNY"},
                                           .pin = "246810"});
  REQUIRE(paid.ok());
  auto refund = [&](const std::string& key, int64_t amount) {
    return f.core.MerchantRefund(f.shop, {.idempotency_key = key,
                                          .payment_id = paid->payment_id,
                                          .amount = Amount{amount, "CNY"},
                                          .reason = "returned"});
  };
  auto first = refund("r1", 3'000);
  REQUIRE(first.ok());
  REQUIRE(first->refund.status == PaymentStatus::kSucceeded);
  REQUIRE(first->original.refunded_minor == 3'000);
  REQUIRE(first->original.status == PaymentStatus::kSucceeded);
  REQUIRE(f.Balance("alice") == 1'000'000 - 7'000);
  REQUIRE(refund("r1", 3'000)->refund.payment_id == first->refund.payment_id);  // retry
  auto too_much = refund("r2", 7'001).status();
  RequireReason(too_much, "REFUND_EXCEEDS_PAYMENT");
  REQUIRE(MetadataOf(too_much)["refundable_minor"] == "7000");
  // Another merchant (or a customer) cannot refund it.
  RequireReason(
      f.core
          .MerchantRefund(f.bob,
                          {.idempotency_key = "x", .payment_id = paid->payment_id, .reason = "no"})
          .status(),
      "PAYMENT_NOT_FOUND");
  auto rest = refund("r3", 7'000);
  REQUIRE(rest.ok());
  REQUIRE(rest->original.status == PaymentStatus::kRefunded);
  REQUIRE(f.Balance("alice") == 1'000'000);
  REQUIRE(f.store.events.back().first == "payments.refunded");

  SECTION("a refund the merchant cannot fund fails and frees the amount") {
    auto p2 = f.core.PayMerchant(f.alice, {.idempotency_key = "m2",
                                           .merchant_id = "shop",
                                           .amount = Amount{5'000, "CNY"},
                                           .pin = "246810"});
    f.ledger.balances[AccountKey({AccountRef::Kind::kMerchant, "shop", "CNY"})] = 0;
    auto failed = f.core.MerchantRefund(
        f.shop, {.idempotency_key = "r4", .payment_id = p2->payment_id, .reason = "x"});
    RequireReason(failed.status(), "INSUFFICIENT_FUNDS");
    REQUIRE(f.core.GetAnyPayment(p2->payment_id)->refunded_minor == 0);
  }
  SECTION("staff reversal of a transfer, audited, reason required") {
    auto sent = f.core.Transfer(f.alice, f.ToBob(4'000));
    REQUIRE(sent.ok());
    Caller agent{.user_id = "agent-1"};
    RequireReason(
        f.core.StaffReverse(agent, {.idempotency_key = "v1", .payment_id = sent->payment_id})
            .status(),
        "INVALID_FIELD");
    auto reversed = f.core.StaffReverse(agent, {.idempotency_key = "v1",
                                                .payment_id = sent->payment_id,
                                                .reason = "sent to wrong person",
                                                .reference = "ticket-9"});
    REQUIRE(reversed.ok());
    REQUIRE(reversed->original.status == PaymentStatus::kReversed);
    REQUIRE_FALSE(reversed->audit_id.empty());
    REQUIRE(f.store.audit.size() == 1);
    REQUIRE(f.store.audit[0].reference == "ticket-9");
    REQUIRE(f.Balance("bob") == 0);
  }
}

TEST_CASE("reversal returns the fee in the same ledger batch; a refund does not") {
  CoreOptions options = Fixture::Options();
  options.fees = *FeeTable::Parse("transfer:100:0:0,merchant:100:0:0,withdrawal:10:10:0");
  Fixture f(std::move(options));
  const AccountRef fees{AccountRef::Kind::kFeeRevenue, "", "CNY"};
  auto sent = f.core.Transfer(f.alice, f.ToBob(10'000));
  REQUIRE(sent.ok());
  REQUIRE(sent->fee_minor == 100);
  REQUIRE(f.Balance("alice") == 1'000'000 - 10'100);
  REQUIRE(f.ledger.Balance(fees) == 100);
  const int calls_before = f.ledger.applied_calls;
  Caller agent{.user_id = "agent-1"};
  auto reversed = f.core.StaffReverse(
      agent, {.idempotency_key = "v1", .payment_id = sent->payment_id, .reason = "wrong payee"});
  REQUIRE(reversed.ok());
  REQUIRE(reversed->refund.status == PaymentStatus::kSucceeded);
  REQUIRE(reversed->refund.amount_minor == 10'000);
  REQUIRE(reversed->refund.fee_minor == 100);  // the fee returned
  REQUIRE(reversed->refund.ledger_transaction_ids.size() == 2);
  REQUIRE(f.ledger.applied_calls == calls_before + 1);  // one linked batch: amount + fee
  REQUIRE(reversed->original.status == PaymentStatus::kReversed);
  REQUIRE(f.Balance("alice") == 1'000'000);
  REQUIRE(f.Balance("bob") == 0);
  REQUIRE(f.ledger.Balance(fees) == 0);
  // A retry returns the same reversal and moves nothing.
  auto again = f.core.StaffReverse(
      agent, {.idempotency_key = "v1", .payment_id = sent->payment_id, .reason = "wrong payee"});
  REQUIRE(again->refund.payment_id == reversed->refund.payment_id);
  REQUIRE(f.ledger.applied_calls == calls_before + 1);

  SECTION("after a partial refund, the reversal returns the rest and the whole fee") {
    auto paid = f.core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                             .merchant_id = "shop",
                                             .amount = Amount{20'000, "CNY"},
                                             .pin = "246810"});
    REQUIRE(paid->fee_minor == 200);
    REQUIRE(f.core
                .MerchantRefund(f.shop, {.idempotency_key = "r1",
                                         .payment_id = paid->payment_id,
                                         .amount = Amount{5'000, "CNY"},
                                         .reason = "one item"})
                .ok());
    REQUIRE(f.Balance("alice") == 1'000'000 - 15'200);  // a refund keeps the fee
    auto rest = f.core.StaffReverse(
        agent, {.idempotency_key = "v2", .payment_id = paid->payment_id, .reason = "fraud"});
    REQUIRE(rest.ok());
    REQUIRE(rest->refund.amount_minor == 15'000);
    REQUIRE(rest->refund.fee_minor == 200);
    REQUIRE(f.Balance("alice") == 1'000'000);
    REQUIRE(f.ledger.Balance(fees) == 0);
  }
  SECTION("a reversal the payee cannot fund fails as a whole: no fee moves either") {
    auto sent2 = f.core.Transfer(f.alice, f.ToBob(3'000));
    REQUIRE(sent2.ok());
    f.ledger.balances[AccountKey(f.Wallet("bob"))] = 0;
    const int64_t fees_before = f.ledger.Balance(fees);
    auto failed = f.core.StaffReverse(
        agent, {.idempotency_key = "v3", .payment_id = sent2->payment_id, .reason = "x"});
    RequireReason(failed.status(), "INSUFFICIENT_FUNDS");
    REQUIRE(f.ledger.Balance(fees) == fees_before);
    REQUIRE(f.core.GetAnyPayment(sent2->payment_id)->status == PaymentStatus::kSucceeded);
  }
}

TEST_CASE("a refund request is for a merchant payment: a transfer to a person is refused") {
  Fixture f;
  auto sent = f.core.Transfer(f.alice, {.idempotency_key = "t1",
                                        .to = {PayeeRef::By::kUserId, "bob"},
                                        .amount = Amount{1'000, "CNY"},
                                        .pin = "246810"});
  REQUIRE(sent.ok());
  auto asked = f.core.RequestRefund(
      f.alice, {.idempotency_key = "q1", .payment_id = sent->payment_id, .reason = "wrong person"});
  RequireReason(asked.status(), "INVALID_STATE");
  REQUIRE(asked.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(absl::StrContains(asked.status().message(), "open a dispute"));
  // Nothing was recorded: the key is still free for a request on a merchant payment.
  auto paid = f.core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                           .merchant_id = "shop",
                                           .amount = Amount{1'000, "CNY"},
                                           .pin = "246810"});
  REQUIRE(paid.ok());
  auto merchant_request = f.core.RequestRefund(
      f.alice, {.idempotency_key = "q1", .payment_id = paid->payment_id, .reason = "broken"});
  REQUIRE(merchant_request.ok());
  REQUIRE(merchant_request->merchant_id == "shop");
}

TEST_CASE("refund requests are linked to the merchant's refund") {
  Fixture f;
  auto paid = f.core.PayMerchant(f.alice, {.idempotency_key = "m1",
                                           .merchant_id = "shop",
                                           .amount = Amount{10'000, "CNY"},
                                           .pin = "246810"});
  REQUIRE(paid.ok());
  auto request = [&](const std::string& key, int64_t amount) {
    return f.core.RequestRefund(f.alice, {.idempotency_key = key,
                                          .payment_id = paid->payment_id,
                                          .amount = Amount{amount, "CNY"},
                                          .reason = "arrived broken"});
  };
  auto asked = request("q1", 3'000);
  REQUIRE(asked.ok());
  REQUIRE(asked->status == kRefundRequestRequested);
  REQUIRE(asked->refund_payment_id.empty());
  auto refund = [&](const std::string& key, std::optional<int64_t> amount,
                    const std::string& request_id) {
    std::optional<Amount> money;
    if (amount) money = Amount{*amount, "CNY"};
    return f.core.MerchantRefund(f.shop, {.idempotency_key = key,
                                          .payment_id = paid->payment_id,
                                          .amount = money,
                                          .reason = "ok",
                                          .reference = request_id,
                                          .refund_request_id = request_id});
  };
  // An unknown request, or one of another payment, is refused and nothing moves.
  RequireReason(refund("r0", 3'000, "not-a-request").status(), "REFUND_REQUEST_NOT_FOUND");
  REQUIRE(f.core.GetAnyPayment(paid->payment_id)->refunded_minor == 0);

  SECTION("the linked request becomes REFUNDED with the refund's id; a retry shows it") {
    auto done = refund("r1", 3'000, asked->refund_request_id);
    REQUIRE(done.ok());
    auto now = request("q1", 3'000);
    REQUIRE(now.ok());
    REQUIRE(now->refund_request_id == asked->refund_request_id);
    REQUIRE(now->status == kRefundRequestRefunded);
    REQUIRE(now->refund_payment_id == done->refund.payment_id);
    REQUIRE(now->refunded_minor == 3'000);
    REQUIRE(now->decided_at == f.clock.Now());
    // The same request cannot be answered twice.
    RequireReason(refund("r2", 1'000, asked->refund_request_id).status(), "INVALID_STATE");
    // A request left when nothing remains to refund is answered by the refund that emptied it.
    auto other = request("q2", 2'000);
    REQUIRE(other->status == kRefundRequestRequested);
    auto rest = refund("r3", std::nullopt, "");
    REQUIRE(rest.ok());
    REQUIRE(rest->original.status == PaymentStatus::kRefunded);
    auto other_now = request("q2", 2'000);
    REQUIRE(other_now->status == kRefundRequestRefunded);
    REQUIRE(other_now->refund_payment_id == rest->refund.payment_id);
    REQUIRE(other_now->refunded_minor == 2'000);  // the whole payment came back
    // A retry with the key of a request for another payment is refused.
    auto paid2 = f.core.PayMerchant(f.alice, {.idempotency_key = "m2",
                                              .merchant_id = "shop",
                                              .amount = Amount{1'000, "CNY"},
                                              .pin = "246810"});
    RequireReason(
        f.core
            .RequestRefund(
                f.alice, {.idempotency_key = "q1", .payment_id = paid2->payment_id, .reason = "x"})
            .status(),
        "IDEMPOTENCY_KEY_REUSED");
  }
  SECTION("a refund that fails leaves the request waiting, to be answered again") {
    f.ledger.balances[AccountKey({AccountRef::Kind::kMerchant, "shop", "CNY"})] = 0;
    RequireReason(refund("r1", 3'000, asked->refund_request_id).status(), "INSUFFICIENT_FUNDS");
    auto still = request("q1", 3'000);
    REQUIRE(still->status == kRefundRequestRequested);
    REQUIRE(still->refund_payment_id.empty());
    REQUIRE(still->refunded_minor == 0);
    REQUIRE(still->reserved_minor == 0);  // the failed refund's reservation is released
    f.ledger.balances[AccountKey({AccountRef::Kind::kMerchant, "shop", "CNY"})] = 10'000;
    auto done = refund("r2", 3'000, asked->refund_request_id);
    REQUIRE(done.ok());
    REQUIRE(request("q1", 3'000)->refund_payment_id == done->refund.payment_id);
  }
}

// A merchant payment of `amount` by alice to the shop, and a refund request for `requested`.
struct RequestedRefund {
  Payment paid;
  RefundRequestRecord request;
};
RequestedRefund PayAndAsk(Fixture& f, int64_t amount, int64_t requested) {
  auto paid = f.core.PayMerchant(f.alice, {.idempotency_key = f.Key(),
                                           .merchant_id = "shop",
                                           .amount = Amount{amount, "CNY"},
                                           .pin = "246810"});
  REQUIRE(paid.ok());
  auto asked = f.core.RequestRefund(f.alice, {.idempotency_key = f.Key(),
                                              .payment_id = paid->payment_id,
                                              .amount = Amount{requested, "CNY"},
                                              .reason = "arrived broken"});
  REQUIRE(asked.ok());
  REQUIRE(asked->merchant_id == "shop");
  return {*paid, *asked};
}

absl::StatusOr<RefundResult> AnswerRefund(Fixture& f, const RequestedRefund& r,
                                          std::optional<int64_t> amount) {
  std::optional<Amount> money;
  if (amount) money = Amount{*amount, "CNY"};
  return f.core.MerchantRefund(f.shop, {.idempotency_key = f.Key(),
                                        .payment_id = r.paid.payment_id,
                                        .amount = money,
                                        .reason = "ok",
                                        .refund_request_id = r.request.refund_request_id});
}

RefundRequestRecord RequestNow(Fixture& f, const RefundRequestRecord& request) {
  auto now = f.store.GetRefundRequest(request.refund_request_id);
  REQUIRE(now.ok());
  REQUIRE(now->has_value());
  return **now;
}

TEST_CASE("a smaller linked refund leaves the request partly refunded until the rest comes back") {
  Fixture f;
  const RequestedRefund r = PayAndAsk(f, 10'000, 5'000);
  const int64_t alice_before = f.Balance("alice");

  auto first = AnswerRefund(f, r, 2'000);
  REQUIRE(first.ok());
  RefundRequestRecord now = RequestNow(f, r.request);
  REQUIRE(now.status == kRefundRequestPartiallyRefunded);
  REQUIRE(now.refunded_minor == 2'000);
  REQUIRE(now.reserved_minor == 0);
  REQUIRE(now.refund_payment_id == first->refund.payment_id);
  REQUIRE(now.decided_at == absl::InfinitePast());  // still open
  REQUIRE(first->original.status == PaymentStatus::kSucceeded);

  // More than the request still asks for is refused, and nothing moves.
  RequireReason(AnswerRefund(f, r, 3'001).status(), "REFUND_EXCEEDS_REQUEST");
  REQUIRE(RequestNow(f, r.request).refunded_minor == 2'000);
  REQUIRE(f.core.GetAnyPayment(r.paid.payment_id)->refunded_minor == 2'000);

  // Without an amount, the refund pays what the request still asks for.
  f.clock.Advance(absl::Minutes(1));
  auto rest = AnswerRefund(f, r, std::nullopt);
  REQUIRE(rest.ok());
  REQUIRE(rest->refund.amount_minor == 3'000);
  now = RequestNow(f, r.request);
  REQUIRE(now.status == kRefundRequestRefunded);
  REQUIRE(now.refunded_minor == 5'000);
  REQUIRE(now.refund_payment_id == rest->refund.payment_id);
  REQUIRE(now.decided_at == f.clock.Now());
  REQUIRE(rest->original.refunded_minor == 5'000);
  REQUIRE(rest->original.status == PaymentStatus::kSucceeded);  // half the payment remains
  REQUIRE(f.Balance("alice") == alice_before + 5'000);

  // A refunded request takes no further refund; the payment itself still may be refunded.
  RequireReason(AnswerRefund(f, r, 1'000).status(), "INVALID_STATE");
  RequireReason(AnswerRefund(f, r, std::nullopt).status(), "INVALID_STATE");
  REQUIRE(f.core.GetAnyPayment(r.paid.payment_id)->refunded_minor == 5'000);
}

TEST_CASE("a merchant rejects an open request, or the rest of a partly refunded one") {
  Fixture f;
  f.auth.Add("other-shop", "O*p", "", /*merchant=*/true);
  const RequestedRefund r = PayAndAsk(f, 10'000, 4'000);
  const Caller other_shop{.user_id = "other-shop"};

  // Unknown, someone else's, and without a reason.
  RequireReason(f.core.RejectRefundRequest(f.shop, "no-such-request", "no").status(),
                "REFUND_REQUEST_NOT_FOUND");
  auto foreign = f.core.RejectRefundRequest(other_shop, r.request.refund_request_id, "no");
  REQUIRE(foreign.status().code() == absl::StatusCode::kNotFound);
  RequireReason(foreign.status(), "REFUND_REQUEST_NOT_FOUND");
  RequireReason(f.core.RejectRefundRequest(f.alice, r.request.refund_request_id, "no").status(),
                "REFUND_REQUEST_NOT_FOUND");  // the customer is not the merchant
  RequireReason(f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "").status(),
                "INVALID_FIELD");
  REQUIRE(RequestNow(f, r.request).status == kRefundRequestRequested);

  SECTION("the rest of a partly refunded request: refunded amount kept, customer told") {
    REQUIRE(AnswerRefund(f, r, 1'500).ok());
    REQUIRE(RequestNow(f, r.request).status == kRefundRequestPartiallyRefunded);
    f.clock.Advance(absl::Minutes(5));
    const size_t events_before = f.store.events.size();
    auto rejected =
        f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "the rest was used");
    REQUIRE(rejected.ok());
    REQUIRE(rejected->status == kRefundRequestRejected);
    REQUIRE(rejected->refunded_minor == 1'500);
    REQUIRE(rejected->decision_reason == "the rest was used");
    REQUIRE(rejected->decided_at == f.clock.Now());
    REQUIRE(f.store.events.size() == events_before + 1);
    REQUIRE(f.store.events.back().first == "payments.refund_request_rejected");
    // The customer's retry of RequestRefund shows the answer.
    auto seen = f.core.RequestRefund(f.alice, {.idempotency_key = r.request.idempotency_key,
                                               .payment_id = r.paid.payment_id,
                                               .amount = Amount{4'000, "CNY"},
                                               .reason = "arrived broken"});
    REQUIRE(seen->status == kRefundRequestRejected);
    REQUIRE(seen->decision_reason == "the rest was used");
    // Decided: neither a second rejection nor a linked refund.
    auto again = f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "again");
    REQUIRE(again.status().code() == absl::StatusCode::kFailedPrecondition);
    RequireReason(again.status(), "REFUND_REQUEST_NOT_OPEN");
    RequireReason(AnswerRefund(f, r, 500).status(), "INVALID_STATE");
    REQUIRE(f.core.GetAnyPayment(r.paid.payment_id)->refunded_minor == 1'500);
  }
  SECTION("a rejection needs a reason the customer can read, of bounded size") {
    RequireReason(f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "").status(),
                  "INVALID_FIELD");
    RequireReason(f.core
                      .RejectRefundRequest(f.shop, r.request.refund_request_id,
                                           std::string(kReasonBytesMax + 1, 'x'))
                      .status(),
                  "INVALID_FIELD");
    RequireReason(f.core.RejectRefundRequest(f.shop, "", "no").status(), "INVALID_FIELD");
    REQUIRE(RequestNow(f, r.request).status == kRefundRequestRequested);
  }
  SECTION("not while a refund answering it is in flight") {
    f.ledger.fail_before = 1;  // the refund stays PENDING, its amount reserved on the request
    REQUIRE_FALSE(AnswerRefund(f, r, 1'000).ok());
    REQUIRE(RequestNow(f, r.request).reserved_minor == 1'000);
    RequireReason(f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "no").status(),
                  "INVALID_STATE");
    // The worker finishes the refund; then the rest can be rejected.
    f.clock.Advance(absl::Minutes(1));
    REQUIRE(f.core.RunDueChecks().ok());
    REQUIRE(RequestNow(f, r.request).refunded_minor == 1'000);
    REQUIRE(RequestNow(f, r.request).reserved_minor == 0);
    auto rejected = f.core.RejectRefundRequest(f.shop, r.request.refund_request_id, "no more");
    REQUIRE(rejected.ok());
    REQUIRE(rejected->refunded_minor == 1'000);
  }
}

TEST_CASE("customers and merchants list refund requests, newest first, page by page") {
  Fixture f;
  f.auth.Add("other-shop", "O*p", "", /*merchant=*/true);
  std::vector<RequestedRefund> asked;
  for (int i = 0; i < 3; ++i) asked.push_back(PayAndAsk(f, 1'000 + i, 500));
  f.Fund("bob", 10'000);
  f.SetPin("bob", "135792");
  auto bobs = f.core.PayMerchant(f.bob, {.idempotency_key = "b1",
                                         .merchant_id = "other-shop",
                                         .amount = Amount{700, "CNY"},
                                         .pin = "135792"});
  REQUIRE(bobs.ok());
  REQUIRE(
      f.core.RequestRefund(f.bob, {.idempotency_key = "bq", .payment_id = bobs->payment_id}).ok());
  REQUIRE(AnswerRefund(f, asked[0], 200).ok());
  REQUIRE(f.core.RejectRefundRequest(f.shop, asked[1].request.refund_request_id, "no").ok());

  auto page1 = f.core.ListRefundRequests({.user_id = "alice"}, 2, "");
  REQUIRE(page1.ok());
  REQUIRE(page1->first.size() == 2);
  REQUIRE(page1->first[0].refund_request_id == asked[2].request.refund_request_id);
  REQUIRE(page1->first[1].refund_request_id == asked[1].request.refund_request_id);
  REQUIRE(page1->first[1].status == kRefundRequestRejected);
  REQUIRE_FALSE(page1->second.empty());
  auto page2 = f.core.ListRefundRequests({.user_id = "alice"}, 2, page1->second);
  REQUIRE(page2.ok());
  REQUIRE(page2->first.size() == 1);
  REQUIRE(page2->first[0].refund_request_id == asked[0].request.refund_request_id);
  REQUIRE(page2->first[0].status == kRefundRequestPartiallyRefunded);
  REQUIRE(page2->first[0].refunded_minor == 200);
  REQUIRE(page2->second.empty());

  // The shop sees the requests on its payments, not the other shop's; a status filter applies.
  auto shop_all = f.core.ListRefundRequests({.merchant_id = "shop"}, 0, "");
  REQUIRE(shop_all->first.size() == 3);
  auto shop_open = f.core.ListRefundRequests(
      {.merchant_id = "shop",
       .statuses = {kRefundRequestRequested, kRefundRequestPartiallyRefunded}},
      0, "");
  REQUIRE(shop_open->first.size() == 2);
  REQUIRE(shop_open->first[0].refund_request_id == asked[2].request.refund_request_id);
  REQUIRE(shop_open->first[1].refund_request_id == asked[0].request.refund_request_id);
  auto other = f.core.ListRefundRequests({.merchant_id = "other-shop"}, 0, "");
  REQUIRE(other->first.size() == 1);
  REQUIRE(other->first[0].user_id == "bob");

  RequireReason(f.core.ListRefundRequests({.user_id = "alice"}, 101, "").status(), "INVALID_FIELD");
  RequireReason(f.core.ListRefundRequests({.merchant_id = "shop", .statuses = {9}}, 0, "").status(),
                "INVALID_FIELD");
  RequireReason(f.core.ListRefundRequests({}, 0, "").status(), "INVALID_FIELD");
}

TEST_CASE("a schedule run claimed by a worker that stopped is re-driven once after the lease") {
  Fixture f;
  REQUIRE(f.core
              .CreateSchedule(f.alice, {.idempotency_key = "s1",
                                        .to = {PayeeRef::By::kUserId, "bob"},
                                        .amount = {1'000, "CNY"},
                                        .cadence = Cadence::kDaily,
                                        .starts_at = f.clock.Now(),
                                        .pin = "246810"})
              .ok());
  // Worker A claims today's period and stops before paying.
  auto claimed = f.store.ClaimDueRuns(f.clock.Now(), Fixture::Options().schedule_run_lease, 10);
  REQUIRE(claimed->size() == 1);
  REQUIRE(*f.core.RunDueSchedules() == 0);  // within the lease: nobody touches it
  f.clock.Advance(Fixture::Options().schedule_run_lease);
  REQUIRE(*f.core.RunDueSchedules() == 1);  // worker B re-drives it
  REQUIRE(f.Balance("bob") == 1'000);
  f.clock.Advance(Fixture::Options().schedule_run_lease);
  REQUIRE(*f.core.RunDueSchedules() == 0);  // paid: never again
  REQUIRE(f.Balance("bob") == 1'000);
}

TEST_CASE("a schedule run recorded PENDING after a transient error follows its payment") {
  Fixture f;
  REQUIRE(f.core
              .CreateSchedule(f.alice, {.idempotency_key = "s1",
                                        .to = {PayeeRef::By::kUserId, "bob"},
                                        .amount = {1'000, "CNY"},
                                        .cadence = Cadence::kDaily,
                                        .starts_at = f.clock.Now(),
                                        .pin = "246810"})
              .ok());
  // The ledger applies the transfer but the answer is lost: the run is recorded PENDING.
  f.ledger.fail_after = 1;
  REQUIRE(*f.core.RunDueSchedules() == 1);
  auto schedule = f.core.ListSchedules("alice", 0)->front();
  REQUIRE(schedule.last_status == PaymentStatus::kPending);
  // The payment worker finishes the payment (before the run's lease re-drives it); the schedule
  // says so, with the payment.
  f.clock.Advance(Fixture::Options().retry_after + absl::Seconds(1));
  REQUIRE(*f.core.RunDueChecks() >= 1);
  schedule = f.core.ListSchedules("alice", 0)->front();
  CHECK(schedule.last_status == PaymentStatus::kSucceeded);
  CHECK_FALSE(schedule.last_payment_id.empty());
  CHECK(schedule.failed_run_count == 0);
  // A finished run is never re-driven.
  f.clock.Advance(Fixture::Options().schedule_run_lease);
  REQUIRE(*f.core.RunDueSchedules() == 0);
  CHECK(f.Balance("bob") == 1'000);
  // Recording it again (the run's own worker may also finish it) changes nothing.
  REQUIRE(f.store
              .CompleteRun(schedule.schedule_id, schedule.last_period_start,
                           schedule.last_payment_id, PaymentStatus::kSucceeded, "", f.clock.Now())
              .ok());
  CHECK(f.core.ListSchedules("alice", 0)->front().last_ran_at == schedule.last_ran_at);
}

TEST_CASE("schedules: each period runs exactly once, even with concurrent workers") {
  Fixture f;
  auto created = f.core.CreateSchedule(f.alice, {.idempotency_key = "s1",
                                                 .to = {PayeeRef::By::kUserId, "bob"},
                                                 .amount = {1'000, "CNY"},
                                                 .cadence = Cadence::kDaily,
                                                 .starts_at = f.clock.Now(),
                                                 .note = "rent",
                                                 .pin = "246810"});
  REQUIRE(created.ok());
  REQUIRE(created->payee_display_name == "B*b");
  RequireReason(f.core
                    .CreateSchedule(f.alice, {.idempotency_key = "s2",
                                              .to = {PayeeRef::By::kUserId, "alice"},
                                              .amount = {1, "CNY"},
                                              .cadence = Cadence::kDaily,
                                              .pin = "246810"})
                    .status(),
                "SELF_TRANSFER");
  f.clock.Advance(absl::Hours(24 * 3) + absl::Minutes(1));
  std::vector<std::thread> workers;
  std::atomic<int> handled{0};
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] { handled += f.core.RunDueSchedules().value_or(0); });
  }
  for (auto& w : workers) w.join();
  REQUIRE(handled == 4);  // day 0, 1, 2, 3
  REQUIRE(*f.core.RunDueSchedules() == 0);
  REQUIRE(f.Balance("bob") == 4'000);
  // A failed run is recorded on the schedule and evented.
  f.Fund("alice", -f.Balance("alice"));
  f.clock.Advance(absl::Hours(24));
  REQUIRE(*f.core.RunDueSchedules() == 1);
  auto listed = f.core.ListSchedules("alice", 0);
  REQUIRE(listed->front().failed_run_count == 1);
  REQUIRE(listed->front().last_failure_reason == "INSUFFICIENT_FUNDS");
  REQUIRE(f.store.events.back().first == "payments.schedule_run_failed");
  REQUIRE(f.core.CancelSchedule("alice", created->schedule_id)->status ==
          ScheduleStatus::kCancelled);
  f.clock.Advance(absl::Hours(48));
  REQUIRE(*f.core.RunDueSchedules() == 0);
}

TEST_CASE("monthly schedules keep the day, clamped on short months") {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time jan31 = absl::FromCivil(absl::CivilSecond(2027, 1, 31, 9, 0, 0), utc);
  const absl::Time feb = NextPeriodStart(Cadence::kMonthly, jan31, jan31, utc);
  REQUIRE(feb == absl::FromCivil(absl::CivilSecond(2027, 2, 28, 9, 0, 0), utc));
  const absl::Time mar = NextPeriodStart(Cadence::kMonthly, jan31, feb, utc);
  REQUIRE(mar == absl::FromCivil(absl::CivilSecond(2027, 3, 31, 9, 0, 0), utc));
}

TEST_CASE("limits show what is used today") {
  Fixture f;
  REQUIRE(f.core.Transfer(f.alice, f.ToBob(1'500)).ok());
  auto limits = f.core.GetLimits("alice");
  REQUIRE(limits.ok());
  bool seen = false;
  for (const LimitView& view : *limits) {
    if (view.kind != PaymentKind::kTransfer) continue;
    seen = true;
    REQUIRE(view.used.amount_minor == 1'500);
    REQUIRE(view.used.count == 1);
    REQUIRE(view.resets_at > f.clock.Now());
  }
  REQUIRE(seen);
}

TEST_CASE("listing pages newest first") {
  Fixture f;
  for (int i = 0; i < 5; ++i) REQUIRE(f.core.Transfer(f.alice, f.ToBob(10 + i)).ok());
  auto page = f.core.ListPayments({.user_id = "bob"}, 2, "");
  REQUIRE(page.ok());
  REQUIRE(page->first.size() == 2);
  REQUIRE(page->first[0].amount_minor == 14);
  auto next = f.core.ListPayments({.user_id = "bob"}, 2, page->second);
  REQUIRE(next->first[0].amount_minor == 12);
  RequireReason(f.core.ListPayments({.user_id = "bob"}, 101, "").status(), "INVALID_FIELD");
}

}  // namespace
}  // namespace uwallet::payments
