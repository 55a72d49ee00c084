// FAQ relevance on the seed articles, in Chinese and English.
#include <catch2/catch.hpp>

#include "services/support/core/faq.h"
#include "services/support/test/seed.h"

namespace uwallet::support {
namespace {

struct Case {
  const char* question;
  const char* locale;
  const char* article;
};

TEST_CASE("the seed has every guide question in both languages") {
  std::vector<FaqArticle> seed = fakes::LoadSeedArticles();
  REQUIRE(seed.size() == 20);
  for (const char* id : {"faq-forgot-password", "faq-payment-failed", "faq-account-locked",
                         "faq-top-up", "faq-withdraw", "faq-account-safety", "faq-account-stolen",
                         "faq-fees", "faq-refunds", "faq-disputes"}) {
    int locales = 0;
    for (const FaqArticle& a : seed) {
      if (a.article_id == id) ++locales;
    }
    CHECK(locales == 2);
  }
}

TEST_CASE("tokenizer: English words with synonyms, Chinese bigrams") {
  CHECK(Tokenize("How do I top up my Wallet?") == std::vector<std::string>{"topup", "wallet"});
  CHECK(Tokenize("Passwords") == std::vector<std::string>{"password"});
  CHECK(Tokenize("忘记密码") == std::vector<std::string>{"忘记", "记密", "密码"});
  CHECK(Tokenize("我忘了密码") == Tokenize("我忘记密码"));  // synonym folded
  CHECK(Tokenize("钱") == std::vector<std::string>{"钱"});
  CHECK(Tokenize("").empty());
}

TEST_CASE("seed questions find their article (English and Chinese)") {
  FaqIndex index(fakes::LoadSeedArticles());
  const Case cases[] = {
      {"I forgot my password", "en", "faq-forgot-password"},
      {"how can I reset my password", "en", "faq-forgot-password"},
      {"why did my payment fail", "en", "faq-payment-failed"},
      {"payment declined wrong PIN", "en", "faq-payment-failed"},
      {"my account is locked", "en", "faq-account-locked"},
      {"how do I top up", "en", "faq-top-up"},
      {"withdraw money to my bank card", "en", "faq-withdraw"},
      {"how to keep my account safe", "en", "faq-account-safety"},
      {"my account was hacked", "en", "faq-account-stolen"},
      {"I lost my phone", "en", "faq-account-stolen"},
      {"what fees do you charge", "en", "faq-fees"},
      {"how do refunds work", "en", "faq-refunds"},
      {"I want to dispute a payment", "en", "faq-disputes"},
      {"忘记密码怎么办", "zh-CN", "faq-forgot-password"},
      {"我忘了登录密码", "zh-CN", "faq-forgot-password"},
      {"支付失败是什么原因", "zh-CN", "faq-payment-failed"},
      {"付款失败了", "zh-CN", "faq-payment-failed"},
      {"账户被锁定了", "zh-CN", "faq-account-locked"},
      {"怎么充值", "zh-CN", "faq-top-up"},
      {"如何提现到银行卡", "zh-CN", "faq-withdraw"},
      {"怎样保障账户安全", "zh-CN", "faq-account-safety"},
      {"账户被盗了怎么办", "zh-CN", "faq-account-stolen"},
      {"手续费怎么收", "zh-CN", "faq-fees"},
      {"退款多久到账", "zh-CN", "faq-refunds"},
      {"我要投诉这笔支付", "zh-CN", "faq-disputes"},
  };
  for (const Case& c : cases) {
    INFO(c.question);
    std::vector<FaqHit> hits = index.Search(c.question, c.locale, 3);
    REQUIRE_FALSE(hits.empty());
    CHECK(hits.front().article_id == c.article);
    CHECK(hits.front().locale == c.locale);
  }
}

TEST_CASE("Ask answers confidently on seed questions and offers a ticket otherwise") {
  FaqIndex index(fakes::LoadSeedArticles());
  AskAnswer sure = index.Ask("I forgot my password", "");
  CHECK(sure.sources.front().article_id == "faq-forgot-password");
  CHECK(sure.confidence >= kAskConfidenceThreshold);
  CHECK_FALSE(sure.suggest_ticket);
  CHECK(sure.suggested_category == Category::kAccountLogin);
  CHECK(sure.answer.find("Forgot password") != std::string::npos);

  AskAnswer zh = index.Ask("忘记密码怎么办", "");  // locale guessed from the text
  REQUIRE_FALSE(zh.sources.empty());
  CHECK(zh.sources.front().locale == "zh-CN");
  CHECK(zh.sources.front().article_id == "faq-forgot-password");
  CHECK_FALSE(zh.suggest_ticket);

  AskAnswer unsure = index.Ask("my cat ate the QR code printer yesterday", "en");
  CHECK(unsure.confidence < kAskConfidenceThreshold);
  CHECK(unsure.suggest_ticket);
  AskAnswer nothing = index.Ask("zzzz qqqq", "en");
  CHECK(nothing.sources.empty());
  CHECK(nothing.confidence == 0);
  CHECK(nothing.suggest_ticket);
}

TEST_CASE("search filters by locale and respects the limit") {
  FaqIndex index(fakes::LoadSeedArticles());
  for (const FaqHit& hit : index.Search("password 密码", "en", 20)) CHECK(hit.locale == "en");
  CHECK(index.Search("account", "", 2).size() <= 2);
  CHECK(FaqIndex::GuessLocale("hello") == "en");
  CHECK(FaqIndex::GuessLocale("你好") == "zh-CN");
}

}  // namespace
}  // namespace uwallet::support
