#include "uwallet/crypto/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/random.h"

namespace uwallet::crypto {
namespace {

constexpr std::array<uint32_t, kTotpDigitsMax + 1> kPowersOfTen = {
    1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000};
constexpr size_t kRecoveryCodeCharacters = 8;
// Each new recovery code is distinct from the others; a collision is ~2^-40, so retries are rare.
constexpr int kRecoveryCodeAttemptsMax = 4 * kRecoveryCodesMax;

const EVP_MD* Digest(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1:
      return EVP_sha1();
    case TotpAlgorithm::kSha256:
      return EVP_sha256();
    case TotpAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

absl::string_view AlgorithmName(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha1:
      return "SHA1";
    case TotpAlgorithm::kSha256:
      return "SHA256";
    case TotpAlgorithm::kSha512:
      return "SHA512";
  }
  return "";
}

absl::Status CheckParams(const TotpParams& params) {
  if (Digest(params.algorithm) == nullptr) return absl::InvalidArgumentError("unknown algorithm");
  if (params.digits < kTotpDigitsMin || params.digits > kTotpDigitsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOTP digits must be ", kTotpDigitsMin, "..", kTotpDigitsMax));
  }
  if (params.step_s < 1 || params.step_s > kTotpStepSecondsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOTP step must be 1..", kTotpStepSecondsMax, " s"));
  }
  return absl::OkStatus();
}

absl::Status CheckSecret(absl::string_view secret) {
  if (secret.size() < kTotpSecretBytesMin || secret.size() > kTotpSecretBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("TOTP secret must be ", kTotpSecretBytesMin,
                                                   "..", kTotpSecretBytesMax, " bytes"));
  }
  return absl::OkStatus();
}

// RFC 4226 §5.3 with valid inputs: HMAC of the big-endian counter, dynamic truncation, modulo.
std::string Hotp(absl::string_view secret, uint64_t counter, const TotpParams& params) {
  std::array<char, 8> message;
  for (int i = 7; i >= 0; --i) {
    message[static_cast<size_t>(i)] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  const std::string mac = internal::Hmac(Digest(params.algorithm), secret,
                                         absl::string_view(message.data(), message.size()));
  const size_t offset = static_cast<unsigned char>(mac.back()) & 0x0f;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(mac[i])); };
  const uint32_t binary = ((byte(offset) & 0x7f) << 24) | (byte(offset + 1) << 16) |
                          (byte(offset + 2) << 8) | byte(offset + 3);
  const uint32_t value = binary % kPowersOfTen[static_cast<size_t>(params.digits)];
  std::string code = absl::StrCat(value);
  code.insert(0, static_cast<size_t>(params.digits) - code.size(), '0');
  return code;
}

