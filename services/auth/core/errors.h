#pragma once
// The statuses the auth core answers with: the gRPC code says what the caller should do, the
// reason (uwallet.common.v1.ErrorReason without its prefix) says why.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/error_metadata.h"
#include "uwallet/common/status.h"

namespace uwallet::auth {

namespace reason {
inline constexpr char kInvalidField[] = "INVALID_FIELD";
inline constexpr char kRateLimited[] = "RATE_LIMITED";
inline constexpr char kNotFound[] = "NOT_FOUND";
inline constexpr char kRoleRequired[] = "ROLE_REQUIRED";
inline constexpr char kPageTokenInvalid[] = "PAGE_TOKEN_INVALID";
inline constexpr char kInvalidCredentials[] = "INVALID_CREDENTIALS";
inline constexpr char kAccountFrozen[] = "ACCOUNT_FROZEN";
inline constexpr char kSessionExpired[] = "SESSION_EXPIRED";
inline constexpr char kCodeInvalid[] = "CODE_INVALID";
inline constexpr char kCodeExpired[] = "CODE_EXPIRED";
inline constexpr char kPasswordTooWeak[] = "PASSWORD_TOO_WEAK";
inline constexpr char kContactAlreadyRegistered[] = "CONTACT_ALREADY_REGISTERED";
inline constexpr char kStepUpRequired[] = "STEP_UP_REQUIRED";
inline constexpr char kChallengeExpired[] = "CHALLENGE_EXPIRED";
inline constexpr char kTotpAlreadyEnabled[] = "TOTP_ALREADY_ENABLED";
inline constexpr char kTotpNotEnabled[] = "TOTP_NOT_ENABLED";
inline constexpr char kUserNotFound[] = "USER_NOT_FOUND";
inline constexpr char kDependencyUnavailable[] = "DEPENDENCY_UNAVAILABLE";
}  // namespace reason

[[nodiscard]] inline absl::Status InvalidField(absl::string_view field, absl::string_view why) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                    absl::StrCat(field, ": ", why));
}

// The one answer for a wrong identifier, a wrong password and a locked account.
[[nodiscard]] inline absl::Status InvalidCredentials() {
  return WithReason(absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials,
                    "identifier or password is wrong");
}

[[nodiscard]] inline absl::Status SessionExpired() {
  return WithReason(absl::StatusCode::kUnauthenticated, reason::kSessionExpired,
                    "session expired or revoked; sign in again");
}

[[nodiscard]] inline absl::Status CodeExpired() {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kCodeExpired,
                    "the code expired, was used or was replaced; ask for a new one");
}

// Numbers an app acts on ride in the message for people and in google.rpc.ErrorInfo.metadata
// (WithErrorMetadata, libs/common) for programs: attempts_left, retry_after_s.
[[nodiscard]] inline absl::Status CodeInvalid(int attempts_left) {
  return WithErrorMetadata(
      WithReason(absl::StatusCode::kInvalidArgument, reason::kCodeInvalid,
                 absl::StrCat("the code is wrong; attempts_left=", attempts_left)),
      {{"attempts_left", absl::StrCat(attempts_left)}});
}

[[nodiscard]] inline absl::Status StepUpRequired(absl::string_view why) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kStepUpRequired, why);
}

[[nodiscard]] inline absl::Status UserNotFound() {
  return WithReason(absl::StatusCode::kNotFound, reason::kUserNotFound, "no such user");
}

[[nodiscard]] inline absl::Status RateLimited(int64_t retry_after_s) {
  return WithErrorMetadata(
      WithReason(absl::StatusCode::kResourceExhausted, reason::kRateLimited,
                 absl::StrCat("too many requests; retry_after_s=", retry_after_s)),
      {{"retry_after_s", absl::StrCat(retry_after_s)}});
}

// Redis or PostgreSQL unreachable: keep the code (UNAVAILABLE: retry) and add the reason.
[[nodiscard]] inline absl::Status WithDependencyReason(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable || !ReasonOf(status).empty()) return status;
  return WithReason(absl::StatusCode::kUnavailable, reason::kDependencyUnavailable,
                    "a dependency is unavailable; retry shortly");
}

}  // namespace uwallet::auth
