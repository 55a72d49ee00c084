// SLA in business hours with a fake clock: weekends, holidays, opening hours, pause/resume.
#include <catch2/catch.hpp>

#include "services/support/core/sla.h"

namespace uwallet::support {
namespace {

BusinessCalendar Shanghai(const std::string& holidays = "") {
  auto calendar = BusinessCalendar::Parse("Asia/Shanghai", "09:00", "18:00", holidays);
  REQUIRE(calendar.ok());
  return *calendar;
}

absl::Time Local(int y, int m, int d, int hh, int mm, const BusinessCalendar& calendar) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), calendar.zone);
}

// 2026-11-20 is a Friday.
TEST_CASE("business time skips nights and weekends") {
  BusinessCalendar c = Shanghai();
  // Friday 17:00 + 4h: 1h on Friday, 3h on Monday from 09:00.
  CHECK(c.AddBusinessTime(Local(2026, 11, 20, 17, 0, c), absl::Hours(4)) ==
        Local(2026, 11, 23, 12, 0, c));
  // Saturday: nothing counts until Monday 09:00.
  CHECK(c.AddBusinessTime(Local(2026, 11, 21, 10, 0, c), absl::Hours(4)) ==
        Local(2026, 11, 23, 13, 0, c));
  // Before opening: from 09:00.
  CHECK(c.AddBusinessTime(Local(2026, 11, 24, 7, 30, c), absl::Hours(4)) ==
        Local(2026, 11, 24, 13, 0, c));
  // After closing: the next morning.
  CHECK(c.AddBusinessTime(Local(2026, 11, 24, 19, 0, c), absl::Minutes(30)) ==
        Local(2026, 11, 25, 9, 30, c));
  // 40 business hours = 4 days and 4 hours.
  CHECK(c.AddBusinessTime(Local(2026, 11, 23, 9, 0, c), absl::Hours(40)) ==
        Local(2026, 11, 27, 13, 0, c));
  CHECK(c.BusinessTimeBetween(Local(2026, 11, 20, 17, 0, c), Local(2026, 11, 23, 10, 0, c)) ==
        absl::Hours(2));
  CHECK(c.BusinessTimeBetween(Local(2026, 11, 23, 10, 0, c), Local(2026, 11, 20, 17, 0, c)) ==
        absl::ZeroDuration());
}

TEST_CASE("holidays do not count") {
  BusinessCalendar c = Shanghai("2026-11-23, 2026-11-24");
  CHECK(c.AddBusinessTime(Local(2026, 11, 20, 17, 0, c), absl::Hours(4)) ==
        Local(2026, 11, 25, 12, 0, c));
  CHECK_FALSE(c.IsWorkingDay(absl::CivilDay(2026, 11, 23)));
  CHECK(c.IsWorkingDay(absl::CivilDay(2026, 11, 25)));
}

TEST_CASE("calendar and policy configuration errors are reported") {
  CHECK_FALSE(BusinessCalendar::Parse("Mars/Olympus", "09:00", "18:00", "").ok());
  CHECK_FALSE(BusinessCalendar::Parse("Asia/Shanghai", "18:00", "09:00", "").ok());
  CHECK_FALSE(BusinessCalendar::Parse("Asia/Shanghai", "9", "18:00", "").ok());
  CHECK_FALSE(BusinessCalendar::Parse("Asia/Shanghai", "09:00", "18:00", "2026-13-01").ok());
  CHECK_FALSE(SlaPolicy::Parse("normal=4h", Shanghai()).ok());
  CHECK_FALSE(SlaPolicy::Parse("critical=1h/2h", Shanghai()).ok());
  CHECK_FALSE(SlaPolicy::Parse("normal=4h/1h", Shanghai()).ok());
  auto policy = SlaPolicy::Parse("urgent=15m/4h", Shanghai());
  REQUIRE(policy.ok());
  CHECK(policy->For(Priority::kUrgent).first_response == absl::Minutes(15));
  CHECK(policy->For(Priority::kNormal).first_response == absl::Hours(4));  // default kept
}

TEST_CASE("pending customer pauses the SLA clock and resuming moves the due times") {
  SlaPolicy policy = SlaPolicy::Default();
  const BusinessCalendar& c = policy.calendar;
  Ticket t;
  t.priority = Priority::kNormal;  // 4h / 40h
  policy.Start(t, Local(2026, 11, 23, 9, 0, c));
  CHECK(t.first_response_due_at == Local(2026, 11, 23, 13, 0, c));
  CHECK(t.resolution_due_at == Local(2026, 11, 27, 13, 0, c));

  policy.Pause(t, Local(2026, 11, 23, 10, 0, c));
  // Paused for days: never breached meanwhile.
  CHECK_FALSE(policy.Breached(t, Local(2026, 11, 30, 10, 0, c)));
  policy.Resume(t, Local(2026, 11, 24, 10, 0, c));
  // 3h of first response were left: Tuesday 13:00. 39h of resolution: from Tue 10:00.
  CHECK(t.first_response_due_at == Local(2026, 11, 24, 13, 0, c));
  CHECK(t.resolution_due_at == c.AddBusinessTime(Local(2026, 11, 24, 10, 0, c), absl::Hours(39)));
  CHECK(t.sla_paused_s == 9 * 3600);  // Mon 10–18 and Tue 09–10
  CHECK_FALSE(t.sla_paused_at.has_value());

  CHECK_FALSE(policy.Breached(t, Local(2026, 11, 24, 12, 59, c)));
  CHECK(policy.Breached(t, Local(2026, 11, 24, 13, 1, c)));
  t.first_responded_at = Local(2026, 11, 24, 12, 0, c);
  CHECK_FALSE(policy.Breached(t, Local(2026, 11, 24, 13, 1, c)));
  CHECK(policy.FirstResponseMet(t));
  CHECK_FALSE(policy.ResolutionMet(t));
  t.resolved_at = Local(2026, 11, 25, 9, 0, c);
  CHECK(policy.ResolutionMet(t));
}

TEST_CASE("a target that passed before the pause stays breached") {
  SlaPolicy policy = SlaPolicy::Default();
  const BusinessCalendar& c = policy.calendar;
  Ticket t;
  t.priority = Priority::kUrgent;  // 30m first response
  policy.Start(t, Local(2026, 11, 23, 9, 0, c));
  policy.Pause(t, Local(2026, 11, 23, 11, 0, c));
  CHECK(policy.Breached(t, Local(2026, 11, 23, 11, 0, c)));
  policy.Resume(t, Local(2026, 11, 24, 9, 0, c));
  CHECK(t.first_response_due_at == Local(2026, 11, 23, 9, 30, c));
  CHECK(policy.Breached(t, Local(2026, 11, 24, 9, 0, c)));
}

}  // namespace
}  // namespace uwallet::support
