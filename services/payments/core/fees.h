#pragma once
// The fee table (from configuration) and limits per payment kind. Fees are integer math in minor
// units: rate in basis points of the amount, rounded UP to the next minor unit (the customer sees
// the exact fee before confirming), then clamped to [min, max].

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/payments/core/model.h"

namespace uwallet::payments {

struct FeeRule {
  int64_t rate_bp = 0;    // basis points: 10 = 0.1 %
  int64_t min_minor = 0;  // applied when the rate gives less (and the rate or min is non-zero)
  int64_t max_minor = 0;  // 0: no cap
};

struct KindLimits {
  int64_t per_transaction_max_minor = 0;  // 0: none
  int64_t daily_max_minor = 0;            // 0: none
  int64_t daily_count_max = 0;            // 0: none
  int64_t step_up_threshold_minor = 0;    // above this a step-up token is needed; 0: never
};

struct FeeTable {
  std::map<PaymentKind, FeeRule> rules;  // kinds not listed are free

  // "withdrawal:10:10:0,transfer:0:0:0" = kind:rate_bp:min_minor:max_minor, comma separated.
  [[nodiscard]] static absl::StatusOr<FeeTable> Parse(absl::string_view text);
  // The default: withdrawals 0.1 % with a minimum of ¥0.10, everything else free.
  [[nodiscard]] static FeeTable Default();

  // AMOUNT_INVALID for amounts <= 0 or a total that would overflow int64.
  [[nodiscard]] absl::StatusOr<int64_t> FeeFor(PaymentKind kind, int64_t amount_minor) const;
};

// Parses "transfer", "merchant", "top_up", "withdrawal".
[[nodiscard]] absl::StatusOr<PaymentKind> ParseKindName(absl::string_view name);

}  // namespace uwallet::payments
