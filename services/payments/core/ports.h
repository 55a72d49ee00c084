#pragma once
// What the payments core needs from the outside world, as small interfaces. gRPC implementations of
// the clients live in grpc/clients.h, the PostgreSQL store in storage/pg_store.h, the simulated
// bank in core/simulated_bank.h, and in-memory fakes for unit tests in test/fakes.h. The core never
// sees gRPC, SQL or a connection.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/payments/core/model.h"

namespace uwallet::payments {

// ---------------------------------------------------------------------------------------------
// Ledger (uwallet.ledger.v1.LedgerInternalService)
// ---------------------------------------------------------------------------------------------

// An account named by its natural key; the client opens it on first use.
struct AccountRef {
  enum class Kind { kUserWallet = 1, kMerchant = 2, kBankSettlement = 3, kFeeRevenue = 4 };
  Kind kind = Kind::kUserWallet;
  std::string owner_id;  // user id, merchant id; empty for system accounts
  std::string currency;
};

// Ledger transfer kinds used by payments (values of uwallet.ledger.v1.TransferKind).
enum class LedgerKind {
  kTopUp = 1,
  kWithdrawal = 2,
  kP2p = 3,
  kMerchantPayment = 4,
  kFee = 5,
  kRefund = 6,
  kReversal = 7,
  kRiskHold = 9
};

struct Leg {
  AccountRef debit;
  AccountRef credit;
  int64_t amount_minor = 0;
  LedgerKind kind = LedgerKind::kP2p;
  std::string description;
  std::map<std::string, std::string> metadata;  // {"payment_id": ...}
};

struct HoldSpec {
  AccountRef debit;
  AccountRef credit;
  int64_t amount_minor = 0;
  LedgerKind kind = LedgerKind::kWithdrawal;
  std::string description;
  std::map<std::string, std::string> metadata;
  int64_t ttl_s = 0;
};

// Every call is idempotent per idempotency_key at the ledger: the same key returns the stored
// result, so the core can call again after any failure without moving money twice. Errors keep the
// ledger's code and reason (INSUFFICIENT_FUNDS, ACCOUNT_FROZEN, CURRENCY_MISMATCH, ...).
class LedgerClient {
 public:
  virtual ~LedgerClient() = default;
  // All legs atomically. Returns the ledger transfer ids in order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> PostLinked(
      const std::string& idempotency_key, const std::vector<Leg>& legs) = 0;
  // Returns the hold id.
  [[nodiscard]] virtual absl::StatusOr<std::string> CreateHold(const std::string& idempotency_key,
                                                               const HoldSpec& hold) = 0;
  // Posts the whole hold with `linked` in the same batch. Returns the ledger transfer ids.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> PostHold(
      const std::string& idempotency_key, const std::string& hold_id,
      const std::vector<Leg>& linked) = 0;
  [[nodiscard]] virtual absl::Status VoidHold(const std::string& idempotency_key,
                                              const std::string& hold_id,
                                              const std::string& reason) = 0;
};

// ---------------------------------------------------------------------------------------------
// Auth (uwallet.auth.v1.AuthInternalService)
// ---------------------------------------------------------------------------------------------

enum class UserStatus { kUnspecified = 0, kActive = 1, kLocked = 2, kFrozen = 3 };

struct UserInfo {
  std::string user_id;
  std::string masked_display_name;
  UserStatus status = UserStatus::kUnspecified;
  bool contact_verified = false;
  bool is_merchant = false;
};

enum class StepUpAction { kLargePayment = 2, kSetPaymentPin = 3, kAddBankCard = 4 };

class AuthClient {
 public:
  virtual ~AuthClient() = default;
  // NOT_FOUND when there is no such user.
  [[nodiscard]] virtual absl::StatusOr<UserInfo> LookupUser(const PayeeRef& key) = 0;
  // OK when the token is valid for (user, action); consumes it when asked. STEP_UP_REQUIRED
  // otherwise.
  [[nodiscard]] virtual absl::Status ValidateStepUp(const std::string& user_id,
                                                    const std::string& token, StepUpAction action,
                                                    bool consume) = 0;
};

// ---------------------------------------------------------------------------------------------
// Fraud (uwallet.fraud.v1.FraudInternalService)
// ---------------------------------------------------------------------------------------------

