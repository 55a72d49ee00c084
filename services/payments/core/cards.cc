#include "services/payments/core/cards.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/payments/core/errors.h"

namespace uwallet::payments {
namespace {

absl::Status CardInvalid(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, "CARD_INVALID", message);
}

}  // namespace

bool LuhnValid(absl::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(*it))) return false;
    int digit = *it - '0';
    if (twice) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    twice = !twice;
  }
  return !digits.empty() && sum % 10 == 0;
}

absl::StatusOr<std::string> NormalizeCardNumber(absl::string_view input) {
  std::string digits;
  for (char c : input) {
    if (c == ' ' || c == '-') continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return CardInvalid("a card number has only digits");
    }
    if (digits.size() >= static_cast<size_t>(kCardDigitsMax)) {
      return CardInvalid("a card number has 12 to 19 digits");
    }
    digits.push_back(c);
  }
  if (digits.size() < static_cast<size_t>(kCardDigitsMin)) {
    return CardInvalid("a card number has 12 to 19 digits");
  }
  if (!LuhnValid(digits)) return CardInvalid("the card number is not valid; check the digits");
  return digits;
}

CardBrand BrandOf(absl::string_view digits) {
  if (absl::StartsWith(digits, "62")) return CardBrand::kUnionPay;
  if (absl::StartsWith(digits, "4")) return CardBrand::kVisa;
  if (digits.size() >= 2 && digits[0] == '5' && digits[1] >= '1' && digits[1] <= '5') {
    return CardBrand::kMastercard;
  }
  if (absl::StartsWith(digits, "2")) return CardBrand::kMastercard;
  if (absl::StartsWith(digits, "34") || absl::StartsWith(digits, "37")) return CardBrand::kAmex;
  if (absl::StartsWith(digits, "35")) return CardBrand::kJcb;
  return CardBrand::kOther;
}

const char* BrandName(CardBrand brand) {
  switch (brand) {
    case CardBrand::kUnionPay:
      return "UnionPay";
    case CardBrand::kVisa:
      return "Visa";
    case CardBrand::kMastercard:
      return "Mastercard";
    case CardBrand::kAmex:
      return "Amex";
    case CardBrand::kJcb:
      return "JCB";
    default:
      return "Card";
  }
}

absl::Status CheckExpiry(int month, int year, absl::Time now) {
  if (month < 1 || month > 12) return CardInvalid("expiry month must be 1..12");
  if (year < 2000 || year > 2100) return CardInvalid("expiry year must have four digits");
  const absl::CivilSecond civil = absl::ToCivilSecond(now, absl::UTCTimeZone());
  if (year < civil.year() || (year == civil.year() && month < civil.month())) {
    return CardInvalid("the card has expired");
  }
  return absl::OkStatus();
}

}  // namespace uwallet::payments
