#pragma once
// gRPC-Web framing (grpc/grpc doc/PROTOCOL-WEB.md): 5-byte frames (flag byte + big-endian length),
// 0x00 = message, 0x80 = trailers (HTTP/1-style header block); the -text variants are base64 of
// the same bytes, possibly as several concatenated base64 chunks. Pure functions, no I/O.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace uwallet::gateway::grpcweb {

enum class Encoding { kBinary, kText };

// application/grpc-web[+proto] → binary, application/grpc-web-text[+proto] → text; anything else
// (including +json) → INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<Encoding> ParseContentType(absl::string_view content_type);
[[nodiscard]] const char* ResponseContentType(Encoding encoding);

// The one request message of a unary or server-streaming call. Refuses: truncated frames or
// base64, a trailer frame in a request, compressed frames, more than one message, a message over
// `max_message_bytes`.
[[nodiscard]] absl::StatusOr<std::string> DecodeRequest(absl::string_view body, Encoding encoding,
                                                        int64_t max_message_bytes);

[[nodiscard]] std::string DataFrame(absl::string_view message);
// "grpc-status: N\r\ngrpc-message: ...\r\n[grpc-status-details-bin: ...\r\n]" in a 0x80 frame.
[[nodiscard]] std::string TrailerFrame(const grpc::Status& status);
// Frames as they go on the wire (base64 per chunk for the text encoding).
[[nodiscard]] std::string ForWire(absl::string_view frames, Encoding encoding);

// grpc-timeout: 1 to 8 digits and a unit H M S m u n.
[[nodiscard]] absl::StatusOr<std::chrono::nanoseconds> ParseGrpcTimeout(absl::string_view value);
// grpc-message percent-encoding (spec: everything outside 0x20..0x7E, and '%').
[[nodiscard]] std::string PercentEncode(absl::string_view text);

[[nodiscard]] std::string Base64Encode(absl::string_view data);
[[nodiscard]] absl::StatusOr<std::string> Base64Decode(absl::string_view text);

}  // namespace uwallet::gateway::grpcweb
