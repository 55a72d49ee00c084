#pragma once
// FAQ retrieval for Chinese and English: BM25 over tokens (English words, Chinese character
// bigrams), a small synonym table, and Ask = best article + a confidence.

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/support/core/model.h"

namespace uwallet::support {

inline constexpr size_t kQueryBytesMax = 2000;
inline constexpr int kSearchPageSizeMax = 20;
inline constexpr double kAskConfidenceThreshold = 0.45;

// Lower-cased English words (letters/digits, synonyms folded to one form) and, for runs of CJK
// characters, overlapping character bigrams (a lone character stays a unigram). Chinese synonyms
// are folded before splitting into bigrams.
[[nodiscard]] std::vector<std::string> Tokenize(absl::string_view text);

struct FaqHit {
  std::string article_id;
  std::string locale;
  std::string title;
  std::string snippet;
  Category category = Category::kOther;
  double relevance = 0;
  double coverage = 0;  // idf-weighted share of the query's terms found in the article
};

struct AskAnswer {
  std::string answer;
  double confidence = 0;
  std::vector<FaqHit> sources;
  bool suggest_ticket = true;
  Category suggested_category = Category::kOther;
};

// An immutable BM25 index over published articles. Build a new one after edits.
class FaqIndex {
 public:
  explicit FaqIndex(std::vector<FaqArticle> articles);

  // Most relevant first; `locale` empty: both languages.
  [[nodiscard]] std::vector<FaqHit> Search(absl::string_view query, absl::string_view locale,
                                           int limit) const;
  [[nodiscard]] AskAnswer Ask(absl::string_view question, absl::string_view locale) const;
  [[nodiscard]] const std::vector<FaqArticle>& articles() const { return articles_; }
  // The locale of a text: "zh-CN" when it has CJK characters, else "en".
  [[nodiscard]] static std::string GuessLocale(absl::string_view text);

 private:
  struct Doc {
    std::unordered_map<std::string, int> term_counts;
    int length = 0;
  };
  [[nodiscard]] double Idf(const std::string& term) const;

  std::vector<FaqArticle> articles_;
  std::vector<Doc> docs_;
  std::unordered_map<std::string, int> document_frequency_;
  double average_length_ = 1;
};

}  // namespace uwallet::support
