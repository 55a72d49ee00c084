#pragma once
// The ledger's error reasons (uwallet.common.v1.ErrorReason names without the prefix) and the
// status code each one travels with. The code says what the caller should do; the reason says why.

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger {

namespace reason {
inline constexpr char kInsufficientFunds[] = "INSUFFICIENT_FUNDS";
inline constexpr char kAccountNotFound[] = "ACCOUNT_NOT_FOUND";
inline constexpr char kCurrencyMismatch[] = "CURRENCY_MISMATCH";
inline constexpr char kSameAccount[] = "SAME_ACCOUNT";
inline constexpr char kAmountInvalid[] = "AMOUNT_INVALID";
inline constexpr char kHoldNotPending[] = "HOLD_NOT_PENDING";
inline constexpr char kHoldExpired[] = "HOLD_EXPIRED";
inline constexpr char kAccountFrozen[] = "ACCOUNT_FROZEN";
inline constexpr char kIdempotencyKeyReused[] = "IDEMPOTENCY_KEY_REUSED";
inline constexpr char kInvalidField[] = "INVALID_FIELD";
inline constexpr char kNotFound[] = "NOT_FOUND";
inline constexpr char kPageTokenInvalid[] = "PAGE_TOKEN_INVALID";
inline constexpr char kRoleRequired[] = "ROLE_REQUIRED";
inline constexpr char kDependencyUnavailable[] = "DEPENDENCY_UNAVAILABLE";
}  // namespace reason

[[nodiscard]] inline absl::Status InsufficientFunds(absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kInsufficientFunds, message);
}
[[nodiscard]] inline absl::Status AccountNotFound(absl::string_view message) {
  return WithReason(absl::StatusCode::kNotFound, reason::kAccountNotFound, message);
}
[[nodiscard]] inline absl::Status CurrencyMismatch(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kCurrencyMismatch, message);
}
[[nodiscard]] inline absl::Status SameAccount(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kSameAccount, message);
}
[[nodiscard]] inline absl::Status AmountInvalid(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kAmountInvalid, message);
}
[[nodiscard]] inline absl::Status HoldNotPending(absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kHoldNotPending, message);
}
[[nodiscard]] inline absl::Status HoldExpired(absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kHoldExpired, message);
}
[[nodiscard]] inline absl::Status AccountFrozen(absl::string_view message) {
  return WithReason(absl::StatusCode::kFailedPrecondition, reason::kAccountFrozen, message);
}
[[nodiscard]] inline absl::Status IdempotencyKeyReused(absl::string_view message) {
  return WithReason(absl::StatusCode::kAlreadyExists, reason::kIdempotencyKeyReused, message);
}
[[nodiscard]] inline absl::Status InvalidField(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kInvalidField, message);
}
[[nodiscard]] inline absl::Status NotFound(absl::string_view message) {
  return WithReason(absl::StatusCode::kNotFound, reason::kNotFound, message);
}
[[nodiscard]] inline absl::Status PageTokenInvalid(absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason::kPageTokenInvalid, message);
}
[[nodiscard]] inline absl::Status RoleRequired(absl::string_view message) {
  return WithReason(absl::StatusCode::kPermissionDenied, reason::kRoleRequired, message);
}

// Which transfer of a batch failed: travels with the status (as a payload) so that the gRPC layer
// can put it in the error's metadata (`transfer_index`).
inline constexpr absl::string_view kTransferIndexPayloadUrl =
    "type.uwallet.dev/ledger.transfer_index";
[[nodiscard]] inline absl::Status WithTransferIndex(absl::Status status, size_t index) {
  status.SetPayload(kTransferIndexPayloadUrl, absl::Cord(std::to_string(index)));
  return status;
}
[[nodiscard]] inline std::optional<int> TransferIndexOf(const absl::Status& status) {
  auto payload = status.GetPayload(kTransferIndexPayloadUrl);
  int index = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &index)) return std::nullopt;
  return index;
}

}  // namespace uwallet::ledger
