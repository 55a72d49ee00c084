#include "uwallet/common/locale.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace uwallet {

bool SpeaksChinese(absl::string_view locale) {
  const std::string lower = absl::AsciiStrToLower(locale);
  return lower == "zh" || absl::StartsWith(lower, "zh-") || absl::StartsWith(lower, "zh_");
}

}  // namespace uwallet