struct RiskQuery {
  std::string user_id;
  PaymentKind kind = PaymentKind::kTransfer;
  bool scheduled = false;
  int64_t amount_minor = 0;
  std::string currency;
  std::string counterparty_id;
  std::string device_id;
  std::string ip;
  std::string session_id;
  std::string reference_id;
  bool step_up_verified = false;
};

class RiskClient {
 public:
  virtual ~RiskClient() = default;
  // UNAVAILABLE / DEADLINE_EXCEEDED when the fraud service does not answer in time: the core then
  // applies its configured fail policy.
  [[nodiscard]] virtual absl::StatusOr<RiskDecision> Assess(const RiskQuery& query) = 0;
};

// ---------------------------------------------------------------------------------------------
// Bank connector
// ---------------------------------------------------------------------------------------------

struct CardToken {
  std::string token;
  CardBrand brand = CardBrand::kUnspecified;
  std::string bank_name;
};

enum class BankOutcome { kPending = 0, kSettled = 1, kDeclined = 2, kFailed = 3 };

struct BankAnswer {
  BankOutcome outcome = BankOutcome::kPending;
  std::string failure_reason;  // CARD_DECLINED, INSUFFICIENT_FUNDS, BANK_UNAVAILABLE
  std::string bank_reference;
  absl::Time arrives_by = absl::InfinitePast();
  absl::Time check_again_at = absl::InfinitePast();  // for kPending: when to ask again
};

// The bank behind card operations. The full card number is passed only to Tokenize. Charges and
// payouts are idempotent per reference (the payment id).
class BankConnector {
 public:
  virtual ~BankConnector() = default;
  // CARD_DECLINED when the bank refuses to bind the card.
  [[nodiscard]] virtual absl::StatusOr<CardToken> Tokenize(absl::string_view card_number,
                                                           absl::string_view holder_name,
                                                           int expiry_month, int expiry_year) = 0;
  // Pulls money from the card (top-up). UNAVAILABLE (BANK_UNAVAILABLE) when the bank times out.
  [[nodiscard]] virtual absl::StatusOr<BankAnswer> Charge(const std::string& token,
                                                          int64_t amount_minor,
                                                          const std::string& currency,
                                                          const std::string& reference) = 0;
  // Sends money to the card (withdrawal). Accepted answers are kPending; the outcome comes later.
  [[nodiscard]] virtual absl::StatusOr<BankAnswer> Payout(const std::string& token,
                                                          int64_t amount_minor,
                                                          const std::string& currency,
                                                          const std::string& reference) = 0;
  // Where an accepted operation stands now.
  [[nodiscard]] virtual absl::StatusOr<BankAnswer> Status(const std::string& token,
                                                          const std::string& bank_reference) = 0;
  // The bank's arrival estimate for a payout to this card made now (for quotes).
  [[nodiscard]] virtual absl::Time PayoutArrivesBy(const std::string& token) const = 0;
};

// ---------------------------------------------------------------------------------------------
// Store (storage/pg_store.h). Each method is one atomic operation; events go to the outbox in the
// same transaction as the change they describe.
// ---------------------------------------------------------------------------------------------

// The daily limit to enforce atomically while inserting a payment (concurrent payments of one user
// cannot both slip under it).
struct DailyLimitCheck {
  PaymentKind kind = PaymentKind::kTransfer;
  absl::Time day_start;
  int64_t daily_max_minor = 0;  // 0: none
  int64_t daily_count_max = 0;  // 0: none
};

struct InsertResult {
  Payment payment;
  bool inserted = false;  // false: a payment with this (owner, key) existed and is returned
};

// A change of status. Only applied when the payment is currently in one of `from`.
struct Transition {
  std::vector<PaymentStatus> from;
  PaymentStatus to = PaymentStatus::kPending;
  std::string failure_reason;
  std::string note;
  std::optional<std::string> risk_decision;
  std::optional<std::string> hold_id;
  std::vector<std::string> add_ledger_ids;
  std::optional<std::string> bank_reference;
  std::optional<absl::Time> arrives_by;
  std::optional<absl::Time> next_check_at;
  std::optional<std::string> bank_state;
  // An event type ("payments.payment_succeeded") written with the change; empty: none.
  std::string event_type;
};

