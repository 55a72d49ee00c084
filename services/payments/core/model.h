#pragma once
// The payments domain as plain data. Enum values mirror the proto enums of
// uwallet.payments.v1 (same numbers) so that grpc/ maps them with a cast. Money is int64 minor
// units.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace uwallet::payments {

enum class PaymentKind {
  kUnspecified = 0,
  kTransfer = 1,
  kMerchant = 2,
  kTopUp = 3,
  kWithdrawal = 4,
  kRefund = 5,
  kReversal = 6
};
inline constexpr int kPaymentKindMax = 6;

enum class PaymentStatus {
  kUnspecified = 0,
  kPending = 1,
  kUnderReview = 2,
  kSucceeded = 3,
  kFailed = 4,
  kRefunded = 5,
  kReversed = 6
};
inline constexpr int kPaymentStatusMax = 6;

enum class PartyKind { kUnspecified = 0, kUser = 1, kMerchant = 2, kBankCard = 3 };

enum class CardBrand {
  kUnspecified = 0,
  kUnionPay = 1,
  kVisa = 2,
  kMastercard = 3,
  kAmex = 4,
  kJcb = 5,
  kOther = 6
};

enum class Cadence { kUnspecified = 0, kDaily = 1, kWeekly = 2, kMonthly = 3 };

enum class ScheduleStatus { kUnspecified = 0, kActive = 1, kCancelled = 2, kCompleted = 3 };

// What the risk check decided (and what payments did with it when the check was down).
enum class RiskDecision { kAllow = 1, kChallenge = 2, kReview = 3, kDecline = 4 };

[[nodiscard]] const char* KindName(PaymentKind kind);        // "transfer", ...
[[nodiscard]] const char* StatusName(PaymentStatus status);  // "SUCCEEDED", ...
[[nodiscard]] std::optional<PaymentStatus> StatusFromName(const std::string& name);
[[nodiscard]] bool IsTerminal(PaymentStatus status);

// One side of a payment.
struct Party {
  PartyKind kind = PartyKind::kUnspecified;
  std::string user_id;      // kUser
  std::string merchant_id;  // kMerchant (the merchant's user id)
  std::string display_name;
  std::string card_id;  // kBankCard
  CardBrand card_brand = CardBrand::kUnspecified;
  std::string card_last4;
};

struct StatusChange {
  PaymentStatus status = PaymentStatus::kUnspecified;
  absl::Time changed_at;
  std::string failure_reason;  // "INSUFFICIENT_FUNDS"; empty unless FAILED
  std::string note;
};

struct Payment {
  std::string payment_id;
  // The user who started it (the payer; for top-ups, withdrawals and refunds the wallet owner
  // whose operation it is). Idempotency keys are unique per owner.
  std::string owner_user_id;
  std::string idempotency_key;
  // A digest of what was asked, so that a reused key with a different request is refused.
  std::string request_digest;
  PaymentKind kind = PaymentKind::kUnspecified;
  PaymentStatus status = PaymentStatus::kPending;
  std::string failure_reason;
  Party payer;
  Party payee;
  int64_t amount_minor = 0;
  int64_t fee_minor = 0;
  int64_t refunded_minor = 0;
  std::string currency;
  std::string note;
  std::string order_ref;
  std::string original_payment_id;
  std::string payment_code_id;  // the QR code paid, when one was scanned
  // The decision applied before money moved ("" until assessed): lets a retry resume the same path.
  std::string risk_decision;
  std::string hold_id;  // ledger hold (withdrawals, risk review)
  std::vector<std::string> ledger_transaction_ids;
  std::string bank_reference;
  std::string card_token;  // the bank connector's token for card operations (never the number)
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
  absl::Time arrives_by = absl::InfinitePast();       // InfinitePast: unset
  absl::Time completed_at = absl::InfinitePast();     // InfinitePast: unset
  absl::Time next_check_at = absl::InfiniteFuture();  // when a worker looks at it again
  // "" (not asked yet), "pending" (the bank accepted, outcome later), "settled".
  std::string bank_state;
  std::vector<StatusChange> history;  // oldest first

  [[nodiscard]] int64_t total_minor() const { return amount_minor + fee_minor; }
};

struct BankCard {
  std::string card_id;
  std::string user_id;
  std::string token;  // the bank connector's token; never the number
  CardBrand brand = CardBrand::kUnspecified;
  std::string last4;
  std::string holder_name;
  int expiry_month = 0;
  int expiry_year = 0;
  std::string bank_name;
  absl::Time created_at = absl::InfinitePast();
};

