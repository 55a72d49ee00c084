#pragma once
// The payments rules: quotes, transfers, merchant payments, top-ups, withdrawals, refunds and
// reversals, bank cards, the payment PIN, limits and scheduled transfers. Money moves only through
// the LedgerClient; the risk check runs before money moves.
//
// Idempotency ("never charges twice"): a money-moving call first records the payment PENDING under
// its (owner, idempotency_key), then calls the ledger with keys derived from the payment id
// ("payments:<id>:capture", ":hold", ":post", ":void"), then records the result. A retry with the
// same key finds the record and resumes from where the first attempt stopped; the ledger's own
// idempotency makes a repeated ledger call return the first result. A worker resumes payments a
// client never retried (next_check_at).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/payments/core/fees.h"
#include "services/payments/core/model.h"
#include "services/payments/core/pin_hash.h"
#include "services/payments/core/ports.h"
#include "services/payments/core/qr.h"
#include "services/payments/core/schedule.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::payments {

inline constexpr size_t kIdempotencyKeyBytesMax = 128;
inline constexpr size_t kNoteBytesMax = 140 * 4;  // 140 characters of UTF-8
inline constexpr int kNoteCharactersMax = 140;
inline constexpr size_t kOrderRefBytesMax = 128;
inline constexpr size_t kReasonBytesMax = 500;
inline constexpr int kPageSizeMax = 100;
inline constexpr int kPageSizeDefault = 20;
inline constexpr int kCardsPerUserMax = 10;
inline constexpr int kWorkerBatchMax = 100;

// What to do when the fraud service does not answer in time.
struct RiskFailPolicy {
  // Payments up to this amount go ahead; larger ones are held for review (UNDER_REVIEW).
  int64_t allow_up_to_minor = 50'000;  // ¥500
};

struct CoreOptions {
  std::string currency = "CNY";
  FeeTable fees = FeeTable::Default();
  std::map<PaymentKind, KindLimits> limits = DefaultLimits();
  int pin_attempts_max = 5;
  absl::Duration pin_lock_base = absl::Minutes(15);  // first lockout; doubles each time
  absl::Duration pin_lock_max = absl::Hours(24);
  RiskFailPolicy risk_fail_policy;
  absl::Duration review_hold_ttl = absl::Hours(24 * 7);
  std::string qr_key;   // HMAC key of merchant payment codes (≥ 32 bytes)
  std::string pin_key;  // 32 bytes: PINs stored keyed (pin_hash.h); empty: argon2id
  absl::Duration qr_ttl_default = absl::Minutes(5);
  absl::Duration qr_ttl_max = absl::Hours(24);
  absl::TimeZone zone = absl::UTCTimeZone();       // day boundaries of daily limits and schedules
  absl::Duration retry_after = absl::Seconds(30);  // when the worker resumes an interrupted payment
  absl::Duration check_lease = absl::Seconds(30);
  // A claimed schedule run still without a payment after this long is re-driven by any worker.
  absl::Duration schedule_run_lease = absl::Minutes(2);

  [[nodiscard]] static std::map<PaymentKind, KindLimits> DefaultLimits();
};

// Who is calling (from the signed identity assertion).
struct Caller {
  std::string user_id;
  std::string session_id;
  std::string device_id;
  std::string ip;
};

struct Amount {
  int64_t amount_minor = 0;
  std::string currency;
};

struct QuoteRequest {
  PaymentKind kind = PaymentKind::kUnspecified;
  std::optional<Amount> amount;
  std::optional<PayeeRef> to;
  std::string merchant_id;
  std::string qr_payload;
  std::string bank_card_id;
};

struct Quote {
  Amount amount;
  int64_t fee_minor = 0;
  int64_t total_minor = 0;
  absl::Time arrives_by;
  std::string payee_display_name;
  bool step_up_required = false;
};

