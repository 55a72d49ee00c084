// Payment PIN storage: the keyed form, the argon2id form from before, and their edges.
#include "services/payments/core/pin_hash.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "uwallet/crypto/password.h"

namespace uwallet::payments {
namespace {

const std::string kKey(kPinKeyBytes, 'k');

TEST_CASE("PIN hash: keyed form verifies the right PIN of the right user only") {
  PinHasher pins(kKey);
  REQUIRE(pins.Validate().ok());
  auto stored = pins.Hash("alice", "246810");
  REQUIRE(stored.ok());
  CHECK(absl::StartsWith(*stored, "uwpin1$"));
  CHECK(stored->find("246810") == std::string::npos);
  CHECK(pins.Verify(*stored, "alice", "246810").value());
  CHECK_FALSE(pins.Verify(*stored, "alice", "246811").value());
  // The same PIN of another user, or this hash moved to another user, does not match.
  CHECK_FALSE(pins.Verify(*stored, "bob", "246810").value());
  // Salted: the same PIN twice gives two different strings.
  CHECK(*pins.Hash("alice", "246810") != *stored);
  CHECK_FALSE(pins.NeedsRehash(*stored));
}

TEST_CASE("PIN hash: another key does not verify, and no key is an error, not a match") {
  PinHasher pins(kKey);
  const std::string stored = *pins.Hash("alice", "246810");
  CHECK_FALSE(PinHasher(std::string(kPinKeyBytes, 'x')).Verify(stored, "alice", "246810").value());
  auto keyless = PinHasher().Verify(stored, "alice", "246810");
  CHECK(keyless.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("PIN hash: argon2id PINs from before still verify and ask to be rehashed") {
  const std::string legacy = *crypto::HashPassword("246810");
  PinHasher pins(kKey);
  CHECK(pins.Verify(legacy, "alice", "246810").value());
  CHECK_FALSE(pins.Verify(legacy, "alice", "000001").value());
  CHECK(pins.NeedsRehash(legacy));
  CHECK_FALSE(PinHasher().NeedsRehash(legacy));  // without a key there is nothing better
  // Without a key, new PINs are argon2id.
  auto slow = PinHasher().Hash("alice", "246810");
  REQUIRE(slow.ok());
  CHECK(absl::StartsWith(*slow, "$argon2id$"));
}

TEST_CASE("PIN hash: bad keys and damaged hashes are errors") {
  CHECK(PinHasher("short").Validate().code() == absl::StatusCode::kInvalidArgument);
  CHECK(PinHasher("short").Hash("alice", "246810").status().code() ==
        absl::StatusCode::kInvalidArgument);
  PinHasher pins(kKey);
  for (const char* damaged : {"uwpin1$", "uwpin1$abc", "uwpin1$!!$??", "uwpin1$a$b$c"}) {
    INFO(damaged);
    auto verified = pins.Verify(damaged, "alice", "246810");
    CHECK_FALSE(verified.value_or(false));
  }
}

}  // namespace
}  // namespace uwallet::payments
