#pragma once
// Authenticated encryption for small secrets at rest (TOTP secrets): AES-256-GCM.
//
// Sealed layout: nonce (12 random bytes) || ciphertext || tag (16 bytes). With random nonces one
// key must seal fewer than 2^32 messages (NIST SP 800-38D §8.3); rotate keys long before that.
// Bind each ciphertext to where it lives through `associated_data` (for example
// "totp-secret:<user id>"), so that a sealed value copied to another row does not open.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadPlaintextBytesMax = size_t{1} << 20;
inline constexpr size_t kAeadAssociatedDataBytesMax = size_t{1} << 16;

// A fresh random 32-byte key.
[[nodiscard]] absl::StatusOr<std::string> NewAeadKey();

// Key not 32 bytes, or plaintext / associated data over their bounds -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view plaintext,
                                               absl::string_view associated_data);

// Key not 32 bytes or associated data over its bound -> INVALID_ARGUMENT. A sealed value that is
// too short or too long, or fails authentication (wrong key, tampered nonce, ciphertext, tag or
// associated data) -> DATA_LOSS, without saying which.
[[nodiscard]] absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view sealed,
                                               absl::string_view associated_data);

}  // namespace uwallet::crypto
