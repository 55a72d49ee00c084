#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "uwallet/crypto/password.h"

namespace uwallet::crypto {
namespace {

// Made by the reference implementation's CLI (Debian package argon2, 0~20171227):
//   echo -n "password" | argon2 saltsaltsaltsalt -id -t 2 -k 19456 -p 1 -l 32 -e
constexpr char kCliPassword[] =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
    "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8";
//   echo -n "correct horse battery staple" | argon2 somesaltsomesalt -id -t 2 -m 15 -p 1 -l 32 -e
constexpr char kCliHorse[] =
    "$argon2id$v=19$m=32768,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
    "F0iKBE6qhDW05Qg199W35oMo+BGqMDM3gptOc1yiYRM";

TEST_CASE("VerifyPassword: hashes from the argon2 reference CLI") {
  REQUIRE(VerifyPassword(kCliPassword, "password").value());
  REQUIRE_FALSE(VerifyPassword(kCliPassword, "Password").value());
  REQUIRE_FALSE(VerifyPassword(kCliPassword, "password ").value());
  REQUIRE_FALSE(VerifyPassword(kCliPassword, "").value());
  REQUIRE(VerifyPassword(kCliHorse, "correct horse battery staple").value());
  REQUIRE_FALSE(VerifyPassword(kCliHorse, "correct horse battery stapler").value());
}

TEST_CASE("HashPassword: PHC string with the default parameters, random salt") {
  const std::string encoded = HashPassword("hunter22").value();
  REQUIRE(absl::StartsWith(encoded, "$argon2id$v=19$m=19456,t=2,p=1$"));
  REQUIRE(VerifyPassword(encoded, "hunter22").value());
  REQUIRE_FALSE(VerifyPassword(encoded, "hunter23").value());
  // Same password, fresh salt: a different string.
  REQUIRE(HashPassword("hunter22").value() != encoded);
  REQUIRE_FALSE(NeedsRehash(encoded));
}

TEST_CASE("HashPassword: any bytes, up to the bound") {
  const std::string unicode = "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac";
  REQUIRE(VerifyPassword(HashPassword(unicode).value(), unicode).value());
  const std::string with_zero("pass\0word", 9);
  const std::string encoded = HashPassword(with_zero).value();
  REQUIRE(VerifyPassword(encoded, with_zero).value());
  REQUIRE_FALSE(VerifyPassword(encoded, "pass").value());
  const std::string longest(kPasswordBytesMax, 'x');
  REQUIRE(VerifyPassword(HashPassword(longest).value(), longest).value());
  REQUIRE(HashPassword(longest + "x").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("VerifyPassword: an over-long password is a plain mismatch, not an error") {
  const std::string longest(kPasswordBytesMax, 'x');
  const std::string encoded = HashPassword(longest).value();
  // Its first kPasswordBytesMax bytes match, but it is longer: still false.
  REQUIRE_FALSE(VerifyPassword(encoded, longest + "x").value());
}

TEST_CASE("HashPassword: refuses parameters below the floors or above the ceilings") {
  auto code = [](PasswordParams params) { return HashPassword("pw", params).status().code(); };
  REQUIRE(code({.memory_kib = 8192}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.iterations = 1}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.parallelism = 0}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.salt_bytes = 8}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.hash_bytes = 8}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.memory_kib = kPasswordMemoryKibMax + 1}) == absl::StatusCode::kInvalidArgument);
  REQUIRE(code({.iterations = kPasswordIterationsMax + 1}) == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("VerifyPassword: malformed or unsupported hashes are errors") {
  const std::string good = kCliPassword;
  for (const std::string& bad : {
           std::string(""),
           std::string("password"),
           std::string("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // argon2i
           std::string("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // old version
           std::string("$argon2id$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // no version
           std::string("$argon2id$v=19$t=2,m=19456,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // field order
           std::string("$argon2id$v=19$m=019456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // leading zero
           std::string("$argon2id$v=19$m=-1,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // sign
           std::string("$argon2id$v=19$m=4294967296,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // overflows uint32
           std::string("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // 4 GiB: over ceiling
           std::string("$argon2id$v=19$m=19456,t=1000,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // iterations ceiling
           std::string("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // 4-byte salt
           std::string("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA==$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8"),  // base64 padding
           std::string("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                       "T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8$"),  // extra field
           good.substr(0, good.size() - 2),  // truncated: impossible base64 length
           good + "\n",
       }) {
    CAPTURE(bad);
    REQUIRE(VerifyPassword(bad, "password").status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(NeedsRehash(bad));
  }
}

TEST_CASE("NeedsRehash: any parameter different from the wanted ones") {
  REQUIRE_FALSE(NeedsRehash(kCliPassword));
  REQUIRE(NeedsRehash(kCliHorse));  // m=32768
  REQUIRE_FALSE(NeedsRehash(kCliHorse, {.memory_kib = 32768}));
  REQUIRE(NeedsRehash(kCliPassword, {.iterations = 3}));
  REQUIRE(NeedsRehash(kCliPassword, {.parallelism = 2}));
  REQUIRE(NeedsRehash(kCliPassword, {.salt_bytes = 32}));
  REQUIRE(NeedsRehash(kCliPassword, {.hash_bytes = 64}));
}

TEST_CASE("BurnPasswordTime costs about what a wrong-password VerifyPassword costs") {
  // Warm up the allocator, then take the best of a few runs of each to filter scheduler noise on a
  // shared machine. A dummy that skipped the work would take microseconds, not tens of ms.
  constexpr int kRuns = 3;
  REQUIRE_FALSE(VerifyPassword(kCliPassword, "wrong").value());
  absl::Duration verify = absl::InfiniteDuration();
  absl::Duration burn = absl::InfiniteDuration();
  for (int i = 0; i < kRuns; ++i) {
    absl::Time start = absl::Now();
    REQUIRE_FALSE(VerifyPassword(kCliPassword, "wrong").value());
    verify = std::min(verify, absl::Now() - start);
    start = absl::Now();
    BurnPasswordTime();
    burn = std::min(burn, absl::Now() - start);
  }
  CAPTURE(absl::FormatDuration(verify), absl::FormatDuration(burn));
  REQUIRE(burn > verify / 3);
  REQUIRE(burn < verify * 3);
}

TEST_CASE("argon2id computations never exceed the configured slots, and all finish") {
  const int before = PasswordHashConcurrency();
  SetPasswordHashConcurrency(0);
  CHECK(PasswordHashConcurrency() == 1);  // at least one slot
  for (int slots : {1, 2}) {
    SetPasswordHashConcurrency(slots);
    std::atomic<bool> done{false};
    std::atomic<int> most{0};
    std::thread sampler([&] {
      while (!done.load()) {
        const int running = PasswordHashesRunning();
        if (running > most.load()) most = running;
        std::this_thread::yield();
      }
    });
    std::vector<std::thread> callers;
    std::atomic<int> verified{0};
    const std::string hash = HashPassword("correct horse").value();
    for (int i = 0; i < 5; ++i) {
      callers.emplace_back([&] {
        if (VerifyPassword(hash, "correct horse").value_or(false)) ++verified;
      });
    }
    for (auto& t : callers) t.join();
    done = true;
    sampler.join();
    INFO("slots " << slots);
    CHECK(verified.load() == 5);
    CHECK(most.load() <= slots);
    CHECK(PasswordHashesRunning() == 0);
  }
  SetPasswordHashConcurrency(before);
}

TEST_CASE("the totals count every argon2id computation, its CPU and the wait for a slot") {
  const int before = PasswordHashConcurrency();
  const PasswordHashTotals start = PasswordHashTotalsSoFar();
  const std::string hash = HashPassword("correct horse").value();
  CHECK(VerifyPassword(hash, "correct horse").value());
  CHECK_FALSE(VerifyPassword(hash, "wrong horse").value());
  BurnPasswordTime();
  const PasswordHashTotals serial = PasswordHashTotalsSoFar();
  CHECK(serial.hashes - start.hashes == 4);
  // 19 MiB and two passes cannot take less than a millisecond of CPU each.
  CHECK(serial.cpu - start.cpu > absl::Milliseconds(4));

  // One slot: a second caller that arrives while the first computes waits for it.
  SetPasswordHashConcurrency(1);
  std::thread first([] { BurnPasswordTime(); });
  while (PasswordHashesRunning() == 0 && PasswordHashTotalsSoFar().hashes == serial.hashes) {
    std::this_thread::yield();
  }
  std::thread second([] { BurnPasswordTime(); });
  first.join();
  second.join();
  SetPasswordHashConcurrency(before);
  const PasswordHashTotals queued = PasswordHashTotalsSoFar();
  CHECK(queued.hashes - serial.hashes == 2);
  CHECK(queued.waited - serial.waited > absl::Milliseconds(1));
}

}  // namespace
}  // namespace uwallet::crypto