struct TransferCommand {
  std::string idempotency_key;
  PayeeRef to;
  Amount amount;
  std::string note;
  std::string pin;
  std::string step_up_token;
};

struct PayMerchantCommand {
  std::string idempotency_key;
  std::string merchant_id;  // or
  std::string qr_payload;
  std::optional<Amount> amount;
  std::string order_ref;
  std::string pin;
  std::string step_up_token;
};

struct TopUpCommand {
  std::string idempotency_key;
  std::string bank_card_id;
  Amount amount;
};

struct WithdrawCommand {
  std::string idempotency_key;
  std::string bank_card_id;
  Amount amount;
  std::string pin;
  std::string step_up_token;
};

struct RefundCommand {
  std::string idempotency_key;
  std::string payment_id;
  std::optional<Amount> amount;  // unset: everything still refundable
  std::string reason;
  std::string reference;  // ticket id or refund request id (audit)
  // Merchant refunds answering a customer's RequestRefund: linked to it (see ReserveRefund).
  std::string refund_request_id;
};

struct RefundResult {
  Payment refund;
  Payment original;
  std::string audit_id;  // staff actions only
};

struct NewCard {
  std::string card_number;
  std::string holder_name;
  int expiry_month = 0;
  int expiry_year = 0;
};

struct NewSchedule {
  std::string idempotency_key;
  PayeeRef to;
  Amount amount;
  Cadence cadence = Cadence::kUnspecified;
  absl::Time starts_at = absl::InfinitePast();
  absl::Time ends_at = absl::InfiniteFuture();
  std::string note;
  std::string pin;
};

struct LimitView {
  PaymentKind kind = PaymentKind::kUnspecified;
  KindLimits limits;
  Usage used;
  absl::Time resets_at;
};

struct CreatedCode {
  std::string payment_code_id;
  std::string qr_payload;
  absl::Time expires_at;
};

struct Settlement {
  std::string payment_id;
  std::string bank_reference;
  BankOutcome outcome = BankOutcome::kSettled;
  std::string failure_reason;
};

class PaymentsCore {
 public:
  PaymentsCore(PaymentStore& store, LedgerClient& ledger, AuthClient& auth, RiskClient& risk,
               BankConnector& bank, const Clock& clock, IdGenerator& ids, CoreOptions options);

  [[nodiscard]] absl::StatusOr<Quote> QuoteFee(const Caller& caller, const QuoteRequest& request);
  [[nodiscard]] absl::StatusOr<Payment> Transfer(const Caller& caller,
                                                 const TransferCommand& command);
  [[nodiscard]] absl::StatusOr<Payment> PayMerchant(const Caller& caller,
                                                    const PayMerchantCommand& command);
  [[nodiscard]] absl::StatusOr<Payment> TopUp(const Caller& caller, const TopUpCommand& command);
  [[nodiscard]] absl::StatusOr<Payment> Withdraw(const Caller& caller,
                                                 const WithdrawCommand& command);

  // As payer or payee; PAYMENT_NOT_FOUND for anyone else's.
  [[nodiscard]] absl::StatusOr<Payment> GetPayment(const std::string& user_id,
                                                   const std::string& payment_id);
  [[nodiscard]] absl::StatusOr<Payment> GetAnyPayment(const std::string& payment_id);
  // Staff: the refund requests on a payment, newest first (at most kPageSizeMax).
  [[nodiscard]] absl::StatusOr<std::vector<RefundRequestRecord>> PaymentRefundRequests(
      const std::string& payment_id);
  // Returns the page and the next page token ("" at the end).
  [[nodiscard]] absl::StatusOr<std::pair<std::vector<Payment>, std::string>> ListPayments(
      PaymentQuery query, int page_size, const std::string& page_token);

