#include <catch2/catch.hpp>

#include "uwallet/notify/notifier.h"
#include "uwallet/testing/redis_fixture.h"

namespace uwallet::notify {
namespace {

TEST_CASE("the dev mailbox keeps messages per destination, newest first, bounded") {
  testing::RedisPrefix redis;
  FakeClock clock;
  DevMailbox mailbox(redis.pool(), clock);
  REQUIRE(mailbox
              .Send({.channel = Channel::kSms,
                     .destination = "+8613800000001",
                     .kind = "verification_code",
                     .body = "Your code is 123456",
                     .code = "123456"})
              .ok());
  clock.Advance(absl::Seconds(1));
  REQUIRE(mailbox
              .Send({.channel = Channel::kEmail,
                     .destination = "+8613800000001",
                     .kind = "password_changed",
                     .subject = "Password changed"})
              .ok());
  auto messages = mailbox.List("+8613800000001");
  REQUIRE(messages.ok());
  REQUIRE(messages->size() == 2);
  REQUIRE((*messages)[0].notification.kind == "password_changed");
  REQUIRE((*messages)[0].notification.channel == Channel::kEmail);
  REQUIRE((*messages)[1].notification.code == "123456");
  REQUIRE((*messages)[1].sent_at == clock.Now() - absl::Seconds(1));
  REQUIRE(mailbox.List("nobody@example.com")->empty());

  for (int i = 0; i < kDevMailboxMessagesMax + 10; ++i) {
    REQUIRE(mailbox.Send({.destination = "a@b.c", .body = std::to_string(i)}).ok());
  }
  auto many = mailbox.List("a@b.c", 1000);
  REQUIRE(many->size() == kDevMailboxMessagesMax);
  REQUIRE(many->front().notification.body == std::to_string(kDevMailboxMessagesMax + 9));
  REQUIRE(mailbox.Send({.destination = ""}).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace uwallet::notify
