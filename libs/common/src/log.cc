#include "uwallet/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace uwallet::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
std::mutex service_mutex;
std::string& ServiceName() {
  static std::string* name = new std::string("uwallet");
  return *name;
}
thread_local std::string request_id;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetService(absl::string_view service) {
  std::lock_guard<std::mutex> lock(service_mutex);
  ServiceName() = std::string(service);
}

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool ParseLevel(absl::string_view text, Level* level) {
  for (Level candidate : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

std::string Format(Level level, absl::string_view message, std::initializer_list<Field> fields) {
  nlohmann::ordered_json line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = LevelName(level);
  {
    std::lock_guard<std::mutex> lock(service_mutex);
    line["svc"] = ServiceName();
  }
  if (!request_id.empty()) line["req"] = request_id;
  line["msg"] = message;
  for (const auto& [key, value] : fields) line[std::string(key)] = value;
  // Replace invalid UTF-8 rather than throw: log lines must never take a service down.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, absl::string_view message, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  std::string text = Format(level, message, fields);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stderr);
}

absl::string_view CurrentRequestId() { return request_id; }

ScopedRequestId::ScopedRequestId(std::string id) : previous_(std::move(request_id)) {
  request_id = std::move(id);
}
ScopedRequestId::~ScopedRequestId() { request_id = std::move(previous_); }

}  // namespace uwallet::log
