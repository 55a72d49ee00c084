// The texts auth sends (codes and security notices), in the languages it speaks: Chinese
// (zh-CN) and English. Which one a person gets follows their locale: a request's `locale`, else
// the account's, else English.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "uwallet/common/locale.h"

namespace uwallet::auth {

// One text in each language.
struct Text {
  std::string en;
  std::string zh;
};

// The text for `locale` (uwallet::SpeaksChinese decides).
[[nodiscard]] const std::string& Pick(const Text& text, absl::string_view locale);

// The first of the locales that is set ("" when none is).
[[nodiscard]] absl::string_view FirstLocale(absl::string_view preferred,
                                            absl::string_view fallback);

}  // namespace uwallet::auth
