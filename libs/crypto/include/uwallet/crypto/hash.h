#pragma once
// SHA-256, HMAC-SHA256 and constant-time comparison (OpenSSL 3).
//
// The digest functions take any input and cannot fail for a reason the caller could act on: an
// OpenSSL failure (only possible when out of memory) aborts instead of returning a wrong digest.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "uwallet/crypto/encoding.h"  // Hex, base64url and base32 are declared there.

namespace uwallet::crypto {

inline constexpr size_t kSha256Bytes = 32;

// Raw 32-byte digest.
[[nodiscard]] std::string Sha256(absl::string_view data);
// 64 lowercase hex characters.
[[nodiscard]] std::string Sha256Hex(absl::string_view data);
// Raw 32-byte HMAC-SHA256 (RFC 2104). Any key length is valid; keys longer than the 64-byte block
// are hashed first, as the RFC says.
[[nodiscard]] std::string HmacSha256(absl::string_view key, absl::string_view data);

// Compares secrets (MACs, token hashes) in time that does not depend on where they differ.
// Different lengths -> false; the time then depends on the length of `a` only, never on content,
// so pass the attacker-supplied value as `a` when the lengths may differ.
[[nodiscard]] bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace uwallet::crypto
