#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "uwallet/crypto/encoding.h"

namespace uwallet::crypto {
namespace {

// RFC 4648 §10 test vectors.
const std::vector<std::pair<std::string, std::string>> kBase64Vectors = {{"", ""},
                                                                         {"f", "Zg=="},
                                                                         {"fo", "Zm8="},
                                                                         {"foo", "Zm9v"},
                                                                         {"foob", "Zm9vYg=="},
                                                                         {"fooba", "Zm9vYmE="},
                                                                         {"foobar", "Zm9vYmFy"}};
const std::vector<std::pair<std::string, std::string>> kBase32Vectors = {
    {"", ""},
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"}};

std::string WithoutPadding(std::string text) {
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

TEST_CASE("hex: RFC 4648 vector, both cases, malformed input") {
  REQUIRE(HexEncode("foobar") == "666f6f626172");
  REQUIRE(HexEncode(std::string("\x00\xff\x10", 3)) == "00ff10");
  REQUIRE(HexDecode("666F6F626172").value() == "foobar");
  REQUIRE(HexDecode("666f6f626172").value() == "foobar");
  REQUIRE(HexDecode("").value().empty());
  REQUIRE(HexDecode("abc").status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(HexDecode("zz").status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(HexDecode("0x00").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("base64url: RFC 4648 vectors without padding") {
  for (const auto& [plain, padded] : kBase64Vectors) {
    const std::string encoded = WithoutPadding(padded);
    CAPTURE(plain);
    REQUIRE(Base64UrlEncode(plain) == encoded);
    REQUIRE(Base64UrlDecode(encoded).value() == plain);
  }
}

TEST_CASE("base64url: uses '-' and '_' where base64 uses '+' and '/'") {
  const std::string bytes("\xfb\xff", 2);  // "+/8=" in standard base64
  REQUIRE(Base64UrlEncode(bytes) == "-_8");
  REQUIRE(Base64UrlDecode("-_8").value() == bytes);
  const std::string all_ones(3, '\xff');
  REQUIRE(Base64UrlEncode(all_ones) == "____");
}

TEST_CASE("base64url: decode rejects malformed input") {
  for (const char* bad : {"Zg==",   // padding
                          "Zm9v+",  // standard alphabet
                          "Zm9/",   // standard alphabet
                          "Zm9vY",  // impossible length (4n+1)
                          "Zm 9v",  // space
                          "Zh",     // non-zero trailing bits ("Zg" is the canonical spelling)
                          "Zm9",    // "Zm8" is canonical
                          "Zm9v\n"}) {
    CAPTURE(bad);
    REQUIRE(Base64UrlDecode(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  REQUIRE(Base64UrlDecode(std::string("Zm\0v", 4)).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("base64url: round trip of every byte value") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= bytes.size(); length += 7) {
    const std::string prefix = bytes.substr(0, length);
    REQUIRE(Base64UrlDecode(Base64UrlEncode(prefix)).value() == prefix);
  }
}

TEST_CASE("base32: RFC 4648 vectors with and without padding") {
  for (const auto& [plain, padded] : kBase32Vectors) {
    CAPTURE(plain);
    REQUIRE(Base32Encode(plain, Base32Padding::kInclude) == padded);
    REQUIRE(Base32Encode(plain) == WithoutPadding(padded));
    REQUIRE(Base32Decode(padded).value() == plain);
    REQUIRE(Base32Decode(WithoutPadding(padded)).value() == plain);
  }
}

TEST_CASE("base32: decode accepts lower case, rejects malformed input") {
  REQUIRE(Base32Decode("mzxw6ytboi").value() == "foobar");
  // RFC 6238's SHA1 seed, as authenticator apps show it.
  REQUIRE(Base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").value() == "12345678901234567890");
  for (const char* bad : {"MZXW6YTBO",  // impossible length (8n+1)
                          "MZX",        // impossible length (8n+3)
                          "MZXW6Y",     // impossible length (8n+6)
                          "MY=====",    // wrong amount of padding
                          "MY=======",  // too much padding
                          "M=Y=====",   // padding inside
                          "MZXW6YT1",   // '1' is not in the alphabet
                          "MZXW 6YTB",  // space
                          "MZ",         // non-zero trailing bits ("MY" is canonical)
                          "========"}) {
    CAPTURE(bad);
    REQUIRE(Base32Decode(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("base32: round trip of every length up to 40 bytes") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
  for (size_t length = 0; length <= bytes.size(); ++length) {
    const std::string prefix = bytes.substr(0, length);
    REQUIRE(Base32Decode(Base32Encode(prefix)).value() == prefix);
    REQUIRE(Base32Decode(Base32Encode(prefix, Base32Padding::kInclude)).value() == prefix);
  }
}

}  // namespace
}  // namespace uwallet::crypto
