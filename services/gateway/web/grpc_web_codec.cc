#include "services/gateway/web/grpc_web_codec.h"

#include <openssl/evp.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace uwallet::gateway::grpcweb {
namespace {

constexpr uint8_t kDataFlag = 0x00;
constexpr uint8_t kTrailerFlag = 0x80;
constexpr uint8_t kCompressedFlag = 0x01;

std::string Frame(uint8_t flag, absl::string_view payload) {
  std::string frame(5, '\0');
  frame[0] = static_cast<char>(flag);
  const uint32_t length = static_cast<uint32_t>(payload.size());
  frame[1] = static_cast<char>((length >> 24) & 0xff);
  frame[2] = static_cast<char>((length >> 16) & 0xff);
  frame[3] = static_cast<char>((length >> 8) & 0xff);
  frame[4] = static_cast<char>(length & 0xff);
  frame.append(payload.data(), payload.size());
  return frame;
}

}  // namespace

absl::StatusOr<Encoding> ParseContentType(absl::string_view content_type) {
  std::string value = absl::AsciiStrToLower(content_type);
  if (size_t semicolon = value.find(';'); semicolon != std::string::npos) value.resize(semicolon);
  absl::string_view v = absl::StripAsciiWhitespace(value);
  if (v == "application/grpc-web" || v == "application/grpc-web+proto") return Encoding::kBinary;
  if (v == "application/grpc-web-text" || v == "application/grpc-web-text+proto") {
    return Encoding::kText;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported content-type '", content_type,
                                                 "' (use application/grpc-web, +proto, or -text)"));
}

const char* ResponseContentType(Encoding encoding) {
  return encoding == Encoding::kText ? "application/grpc-web-text+proto"
                                     : "application/grpc-web+proto";
}

std::string Base64Encode(absl::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(data.data()),
                                      static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

absl::StatusOr<std::string> Base64Decode(absl::string_view text) {
  // Several base64 chunks may be concatenated, each with its own padding: decode 4 characters at
  // a time, which is where any chunk boundary falls.
  if (text.size() % 4 != 0) return absl::InvalidArgumentError("truncated base64 body");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    for (size_t j = i; j < i + 4; ++j) {
      const char c = text[j];
      const bool valid = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
                         c == '/' || (c == '=' && j >= i + 2);
      if (!valid) return absl::InvalidArgumentError("invalid base64 body");
    }
    if (text[i + 2] == '=' && text[i + 3] != '=') {
      return absl::InvalidArgumentError("invalid base64 body");
    }
    unsigned char decoded[3];
    if (EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(text.data() + i), 4) != 3) {
      return absl::InvalidArgumentError("invalid base64 body");
    }
    const size_t padding = (text[i + 3] == '=') + (text[i + 2] == '=');
    out.append(reinterpret_cast<const char*>(decoded), 3 - padding);
  }
  return out;
}

absl::StatusOr<std::string> DecodeRequest(absl::string_view body, Encoding encoding,
                                          int64_t max_message_bytes) {
  std::string decoded;
  if (encoding == Encoding::kText) {
    absl::StatusOr<std::string> bytes = Base64Decode(absl::StripAsciiWhitespace(body));
    if (!bytes.ok()) return bytes.status();
    decoded = *std::move(bytes);
    body = decoded;
  }
  std::optional<std::string> message;
  size_t offset = 0;
  while (offset < body.size()) {
    if (body.size() - offset < 5) return absl::InvalidArgumentError("truncated frame header");
    const uint8_t flag = static_cast<uint8_t>(body[offset]);
    const uint32_t length = (static_cast<uint32_t>(static_cast<uint8_t>(body[offset + 1])) << 24) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(body[offset + 2])) << 16) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(body[offset + 3])) << 8) |
                            static_cast<uint32_t>(static_cast<uint8_t>(body[offset + 4]));
    offset += 5;
    if (flag & kTrailerFlag) return absl::InvalidArgumentError("trailer frame in a request");
    if (flag & kCompressedFlag) {
      return absl::UnimplementedError("compressed messages are not supported");
    }
    if (flag != kDataFlag) return absl::InvalidArgumentError("unknown frame flag");
    if (static_cast<int64_t>(length) > max_message_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("request message larger than ", max_message_bytes, " bytes"));
    }
    if (body.size() - offset < length) return absl::InvalidArgumentError("truncated message");
    if (message.has_value()) {
      return absl::InvalidArgumentError("more than one request message");
    }
    message = std::string(body.substr(offset, length));
    offset += length;
  }
  if (!message.has_value()) return absl::InvalidArgumentError("no request message");
  return *std::move(message);
}

std::string DataFrame(absl::string_view message) { return Frame(kDataFlag, message); }

std::string TrailerFrame(const grpc::Status& status) {
  std::string block = absl::StrCat("grpc-status:", static_cast<int>(status.error_code()), "\r\n");
  if (!status.error_message().empty()) {
    absl::StrAppend(&block, "grpc-message:", PercentEncode(status.error_message()), "\r\n");
  }
  if (!status.error_details().empty()) {
    absl::StrAppend(&block, "grpc-status-details-bin:", Base64Encode(status.error_details()),
                    "\r\n");
  }
  return Frame(kTrailerFlag, block);
}

std::string ForWire(absl::string_view frames, Encoding encoding) {
  return encoding == Encoding::kText ? Base64Encode(frames) : std::string(frames);
}

absl::StatusOr<std::chrono::nanoseconds> ParseGrpcTimeout(absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) return absl::InvalidArgumentError("bad grpc-timeout");
  int64_t amount = 0;
  if (!absl::SimpleAtoi(value.substr(0, value.size() - 1), &amount) || amount < 0) {
    return absl::InvalidArgumentError("bad grpc-timeout");
  }
  using namespace std::chrono;
  switch (value.back()) {
    case 'H':
      return duration_cast<nanoseconds>(hours(amount));
    case 'M':
      return duration_cast<nanoseconds>(minutes(amount));
    case 'S':
      return duration_cast<nanoseconds>(seconds(amount));
    case 'm':
      return duration_cast<nanoseconds>(milliseconds(amount));
    case 'u':
      return duration_cast<nanoseconds>(microseconds(amount));
    case 'n':
      return nanoseconds(amount);
    default:
      return absl::InvalidArgumentError("bad grpc-timeout unit");
  }
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

}  // namespace uwallet::gateway::grpcweb
