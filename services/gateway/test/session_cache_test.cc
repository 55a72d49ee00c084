#include <catch2/catch.hpp>

#include "services/gateway/core/session_cache.h"
#include "services/gateway/grpc/forwarder.h"

namespace uwallet::gateway {
namespace {

TEST_CASE("validated sessions are trusted for the TTL only") {
  FakeClock clock;
  SessionCache cache(clock, absl::Seconds(1));
  grpcutil::Identity identity{.user_id = "u1", .roles = {"customer"}};
  grpcutil::Identity out;
  REQUIRE_FALSE(cache.Get("h", &out));
  cache.Put("h", identity);
  REQUIRE(cache.Get("h", &out));
  REQUIRE(out.user_id == "u1");
  clock.Advance(absl::Milliseconds(999));
  REQUIRE(cache.Get("h", &out));
  clock.Advance(absl::Milliseconds(1));
  REQUIRE_FALSE(cache.Get("h", &out));  // a revoked session stops working within the TTL
  SessionCache off(clock, absl::ZeroDuration());
  off.Put("h", identity);
  REQUIRE_FALSE(off.Get("h", &out));
}

TEST_CASE("peer addresses") {
  REQUIRE(IpFromPeer("ipv4:10.1.2.3:5555") == "10.1.2.3");
  REQUIRE(IpFromPeer("ipv6:[::1]:5555") == "::1");
  REQUIRE(IpFromPeer("unix:/tmp/x") == "unix:/tmp/x");
}

}  // namespace
}  // namespace uwallet::gateway
