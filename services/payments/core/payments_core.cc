#include "services/payments/core/payments_core.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "services/payments/core/cards.h"
#include "services/payments/core/errors.h"
#include "uwallet/common/log.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/password.h"

namespace uwallet::payments {
namespace {

constexpr char kEventSucceeded[] = "payments.payment_succeeded";
constexpr char kEventFailed[] = "payments.payment_failed";
constexpr char kDecisionAllow[] = "allow";
constexpr char kDecisionReview[] = "review";
constexpr char kBankPending[] = "pending";
constexpr char kBankSettled[] = "settled";

std::string LedgerKey(const Payment& payment, absl::string_view step) {
  return absl::StrCat("payments:", payment.payment_id, ":", step);
}

std::string Digest(std::initializer_list<absl::string_view> parts) {
  std::string text;
  for (absl::string_view part : parts) absl::StrAppend(&text, part.size(), ":", part, "|");
  return crypto::Sha256Hex(text);
}

std::string PayeeText(const PayeeRef& ref) {
  return absl::StrCat(static_cast<int>(ref.by), ":", ref.value);
}

std::map<std::string, std::string> Meta(const Payment& payment) {
  return {{"payment_id", payment.payment_id}};
}

bool IsTransient(const absl::Status& status) { return !IsDefinitive(status); }

absl::Status StepUpRequired() {
  return WithMetadata(
      Precondition("STEP_UP_REQUIRED", "confirm this payment with a fresh verification (step-up)"),
      {{"action", "LARGE_PAYMENT"}});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

std::map<PaymentKind, KindLimits> CoreOptions::DefaultLimits() {
  return {
      {PaymentKind::kTransfer,
       {.per_transaction_max_minor = 5'000'000,
        .daily_max_minor = 20'000'000,
        .daily_count_max = 100,
        .step_up_threshold_minor = 500'000}},
      {PaymentKind::kMerchant,
       {.per_transaction_max_minor = 5'000'000,
        .daily_max_minor = 20'000'000,
        .daily_count_max = 200,
        .step_up_threshold_minor = 500'000}},
      {PaymentKind::kTopUp,
       {.per_transaction_max_minor = 5'000'000,
        .daily_max_minor = 20'000'000,
        .daily_count_max = 50,
        .step_up_threshold_minor = 0}},
      {PaymentKind::kWithdrawal,
       {.per_transaction_max_minor = 5'000'000,
        .daily_max_minor = 10'000'000,
        .daily_count_max = 20,
        .step_up_threshold_minor = 500'000}},
  };
}

absl::Status StatusForFailure(const std::string& reason, const std::string& message) {
  static const auto* codes = new std::map<std::string, absl::StatusCode>{
      {"WRONG_PIN", absl::StatusCode::kInvalidArgument},
      {"SELF_TRANSFER", absl::StatusCode::kInvalidArgument},
      {"AMOUNT_INVALID", absl::StatusCode::kInvalidArgument},
      {"CURRENCY_MISMATCH", absl::StatusCode::kInvalidArgument},
      {"INVALID_FIELD", absl::StatusCode::kInvalidArgument},
      {"CARD_INVALID", absl::StatusCode::kInvalidArgument},
      {"SAME_ACCOUNT", absl::StatusCode::kInvalidArgument},
      {"QR_CODE_INVALID", absl::StatusCode::kInvalidArgument},
      {"PAYEE_NOT_FOUND", absl::StatusCode::kNotFound},
      {"ACCOUNT_NOT_FOUND", absl::StatusCode::kNotFound},
      {"MERCHANT_NOT_FOUND", absl::StatusCode::kNotFound},
      {"CARD_NOT_FOUND", absl::StatusCode::kNotFound},
      {"PAYMENT_NOT_FOUND", absl::StatusCode::kNotFound},
      {"BANK_UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"DEPENDENCY_UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"IDEMPOTENCY_KEY_REUSED", absl::StatusCode::kAlreadyExists},
  };
  auto it = codes->find(reason);
  const absl::StatusCode code =
      it == codes->end() ? absl::StatusCode::kFailedPrecondition : it->second;
  return WithReason(code, reason, message);
}

bool IsDefinitive(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

std::string CardLabel(CardBrand brand, const std::string& last4) {
  return absl::StrCat(BrandName(brand), " \u2022\u2022\u2022\u2022 ", last4);
}

absl::Status CheckPinFormat(const std::string& pin) {
  if (pin.size() != 6 || !std::all_of(pin.begin(), pin.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return Invalid("pin", "the payment PIN has exactly 6 digits");
  }
  bool same = true, up = true, down = true;
  for (size_t i = 1; i < pin.size(); ++i) {
    same = same && pin[i] == pin[0];
    up = up && pin[i] == pin[i - 1] + 1;
    down = down && pin[i] == pin[i - 1] - 1;
  }
  if (same || up || down) return Invalid("pin", "choose a PIN that is harder to guess");
  return absl::OkStatus();
}

PaymentsCore::PaymentsCore(PaymentStore& store, LedgerClient& ledger, AuthClient& auth,
                           RiskClient& risk, BankConnector& bank, const Clock& clock,
                           IdGenerator& ids, CoreOptions options)
    : store_(store),
      ledger_(ledger),
      auth_(auth),
      risk_(risk),
      bank_(bank),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)),
      pins_(options_.pin_key) {}

absl::Status PaymentsCore::CheckAmount(const Amount& amount) const {
  if (amount.currency.empty()) return CurrencyMismatch("amount.currency is required");
  if (amount.currency != options_.currency) {
    return CurrencyMismatch(absl::StrCat("only ", options_.currency, " is supported"));
  }
  if (amount.amount_minor <= 0) return AmountInvalid("amount must be greater than zero");
  return absl::OkStatus();
}

absl::Status PaymentsCore::CheckKey(const std::string& key) const {
  if (key.empty()) return Invalid("idempotency_key", "idempotency_key is required");
  if (key.size() > kIdempotencyKeyBytesMax) {
    return Invalid("idempotency_key", "idempotency_key is at most 128 bytes");
  }
  return absl::OkStatus();
}

absl::Status PaymentsCore::CheckPin(const std::string& user_id, const std::string& pin) {
  UW_ASSIGN_OR_RETURN(std::optional<PinState> state, store_.GetPin(user_id));
  if (!state) return Precondition("PIN_NOT_SET", "set a payment PIN first");
  const absl::Time now = clock_.Now();
  auto locked = [&](const PinState& s) {
    return WithMetadata(
        Precondition("PIN_LOCKED", "too many wrong PINs; payments are locked for a while"),
        {{"locked_until", absl::FormatTime(absl::RFC3339_sec, s.locked_until, absl::UTCTimeZone())},
         {"retry_after_s", absl::StrCat(absl::ToInt64Seconds(s.locked_until - now) + 1)}});
  };
  if (now < state->locked_until) return locked(*state);
  absl::StatusOr<bool> right = pin.size() == 6 ? pins_.Verify(state->hash, user_id, pin) : false;
  UW_RETURN_IF_ERROR(right.status());
  if (*right) {
    if (state->failed_attempts > 0 || state->lock_count > 0) {
      UW_RETURN_IF_ERROR(store_.RecordRightPin(user_id));
    }
    if (pins_.NeedsRehash(state->hash)) {
      // An argon2id PIN from before the PIN key: store it keyed now that we know it.
      UW_ASSIGN_OR_RETURN(std::string keyed, pins_.Hash(user_id, pin));
      UW_RETURN_IF_ERROR(store_.ReplacePinHash(user_id, state->hash, keyed));
    }
    return absl::OkStatus();
  }
  UW_ASSIGN_OR_RETURN(PinState after,
                      store_.RecordWrongPin(user_id, now, options_.pin_attempts_max,
                                            options_.pin_lock_base, options_.pin_lock_max));
  if (now < after.locked_until) return locked(after);
  return WithMetadata(
      WithReason(absl::StatusCode::kInvalidArgument, "WRONG_PIN", "the payment PIN is wrong"),
      {{"attempts_left", absl::StrCat(options_.pin_attempts_max - after.failed_attempts)}});
}

absl::Status PaymentsCore::CheckPayer(const std::string& user_id) {
  absl::StatusOr<UserInfo> payer = auth_.LookupUser({PayeeRef::By::kUserId, user_id});
  if (!payer.ok()) {
    if (payer.status().code() == absl::StatusCode::kNotFound) {
      return Precondition("ACCOUNT_FROZEN", "this account cannot move money");
    }
    return payer.status();
  }
  if (payer->status == UserStatus::kFrozen) {
    return Precondition("ACCOUNT_FROZEN", "this account is frozen; contact support");
  }
  if (!payer->contact_verified) {
    return Precondition("CONTACT_NOT_VERIFIED", "verify your phone or email before paying");
  }
  return absl::OkStatus();
}

absl::Status PaymentsCore::CheckPerTransaction(PaymentKind kind, int64_t amount_minor) const {
  auto it = options_.limits.find(kind);
  if (it == options_.limits.end()) return absl::OkStatus();
  const KindLimits& limits = it->second;
  if (limits.per_transaction_max_minor > 0 && amount_minor > limits.per_transaction_max_minor) {
    return WithMetadata(Precondition("LIMIT_EXCEEDED", "above the limit for one payment"),
                        {{"limit", "per_transaction"},
                         {"remaining_minor", absl::StrCat(limits.per_transaction_max_minor)}});
  }
  return absl::OkStatus();
}

bool PaymentsCore::NeedsStepUp(PaymentKind kind, int64_t amount_minor) const {
  auto it = options_.limits.find(kind);
  return it != options_.limits.end() && it->second.step_up_threshold_minor > 0 &&
         amount_minor > it->second.step_up_threshold_minor;
}

absl::Time PaymentsCore::DayStart(absl::Time now) const {
  return absl::FromCivil(absl::CivilDay(absl::ToCivilSecond(now, options_.zone)), options_.zone);
}

std::optional<DailyLimitCheck> PaymentsCore::DailyCheck(PaymentKind kind) const {
  auto it = options_.limits.find(kind);
  if (it == options_.limits.end()) return std::nullopt;
  return DailyLimitCheck{.kind = kind,
                         .day_start = DayStart(clock_.Now()),
                         .daily_max_minor = it->second.daily_max_minor,
                         .daily_count_max = it->second.daily_count_max};
}

absl::StatusOr<RiskDecision> PaymentsCore::Assess(const RiskQuery& query) {
  absl::StatusOr<RiskDecision> decision = risk_.Assess(query);
  if (decision.ok()) return decision;
  // The fraud service did not answer: the configured policy decides.
  const bool allow = query.amount_minor <= options_.risk_fail_policy.allow_up_to_minor;
  log::Warn("risk check unavailable; applying fail policy",
            {{"error", std::string(decision.status().message())},
             {"decision", allow ? "allow" : "review"}});
  return allow ? RiskDecision::kAllow : RiskDecision::kReview;
}

AccountRef PaymentsCore::Wallet(const std::string& user_id) const {
  return {AccountRef::Kind::kUserWallet, user_id, options_.currency};
}

AccountRef PaymentsCore::System(AccountRef::Kind kind) const {
  return {kind, "", options_.currency};
}

AccountRef PaymentsCore::PartyAccount(const Party& party) const {
  if (party.kind == PartyKind::kMerchant) {
    return {AccountRef::Kind::kMerchant, party.merchant_id, options_.currency};
  }
  return Wallet(party.user_id);
}

absl::StatusOr<Party> PaymentsCore::ResolveMerchant(const std::string& merchant_id) {
  if (merchant_id.empty()) return Invalid("merchant_id", "merchant_id or qr_payload is required");
  absl::StatusOr<UserInfo> merchant = auth_.LookupUser({PayeeRef::By::kUserId, merchant_id});
  if (!merchant.ok()) {
    if (merchant.status().code() == absl::StatusCode::kNotFound ||
        merchant.status().code() == absl::StatusCode::kInvalidArgument) {
      return NotFound("MERCHANT_NOT_FOUND", "no such merchant");
    }
    return merchant.status();
  }
  if (!merchant->is_merchant) return NotFound("MERCHANT_NOT_FOUND", "no such merchant");
  return Party{.kind = PartyKind::kMerchant,
               .merchant_id = merchant->user_id,
               .display_name = merchant->masked_display_name};
}

absl::StatusOr<Payment> PaymentsCore::ResultOf(const Payment& payment) const {
  if (payment.status != PaymentStatus::kFailed) return payment;
  return WithMetadata(StatusForFailure(payment.failure_reason,
                                       absl::StrCat("payment failed: ", payment.failure_reason)),
                      Meta(payment));
}

absl::StatusOr<Payment> PaymentsCore::Fail(const Payment& payment, const std::string& reason,
                                           const std::string& note) {
  UW_ASSIGN_OR_RETURN(TransitionResult result,
                      store_.Apply(payment.payment_id,
                                   {.from = {PaymentStatus::kPending, PaymentStatus::kUnderReview},
                                    .to = PaymentStatus::kFailed,
                                    .failure_reason = reason,
                                    .note = note,
                                    .next_check_at = absl::InfiniteFuture(),
                                    .event_type = kEventFailed},
                                   clock_.Now()));
  return ResultOf(result.payment);
}

absl::StatusOr<Payment> PaymentsCore::Succeed(const Payment& payment,
                                              const std::vector<std::string>& ledger_ids,
                                              const std::string& note) {
  UW_ASSIGN_OR_RETURN(TransitionResult result,
                      store_.Apply(payment.payment_id,
                                   {.from = {PaymentStatus::kPending, PaymentStatus::kUnderReview},
                                    .to = PaymentStatus::kSucceeded,
                                    .note = note,
                                    .add_ledger_ids = ledger_ids,
                                    .next_check_at = absl::InfiniteFuture(),
                                    .event_type = kEventSucceeded},
                                   clock_.Now()));
  return ResultOf(result.payment);
}

// ---------------------------------------------------------------------------------------------
// Quote
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Quote> PaymentsCore::QuoteFee(const Caller& caller, const QuoteRequest& request) {
  const PaymentKind kind = request.kind;
  if (kind != PaymentKind::kTransfer && kind != PaymentKind::kMerchant &&
      kind != PaymentKind::kTopUp && kind != PaymentKind::kWithdrawal) {
    return Invalid("kind", "kind must be TRANSFER, MERCHANT, TOP_UP or WITHDRAWAL");
  }
  const absl::Time now = clock_.Now();
  Quote quote;
  quote.arrives_by = now;
  std::optional<Amount> amount = request.amount;
  if (!request.qr_payload.empty()) {
    UW_ASSIGN_OR_RETURN(PaymentCode code,
                        VerifyPaymentCode(options_.qr_key, request.qr_payload, now));
    UW_ASSIGN_OR_RETURN(Party merchant, ResolveMerchant(code.merchant_id));
    quote.payee_display_name = merchant.display_name;
    if (code.amount_minor > 0) amount = Amount{code.amount_minor, code.currency};
  } else if (!request.merchant_id.empty()) {
    UW_ASSIGN_OR_RETURN(Party merchant, ResolveMerchant(request.merchant_id));
    quote.payee_display_name = merchant.display_name;
  } else if (request.to) {
    absl::StatusOr<UserInfo> payee = auth_.LookupUser(*request.to);
    if (!payee.ok()) {
      if (payee.status().code() == absl::StatusCode::kNotFound) {
        return NotFound("PAYEE_NOT_FOUND", "no uwallet user with that id, phone or email");
      }
      return payee.status();
    }
    if (payee->user_id == caller.user_id) {
      return WithReason(absl::StatusCode::kInvalidArgument, "SELF_TRANSFER",
                        "you cannot send money to yourself");
    }
    quote.payee_display_name = payee->masked_display_name;
  } else if (!request.bank_card_id.empty()) {
    UW_ASSIGN_OR_RETURN(std::optional<BankCard> card,
                        store_.GetCard(caller.user_id, request.bank_card_id));
    if (!card) return NotFound("CARD_NOT_FOUND", "no such bank card");
    quote.payee_display_name = CardLabel(card->brand, card->last4);
    if (kind == PaymentKind::kWithdrawal) quote.arrives_by = bank_.PayoutArrivesBy(card->token);
  }
  if (!amount) return AmountInvalid("amount is required");
  UW_RETURN_IF_ERROR(CheckAmount(*amount));
  if (kind == PaymentKind::kWithdrawal && request.bank_card_id.empty()) {
    quote.arrives_by = bank_.PayoutArrivesBy("");
  }
  UW_ASSIGN_OR_RETURN(quote.fee_minor, options_.fees.FeeFor(kind, amount->amount_minor));
  quote.amount = *amount;
  quote.total_minor = amount->amount_minor + quote.fee_minor;
  quote.step_up_required = NeedsStepUp(kind, amount->amount_minor);
  return quote;
}

// ---------------------------------------------------------------------------------------------
// Transfers and merchant payments
// ---------------------------------------------------------------------------------------------

struct PaymentsCore::MoveSpec {
  PaymentKind kind = PaymentKind::kTransfer;
  std::string key;
  std::string digest;
  Party payer;
  Party payee;
  std::string counterparty_id;
  int64_t amount_minor = 0;
  int64_t fee_minor = 0;
  std::string note;
  std::string order_ref;
  std::string payment_code_id;
  std::string step_up_token;
  bool scheduled = false;
};

absl::StatusOr<Payment> PaymentsCore::Transfer(const Caller& caller,
                                               const TransferCommand& command) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  if (command.to.value.empty()) return Invalid("to", "who to send to is required");
  UW_RETURN_IF_ERROR(CheckAmount(command.amount));
  if (command.note.size() > kNoteBytesMax) return Invalid("note", "note is too long");
  const std::string digest =
      Digest({"transfer", PayeeText(command.to), absl::StrCat(command.amount.amount_minor),
              command.amount.currency, command.note});
  UW_ASSIGN_OR_RETURN(std::optional<Payment> replayed,
                      Replay(caller.user_id, command.idempotency_key, digest));
  if (replayed) return *std::move(replayed);
  UW_RETURN_IF_ERROR(CheckPin(caller.user_id, command.pin));
  UW_RETURN_IF_ERROR(CheckPayer(caller.user_id));
  absl::StatusOr<UserInfo> payee = auth_.LookupUser(command.to);
  if (!payee.ok()) {
    if (payee.status().code() == absl::StatusCode::kNotFound ||
        payee.status().code() == absl::StatusCode::kInvalidArgument) {
      return NotFound("PAYEE_NOT_FOUND", "no uwallet user with that id, phone or email");
    }
    return payee.status();
  }
  if (payee->user_id == caller.user_id) {
    return WithReason(absl::StatusCode::kInvalidArgument, "SELF_TRANSFER",
                      "you cannot send money to yourself");
  }
  UW_ASSIGN_OR_RETURN(int64_t fee,
                      options_.fees.FeeFor(PaymentKind::kTransfer, command.amount.amount_minor));
  MoveSpec spec{.kind = PaymentKind::kTransfer,
                .key = command.idempotency_key,
                .digest = digest,
                .payer = {.kind = PartyKind::kUser, .user_id = caller.user_id},
                .payee = {.kind = PartyKind::kUser,
                          .user_id = payee->user_id,
                          .display_name = payee->masked_display_name},
                .counterparty_id = payee->user_id,
                .amount_minor = command.amount.amount_minor,
                .fee_minor = fee,
                .note = command.note,
                .step_up_token = command.step_up_token};
  return ExecuteMove(caller, std::move(spec));
}

absl::StatusOr<Payment> PaymentsCore::PayMerchant(const Caller& caller,
                                                  const PayMerchantCommand& command) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  std::string merchant_id = command.merchant_id;
  std::optional<Amount> amount = command.amount;
  std::string order_ref = command.order_ref;
  std::string code_id;
  if (!command.qr_payload.empty()) {
    UW_ASSIGN_OR_RETURN(PaymentCode code,
                        VerifyPaymentCode(options_.qr_key, command.qr_payload, clock_.Now()));
    merchant_id = code.merchant_id;
    if (code.amount_minor > 0) {
      if (amount &&
          (amount->amount_minor != code.amount_minor || amount->currency != code.currency)) {
        return AmountInvalid("the amount differs from the one in the payment code");
      }
      amount = Amount{code.amount_minor, code.currency};
      code_id = code.payment_code_id;
    }
    if (!order_ref.empty() && !code.order_ref.empty() && order_ref != code.order_ref) {
      return Invalid("order_ref", "order_ref differs from the one in the payment code");
    }
    if (!code.order_ref.empty()) order_ref = code.order_ref;
  }
  if (!amount) return AmountInvalid("amount is required");
  UW_RETURN_IF_ERROR(CheckAmount(*amount));
  if (order_ref.size() > kOrderRefBytesMax) return Invalid("order_ref", "order_ref is too long");
  const std::string digest = Digest({"merchant", merchant_id, absl::StrCat(amount->amount_minor),
                                     amount->currency, order_ref, code_id});
  UW_ASSIGN_OR_RETURN(std::optional<Payment> replayed,
                      Replay(caller.user_id, command.idempotency_key, digest));
  if (replayed) return *std::move(replayed);
  UW_RETURN_IF_ERROR(CheckPin(caller.user_id, command.pin));
  UW_RETURN_IF_ERROR(CheckPayer(caller.user_id));
  UW_ASSIGN_OR_RETURN(Party merchant, ResolveMerchant(merchant_id));
  if (merchant.merchant_id == caller.user_id) {
    return WithReason(absl::StatusCode::kInvalidArgument, "SELF_TRANSFER",
                      "you cannot pay yourself");
  }
  UW_ASSIGN_OR_RETURN(int64_t fee,
                      options_.fees.FeeFor(PaymentKind::kMerchant, amount->amount_minor));
  MoveSpec spec{.kind = PaymentKind::kMerchant,
                .key = command.idempotency_key,
                .digest = digest,
                .payer = {.kind = PartyKind::kUser, .user_id = caller.user_id},
                .payee = merchant,
                .counterparty_id = merchant.merchant_id,
                .amount_minor = amount->amount_minor,
                .fee_minor = fee,
                .order_ref = order_ref,
                .payment_code_id = code_id,
                .step_up_token = command.step_up_token};
  return ExecuteMove(caller, std::move(spec));
}

absl::StatusOr<Payment> PaymentsCore::ExecuteMove(const Caller& caller, MoveSpec spec) {
  UW_RETURN_IF_ERROR(CheckPerTransaction(spec.kind, spec.amount_minor));
  bool step_up_verified = false;
  if (!spec.step_up_token.empty()) {
    UW_RETURN_IF_ERROR(auth_.ValidateStepUp(caller.user_id, spec.step_up_token,
                                            StepUpAction::kLargePayment, /*consume=*/false));
    step_up_verified = true;
  }
  if (NeedsStepUp(spec.kind, spec.amount_minor) && !step_up_verified) return StepUpRequired();
  UW_ASSIGN_OR_RETURN(RiskDecision decision, Assess({.user_id = caller.user_id,
                                                     .kind = spec.kind,
                                                     .scheduled = spec.scheduled,
                                                     .amount_minor = spec.amount_minor,
                                                     .currency = options_.currency,
                                                     .counterparty_id = spec.counterparty_id,
                                                     .device_id = caller.device_id,
                                                     .ip = caller.ip,
                                                     .session_id = caller.session_id,
                                                     .reference_id = spec.key,
                                                     .step_up_verified = step_up_verified}));
  if (decision == RiskDecision::kChallenge) {
    if (!step_up_verified) return StepUpRequired();
    decision = RiskDecision::kAllow;
  }
  const absl::Time now = clock_.Now();
  Payment payment{
      .payment_id = ids_.NewId(),
      .owner_user_id = caller.user_id,
      .idempotency_key = spec.key,
      .request_digest = spec.digest,
      .kind = spec.kind,
      .status = PaymentStatus::kPending,
      .payer = spec.payer,
      .payee = spec.payee,
      .amount_minor = spec.amount_minor,
      .fee_minor = spec.fee_minor,
      .currency = options_.currency,
      .note = spec.note,
      .order_ref = spec.order_ref,
      .payment_code_id = spec.payment_code_id,
      .risk_decision = decision == RiskDecision::kReview ? kDecisionReview : kDecisionAllow,
      .created_at = now,
      .updated_at = now,
      .arrives_by = now,
      .next_check_at = now + options_.retry_after};
  std::optional<DailyLimitCheck> limit = DailyCheck(spec.kind);
  if (decision == RiskDecision::kDecline) {
    payment.status = PaymentStatus::kFailed;
    payment.failure_reason = "RISK_DECLINED";
    payment.risk_decision = "decline";
    payment.next_check_at = absl::InfiniteFuture();
    payment.completed_at = now;
    limit.reset();
  }
  return InsertAndResume(std::move(payment), limit, spec.digest);
}

absl::StatusOr<std::optional<Payment>> PaymentsCore::Replay(const std::string& user_id,
                                                            const std::string& idempotency_key,
                                                            const std::string& digest) {
  UW_ASSIGN_OR_RETURN(std::optional<Payment> existing, store_.FindByKey(user_id, idempotency_key));
  if (!existing) return std::optional<Payment>();
  if (existing->request_digest != digest) return KeyReused();
  UW_ASSIGN_OR_RETURN(Payment resumed, Resume(*std::move(existing)));
  return std::optional<Payment>(std::move(resumed));
}

absl::StatusOr<Payment> PaymentsCore::InsertAndResume(Payment payment,
                                                      const std::optional<DailyLimitCheck>& limit,
                                                      const std::string& digest) {
  // Its trail starts with the state it is recorded in.
  payment.history.push_back({payment.status, payment.created_at, payment.failure_reason, ""});
  UW_ASSIGN_OR_RETURN(InsertResult inserted, store_.InsertPayment(payment, limit));
  // Lost a race with the same key: the winner's payment is the answer, if it is the same request.
  if (!inserted.inserted && inserted.payment.request_digest != digest) return KeyReused();
  return Resume(std::move(inserted.payment));
}

absl::StatusOr<Payment> PaymentsCore::Resume(Payment payment) {
  if (payment.status != PaymentStatus::kPending) return ResultOf(payment);
  switch (payment.kind) {
    case PaymentKind::kTransfer:
    case PaymentKind::kMerchant:
      return ResumeMove(std::move(payment));
    case PaymentKind::kTopUp:
      return ResumeTopUp(std::move(payment));
    case PaymentKind::kWithdrawal:
      return ResumeWithdrawal(std::move(payment));
    case PaymentKind::kRefund:
    case PaymentKind::kReversal:
      return ResumeRefund(std::move(payment));
    default:
      return absl::InternalError("payment of unknown kind");
  }
}

absl::StatusOr<Payment> PaymentsCore::ResumeMove(Payment payment) {
  const std::map<std::string, std::string> metadata = Meta(payment);
  const LedgerKind kind =
      payment.kind == PaymentKind::kMerchant ? LedgerKind::kMerchantPayment : LedgerKind::kP2p;
  if (payment.risk_decision == kDecisionReview) {
    if (payment.hold_id.empty()) {
      absl::StatusOr<std::string> hold = ledger_.CreateHold(
          LedgerKey(payment, "hold"), {.debit = Wallet(payment.payer.user_id),
                                       .credit = PartyAccount(payment.payee),
                                       .amount_minor = payment.amount_minor,
                                       .kind = LedgerKind::kRiskHold,
                                       .description = "held for risk review",
                                       .metadata = metadata,
                                       .ttl_s = absl::ToInt64Seconds(options_.review_hold_ttl)});
      if (!hold.ok()) {
        if (IsTransient(hold.status())) return hold.status();
        return Fail(payment, ReasonOrDefault(hold.status()), "");
      }
      payment.hold_id = *hold;
    }
    UW_ASSIGN_OR_RETURN(TransitionResult result,
                        store_.Apply(payment.payment_id,
                                     {.from = {PaymentStatus::kPending},
                                      .to = PaymentStatus::kUnderReview,
                                      .note = "held for a risk review",
                                      .hold_id = payment.hold_id,
                                      .next_check_at = absl::InfiniteFuture()},
                                     clock_.Now()));
    return ResultOf(result.payment);
  }
  std::vector<Leg> legs = {{.debit = Wallet(payment.payer.user_id),
                            .credit = PartyAccount(payment.payee),
                            .amount_minor = payment.amount_minor,
                            .kind = kind,
                            .description = payment.note,
                            .metadata = metadata}};
  if (payment.fee_minor > 0) {
    legs.push_back({.debit = Wallet(payment.payer.user_id),
                    .credit = System(AccountRef::Kind::kFeeRevenue),
                    .amount_minor = payment.fee_minor,
                    .kind = LedgerKind::kFee,
                    .description = "fee",
                    .metadata = metadata});
  }
  absl::StatusOr<std::vector<std::string>> ids =
      ledger_.PostLinked(LedgerKey(payment, "capture"), legs);
  if (!ids.ok()) {
    if (IsTransient(ids.status())) return ids.status();
    return Fail(payment, ReasonOrDefault(ids.status()), "");
  }
  return Succeed(payment, *ids, "");
}

// ---------------------------------------------------------------------------------------------
// Top-ups and withdrawals
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Payment> PaymentsCore::TopUp(const Caller& caller, const TopUpCommand& command) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  UW_RETURN_IF_ERROR(CheckAmount(command.amount));
  if (command.bank_card_id.empty()) return Invalid("bank_card_id", "bank_card_id is required");
  const std::string digest =
      Digest({"top_up", command.bank_card_id, absl::StrCat(command.amount.amount_minor),
              command.amount.currency});
  UW_ASSIGN_OR_RETURN(std::optional<Payment> replayed,
                      Replay(caller.user_id, command.idempotency_key, digest));
  if (replayed) return *std::move(replayed);
  UW_ASSIGN_OR_RETURN(std::optional<BankCard> card,
                      store_.GetCard(caller.user_id, command.bank_card_id));
  if (!card) return NotFound("CARD_NOT_FOUND", "no such bank card");
  UW_RETURN_IF_ERROR(CheckPayer(caller.user_id));
  UW_RETURN_IF_ERROR(CheckPerTransaction(PaymentKind::kTopUp, command.amount.amount_minor));
  UW_ASSIGN_OR_RETURN(int64_t fee,
                      options_.fees.FeeFor(PaymentKind::kTopUp, command.amount.amount_minor));
  UW_ASSIGN_OR_RETURN(RiskDecision decision, Assess({.user_id = caller.user_id,
                                                     .kind = PaymentKind::kTopUp,
                                                     .amount_minor = command.amount.amount_minor,
                                                     .currency = options_.currency,
                                                     .counterparty_id = card->card_id,
                                                     .device_id = caller.device_id,
                                                     .ip = caller.ip,
                                                     .session_id = caller.session_id,
                                                     .reference_id = command.idempotency_key}));
  const absl::Time now = clock_.Now();
  Payment payment{.payment_id = ids_.NewId(),
                  .owner_user_id = caller.user_id,
                  .idempotency_key = command.idempotency_key,
                  .request_digest = digest,
                  .kind = PaymentKind::kTopUp,
                  .payer = {.kind = PartyKind::kBankCard,
                            .display_name = CardLabel(card->brand, card->last4),
                            .card_id = card->card_id,
                            .card_brand = card->brand,
                            .card_last4 = card->last4},
                  .payee = {.kind = PartyKind::kUser, .user_id = caller.user_id},
                  .amount_minor = command.amount.amount_minor,
                  .fee_minor = fee,
                  .currency = options_.currency,
                  .risk_decision = kDecisionAllow,
                  .card_token = card->token,
                  .created_at = now,
                  .updated_at = now,
                  .arrives_by = now,
                  .next_check_at = now + options_.retry_after};
  std::optional<DailyLimitCheck> limit = DailyCheck(PaymentKind::kTopUp);
  if (decision == RiskDecision::kDecline) {
    payment.status = PaymentStatus::kFailed;
    payment.failure_reason = "RISK_DECLINED";
    payment.next_check_at = absl::InfiniteFuture();
    payment.completed_at = now;
    limit.reset();
  } else if (decision == RiskDecision::kReview || decision == RiskDecision::kChallenge) {
    payment.status = PaymentStatus::kUnderReview;
    payment.risk_decision = kDecisionReview;
    payment.next_check_at = absl::InfiniteFuture();
  }
  return InsertAndResume(std::move(payment), limit, digest);
}

absl::StatusOr<Payment> PaymentsCore::ResumeTopUp(Payment payment) {
  if (payment.bank_state.empty()) {
    absl::StatusOr<BankAnswer> answer = bank_.Charge(payment.card_token, payment.amount_minor,
                                                     payment.currency, payment.payment_id);
    if (!answer.ok()) {
      if (answer.status().code() == absl::StatusCode::kUnavailable ||
          answer.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return Fail(payment, "BANK_UNAVAILABLE", "the bank did not answer; nothing was charged");
      }
      return Fail(payment, ReasonOrDefault(answer.status()), "");
    }
    return ApplyBankAnswer(std::move(payment), *answer);
  }
  if (payment.bank_state == kBankPending) {
    absl::StatusOr<BankAnswer> answer = bank_.Status(payment.card_token, payment.bank_reference);
    if (!answer.ok()) return payment;  // asked again later (next_check_at)
    return ApplyBankAnswer(std::move(payment), *answer);
  }
  // Settled at the bank: credit the wallet.
  absl::StatusOr<std::vector<std::string>> ids = ledger_.PostLinked(
      LedgerKey(payment, "capture"), {{.debit = System(AccountRef::Kind::kBankSettlement),
                                       .credit = Wallet(payment.payee.user_id),
                                       .amount_minor = payment.amount_minor,
                                       .kind = LedgerKind::kTopUp,
                                       .description = payment.payer.display_name,
                                       .metadata = Meta(payment)}});
  if (!ids.ok()) {
    if (IsTransient(ids.status())) return ids.status();
    log::Error("top-up settled at the bank but the ledger refused it",
               {{"payment_id", payment.payment_id}, {"error", ids.status().ToString()}});
    return ids.status();
  }
  return Succeed(payment, *ids, "bank settled");
}

absl::StatusOr<Payment> PaymentsCore::Withdraw(const Caller& caller,
                                               const WithdrawCommand& command) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  UW_RETURN_IF_ERROR(CheckAmount(command.amount));
  if (command.bank_card_id.empty()) return Invalid("bank_card_id", "bank_card_id is required");
  const std::string digest =
      Digest({"withdrawal", command.bank_card_id, absl::StrCat(command.amount.amount_minor),
              command.amount.currency});
  UW_ASSIGN_OR_RETURN(std::optional<Payment> replayed,
                      Replay(caller.user_id, command.idempotency_key, digest));
  if (replayed) return *std::move(replayed);
  UW_ASSIGN_OR_RETURN(std::optional<BankCard> card,
                      store_.GetCard(caller.user_id, command.bank_card_id));
  if (!card) return NotFound("CARD_NOT_FOUND", "no such bank card");
  UW_RETURN_IF_ERROR(CheckPin(caller.user_id, command.pin));
  UW_RETURN_IF_ERROR(CheckPayer(caller.user_id));
  UW_RETURN_IF_ERROR(CheckPerTransaction(PaymentKind::kWithdrawal, command.amount.amount_minor));
  UW_ASSIGN_OR_RETURN(int64_t fee,
                      options_.fees.FeeFor(PaymentKind::kWithdrawal, command.amount.amount_minor));
  bool step_up_verified = false;
  if (!command.step_up_token.empty()) {
    UW_RETURN_IF_ERROR(auth_.ValidateStepUp(caller.user_id, command.step_up_token,
                                            StepUpAction::kLargePayment, false));
    step_up_verified = true;
  }
  if (NeedsStepUp(PaymentKind::kWithdrawal, command.amount.amount_minor) && !step_up_verified) {
    return StepUpRequired();
  }
  UW_ASSIGN_OR_RETURN(RiskDecision decision, Assess({.user_id = caller.user_id,
                                                     .kind = PaymentKind::kWithdrawal,
                                                     .amount_minor = command.amount.amount_minor,
                                                     .currency = options_.currency,
                                                     .counterparty_id = card->card_id,
                                                     .device_id = caller.device_id,
                                                     .ip = caller.ip,
                                                     .session_id = caller.session_id,
                                                     .reference_id = command.idempotency_key,
                                                     .step_up_verified = step_up_verified}));
  if (decision == RiskDecision::kChallenge && !step_up_verified) return StepUpRequired();
  const absl::Time now = clock_.Now();
  Payment payment{
      .payment_id = ids_.NewId(),
      .owner_user_id = caller.user_id,
      .idempotency_key = command.idempotency_key,
      .request_digest = digest,
      .kind = PaymentKind::kWithdrawal,
      .payer = {.kind = PartyKind::kUser, .user_id = caller.user_id},
      .payee = {.kind = PartyKind::kBankCard,
                .display_name = CardLabel(card->brand, card->last4),
                .card_id = card->card_id,
                .card_brand = card->brand,
                .card_last4 = card->last4},
      .amount_minor = command.amount.amount_minor,
      .fee_minor = fee,
      .currency = options_.currency,
      .risk_decision = decision == RiskDecision::kReview ? kDecisionReview : kDecisionAllow,
      .card_token = card->token,
      .created_at = now,
      .updated_at = now,
      .arrives_by = bank_.PayoutArrivesBy(card->token),
      .next_check_at = now + options_.retry_after};
  std::optional<DailyLimitCheck> limit = DailyCheck(PaymentKind::kWithdrawal);
  if (decision == RiskDecision::kDecline) {
    payment.status = PaymentStatus::kFailed;
    payment.failure_reason = "RISK_DECLINED";
    payment.next_check_at = absl::InfiniteFuture();
    payment.completed_at = now;
    limit.reset();
  }
  return InsertAndResume(std::move(payment), limit, digest);
}

absl::StatusOr<Payment> PaymentsCore::ResumeWithdrawal(Payment payment) {
  if (payment.hold_id.empty()) {
    absl::StatusOr<std::string> hold = ledger_.CreateHold(
        LedgerKey(payment, "hold"), {.debit = Wallet(payment.payer.user_id),
                                     .credit = System(AccountRef::Kind::kBankSettlement),
                                     .amount_minor = payment.total_minor(),
                                     .kind = LedgerKind::kWithdrawal,
                                     .description = payment.payee.display_name,
                                     .metadata = Meta(payment)});
    if (!hold.ok()) {
      if (IsTransient(hold.status())) return hold.status();
      return Fail(payment, ReasonOrDefault(hold.status()), "");
    }
    const bool review = payment.risk_decision == kDecisionReview;
    UW_ASSIGN_OR_RETURN(
        TransitionResult result,
        store_.Apply(payment.payment_id,
                     {.from = {PaymentStatus::kPending},
                      .to = review ? PaymentStatus::kUnderReview : PaymentStatus::kPending,
                      .note = review ? "held for a risk review" : "money held",
                      .hold_id = *hold,
                      .next_check_at =
                          review ? absl::InfiniteFuture() : clock_.Now() + options_.retry_after},
                     clock_.Now()));
    payment = result.payment;
    if (payment.status != PaymentStatus::kPending) return ResultOf(payment);
  }
  if (payment.bank_state.empty()) {
    absl::StatusOr<BankAnswer> answer = bank_.Payout(payment.card_token, payment.amount_minor,
                                                     payment.currency, payment.payment_id);
    if (!answer.ok()) {
      if (IsTransient(answer.status())) return payment;  // the worker tries again
      BankAnswer declined{.outcome = BankOutcome::kDeclined,
                          .failure_reason = ReasonOrDefault(answer.status())};
      return ApplyBankAnswer(std::move(payment), declined);
    }
    return ApplyBankAnswer(std::move(payment), *answer);
  }
  if (payment.bank_state == kBankPending) {
    absl::StatusOr<BankAnswer> answer = bank_.Status(payment.card_token, payment.bank_reference);
    if (!answer.ok()) return payment;
    return ApplyBankAnswer(std::move(payment), *answer);
  }
  return ApplyBankAnswer(std::move(payment), {.outcome = BankOutcome::kSettled,
                                              .bank_reference = payment.bank_reference});
}

absl::StatusOr<Payment> PaymentsCore::ApplyBankAnswer(Payment payment, const BankAnswer& answer) {
  const absl::Time now = clock_.Now();
  switch (answer.outcome) {
    case BankOutcome::kPending: {
      UW_ASSIGN_OR_RETURN(
          TransitionResult result,
          store_.Apply(payment.payment_id,
                       {.from = {PaymentStatus::kPending},
                        .to = PaymentStatus::kPending,
                        .note = "bank accepted",
                        .bank_reference = answer.bank_reference,
                        .arrives_by = answer.arrives_by == absl::InfinitePast()
                                          ? std::nullopt
                                          : std::optional<absl::Time>(answer.arrives_by),
                        .next_check_at = std::max(answer.check_again_at, now + absl::Seconds(1)),
                        .bank_state = std::string(kBankPending)},
                       now));
      return ResultOf(result.payment);
    }
    case BankOutcome::kDeclined:
    case BankOutcome::kFailed: {
      const std::string reason =
          answer.failure_reason.empty() ? "CARD_DECLINED" : answer.failure_reason;
      if (!payment.hold_id.empty()) {
        UW_RETURN_IF_ERROR(
            ledger_.VoidHold(LedgerKey(payment, "void"), payment.hold_id, "bank: " + reason));
      }
      if (!answer.bank_reference.empty()) payment.bank_reference = answer.bank_reference;
      return Fail(payment, reason, "bank: " + reason);
    }
    case BankOutcome::kSettled:
      break;
  }
  if (payment.bank_state != kBankSettled) {
    UW_ASSIGN_OR_RETURN(
        TransitionResult result,
        store_.Apply(payment.payment_id,
                     {.from = {PaymentStatus::kPending},
                      .to = PaymentStatus::kPending,
                      .bank_reference = answer.bank_reference.empty() ? payment.bank_reference
                                                                      : answer.bank_reference,
                      .bank_state = std::string(kBankSettled)},
                     now));
    if (!result.applied) return ResultOf(result.payment);
    payment = result.payment;
  }
  if (payment.kind == PaymentKind::kTopUp) return ResumeTopUp(std::move(payment));
  std::vector<Leg> linked;
  if (payment.fee_minor > 0) {
    linked.push_back({.debit = System(AccountRef::Kind::kBankSettlement),
                      .credit = System(AccountRef::Kind::kFeeRevenue),
                      .amount_minor = payment.fee_minor,
                      .kind = LedgerKind::kFee,
                      .description = "withdrawal fee",
                      .metadata = Meta(payment)});
  }
  UW_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                      ledger_.PostHold(LedgerKey(payment, "post"), payment.hold_id, linked));
  return Succeed(payment, ids, "bank settled");
}

absl::StatusOr<Payment> PaymentsCore::HandleSettlement(const Settlement& settlement) {
  UW_ASSIGN_OR_RETURN(std::optional<Payment> payment, store_.GetPayment(settlement.payment_id));
  if (!payment ||
      (payment->kind != PaymentKind::kTopUp && payment->kind != PaymentKind::kWithdrawal)) {
    return NotFound("PAYMENT_NOT_FOUND", "no such card payment");
  }
  if (payment->status != PaymentStatus::kPending) return *payment;
  if (payment->bank_state.empty()) {
    return Precondition("INVALID_STATE", "the bank has not been asked about this payment yet");
  }
  BankAnswer answer{.outcome = settlement.outcome,
                    .failure_reason = settlement.failure_reason,
                    .bank_reference = settlement.bank_reference};
  absl::StatusOr<Payment> result = ApplyBankAnswer(*std::move(payment), answer);
  if (!result.ok() && IsDefinitive(result.status())) {
    // A failed payment is the answer, not an error of this call.
    UW_ASSIGN_OR_RETURN(std::optional<Payment> after, store_.GetPayment(settlement.payment_id));
    if (after) return *after;
  }
  return result;
}

absl::StatusOr<Payment> PaymentsCore::ResolveReview(const std::string& payment_id, bool approve,
                                                    const std::string& note) {
  UW_ASSIGN_OR_RETURN(std::optional<Payment> found, store_.GetPayment(payment_id));
  if (!found) return NotFound("PAYMENT_NOT_FOUND", "no such payment");
  Payment payment = *std::move(found);
  if (payment.status != PaymentStatus::kUnderReview) return payment;  // already resolved
  if (!approve) {
    if (!payment.hold_id.empty()) {
      UW_RETURN_IF_ERROR(
          ledger_.VoidHold(LedgerKey(payment, "void"), payment.hold_id, "risk review rejected"));
    }
    absl::StatusOr<Payment> failed = Fail(payment, "RISK_DECLINED", note);
    UW_ASSIGN_OR_RETURN(std::optional<Payment> after, store_.GetPayment(payment_id));
    if (!failed.ok() && after) return *after;
    return failed;
  }
  if (payment.kind == PaymentKind::kTransfer || payment.kind == PaymentKind::kMerchant) {
    std::vector<Leg> linked;
    if (payment.fee_minor > 0) {
      linked.push_back({.debit = Wallet(payment.payer.user_id),
                        .credit = System(AccountRef::Kind::kFeeRevenue),
                        .amount_minor = payment.fee_minor,
                        .kind = LedgerKind::kFee,
                        .description = "fee",
                        .metadata = Meta(payment)});
    }
    UW_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        ledger_.PostHold(LedgerKey(payment, "post"), payment.hold_id, linked));
    return Succeed(payment, ids, note.empty() ? "risk review approved" : note);
  }
  UW_ASSIGN_OR_RETURN(TransitionResult result,
                      store_.Apply(payment_id,
                                   {.from = {PaymentStatus::kUnderReview},
                                    .to = PaymentStatus::kPending,
                                    .note = "risk review approved",
                                    .risk_decision = std::string(kDecisionAllow),
                                    .next_check_at = clock_.Now() + options_.retry_after},
                                   clock_.Now()));
  return Resume(result.payment);
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Payment> PaymentsCore::GetPayment(const std::string& user_id,
                                                 const std::string& payment_id) {
  UW_ASSIGN_OR_RETURN(std::optional<Payment> payment, store_.GetPayment(payment_id));
  auto party_is = [&](const Party& party) {
    return party.user_id == user_id || party.merchant_id == user_id;
  };
  if (!payment || user_id.empty() ||
      !(payment->owner_user_id == user_id || party_is(payment->payer) ||
        party_is(payment->payee))) {
    return NotFound("PAYMENT_NOT_FOUND", "no such payment");
  }
  return *payment;
}

absl::StatusOr<Payment> PaymentsCore::GetAnyPayment(const std::string& payment_id) {
  UW_ASSIGN_OR_RETURN(std::optional<Payment> payment, store_.GetPayment(payment_id));
  if (!payment) return NotFound("PAYMENT_NOT_FOUND", "no such payment");
  return *payment;
}

absl::StatusOr<std::vector<RefundRequestRecord>> PaymentsCore::PaymentRefundRequests(
    const std::string& payment_id) {
  if (payment_id.empty()) return NotFound("PAYMENT_NOT_FOUND", "no such payment");
  return store_.ListRefundRequests({.payment_id = payment_id, .limit = kPageSizeMax});
}

namespace {

// A keyset page: how many rows to ask the store for (one more than the page, to learn whether
// another page follows), after checking the page size and the token's size (the store checks the
// token's form: an id).
absl::StatusOr<int> PageQueryLimit(int page_size, const std::string& page_token) {
  if (page_size < 0 || page_size > kPageSizeMax) {
    return Invalid("page_size", "page_size is 1..100");
  }
  if (!page_token.empty() && !IsUuid(page_token) && page_token.size() > 64) {
    return WithReason(absl::StatusCode::kInvalidArgument, "PAGE_TOKEN_INVALID",
                      "page_token is not valid");
  }
  return (page_size == 0 ? kPageSizeDefault : page_size) + 1;
}

// Drops the extra row asked for by PageQueryLimit; returns the next page's token (empty: last).
template <typename Row, typename IdOf>
std::string TrimToPage(std::vector<Row>& rows, int limit, IdOf id_of) {
  if (static_cast<int>(rows.size()) < limit) return "";
  rows.pop_back();
  return id_of(rows.back());
}

}  // namespace

absl::StatusOr<std::pair<std::vector<Payment>, std::string>> PaymentsCore::ListPayments(
    PaymentQuery query, int page_size, const std::string& page_token) {
  UW_ASSIGN_OR_RETURN(query.limit, PageQueryLimit(page_size, page_token));
  if (query.user_id.empty()) return Invalid("user_id", "user_id is required");
  query.after_payment_id = page_token;
  UW_ASSIGN_OR_RETURN(std::vector<Payment> payments, store_.ListPayments(query));
  std::string next =
      TrimToPage(payments, query.limit, [](const Payment& p) { return p.payment_id; });
  return std::make_pair(std::move(payments), next);
}

// ---------------------------------------------------------------------------------------------
// Refunds and reversals
// ---------------------------------------------------------------------------------------------

absl::StatusOr<RefundRequestRecord> PaymentsCore::RequestRefund(const Caller& caller,
                                                                const RefundCommand& command) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  if (command.reason.size() > kReasonBytesMax) return Invalid("reason", "reason is too long");
  // A retry returns the request as it is now (REFUNDED once the merchant refunded it), whatever
  // happened to the payment since.
  UW_ASSIGN_OR_RETURN(std::optional<RefundRequestRecord> existing,
                      store_.FindRefundRequest(caller.user_id, command.idempotency_key));
  if (existing) {
    if (existing->payment_id != command.payment_id) return KeyReused();
    return *std::move(existing);
  }
  UW_ASSIGN_OR_RETURN(Payment original, GetPayment(caller.user_id, command.payment_id));
  if (original.payer.user_id != caller.user_id ||
      (original.kind != PaymentKind::kMerchant && original.kind != PaymentKind::kTransfer)) {
    return NotFound("PAYMENT_NOT_FOUND", "no such payment of yours to refund");
  }
  if (original.kind == PaymentKind::kTransfer) {
    // Merchants answer refund requests; a request to a person would wait for an answer nobody
    // can give. They can send the money back; support resolves a dispute.
    return WithMetadata(
        Precondition("INVALID_STATE",
                     "a transfer to a person is not refunded on request: ask them to send it "
                     "back, or open a dispute"),
        {{"kind", KindName(original.kind)}});
  }
  if (original.status != PaymentStatus::kSucceeded) {
    return WithMetadata(Precondition("INVALID_STATE", "only a successful payment can be refunded"),
                        {{"state", StatusName(original.status)}});
  }
  const int64_t refundable = original.amount_minor - original.refunded_minor;
  int64_t amount = refundable;
  if (command.amount) {
    UW_RETURN_IF_ERROR(CheckAmount(*command.amount));
    amount = command.amount->amount_minor;
  }
  if (amount > refundable || amount <= 0) {
    return WithMetadata(
        Precondition("REFUND_EXCEEDS_PAYMENT", "more than what is still refundable"),
        {{"refundable_minor", absl::StrCat(refundable)}});
  }
  return store_.InsertRefundRequest({.refund_request_id = ids_.NewId(),
                                     .user_id = caller.user_id,
                                     .idempotency_key = command.idempotency_key,
                                     .payment_id = original.payment_id,
                                     .merchant_id = original.payee.merchant_id,
                                     .amount_minor = amount,
                                     .currency = original.currency,
                                     .reason = command.reason,
                                     .status = kRefundRequestRequested,
                                     .created_at = clock_.Now()});
}

absl::StatusOr<RefundRequestRecord> PaymentsCore::RejectRefundRequest(
    const Caller& merchant, const std::string& refund_request_id, const std::string& reason) {
  if (refund_request_id.empty()) {
    return Invalid("refund_request_id", "refund_request_id is required");
  }
  if (reason.empty()) return Invalid("reason", "a reason is required (the customer sees it)");
  if (reason.size() > kReasonBytesMax) return Invalid("reason", "reason is too long");
  UW_ASSIGN_OR_RETURN(
      RefundRequestRecord rejected,
      store_.RejectRefundRequest(merchant.user_id, refund_request_id, reason, clock_.Now()));
  // The second place the invariant is asserted (the first is the table's CHECK): a rejection
  // keeps what was refunded and leaves nothing in flight.
  if (rejected.status != kRefundRequestRejected ||
      rejected.refunded_minor > rejected.amount_minor || rejected.reserved_minor != 0) {
    return absl::InternalError("refund request rejected in an inconsistent state");
  }
  return rejected;
}

absl::StatusOr<std::pair<std::vector<RefundRequestRecord>, std::string>>
PaymentsCore::ListRefundRequests(RefundRequestQuery query, int page_size,
                                 const std::string& page_token) {
  UW_ASSIGN_OR_RETURN(query.limit, PageQueryLimit(page_size, page_token));
  if (query.user_id.empty() == query.merchant_id.empty()) {
    return Invalid("user_id", "either the customer or the merchant is required");
  }
  for (int status : query.statuses) {
    if (status < kRefundRequestRequested || status > kRefundRequestStatusMax) {
      return Invalid("statuses", "unknown refund request status");
    }
  }
  query.after_refund_request_id = page_token;
  UW_ASSIGN_OR_RETURN(std::vector<RefundRequestRecord> requests, store_.ListRefundRequests(query));
  std::string next = TrimToPage(requests, query.limit,
                                [](const RefundRequestRecord& r) { return r.refund_request_id; });
  return std::make_pair(std::move(requests), next);
}

absl::StatusOr<RefundResult> PaymentsCore::MerchantRefund(const Caller& merchant,
                                                          const RefundCommand& command) {
  return DoRefund(merchant, command, /*staff=*/false, /*reversal=*/false);
}

absl::StatusOr<RefundResult> PaymentsCore::StaffRefund(const Caller& staff,
                                                       const RefundCommand& command) {
  return DoRefund(staff, command, /*staff=*/true, /*reversal=*/false);
}

absl::StatusOr<RefundResult> PaymentsCore::StaffReverse(const Caller& staff,
                                                        const RefundCommand& command) {
  return DoRefund(staff, command, /*staff=*/true, /*reversal=*/true);
}

absl::StatusOr<RefundResult> PaymentsCore::DoRefund(const Caller& actor,
                                                    const RefundCommand& command, bool staff,
                                                    bool reversal) {
  UW_RETURN_IF_ERROR(CheckKey(command.idempotency_key));
  if (staff && command.reason.empty()) return Invalid("reason", "a reason is required (audit)");
  if (command.reason.size() > kReasonBytesMax) return Invalid("reason", "reason is too long");
  UW_ASSIGN_OR_RETURN(std::optional<Payment> found, store_.GetPayment(command.payment_id));
  if (!found || (!staff && (found->kind != PaymentKind::kMerchant ||
                            found->payee.merchant_id != actor.user_id))) {
    return NotFound("PAYMENT_NOT_FOUND", "no such payment to refund");
  }
  const Payment original = *std::move(found);
  if (original.kind != PaymentKind::kMerchant && original.kind != PaymentKind::kTransfer) {
    return WithMetadata(
        Precondition("INVALID_STATE", "only transfers and merchant payments can be refunded"),
        {{"state", StatusName(original.status)}});
  }
  const int64_t refundable = original.amount_minor - original.refunded_minor;
  int64_t amount = refundable;
  if (command.amount && !reversal) {
    UW_RETURN_IF_ERROR(CheckAmount(*command.amount));
    amount = command.amount->amount_minor;
  }
  const std::string digest = Digest({reversal ? "reversal" : "refund", original.payment_id,
                                     command.amount && !reversal ? absl::StrCat(amount) : "rest"});
  UW_ASSIGN_OR_RETURN(std::optional<Payment> existing,
                      store_.FindByKey(actor.user_id, command.idempotency_key));
  Payment refund;
  bool inserted = false;
  if (existing) {
    if (existing->request_digest != digest) return KeyReused();
    refund = *std::move(existing);
  } else {
    if (original.status != PaymentStatus::kSucceeded) {
      return WithMetadata(
          Precondition("INVALID_STATE", "only a successful payment can be refunded"),
          {{"state", StatusName(original.status)}});
    }
    if (!staff && !command.refund_request_id.empty() && !command.amount) {
      // Answering a request without an amount refunds what it still asks for (the store checks
      // again, atomically, when it reserves the refund).
      UW_ASSIGN_OR_RETURN(std::optional<RefundRequestRecord> request,
                          store_.GetRefundRequest(command.refund_request_id));
      if (!request || request->payment_id != original.payment_id) {
        return NotFound("REFUND_REQUEST_NOT_FOUND", "no such refund request for this payment");
      }
      if (!IsOpenRefundRequest(request->status)) {
        return WithMetadata(Precondition("INVALID_STATE", "the refund request is already decided"),
                            {{"status", RefundRequestStatusName(request->status)}});
      }
      const int64_t requested_remaining =
          request->amount_minor - request->refunded_minor - request->reserved_minor;
      if (requested_remaining <= 0) {
        return WithMetadata(
            Precondition("REFUND_EXCEEDS_REQUEST", "refunds in flight already cover the request"),
            {{"requested_remaining_minor", "0"}});
      }
      amount = std::min(refundable, requested_remaining);
    }
    if (amount <= 0 || amount > refundable) {
      return WithMetadata(
          Precondition("REFUND_EXCEEDS_PAYMENT", "more than what is still refundable"),
          {{"refundable_minor", absl::StrCat(refundable)}});
    }
    const absl::Time now = clock_.Now();
    refund = Payment{.payment_id = ids_.NewId(),
                     .owner_user_id = actor.user_id,
                     .idempotency_key = command.idempotency_key,
                     .request_digest = digest,
                     .kind = reversal ? PaymentKind::kReversal : PaymentKind::kRefund,
                     .payer = original.payee,
                     .payee = original.payer,
                     .amount_minor = amount,
                     // A reversal also returns the fee the payer was charged (in the same ledger
                     // batch); a refund does not.
                     .fee_minor = reversal ? original.fee_minor : 0,
                     .currency = original.currency,
                     .note = command.reason,
                     .order_ref = original.order_ref,
                     .original_payment_id = original.payment_id,
                     .created_at = now,
                     .updated_at = now,
                     .arrives_by = now,
                     .next_check_at = now + options_.retry_after};
    refund.history.push_back({PaymentStatus::kPending, now, "", ""});
    UW_ASSIGN_OR_RETURN(InsertResult result,
                        store_.ReserveRefund(refund, staff ? "" : command.refund_request_id));
    if (!result.inserted && result.payment.request_digest != digest) return KeyReused();
    inserted = result.inserted;
    refund = result.payment;
  }
  RefundResult out;
  if (staff && inserted) {
    out.audit_id = ids_.NewId();
    UW_RETURN_IF_ERROR(store_.AppendAudit({.audit_id = out.audit_id,
                                           .actor_user_id = actor.user_id,
                                           .action = reversal ? "reverse" : "refund",
                                           .payment_id = original.payment_id,
                                           .reason = command.reason,
                                           .reference = command.reference,
                                           .at = clock_.Now()}));
  }
  UW_ASSIGN_OR_RETURN(out.refund, Resume(std::move(refund)));
  UW_ASSIGN_OR_RETURN(out.original, GetAnyPayment(original.payment_id));
  return out;
}

absl::StatusOr<Payment> PaymentsCore::ResumeRefund(Payment payment) {
  const bool reversal = payment.kind == PaymentKind::kReversal;
  std::vector<Leg> legs;
  if (payment.amount_minor > 0) {
    legs.push_back({.debit = PartyAccount(payment.payer),
                    .credit = PartyAccount(payment.payee),
                    .amount_minor = payment.amount_minor,
                    .kind = reversal ? LedgerKind::kReversal : LedgerKind::kRefund,
                    .description = payment.note,
                    .metadata = {{"payment_id", payment.payment_id},
                                 {"original_payment_id", payment.original_payment_id}}});
  }
  if (reversal && payment.fee_minor > 0) {
    // The fee back from fee revenue to the original payer, linked with the amount.
    legs.push_back({.debit = System(AccountRef::Kind::kFeeRevenue),
                    .credit = PartyAccount(payment.payee),
                    .amount_minor = payment.fee_minor,
                    .kind = LedgerKind::kReversal,
                    .description = "fee returned",
                    .metadata = {{"payment_id", payment.payment_id},
                                 {"original_payment_id", payment.original_payment_id},
                                 {"leg", "fee"}}});
  }
  absl::StatusOr<std::vector<std::string>> ids =
      ledger_.PostLinked(LedgerKey(payment, "capture"), legs);
  if (!ids.ok() && IsTransient(ids.status())) return ids.status();
  UW_ASSIGN_OR_RETURN(
      TransitionResult result,
      store_.CompleteRefund(payment.payment_id, ids.ok(),
                            ids.ok() ? "" : ReasonOrDefault(ids.status()),
                            ids.ok() ? *ids : std::vector<std::string>{}, clock_.Now()));
  return ResultOf(result.payment);
}

// ---------------------------------------------------------------------------------------------
// Cards and PIN
// ---------------------------------------------------------------------------------------------

absl::StatusOr<BankCard> PaymentsCore::AddBankCard(const Caller& caller, const NewCard& card) {
  UW_ASSIGN_OR_RETURN(std::string digits, NormalizeCardNumber(card.card_number));
  UW_RETURN_IF_ERROR(CheckExpiry(card.expiry_month, card.expiry_year, clock_.Now()));
  if (card.holder_name.empty() || card.holder_name.size() > 200) {
    return Invalid("holder_name", "holder_name is required (at most 200 bytes)");
  }
  UW_ASSIGN_OR_RETURN(std::vector<BankCard> cards, store_.ListCards(caller.user_id));
  if (static_cast<int>(cards.size()) >= kCardsPerUserMax) {
    return WithReason(absl::StatusCode::kResourceExhausted, "LIMIT_EXCEEDED",
                      "at most 10 bank cards can be bound");
  }
  UW_ASSIGN_OR_RETURN(CardToken token, bank_.Tokenize(digits, card.holder_name, card.expiry_month,
                                                      card.expiry_year));
  BankCard bound{.card_id = ids_.NewId(),
                 .user_id = caller.user_id,
                 .token = token.token,
                 .brand = token.brand == CardBrand::kUnspecified ? BrandOf(digits) : token.brand,
                 .last4 = digits.substr(digits.size() - 4),
                 .holder_name = card.holder_name,
                 .expiry_month = card.expiry_month,
                 .expiry_year = card.expiry_year,
                 .bank_name = token.bank_name,
                 .created_at = clock_.Now()};
  UW_RETURN_IF_ERROR(store_.InsertCard(bound));
  return bound;
}

absl::StatusOr<std::vector<BankCard>> PaymentsCore::ListBankCards(const std::string& user_id) {
  return store_.ListCards(user_id);
}

absl::Status PaymentsCore::RemoveBankCard(const std::string& user_id, const std::string& card_id) {
  if (card_id.empty()) return Invalid("card_id", "card_id is required");
  return store_.RemoveCard(user_id, card_id, clock_.Now());
}

absl::Status PaymentsCore::SetPaymentPin(const Caller& caller, const std::string& pin,
                                         const std::string& step_up_token) {
  UW_RETURN_IF_ERROR(CheckPinFormat(pin));
  if (step_up_token.empty()) {
    return WithMetadata(Precondition("STEP_UP_REQUIRED", "setting the PIN needs a step-up"),
                        {{"action", "SET_PAYMENT_PIN"}});
  }
  UW_RETURN_IF_ERROR(auth_.ValidateStepUp(caller.user_id, step_up_token,
                                          StepUpAction::kSetPaymentPin, /*consume=*/true));
  UW_ASSIGN_OR_RETURN(std::string hash, pins_.Hash(caller.user_id, pin));
  return store_.PutPin(caller.user_id, hash, clock_.Now());
}

absl::Status PaymentsCore::ChangePaymentPin(const Caller& caller, const std::string& old_pin,
                                            const std::string& new_pin) {
  UW_RETURN_IF_ERROR(CheckPin(caller.user_id, old_pin));
  UW_RETURN_IF_ERROR(CheckPinFormat(new_pin));
  UW_ASSIGN_OR_RETURN(std::string hash, pins_.Hash(caller.user_id, new_pin));
  return store_.PutPin(caller.user_id, hash, clock_.Now());
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Schedule> PaymentsCore::CreateSchedule(const Caller& caller,
                                                      const NewSchedule& schedule) {
  UW_RETURN_IF_ERROR(CheckKey(schedule.idempotency_key));
  if (schedule.to.value.empty()) return Invalid("to", "who to send to is required");
  UW_RETURN_IF_ERROR(CheckAmount(schedule.amount));
  if (schedule.cadence == Cadence::kUnspecified) return Invalid("cadence", "cadence is required");
  if (schedule.note.size() > kNoteBytesMax) return Invalid("note", "note is too long");
  const absl::Time now = clock_.Now();
  const absl::Time starts_at =
      schedule.starts_at == absl::InfinitePast() ? now : schedule.starts_at;
  if (schedule.ends_at <= starts_at) return Invalid("ends_at", "ends_at must be after starts_at");
  UW_RETURN_IF_ERROR(CheckPin(caller.user_id, schedule.pin));
  UW_RETURN_IF_ERROR(CheckPerTransaction(PaymentKind::kTransfer, schedule.amount.amount_minor));
  absl::StatusOr<UserInfo> payee = auth_.LookupUser(schedule.to);
  if (!payee.ok()) {
    if (payee.status().code() == absl::StatusCode::kNotFound) {
      return NotFound("PAYEE_NOT_FOUND", "no uwallet user with that id, phone or email");
    }
    return payee.status();
  }
  if (payee->user_id == caller.user_id) {
    return WithReason(absl::StatusCode::kInvalidArgument, "SELF_TRANSFER",
                      "you cannot send money to yourself");
  }
  return store_.InsertSchedule({.schedule_id = ids_.NewId(),
                                .user_id = caller.user_id,
                                .idempotency_key = schedule.idempotency_key,
                                .to = schedule.to,
                                .payee_user_id = payee->user_id,
                                .payee_display_name = payee->masked_display_name,
                                .amount_minor = schedule.amount.amount_minor,
                                .currency = schedule.amount.currency,
                                .cadence = schedule.cadence,
                                .note = schedule.note,
                                .starts_at = starts_at,
                                .ends_at = schedule.ends_at,
                                .next_run_at = starts_at,
                                .status = ScheduleStatus::kActive,
                                .created_at = now});
}

absl::StatusOr<std::vector<Schedule>> PaymentsCore::ListSchedules(const std::string& user_id,
                                                                  int page_size) {
  if (page_size < 0 || page_size > kPageSizeMax) return Invalid("page_size", "page_size 1..100");
  return store_.ListSchedules(user_id, page_size == 0 ? kPageSizeDefault : page_size);
}

absl::StatusOr<Schedule> PaymentsCore::CancelSchedule(const std::string& user_id,
                                                      const std::string& schedule_id) {
  if (schedule_id.empty()) return Invalid("schedule_id", "schedule_id is required");
  return store_.CancelSchedule(user_id, schedule_id, clock_.Now());
}

absl::StatusOr<int> PaymentsCore::CancelUserSchedules(const std::string& user_id) {
  if (user_id.empty()) return Invalid("user_id", "user_id is required");
  return store_.CancelUserSchedules(user_id, clock_.Now());
}

absl::StatusOr<int> PaymentsCore::RunDueSchedules(int limit) {
  UW_ASSIGN_OR_RETURN(std::vector<ClaimedRun> runs,
                      store_.ClaimDueRuns(clock_.Now(), options_.schedule_run_lease, limit));
  for (const ClaimedRun& run : runs) {
    const Schedule& schedule = run.schedule;
    const std::string key = absl::StrCat(kScheduleKeyPrefix, schedule.schedule_id, ":",
                                         absl::ToUnixSeconds(run.period_start));
    absl::StatusOr<Payment> payment = [&]() -> absl::StatusOr<Payment> {
      UW_ASSIGN_OR_RETURN(std::optional<Payment> existing, store_.FindByKey(schedule.user_id, key));
      if (existing) return Resume(*std::move(existing));
      UW_RETURN_IF_ERROR(CheckPayer(schedule.user_id));
      absl::StatusOr<UserInfo> payee =
          auth_.LookupUser({PayeeRef::By::kUserId, schedule.payee_user_id});
      if (!payee.ok()) {
        if (payee.status().code() == absl::StatusCode::kNotFound) {
          return NotFound("PAYEE_NOT_FOUND", "the payee no longer exists");
        }
        return payee.status();
      }
      UW_ASSIGN_OR_RETURN(int64_t fee,
                          options_.fees.FeeFor(PaymentKind::kTransfer, schedule.amount_minor));
      MoveSpec spec{.kind = PaymentKind::kTransfer,
                    .key = key,
                    .digest = Digest({"schedule", schedule.schedule_id, key}),
                    .payer = {.kind = PartyKind::kUser, .user_id = schedule.user_id},
                    .payee = {.kind = PartyKind::kUser,
                              .user_id = payee->user_id,
                              .display_name = payee->masked_display_name},
                    .counterparty_id = payee->user_id,
                    .amount_minor = schedule.amount_minor,
                    .fee_minor = fee,
                    .note = schedule.note,
                    .scheduled = true};
      return ExecuteMove(Caller{.user_id = schedule.user_id}, std::move(spec));
    }();
    std::string payment_id;
    PaymentStatus status = PaymentStatus::kFailed;
    std::string reason;
    if (payment.ok()) {
      payment_id = payment->payment_id;
      status = payment->status;
    } else {
      payment_id = MetadataOf(payment.status())["payment_id"];
      reason = ReasonOrDefault(payment.status());
      if (IsTransient(payment.status())) status = PaymentStatus::kPending;
    }
    UW_RETURN_IF_ERROR(store_.CompleteRun(schedule.schedule_id, run.period_start, payment_id,
                                          status, reason, clock_.Now()));
  }
  return static_cast<int>(runs.size());
}

absl::StatusOr<int> PaymentsCore::RunDueChecks(int limit) {
  UW_ASSIGN_OR_RETURN(std::vector<Payment> due,
                      store_.ClaimDueChecks(clock_.Now(), options_.check_lease, limit));
  for (Payment& payment : due) {
    absl::StatusOr<Payment> result = Resume(std::move(payment));
    if (!result.ok() && IsTransient(result.status())) {
      log::Warn("payment check will be retried", {{"error", result.status().ToString()}});
    }
    if (result.ok()) {
      if (absl::Status finished = FinishScheduleRun(*result); !finished.ok()) {
        log::Warn("schedule run not updated", {{"error", finished.ToString()}});
      }
    }
  }
  return static_cast<int>(due.size());
}

absl::Status PaymentsCore::FinishScheduleRun(const Payment& payment) {
  if (payment.status != PaymentStatus::kSucceeded && payment.status != PaymentStatus::kFailed) {
    return absl::OkStatus();
  }
  absl::string_view key = payment.idempotency_key;
  if (!absl::ConsumePrefix(&key, kScheduleKeyPrefix)) return absl::OkStatus();
  const size_t colon = key.rfind(':');
  int64_t period_seconds = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(key.substr(colon + 1), &period_seconds)) {
    return absl::InternalError(
        absl::StrCat("malformed schedule payment key ", payment.idempotency_key));
  }
  return store_.CompleteRun(
      std::string(key.substr(0, colon)), absl::FromUnixSeconds(period_seconds), payment.payment_id,
      payment.status, payment.status == PaymentStatus::kFailed ? payment.failure_reason : "",
      clock_.Now());
}

// ---------------------------------------------------------------------------------------------
// Limits and merchant codes
// ---------------------------------------------------------------------------------------------

absl::StatusOr<std::vector<LimitView>> PaymentsCore::GetLimits(const std::string& user_id) {
  const absl::Time day_start = DayStart(clock_.Now());
  std::vector<LimitView> views;
  for (const auto& [kind, limits] : options_.limits) {
    UW_ASSIGN_OR_RETURN(Usage used, store_.DailyUsage(user_id, kind, day_start));
    views.push_back(
        {.kind = kind,
         .limits = limits,
         .used = used,
         .resets_at = absl::FromCivil(
             absl::CivilDay(absl::ToCivilSecond(day_start, options_.zone)) + 1, options_.zone)});
  }
  return views;
}

absl::StatusOr<CreatedCode> PaymentsCore::CreatePaymentCode(const Caller& merchant,
                                                            const std::optional<Amount>& amount,
                                                            const std::string& order_ref,
                                                            int64_t ttl_s) {
  if (ttl_s < 0 || absl::Seconds(ttl_s) > options_.qr_ttl_max) {
    return Invalid("ttl_s", "ttl_s is out of range");
  }
  if (amount) UW_RETURN_IF_ERROR(CheckAmount(*amount));
  if (order_ref.size() > kOrderRefBytesMax) return Invalid("order_ref", "order_ref is too long");
  const absl::Duration ttl = ttl_s == 0 ? options_.qr_ttl_default : absl::Seconds(ttl_s);
  PaymentCode code{.payment_code_id = ids_.NewId(),
                   .merchant_id = merchant.user_id,
                   .amount_minor = amount ? amount->amount_minor : 0,
                   .currency = options_.currency,
                   .order_ref = order_ref,
                   .expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now() + ttl))};
  return CreatedCode{.payment_code_id = code.payment_code_id,
                     .qr_payload = SignPaymentCode(options_.qr_key, code),
                     .expires_at = code.expires_at};
}

}  // namespace uwallet::payments
