#pragma once
// When scheduled transfers run: periods start at starts_at and repeat daily, weekly or monthly
// (monthly keeps starts_at's day of month; on shorter months the last day), in the service's time
// zone so that "every month on the 31st" means the same wall-clock time.

#include "absl/time/time.h"
#include "services/payments/core/model.h"

namespace uwallet::payments {

// The payment key of a schedule run: "schedule:<schedule id>:<period start, unix seconds>".
inline constexpr char kScheduleKeyPrefix[] = "schedule:";

// The period start after `period_start` (the n-th period start computed from starts_at, so that a
// clamped short month does not drift the day).
[[nodiscard]] absl::Time NextPeriodStart(Cadence cadence, absl::Time starts_at,
                                         absl::Time period_start, absl::TimeZone zone);

}  // namespace uwallet::payments
