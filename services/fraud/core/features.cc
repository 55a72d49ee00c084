#include "services/fraud/core/features.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/alert_words.h"

namespace uwallet::fraud {
namespace {

using json = nlohmann::json;

constexpr int kLedgerUserWallet = 1;  // uwallet.ledger.v1.ACCOUNT_KIND_USER_WALLET
// Ledger transfer kinds that are the user paying someone (not fees, reversals, dispute moves).
constexpr int kLedgerWithdrawal = 2;
constexpr int kLedgerP2p = 3;
constexpr int kLedgerMerchantPayment = 4;

std::string Str(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

int64_t Int(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) return std::strtoll(it->get<std::string>().c_str(), nullptr, 10);
  return 0;
}

// True only for a JSON true under `name` (absent or of another type: false).
bool Flag(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

json Parse(const RiskEvent& event) {
  json object = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) return json::object();
  return object;
}

template <typename T>
void PushBounded(std::vector<T>* items, T item, size_t bound) {
  items->push_back(std::move(item));
  if (items->size() > bound) items->erase(items->begin(), items->end() - bound);
}

void Remember(std::vector<SeenItem>* items, const std::string& id, absl::Time at, size_t bound) {
  if (id.empty()) return;
  for (const SeenItem& item : *items) {
    if (item.id == id) return;
  }
  PushBounded(items, SeenItem{id, at}, bound);
}

bool IsOutgoingPayment(const json& payload) {
  const int64_t kind = Int(payload, "kind");
  return Int(payload, "debit_account_kind") == kLedgerUserWallet &&
         (kind == kLedgerP2p || kind == kLedgerMerchantPayment || kind == kLedgerWithdrawal);
}

int64_t ToUs(absl::Time t) { return t == absl::InfinitePast() ? INT64_MIN : absl::ToUnixMicros(t); }
absl::Time FromUs(int64_t us) {
  return us == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(us);
}
json TimesToJson(const std::vector<absl::Time>& times) {
  json out = json::array();
  for (absl::Time t : times) out.push_back(ToUs(t));
  return out;
}
std::vector<absl::Time> TimesFromJson(const json& object, const char* name) {
  std::vector<absl::Time> out;
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_number_integer()) out.push_back(FromUs(v.get<int64_t>()));
  }
  return out;
}
json SeenToJson(const std::vector<SeenItem>& items) {
  json out = json::array();
  for (const SeenItem& item : items)
    out.push_back({{"id", item.id}, {"at", ToUs(item.first_seen)}});
  return out;
}
std::vector<SeenItem> SeenFromJson(const json& object, const char* name) {
  std::vector<SeenItem> out;
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_object()) out.push_back({Str(v, "id"), FromUs(Int(v, "at"))});
  }
  return out;
}

// "Your transfer", "Your top-up", ... from the payments event's kind.
std::string PaymentNoun(const std::string& kind) {
  if (kind == "transfer") return "Your transfer";
  if (kind == "top_up") return "Your top-up";
  if (kind == "withdrawal") return "Your withdrawal";
  if (kind == "refund") return "Your refund";
  if (kind == "reversal") return "A reversal";
  return "Your payment";
}

// The alert's message for apps that word it themselves: a key and its arguments (amounts in minor
// units beside their currency, failure reasons as payments' codes).
void Say(Alert& alert, std::string key, std::map<std::string, std::string> args = {}) {
  alert.message_key = std::move(key);
  alert.message_args = std::move(args);
}

std::string Minor(int64_t amount_minor) { return std::to_string(amount_minor); }

Alert NewAlert(const std::string& user_id, AlertCategory category, AlertKind kind,
               AlertSeverity severity, std::string title, std::string body) {
  Alert alert;
  alert.user_id = user_id;
  alert.category = category;
  alert.kind = kind;
  alert.severity = severity;
  alert.title = std::move(title);
  alert.body = std::move(body);
  return alert;
}

Alert Security(const std::string& user_id, AlertKind kind, AlertSeverity severity,
               std::string title, std::string body) {
  return NewAlert(user_id, AlertCategory::kSecurity, kind, severity, std::move(title),
                  std::move(body));
}

