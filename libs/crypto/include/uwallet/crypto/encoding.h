#pragma once
// Binary-to-text encodings (RFC 4648). Encoders cannot fail. Decoders are strict, so that every
// value has exactly one accepted spelling: anything else -> INVALID_ARGUMENT.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::crypto {

// Lowercase hex. Decoding accepts either case; odd length or a non-hex character is rejected.
[[nodiscard]] std::string HexEncode(absl::string_view data);
[[nodiscard]] absl::StatusOr<std::string> HexDecode(absl::string_view text);

// base64url (RFC 4648 §5) without padding. Decoding rejects '=', characters outside the URL-safe
// alphabet (including '+' and '/'), impossible lengths and non-zero unused trailing bits.
[[nodiscard]] std::string Base64UrlEncode(absl::string_view data);
[[nodiscard]] absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

// base32 (RFC 4648 §6, alphabet A-Z2-7), used for TOTP secrets. otpauth:// URIs want no padding.
enum class Base32Padding { kOmit, kInclude };
[[nodiscard]] std::string Base32Encode(absl::string_view data,
                                       Base32Padding padding = Base32Padding::kOmit);
// Accepts upper or lower case, with or without (exact) padding. Rejects anything else, including
// spaces, impossible lengths and non-zero unused trailing bits.
[[nodiscard]] absl::StatusOr<std::string> Base32Decode(absl::string_view text);

}  // namespace uwallet::crypto
