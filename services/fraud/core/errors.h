#pragma once
// The fraud service's error reasons and the code each one travels with.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/status.h"

namespace uwallet::fraud {

namespace reason {
inline constexpr char kInvalidField[] = "INVALID_FIELD";
inline constexpr char kNotFound[] = "NOT_FOUND";
inline constexpr char kRoleRequired[] = "ROLE_REQUIRED";
inline constexpr char kVersionConflict[] = "VERSION_CONFLICT";
inline constexpr char kCaseClosed[] = "CASE_CLOSED";
inline constexpr char kCodeInvalid[] = "CODE_INVALID";
inline constexpr char kTooManyStreams[] = "TOO_MANY_STREAMS";
inline constexpr char kPageTokenInvalid[] = "PAGE_TOKEN_INVALID";
}  // namespace reason

[[nodiscard]] inline absl::Status InvalidField(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kInvalidField, message);
}
[[nodiscard]] inline absl::Status NotFound(absl::string_view message) {
  return WithReason(absl::StatusCode::kNotFound, reason::kNotFound, message);
}
[[nodiscard]] inline absl::Status RoleRequired(absl::string_view message) {
  return WithReason(absl::StatusCode::kPermissionDenied, reason::kRoleRequired, message);
}
[[nodiscard]] inline absl::Status VersionConflict(absl::string_view message) {
  return WithReason(absl::StatusCode::kAborted, reason::kVersionConflict, message);
}
[[nodiscard]] inline absl::Status CaseClosed(absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kCaseClosed, message);
}
[[nodiscard]] inline absl::Status TooManyStreams(absl::string_view message) {
  return WithReason(absl::StatusCode::kResourceExhausted, reason::kTooManyStreams, message);
}
[[nodiscard]] inline absl::Status PageTokenInvalid(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kPageTokenInvalid, message);
}

}  // namespace uwallet::fraud