// A security alert about one device, named in auth's event: its id, name and IP, and the body
// `before` + " (name)" (when named) + `after`; the key's one argument is the device's name.
Alert DeviceAlert(const std::string& user_id, const json& payload, AlertKind kind,
                  std::string title, absl::string_view before, absl::string_view after,
                  std::string key) {
  std::string name = Str(payload, "device_name");
  Alert alert =
      Security(user_id, kind, AlertSeverity::kWarning, std::move(title),
               absl::StrCat(before, name.empty() ? "" : absl::StrCat(" (", name, ")"), after));
  alert.device_id = Str(payload, "device_id");
  Say(alert, std::move(key), {{"device_name", name}});
  alert.device_name = std::move(name);
  alert.ip = Str(payload, "ip");
  return alert;
}

// A transaction alert: money that moved, or did not, on `payment_id`.
Alert Transaction(const std::string& user_id, AlertKind kind, AlertSeverity severity,
                  std::string title, std::string body, std::string payment_id, int64_t amount_minor,
                  std::string currency) {
  Alert alert = NewAlert(user_id, AlertCategory::kTransaction, kind, severity, std::move(title),
                         std::move(body));
  alert.payment_id = std::move(payment_id);
  alert.amount_minor = amount_minor;
  alert.currency = std::move(currency);
  return alert;
}

}  // namespace

const std::vector<std::string>& ConsumedEventTypes() {
  static const auto* types = new std::vector<std::string>{
      "auth.login_failed",
      "auth.login_succeeded",
      "auth.new_device",
      "auth.password_reset",
      "auth.password_changed",
      "auth.totp_changed",
      "auth.locked",
      "auth.frozen",
      "auth.unfrozen",
      "auth.contact_changed",
      "auth.device_forgotten",
      "ledger.transfer_posted",
      "payments.pin_failed",
      "payments.pin_locked",
      "payments.payment_held",
      "payments.refund_request_rejected",
      "payments.payment_failed",
      "payments.schedule_run_failed",
      "payments.refunded",
  };
  return *types;
}

std::string FormatMoney(int64_t amount_minor, const std::string& currency) {
  const int64_t magnitude = amount_minor < 0 ? -amount_minor : amount_minor;
  return absl::StrFormat("%s%d.%02d %s", amount_minor < 0 ? "-" : "", magnitude / 100,
                         magnitude % 100, currency);
}

std::string UserOf(const RiskEvent& event) {
  if (event.type == "ledger.transfer_posted") {
    const json payload = Parse(event);
    return IsOutgoingPayment(payload) ? Str(payload, "debit_owner_id") : "";
  }
  if (event.type == "payments.refunded") {
    // The refund is the merchant's (or staff's) payment; the alert is for whoever gets the money.
    return Str(Parse(event), "payee_user_id");
  }
  if (event.type.rfind("payments.", 0) == 0) {
    const json payload = Parse(event);
    std::string user = Str(payload, "user_id");
    if (user.empty()) user = Str(payload, "payer_id");
    return user.empty() ? event.subject_id : user;
  }
  return event.subject_id;  // auth events: the subject is the user
}

absl::StatusOr<bool> ApplyEvent(const RiskEvent& event, Features* f) {
  json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded() || !payload.is_object()) {
    return absl::InvalidArgumentError("event payload is not a JSON object");
  }
  const absl::Time at = event.occurred_at;
  const std::string& type = event.type;
  if (type == "auth.login_failed") {
    PushBounded(&f->failed_logins, at, kFailedLoginsMax);
  } else if (type == "auth.login_succeeded") {
    f->last_login_success = std::max(f->last_login_success, at);
    Remember(&f->devices, Str(payload, "device_id"), at, kDevicesMax);
  } else if (type == "auth.new_device") {
    Remember(&f->devices, Str(payload, "device_id"), at, kDevicesMax);
  } else if (type == "auth.password_reset" || type == "auth.password_changed") {
    f->last_password_change = std::max(f->last_password_change, at);
  } else if (type == "auth.totp_changed") {
    f->last_two_factor_change = std::max(f->last_two_factor_change, at);
  } else if (type == "ledger.transfer_posted") {
    if (!IsOutgoingPayment(payload)) return false;
    const int64_t amount = Int(payload, "amount_minor");
    if (amount <= 0) return false;
    PushBounded(&f->payments, at, kPaymentTimesMax);
    ++f->amount_count;
    f->amount_sum_minor += amount;
    f->amount_max_minor = std::max(f->amount_max_minor, amount);
    std::string payee = Str(payload, "credit_owner_id");
    Remember(&f->payees, payee, at, kPayeesMax);
    PushBounded(&f->recent_transfers,
                RecentTransfer{Str(payload, "transfer_id"), amount, Str(payload, "currency"),
                               std::move(payee), static_cast<int>(Int(payload, "kind")), at},
                kRecentTransfersMax);
  } else if (type == "payments.pin_failed" || type == "payments.pin_locked") {
    PushBounded(&f->pin_failures, at, kPinFailuresMax);
  } else {
    return false;
  }
  return true;
}

