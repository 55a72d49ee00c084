#pragma once
// Configuration from command-line flags with UWALLET_* environment variables: a flag `--pg-dsn`
// can also be set as UWALLET_PG_DSN. Precedence: default < environment < command line.
// Unknown flags and malformed values are startup errors (fatal in main), never ignored.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace uwallet {

class Config {
 public:
  explicit Config(std::string program) : program_(std::move(program)) {}

  void AddString(std::string name, std::string* target, std::string help);
  void AddInt(std::string name, int64_t* target, std::string help);
  void AddBool(std::string name, bool* target, std::string help);
  void AddDuration(std::string name, absl::Duration* target, std::string help);

  // Reads the environment first, then argv. `--help` returns a status whose message is the usage
  // text with code CANCELLED (main prints it and exits 0).
  [[nodiscard]] absl::Status Parse(int argc, const char* const* argv);
  // Only the environment (for tests and tools).
  [[nodiscard]] absl::Status ParseEnvironment(
      const std::function<const char*(const char*)>& getenv_fn);

  [[nodiscard]] std::string Usage() const;
  // The environment variable that sets a flag: "pg-dsn" -> "UWALLET_PG_DSN".
  [[nodiscard]] static std::string EnvName(absl::string_view flag);

 private:
  struct Flag {
    std::string help;
    std::string default_text;
    std::function<absl::Status(absl::string_view)> set;
    bool is_bool = false;
  };
  [[nodiscard]] absl::Status Set(const std::string& name, absl::string_view value,
                                 absl::string_view origin);

  std::string program_;
  std::map<std::string, Flag> flags_;
};

}  // namespace uwallet
