#include "services/auth/core/messages.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace uwallet::auth {

bool SpeaksChinese(absl::string_view locale) {
  const std::string lower = absl::AsciiStrToLower(locale);
  return lower == "zh" || absl::StartsWith(lower, "zh-") || absl::StartsWith(lower, "zh_");
}

const std::string& Pick(const Text& text, absl::string_view locale) {
  return SpeaksChinese(locale) ? text.zh : text.en;
}

absl::string_view FirstLocale(absl::string_view preferred, absl::string_view fallback) {
  return preferred.empty() ? fallback : preferred;
}

}  // namespace uwallet::auth
