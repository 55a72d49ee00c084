#include "services/support/core/faq.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace uwallet::support {
namespace {

constexpr double kBm25K1 = 1.2;
constexpr double kBm25B = 0.75;
constexpr int kTitleWeight = 3;  // title and tags count this many times
constexpr size_t kSnippetBytesMax = 240;

// English words folded to one form (plurals and synonyms).
const std::map<std::string, std::string>& EnglishSynonyms() {
  static const auto* table = new std::map<std::string, std::string>{
      {"passwords", "password"},  {"pwd", "password"},
      {"passcode", "password"},   {"forgotten", "forgot"},
      {"forget", "forgot"},       {"recharge", "topup"},
      {"top", "topup"},           {"deposit", "topup"},
      {"withdrawal", "withdraw"}, {"withdrawals", "withdraw"},
      {"cashout", "withdraw"},    {"refunds", "refund"},
      {"refunded", "refund"},     {"fees", "fee"},
      {"charges", "fee"},         {"charge", "fee"},
      {"disputes", "dispute"},    {"chargeback", "dispute"},
      {"locked", "lock"},         {"blocked", "lock"},
      {"frozen", "lock"},         {"stolen", "stolen"},
      {"hacked", "stolen"},       {"compromised", "stolen"},
      {"failed", "fail"},         {"fails", "fail"},
      {"failing", "fail"},        {"declined", "fail"},
      {"payments", "payment"},    {"pay", "payment"},
      {"secure", "safety"},       {"security", "safety"},
      {"safe", "safety"},         {"unlock", "lock"},
      {"lost", "stolen"},
  };
  return *table;
}

// Chinese phrases folded to the form the articles use, before bigrams are taken.
const std::vector<std::pair<std::string, std::string>>& ChineseSynonyms() {
  static const auto* table = new std::vector<std::pair<std::string, std::string>>{
      {"忘了", "忘记"},   {"找回密码", "忘记密码"}, {"登不上", "登录"}, {"登陆", "登录"},
      {"付款", "支付"},   {"付不了", "支付失败"},   {"扣款", "支付"},   {"存钱", "充值"},
      {"取现", "提现"},   {"提款", "提现"},         {"退钱", "退款"},   {"费用", "手续费"},
      {"收费", "手续费"}, {"盗号", "被盗"},         {"被黑", "被盗"},   {"申诉", "争议"},
      {"投诉", "争议"},   {"封号", "冻结"},         {"锁了", "锁定"},   {"被锁", "锁定"},
  };
  return *table;
}

const std::set<std::string>& EnglishStopwords() {
  static const auto* words = new std::set<std::string>{
      "a",   "an",  "the",  "i",    "my",  "me",   "to",   "is",  "it",  "of",   "and", "or",
      "do",  "how", "can",  "what", "why", "in",   "on",   "for", "you", "your", "be",  "was",
      "did", "not", "with", "from", "at",  "this", "that", "are", "am",  "we",   "our", "does"};
  return *words;
}

// Chinese bigrams too common to say anything.
const std::set<std::string>& ChineseStopBigrams() {
  static const auto* words = new std::set<std::string>{"怎么", "么办", "什么", "如何", "我的",
                                                       "为什", "为何", "可以", "吗？", "了怎"};
  return *words;
}

// Decodes one UTF-8 code point at `i`; returns its byte length (1 for invalid bytes).
size_t DecodeUtf8(absl::string_view s, size_t i, char32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  char32_t value = c & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k)
    value = (value << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  *cp = value;
  return len;
}

bool IsCjk(char32_t cp) {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
         (cp >= 0xf900 && cp <= 0xfaff);
}

void FlushWord(std::string& word, std::vector<std::string>& out) {
  if (word.empty()) return;
  auto synonym = EnglishSynonyms().find(word);
  if (synonym != EnglishSynonyms().end()) word = synonym->second;
  if (EnglishStopwords().count(word) == 0 && word.size() > 1) out.push_back(word);
  word.clear();
}

void FlushCjk(std::vector<std::string>& run, std::vector<std::string>& out) {
  if (run.size() == 1) out.push_back(run[0]);
  for (size_t k = 0; k + 1 < run.size(); ++k) {
    std::string bigram = run[k] + run[k + 1];
    if (ChineseStopBigrams().count(bigram) == 0) out.push_back(std::move(bigram));
  }
  run.clear();
}

}  // namespace

std::vector<std::string> Tokenize(absl::string_view raw) {
  std::string text(raw.substr(0, kQueryBytesMax * 20));
  text = absl::StrReplaceAll(text, {{"top-up", "topup"},
                                    {"top up", "topup"},
                                    {"sign-in", "login"},
                                    {"sign in", "login"},
                                    {"log in", "login"}});
  for (const auto& [from, to] : ChineseSynonyms()) text = absl::StrReplaceAll(text, {{from, to}});
  std::vector<std::string> out;
  std::string word;
  std::vector<std::string> cjk_run;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (cp < 0x80 && absl::ascii_isalnum(static_cast<unsigned char>(cp))) {
      FlushCjk(cjk_run, out);
      word.push_back(absl::ascii_tolower(static_cast<unsigned char>(cp)));
    } else if (IsCjk(cp)) {
      FlushWord(word, out);
      cjk_run.push_back(text.substr(i, len));
    } else {
      FlushWord(word, out);
      FlushCjk(cjk_run, out);
    }
    i += len;
  }
  FlushWord(word, out);
  FlushCjk(cjk_run, out);
  return out;
}

