#pragma once
// Stable encodings of domain records: the JSON stored as an idempotency result (replayed to a
// retrying caller byte for byte in meaning), the JSON of outbox events, and the request hash that
// tells a retry from a different request under the same idempotency key.

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/ledger/core/model.h"

namespace uwallet::ledger {

[[nodiscard]] nlohmann::json TransferToJson(const Transfer& transfer);
[[nodiscard]] absl::StatusOr<Transfer> TransferFromJson(const nlohmann::json& json);
[[nodiscard]] nlohmann::json HoldToJson(const Hold& hold);
[[nodiscard]] absl::StatusOr<Hold> HoldFromJson(const nlohmann::json& json);

// A result in full (every field of its transfers and hold).
[[nodiscard]] std::string EncodeResult(const OperationResult& result);
[[nodiscard]] absl::StatusOr<OperationResult> DecodeResult(const std::string& json_text);

// What an idempotency record keeps. A PostTransfers result is stored compactly — the ids and the
// time the ledger assigned, the batch id, the errors — because a replay carries the very same
// request (same hash): each transfer is rebuilt from the request's spec. (A tenth of the bytes on
// the hottest path: less WAL per posting.) Hold operations store their full result. Decoding also
// accepts the full form.
[[nodiscard]] std::string EncodeStoredResult(const Operation& operation,
                                             const OperationResult& result);
[[nodiscard]] absl::StatusOr<OperationResult> DecodeStoredResult(const Operation& operation,
                                                                 const std::string& json_text);

// SHA-256 (hex) of a canonical, length-prefixed encoding of everything the operation asks for,
// except the idempotency scope (caller, key) itself. Metadata is a sorted map, so key order in the
// request does not matter.
[[nodiscard]] std::string RequestHash(const Operation& operation);

[[nodiscard]] inline int64_t ToMicros(absl::Time time) { return absl::ToUnixMicros(time); }
[[nodiscard]] inline absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }
// PostgreSQL keeps microseconds: times are truncated to them before they are stored or returned.
[[nodiscard]] inline absl::Time TruncateToMicros(absl::Time time) {
  return FromMicros(ToMicros(time));
}

}  // namespace uwallet::ledger
