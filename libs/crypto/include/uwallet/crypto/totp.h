#pragma once
// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) and recovery codes.
//
// Replay: TotpMatch returns the time-step counter that matched. The caller stores the last
// accepted counter per user and accepts a code only when its counter is greater, so a code (or an
// older one still inside the window) cannot be used twice.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace uwallet::crypto {

// RFC 4226 §4 R6: at least 128 bits, 160 recommended (the HMAC-SHA1 output size).
inline constexpr size_t kTotpSecretBytes = 20;
inline constexpr size_t kTotpSecretBytesMin = 16;
inline constexpr size_t kTotpSecretBytesMax = 64;
inline constexpr int kTotpDigitsMin = 6;
inline constexpr int kTotpDigitsMax = 8;
inline constexpr int64_t kTotpStepSecondsMax = 300;
inline constexpr int kTotpWindowStepsMax = 10;
inline constexpr size_t kOtpauthLabelBytesMax = 256;

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

// Defaults are what every authenticator app supports; change them only with a reason.
struct TotpParams {
  TotpAlgorithm algorithm = TotpAlgorithm::kSha1;
  int digits = 6;
  int64_t step_s = 30;
};

// kTotpSecretBytes random bytes, to be stored sealed (see aead.h).
[[nodiscard]] absl::StatusOr<std::string> NewTotpSecret();

// The RFC 6238 time-step counter T = floor(unix_seconds / step_s). Times before the epoch or
// invalid params -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<int64_t> TotpCounter(absl::Time time, const TotpParams& params = {});

// The code at `time`, zero-padded to params.digits. A secret outside
// kTotpSecretBytesMin..kTotpSecretBytesMax or invalid params -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> TotpCode(absl::string_view secret, absl::Time time,
                                                   const TotpParams& params = {});

// The counter of the step in [now - window_steps, now + window_steps] whose code equals `code`
// (the current step wins over its neighbours), or nullopt. Every candidate is computed and compared
// in constant time. Anything invalid (secret size, params, window outside 0..kTotpWindowStepsMax,
// a code that is not params.digits digits) is simply no match: this function fails closed.
[[nodiscard]] std::optional<int64_t> TotpMatch(absl::string_view secret, absl::string_view code,
                                               absl::Time time, int window_steps = 1,
                                               const TotpParams& params = {});

// otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
// with issuer and account percent-encoded (RFC 3986 unreserved characters kept). Issuer or account
// empty, containing ':' (the label separator) or longer than kOtpauthLabelBytesMax ->
// INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> OtpauthUri(absl::string_view issuer,
                                                     absl::string_view account,
                                                     absl::string_view secret,
                                                     const TotpParams& params = {});

// Recovery codes look like "k7xq-3m9d": 8 characters from a 31-character alphabet without the
// look-alikes 0/o, 1/l/i (about 39.6 bits each). Store them hashed like passwords (HashPassword):
// 40 bits are too few for a plain fast hash to resist an offline search.
inline constexpr absl::string_view kRecoveryCodeAlphabet = "23456789abcdefghjkmnpqrstuvwxyz";
inline constexpr int kRecoveryCodesDefault = 10;
inline constexpr int kRecoveryCodesMax = 32;

// `count` distinct codes. count outside 1..kRecoveryCodesMax -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> NewRecoveryCodes(
    int count = kRecoveryCodesDefault);

// What a user typed -> the canonical "xxxx-xxxx" form to hash and compare: case-insensitive, with
// spaces and dashes ignored. Anything that cannot be a recovery code -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> NormalizeRecoveryCode(absl::string_view typed);

}  // namespace uwallet::crypto