  [[nodiscard]] absl::StatusOr<RefundRequestRecord> RequestRefund(const Caller& caller,
                                                                  const RefundCommand& command);
  // A merchant refunding a payment made to them. With refund_request_id the refund answers that
  // request; without an amount it refunds what the request still asks for (at most what is left
  // of the payment).
  [[nodiscard]] absl::StatusOr<RefundResult> MerchantRefund(const Caller& merchant,
                                                            const RefundCommand& command);
  // A merchant declining an open refund request on a payment made to them (reason required).
  [[nodiscard]] absl::StatusOr<RefundRequestRecord> RejectRefundRequest(
      const Caller& merchant, const std::string& refund_request_id, const std::string& reason);
  // A customer's (query.user_id) or a merchant's (query.merchant_id) refund requests, newest
  // first. Returns the page and the next page token ("" at the end).
  [[nodiscard]] absl::StatusOr<std::pair<std::vector<RefundRequestRecord>, std::string>>
  ListRefundRequests(RefundRequestQuery query, int page_size, const std::string& page_token);
  // Staff (audited).
  [[nodiscard]] absl::StatusOr<RefundResult> StaffRefund(const Caller& staff,
                                                         const RefundCommand& command);
  [[nodiscard]] absl::StatusOr<RefundResult> StaffReverse(const Caller& staff,
                                                          const RefundCommand& command);

  [[nodiscard]] absl::StatusOr<BankCard> AddBankCard(const Caller& caller, const NewCard& card);
  [[nodiscard]] absl::StatusOr<std::vector<BankCard>> ListBankCards(const std::string& user_id);
  [[nodiscard]] absl::Status RemoveBankCard(const std::string& user_id, const std::string& card_id);

  [[nodiscard]] absl::Status SetPaymentPin(const Caller& caller, const std::string& pin,
                                           const std::string& step_up_token);
  [[nodiscard]] absl::Status ChangePaymentPin(const Caller& caller, const std::string& old_pin,
                                              const std::string& new_pin);

  [[nodiscard]] absl::StatusOr<Schedule> CreateSchedule(const Caller& caller,
                                                        const NewSchedule& schedule);
  [[nodiscard]] absl::StatusOr<std::vector<Schedule>> ListSchedules(const std::string& user_id,
                                                                    int page_size);
  [[nodiscard]] absl::StatusOr<Schedule> CancelSchedule(const std::string& user_id,
                                                        const std::string& schedule_id);
  [[nodiscard]] absl::StatusOr<int> CancelUserSchedules(const std::string& user_id);

  [[nodiscard]] absl::StatusOr<std::vector<LimitView>> GetLimits(const std::string& user_id);

  [[nodiscard]] absl::StatusOr<CreatedCode> CreatePaymentCode(const Caller& merchant,
                                                              const std::optional<Amount>& amount,
                                                              const std::string& order_ref,
                                                              int64_t ttl_s);

  // Internal: the bank's final answer (idempotent), and a risk review's outcome.
  [[nodiscard]] absl::StatusOr<Payment> HandleSettlement(const Settlement& settlement);
  [[nodiscard]] absl::StatusOr<Payment> ResolveReview(const std::string& payment_id, bool approve,
                                                      const std::string& note);

  // Workers. Each returns how many items it handled.
  [[nodiscard]] absl::StatusOr<int> RunDueSchedules(int limit = kWorkerBatchMax);
  [[nodiscard]] absl::StatusOr<int> RunDueChecks(int limit = kWorkerBatchMax);

  [[nodiscard]] const CoreOptions& options() const { return options_; }

