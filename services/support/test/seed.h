#pragma once
// Reads the FAQ seed migration (schema/0002_faq_seed.sql) so that tests rank the real articles.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/support/core/model.h"

namespace uwallet::support::fakes {

// Parses the VALUES rows: ('id', 'locale', 'title', 'body', '{tags}', category).
inline std::vector<FaqArticle> LoadSeedArticles() {
  std::ifstream file(std::string(SUPPORT_SCHEMA_DIR) + "/0002_faq_seed.sql");
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string sql = buffer.str();
  std::vector<FaqArticle> articles;
  size_t i = sql.find("VALUES");
  while (i != std::string::npos && i < sql.size()) {
    i = sql.find("('", i);
    if (i == std::string::npos) break;
    ++i;
    std::vector<std::string> fields;
    while (i < sql.size() && sql[i] != ')') {
      while (i < sql.size() && (sql[i] == ',' || sql[i] == ' ' || sql[i] == '\n')) ++i;
      if (sql[i] == '\'') {
        std::string value;
        ++i;
        while (i < sql.size()) {
          if (sql[i] == '\'' && i + 1 < sql.size() && sql[i + 1] == '\'') {
            value.push_back('\'');
            i += 2;
          } else if (sql[i] == '\'') {
            ++i;
            break;
          } else {
            value.push_back(sql[i++]);
          }
        }
        fields.push_back(value);
      } else {
        std::string value;
        while (i < sql.size() && sql[i] != ',' && sql[i] != ')') value.push_back(sql[i++]);
        fields.push_back(value);
      }
    }
    if (fields.size() != 6) break;
    FaqArticle a;
    a.article_id = fields[0];
    a.locale = fields[1];
    a.title = fields[2];
    a.body = fields[3];
    std::string tags = fields[4];
    if (tags.size() >= 2) tags = tags.substr(1, tags.size() - 2);
    for (absl::string_view tag : absl::StrSplit(tags, ',', absl::SkipEmpty())) {
      a.tags.emplace_back(tag);
    }
    int category = 7;
    if (absl::SimpleAtoi(fields[5], &category)) a.category = static_cast<Category>(category);
    articles.push_back(std::move(a));
  }
  return articles;
}

}  // namespace uwallet::support::fakes
