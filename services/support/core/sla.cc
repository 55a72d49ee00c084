#include "services/support/core/sla.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

absl::StatusOr<int> ParseClockMinute(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  int hours = 0;
  int minutes = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &hours) ||
      !absl::SimpleAtoi(parts[1], &minutes) || hours < 0 || hours > 24 || minutes < 0 ||
      minutes > 59 || hours * 60 + minutes > 24 * 60) {
    return absl::InvalidArgumentError("time of day must be HH:MM: " + text);
  }
  return hours * 60 + minutes;
}

int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 6;
}

}  // namespace

absl::StatusOr<BusinessCalendar> BusinessCalendar::Parse(const std::string& time_zone,
                                                         const std::string& day_start,
                                                         const std::string& day_end,
                                                         const std::string& holidays_csv) {
  BusinessCalendar calendar;
  if (!absl::LoadTimeZone(time_zone, &calendar.zone)) {
    return absl::InvalidArgumentError("unknown time zone " + time_zone);
  }
  UW_ASSIGN_OR_RETURN(calendar.day_start_minute, ParseClockMinute(day_start));
  UW_ASSIGN_OR_RETURN(calendar.day_end_minute, ParseClockMinute(day_end));
  if (calendar.day_end_minute <= calendar.day_start_minute) {
    return absl::InvalidArgumentError("business day must end after it starts");
  }
  for (absl::string_view item : absl::StrSplit(holidays_csv, ',', absl::SkipWhitespace())) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(absl::StripAsciiWhitespace(item), &day)) {
      return absl::InvalidArgumentError("holiday must be YYYY-MM-DD: " + std::string(item));
    }
    calendar.holidays.insert(day);
  }
  return calendar;
}

BusinessCalendar BusinessCalendar::Default() {
  BusinessCalendar calendar;
  if (!absl::LoadTimeZone("Asia/Shanghai", &calendar.zone)) {
    calendar.zone = absl::FixedTimeZone(8 * 3600);  // no tzdata: China has no DST
  }
  return calendar;
}

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  return working_weekdays[WeekdayIndex(day)] && holidays.count(day) == 0;
}

absl::Time BusinessCalendar::AddBusinessTime(absl::Time start, absl::Duration business) const {
  absl::Duration remaining = std::max(business, absl::ZeroDuration());
  absl::CivilDay day = absl::ToCivilDay(start, zone);
  for (int scanned = 0; scanned < kCalendarDaysScannedMax; ++scanned, ++day) {
    if (!IsWorkingDay(day)) continue;
    absl::Time open = absl::FromCivil(absl::CivilMinute(day) + day_start_minute, zone);
    absl::Time close = absl::FromCivil(absl::CivilMinute(day) + day_end_minute, zone);
    absl::Time from = std::max(open, start);
    if (from >= close) continue;
    if (remaining <= absl::ZeroDuration()) return from;
    if (from + remaining <= close) return from + remaining;
    remaining -= close - from;
  }
  return absl::InfiniteFuture();  // no working time within the bound: never due
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time a, absl::Time b) const {
  if (b <= a) return absl::ZeroDuration();
  absl::Duration total = absl::ZeroDuration();
  absl::CivilDay day = absl::ToCivilDay(a, zone);
  const absl::CivilDay last = absl::ToCivilDay(b, zone);
  for (int scanned = 0; scanned < kCalendarDaysScannedMax && day <= last; ++scanned, ++day) {
    if (!IsWorkingDay(day)) continue;
    absl::Time open = absl::FromCivil(absl::CivilMinute(day) + day_start_minute, zone);
    absl::Time close = absl::FromCivil(absl::CivilMinute(day) + day_end_minute, zone);
    absl::Time from = std::max(open, a);
    absl::Time to = std::min(close, b);
    if (to > from) total += to - from;
  }
  return total;
}

