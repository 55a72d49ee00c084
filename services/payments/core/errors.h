#pragma once
// Every failure the payments core reports, with the code an app should act on and the reason it
// shows help text for (uwallet.common.v1.ErrorReason names). Metadata (attempts_left, limit, ...)
// rides as a second payload that grpc/ turns into ErrorInfo.metadata.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/status.h"

namespace uwallet::payments {

inline constexpr absl::string_view kMetadataPayloadUrl = "type.uwallet.dev/payments-metadata";

// Adds reason metadata ("k=v" lines) to a status.
[[nodiscard]] absl::Status WithMetadata(absl::Status status,
                                        const std::map<std::string, std::string>& metadata);
[[nodiscard]] std::map<std::string, std::string> MetadataOf(const absl::Status& status);

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
