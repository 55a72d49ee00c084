#pragma once
// Machine-readable details of an error reason ("attempts_left" -> "3", "retry_after_s" -> "60")
// travel as a status payload next to the reason set by WithReason; grpcutil::ToGrpcStatus puts
// them into google.rpc.ErrorInfo.metadata (and FromGrpcStatus reads them back), so every
// service and the gateway pass them to apps the same way.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace uwallet {

inline constexpr absl::string_view kErrorMetadataPayloadUrl = "type.uwallet.dev/error-metadata";

// Adds `metadata` to what `status` already carries (same keys are overridden). An OK status is
// returned unchanged.
[[nodiscard]] absl::Status WithErrorMetadata(absl::Status status,
                                             const std::map<std::string, std::string>& metadata);

// The metadata attached by WithErrorMetadata (empty when none).
[[nodiscard]] std::map<std::string, std::string> ErrorMetadataOf(const absl::Status& status);

}  // namespace uwallet
