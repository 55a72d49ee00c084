#include "services/payments/core/errors.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace uwallet::payments {

std::string ReasonOrDefault(const absl::Status& status) {
  std::string reason = ReasonOf(status);
  if (!reason.empty()) return reason;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return "DEPENDENCY_UNAVAILABLE";
    default:
      return "INVALID_STATE";
  }
}

}  // namespace uwallet::payments