struct PinState {
  std::string hash;  // argon2id, encoded
  int failed_attempts = 0;
  int lock_count = 0;  // lockouts so far: the next one lasts longer
  absl::Time locked_until = absl::InfinitePast();
};

// Who a transfer goes to, as the customer typed it.
struct PayeeRef {
  enum class By { kUserId = 1, kPhone = 2, kEmail = 3 };
  By by = By::kUserId;
  std::string value;
};

struct Schedule {
  std::string schedule_id;
  std::string user_id;
  std::string idempotency_key;
  PayeeRef to;
  std::string payee_user_id;
  std::string payee_display_name;
  int64_t amount_minor = 0;
  std::string currency;
  Cadence cadence = Cadence::kUnspecified;
  std::string note;
  absl::Time starts_at = absl::InfinitePast();
  absl::Time ends_at = absl::InfiniteFuture();  // InfiniteFuture: until cancelled
  absl::Time next_run_at = absl::InfinitePast();
  ScheduleStatus status = ScheduleStatus::kActive;
  int failed_run_count = 0;
  absl::Time created_at = absl::InfinitePast();
  // The last run, when there was one.
  absl::Time last_period_start = absl::InfinitePast();
  absl::Time last_ran_at = absl::InfinitePast();
  std::string last_payment_id;
  PaymentStatus last_status = PaymentStatus::kUnspecified;
  std::string last_failure_reason;
};

// One period of a schedule that a worker claimed (exactly one worker claims each period).
struct ClaimedRun {
  Schedule schedule;
  absl::Time period_start;
};

// refund_requests.status (proto RefundRequestStatus). Open: REQUESTED and PARTIALLY_REFUNDED.
inline constexpr int kRefundRequestRequested = 1;
inline constexpr int kRefundRequestRefunded = 2;
inline constexpr int kRefundRequestRejected = 3;
inline constexpr int kRefundRequestPartiallyRefunded = 4;
inline constexpr int kRefundRequestStatusMax = 4;

// The merchant may still refund or reject it.
[[nodiscard]] inline bool IsOpenRefundRequest(int status) {
  return status == kRefundRequestRequested || status == kRefundRequestPartiallyRefunded;
}
// The status of an open request after a linked refund succeeded: REFUNDED once the refunds reach
// what was asked, PARTIALLY_REFUNDED before.
[[nodiscard]] inline int RefundRequestStatusAfterRefund(int64_t requested_minor,
                                                        int64_t refunded_minor) {
  return refunded_minor >= requested_minor ? kRefundRequestRefunded
                                           : kRefundRequestPartiallyRefunded;
}
[[nodiscard]] const char* RefundRequestStatusName(int status);  // "REQUESTED", ...

struct RefundRequestRecord {
  std::string refund_request_id;
  std::string user_id;  // the customer who asked (the payer)
  std::string idempotency_key;
  std::string payment_id;
  std::string merchant_id;   // the merchant paid; empty for a transfer
  int64_t amount_minor = 0;  // requested
  // What came back: linked refunds that succeeded, or all of it once the payment was refunded or
  // reversed in full. Never above amount_minor.
  int64_t refunded_minor = 0;
  // Linked refunds still in flight; refunded + reserved never passes amount_minor.
  int64_t reserved_minor = 0;
  std::string currency;
  std::string reason;
  int status = kRefundRequestRequested;  // RefundRequestStatus
  std::string refund_payment_id;         // the latest refund that answered it
  std::string decision_reason;           // the merchant's, when REJECTED
  absl::Time created_at = absl::InfinitePast();
  absl::Time decided_at = absl::InfinitePast();  // REFUNDED / REJECTED; InfinitePast: unset
};

// A page of refund requests: a customer's (user_id) or a merchant's (merchant_id), newest first.
struct RefundRequestQuery {
  // The customer's or the merchant's requests; with neither (staff), `payment_id`'s.
  std::string user_id;
  std::string merchant_id;
  std::string payment_id;               // empty: every payment
  std::vector<int> statuses;            // empty: all
  std::string after_refund_request_id;  // page: ids older than this one
  int limit = 20;
};

struct AuditEntry {
  std::string audit_id;
  std::string actor_user_id;
  std::string action;  // "refund", "reverse"
  std::string payment_id;
  std::string reason;
  std::string reference;  // ticket id
  absl::Time at;
};

// Usage of one limit kind today.
struct Usage {
  int64_t amount_minor = 0;
  int64_t count = 0;
};

}  // namespace uwallet::payments
