// Which language a person reads, from their BCP 47 locale. The services speak Chinese and
// English: what they send follows this one rule.
#pragma once

#include "absl/strings/string_view.h"

namespace uwallet {

// "zh", "zh-CN", "zh-Hans-CN", "zh_cn"... read Chinese; any other locale, or none, English.
[[nodiscard]] bool SpeaksChinese(absl::string_view locale);

}  // namespace uwallet
