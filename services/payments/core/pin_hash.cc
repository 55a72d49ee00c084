#include "services/payments/core/pin_hash.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/hash.h"
#include "uwallet/crypto/password.h"
#include "uwallet/crypto/random.h"

namespace uwallet::payments {
namespace {

constexpr char kKeyedPrefix[] = "uwpin1$";
constexpr size_t kSaltBytes = 16;

}  // namespace

absl::Status PinHasher::Validate() const {
  if (!key_.empty() && key_.size() != kPinKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the PIN key must be ", kPinKeyBytes, " bytes (64 hex digits)"));
  }
  return absl::OkStatus();
}

std::string PinHasher::Mac(absl::string_view user_id, absl::string_view salt,
                           absl::string_view pin) const {
  return crypto::HmacSha256(key_, absl::StrCat("uwallet-pin-v1", absl::string_view("\0", 1),
                                               user_id, absl::string_view("\0", 1), salt, pin));
}

absl::StatusOr<std::string> PinHasher::Hash(absl::string_view user_id,
                                            absl::string_view pin) const {
  UW_RETURN_IF_ERROR(Validate());
  if (key_.empty()) return crypto::HashPassword(pin);
  UW_ASSIGN_OR_RETURN(std::string salt, crypto::RandomBytes(kSaltBytes));
  return absl::StrCat(kKeyedPrefix, crypto::Base64UrlEncode(salt), "$",
                      crypto::Base64UrlEncode(Mac(user_id, salt, pin)));
}

absl::StatusOr<bool> PinHasher::Verify(absl::string_view stored, absl::string_view user_id,
                                       absl::string_view pin) const {
  if (!absl::StartsWith(stored, kKeyedPrefix)) return crypto::VerifyPassword(stored, pin);
  if (key_.empty()) {
    return absl::FailedPreconditionError("a keyed PIN hash needs --pin-key to be checked");
  }
  std::vector<absl::string_view> parts =
      absl::StrSplit(stored.substr(sizeof(kKeyedPrefix) - 1), '$');
  if (parts.size() != 2) return absl::DataLossError("malformed PIN hash");
  absl::StatusOr<std::string> salt = crypto::Base64UrlDecode(parts[0]);
  absl::StatusOr<std::string> mac = crypto::Base64UrlDecode(parts[1]);
  if (!salt.ok() || !mac.ok()) return absl::DataLossError("malformed PIN hash");
  return crypto::ConstantTimeEquals(Mac(user_id, *salt, pin), *mac);
}

bool PinHasher::NeedsRehash(absl::string_view stored) const {
  return !key_.empty() && !absl::StartsWith(stored, kKeyedPrefix);
}

}  // namespace uwallet::payments
