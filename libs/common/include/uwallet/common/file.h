#pragma once
// Small file helpers (certificates, keys, configuration files).

#include <string>

#include "absl/status/statusor.h"

namespace uwallet {

// The whole file; NOT_FOUND when it cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace uwallet
