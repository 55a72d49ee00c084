#include "services/payments/core/model.h"

namespace uwallet::payments {

const char* KindName(PaymentKind kind) {
  switch (kind) {
    case PaymentKind::kTransfer:
      return "transfer";
    case PaymentKind::kMerchant:
      return "merchant";
    case PaymentKind::kTopUp:
      return "top_up";
    case PaymentKind::kWithdrawal:
      return "withdrawal";
    case PaymentKind::kRefund:
      return "refund";
    case PaymentKind::kReversal:
      return "reversal";
    default:
      return "unspecified";
  }
}

const char* StatusName(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::kPending:
      return "PENDING";
    case PaymentStatus::kUnderReview:
      return "UNDER_REVIEW";
    case PaymentStatus::kSucceeded:
      return "SUCCEEDED";
    case PaymentStatus::kFailed:
      return "FAILED";
    case PaymentStatus::kRefunded:
      return "REFUNDED";
    case PaymentStatus::kReversed:
      return "REVERSED";
    default:
      return "UNSPECIFIED";
  }
}

std::optional<PaymentStatus> StatusFromName(const std::string& name) {
  for (int i = 1; i <= kPaymentStatusMax; ++i) {
    if (name == StatusName(static_cast<PaymentStatus>(i))) return static_cast<PaymentStatus>(i);
  }
  return std::nullopt;
}

const char* RefundRequestStatusName(int status) {
  switch (status) {
    case kRefundRequestRequested:
      return "REQUESTED";
    case kRefundRequestRefunded:
      return "REFUNDED";
    case kRefundRequestRejected:
      return "REJECTED";
    case kRefundRequestPartiallyRefunded:
      return "PARTIALLY_REFUNDED";
    default:
      return "UNSPECIFIED";
  }
}

bool IsTerminal(PaymentStatus status) {
  return status == PaymentStatus::kSucceeded || status == PaymentStatus::kFailed ||
         status == PaymentStatus::kRefunded || status == PaymentStatus::kReversed;
}

}  // namespace uwallet::payments
