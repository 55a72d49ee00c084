#pragma once
// Status helpers shared by every layer. Abseil 20220623 has no return-if-error macros, so they live
// here, once.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define UW_STATUS_CONCAT_INNER_(a, b) a##b
#define UW_STATUS_CONCAT_(a, b) UW_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK. (A unique variable name per
// use, so that nested uses, e.g. inside a lambda passed to another use, do not shadow.)
#define UW_RETURN_IF_ERROR(expr) \
  UW_RETURN_IF_ERROR_IMPL_(UW_STATUS_CONCAT_(uw_status_, __COUNTER__), expr)
#define UW_RETURN_IF_ERROR_IMPL_(name, expr)        \
  do {                                              \
    if (::absl::Status name = (expr); !name.ok()) { \
      return name;                                  \
    }                                               \
  } while (false)

// `UW_ASSIGN_OR_RETURN(auto value, Foo());` declares/assigns `value` from a StatusOr or returns its
// error from the enclosing function.
#define UW_ASSIGN_OR_RETURN(lhs, expr) \
  UW_ASSIGN_OR_RETURN_IMPL_(UW_STATUS_CONCAT_(uw_statusor_, __COUNTER__), lhs, expr)
#define UW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

namespace uwallet {

// A machine-readable reason (google.rpc.ErrorInfo style, e.g. "INSUFFICIENT_FUNDS") travels as a
// status payload so that the gRPC layer can forward it to apps without parsing messages.
inline constexpr absl::string_view kReasonPayloadUrl = "type.uwallet.dev/reason";

// Builds a status carrying a reason. `message` is for people; `reason` is for programs.
[[nodiscard]] absl::Status WithReason(absl::StatusCode code, absl::string_view reason,
                                      absl::string_view message);

// The reason attached by WithReason, or "" when there is none.
[[nodiscard]] std::string ReasonOf(const absl::Status& status);

// Prefixes the message with context while keeping the code and payloads.
[[nodiscard]] absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace uwallet
