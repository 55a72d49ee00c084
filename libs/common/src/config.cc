#include "uwallet/common/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace uwallet {

void Config::AddString(std::string name, std::string* target, std::string help) {
  flags_[std::move(name)] = Flag{
      .help = std::move(help), .default_text = *target, .set = [target](absl::string_view value) {
        *target = std::string(value);
        return absl::OkStatus();
      }};
}

void Config::AddInt(std::string name, int64_t* target, std::string help) {
  flags_[std::move(name)] =
      Flag{.help = std::move(help),
           .default_text = absl::StrCat(*target),
           .set = [target](absl::string_view value) {
             int64_t parsed = 0;
             if (!absl::SimpleAtoi(value, &parsed)) {
               return absl::InvalidArgumentError(absl::StrCat("not an integer: '", value, "'"));
             }
             *target = parsed;
             return absl::OkStatus();
           }};
}

void Config::AddBool(std::string name, bool* target, std::string help) {
  flags_[std::move(name)] =
      Flag{.help = std::move(help),
           .default_text = *target ? "true" : "false",
           .set =
               [target](absl::string_view value) {
                 bool parsed = false;
                 if (!absl::SimpleAtob(value, &parsed)) {
                   return absl::InvalidArgumentError(absl::StrCat("not a boolean: '", value, "'"));
                 }
                 *target = parsed;
                 return absl::OkStatus();
               },
           .is_bool = true};
}

void Config::AddDuration(std::string name, absl::Duration* target, std::string help) {
  flags_[std::move(name)] = Flag{.help = std::move(help),
                                 .default_text = absl::FormatDuration(*target),
                                 .set = [target](absl::string_view value) {
                                   absl::Duration parsed;
                                   if (!absl::ParseDuration(value, &parsed)) {
                                     return absl::InvalidArgumentError(absl::StrCat(
                                         "not a duration (like 250ms, 10s, 1h): '", value, "'"));
                                   }
                                   *target = parsed;
                                   return absl::OkStatus();
                                 }};
}

std::string Config::EnvName(absl::string_view flag) {
  return absl::StrCat("UWALLET_", absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

absl::Status Config::Set(const std::string& name, absl::string_view value,
                         absl::string_view origin) {
  auto it = flags_.find(name);
  if (it == flags_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (", origin, ")"));
  }
  absl::Status status = it->second.set(value);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " (", origin, "): ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status Config::ParseEnvironment(const std::function<const char*(const char*)>& getenv_fn) {
  for (const auto& [name, flag] : flags_) {
    const std::string env = EnvName(name);
    if (const char* value = getenv_fn(env.c_str()); value != nullptr) {
      absl::Status status = Set(name, value, env);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status Config::Parse(int argc, const char* const* argv) {
  absl::Status status = ParseEnvironment([](const char* name) { return std::getenv(name); });
  if (!status.ok()) return status;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return absl::CancelledError(Usage());
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    std::string name;
    std::string value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      name = std::string(arg);
      auto it = flags_.find(name);
      if (it != flags_.end() && it->second.is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    status = Set(name, value, "command line");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string Config::Usage() const {
  std::string usage = absl::StrCat("usage: ", program_, " [flags]\n");
  for (const auto& [name, flag] : flags_) {
    absl::StrAppend(&usage, "  --", name, " (", EnvName(name), ", default '", flag.default_text,
                    "')\n      ", flag.help, "\n");
  }
  return usage;
}

}  // namespace uwallet
