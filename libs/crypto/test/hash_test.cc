#include <catch2/catch.hpp>

#include <string>

#include "uwallet/crypto/hash.h"

namespace uwallet::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return HexDecode(hex).value(); }

TEST_CASE("SHA-256: FIPS 180-2 vectors") {
  REQUIRE(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  REQUIRE(Sha256("abc") ==
          Unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  REQUIRE(Sha256("abc").size() == kSha256Bytes);
}

TEST_CASE("HMAC-SHA256: RFC 4231 test cases") {
  SECTION("1: short key") {
    REQUIRE(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")) ==
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("2: key shorter than the output") {
    REQUIRE(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SECTION("3: combined length of key and data larger than 64 bytes") {
    REQUIRE(HexEncode(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))) ==
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }
  SECTION("4: 25-byte key") {
    REQUIRE(HexEncode(HmacSha256(Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                                 std::string(50, '\xcd'))) ==
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  }
  SECTION("6: key larger than the block size") {
    REQUIRE(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")) ==
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  SECTION("7: key and data larger than the block size") {
    REQUIRE(HexEncode(HmacSha256(
                std::string(131, '\xaa'),
                "This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm.")) ==
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  }
}

TEST_CASE("HMAC-SHA256: empty key and empty data are valid") {
  // Known value: HMAC-SHA256 with an empty key over an empty message.
  REQUIRE(HexEncode(HmacSha256("", "")) ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  REQUIRE(HmacSha256(absl::string_view(), absl::string_view()) == HmacSha256("", ""));
}

TEST_CASE("ConstantTimeEquals") {
  REQUIRE(ConstantTimeEquals("", ""));
  REQUIRE(ConstantTimeEquals("secret-mac", "secret-mac"));
  REQUIRE_FALSE(ConstantTimeEquals("secret-mac", "secret-mad"));
  REQUIRE_FALSE(ConstantTimeEquals("Secret-mac", "secret-mac"));
  SECTION("different lengths are never equal, even when one is a prefix of the other") {
    REQUIRE_FALSE(ConstantTimeEquals("secret", "secret-mac"));
    REQUIRE_FALSE(ConstantTimeEquals("secret-mac", "secret"));
    REQUIRE_FALSE(ConstantTimeEquals("", "x"));
    REQUIRE_FALSE(ConstantTimeEquals("x", ""));
  }
  SECTION("embedded zero bytes are compared, not treated as terminators") {
    REQUIRE_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
    REQUIRE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  }
}

}  // namespace
}  // namespace uwallet::crypto