SlaPolicy SlaPolicy::Default() {
  SlaPolicy policy;
  policy.targets[static_cast<int>(Priority::kLow)] = {absl::Hours(8), absl::Hours(72)};
  policy.targets[static_cast<int>(Priority::kNormal)] = {absl::Hours(4), absl::Hours(40)};
  policy.targets[static_cast<int>(Priority::kHigh)] = {absl::Hours(2), absl::Hours(16)};
  policy.targets[static_cast<int>(Priority::kUrgent)] = {absl::Minutes(30), absl::Hours(8)};
  policy.calendar = BusinessCalendar::Default();
  return policy;
}

absl::StatusOr<SlaPolicy> SlaPolicy::Parse(const std::string& spec, BusinessCalendar calendar) {
  SlaPolicy policy = Default();
  policy.calendar = std::move(calendar);
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::vector<std::string> name_value = absl::StrSplit(item, '=');
    if (name_value.size() != 2) return absl::InvalidArgumentError("SLA item must be name=a/b");
    std::vector<std::string> durations = absl::StrSplit(name_value[1], '/');
    SlaTargets targets;
    if (durations.size() != 2 || !absl::ParseDuration(durations[0], &targets.first_response) ||
        !absl::ParseDuration(durations[1], &targets.resolution) ||
        targets.first_response <= absl::ZeroDuration() ||
        targets.resolution < targets.first_response) {
      return absl::InvalidArgumentError("SLA targets must be first/resolution durations: " +
                                        std::string(item));
    }
    const std::string name(absl::StripAsciiWhitespace(name_value[0]));
    int index = name == "low"      ? 1
                : name == "normal" ? 2
                : name == "high"   ? 3
                : name == "urgent" ? 4
                                   : 0;
    if (index == 0) return absl::InvalidArgumentError("unknown SLA priority " + name);
    policy.targets[index] = targets;
  }
  return policy;
}

void SlaPolicy::Start(Ticket& ticket, absl::Time now) const {
  const SlaTargets& t = For(ticket.priority);
  ticket.first_response_due_at = calendar.AddBusinessTime(now, t.first_response);
  ticket.resolution_due_at = calendar.AddBusinessTime(now, t.resolution);
  ticket.sla_paused_at.reset();
  ticket.sla_paused_s = 0;
}

void SlaPolicy::Pause(Ticket& ticket, absl::Time now) const {
  if (!ticket.sla_paused_at) ticket.sla_paused_at = now;
}

void SlaPolicy::Resume(Ticket& ticket, absl::Time now) const {
  if (!ticket.sla_paused_at) return;
  const absl::Time paused_at = *ticket.sla_paused_at;
  ticket.sla_paused_at.reset();
  ticket.sla_paused_s +=
      absl::ToInt64Seconds(calendar.BusinessTimeBetween(paused_at, std::max(now, paused_at)));
  // What was left of each target when the clock stopped now counts from `now`. A target that had
  // already passed stays where it was (still breached).
  auto shift = [&](absl::Time due) {
    if (due <= paused_at || due == absl::InfiniteFuture()) return due;
    return calendar.AddBusinessTime(now, calendar.BusinessTimeBetween(paused_at, due));
  };
  if (!ticket.first_responded_at)
    ticket.first_response_due_at = shift(ticket.first_response_due_at);
  ticket.resolution_due_at = shift(ticket.resolution_due_at);
}

bool SlaPolicy::Breached(const Ticket& ticket, absl::Time now) const {
  // While paused the clock stands at the moment it stopped.
  const absl::Time effective = ticket.sla_paused_at ? *ticket.sla_paused_at : now;
  const absl::Time first = ticket.first_responded_at ? *ticket.first_responded_at : effective;
  if (first > ticket.first_response_due_at) return true;
  const absl::Time resolved = ticket.resolved_at ? *ticket.resolved_at : effective;
  return resolved > ticket.resolution_due_at;
}

bool SlaPolicy::FirstResponseMet(const Ticket& ticket) const {
  return ticket.first_responded_at && *ticket.first_responded_at <= ticket.first_response_due_at;
}

bool SlaPolicy::ResolutionMet(const Ticket& ticket) const {
  return ticket.resolved_at && *ticket.resolved_at <= ticket.resolution_due_at;
}

}  // namespace uwallet::support
