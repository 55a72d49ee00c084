#include "services/auth/core/password_policy.h"

#include <string>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/auth/core/contacts.h"
#include "services/auth/core/errors.h"

namespace uwallet::auth {
namespace internal {
extern const absl::string_view kCommonPasswordsText;
}  // namespace internal

namespace {

const std::unordered_set<std::string>& CommonPasswords() {
  static const auto* set = [] {
    auto* passwords = new std::unordered_set<std::string>();
    for (absl::string_view line : absl::StrSplit(internal::kCommonPasswordsText, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || line.front() == '#') continue;
      passwords->insert(absl::AsciiStrToLower(line));
    }
    return passwords;
  }();
  return *set;
}

absl::Status TooWeak(absl::string_view field, absl::string_view rule, absl::string_view why) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kPasswordTooWeak,
                    absl::StrCat(field, ": ", why, " (rule=", rule, ")"));
}

}  // namespace

bool IsCommonPassword(absl::string_view password) {
  return CommonPasswords().count(absl::AsciiStrToLower(password)) > 0;
}

size_t CommonPasswordCount() { return CommonPasswords().size(); }

absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view field) {
  // A byte bound before any work: 128 characters are at most 512 bytes of UTF-8.
  if (password.size() > kPasswordCharactersMax * 4) {
    return TooWeak(field, "length", "at most 128 characters");
  }
  size_t characters = 0;
  if (!CountUtf8(password, &characters)) return InvalidField(field, "not valid UTF-8");
  if (characters < kPasswordCharactersMin) return TooWeak(field, "length", "at least 8 characters");
  if (characters > kPasswordCharactersMax) {
    return TooWeak(field, "length", "at most 128 characters");
  }
  if (IsCommonPassword(password)) {
    return TooWeak(field, "common", "too common; choose a password people do not often use");
  }
  return absl::OkStatus();
}

}  // namespace uwallet::auth
