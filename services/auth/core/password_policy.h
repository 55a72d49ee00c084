#pragma once
// The password rules of DESIGN §4: 8..128 Unicode characters (code points, any script), valid
// UTF-8, and not on the shipped list of common passwords (core/common_passwords.txt, compiled in,
// compared case-insensitively).

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace uwallet::auth {

inline constexpr size_t kPasswordCharactersMin = 8;
inline constexpr size_t kPasswordCharactersMax = 128;

// OK, or INVALID_ARGUMENT with reason PASSWORD_TOO_WEAK ("rule=length" / "rule=common") or
// INVALID_FIELD (not UTF-8). `field` names the request field in the message.
[[nodiscard]] absl::Status CheckPasswordPolicy(absl::string_view password,
                                               absl::string_view field = "password");

// True when the password (case-insensitively) is on the common-password list.
[[nodiscard]] bool IsCommonPassword(absl::string_view password);
// How many passwords the compiled-in list holds (for tests and the README).
[[nodiscard]] size_t CommonPasswordCount();

}  // namespace uwallet::auth