 private:
  // A scheduled payment that finished after its run was recorded PENDING (a transient error):
  // the run and the schedule's last status follow it.
  absl::Status FinishScheduleRun(const Payment& payment);
  struct MoveSpec;
  [[nodiscard]] absl::StatusOr<Payment> ExecuteMove(const Caller& caller, MoveSpec spec);
  // The payment an earlier request with this key made, resumed where it stopped; KEY_REUSED when
  // that request was another one (digest); nullopt when the key is new.
  [[nodiscard]] absl::StatusOr<std::optional<Payment>> Replay(const std::string& user_id,
                                                              const std::string& idempotency_key,
                                                              const std::string& digest);
  // Records a new payment with the first entry of its trail (checking `limit` in the same
  // transaction) and carries it on.
  [[nodiscard]] absl::StatusOr<Payment> InsertAndResume(Payment payment,
                                                        const std::optional<DailyLimitCheck>& limit,
                                                        const std::string& digest);
  [[nodiscard]] absl::StatusOr<Payment> Resume(Payment payment);
  [[nodiscard]] absl::StatusOr<Payment> ResumeMove(Payment payment);
  [[nodiscard]] absl::StatusOr<Payment> ResumeTopUp(Payment payment);
  [[nodiscard]] absl::StatusOr<Payment> ResumeWithdrawal(Payment payment);
  [[nodiscard]] absl::StatusOr<Payment> ResumeRefund(Payment payment);
  [[nodiscard]] absl::StatusOr<Payment> ApplyBankAnswer(Payment payment, const BankAnswer& answer);
  [[nodiscard]] absl::StatusOr<Payment> Fail(const Payment& payment, const std::string& reason,
                                             const std::string& note);
  [[nodiscard]] absl::StatusOr<Payment> Succeed(const Payment& payment,
                                                const std::vector<std::string>& ledger_ids,
                                                const std::string& note);
  [[nodiscard]] absl::StatusOr<RefundResult> DoRefund(const Caller& actor,
                                                      const RefundCommand& command, bool staff,
                                                      bool reversal);

  [[nodiscard]] absl::Status CheckAmount(const Amount& amount) const;
  [[nodiscard]] absl::Status CheckKey(const std::string& key) const;
  [[nodiscard]] absl::Status CheckPin(const std::string& user_id, const std::string& pin);
  [[nodiscard]] absl::Status CheckPayer(const std::string& user_id);
  [[nodiscard]] absl::Status CheckPerTransaction(PaymentKind kind, int64_t amount_minor) const;
  [[nodiscard]] bool NeedsStepUp(PaymentKind kind, int64_t amount_minor) const;
  [[nodiscard]] absl::StatusOr<RiskDecision> Assess(const RiskQuery& query);
  [[nodiscard]] std::optional<DailyLimitCheck> DailyCheck(PaymentKind kind) const;
  [[nodiscard]] absl::Time DayStart(absl::Time now) const;
  [[nodiscard]] AccountRef Wallet(const std::string& user_id) const;
  [[nodiscard]] AccountRef PartyAccount(const Party& party) const;
  [[nodiscard]] AccountRef System(AccountRef::Kind kind) const;
  [[nodiscard]] absl::StatusOr<Party> ResolveMerchant(const std::string& merchant_id);
  [[nodiscard]] absl::StatusOr<Payment> ResultOf(const Payment& payment) const;

  PaymentStore& store_;
  LedgerClient& ledger_;
  AuthClient& auth_;
  RiskClient& risk_;
  BankConnector& bank_;
  const Clock& clock_;
  IdGenerator& ids_;
  CoreOptions options_;
  PinHasher pins_;
};

// The status a stored failure is reported with (INSUFFICIENT_FUNDS → FAILED_PRECONDITION, ...).
[[nodiscard]] absl::Status StatusForFailure(const std::string& reason, const std::string& message);
// True for errors after which the money certainly did not move and will not (the payment fails);
// false for transient ones (the payment stays PENDING and is resumed).
[[nodiscard]] bool IsDefinitive(const absl::Status& status);
// "张*明"-style masking is done by auth; card labels are made here: "UnionPay •••• 1234".
[[nodiscard]] std::string CardLabel(CardBrand brand, const std::string& last4);
// 6 digits and not trivial (one repeated digit, or a run such as 123456 / 654321).
[[nodiscard]] absl::Status CheckPinFormat(const std::string& pin);

}  // namespace uwallet::payments
