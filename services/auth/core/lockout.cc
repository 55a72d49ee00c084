#include "services/auth/core/lockout.h"

#include <algorithm>

namespace uwallet::auth {

absl::Duration LockDuration(const LockoutPolicy& policy, int lock_number) {
  if (lock_number >= policy.indefinite_after) return absl::InfiniteDuration();
  absl::Duration duration = policy.first_lock;
  // Bounded: doubling stops as soon as the cap is reached.
  for (int i = 1; i < lock_number && duration < policy.longest_lock; ++i) duration *= 2;
  return std::min(duration, policy.longest_lock);
}

FailureOutcome ApplyFailure(const LockoutPolicy& policy, const LockState& state, absl::Time now) {
  FailureOutcome outcome{.state = state};
  if (state.IsLocked(now)) return outcome;
  outcome.counted = true;
  LockState& next = outcome.state;
  next.last_failed_at = now;
  next.failed_attempts = state.failed_attempts + 1;
  if (next.failed_attempts < policy.failures_to_lock) return outcome;
  next.failed_attempts = 0;
  next.lock_count = state.lock_count + 1;
  next.locked_at = now;
  const absl::Duration duration = LockDuration(policy, next.lock_count);
  if (duration == absl::InfiniteDuration()) {
    next.locked_indefinitely = true;
    next.locked_until = absl::InfinitePast();
  } else {
    next.locked_until = now + duration;
  }
  outcome.locked_now = true;
  return outcome;
}

}  // namespace uwallet::auth
