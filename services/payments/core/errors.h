#pragma once
// Every failure the payments core reports, with the code an app should act on and the reason it
// shows help text for (uwallet.common.v1.ErrorReason names). Metadata (attempts_left, limit, ...)
// rides in the shared error-metadata payload (uwallet/common/error_metadata.h) that grpc/ turns
// into ErrorInfo.metadata.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/error_metadata.h"
#include "uwallet/common/status.h"

namespace uwallet::payments {

// Adds reason metadata to a status (the shared payload of every service).
[[nodiscard]] inline absl::Status WithMetadata(absl::Status status,
                                               const std::map<std::string, std::string>& metadata) {
  return WithErrorMetadata(std::move(status), metadata);
}
[[nodiscard]] inline std::map<std::string, std::string> MetadataOf(const absl::Status& status) {
  return ErrorMetadataOf(status);
}

// The reason for a status code when the status has none (e.g. a transport failure).
[[nodiscard]] std::string ReasonOrDefault(const absl::Status& status);

inline absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return WithMetadata(WithReason(absl::StatusCode::kInvalidArgument, "INVALID_FIELD", message),
                      {{"field", std::string(field)}});
}
inline absl::Status AmountInvalid(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, "AMOUNT_INVALID", message);
}
inline absl::Status CurrencyMismatch(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, "CURRENCY_MISMATCH", message);
}
inline absl::Status Precondition(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason, message);
}
inline absl::Status NotFound(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::StatusCode::kNotFound, reason, message);
}
inline absl::Status KeyReused() {
  return WithReason(absl::StatusCode::kAlreadyExists, "IDEMPOTENCY_KEY_REUSED",
                    "this idempotency key was used for a different request");
}
inline absl::Status RoleRequired(absl::string_view message) {
  return WithReason(absl::StatusCode::kPermissionDenied, "ROLE_REQUIRED", message);
}

}  // namespace uwallet::payments
