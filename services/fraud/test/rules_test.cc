// Every rule on a crafted history (built by replaying events through ApplyEvent), each with a
// negative case; shadow mode; score bands; step-up.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/features.h"
#include "services/fraud/core/rules.h"

namespace uwallet::fraud {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

struct History {
  Features features;
  int next_id = 1;
  void Add(const std::string& type, absl::Time at,
           nlohmann::json payload = nlohmann::json::object(),
           const std::string& subject = "user-1") {
    RiskEvent event{absl::StrCat("event-", next_id++), type, subject, payload.dump(), at};
    REQUIRE(ApplyEvent(event, &features).ok());
  }
  void Pay(absl::Time at, int64_t amount, const std::string& payee) {
    Add("ledger.transfer_posted", at,
        {{"transfer_id", absl::StrCat("t-", next_id)},
         {"amount_minor", amount},
         {"currency", "CNY"},
         {"kind", 3},
         {"debit_owner_id", "user-1"},
         {"debit_account_kind", 1},
         {"credit_owner_id", payee},
         {"credit_account_kind", 1}});
  }
};

AssessInput Transfer(int64_t amount, const std::string& payee = "payee-known",
                     const std::string& device = "device-old") {
  return {.user_id = "user-1",
          .kind = ActivityKind::kTransfer,
          .amount_minor = amount,
          .currency = "CNY",
          .counterparty_id = payee,
          .device_id = device};
}

// Only the named rule, enabled, so each test isolates one rule.
std::vector<Rule> Only(const std::string& rule_id, RuleMode mode = RuleMode::kEnabled) {
  std::vector<Rule> rules;
  for (Rule rule : DefaultRules()) {
    rule.mode = rule.rule_id == rule_id ? mode : RuleMode::kDisabled;
    rules.push_back(rule);
  }
  return rules;
}

// A user with an established device, a known payee and a few ordinary payments long ago.
History Established() {
  History h;
  h.Add("auth.new_device", kNow - absl::Hours(24 * 60), {{"device_id", "device-old"}});
  for (int i = 0; i < 4; ++i) h.Pay(kNow - absl::Hours(24 * (30 - i)), 10'000, "payee-known");
  return h;
}

bool Fired(const Assessment& a, const std::string& rule_id) {
  for (const Reason& r : a.reasons) {
    if (r.rule_id == rule_id) return true;
  }
  return false;
}

TEST_CASE("an established user paying as usual is allowed with no reasons") {
  History h = Established();
  Assessment a = Evaluate(h.features, DefaultRules(), Transfer(12'000), kNow);
  CHECK(a.decision == Decision::kAllow);
  CHECK(a.score == 0);
  CHECK(a.reasons.empty());
  CHECK(a.shadow_reasons.empty());
}

TEST_CASE("transfer soon after a password reset or 2FA change") {
  const auto rules = Only(rule_ids::kAfterCredentialChange);
  SECTION("password reset an hour ago fires and challenges") {
    History h = Established();
    h.Add("auth.password_reset", kNow - absl::Hours(1));
    Assessment a = Evaluate(h.features, rules, Transfer(12'000), kNow);
    CHECK(Fired(a, rule_ids::kAfterCredentialChange));
    CHECK(a.decision == Decision::kChallenge);
  }
  SECTION("2FA change fires too") {
    History h = Established();
    h.Add("auth.totp_changed", kNow - absl::Minutes(5), {{"enabled", false}});
    CHECK(Fired(Evaluate(h.features, rules, Transfer(12'000), kNow),
                rule_ids::kAfterCredentialChange));
  }
  SECTION("negative: the change was two days ago") {
    History h = Established();
    h.Add("auth.password_changed", kNow - absl::Hours(48));
    Assessment a = Evaluate(h.features, rules, Transfer(12'000), kNow);
    CHECK_FALSE(Fired(a, rule_ids::kAfterCredentialChange));
    CHECK(a.decision == Decision::kAllow);
  }
  SECTION("negative: a top-up brings money in") {
    History h = Established();
    h.Add("auth.password_reset", kNow - absl::Hours(1));
    AssessInput in = Transfer(12'000);
    in.kind = ActivityKind::kTopUp;
    CHECK_FALSE(Fired(Evaluate(h.features, rules, in, kNow), rule_ids::kAfterCredentialChange));
  }
}

TEST_CASE("new device plus large amount") {
  const auto rules = Only(rule_ids::kNewDeviceLargeAmount);
  History h = Established();
  h.Add("auth.new_device", kNow - absl::Minutes(10), {{"device_id", "device-new"}});
  SECTION("a device seen 10 minutes ago and 1000.00 fires") {
    Assessment a =
        Evaluate(h.features, rules, Transfer(100'000, "payee-known", "device-new"), kNow);
    CHECK(Fired(a, rule_ids::kNewDeviceLargeAmount));
    CHECK(a.decision == Decision::kChallenge);
  }
  SECTION("an unknown device fires") {
    CHECK(Fired(Evaluate(h.features, rules, Transfer(150'000, "payee-known", "device-x"), kNow),
                rule_ids::kNewDeviceLargeAmount));
  }
  SECTION("negative: new device but a small amount") {
    CHECK_FALSE(
        Fired(Evaluate(h.features, rules, Transfer(99'999, "payee-known", "device-new"), kNow),
              rule_ids::kNewDeviceLargeAmount));
  }
  SECTION("negative: large amount from the old device") {
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(500'000), kNow),
                      rule_ids::kNewDeviceLargeAmount));
  }
}

TEST_CASE("amount far above the user's usual") {
  const auto rules = Only(rule_ids::kAmountAboveUsual);
  History h = Established();  // mean 100.00
  SECTION("six times the mean fires") {
    CHECK(Fired(Evaluate(h.features, rules, Transfer(60'000), kNow), rule_ids::kAmountAboveUsual));
  }
  SECTION("exactly the threshold (5x) fires") {
    CHECK(Fired(Evaluate(h.features, rules, Transfer(50'000), kNow), rule_ids::kAmountAboveUsual));
  }
  SECTION("negative: four times the mean") {
    CHECK_FALSE(
        Fired(Evaluate(h.features, rules, Transfer(40'000), kNow), rule_ids::kAmountAboveUsual));
  }
  SECTION("negative: too little history to know what is usual") {
    History fresh;
    fresh.Pay(kNow - absl::Hours(5), 100, "payee-known");
    CHECK_FALSE(Fired(Evaluate(fresh.features, rules, Transfer(1'000'000), kNow),
                      rule_ids::kAmountAboveUsual));
  }
}

TEST_CASE("many payments in a short window (velocity)") {
  const auto rules = Only(rule_ids::kVelocity);
  SECTION("ten payments in the last ten minutes fire and force review") {
    History h = Established();
    for (int i = 0; i < 10; ++i) h.Pay(kNow - absl::Seconds(30 * (i + 1)), 1'000, "payee-known");
    Assessment a = Evaluate(h.features, rules, Transfer(1'000), kNow);
    CHECK(Fired(a, rule_ids::kVelocity));
    CHECK(a.decision == Decision::kReview);
  }
  SECTION("negative: nine in the window, others older") {
    History h = Established();
    for (int i = 0; i < 9; ++i) h.Pay(kNow - absl::Seconds(30 * (i + 1)), 1'000, "payee-known");
    h.Pay(kNow - absl::Minutes(11), 1'000, "payee-known");
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(1'000), kNow), rule_ids::kVelocity));
  }
}

TEST_CASE("many new payees") {
  const auto rules = Only(rule_ids::kManyNewPayees);
  History h = Established();
  for (int i = 0; i < 4; ++i) h.Pay(kNow - absl::Hours(i + 1), 1'000, absl::StrCat("fresh-", i));
  SECTION("a fifth new payee today fires") {
    CHECK(Fired(Evaluate(h.features, rules, Transfer(1'000, "fresh-9"), kNow),
                rule_ids::kManyNewPayees));
  }
  SECTION("negative: paying a payee already known") {
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(1'000, "fresh-1"), kNow),
                      rule_ids::kManyNewPayees));
  }
  SECTION("negative: the other new payees were added last week") {
    History old = Established();
    for (int i = 0; i < 4; ++i) {
      old.Pay(kNow - absl::Hours(24 * 7 + i), 1'000, absl::StrCat("fresh-", i));
    }
    CHECK_FALSE(Fired(Evaluate(old.features, rules, Transfer(1'000, "fresh-9"), kNow),
                      rule_ids::kManyNewPayees));
  }
}

TEST_CASE("many failed logins, then a success") {
  const auto rules = Only(rule_ids::kFailedLoginsThenSuccess);
  SECTION("five failures then a success fire") {
    History h = Established();
    for (int i = 0; i < 5; ++i) h.Add("auth.login_failed", kNow - absl::Minutes(20 - i));
    h.Add("auth.login_succeeded", kNow - absl::Minutes(10), {{"device_id", "device-old"}});
    CHECK(Fired(Evaluate(h.features, rules, Transfer(1'000), kNow),
                rule_ids::kFailedLoginsThenSuccess));
  }
  SECTION("negative: four failures") {
    History h = Established();
    for (int i = 0; i < 4; ++i) h.Add("auth.login_failed", kNow - absl::Minutes(20 - i));
    h.Add("auth.login_succeeded", kNow - absl::Minutes(10));
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(1'000), kNow),
                      rule_ids::kFailedLoginsThenSuccess));
  }
  SECTION("negative: failures but no success since") {
    History h = Established();
    for (int i = 0; i < 8; ++i) h.Add("auth.login_failed", kNow - absl::Minutes(20 - i));
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(1'000), kNow),
                      rule_ids::kFailedLoginsThenSuccess));
  }
}

TEST_CASE("payment PIN failures") {
  const auto rules = Only(rule_ids::kPinFailures);
  SECTION("three PIN failures in the hour fire and force review") {
    History h = Established();
    for (int i = 0; i < 3; ++i) h.Add("payments.pin_failed", kNow - absl::Minutes(5 + i));
    Assessment a = Evaluate(h.features, rules, Transfer(1'000), kNow);
    CHECK(Fired(a, rule_ids::kPinFailures));
    CHECK(a.decision == Decision::kReview);
  }
  SECTION("negative: two failures, or three long ago") {
    History h = Established();
    for (int i = 0; i < 2; ++i) h.Add("payments.pin_failed", kNow - absl::Minutes(5 + i));
    h.Add("payments.pin_failed", kNow - absl::Hours(3));
    CHECK_FALSE(Fired(Evaluate(h.features, rules, Transfer(1'000), kNow), rule_ids::kPinFailures));
  }
}

TEST_CASE("shadow mode records the rule but never changes the decision") {
  History h = Established();
  h.Add("auth.password_reset", kNow - absl::Hours(1));
  Assessment a = Evaluate(h.features, Only(rule_ids::kAfterCredentialChange, RuleMode::kShadow),
                          Transfer(12'000), kNow);
  CHECK(a.decision == Decision::kAllow);
  CHECK(a.score == 0);
  CHECK(a.reasons.empty());
  REQUIRE(a.shadow_reasons.size() == 1);
  CHECK(a.shadow_reasons[0].rule_id == rule_ids::kAfterCredentialChange);
}

TEST_CASE("a disabled rule neither acts nor records") {
  History h = Established();
  h.Add("auth.password_reset", kNow - absl::Hours(1));
  Assessment a = Evaluate(h.features, Only(rule_ids::kAfterCredentialChange, RuleMode::kDisabled),
                          Transfer(12'000), kNow);
  CHECK(a.reasons.empty());
  CHECK(a.shadow_reasons.empty());
}

TEST_CASE("scores add up to decline and a fresh step-up meets a challenge") {
  History h = Established();
  h.Add("auth.password_reset", kNow - absl::Hours(1));
  for (int i = 0; i < 3; ++i) h.Add("payments.pin_failed", kNow - absl::Minutes(5 + i));
  // credential change (350) + new device & large (300) + above usual (250) = 900 → decline.
  Assessment a =
      Evaluate(h.features, DefaultRules(), Transfer(200'000, "payee-known", "dev-x"), kNow);
  CHECK(a.score >= kDeclineScore);
  CHECK(a.decision == Decision::kDecline);

  History mild = Established();
  mild.Add("auth.password_reset", kNow - absl::Hours(1));
  AssessInput in = Transfer(12'000);
  CHECK(Evaluate(mild.features, DefaultRules(), in, kNow).decision == Decision::kChallenge);
  in.step_up_verified = true;
  CHECK(Evaluate(mild.features, DefaultRules(), in, kNow).decision == Decision::kAllow);
}

TEST_CASE("rule validation") {
  Rule rule = DefaultRules()[0];
  CHECK(ValidateRule(rule).ok());
  rule.score = 2000;
  CHECK(absl::IsInvalidArgument(ValidateRule(rule)));
  rule = DefaultRules()[0];
  rule.window_s = -1;
  CHECK(absl::IsInvalidArgument(ValidateRule(rule)));
  rule = DefaultRules()[0];
  rule.rule_id = "nope";
  CHECK(absl::IsNotFound(ValidateRule(rule)));
}

}  // namespace
}  // namespace uwallet::fraud
