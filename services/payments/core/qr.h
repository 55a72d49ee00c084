#pragma once
// Merchant payment codes: "UWQR1." base64url(JSON claims) "." base64url(HMAC-SHA256(key, claims)).
// Claims: id (payment code id), m (merchant id), a (amount minor, 0 = payer enters it), c
// (currency), o (order ref), e (expiry, unix seconds). Any change to the string fails
// QR_CODE_INVALID; a code past its expiry fails QR_CODE_EXPIRED.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace uwallet::payments {

inline constexpr size_t kQrPayloadBytesMax = 1024;

struct PaymentCode {
  std::string payment_code_id;
  std::string merchant_id;
  int64_t amount_minor = 0;  // 0: the payer enters the amount
  std::string currency;
  std::string order_ref;
  absl::Time expires_at;
};

[[nodiscard]] std::string SignPaymentCode(absl::string_view key, const PaymentCode& code);
[[nodiscard]] absl::StatusOr<PaymentCode> VerifyPaymentCode(absl::string_view key,
                                                            absl::string_view payload,
                                                            absl::Time now);

}  // namespace uwallet::payments
