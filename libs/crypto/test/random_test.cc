#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/random.h"

namespace uwallet::crypto {
namespace {

TEST_CASE("RandomBytes: length, bounds, not constant") {
  REQUIRE(RandomBytes(0).value().empty());
  REQUIRE(RandomBytes(32).value().size() == 32);
  REQUIRE(RandomBytes(kRandomBytesMax).value().size() == kRandomBytesMax);
  REQUIRE(RandomBytes(kRandomBytesMax + 1).status().code() == absl::StatusCode::kInvalidArgument);
  // Two 256-bit draws colliding would mean a broken generator.
  REQUIRE(RandomBytes(32).value() != RandomBytes(32).value());
}

TEST_CASE("RandomDigits: length, only digits, every digit appears, roughly uniform") {
  REQUIRE(RandomDigits(6).value().size() == 6);
  REQUIRE(RandomDigits(1).value().size() == 1);
  REQUIRE(RandomDigits(kRandomDigitsMax).value().size() == static_cast<size_t>(kRandomDigitsMax));
  REQUIRE(RandomDigits(0).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(RandomDigits(-1).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(RandomDigits(kRandomDigitsMax + 1).status().code() == absl::StatusCode::kInvalidArgument);

  // 100,000 six-digit codes = 600,000 digits, 60,000 expected per digit. A sampler without
  // rejection (byte % 10) gives digits 0..5 a probability of 26/256 and 6..9 of 25/256: about
  // 60,940 vs 58,590, which puts chi-square near 220, far above the threshold below.
  constexpr int kCodes = 100'000;
  constexpr int kDigitsPerCode = 6;
  std::array<int, 10> counts{};
  int wrong_lengths = 0;
  int non_digits = 0;
  for (int i = 0; i < kCodes; ++i) {
    const std::string code = RandomDigits(kDigitsPerCode).value();
    if (code.size() != static_cast<size_t>(kDigitsPerCode)) ++wrong_lengths;
    for (char c : code) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        ++counts[static_cast<size_t>(c - '0')];
      } else {
        ++non_digits;
      }
    }
  }
  REQUIRE(wrong_lengths == 0);
  REQUIRE(non_digits == 0);
  const double expected = kCodes * kDigitsPerCode / 10.0;
  double chi_square = 0;
  for (int count : counts) {
    REQUIRE(count > 0);
    chi_square += (count - expected) * (count - expected) / expected;
  }
  // 9 degrees of freedom: P(chi^2 > 33.7) < 1e-4, so this fails only for a real bias.
  CAPTURE(chi_square);
  REQUIRE(chi_square < 33.7);
}

TEST_CASE("RandomString: uses only the alphabet, every character appears, bounds") {
  const std::string drawn = RandomString("abc", 300).value();
  REQUIRE(drawn.size() == 300);
  REQUIRE(drawn.find_first_not_of("abc") == std::string::npos);
  for (char c : {'a', 'b', 'c'}) REQUIRE(drawn.find(c) != std::string::npos);
  REQUIRE(RandomString("abc", 0).value().empty());
  REQUIRE(RandomString("a", 5).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(RandomString("ab", kRandomStringLengthMax + 1).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("RandomToken: 256-bit base64url tokens without padding") {
  const std::string token = RandomToken().value();
  REQUIRE(token.size() == 43);  // ceil(32 * 8 / 6)
  REQUIRE(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
      std::string::npos);
  REQUIRE(Base64UrlDecode(token).value().size() == kSessionTokenBytes);
  REQUIRE(RandomToken(kRandomTokenBytesMin - 1).status().code() ==
          absl::StatusCode::kInvalidArgument);
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.insert(RandomToken().value());
  REQUIRE(tokens.size() == 1000);
}

}  // namespace
}  // namespace uwallet::crypto
