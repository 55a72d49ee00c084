#include <catch2/catch.hpp>

#include "uwallet/crypto/encoding.h"
#include "uwallet/grpcutil/identity.h"

namespace uwallet::grpcutil {
namespace {

const std::string kKey(32, 'k');

TEST_CASE("a signed identity verifies and keeps its claims") {
  FakeClock clock;
  auto signer = IdentitySigner::Create(kKey, clock);
  REQUIRE(signer.ok());
  Identity identity{.user_id = "u1",
                    .roles = {"customer"},
                    .session_id = "s1",
                    .step_up_until = clock.Now() + absl::Minutes(5),
                    .client_ip = "203.0.113.7",
                    .device_id = "dev-1"};
  auto verified = signer->Verify(signer->Sign(identity));
  REQUIRE(verified.ok());
  REQUIRE(verified->user_id == "u1");
  REQUIRE(verified->HasRole("customer"));
  REQUIRE_FALSE(verified->IsStaff());
  REQUIRE(verified->session_id == "s1");
  REQUIRE(verified->HasFreshStepUp(clock.Now()));
  REQUIRE(verified->client_ip == "203.0.113.7");
  REQUIRE(verified->device_id == "dev-1");
  REQUIRE_FALSE(verified->HasFreshStepUp(clock.Now() + absl::Minutes(6)));

  auto service = signer->Verify(signer->SignService("payments"));
  REQUIRE(service.ok());
  REQUIRE(service->IsService("payments"));
  REQUIRE_FALSE(service->IsService("auth"));
}

TEST_CASE("tampered, foreign, expired, malformed and oversized assertions are refused") {
  FakeClock clock;
  auto signer = IdentitySigner::Create(kKey, clock);
  auto other = IdentitySigner::Create(std::string(32, 'x'), clock);
  const std::string token = signer->Sign({.user_id = "u1", .roles = {"customer"}});

  // Rewrite the claims to claim admin, keep the old signature.
  const std::string forged_claims = crypto::Base64UrlEncode(
      R"({"sub":"u1","roles":["admin"],"sid":"","iat":1800000000,"exp":1900000000,"su":0})");
  const std::string forged = forged_claims + token.substr(token.find('.'));
  std::string flipped = token;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';

  for (const std::string& bad :
       {forged, flipped, other->Sign({.user_id = "u1"}), std::string(), std::string("no-dot"),
        std::string("a.b.c"), std::string(5000, 'a') + "." + "b"}) {
    INFO(bad.substr(0, 40));
    REQUIRE(signer->Verify(bad).status().code() == absl::StatusCode::kUnauthenticated);
  }

  clock.Advance(kIdentityTtl + kClockSkewAllowed + absl::Seconds(1));
  const absl::Status expired = signer->Verify(token).status();
  REQUIRE(expired.code() == absl::StatusCode::kUnauthenticated);
  CHECK(expired.message() == "identity assertion expired 6s ago (clock skew allowed: 5s)");
}

TEST_CASE("an assertion from a signer whose clock is ahead says by how much") {
  FakeClock here;
  FakeClock ahead(here.Now() + kClockSkewAllowed + absl::Seconds(3));
  auto verifier = IdentitySigner::Create(std::string(32, 'k'), here);
  auto signer = IdentitySigner::Create(std::string(32, 'k'), ahead);
  REQUIRE(verifier.ok());
  REQUIRE(signer.ok());
  const absl::Status future = verifier->Verify(signer->Sign({.user_id = "u1"})).status();
  REQUIRE(future.code() == absl::StatusCode::kUnauthenticated);
  CHECK(future.message() ==
        "identity assertion issued 8s in the future: the signer's clock is ahead of this node's "
        "(clock skew allowed: 5s)");
  // Within the allowed skew it is accepted.
  FakeClock slightly(here.Now() + kClockSkewAllowed);
  auto near = IdentitySigner::Create(std::string(32, 'k'), slightly);
  REQUIRE(near.ok());
  CHECK(verifier->Verify(near->Sign({.user_id = "u1"})).ok());
}

TEST_CASE("short keys are refused") {
  FakeClock clock;
  REQUIRE(IdentitySigner::Create("short", clock).status().code() ==
          absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace uwallet::grpcutil
