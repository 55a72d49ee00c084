#pragma once
// SLA timers counted in business hours of a configured calendar (Zammad-style): a target of
// "4 business hours" opened on Friday 17:00 is due Monday 12:00. Pending customer pauses the clock.

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/support/core/model.h"

namespace uwallet::support {

struct BusinessCalendar {
  absl::TimeZone zone;
  int day_start_minute = 9 * 60;  // 09:00 local
  int day_end_minute = 18 * 60;   // 18:00 local
  std::set<absl::CivilDay> holidays;
  // Weekday flags, Monday first.
  std::array<bool, 7> working_weekdays = {true, true, true, true, true, false, false};

  // "Asia/Shanghai", "09:00", "18:00", "2026-10-01,2026-10-02" → calendar (weekdays Mon–Fri).
  static absl::StatusOr<BusinessCalendar> Parse(const std::string& time_zone,
                                                const std::string& day_start,
                                                const std::string& day_end,
                                                const std::string& holidays_csv);
  static BusinessCalendar Default();  // Asia/Shanghai, 09:00–18:00, no holidays

  [[nodiscard]] bool IsWorkingDay(absl::CivilDay day) const;
  // `start` plus `business` of working time (counting only opening hours).
  [[nodiscard]] absl::Time AddBusinessTime(absl::Time start, absl::Duration business) const;
  // Working time between a and b (0 when b <= a).
  [[nodiscard]] absl::Duration BusinessTimeBetween(absl::Time a, absl::Time b) const;
};

// Days scanned at most when moving along the calendar (a bound on every loop).
inline constexpr int kCalendarDaysScannedMax = 3 * 366;

struct SlaTargets {
  absl::Duration first_response;
  absl::Duration resolution;
};

struct SlaPolicy {
  // Index: Priority value (1..4); [0] unused.
  std::array<SlaTargets, kPriorityMax + 1> targets;
  BusinessCalendar calendar;

  static SlaPolicy Default();
  // "low=8h/72h,normal=4h/40h,high=2h/16h,urgent=30m/8h": first response / resolution, business
  // time.
  static absl::StatusOr<SlaPolicy> Parse(const std::string& spec, BusinessCalendar calendar);

  [[nodiscard]] const SlaTargets& For(Priority priority) const {
    return targets[static_cast<int>(priority)];
  }
  // Due times for a ticket opened at `now`.
  void Start(Ticket& ticket, absl::Time now) const;
  // Pending customer: stop the clock.
  void Pause(Ticket& ticket, absl::Time now) const;
  // Back to open: the remaining business time counts from now.
  void Resume(Ticket& ticket, absl::Time now) const;
  // A first-response or resolution target has passed (the clock does not run while paused).
  [[nodiscard]] bool Breached(const Ticket& ticket, absl::Time now) const;
  [[nodiscard]] bool FirstResponseMet(const Ticket& ticket) const;
  [[nodiscard]] bool ResolutionMet(const Ticket& ticket) const;
};

}  // namespace uwallet::support
