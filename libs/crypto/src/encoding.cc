#include "uwallet/crypto/encoding.h"

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "internal.h"

namespace uwallet::crypto {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int8_t kInvalid = -1;

// Reverse lookup: character -> value, or kInvalid.
std::array<int8_t, 256> ReverseTable(absl::string_view alphabet) {
  std::array<int8_t, 256> table;
  table.fill(kInvalid);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(std::string("malformed ") + std::string(what));
}

}  // namespace

namespace internal {

std::string Base64EncodeNoPadding(absl::string_view data, absl::string_view alphabet) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3f]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

absl::StatusOr<std::string> Base64DecodeNoPadding(absl::string_view text,
                                                  absl::string_view alphabet) {
  // 4 characters carry 3 bytes; a single leftover character carries less than one byte.
  if (text.size() % 4 == 1) return Malformed("base64: impossible length");
  const std::array<int8_t, 256> table = ReverseTable(alphabet);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t value = table[static_cast<unsigned char>(c)];
    if (value == kInvalid) return Malformed("base64: unexpected character");
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
    buffer &= (1u << bits) - 1;
  }
  // Unused trailing bits must be zero, or two spellings would decode to the same bytes.
  if (buffer != 0) return Malformed("base64: non-zero trailing bits");
  return out;
}

}  // namespace internal

std::string HexEncode(absl::string_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char byte : data) {
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0x0f]);
  }
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view text) {
  if (text.size() % 2 != 0) return Malformed("hex: odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return kInvalid;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]);
    const int low = nibble(text[i + 1]);
    if (high == kInvalid || low == kInvalid) return Malformed("hex: unexpected character");
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

std::string Base64UrlEncode(absl::string_view data) {
  return internal::Base64EncodeNoPadding(data, internal::kBase64UrlAlphabet);
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  return internal::Base64DecodeNoPadding(text, internal::kBase64UrlAlphabet);
}

std::string Base32Encode(absl::string_view data, Base32Padding padding) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1f]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  if (padding == Base32Padding::kInclude) {
    while (out.size() % 8 != 0) out.push_back('=');
  }
  return out;
}

absl::StatusOr<std::string> Base32Decode(absl::string_view text) {
  // Padding, when present, must complete the last 8-character group exactly.
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const absl::string_view body = text.substr(0, text.size() - padding);
  // Characters in the last group -> padding it needs. 1, 3 and 6 cannot end a valid encoding.
  constexpr std::array<int, 8> kPaddingForRemainder = {0, -1, 6, -1, 4, 3, -1, 1};
  const int expected_padding = kPaddingForRemainder[body.size() % 8];
  if (expected_padding < 0) return Malformed("base32: impossible length");
  if (padding != 0 && padding != static_cast<size_t>(expected_padding)) {
    return Malformed("base32: wrong padding");
  }

  static const std::array<int8_t, 256> kTable = [] {
    std::array<int8_t, 256> table = ReverseTable(kBase32Alphabet);
    for (char c = 'a'; c <= 'z'; ++c) table[static_cast<unsigned char>(c)] = table[c - 'a' + 'A'];
    return table;
  }();
  std::string out;
  out.reserve(body.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : body) {
    const int8_t value = kTable[static_cast<unsigned char>(c)];
    if (value == kInvalid) return Malformed("base32: unexpected character");
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
    buffer &= (1u << bits) - 1;
  }
  if (buffer != 0) return Malformed("base32: non-zero trailing bits");
  return out;
}

}  // namespace uwallet::crypto