// RFC 3986 percent-encoding; only unreserved characters stay literal.
std::string PercentEncode(absl::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

absl::Status CheckLabelPart(absl::string_view what, absl::string_view text) {
  if (text.empty() || text.size() > kOtpauthLabelBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("otpauth ", what, " must be 1..", kOtpauthLabelBytesMax, " bytes"));
  }
  if (text.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("otpauth ", what, " may not contain ':'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NewTotpSecret() { return RandomBytes(kTotpSecretBytes); }

absl::StatusOr<int64_t> TotpCounter(absl::Time time, const TotpParams& params) {
  UW_RETURN_IF_ERROR(CheckParams(params));
  if (time < absl::UnixEpoch()) return absl::InvalidArgumentError("TOTP time before 1970");
  // Floor; an infinite future saturates at INT64_MAX seconds, which still divides safely.
  return absl::ToUnixSeconds(time) / params.step_s;
}

absl::StatusOr<std::string> TotpCode(absl::string_view secret, absl::Time time,
                                     const TotpParams& params) {
  UW_RETURN_IF_ERROR(CheckSecret(secret));
  UW_ASSIGN_OR_RETURN(const int64_t counter, TotpCounter(time, params));
  return Hotp(secret, static_cast<uint64_t>(counter), params);
}

std::optional<int64_t> TotpMatch(absl::string_view secret, absl::string_view code, absl::Time time,
                                 int window_steps, const TotpParams& params) {
  if (!CheckSecret(secret).ok() || window_steps < 0 || window_steps > kTotpWindowStepsMax) {
    return std::nullopt;
  }
  const absl::StatusOr<int64_t> now = TotpCounter(time, params);
  if (!now.ok() || code.size() != static_cast<size_t>(params.digits) ||
      !std::all_of(code.begin(), code.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  // Offsets in order of preference: 0, -1, +1, -2, +2, ... All are computed and compared so that
  // the time does not say which step matched.
  std::optional<int64_t> matched;
  for (int distance = 0; distance <= window_steps; ++distance) {
    for (int sign : {-1, 1}) {
      if (distance == 0 && sign == 1) continue;
      // *now is at most INT64_MAX (an infinite future with a 1 s step): do not step past it.
      if (sign > 0 && *now > std::numeric_limits<int64_t>::max() - distance) continue;
      const int64_t counter = *now + sign * distance;
      if (counter < 0) continue;
      const std::string candidate = Hotp(secret, static_cast<uint64_t>(counter), params);
      const bool equal = CRYPTO_memcmp(candidate.data(), code.data(), code.size()) == 0;
      if (equal && !matched.has_value()) matched = counter;
    }
  }
  return matched;
}

absl::StatusOr<std::string> OtpauthUri(absl::string_view issuer, absl::string_view account,
                                       absl::string_view secret, const TotpParams& params) {
  UW_RETURN_IF_ERROR(CheckLabelPart("issuer", issuer));
  UW_RETURN_IF_ERROR(CheckLabelPart("account", account));
  UW_RETURN_IF_ERROR(CheckSecret(secret));
  UW_RETURN_IF_ERROR(CheckParams(params));
  const std::string encoded_issuer = PercentEncode(issuer);
  return absl::StrCat("otpauth://totp/", encoded_issuer, ":", PercentEncode(account),
                      "?secret=", Base32Encode(secret), "&issuer=", encoded_issuer,
                      "&algorithm=", AlgorithmName(params.algorithm), "&digits=", params.digits,
                      "&period=", params.step_s);
}

absl::StatusOr<std::vector<std::string>> NewRecoveryCodes(int count) {
  if (count < 1 || count > kRecoveryCodesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("recovery code count must be 1..", kRecoveryCodesMax));
  }
  std::vector<std::string> codes;
  codes.reserve(static_cast<size_t>(count));
  for (int attempt = 0; codes.size() < static_cast<size_t>(count); ++attempt) {
    if (attempt == kRecoveryCodeAttemptsMax) {
      return absl::InternalError("could not draw distinct recovery codes");
    }
    UW_ASSIGN_OR_RETURN(std::string code,
                        RandomString(kRecoveryCodeAlphabet, kRecoveryCodeCharacters));
    code.insert(kRecoveryCodeCharacters / 2, "-");
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  }
  return codes;
}

absl::StatusOr<std::string> NormalizeRecoveryCode(absl::string_view typed) {
  // Bound the work before looking at the characters: a code with generous spacing is still short.
  constexpr size_t kTypedBytesMax = 64;
  if (typed.size() > kTypedBytesMax) return absl::InvalidArgumentError("not a recovery code");
  std::string code;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (kRecoveryCodeAlphabet.find(lower) == absl::string_view::npos) {
      return absl::InvalidArgumentError("not a recovery code");
    }
    code.push_back(lower);
  }
  if (code.size() != kRecoveryCodeCharacters) {
    return absl::InvalidArgumentError("not a recovery code");
  }
  code.insert(kRecoveryCodeCharacters / 2, "-");
  return code;
}

}  // namespace uwallet::crypto
