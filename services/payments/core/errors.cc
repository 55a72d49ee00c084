#include "services/payments/core/errors.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace uwallet::payments {

absl::Status WithMetadata(absl::Status status, const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> merged = MetadataOf(status);
  for (const auto& [key, value] : metadata) merged[key] = value;
  std::string text;
  for (const auto& [key, value] : merged) text += key + "=" + value + "\n";
  status.SetPayload(kMetadataPayloadUrl, absl::Cord(text));
  return status;
}

std::map<std::string, std::string> MetadataOf(const absl::Status& status) {
  std::map<std::string, std::string> out;
  auto payload = status.GetPayload(kMetadataPayloadUrl);
  if (!payload) return out;
  const std::string text(*payload);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    out[kv.first] = kv.second;
  }
  return out;
}

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