std::vector<Alert> AlertsFor(const RiskEvent& event, const AlertSettings& settings) {
  std::vector<Alert> alerts;
  const std::string user = UserOf(event);
  if (user.empty()) return alerts;
  const json payload = Parse(event);
  const std::string& type = event.type;
  if (type == "auth.new_device") {
    alerts.push_back(DeviceAlert(user, payload, AlertKind::kNewDeviceLogin, "New sign-in",
                                 "Your account was signed in on a new device",
                                 ". If this was not you, report your account stolen.",
                                 "new_device"));
  } else if (type == "auth.device_forgotten") {
    alerts.push_back(DeviceAlert(user, payload, AlertKind::kDeviceForgotten,
                                 "Device no longer trusted", "A device",
                                 " is no longer trusted on your account and was signed out. If "
                                 "this was not you, report your account stolen.",
                                 "device_forgotten"));
  } else if (type == "auth.password_reset" || type == "auth.password_changed") {
    alerts.push_back(Security(user, AlertKind::kPasswordChanged, AlertSeverity::kWarning,
                              "Password changed",
                              "Your password was changed. If this was not you, report your "
                              "account stolen."));
    Say(alerts.back(), "password_changed");
  } else if (type == "auth.totp_changed") {
    alerts.push_back(Security(user, AlertKind::kTwoFactorChanged, AlertSeverity::kWarning,
                              "Two-step verification changed",
                              "Two-step verification was changed on your account."));
    Say(alerts.back(), "two_factor_changed");
  } else if (type == "auth.locked") {
    alerts.push_back(Security(user, AlertKind::kAccountLocked, AlertSeverity::kCritical,
                              "Account locked",
                              "Your account was locked after repeated wrong passwords."));
    Say(alerts.back(), "account_locked");
  } else if (type == "auth.frozen") {
    alerts.push_back(Security(user, AlertKind::kAccountFrozen, AlertSeverity::kCritical,
                              "Account frozen",
                              "Your account is frozen. Contact support to restore access."));
    Say(alerts.back(), "account_frozen");
  } else if (type == "auth.contact_changed") {
    alerts.push_back(Security(user, AlertKind::kContactChanged, AlertSeverity::kWarning,
                              "Contact details changed",
                              "The phone number or email of your account was changed."));
    Say(alerts.back(), "contact_changed");
  } else if (type == "payments.payment_held") {
    Alert alert = Security(user, AlertKind::kRiskyPaymentHeld, AlertSeverity::kWarning,
                           "Payment held for review", "A payment was held for a security review.");
    alert.payment_id = Str(payload, "payment_id");
    if (payload.contains("amount_minor")) alert.amount_minor = Int(payload, "amount_minor");
    alert.currency = Str(payload, "currency");
    Say(alert, "payment_held",
        alert.amount_minor
            ? std::map<std::string, std::string>{{"amount_minor", Minor(*alert.amount_minor)},
                                                 {"currency", alert.currency}}
            : std::map<std::string, std::string>{});
    alerts.push_back(std::move(alert));
  } else if (type == "payments.payment_failed") {
    const std::string reason = Str(payload, "failure_reason");
    // A risk decline already raised its own "Payment declined" alert (AlertsForDecision), and a
    // schedule run's failure is told by payments.schedule_run_failed.
    if (reason == "RISK_DECLINED" || Flag(payload, "scheduled")) return alerts;
    const std::string kind = Str(payload, "kind");
    const std::string currency = Str(payload, "currency");
    const int64_t amount = Int(payload, "amount_minor");
    alerts.push_back(Transaction(
        user, AlertKind::kPaymentFailed, AlertSeverity::kWarning, "Payment not completed",
        absl::StrCat(PaymentNoun(kind), " of ", FormatMoney(amount, currency),
                     " did not go through: ", FailureInWords(reason), ". ",
                     kind == "top_up" ? "Nothing was charged." : "Nothing left your wallet."),
        Str(payload, "payment_id"), amount, currency));
    Say(alerts.back(), "payment_failed",
        {{"payment_kind", kind},
         {"amount_minor", Minor(amount)},
         {"currency", currency},
         {"reason", reason}});
  } else if (type == "payments.schedule_run_failed") {
    const std::string currency = Str(payload, "currency");
    const int64_t amount = Int(payload, "amount_minor");
    const std::string payee = Str(payload, "payee_display_name");
    alerts.push_back(Transaction(
        user, AlertKind::kPaymentFailed, AlertSeverity::kWarning,
        "Scheduled transfer not completed",
        absl::StrCat("Your scheduled transfer of ", FormatMoney(amount, currency),
                     payee.empty() ? "" : absl::StrCat(" to ", payee),
                     " did not go through: ", FailureInWords(Str(payload, "failure_reason")),
                     ". Nothing left your wallet; the schedule stays on for its next date."),
        Str(payload, "payment_id"), amount, currency));
    Say(alerts.back(), "schedule_run_failed",
        {{"amount_minor", Minor(amount)},
         {"currency", currency},
         {"payee", payee},
         {"reason", Str(payload, "failure_reason")}});
  } else if (type == "payments.refunded") {
    const std::string currency = Str(payload, "currency");
    const int64_t amount = Int(payload, "amount_minor");
    std::string original = Str(payload, "original_payment_id");
    alerts.push_back(Transaction(
        user, AlertKind::kRefundReceived, AlertSeverity::kInfo, "Refund received",
        absl::StrCat(FormatMoney(amount, currency), " was refunded to your wallet."),
        original.empty() ? Str(payload, "payment_id") : std::move(original), amount, currency));
    Say(alerts.back(), "refund_received",
        {{"amount_minor", Minor(amount)}, {"currency", currency}});
  } else if (type == "payments.refund_request_rejected") {
    // The customer hears the merchant's answer, and what they can still do about it.
    const std::string currency = Str(payload, "currency");
    const int64_t asked = Int(payload, "amount_minor");
    const int64_t refunded = Int(payload, "refunded_minor");
    alerts.push_back(Transaction(
        user, AlertKind::kRefundRequestDeclined, AlertSeverity::kInfo, "Refund request declined",
        absl::StrCat("The merchant declined your refund request of ", FormatMoney(asked, currency),
                     refunded > 0 ? absl::StrCat(" (", FormatMoney(refunded, currency),
                                                 " of it was refunded)")
                                  : "",
                     ". Their reason: \"", Str(payload, "reason"),
                     "\". If you disagree, open a dispute on the payment."),
        Str(payload, "payment_id"), asked - refunded, currency));
    Say(alerts.back(), "refund_request_declined",
        {{"amount_minor", Minor(asked)},
         {"refunded_minor", Minor(refunded)},
         {"currency", currency},
         {"merchant_reason", Str(payload, "reason")}});
  } else if (type == "ledger.transfer_posted") {
    if (!IsOutgoingPayment(payload)) return alerts;
    const int64_t amount = Int(payload, "amount_minor");
    const std::string currency = Str(payload, "currency");
    if (settings.threshold_minor.has_value() &&
        (settings.threshold_currency.empty() || settings.threshold_currency == currency) &&
        amount < *settings.threshold_minor) {
      return alerts;
    }
    alerts.push_back(Transaction(user, AlertKind::kPayment, AlertSeverity::kInfo, "Payment sent",
                                 absl::StrCat(FormatMoney(amount, currency), " left your wallet."),
                                 Str(payload, "transfer_id"), amount, currency));
    Say(alerts.back(), "payment_sent", {{"amount_minor", Minor(amount)}, {"currency", currency}});
  }
  for (Alert& alert : alerts) {
    alert.source_event_id = event.id;
    alert.created_at = event.occurred_at;
  }
  return alerts;
}

