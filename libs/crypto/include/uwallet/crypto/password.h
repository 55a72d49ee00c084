#pragma once
// Password hashing with argon2id (RFC 9106), stored as a PHC string:
//   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<hash, base64 without padding>
// The string carries its own parameters, so old hashes still verify after the defaults change and
// NeedsRehash tells the caller when to store a fresh one (after a successful login).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace uwallet::crypto {

// Floors from DESIGN §4 (and the OWASP argon2id minimum): HashPassword refuses anything weaker.
inline constexpr uint32_t kPasswordMemoryKibMin = 19456;  // 19 MiB
inline constexpr uint32_t kPasswordIterationsMin = 2;
// Ceilings, so that a bad configuration or a corrupted stored hash cannot make one verification
// allocate unbounded memory or run for minutes.
inline constexpr uint32_t kPasswordMemoryKibMax = uint32_t{1} << 20;  // 1 GiB
inline constexpr uint32_t kPasswordIterationsMax = 32;
inline constexpr uint32_t kPasswordParallelismMax = 16;
inline constexpr uint32_t kPasswordSaltBytesMin = 16;
inline constexpr uint32_t kPasswordSaltBytesMax = 64;
inline constexpr uint32_t kPasswordHashBytesMin = 16;
inline constexpr uint32_t kPasswordHashBytesMax = 64;
// Longest password hashed. Length policy (8..128 characters) belongs to the caller; this is a
// byte bound against abuse, with room for 128 four-byte UTF-8 characters.
inline constexpr size_t kPasswordBytesMax = 1024;

struct PasswordParams {
  uint32_t memory_kib = 19456;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
  uint32_t salt_bytes = 16;
  uint32_t hash_bytes = 32;
};

// A fresh random salt and the PHC string. Parameters outside the floors/ceilings above or a
// password longer than kPasswordBytesMax -> INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                                       const PasswordParams& params = {});

// true when `password` matches. A malformed or unsupported `encoded` (not argon2id v=19, or
// parameters outside the ceilings) -> INVALID_ARGUMENT. A password longer than kPasswordBytesMax
// is never a match but costs the same time as any other wrong password, so that the length
// check gives no oracle.
[[nodiscard]] absl::StatusOr<bool> VerifyPassword(absl::string_view encoded,
                                                  absl::string_view password);

// true when `encoded` was made with parameters other than `params` (or does not parse): the
// caller should store HashPassword(password, params) after a successful VerifyPassword.
[[nodiscard]] bool NeedsRehash(absl::string_view encoded, const PasswordParams& params = {});

// Spends the work of one VerifyPassword with `params` on a dummy hash, for the unknown-user path
// of a login, so that it costs the same time as a known user with a wrong password.
void BurnPasswordTime(const PasswordParams& params = {});

// At most this many argon2id computations run at once in the process (HashPassword,
// VerifyPassword, BurnPasswordTime wait for a slot); default: the cores the process may use
// (uwallet::UsableCores: its CPU affinity and its cgroup's CPU quota, as in a Kubernetes pod).
// More at once than cores only thrash the caches with their 19 MiB each and let a flood of
// sign-ins allocate memory without bound; callers beyond the slots queue in arrival order.
void SetPasswordHashConcurrency(int slots);
[[nodiscard]] int PasswordHashConcurrency();
// How many argon2id computations run right now (metrics, tests).
[[nodiscard]] int PasswordHashesRunning();

// What this process's argon2id computations (HashPassword, VerifyPassword, BurnPasswordTime) have
// cost since it started: metrics, and benchmarks that split a sign-in's CPU into the hash and the
// rest.
struct PasswordHashTotals {
  int64_t hashes = 0;
  absl::Duration cpu;     // CPU time of the computing threads inside argon2id
  absl::Duration waited;  // time spent waiting for a slot (SetPasswordHashConcurrency)
};
[[nodiscard]] PasswordHashTotals PasswordHashTotalsSoFar();

}  // namespace uwallet::crypto
