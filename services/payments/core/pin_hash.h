#pragma once
// How payment PINs are stored. A PIN has 6 digits: a million values, so no slow hash protects a
// leaked table (a million argon2id hashes take hours on one core), while a slow hash on every
// payment caps the whole service at a few dozen payments per second per core. PINs are therefore
// protected by a key the database never holds (DESIGN §4 "hashed"; the way banks' HSMs protect
// PINs):
//   "uwpin1$<salt>$<mac>"  mac = HMAC-SHA256(pin_key, "uwallet-pin-v1" 0 user_id 0 salt pin),
//   salt 16 random bytes, both base64url. Guessing online is stopped by the PIN lockout; a leaked
//   table without the key reveals nothing.
// PINs stored before (argon2id PHC strings) still verify, and are replaced by the keyed form after
// the next right PIN (NeedsRehash). Without a key (unit tests, a misconfigured dev run), new PINs
// use argon2id.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::payments {

inline constexpr size_t kPinKeyBytes = 32;

class PinHasher {
 public:
  // `key`: kPinKeyBytes raw bytes, or empty for argon2id.
  explicit PinHasher(std::string key = {}) : key_(std::move(key)) {}
  // INVALID_ARGUMENT unless the key is empty or kPinKeyBytes long.
  [[nodiscard]] absl::Status Validate() const;
  [[nodiscard]] absl::StatusOr<std::string> Hash(absl::string_view user_id,
                                                 absl::string_view pin) const;
  // Whether `pin` matches `stored` (either form). A keyed hash without the key is an error.
  [[nodiscard]] absl::StatusOr<bool> Verify(absl::string_view stored, absl::string_view user_id,
                                            absl::string_view pin) const;
  // True for argon2id hashes while a key is configured: store Hash() after a right PIN.
  [[nodiscard]] bool NeedsRehash(absl::string_view stored) const;

 private:
  [[nodiscard]] std::string Mac(absl::string_view user_id, absl::string_view salt,
                                absl::string_view pin) const;
  std::string key_;
};

}  // namespace uwallet::payments