std::vector<Alert> AlertsForDecision(const AssessInput& input, const Assessment& assessment,
                                     absl::Time now) {
  std::vector<Alert> alerts;
  if (assessment.decision != Decision::kReview && assessment.decision != Decision::kDecline) {
    return alerts;
  }
  const bool held = assessment.decision == Decision::kReview;
  Alert alert = Security(
      input.user_id, held ? AlertKind::kRiskyPaymentHeld : AlertKind::kPaymentDeclined,
      held ? AlertSeverity::kWarning : AlertSeverity::kCritical,
      held ? "Payment held for review" : "Payment declined",
      absl::StrCat("A payment of ", FormatMoney(input.amount_minor, input.currency),
                   held ? " is held for a security review." : " was declined for your safety.",
                   " If this was not you, report your account stolen."));
  alert.payment_id = input.reference_id;
  alert.amount_minor = input.amount_minor;
  alert.currency = input.currency;
  alert.device_id = input.device_id;
  alert.ip = input.ip;
  alert.source_event_id = assessment.assessment_id;
  alert.created_at = now;
  Say(alert, held ? "payment_held" : "payment_declined",
      {{"amount_minor", Minor(input.amount_minor)}, {"currency", input.currency}});
  alerts.push_back(std::move(alert));
  return alerts;
}

