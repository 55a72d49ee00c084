#include "uwallet/crypto/random.h"

#include <openssl/rand.h>

#include <climits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/encoding.h"

namespace uwallet::crypto {
namespace {

constexpr absl::string_view kDigits = "0123456789";
// Rejection sampling accepts at least half of the bytes drawn (alphabets of 129 characters are
// the worst case), so needing more rounds than this means the generator is broken.
constexpr int kRejectionRoundsMax = 64;

}  // namespace

absl::StatusOr<std::string> RandomBytes(size_t n) {
  if (n > kRandomBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kRandomBytesMax, " random bytes"));
  }
  static_assert(kRandomBytesMax <= static_cast<size_t>(INT_MAX));
  std::string out(n, '\0');
  if (n == 0) return out;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("CSPRNG failure (RAND_bytes)");
  }
  return out;
}

absl::StatusOr<std::string> RandomString(absl::string_view alphabet, size_t length) {
  if (alphabet.size() < 2 || alphabet.size() > 256) {
    return absl::InvalidArgumentError("alphabet must have 2..256 characters");
  }
  if (length > kRandomStringLengthMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kRandomStringLengthMax, " random characters"));
  }
  // Bytes at or above `limit` would make the first (256 % size) characters more likely: drop them.
  const unsigned limit = 256 - 256 % static_cast<unsigned>(alphabet.size());
  std::string out;
  out.reserve(length);
  for (int round = 0; out.size() < length; ++round) {
    if (round == kRejectionRoundsMax) return absl::InternalError("CSPRNG output rejected");
    const size_t missing = length - out.size();
    UW_ASSIGN_OR_RETURN(const std::string bytes, RandomBytes(missing + missing / 2 + 8));
    for (unsigned char byte : bytes) {
      if (byte >= limit) continue;
      out.push_back(alphabet[byte % alphabet.size()]);
      if (out.size() == length) break;
    }
  }
  return out;
}

absl::StatusOr<std::string> RandomDigits(int count) {
  if (count < 1 || count > kRandomDigitsMax) {
    return absl::InvalidArgumentError(absl::StrCat("digit count must be 1..", kRandomDigitsMax));
  }
  return RandomString(kDigits, static_cast<size_t>(count));
}

absl::StatusOr<std::string> RandomToken(size_t bytes) {
  if (bytes < kRandomTokenBytesMin) {
    return absl::InvalidArgumentError(
        absl::StrCat("a token needs at least ", kRandomTokenBytesMin, " random bytes"));
  }
  UW_ASSIGN_OR_RETURN(const std::string raw, RandomBytes(bytes));
  return Base64UrlEncode(raw);
}

}  // namespace uwallet::crypto
