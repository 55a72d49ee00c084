// Feature updates and alerts as pure functions over events.
#include <algorithm>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/alert_words.h"
#include "services/fraud/core/features.h"

namespace uwallet::fraud {
namespace {

const absl::Time kAt = absl::FromUnixSeconds(1'800'000'000);

RiskEvent Transfer(int64_t amount, int debit_kind = 1, int transfer_kind = 3) {
  nlohmann::json payload{{"transfer_id", "t-1"},       {"amount_minor", amount},
                         {"currency", "CNY"},          {"kind", transfer_kind},
                         {"debit_owner_id", "user-1"}, {"debit_account_kind", debit_kind},
                         {"credit_owner_id", "payee"}, {"credit_account_kind", 1}};
  return {"e-1", "ledger.transfer_posted", "account-1", payload.dump(), kAt};
}

TEST_CASE("an outgoing payment updates usual amounts, payees, velocity and recent transfers") {
  Features f;
  REQUIRE(*ApplyEvent(Transfer(12'345), &f));
  CHECK(UserOf(Transfer(12'345)) == "user-1");
  CHECK(f.amount_count == 1);
  CHECK(f.amount_sum_minor == 12'345);
  CHECK(f.payees.size() == 1);
  CHECK(f.payments.size() == 1);
  REQUIRE(f.recent_transfers.size() == 1);
  CHECK(f.recent_transfers[0].counterparty_id == "payee");
}

TEST_CASE("a top-up out of the bank settlement account is not the user's payment") {
  Features f;
  RiskEvent top_up = Transfer(50'000, /*debit_kind=*/3, /*transfer_kind=*/1);
  CHECK(UserOf(top_up).empty());
  CHECK_FALSE(*ApplyEvent(top_up, &f));
  CHECK(f.amount_count == 0);
}

TEST_CASE("feature lists stay within their bounds") {
  Features f;
  for (size_t i = 0; i < kFailedLoginsMax + 20; ++i) {
    REQUIRE(
        ApplyEvent(
            {absl::StrCat("e", i), "auth.login_failed", "user-1", "{}", kAt + absl::Seconds(i)}, &f)
            .ok());
  }
  CHECK(f.failed_logins.size() == kFailedLoginsMax);
  CHECK(f.failed_logins.back() == kAt + absl::Seconds(kFailedLoginsMax + 19));
}

TEST_CASE("a malformed payload is rejected") {
  Features f;
  CHECK(absl::IsInvalidArgument(
      ApplyEvent({"e", "auth.login_failed", "user-1", "not json", kAt}, &f).status()));
}

TEST_CASE("features survive the JSON round trip") {
  Features f;
  REQUIRE(ApplyEvent(Transfer(500), &f).ok());
  REQUIRE(ApplyEvent({"e2", "auth.password_reset", "user-1", "{}", kAt}, &f).ok());
  REQUIRE(ApplyEvent({"e3", "auth.new_device", "user-1", R"({"device_id":"d1"})", kAt}, &f).ok());
  absl::StatusOr<Features> back = FeaturesFromJson(FeaturesToJson(f));
  REQUIRE(back.ok());
  CHECK(back->amount_sum_minor == 500);
  CHECK(back->last_password_change == kAt);
  CHECK(back->last_two_factor_change == absl::InfinitePast());
  REQUIRE(back->devices.size() == 1);
  CHECK(back->devices[0].id == "d1");
  CHECK(back->recent_transfers.size() == 1);
}

TEST_CASE("transaction alerts respect the user's threshold") {
  AlertSettings settings;
  CHECK(AlertsFor(Transfer(100), settings).size() == 1);  // unset: every payment
  settings.threshold_minor = 10'000;
  settings.threshold_currency = "CNY";
  CHECK(AlertsFor(Transfer(9'999), settings).empty());
  std::vector<Alert> alerts = AlertsFor(Transfer(10'000), settings);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].category == AlertCategory::kTransaction);
  CHECK(alerts[0].amount_minor == 10'000);
  CHECK(alerts[0].source_event_id == "e-1");
}

TEST_CASE("security events raise security alerts") {
  AlertSettings settings;
  auto one = [&](const std::string& type, const std::string& payload = "{}") {
    std::vector<Alert> alerts = AlertsFor({"e", type, "user-1", payload, kAt}, settings);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].category == AlertCategory::kSecurity);
    return alerts[0].kind;
  };
  CHECK(one("auth.new_device", R"({"device_id":"d","device_name":"Li's phone"})") ==
        AlertKind::kNewDeviceLogin);
  // Every security alert has its message key (what apps word in the user's language).
  for (const auto& [type, key] : std::vector<std::pair<std::string, std::string>>{
           {"auth.new_device", "new_device"},
           {"auth.password_changed", "password_changed"},
           {"auth.password_reset", "password_changed"},
           {"auth.totp_changed", "two_factor_changed"},
           {"auth.locked", "account_locked"},
           {"auth.frozen", "account_frozen"},
           {"auth.contact_changed", "contact_changed"},
           {"auth.device_forgotten", "device_forgotten"},
           {"payments.payment_held", "payment_held"}}) {
    std::vector<Alert> alerts = AlertsFor({"e", type, "user-1", "{}", kAt}, settings);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].message_key == key);
  }
  CHECK(AlertsFor({"e", "auth.new_device", "user-1", R"({"device_name":"Li's phone"})", kAt},
                  settings)[0]
            .message_args.at("device_name") == "Li's phone");
  CHECK(one("auth.device_forgotten", R"({"device_id":"d","device_name":"Li's tablet"})") ==
        AlertKind::kDeviceForgotten);
  const Alert forgotten = AlertsFor({"e", "auth.device_forgotten", "user-1",
                                     R"({"device_id":"d","device_name":"Li's tablet"})", kAt},
                                    settings)[0];
  CHECK(forgotten.device_id == "d");
  CHECK(forgotten.message_args.at("device_name") == "Li's tablet");
  CHECK(forgotten.body.find("(Li's tablet) is no longer trusted") != std::string::npos);
  CHECK(WordsFor(forgotten, "zh-CN").title == "设备已不再受信任");
  CHECK(WordsFor(forgotten, "zh-CN").body.find("（Li's tablet）已不再受你的账户信任") !=
        std::string::npos);
  CHECK(one("auth.password_changed") == AlertKind::kPasswordChanged);
  CHECK(one("auth.password_reset") == AlertKind::kPasswordChanged);
  CHECK(one("auth.locked") == AlertKind::kAccountLocked);
  CHECK(one("payments.payment_held", R"({"payment_id":"p"})") == AlertKind::kRiskyPaymentHeld);
  CHECK(AlertsFor({"e", "auth.login_failed", "user-1", "{}", kAt}, settings).empty());
}

TEST_CASE("a declined refund request tells the customer the merchant's reason and what is left") {
  AlertSettings settings;
  settings.threshold_minor = 1'000'000;  // a payment-size threshold does not silence the answer
  const std::string payload =
      R"({"refund_request_id":"rr-1","payment_id":"pay-9","status":"REJECTED",)"
      R"("amount_minor":1000,"refunded_minor":400,"currency":"CNY",)"
      R"("customer_user_id":"user-1","merchant_user_id":"shop-1","reason":"the rest is fine"})";
  std::vector<Alert> alerts =
      AlertsFor({"e-7", "payments.refund_request_rejected", "user-1", payload, kAt}, settings);
  REQUIRE(alerts.size() == 1);
  const Alert& alert = alerts[0];
  CHECK(alert.user_id == "user-1");  // the customer, not the merchant
  CHECK(alert.kind == AlertKind::kRefundRequestDeclined);
  CHECK(alert.category == AlertCategory::kTransaction);
  CHECK(alert.payment_id == "pay-9");
  CHECK(alert.amount_minor == 600);  // what was asked and not refunded
  CHECK(alert.currency == "CNY");
  CHECK(alert.source_event_id == "e-7");
  CHECK(alert.body.find("10.00 CNY") != std::string::npos);
  CHECK(alert.body.find("4.00 CNY of it was refunded") != std::string::npos);
  CHECK(alert.body.find("\"the rest is fine\"") != std::string::npos);
  // Apps word it from the key and its arguments.
  CHECK(alert.message_key == "refund_request_declined");
  CHECK(alert.message_args ==
        std::map<std::string, std::string>{{"amount_minor", "1000"},
                                           {"refunded_minor", "400"},
                                           {"currency", "CNY"},
                                           {"merchant_reason", "the rest is fine"}});
  // Nothing refunded: no "of it was refunded" clause.
  const std::string none =
      R"({"payment_id":"pay-9","amount_minor":500,"refunded_minor":0,"currency":"CNY",)"
      R"("reason":"used item"})";
  alerts = AlertsFor({"e-8", "payments.refund_request_rejected", "user-1", none, kAt}, settings);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].body.find("refunded)") == std::string::npos);
  CHECK(alerts[0].amount_minor == 500);
  // The event is consumed (the alert is made) but changes no risk feature.
  const std::vector<std::string>& types = ConsumedEventTypes();
  CHECK(std::find(types.begin(), types.end(), "payments.refund_request_rejected") != types.end());
  Features features;
  auto changed =
      ApplyEvent({"e-7", "payments.refund_request_rejected", "user-1", payload, kAt}, &features);
  REQUIRE(changed.ok());
  CHECK_FALSE(*changed);
}

TEST_CASE("a payment that did not go through tells its payer why, in words") {
  AlertSettings settings;
  settings.threshold_minor = 1'000'000;  // failures are told whatever the payment-size threshold
  auto failed = [&](const std::string& kind, const std::string& reason) {
    const std::string payload = absl::StrCat(
        R"({"payment_id":"pay-3","kind":")", kind, R"(","status":"FAILED","amount_minor":2550,)",
        R"("currency":"CNY","payer_user_id":"user-1","payee_user_id":"user-2",)",
        R"("failure_reason":")", reason, R"("})");
    return AlertsFor({"e-3", "payments.payment_failed", "user-1", payload, kAt}, settings);
  };
  std::vector<Alert> alerts = failed("transfer", "INSUFFICIENT_FUNDS");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].user_id == "user-1");  // the payer (the event's subject), not the payee
  CHECK(alerts[0].kind == AlertKind::kPaymentFailed);
  CHECK(alerts[0].category == AlertCategory::kTransaction);
  CHECK(alerts[0].payment_id == "pay-3");
  CHECK(alerts[0].amount_minor == 2'550);
  CHECK(alerts[0].body ==
        "Your transfer of 25.50 CNY did not go through: there was not enough money in your "
        "wallet for the amount and fee. Nothing left your wallet.");
  CHECK(alerts[0].message_key == "payment_failed");
  CHECK(alerts[0].message_args ==
        std::map<std::string, std::string>{{"payment_kind", "transfer"},
                                           {"amount_minor", "2550"},
                                           {"currency", "CNY"},
                                           {"reason", "INSUFFICIENT_FUNDS"}});
  alerts = failed("top_up", "CARD_DECLINED");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].body.find("Your top-up") == 0);
  CHECK(alerts[0].body.find("your bank declined it") != std::string::npos);
  CHECK(alerts[0].body.find("Nothing was charged.") != std::string::npos);
  // A reason without words still names itself.
  alerts = failed("withdrawal", "SOMETHING_NEW");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].body.find("(SOMETHING_NEW)") != std::string::npos);
  // A risk decline has its own alert from the decision: no second one.
  CHECK(failed("merchant", "RISK_DECLINED").empty());
  // A schedule run's payment is told once, by the run's own event (below); a "scheduled" that is
  // not a JSON true does not count.
  const std::string scheduled =
      R"({"payment_id":"pay-4","kind":"transfer","amount_minor":100,"currency":"CNY",)"
      R"("failure_reason":"INSUFFICIENT_FUNDS","scheduled":true})";
  CHECK(AlertsFor({"e-6", "payments.payment_failed", "user-1", scheduled, kAt}, settings).empty());
  const std::string odd =
      R"({"payment_id":"pay-5","kind":"transfer","amount_minor":100,"currency":"CNY",)"
      R"("failure_reason":"INSUFFICIENT_FUNDS","scheduled":"yes"})";
  CHECK(AlertsFor({"e-7", "payments.payment_failed", "user-1", odd, kAt}, settings).size() == 1);
}

TEST_CASE("a failed schedule run tells its owner what, to whom and why, and that it stays on") {
  AlertSettings settings;
  const std::string payload =
      R"({"schedule_id":"s-1","payment_id":"pay-4","failure_reason":"INSUFFICIENT_FUNDS",)"
      R"("amount_minor":30000,"currency":"CNY","payee_display_name":"B*b"})";
  std::vector<Alert> alerts =
      AlertsFor({"e-9", "payments.schedule_run_failed", "user-1", payload, kAt}, settings);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].user_id == "user-1");
  CHECK(alerts[0].kind == AlertKind::kPaymentFailed);
  CHECK(alerts[0].title == "Scheduled transfer not completed");
  CHECK(alerts[0].body ==
        "Your scheduled transfer of 300.00 CNY to B*b did not go through: there was not enough "
        "money in your wallet for the amount and fee. Nothing left your wallet; the schedule "
        "stays on for its next date.");
  CHECK(alerts[0].payment_id == "pay-4");
  CHECK(alerts[0].amount_minor == 30'000);
}

TEST_CASE("a refund tells the person who gets the money, about their original payment") {
  AlertSettings settings;
  const std::string payload =
      R"({"payment_id":"refund-1","kind":"refund","status":"SUCCEEDED","amount_minor":500,)"
      R"("currency":"CNY","payer_user_id":"shop-1","payee_user_id":"user-1",)"
      R"("original_payment_id":"pay-1"})";
  // The event's subject is the merchant who refunded; the alert goes to the payee.
  const RiskEvent event{"e-4", "payments.refunded", "shop-1", payload, kAt};
  CHECK(UserOf(event) == "user-1");
  std::vector<Alert> alerts = AlertsFor(event, settings);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].user_id == "user-1");
  CHECK(alerts[0].kind == AlertKind::kRefundReceived);
  CHECK(alerts[0].payment_id == "pay-1");
  CHECK(alerts[0].amount_minor == 500);
  CHECK(alerts[0].body == "5.00 CNY was refunded to your wallet.");
  // A refund to no user (none today) alerts nobody.
  CHECK(AlertsFor({"e-5", "payments.refunded", "shop-1", R"({"amount_minor":1})", kAt}, settings)
            .empty());
}

TEST_CASE("SMS and e-mail copies speak the account's language") {
  AlertSettings settings;
  const std::string failed =
      R"({"payment_id":"pay-3","kind":"top_up","status":"FAILED","amount_minor":2550,)"
      R"("currency":"CNY","payer_user_id":"user-1","failure_reason":"CARD_DECLINED"})";
  std::vector<Alert> alerts =
      AlertsFor({"e-3", "payments.payment_failed", "user-1", failed, kAt}, settings);
  REQUIRE(alerts.size() == 1);
  AlertWords zh = WordsFor(alerts[0], "zh-CN");
  CHECK(zh.title == "付款未完成");
  CHECK(zh.body ==
        "你的充值（¥25.50）未能完成：银行拒绝了这笔交易，请换一张卡或联系银行。没有扣款。");
  // English, or a locale it does not speak: the words the alert was made with.
  for (const char* locale : {"en", "", "fr-FR"}) {
    AlertWords words = WordsFor(alerts[0], locale);
    CHECK(words.title == alerts[0].title);
    CHECK(words.body == alerts[0].body);
  }
  const std::string declined =
      R"({"payment_id":"pay-9","amount_minor":1000,"refunded_minor":400,"currency":"CNY",)"
      R"("customer_user_id":"user-1","reason":"the rest is fine"})";
  alerts =
      AlertsFor({"e-7", "payments.refund_request_rejected", "user-1", declined, kAt}, settings);
  REQUIRE(alerts.size() == 1);
  CHECK(WordsFor(alerts[0], "zh").body ==
        "商家拒绝了你 ¥10.00 的退款申请（其中 ¥4.00 已退款），理由：“the rest is fine”。"
        "如有异议，可以对这笔付款发起争议。");
  alerts = AlertsFor({"e-8", "auth.new_device", "user-1", R"({"device_name":"Li's phone"})", kAt},
                     settings);
  CHECK(WordsFor(alerts[0], "zh-Hans-CN").body ==
        "你的账户在一台新设备（Li's phone）上登录了。如果不是你本人操作，请立即报告账户被盗。");
  // Another currency keeps its code; an alert without a key (made before keys) stays English.
  Alert usd = alerts[0];
  usd.message_key = "refund_received";
  usd.message_args = {{"amount_minor", "123"}, {"currency", "USD"}};
  CHECK(WordsFor(usd, "zh-CN").body == "1.23 USD 已退回你的钱包。");
  Alert old = alerts[0];
  old.message_key.clear();
  CHECK(WordsFor(old, "zh-CN").body == old.body);
}

TEST_CASE("a review decision raises a risky-payment-held alert, allow raises none") {
  AssessInput in{
      .user_id = "user-1", .amount_minor = 5'000, .currency = "CNY", .reference_id = "pay-1"};
  Assessment review;
  review.decision = Decision::kReview;
  std::vector<Alert> alerts = AlertsForDecision(in, review, kAt);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].kind == AlertKind::kRiskyPaymentHeld);
  CHECK(alerts[0].payment_id == "pay-1");
  CHECK(alerts[0].message_key == "payment_held");
  CHECK(alerts[0].message_args ==
        std::map<std::string, std::string>{{"amount_minor", "5000"}, {"currency", "CNY"}});
  Assessment decline;
  decline.decision = Decision::kDecline;
  CHECK(AlertsForDecision(in, decline, kAt)[0].message_key == "payment_declined");
  Assessment allow;
  CHECK(AlertsForDecision(in, allow, kAt).empty());
}

}  // namespace
}  // namespace uwallet::fraud
