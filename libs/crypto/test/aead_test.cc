#include <catch2/catch.hpp>

#include <string>

#include "uwallet/crypto/aead.h"
#include "uwallet/crypto/encoding.h"

namespace uwallet::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return HexDecode(hex).value(); }

TEST_CASE("Open: AES-256-GCM known answers (McGrew & Viega GCM spec, test cases 13 and 14)") {
  const std::string key(32, '\0');
  const std::string nonce(12, '\0');
  // Test case 13: empty plaintext, so the sealed value is nonce || tag.
  REQUIRE(Open(key, nonce + Unhex("530f8afbc74536b9a963b4f1c4cb738b"), "").value().empty());
  // Test case 14: one zero block.
  REQUIRE(Open(key,
               nonce + Unhex("cea7403d4d606b6e074ec5d3baf39d18") +
                   Unhex("d0d1c8a799996bf0265b98b5d48ab919"),
               "")
              .value() == std::string(16, '\0'));
}

TEST_CASE("Seal/Open: round trip, layout, fresh nonce each time") {
  const std::string key = NewAeadKey().value();
  REQUIRE(key.size() == kAeadKeyBytes);
  const std::string secret = "12345678901234567890";
  const std::string sealed = Seal(key, secret, "totp-secret:user-1").value();
  REQUIRE(sealed.size() == kAeadNonceBytes + secret.size() + kAeadTagBytes);
  REQUIRE(Open(key, sealed, "totp-secret:user-1").value() == secret);
  REQUIRE(Seal(key, secret, "totp-secret:user-1").value() != sealed);
  // Empty plaintext and empty associated data are valid.
  REQUIRE(Open(key, Seal(key, "", "").value(), "").value().empty());
  const std::string binary("\0\xff\0", 3);
  REQUIRE(Open(key, Seal(key, binary, binary).value(), binary).value() == binary);
  const std::string largest(kAeadPlaintextBytesMax, 'p');
  REQUIRE(Open(key, Seal(key, largest, "").value(), "").value() == largest);
}

TEST_CASE("Open: any tampering is DATA_LOSS") {
  const std::string key = NewAeadKey().value();
  const std::string ad = "totp-secret:user-1";
  const std::string sealed = Seal(key, "a TOTP secret, 20 B", ad).value();
  auto flipped = [&](size_t index) {
    std::string copy = sealed;
    copy[index] = static_cast<char>(copy[index] ^ 0x01);
    return copy;
  };
  SECTION("nonce") {
    REQUIRE(Open(key, flipped(0), ad).status().code() == absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, flipped(kAeadNonceBytes - 1), ad).status().code() ==
            absl::StatusCode::kDataLoss);
  }
  SECTION("ciphertext") {
    REQUIRE(Open(key, flipped(kAeadNonceBytes), ad).status().code() == absl::StatusCode::kDataLoss);
  }
  SECTION("tag") {
    REQUIRE(Open(key, flipped(sealed.size() - 1), ad).status().code() ==
            absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, flipped(sealed.size() - kAeadTagBytes), ad).status().code() ==
            absl::StatusCode::kDataLoss);
  }
  SECTION("associated data") {
    REQUIRE(Open(key, sealed, "totp-secret:user-2").status().code() == absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, sealed, "").status().code() == absl::StatusCode::kDataLoss);
  }
  SECTION("wrong key") {
    REQUIRE(Open(NewAeadKey().value(), sealed, ad).status().code() == absl::StatusCode::kDataLoss);
  }
  SECTION("truncated or extended") {
    REQUIRE(Open(key, sealed.substr(0, sealed.size() - 1), ad).status().code() ==
            absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, sealed + "x", ad).status().code() == absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, sealed.substr(0, kAeadNonceBytes + kAeadTagBytes - 1), ad).status().code() ==
            absl::StatusCode::kDataLoss);
    REQUIRE(Open(key, "", ad).status().code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("Seal/Open: wrong key size and oversize input are INVALID_ARGUMENT") {
  const std::string key = NewAeadKey().value();
  const std::string sealed = Seal(key, "x", "").value();
  for (size_t size : {0, 16, 24, 31, 33, 64}) {
    CAPTURE(size);
    const std::string bad_key(size, 'k');
    REQUIRE(Seal(bad_key, "x", "").status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(Open(bad_key, sealed, "").status().code() == absl::StatusCode::kInvalidArgument);
  }
  REQUIRE(Seal(key, std::string(kAeadPlaintextBytesMax + 1, 'p'), "").status().code() ==
          absl::StatusCode::kInvalidArgument);
  const std::string big_ad(kAeadAssociatedDataBytesMax + 1, 'a');
  REQUIRE(Seal(key, "x", big_ad).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(Open(key, sealed, big_ad).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace uwallet::crypto
