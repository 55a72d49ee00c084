#include "services/payments/core/qr.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/payments/core/errors.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/hash.h"

namespace uwallet::payments {
namespace {

constexpr absl::string_view kPrefix = "UWQR1";

absl::Status QrInvalid() {
  return WithReason(absl::StatusCode::kInvalidArgument, "QR_CODE_INVALID",
                    "this payment code is not valid");
}

}  // namespace

std::string SignPaymentCode(absl::string_view key, const PaymentCode& code) {
  nlohmann::json claims = {
      {"id", code.payment_code_id}, {"m", code.merchant_id},
      {"a", code.amount_minor},     {"c", code.currency},
      {"o", code.order_ref},        {"e", absl::ToUnixSeconds(code.expires_at)}};
  const std::string body = crypto::Base64UrlEncode(claims.dump());
  const std::string signed_part = absl::StrCat(kPrefix, ".", body);
  return absl::StrCat(signed_part, ".",
                      crypto::Base64UrlEncode(crypto::HmacSha256(key, signed_part)));
}

absl::StatusOr<PaymentCode> VerifyPaymentCode(absl::string_view key, absl::string_view payload,
                                              absl::Time now) {
  if (payload.size() > kQrPayloadBytesMax) return QrInvalid();
  std::vector<absl::string_view> parts = absl::StrSplit(payload, '.');
  if (parts.size() != 3 || parts[0] != kPrefix) return QrInvalid();
  const std::string signed_part = absl::StrCat(parts[0], ".", parts[1]);
  absl::StatusOr<std::string> mac = crypto::Base64UrlDecode(parts[2]);
  if (!mac.ok() || !crypto::ConstantTimeEquals(*mac, crypto::HmacSha256(key, signed_part))) {
    return QrInvalid();
  }
  absl::StatusOr<std::string> body = crypto::Base64UrlDecode(parts[1]);
  if (!body.ok()) return QrInvalid();
  nlohmann::json claims = nlohmann::json::parse(*body, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) return QrInvalid();
  PaymentCode code;
  try {
    code.payment_code_id = claims.at("id").get<std::string>();
    code.merchant_id = claims.at("m").get<std::string>();
    code.amount_minor = claims.at("a").get<int64_t>();
    code.currency = claims.at("c").get<std::string>();
    code.order_ref = claims.at("o").get<std::string>();
    code.expires_at = absl::FromUnixSeconds(claims.at("e").get<int64_t>());
  } catch (const nlohmann::json::exception&) {
    return QrInvalid();
  }
  if (code.merchant_id.empty() || code.amount_minor < 0) return QrInvalid();
  if (now >= code.expires_at) {
    return WithReason(absl::StatusCode::kFailedPrecondition, "QR_CODE_EXPIRED",
                      "this payment code has expired; ask the merchant for a new one");
  }
  return code;
}

}  // namespace uwallet::payments
