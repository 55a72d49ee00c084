#pragma once
// Card numbers as they arrive from an app: digits only (spaces and dashes removed), 12–19 digits,
// Luhn-valid; the brand from the prefix. The number itself never leaves this function and the bank
// connector: nothing here logs or stores it.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/payments/core/model.h"

namespace uwallet::payments {

inline constexpr int kCardDigitsMin = 12;
inline constexpr int kCardDigitsMax = 19;

// The digits of a well-formed, Luhn-valid number; CARD_INVALID otherwise.
[[nodiscard]] absl::StatusOr<std::string> NormalizeCardNumber(absl::string_view input);
[[nodiscard]] bool LuhnValid(absl::string_view digits);
[[nodiscard]] CardBrand BrandOf(absl::string_view digits);
[[nodiscard]] const char* BrandName(CardBrand brand);  // "UnionPay"
// CARD_INVALID when the month is not 1..12 or the card expired before `now` (UTC month).
[[nodiscard]] absl::Status CheckExpiry(int month, int year, absl::Time now);

}  // namespace uwallet::payments