struct TransitionResult {
  Payment payment;
  bool applied = false;  // false: the payment was not in `from`; `payment` is its current state
};

struct PaymentQuery {
  std::string user_id;  // as payer or payee
  std::vector<PaymentKind> kinds;
  std::vector<PaymentStatus> statuses;
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  std::string after_payment_id;  // page: ids older than this one
  int limit = 20;
};

class PaymentStore {
 public:
  virtual ~PaymentStore() = default;

  // Inserts `payment` unless (owner_user_id, idempotency_key) exists. With `limit`, fails with
  // LIMIT_EXCEEDED when the owner's successful + in-flight payments of that kind since day_start
  // plus this one would pass it.
  [[nodiscard]] virtual absl::StatusOr<InsertResult> InsertPayment(
      const Payment& payment, const std::optional<DailyLimitCheck>& limit) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<Payment>> GetPayment(
      const std::string& payment_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<Payment>> FindByKey(
      const std::string& owner_user_id, const std::string& idempotency_key) = 0;
  [[nodiscard]] virtual absl::StatusOr<TransitionResult> Apply(const std::string& payment_id,
                                                               const Transition& transition,
                                                               absl::Time now) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Payment>> ListPayments(
      const PaymentQuery& query) = 0;
  [[nodiscard]] virtual absl::StatusOr<Usage> DailyUsage(const std::string& user_id,
                                                         PaymentKind kind,
                                                         absl::Time day_start) = 0;

  // Refunds: inserts the refund payment and adds its amount to the original's refunded_minor, in
  // one transaction, unless that would pass the original amount (REFUND_EXCEEDS_PAYMENT) or the
  // original is not SUCCEEDED. Idempotent on the refund's (owner, key) like InsertPayment.
  // A non-empty `refund_request_id` links the customer's refund request to this refund in the
  // same transaction: it must be an open request (REQUESTED / PARTIALLY_REFUNDED) for the same
  // original (REFUND_REQUEST_NOT_FOUND / INVALID_STATE otherwise), and the refund's amount is
  // reserved on it: its refunded + reserved amounts may not pass what it asked for
  // (REFUND_EXCEEDS_REQUEST), however many refunds answer it at once.
  [[nodiscard]] virtual absl::StatusOr<InsertResult> ReserveRefund(
      const Payment& refund, const std::string& refund_request_id) = 0;
  // Ends a refund or reversal: SUCCEEDED (the original becomes REFUNDED when fully refunded, or
  // REVERSED for a reversal) or FAILED (its amount is taken off the original's refunded_minor).
  // Refund requests follow in the same transaction: on success the linked request's reservation
  // becomes refunded_minor and it becomes PARTIALLY_REFUNDED, or REFUNDED once its refunds reach
  // the requested amount; when nothing is left to refund (REFUNDED / REVERSED) every open request
  // of the original without a refund in flight becomes REFUNDED with this refund (refunded_minor =
  // its amount). On failure the linked request's reservation is released (status unchanged).
  [[nodiscard]] virtual absl::StatusOr<TransitionResult> CompleteRefund(
      const std::string& refund_id, bool succeeded, const std::string& failure_reason,
      const std::vector<std::string>& ledger_ids, absl::Time now) = 0;

  // Payments whose next_check_at passed (bank answers due, retries of interrupted ones), claimed
  // for `lease` (another replica skips them).
  [[nodiscard]] virtual absl::StatusOr<std::vector<Payment>> ClaimDueChecks(absl::Time now,
                                                                            absl::Duration lease,
                                                                            int limit) = 0;

  // Cards.
  [[nodiscard]] virtual absl::Status InsertCard(const BankCard& card) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<BankCard>> ListCards(
      const std::string& user_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<BankCard>> GetCard(
      const std::string& user_id, const std::string& card_id) = 0;
  // NOT_FOUND (CARD_NOT_FOUND) when the user has no such card.
  [[nodiscard]] virtual absl::Status RemoveCard(const std::string& user_id,
                                                const std::string& card_id, absl::Time now) = 0;

  // Payment PIN.
  [[nodiscard]] virtual absl::StatusOr<std::optional<PinState>> GetPin(
      const std::string& user_id) = 0;
  // Sets the hash and clears attempts and lockouts.
  [[nodiscard]] virtual absl::Status PutPin(const std::string& user_id, const std::string& hash,
                                            absl::Time now) = 0;
  // Atomically counts a wrong PIN; after `attempts_max` wrong ones the PIN locks until
  // now + lockout(lock_count) and the counter starts again. Returns the state after.
  [[nodiscard]] virtual absl::StatusOr<PinState> RecordWrongPin(const std::string& user_id,
                                                                absl::Time now, int attempts_max,
                                                                absl::Duration lock_base,
                                                                absl::Duration lock_max) = 0;
  [[nodiscard]] virtual absl::Status RecordRightPin(const std::string& user_id) = 0;
  // Replaces the stored hash only while it is still `old_hash` (a PIN changed meanwhile wins).
  [[nodiscard]] virtual absl::Status ReplacePinHash(const std::string& user_id,
                                                    const std::string& old_hash,
                                                    const std::string& new_hash) = 0;

  // Schedules.
  [[nodiscard]] virtual absl::StatusOr<Schedule> InsertSchedule(const Schedule& schedule) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Schedule>> ListSchedules(
      const std::string& user_id, int limit) = 0;
  [[nodiscard]] virtual absl::StatusOr<Schedule> CancelSchedule(const std::string& user_id,
                                                                const std::string& schedule_id,
                                                                absl::Time now) = 0;
  [[nodiscard]] virtual absl::StatusOr<int> CancelUserSchedules(const std::string& user_id,
                                                                absl::Time now) = 0;
  // Claims every due period of active schedules (at most `limit`): inserts one run row per
  // (schedule, period) — a period that already has one is never claimed again — and moves
  // next_run_at on. Also re-claims runs left without a payment by a worker that stopped (crashed)
  // after claiming: a run with no payment_id, not completed (or completed PENDING after a
  // transient error), claimed at or before now - `lease`, of a schedule not cancelled; its
  // claimed_at moves to now. Re-driving is safe because the run's payment key is derived from
  // (schedule, period). Safe with several workers at once.
  [[nodiscard]] virtual absl::StatusOr<std::vector<ClaimedRun>> ClaimDueRuns(absl::Time now,
                                                                             absl::Duration lease,
                                                                             int limit) = 0;
  [[nodiscard]] virtual absl::Status CompleteRun(
      const std::string& schedule_id, absl::Time period_start, const std::string& payment_id,
      PaymentStatus status, const std::string& failure_reason, absl::Time now) = 0;

  // Refund requests and staff audit.
  [[nodiscard]] virtual absl::StatusOr<RefundRequestRecord> InsertRefundRequest(
      const RefundRequestRecord& request) = 0;
  // The request a customer made with this key, as it is now (status, linked refund).
  [[nodiscard]] virtual absl::StatusOr<std::optional<RefundRequestRecord>> FindRefundRequest(
      const std::string& user_id, const std::string& idempotency_key) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<RefundRequestRecord>> GetRefundRequest(
      const std::string& refund_request_id) = 0;
  // Newest first (by refund_request_id, time-ordered), at most query.limit.
  [[nodiscard]] virtual absl::StatusOr<std::vector<RefundRequestRecord>> ListRefundRequests(
      const RefundRequestQuery& query) = 0;
  // The merchant declines an open request (or the rest of a partly refunded one): REJECTED with
  // decided_at and the reason, and the event payments.refund_request_rejected for the customer,
  // in one transaction. REFUND_REQUEST_NOT_FOUND when it is not a request on a payment made to
  // `merchant_id`; REFUND_REQUEST_NOT_OPEN when already decided; INVALID_STATE while a refund
  // answering it is in flight (it could still complete it).
  [[nodiscard]] virtual absl::StatusOr<RefundRequestRecord> RejectRefundRequest(
      const std::string& merchant_id, const std::string& refund_request_id,
      const std::string& reason, absl::Time now) = 0;
  [[nodiscard]] virtual absl::Status AppendAudit(const AuditEntry& entry) = 0;
};

}  // namespace uwallet::payments
