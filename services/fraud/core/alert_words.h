// An alert's words for a person, in their language: what the SMS and e-mail copies say. Chinese
// (zh locales) is worded here from the alert's message key and arguments; English is the title
// and body the alert was made with. Apps word alerts themselves from the same key and arguments.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "services/fraud/core/model.h"

namespace uwallet::fraud {

struct AlertWords {
  std::string title;
  std::string body;
};

// A payments failure reason (services/payments/README.md) in words: the end of an English
// sentence ("there was not enough money in your wallet for the amount and fee") or a Chinese
// sentence ("余额不足。"). A reason without words names itself.
[[nodiscard]] std::string FailureInWords(const std::string& reason);
[[nodiscard]] std::string FailureInChinese(const std::string& reason);

// Chinese when uwallet::SpeaksChinese(locale), else English. A key this
// version does not know (or an alert made before keys) keeps the English words.
[[nodiscard]] AlertWords WordsFor(const Alert& alert, absl::string_view locale);

}  // namespace uwallet::fraud
