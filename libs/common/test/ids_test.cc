#include <catch2/catch.hpp>
#include <set>

#include "uwallet/common/ids.h"

namespace uwallet {
namespace {

TEST_CASE("UUIDv7 ids are well-formed, unique and time-ordered") {
  FakeClock clock;
  UuidV7Generator ids(clock);
  std::string previous;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    if (i % 1000 == 0) clock.Advance(absl::Milliseconds(1));
    std::string id = ids.NewId();
    REQUIRE(IsUuid(id));
    REQUIRE(id[14] == '7');                                          // version
    REQUIRE(std::string("89ab").find(id[19]) != std::string::npos);  // variant
    REQUIRE(id > previous);  // ordered even within one millisecond
    REQUIRE(seen.insert(id).second);
    previous = id;
  }
}

TEST_CASE("UUIDv7 never goes backwards when the clock does") {
  FakeClock clock;
  UuidV7Generator ids(clock);
  std::string first = ids.NewId();
  clock.Advance(absl::Seconds(-10));
  REQUIRE(ids.NewId() > first);
}

TEST_CASE("UuidV7Floor bounds the ids of a millisecond") {
  FakeClock clock(absl::FromUnixMillis(1'800'000'000'123));
  UuidV7Generator ids(clock);
  const std::string id = ids.NewId();
  CHECK(UuidV7Floor(clock.Now()) <= id);
  CHECK(id < UuidV7Floor(clock.Now() + absl::Milliseconds(1)));
  CHECK(UuidV7Floor(absl::FromUnixMillis(0x0123456789ab)) ==
        "01234567-89ab-0000-0000-000000000000");
  CHECK(UuidV7Floor(absl::FromUnixMillis(-5)) == "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("IsUuid rejects malformed text") {
  REQUIRE_FALSE(IsUuid(""));
  REQUIRE_FALSE(IsUuid("0190a4c2-7d3e-7abc-8def-0123456789aZ"));
  REQUIRE_FALSE(IsUuid("0190a4c2x7d3e-7abc-8def-0123456789ab"));
  REQUIRE(IsUuid("0190a4c2-7d3e-7abc-8def-0123456789ab"));
}

TEST_CASE("Sequential ids count up") {
  SequentialIdGenerator ids("u-");
  REQUIRE(ids.NewId() == "u-000001");
  REQUIRE(ids.NewId() == "u-000002");
}

}  // namespace
}  // namespace uwallet
