#include "services/payments/core/schedule.h"

#include <algorithm>

namespace uwallet::payments {
namespace {

absl::Time MonthlyAt(absl::Time starts_at, int64_t months, absl::TimeZone zone) {
  const absl::CivilSecond start = absl::ToCivilSecond(starts_at, zone);
  const absl::CivilMonth month = absl::CivilMonth(start) + months;
  const absl::CivilDay last_day = absl::CivilDay(month + 1) - 1;
  const int day = std::min<int>(start.day(), last_day.day());
  return absl::FromCivil(absl::CivilSecond(month.year(), month.month(), day, start.hour(),
                                           start.minute(), start.second()),
                         zone);
}

}  // namespace

absl::Time NextPeriodStart(Cadence cadence, absl::Time starts_at, absl::Time period_start,
                           absl::TimeZone zone) {
  switch (cadence) {
    case Cadence::kDaily:
      return period_start + absl::Hours(24);
    case Cadence::kWeekly:
      return period_start + absl::Hours(24 * 7);
    case Cadence::kMonthly: {
      const absl::CivilMonth first(absl::ToCivilSecond(starts_at, zone));
      const absl::CivilMonth current(absl::ToCivilSecond(period_start, zone));
      return MonthlyAt(starts_at, (current - first) + 1, zone);
    }
    default:
      return absl::InfiniteFuture();
  }
}

}  // namespace uwallet::payments
