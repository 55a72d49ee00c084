#include "uwallet/common/error_metadata.h"

#include "absl/strings/cord.h"

namespace uwallet {

absl::Status WithErrorMetadata(absl::Status status,
                               const std::map<std::string, std::string>& metadata) {
  if (status.ok()) return status;
  std::map<std::string, std::string> merged = ErrorMetadataOf(status);
  for (const auto& [key, value] : metadata) merged[key] = value;
  // key NUL value NUL ...: keys and values may hold any other byte.
  std::string text;
  for (const auto& [key, value] : merged) {
    text.append(key).push_back('\0');
    text.append(value).push_back('\0');
  }
  status.SetPayload(kErrorMetadataPayloadUrl, absl::Cord(text));
  return status;
}

std::map<std::string, std::string> ErrorMetadataOf(const absl::Status& status) {
  std::map<std::string, std::string> out;
  auto payload = status.GetPayload(kErrorMetadataPayloadUrl);
  if (!payload) return out;
  const std::string text(*payload);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t key_end = text.find('\0', pos);
    if (key_end == std::string::npos) break;
    const size_t value_end = text.find('\0', key_end + 1);
    if (value_end == std::string::npos) break;
    out[text.substr(pos, key_end - pos)] = text.substr(key_end + 1, value_end - key_end - 1);
    pos = value_end + 1;
  }
  return out;
}

}  // namespace uwallet