std::string FeaturesToJson(const Features& f) {
  json transfers = json::array();
  for (const RecentTransfer& t : f.recent_transfers) {
    transfers.push_back({{"id", t.transfer_id},
                         {"amount_minor", t.amount_minor},
                         {"currency", t.currency},
                         {"counterparty", t.counterparty_id},
                         {"kind", t.kind},
                         {"at", ToUs(t.at)}});
  }
  json object{{"failed_logins", TimesToJson(f.failed_logins)},
              {"last_login_success", ToUs(f.last_login_success)},
              {"last_password_change", ToUs(f.last_password_change)},
              {"last_two_factor_change", ToUs(f.last_two_factor_change)},
              {"devices", SeenToJson(f.devices)},
              {"payees", SeenToJson(f.payees)},
              {"payments", TimesToJson(f.payments)},
              {"pin_failures", TimesToJson(f.pin_failures)},
              {"amount_count", f.amount_count},
              {"amount_sum_minor", f.amount_sum_minor},
              {"amount_max_minor", f.amount_max_minor},
              {"recent_transfers", std::move(transfers)}};
  return object.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<Features> FeaturesFromJson(const std::string& json_text) {
  json object = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return absl::DataLossError("stored risk features are not a JSON object");
  }
  Features f;
  f.failed_logins = TimesFromJson(object, "failed_logins");
  f.last_login_success = FromUs(object.value("last_login_success", INT64_MIN));
  f.last_password_change = FromUs(object.value("last_password_change", INT64_MIN));
  f.last_two_factor_change = FromUs(object.value("last_two_factor_change", INT64_MIN));
  f.devices = SeenFromJson(object, "devices");
  f.payees = SeenFromJson(object, "payees");
  f.payments = TimesFromJson(object, "payments");
  f.pin_failures = TimesFromJson(object, "pin_failures");
  f.amount_count = Int(object, "amount_count");
  f.amount_sum_minor = Int(object, "amount_sum_minor");
  f.amount_max_minor = Int(object, "amount_max_minor");
  auto it = object.find("recent_transfers");
  if (it != object.end() && it->is_array()) {
    for (const json& t : *it) {
      if (!t.is_object()) continue;
      f.recent_transfers.push_back({Str(t, "id"), Int(t, "amount_minor"), Str(t, "currency"),
                                    Str(t, "counterparty"), static_cast<int>(Int(t, "kind")),
                                    FromUs(Int(t, "at"))});
    }
  }
  return f;
}

}  // namespace uwallet::fraud