std::string FaqIndex::GuessLocale(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    i += DecodeUtf8(text, i, &cp);
    if (IsCjk(cp)) return "zh-CN";
  }
  return "en";
}

FaqIndex::FaqIndex(std::vector<FaqArticle> articles) {
  for (FaqArticle& article : articles) {
    if (article.published) articles_.push_back(std::move(article));
  }
  double total_length = 0;
  for (const FaqArticle& article : articles_) {
    Doc doc;
    std::string heading = article.title;
    for (const std::string& tag : article.tags) heading += " " + tag;
    for (const std::string& token : Tokenize(heading)) doc.term_counts[token] += kTitleWeight;
    for (const std::string& token : Tokenize(article.body)) doc.term_counts[token] += 1;
    for (const auto& [term, count] : doc.term_counts) {
      doc.length += count;
      document_frequency_[term] += 1;
    }
    total_length += doc.length;
    docs_.push_back(std::move(doc));
  }
  if (!docs_.empty()) average_length_ = std::max(1.0, total_length / docs_.size());
}

double FaqIndex::Idf(const std::string& term) const {
  auto it = document_frequency_.find(term);
  const double df = it == document_frequency_.end() ? 0 : it->second;
  const double n = static_cast<double>(docs_.size());
  return std::log(1 + (n - df + 0.5) / (df + 0.5));
}

std::vector<FaqHit> FaqIndex::Search(absl::string_view query, absl::string_view locale,
                                     int limit) const {
  std::vector<std::string> tokens = Tokenize(query.substr(0, kQueryBytesMax));
  std::set<std::string> unique(tokens.begin(), tokens.end());
  double query_weight = 0;
  for (const std::string& term : unique) query_weight += Idf(term);
  std::vector<FaqHit> hits;
  if (unique.empty()) return hits;
  for (size_t i = 0; i < docs_.size(); ++i) {
    const FaqArticle& article = articles_[i];
    if (!locale.empty() && article.locale != locale) continue;
    double score = 0;
    double matched_weight = 0;
    for (const std::string& term : unique) {
      auto it = docs_[i].term_counts.find(term);
      if (it == docs_[i].term_counts.end()) continue;
      const double tf = it->second;
      const double idf = Idf(term);
      score += idf * tf * (kBm25K1 + 1) /
               (tf + kBm25K1 * (1 - kBm25B + kBm25B * docs_[i].length / average_length_));
      matched_weight += idf;
    }
    if (score <= 0) continue;
    FaqHit hit;
    hit.article_id = article.article_id;
    hit.locale = article.locale;
    hit.title = article.title;
    hit.category = article.category;
    hit.relevance = score;
    hit.coverage = query_weight > 0 ? matched_weight / query_weight : 0;
    hit.snippet = article.body.substr(0, kSnippetBytesMax);
    // Do not cut a UTF-8 character in half.
    while (!hit.snippet.empty() &&
           (static_cast<unsigned char>(hit.snippet.back()) & 0xc0) == 0x80) {
      hit.snippet.pop_back();
    }
    if (!hit.snippet.empty() && static_cast<unsigned char>(hit.snippet.back()) >= 0xc0) {
      hit.snippet.pop_back();
    }
    hits.push_back(std::move(hit));
  }
  std::sort(hits.begin(), hits.end(), [](const FaqHit& a, const FaqHit& b) {
    return a.relevance != b.relevance ? a.relevance > b.relevance : a.article_id < b.article_id;
  });
  if (static_cast<int>(hits.size()) > limit) hits.resize(std::max(0, limit));
  return hits;
}

AskAnswer FaqIndex::Ask(absl::string_view question, absl::string_view locale) const {
  AskAnswer answer;
  const std::string language = locale.empty() ? GuessLocale(question) : std::string(locale);
  answer.sources = Search(question, language, 3);
  if (answer.sources.empty()) return answer;
  const FaqHit& best = answer.sources.front();
  // Confidence: how much of the question the best article covers, lowered when the runner-up is
  // almost as good (the question is ambiguous between two articles).
  double margin = 1;
  if (answer.sources.size() > 1) {
    margin = std::min(1.0, 0.5 + (best.relevance - answer.sources[1].relevance) / best.relevance);
  }
  answer.confidence = std::clamp(best.coverage * margin, 0.0, 1.0);
  answer.suggested_category = best.category;
  for (const FaqArticle& article : articles_) {
    if (article.article_id == best.article_id && article.locale == best.locale) {
      answer.answer = article.title + "\n\n" + article.body;
      break;
    }
  }
  answer.suggest_ticket = answer.confidence < kAskConfidenceThreshold;
  return answer;
}

}  // namespace uwallet::support
