#include "services/payments/core/fees.h"

#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/payments/core/errors.h"

namespace uwallet::payments {

absl::StatusOr<PaymentKind> ParseKindName(absl::string_view name) {
  if (name == "transfer") return PaymentKind::kTransfer;
  if (name == "merchant") return PaymentKind::kMerchant;
  if (name == "top_up") return PaymentKind::kTopUp;
  if (name == "withdrawal") return PaymentKind::kWithdrawal;
  return absl::InvalidArgumentError(absl::StrCat("unknown payment kind '", name, "'"));
}

FeeTable FeeTable::Default() {
  FeeTable table;
  table.rules[PaymentKind::kWithdrawal] = FeeRule{.rate_bp = 10, .min_minor = 10, .max_minor = 0};
  return table;
}

absl::StatusOr<FeeTable> FeeTable::Parse(absl::string_view text) {
  FeeTable table;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(entry), ':');
    if (parts.size() != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("fee entry '", entry, "' is not kind:rate_bp:min_minor:max_minor"));
    }
    UW_ASSIGN_OR_RETURN(PaymentKind kind, ParseKindName(parts[0]));
    FeeRule rule;
    if (!absl::SimpleAtoi(parts[1], &rule.rate_bp) ||
        !absl::SimpleAtoi(parts[2], &rule.min_minor) ||
        !absl::SimpleAtoi(parts[3], &rule.max_minor) || rule.rate_bp < 0 || rule.rate_bp > 10000 ||
        rule.min_minor < 0 || rule.max_minor < 0 ||
        (rule.max_minor != 0 && rule.max_minor < rule.min_minor)) {
      return absl::InvalidArgumentError(absl::StrCat("fee entry '", entry, "' has bad numbers"));
    }
    table.rules[kind] = rule;
  }
  return table;
}

absl::StatusOr<int64_t> FeeTable::FeeFor(PaymentKind kind, int64_t amount_minor) const {
  if (amount_minor <= 0) return AmountInvalid("amount must be greater than zero");
  auto it = rules.find(kind);
  if (it == rules.end()) return 0;
  const FeeRule& rule = it->second;
  // amount * rate_bp / 10000 rounded up, without overflow: split amount into whole multiples of
  // 10000 (exact) and the remainder (< 10000, so remainder * rate_bp < 10^8).
  const int64_t whole = amount_minor / 10000 * rule.rate_bp;
  const int64_t rest = ((amount_minor % 10000) * rule.rate_bp + 9999) / 10000;
  int64_t fee = whole + rest;
  if (fee < rule.min_minor) fee = rule.min_minor;
  if (rule.max_minor != 0 && fee > rule.max_minor) fee = rule.max_minor;
  if (fee > std::numeric_limits<int64_t>::max() - amount_minor) {
    return AmountInvalid("amount plus fee is too large");
  }
  return static_cast<int64_t>(fee);
}

}  // namespace uwallet::payments
