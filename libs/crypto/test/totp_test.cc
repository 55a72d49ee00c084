#include <catch2/catch.hpp>

#include <oath.h>

#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "uwallet/crypto/encoding.h"
#include "uwallet/crypto/random.h"
#include "uwallet/crypto/totp.h"

namespace uwallet::crypto {
namespace {

// RFC 6238 Appendix B seeds: the ASCII digits repeated to the digest size of each algorithm.
const std::string kSeedSha1 = "12345678901234567890";
const std::string kSeedSha256 = "12345678901234567890123456789012";
const std::string kSeedSha512 = "1234567890123456789012345678901234567890123456789012345678901234";

constexpr TotpParams kEightDigitsSha1 = {.algorithm = TotpAlgorithm::kSha1, .digits = 8};

absl::Time At(int64_t unix_s) { return absl::FromUnixSeconds(unix_s); }

TEST_CASE("TotpCode: RFC 6238 Appendix B vectors") {
  // {time, SHA1, SHA256, SHA512}
  const std::vector<std::tuple<int64_t, std::string, std::string, std::string>> vectors = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const auto& [unix_s, sha1, sha256, sha512] : vectors) {
    CAPTURE(unix_s);
    REQUIRE(TotpCode(kSeedSha1, At(unix_s), kEightDigitsSha1).value() == sha1);
    REQUIRE(TotpCode(kSeedSha256, At(unix_s), {.algorithm = TotpAlgorithm::kSha256, .digits = 8})
                .value() == sha256);
    REQUIRE(TotpCode(kSeedSha512, At(unix_s), {.algorithm = TotpAlgorithm::kSha512, .digits = 8})
                .value() == sha512);
  }
}

TEST_CASE("TotpCode: RFC 4226 Appendix D HOTP vectors (counter = time / 30)") {
  const std::vector<std::string> hotp = {"755224", "287082", "359152", "969429", "338314",
                                         "254676", "287922", "162583", "399871", "520489"};
  for (size_t counter = 0; counter < hotp.size(); ++counter) {
    CAPTURE(counter);
    const int64_t start_s = static_cast<int64_t>(counter) * 30;
    REQUIRE(TotpCode(kSeedSha1, At(start_s)).value() == hotp[counter]);
    REQUIRE(TotpCode(kSeedSha1, At(start_s + 29)).value() == hotp[counter]);
  }
}

TEST_CASE("TotpCode agrees with liboath for random secrets and times") {
  REQUIRE(oath_init() == OATH_OK);
  for (int i = 0; i < 200; ++i) {
    const std::string secret = NewTotpSecret().value();
    const std::string random = RandomBytes(4).value();
    const int64_t unix_s =
        static_cast<int64_t>((static_cast<uint32_t>(static_cast<unsigned char>(random[0])) << 24) |
                             (static_cast<uint32_t>(static_cast<unsigned char>(random[1])) << 16) |
                             (static_cast<uint32_t>(static_cast<unsigned char>(random[2])) << 8) |
                             static_cast<uint32_t>(static_cast<unsigned char>(random[3])));
    for (int digits : {6, 8}) {
      char expected[16] = {};
      REQUIRE(oath_totp_generate(secret.data(), secret.size(), static_cast<time_t>(unix_s), 30, 0,
                                 static_cast<unsigned>(digits), expected) == OATH_OK);
      CAPTURE(HexEncode(secret), unix_s, digits);
      REQUIRE(TotpCode(secret, At(unix_s), {.digits = digits}).value() == expected);
    }
  }
  oath_done();
}

TEST_CASE("TotpCode: invalid input") {
  const absl::Time now = At(1'800'000'000);
  REQUIRE(TotpCode("too short", now).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCode(std::string(kTotpSecretBytesMax + 1, 'x'), now).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCode(kSeedSha1, now, {.digits = 5}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCode(kSeedSha1, now, {.digits = 9}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCode(kSeedSha1, now, {.step_s = 0}).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCode(kSeedSha1, At(-1)).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(TotpCounter(At(59)).value() == 1);
  REQUIRE(TotpCounter(At(60)).value() == 2);
  REQUIRE(TotpCounter(absl::FromUnixMillis(59'999)).value() == 1);
}

TEST_CASE("TotpMatch: window of one step each way, counter returned") {
  const std::string secret = NewTotpSecret().value();
  const absl::Time now = At(1'800'000'015);  // 15 s into step 60,000,000
  const int64_t step = TotpCounter(now).value();
  REQUIRE(step == 60'000'000);
  auto code_at_step = [&](int64_t counter) { return TotpCode(secret, At(counter * 30)).value(); };

  REQUIRE(TotpMatch(secret, code_at_step(step), now) == step);
  REQUIRE(TotpMatch(secret, code_at_step(step - 1), now) == step - 1);
  REQUIRE(TotpMatch(secret, code_at_step(step + 1), now) == step + 1);
  // Two steps away is refused with the default window, accepted with a wider one. (A random code
  // can equal a neighbour's by chance, 1 in 10^6; skip the check then.)
  for (int64_t far : {step - 2, step + 2}) {
    const std::string code = code_at_step(far);
    bool collides = false;
    for (int64_t near = step - 1; near <= step + 1; ++near) collides |= code == code_at_step(near);
    if (collides) continue;
    REQUIRE_FALSE(TotpMatch(secret, code, now).has_value());
    REQUIRE(TotpMatch(secret, code, now, /*window_steps=*/2) == far);
  }
  // Window 0: only the current step.
  REQUIRE(TotpMatch(secret, code_at_step(step), now, 0) == step);
  if (code_at_step(step - 1) != code_at_step(step)) {
    REQUIRE_FALSE(TotpMatch(secret, code_at_step(step - 1), now, 0).has_value());
  }
}

TEST_CASE("TotpMatch: the RFC secret at the RFC times") {
  // 1111111109 and 1111111111 fall in adjacent steps, 37037036 and 37037037.
  REQUIRE(TotpMatch(kSeedSha1, "14050471", At(1111111111), 1, kEightDigitsSha1) == 37037037);
  REQUIRE(TotpMatch(kSeedSha1, "07081804", At(1111111111), 1, kEightDigitsSha1) == 37037036);
  REQUIRE(TotpMatch(kSeedSha1, "07081804", At(1111111111 + 30), 1, kEightDigitsSha1) ==
          std::nullopt);
}

TEST_CASE("TotpMatch: malformed input is no match, never a crash") {
  const std::string secret = NewTotpSecret().value();
  const absl::Time now = At(1'800'000'000);
  const std::string code = TotpCode(secret, now).value();
  REQUIRE(TotpMatch(secret, code, now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code.substr(0, 5), now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code + "0", now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, "", now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, "12345a", now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, " " + code.substr(1), now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code, now, -1).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code, now, kTotpWindowStepsMax + 1).has_value());
  REQUIRE_FALSE(TotpMatch("short", code, now).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code, now, 1, {.digits = 4}).has_value());
  REQUIRE_FALSE(TotpMatch(secret, code, absl::InfinitePast()).has_value());
  // Saturated far future with a 1 s step: counter at INT64_MAX, no overflow when looking ahead.
  const std::string far_code = TotpCode(secret, absl::InfiniteFuture(), {.step_s = 1}).value();
  REQUIRE(TotpMatch(secret, far_code, absl::InfiniteFuture(), 1, {.step_s = 1}) ==
          std::numeric_limits<int64_t>::max());
}

TEST_CASE("OtpauthUri: key URI format, percent-encoded") {
  REQUIRE(OtpauthUri("uWallet", "alice@example.com", kSeedSha1).value() ==
          "otpauth://totp/uWallet:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
          "&issuer=uWallet&algorithm=SHA1&digits=6&period=30");
  REQUIRE(OtpauthUri("ACME Co", "j o&e?", kSeedSha1,
                     {.algorithm = TotpAlgorithm::kSha256, .digits = 8, .step_s = 60})
              .value() ==
          "otpauth://totp/ACME%20Co:j%20o%26e%3F?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
          "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60");
  // Non-ASCII is encoded as UTF-8 bytes.
  REQUIRE(
      absl::StrContains(OtpauthUri("Caf\xc3\xa9", "bob", kSeedSha1).value(), "/Caf%C3%A9:bob?"));
  // The secret in the URI decodes back to the secret.
  const std::string secret = NewTotpSecret().value();
  const std::string uri = OtpauthUri("uWallet", "bob", secret).value();
  const size_t start = uri.find("secret=") + 7;
  REQUIRE(Base32Decode(uri.substr(start, uri.find('&') - start)).value() == secret);
}

TEST_CASE("OtpauthUri: invalid labels and secrets") {
  for (const auto& [issuer, account] : std::vector<std::pair<std::string, std::string>>{
           {"", "bob"},
           {"uWallet", ""},
           {"u:Wallet", "bob"},
           {"uWallet", "b:ob"},
           {std::string(kOtpauthLabelBytesMax + 1, 'x'), "bob"}}) {
    CAPTURE(issuer, account);
    REQUIRE(OtpauthUri(issuer, account, kSeedSha1).status().code() ==
            absl::StatusCode::kInvalidArgument);
  }
  REQUIRE(OtpauthUri("uWallet", "bob", "short").status().code() ==
          absl::StatusCode::kInvalidArgument);
}

TEST_CASE("NewRecoveryCodes: format, alphabet, distinct") {
  const std::vector<std::string> codes = NewRecoveryCodes().value();
  REQUIRE(codes.size() == static_cast<size_t>(kRecoveryCodesDefault));
  REQUIRE(std::set<std::string>(codes.begin(), codes.end()).size() == codes.size());
  for (const std::string& code : codes) {
    CAPTURE(code);
    REQUIRE(code.size() == 9);
    REQUIRE(code[4] == '-');
    REQUIRE((code.substr(0, 4) + code.substr(5))
                .find_first_not_of(std::string(kRecoveryCodeAlphabet)) == std::string::npos);
    REQUIRE(NormalizeRecoveryCode(code).value() == code);
  }
  REQUIRE(NewRecoveryCodes(kRecoveryCodesMax).value().size() ==
          static_cast<size_t>(kRecoveryCodesMax));
  REQUIRE(NewRecoveryCodes(0).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(NewRecoveryCodes(kRecoveryCodesMax + 1).status().code() ==
          absl::StatusCode::kInvalidArgument);
  // The alphabet has no look-alikes.
  for (char c : {'0', 'o', '1', 'l', 'i'}) {
    REQUIRE(kRecoveryCodeAlphabet.find(c) == absl::string_view::npos);
  }
}

TEST_CASE("NormalizeRecoveryCode: what people type") {
  REQUIRE(NormalizeRecoveryCode("k7xq-3m9d").value() == "k7xq-3m9d");
  REQUIRE(NormalizeRecoveryCode("K7XQ3M9D").value() == "k7xq-3m9d");
  REQUIRE(NormalizeRecoveryCode(" k7xq 3m9d ").value() == "k7xq-3m9d");
  for (const char* bad : {"", "k7xq-3m9", "k7xq-3m9dd", "k7xq-3m0d", "k7xq_3m9d", "k7xq-3m9d!"}) {
    CAPTURE(bad);
    REQUIRE(NormalizeRecoveryCode(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  REQUIRE(NormalizeRecoveryCode(std::string(100, ' ')).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace uwallet::crypto
