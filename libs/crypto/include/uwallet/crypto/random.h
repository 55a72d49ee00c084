#pragma once
// Randomness from OpenSSL's CSPRNG (RAND_bytes). Every function fails closed: when the generator
// cannot produce bytes the caller gets INTERNAL, never weak output.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::crypto {

// One request may not ask for more than this; larger requests are a bug, not a need.
inline constexpr size_t kRandomBytesMax = size_t{1} << 20;
inline constexpr int kRandomDigitsMax = 64;
inline constexpr size_t kRandomStringLengthMax = 1024;
// Session tokens are 256-bit (DESIGN §4). Tokens shorter than 128 bits are refused outright.
inline constexpr size_t kSessionTokenBytes = 32;
inline constexpr size_t kRandomTokenBytesMin = 16;

// `n` bytes from the CSPRNG. n > kRandomBytesMax -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> RandomBytes(size_t n);

// `count` decimal digits, each uniform in 0..9 (rejection sampling, no modulo bias), e.g. a
// verification code. count outside 1..kRandomDigitsMax -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> RandomDigits(int count);

// `length` characters, each drawn uniformly from `alphabet` (2..256 distinct characters) by
// rejection sampling.
[[nodiscard]] absl::StatusOr<std::string> RandomString(absl::string_view alphabet, size_t length);

// `bytes` random bytes as base64url without padding (43 characters for the default 32 bytes).
// bytes outside kRandomTokenBytesMin..kRandomBytesMax -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> RandomToken(size_t bytes = kSessionTokenBytes);

}  // namespace uwallet::crypto
