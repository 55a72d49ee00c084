#pragma once
// A Lua script with its SHA-1, for Pool::Eval: EVALSHA first, EVAL (which also caches the script
// on the server) only when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
// Keep Script objects as long-lived constants: the SHA-1 is computed once, in the constructor.

#include <string>

#include "absl/strings/string_view.h"

namespace uwallet::redis {

class Script {
 public:
  explicit Script(std::string source);

  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const std::string& sha1() const { return sha1_; }  // 40 lowercase hex digits

 private:
  std::string source_;
  std::string sha1_;
};

// Lowercase hex SHA-1 of `data`, as Redis computes script ids.
[[nodiscard]] std::string Sha1Hex(absl::string_view data);

}  // namespace uwallet::redis
