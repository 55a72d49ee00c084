#include "services/auth/core/messages.h"

namespace uwallet::auth {

const std::string& Pick(const Text& text, absl::string_view locale) {
  return SpeaksChinese(locale) ? text.zh : text.en;
}

absl::string_view FirstLocale(absl::string_view preferred, absl::string_view fallback) {
  return preferred.empty() ? fallback : preferred;
}

}  // namespace uwallet::auth
