#pragma once
// Contact normalisation: one spelling per phone number or email address, so that uniqueness and
// code binding work on what a person means, not on how they typed it.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/auth/core/types.h"

namespace uwallet::auth {

inline constexpr size_t kEmailBytesMax = 254;  // RFC 5321 path limit
inline constexpr size_t kEmailLocalBytesMax = 64;
inline constexpr size_t kContactInputBytesMax = 320;

// Phone: E.164 after dropping spaces, dashes, dots and parentheses; "00" may stand for "+".
// "+86 138-0013-8000" -> "+8613800138000". Email: trimmed and lower-cased, one '@', a dot in the
// domain, no spaces or control characters. Anything else -> INVALID_ARGUMENT (INVALID_FIELD).
[[nodiscard]] absl::StatusOr<Contact> NormalizeContact(absl::string_view text,
                                                       absl::string_view field = "destination");
[[nodiscard]] absl::StatusOr<Contact> NormalizePhone(absl::string_view text,
                                                     absl::string_view field = "phone");
[[nodiscard]] absl::StatusOr<Contact> NormalizeEmail(absl::string_view text,
                                                     absl::string_view field = "email");

// For staff screens and challenge hints: "+86138****8000", "l***@example.com".
[[nodiscard]] std::string MaskContact(const Contact& contact);
// "张*明", "L*i" for showing one user's name to another.
[[nodiscard]] std::string MaskDisplayName(absl::string_view name);

// Counts UTF-8 code points; false when `text` is not valid UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF are invalid).
[[nodiscard]] bool CountUtf8(absl::string_view text, size_t* code_points);

}  // namespace uwallet::auth
