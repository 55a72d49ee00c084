#pragma once
// JSON lines to stderr: {"ts":"...","level":"info","svc":"auth","req":"...","msg":"...",...}.
// The request id of the call being served is kept per thread (set by the gRPC interceptor through
// ScopedRequestId) and added to every line logged while it is in scope.

#include <initializer_list>
#include <string>
#include <utility>
#include "absl/strings/string_view.h"

#include "absl/strings/string_view.h"

namespace uwallet::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Field = std::pair<absl::string_view, std::string>;

void SetService(absl::string_view service);
void SetMinLevel(Level level);
// Parses "debug", "info", "warn", "error"; false when unknown.
[[nodiscard]] bool ParseLevel(absl::string_view text, Level* level);

void Write(Level level, absl::string_view message, std::initializer_list<Field> fields = {});
inline void Debug(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

// Formats one line without writing it (for tests).
[[nodiscard]] std::string Format(Level level, absl::string_view message,
                                 std::initializer_list<Field> fields);

[[nodiscard]] absl::string_view CurrentRequestId();

class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string request_id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string previous_;
};

}  // namespace uwallet::log
