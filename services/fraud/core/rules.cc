#include "services/fraud/core/rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/fraud/core/errors.h"

namespace uwallet::fraud {
namespace {

int64_t CountSince(const std::vector<absl::Time>& times, absl::Time since, absl::Time until) {
  return std::count_if(times.begin(), times.end(),
                       [&](absl::Time t) { return t > since && t <= until; });
}

const SeenItem* Find(const std::vector<SeenItem>& items, const std::string& id) {
  for (const SeenItem& item : items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

// Each predicate returns "" when the rule does not fire, else what it saw (for analysts).
std::string AfterCredentialChange(const Features& f, const Rule& rule, const AssessInput& in,
                                  absl::Time now) {
  if (!MovesMoneyOut(in.kind) || in.amount_minor < rule.threshold) return "";
  const absl::Time changed = std::max(f.last_password_change, f.last_two_factor_change);
  if (changed == absl::InfinitePast() || now - changed >= absl::Seconds(rule.window_s)) return "";
  return absl::StrCat("money out ", absl::ToInt64Seconds(now - changed),
                      "s after a password or 2FA change");
}

std::string NewDeviceLargeAmount(const Features& f, const Rule& rule, const AssessInput& in,
                                 absl::Time now) {
  if (!MovesMoneyOut(in.kind) || in.amount_minor < rule.threshold) return "";
  const SeenItem* device = in.device_id.empty() ? nullptr : Find(f.devices, in.device_id);
  if (device != nullptr && now - device->first_seen >= absl::Seconds(rule.window_s)) return "";
  return absl::StrCat(device == nullptr ? "unknown device" : "device first seen recently",
                      " and amount ", in.amount_minor, " >= ", rule.threshold);
}

std::string AmountAboveUsual(const Features& f, const Rule& rule, const AssessInput& in,
                             absl::Time) {
  if (!MovesMoneyOut(in.kind) || f.amount_count < kUsualAmountSamplesMin) return "";
  const int64_t mean_minor = std::max<int64_t>(1, f.amount_sum_minor / f.amount_count);
  // threshold is a percentage of the mean: 500 = five times the usual amount. Compared in double
  // only to avoid int64 overflow for extreme thresholds; no money is computed with it.
  if (static_cast<double>(in.amount_minor) * 100.0 <
      static_cast<double>(mean_minor) * static_cast<double>(rule.threshold)) {
    return "";
  }
  return absl::StrCat("amount ", in.amount_minor, " vs usual ", mean_minor, " (", f.amount_count,
                      " payments)");
}

std::string Velocity(const Features& f, const Rule& rule, const AssessInput& in, absl::Time now) {
  if (!MovesMoneyOut(in.kind)) return "";
  const int64_t recent = CountSince(f.payments, now - absl::Seconds(rule.window_s), now);
  if (recent < rule.threshold) return "";
  return absl::StrCat(recent, " payments in the last ", rule.window_s, "s");
}

std::string ManyNewPayees(const Features& f, const Rule& rule, const AssessInput& in,
                          absl::Time now) {
  if (!MovesMoneyOut(in.kind) || in.counterparty_id.empty()) return "";
  if (Find(f.payees, in.counterparty_id) != nullptr) return "";  // paying a known payee
  const absl::Time since = now - absl::Seconds(rule.window_s);
  int64_t fresh = 1;  // this payee is new
  for (const SeenItem& payee : f.payees) {
    if (payee.first_seen > since) ++fresh;
  }
  if (fresh < rule.threshold) return "";
  return absl::StrCat(fresh, " new payees in the last ", rule.window_s, "s");
}

std::string FailedLoginsThenSuccess(const Features& f, const Rule& rule, const AssessInput&,
                                    absl::Time now) {
  const absl::Duration window = absl::Seconds(rule.window_s);
  if (f.last_login_success == absl::InfinitePast() || now - f.last_login_success >= window) {
    return "";
  }
  const int64_t failures =
      CountSince(f.failed_logins, f.last_login_success - window, f.last_login_success);
  if (failures < rule.threshold) return "";
  return absl::StrCat(failures, " failed logins before the last successful one");
}

std::string PinFailures(const Features& f, const Rule& rule, const AssessInput&, absl::Time now) {
  const int64_t failures = CountSince(f.pin_failures, now - absl::Seconds(rule.window_s), now);
  if (failures < rule.threshold) return "";
  return absl::StrCat(failures, " payment PIN failures in the last ", rule.window_s, "s");
}

using Predicate = std::string (*)(const Features&, const Rule&, const AssessInput&, absl::Time);

struct Known {
  const char* rule_id;
  const char* code;
  Predicate predicate;
};
constexpr Known kKnown[] = {
    {rule_ids::kAfterCredentialChange, "AFTER_CREDENTIAL_CHANGE", &AfterCredentialChange},
    {rule_ids::kNewDeviceLargeAmount, "NEW_DEVICE_LARGE_AMOUNT", &NewDeviceLargeAmount},
    {rule_ids::kAmountAboveUsual, "AMOUNT_ABOVE_USUAL", &AmountAboveUsual},
    {rule_ids::kVelocity, "VELOCITY", &Velocity},
    {rule_ids::kManyNewPayees, "MANY_NEW_PAYEES", &ManyNewPayees},
    {rule_ids::kFailedLoginsThenSuccess, "FAILED_LOGINS_THEN_SUCCESS", &FailedLoginsThenSuccess},
    {rule_ids::kPinFailures, "PIN_FAILURES", &PinFailures},
};

const Known* FindKnown(const std::string& rule_id) {
  for (const Known& known : kKnown) {
    if (rule_id == known.rule_id) return &known;
  }
  return nullptr;
}

Decision FromScore(int score) {
  if (score >= kDeclineScore) return Decision::kDecline;
  if (score >= kReviewScore) return Decision::kReview;
  if (score >= kChallengeScore) return Decision::kChallenge;
  return Decision::kAllow;
}

}  // namespace

bool MovesMoneyOut(ActivityKind kind) {
  return kind == ActivityKind::kTransfer || kind == ActivityKind::kMerchantPayment ||
         kind == ActivityKind::kWithdrawal || kind == ActivityKind::kScheduledTransfer;
}

std::vector<Rule> DefaultRules() {
  auto make = [](const char* id, const char* name, const char* description, int64_t threshold,
                 int64_t window_s, int score, Decision decision) {
    Rule rule;
    rule.rule_id = id;
    rule.name = name;
    rule.description = description;
    rule.threshold = threshold;
    rule.window_s = window_s;
    rule.score = score;
    rule.decision = decision;
    rule.updated_by = "system";
    return rule;
  };
  return {
      make(rule_ids::kAfterCredentialChange, "Money out soon after a credential change",
           "Fires when money leaves within window_s of a password reset/change or a 2FA change "
           "and the amount (minor units) is at least threshold.",
           0, 24 * 3600, 350, Decision::kChallenge),
      make(rule_ids::kNewDeviceLargeAmount, "New device and large amount",
           "Fires when the session's device is unknown or was first seen within window_s and the "
           "amount (minor units) is at least threshold.",
           100'000, 24 * 3600, 300, Decision::kChallenge),
      make(rule_ids::kAmountAboveUsual, "Amount far above the usual",
           "Fires when the amount is at least threshold percent of the user's mean payment (with "
           "at least 3 past payments). window_s is unused.",
           500, 0, 250, Decision::kChallenge),
      make(rule_ids::kVelocity, "Many payments in a short window",
           "Fires when the user already made at least threshold payments within window_s.", 10, 600,
           350, Decision::kReview),
      make(rule_ids::kManyNewPayees, "Many new payees",
           "Fires when paying an unknown payee makes at least threshold payees first paid within "
           "window_s.",
           5, 24 * 3600, 250, Decision::kChallenge),
      make(rule_ids::kFailedLoginsThenSuccess, "Failed logins, then a success",
           "Fires when the last successful login was within window_s and at least threshold "
           "failed logins came in the window_s before it.",
           5, 3600, 300, Decision::kChallenge),
      make(rule_ids::kPinFailures, "Payment PIN failures",
           "Fires when the payment PIN was entered wrongly at least threshold times within "
           "window_s.",
           3, 3600, 300, Decision::kReview),
  };
}

absl::Status ValidateRule(const Rule& rule) {
  if (FindKnown(rule.rule_id) == nullptr) return NotFound("no such rule");
  if (rule.mode != RuleMode::kEnabled && rule.mode != RuleMode::kShadow &&
      rule.mode != RuleMode::kDisabled) {
    return InvalidField("mode must be enabled, shadow or disabled");
  }
  if (rule.threshold < 0 || rule.threshold > int64_t{1'000'000'000'000}) {
    return InvalidField("threshold must be 0..10^12");
  }
  if (rule.window_s < 0 || rule.window_s > kWindowMax_s) {
    return InvalidField("window_s must be 0..90 days");
  }
  if (rule.score < 0 || rule.score > kScoreMax) return InvalidField("score must be 0..1000");
  if (rule.decision == Decision::kAllow || static_cast<int>(rule.decision) < 0 ||
      static_cast<int>(rule.decision) > 4) {
    return InvalidField("decision must be unspecified, challenge, review or decline");
  }
  return absl::OkStatus();
}

Assessment Evaluate(const Features& features, const std::vector<Rule>& rules,
                    const AssessInput& input, absl::Time now) {
  Assessment out;
  int score = 0;
  Decision forced = Decision::kAllow;
  for (const Rule& rule : rules) {
    if (rule.mode == RuleMode::kDisabled || rule.mode == RuleMode::kUnspecified) continue;
    const Known* known = FindKnown(rule.rule_id);
    if (known == nullptr) continue;
    std::string seen = known->predicate(features, rule, input, now);
    if (seen.empty()) continue;
    Reason reason{rule.rule_id, known->code, std::move(seen), rule.score};
    if (rule.mode == RuleMode::kShadow) {
      out.shadow_reasons.push_back(std::move(reason));
      continue;
    }
    score += rule.score;
    if (rule.decision != Decision::kUnspecified) forced = std::max(forced, rule.decision);
    out.reasons.push_back(std::move(reason));
  }
  out.score = std::min(score, kScoreMax);
  out.decision = std::max(forced, FromScore(out.score));
  if (out.decision == Decision::kChallenge && input.step_up_verified) {
    out.decision = Decision::kAllow;
  }
  return out;
}

}  // namespace uwallet::fraud
