#include "services/fraud/storage/workers.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/alert_words.h"
#include "services/fraud/core/features.h"
#include "uwallet/common/log.h"

namespace uwallet::fraud {

RiskEvent ToRiskEvent(const events::Event& event) {
  return {event.id, event.type, event.subject_id, event.payload, event.occurred_at};
}

namespace {

// The wallet was frozen with sign-in (stolen-account switch); when staff unfreeze the user after
// an identity check, the wallet follows, as long as the user is still unfrozen in auth. Runs
// before the exactly-once record, so a failure is retried (every call here is idempotent).
absl::Status WalletFollowsUnfreeze(const events::Event& event, LedgerClient& ledger,
                                   AuthClient& auth) {
  absl::StatusOr<bool> frozen = auth.IsFrozen(event.subject_id);
  if (!frozen.ok() &&
      (absl::IsNotFound(frozen.status()) || absl::IsInvalidArgument(frozen.status()))) {
    log::Warn("fraud: auth.unfrozen for a user auth does not know; wallet left as it is",
              {{"user", event.subject_id}, {"event", event.id}});
    return absl::OkStatus();
  }
  UW_RETURN_IF_ERROR(frozen.status());
  if (*frozen) {
    log::Warn("fraud: stale auth.unfrozen ignored: the user is frozen again in auth",
              {{"user", event.subject_id}, {"event", event.id}});
    return absl::OkStatus();
  }
  const nlohmann::json payload = nlohmann::json::parse(event.payload, nullptr, false);
  const std::string audit =
      payload.is_object() ? payload.value("audit_id", std::string()) : std::string();
  UW_RETURN_IF_ERROR(ledger.UnfreezeOwner(event.subject_id, "unfrozen in auth by staff",
                                          absl::StrCat("auth-audit:", audit)));
  log::Info("fraud: wallet unfrozen after auth unfreeze", {{"user", event.subject_id}});
  return absl::OkStatus();
}

}  // namespace

events::Consumer::Handler MakeEventHandler(PgFraudStore& store, std::function<void()> on_alerts,
                                           LedgerClient* ledger, AuthClient* auth) {
  return [&store, on_alerts = std::move(on_alerts), ledger,
          auth](const events::Event& event) -> absl::Status {
    if (ledger != nullptr && auth != nullptr && event.type == "auth.unfrozen" &&
        !event.subject_id.empty()) {
      UW_RETURN_IF_ERROR(WalletFollowsUnfreeze(event, *ledger, *auth));
    }
    absl::StatusOr<std::vector<Alert>> alerts =
        store.ApplyEventOnce(ToRiskEvent(event), kConsumerGroup);
    if (!alerts.ok()) return alerts.status();
    if (!alerts->empty() && on_alerts) on_alerts();
    return absl::OkStatus();
  };
}

FraudWorkers::FraudWorkers(PgFraudStore& store, redis::Pool& redis, AlertHub& hub,
                           notify::Notifier& notifier, AuthClient& auth, StolenAccountFlow& stolen,
                           const Clock& clock, std::string consumer_name, LedgerClient* ledger)
    : store_(store),
      hub_(hub),
      notifier_(notifier),
      auth_(auth),
      stolen_(stolen),
      clock_(clock),
      consumer_(redis,
                {.group = kConsumerGroup,
                 .consumer = std::move(consumer_name),
                 .types = ConsumedEventTypes()},
                MakeEventHandler(
                    store, [this] { Poke(); }, ledger, &auth)) {}

void FraudWorkers::Poke() {
  std::lock_guard<std::mutex> lock(mutex_);
  poked_ = true;
  cv_.notify_all();
}

absl::Status FraudWorkers::Deliver(const Alert& alert) {
  // Live streams first (cheap, any replica), then the person's channels.
  absl::Status published = hub_.Publish(alert.user_id, alert.alert_id);
  if (!published.ok()) return published;
  // One template kind for every channel the alert goes out on.
  const std::string kind =
      alert.category == AlertCategory::kTransaction ? "transaction_alert" : "security_alert";
  // Every copy speaks the account's language (its locale from auth). When auth cannot say, the
  // push still goes out, in English, and SMS/email (which need the contacts) are skipped: best
  // effort, the alert itself is in the app either way.
  absl::StatusOr<Contacts> contacts = auth_.GetContacts(alert.user_id);
  if (!contacts.ok()) {
    log::Warn("fraud: contacts unavailable for alert", {{"error", contacts.status().ToString()}});
  }
  const AlertWords words =
      contacts.ok() ? WordsFor(alert, contacts->locale) : AlertWords{alert.title, alert.body};
  UW_RETURN_IF_ERROR(notifier_.Send({.channel = notify::Channel::kPush,
                                     .destination = alert.user_id,
                                     .kind = kind,
                                     .subject = words.title,
                                     .body = words.body}));
  if (!contacts.ok()) return absl::OkStatus();
  absl::StatusOr<AlertSettings> settings = store_.GetAlertSettings(alert.user_id);
  if (!settings.ok() || settings->channels.empty()) return absl::OkStatus();
  bool sms = false, email = false;
  for (Channel c : settings->channels) {
    sms = sms || c == Channel::kSms;
    email = email || c == Channel::kEmail;
  }
  if (sms && !contacts->phone.empty()) {
    UW_RETURN_IF_ERROR(notifier_.Send({.channel = notify::Channel::kSms,
                                       .destination = contacts->phone,
                                       .kind = kind,
                                       .subject = words.title,
                                       .body = words.body}));
  }
  if (email && !contacts->email.empty()) {
    UW_RETURN_IF_ERROR(notifier_.Send({.channel = notify::Channel::kEmail,
                                       .destination = contacts->email,
                                       .kind = kind,
                                       .subject = words.title,
                                       .body = words.body}));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FraudWorkers::DeliverOnce() {
  return store_.DeliverPending(
      kDeliverBatchMax,
      [this](const Alert& alert) {
        absl::Status delivered = Deliver(alert);
        if (delivered.ok() && on_delivered_) on_delivered_(alert);
        return delivered;
      },
      clock_.Now());
}

void FraudWorkers::Start() {
  stop_ = false;
  consumer_.Start();
  thread_ = std::thread([this] {
    absl::Time next_resume = absl::Now() + kResumeInterval;
    while (!stop_.load()) {
      absl::StatusOr<int> delivered = DeliverOnce();
      if (!delivered.ok()) {
        log::Warn("fraud: alert delivery round failed", {{"error", delivered.status().ToString()}});
      }
      if (absl::Now() >= next_resume) {
        absl::StatusOr<int> resumed = stolen_.ResumeUnfinished(absl::Minutes(1), kResumeBatchMax);
        if (!resumed.ok()) {
          log::Warn("fraud: stolen-account resume failed",
                    {{"error", resumed.status().ToString()}});
        }
        next_resume = absl::Now() + kResumeInterval;
      }
      if (delivered.ok() && *delivered == kDeliverBatchMax) continue;
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(kDeliverInterval),
                   [this] { return poked_ || stop_.load(); });
      poked_ = false;
    }
  });
}

void FraudWorkers::Stop() {
  consumer_.Stop();
  stop_ = true;
  Poke();
  if (thread_.joinable()) thread_.join();
}

}  // namespace uwallet::fraud
