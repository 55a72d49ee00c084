#pragma once
// Sign-in lockout rules, as pure functions of the stored state and the time, so that they are
// tested with a fake clock and applied inside the storage transaction that holds the row lock.
//
//   - `failures_to_lock` consecutive wrong passwords lock the account for `first_lock`;
//   - each further lock period doubles (15 min, 30 min, 1 h, ...) up to `longest_lock`;
//   - the `indefinite_after`-th lock period does not expire: only a support unlock or a password
//     reset ends it;
//   - attempts while locked are answered like wrong passwords but change nothing (so parallel
//     guesses during a lock cannot stack lock periods);
//   - a successful sign-in, a password reset or a support unlock clears everything.

#include "absl/time/time.h"
#include "services/auth/core/types.h"

namespace uwallet::auth {

struct LockoutPolicy {
  int failures_to_lock = 5;
  absl::Duration first_lock = absl::Minutes(15);
  absl::Duration longest_lock = absl::Hours(1);
  int indefinite_after = 5;  // the 5th lock period lasts until support or a reset ends it
};

struct FailureOutcome {
  LockState state;
  bool counted = false;     // false: the account was already locked, nothing changed
  bool locked_now = false;  // this failure started a lock period
};

// How long the `lock_number`-th lock period (1-based) lasts; InfiniteDuration for indefinite.
[[nodiscard]] absl::Duration LockDuration(const LockoutPolicy& policy, int lock_number);

// The state after one more wrong password at `now`.
[[nodiscard]] FailureOutcome ApplyFailure(const LockoutPolicy& policy, const LockState& state,
                                          absl::Time now);

// The state after a successful sign-in, a reset or an unlock.
[[nodiscard]] inline LockState Cleared() { return LockState{}; }

}  // namespace uwallet::auth
