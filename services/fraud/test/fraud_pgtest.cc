// Against real PostgreSQL + Redis (UWALLET_TEST_PG_DSN / UWALLET_TEST_REDIS_ADDR): the event
// consumer's exactly-once effect under redelivery and a restart between publish and
// acknowledgement; Assess with rules as data (shadow mode, versions); alerts; the stolen-account
// sequence on the real store.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/assessor.h"
#include "services/fraud/core/errors.h"
#include "services/fraud/core/features.h"
#include "services/fraud/core/rules.h"
#include "services/fraud/core/stolen.h"
#include "services/fraud/schema/migrations.h"
#include "services/fraud/storage/pg_store.h"
#include "services/fraud/storage/workers.h"
#include "services/fraud/test/fakes.h"
#include "uwallet/common/status.h"
#include "uwallet/events/events.h"
#include "uwallet/testing/pg_fixture.h"
#include "uwallet/testing/redis_fixture.h"

namespace uwallet::fraud {
namespace {

struct Env {
  ::uwallet::testing::PgSchema schema{"fraud", 4};
  ::uwallet::testing::RedisPrefix redis;
  RealClock& clock = RealClock::Instance();
  UuidV7Generator ids{clock};
  std::unique_ptr<PgFraudStore> store;
  Env() {
    REQUIRE(pg::Migrate(schema.pool(), schema.name(), Migrations()).ok());
    store = std::make_unique<PgFraudStore>(schema.pool(), ids);
    REQUIRE(store->EnsureRules(DefaultRules(), clock.Now()).ok());
  }
  // Writes events the way auth/ledger do: outbox row in a transaction, relay to the stream.
  std::vector<std::string> Publish(const std::vector<events::Outbox::NewEvent>& batch) {
    events::Outbox outbox("test", ids, clock);
    std::vector<std::string> event_ids;
    REQUIRE(schema.pool()
                .Transact([&](pg::Connection& tx) -> absl::Status {
                  UW_ASSIGN_OR_RETURN(event_ids, outbox.AppendBatch(tx, batch));
                  return absl::OkStatus();
                })
                .ok());
    events::Relay relay(schema.pool(), redis.pool());
    absl::StatusOr<int> published = relay.PublishBatch();
    REQUIRE(published.ok());
    return event_ids;
  }
  int64_t Count(const std::string& sql) {
    absl::StatusOr<pg::Result> r = schema.pool().Exec(sql);
    REQUIRE(r.ok());
    return r->Int(0, 0);
  }
};

events::Outbox::NewEvent Auth(const std::string& type, const std::string& user,
                              nlohmann::json payload = nlohmann::json::object()) {
  return {type, user, payload.dump()};
}

events::Outbox::NewEvent Posted(const std::string& user, int64_t amount, const std::string& tx) {
  nlohmann::json payload{{"transfer_id", tx},          {"amount_minor", amount},
                         {"currency", "CNY"},          {"kind", 3},
                         {"debit_owner_id", user},     {"debit_account_kind", 1},
                         {"credit_owner_id", "payee"}, {"credit_account_kind", 1}};
  return {"ledger.transfer_posted", "account-of-" + user, payload.dump()};
}

// A consumer of fraud's group that polls briefly and takes over pending entries at once.
events::ConsumerOptions Retrying(const std::string& consumer) {
  return {.group = kConsumerGroup,
          .consumer = consumer,
          .block = absl::Milliseconds(10),
          .reclaim_idle = absl::Milliseconds(0),
          .types = ConsumedEventTypes()};
}

TEST_CASE("consumer: exactly-once effect under redelivery and a restart before the ack") {
  Env env;
  const std::string user = env.ids.NewId();
  env.Publish({Auth("auth.login_failed", user), Auth("auth.login_failed", user),
               Auth("auth.login_failed", user),
               Auth("auth.new_device", user, {{"device_id", "d-1"}, {"device_name", "Phone"}}),
               Posted(user, 12'345, "tx-1")});

  // Replica 1 commits the effect of the FIRST event and "dies" before acknowledging it.
  bool crashed = false;
  events::Consumer::Handler real = MakeEventHandler(*env.store, nullptr);
  events::Consumer replica1(env.redis.pool(), Retrying("replica-1"),
                            [&](const events::Event& event) -> absl::Status {
                              UW_RETURN_IF_ERROR(real(event));
                              if (!crashed) {
                                crashed = true;
                                return absl::UnavailableError("crash after commit, before ack");
                              }
                              return absl::OkStatus();
                            });
  REQUIRE(replica1.Init().ok());
  absl::StatusOr<int> handled = replica1.PollOnce();
  REQUIRE(handled.ok());
  CHECK(*handled == 4);  // the fifth stays pending (never acknowledged)

  // A restarted replica takes over the pending entry: the effect is not applied twice.
  events::Consumer replica2(env.redis.pool(), Retrying("replica-2"), real);
  REQUIRE(replica2.Init().ok());
  REQUIRE(replica2.PollOnce().ok());

  auto check_once = [&] {
    absl::StatusOr<Features> f = env.store->LoadFeatures(user);
    REQUIRE(f.ok());
    CHECK(f->failed_logins.size() == 3);
    CHECK(f->devices.size() == 1);
    CHECK(f->amount_count == 1);
    CHECK(f->amount_sum_minor == 12'345);
    CHECK(env.Count(absl::StrCat("SELECT count(*) FROM alerts WHERE user_id = '", user, "'")) == 2);
    CHECK(env.Count(absl::StrCat("SELECT events_applied FROM risk_features WHERE user_id = '", user,
                                 "'")) == 5);
  };
  check_once();

  // The relay publishes the same rows again (crash between XADD and its mark), and the Redis
  // dedupe keys are gone (expired): PostgreSQL's processed_events still makes it a no-op.
  REQUIRE(env.schema.pool().Exec("UPDATE outbox SET published_at = NULL").ok());
  events::Relay relay(env.schema.pool(), env.redis.pool());
  REQUIRE(relay.PublishBatch().ok());
  absl::StatusOr<redis::Reply> keys =
      env.redis.pool().Command({"KEYS", env.redis.pool().Key("events:done:*")});
  REQUIRE(keys.ok());
  std::vector<std::string> del = {"DEL"};
  for (const auto& element : keys->elements()) del.push_back(element.str());
  if (del.size() > 1) REQUIRE(env.redis.pool().Command(del).ok());
  absl::StatusOr<int> again = replica2.PollOnce();
  REQUIRE(again.ok());
  CHECK(*again == 5);  // handled (the handler ran) ...
  check_once();        // ... but nothing changed
}

TEST_CASE("consumer: auth.unfrozen unfreezes the wallet, retried until the ledger answers") {
  Env env;
  testing::FakeLedger ledger;
  testing::FakeAuth auth;
  const std::string user = env.ids.NewId();
  ledger.frozen.insert(user);
  ledger.unfreeze_failure.remaining = 1;  // the ledger is down for the first delivery
  auth.lookup_failure.remaining = 1;      // and before that, auth
  env.Publish({Auth("auth.unfrozen", user, {{"audit_id", "a-1"}})});
  events::Consumer consumer(env.redis.pool(), Retrying("c"),
                            MakeEventHandler(*env.store, nullptr, &ledger, &auth));
  REQUIRE(consumer.Init().ok());
  (void)consumer.PollOnce();  // auth down: not recorded, not acknowledged
  (void)consumer.PollOnce();  // the ledger down: the same
  CHECK(ledger.unfreeze_calls == 0);
  CHECK(env.Count("SELECT count(*) FROM processed_events") == 0);
  for (int i = 0; i < 5 && ledger.unfreeze_calls == 0; ++i) REQUIRE(consumer.PollOnce().ok());
  CHECK(ledger.unfreeze_calls == 1);
  CHECK(ledger.frozen.count(user) == 0);
  CHECK(env.Count("SELECT count(*) FROM processed_events") == 1);
  // Other events never touch the wallet.
  env.Publish({Auth("auth.frozen", user)});
  REQUIRE(consumer.PollOnce().ok());
  CHECK(ledger.unfreeze_calls == 1);
}

TEST_CASE("consumer: a late auth.unfrozen does not undo a newer freeze") {
  Env env;
  testing::FakeLedger ledger;
  testing::FakeAuth auth;
  const std::string user = env.ids.NewId();
  const std::string stranger = env.ids.NewId();
  // Staff unfroze the user; before fraud saw it, the user reported the account stolen again:
  // auth and the wallet are frozen anew when the old event arrives.
  ledger.frozen = {user, stranger};
  auth.frozen.insert(user);
  auth.unknown.insert(stranger);
  env.Publish({Auth("auth.unfrozen", user, {{"audit_id", "a-old"}}),
               Auth("auth.unfrozen", stranger, {{"audit_id", "a-x"}})});
  events::Consumer consumer(env.redis.pool(), Retrying("c"),
                            MakeEventHandler(*env.store, nullptr, &ledger, &auth));
  REQUIRE(consumer.Init().ok());
  absl::StatusOr<int> handled = consumer.PollOnce();
  REQUIRE(handled.ok());
  CHECK(*handled == 2);
  CHECK(auth.lookup_calls == 2);
  CHECK(ledger.unfreeze_calls == 0);
  CHECK(ledger.frozen == std::set<std::string>{user, stranger});
  // Both are recorded (and acknowledged): nothing left to retry.
  CHECK(env.Count("SELECT count(*) FROM processed_events") == 2);

  // Once staff unfreeze the user again, that newer event unfreezes the wallet.
  auth.frozen.erase(user);
  env.Publish({Auth("auth.unfrozen", user, {{"audit_id", "a-new"}})});
  REQUIRE(consumer.PollOnce().ok());
  CHECK(ledger.unfreeze_calls == 1);
  CHECK(ledger.frozen.count(user) == 0);
}

TEST_CASE("assess: rules as data, decision log, shadow mode and versions") {
  Env env;
  testing::FakePayments payments;
  FakeClock clock(absl::Now());
  Assessor assessor(*env.store, payments, clock, env.ids);
  const std::string user = env.ids.NewId();
  env.Publish({Auth("auth.new_device", user, {{"device_id", "d-1"}})});
  events::Consumer consumer(
      env.redis.pool(), {.group = kConsumerGroup, .consumer = "c", .block = absl::Milliseconds(10)},
      MakeEventHandler(*env.store, nullptr));
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.PollOnce().ok());

  AssessInput in{.user_id = user,
                 .kind = ActivityKind::kTransfer,
                 .amount_minor = 200'000,
                 .currency = "CNY",
                 .counterparty_id = "payee",
                 .device_id = "d-1",
                 .reference_id = "pay-1"};
  absl::StatusOr<Assessment> a = assessor.Assess(in);
  REQUIRE(a.ok());
  CHECK(a->decision == Decision::kChallenge);  // device first seen just now, large amount
  REQUIRE(a->reasons.size() == 1);
  CHECK(a->reasons[0].rule_id == rule_ids::kNewDeviceLargeAmount);
  CHECK(env.Count(absl::StrCat("SELECT count(*) FROM decisions WHERE user_id = '", user,
                               "' AND decision = 2")) == 1);

  absl::StatusOr<std::vector<Rule>> rules = assessor.Rules();
  REQUIRE(rules.ok());
  const Rule& rule = *std::find_if(rules->begin(), rules->end(), [](const Rule& r) {
    return r.rule_id == rule_ids::kNewDeviceLargeAmount;
  });
  absl::StatusOr<Rule> shadowed = assessor.UpdateRule({.rule_id = rule.rule_id,
                                                       .expected_version = rule.version,
                                                       .mode = RuleMode::kShadow,
                                                       .note = "measure false positives",
                                                       .actor_id = "analyst-1"});
  REQUIRE(shadowed.ok());
  CHECK(shadowed->version == rule.version + 1);
  absl::StatusOr<Assessment> b = assessor.Assess(in);
  REQUIRE(b.ok());
  CHECK(b->decision == Decision::kAllow);
  REQUIRE(b->shadow_reasons.size() == 1);
  CHECK(env.Count("SELECT count(*) FROM decisions WHERE jsonb_array_length(shadow_reasons) = 1") ==
        1);
  CHECK(env.Count(absl::StrCat("SELECT count(*) FROM rule_versions WHERE rule_id = '", rule.rule_id,
                               "'")) == 2);
  // A stale edit is refused.
  absl::StatusOr<Rule> stale = assessor.UpdateRule({.rule_id = rule.rule_id,
                                                    .expected_version = rule.version,
                                                    .threshold = 1,
                                                    .note = "stale",
                                                    .actor_id = "analyst-2"});
  CHECK(absl::IsAborted(stale.status()));
  CHECK(ReasonOf(stale.status()) == reason::kVersionConflict);
  CHECK(absl::IsInvalidArgument(assessor.Assess({.user_id = user}).status()));

  // Latency of the hot path on this machine (a figure, not an assertion).
  std::vector<double> ms;
  for (int i = 0; i < 300; ++i) {
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(assessor.Assess(in).ok());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("Assess in-process (PostgreSQL read + decision insert): p50 %.2f ms, p99 %.2f ms\n",
              ms[ms.size() / 2], ms[ms.size() * 99 / 100]);
}

TEST_CASE("assess: the decision log written off the call path, batched, nothing lost") {
  Env env;
  testing::FakePayments payments;
  FakeClock clock(absl::Now());
  DecisionLogWriter writer(env.schema.pool(), {.queue_max = 50, .batch_max = 16});
  env.store->UseDecisionLog(&writer);
  Assessor assessor(*env.store, payments, clock, env.ids);
  const std::string user = env.ids.NewId();
  auto assess = [&](int i) {
    absl::StatusOr<Assessment> a = assessor.Assess({.user_id = user,
                                                    .kind = ActivityKind::kTransfer,
                                                    .amount_minor = 100 + i,
                                                    .currency = "CNY",
                                                    .counterparty_id = "payee",
                                                    .device_id = "d-1",
                                                    .reference_id = absl::StrCat("pay-", i)});
    REQUIRE(a.ok());
    return *a;
  };
  auto rows = [&] {
    return env.Count(absl::StrCat("SELECT count(*) FROM decisions WHERE user_id = '", user, "'"));
  };
  // Not started: written inline, at once.
  assess(0);
  CHECK(rows() == 1);
  writer.Start();
  // 120 calls: more than the queue holds at once, so some may be written inline; every one is
  // written exactly once in the end.
  for (int i = 1; i <= 120; ++i) assess(i);
  bool all = false;
  for (int i = 0; i < 100 && !all; ++i) {
    all = rows() == 121;
    if (!all) absl::SleepFor(absl::Milliseconds(20));
  }
  CHECK(all);
  CHECK(env.Count(absl::StrCat(
            "SELECT count(DISTINCT reference_id) FROM decisions WHERE user_id = '", user, "'")) ==
        121);
  // Stop writes what is queued; afterwards rows are written inline again.
  for (int i = 121; i <= 130; ++i) assess(i);
  writer.Stop();
  CHECK(rows() == 131);
  assess(131);
  CHECK(rows() == 132);
  env.store->UseDecisionLog(nullptr);
}

TEST_CASE("review decisions open a case with the payment and a risky-payment alert") {
  Env env;
  testing::FakePayments payments;
  FakeClock clock(absl::Now());
  Assessor assessor(*env.store, payments, clock, env.ids);
  const std::string user = env.ids.NewId();
  std::vector<events::Outbox::NewEvent> pins;
  for (int i = 0; i < 3; ++i) pins.push_back({"payments.pin_failed", user, "{}"});
  env.Publish(pins);
  events::Consumer consumer(
      env.redis.pool(), {.group = kConsumerGroup, .consumer = "c", .block = absl::Milliseconds(10)},
      MakeEventHandler(*env.store, nullptr));
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.PollOnce().ok());
  clock.Set(absl::Now() + absl::Seconds(1));  // the PIN failures are in the past
  absl::StatusOr<Assessment> a = assessor.Assess({.user_id = user,
                                                  .kind = ActivityKind::kTransfer,
                                                  .amount_minor = 100,
                                                  .currency = "CNY",
                                                  .counterparty_id = "x",
                                                  .device_id = "d",
                                                  .reference_id = "pay-77"});
  REQUIRE(a.ok());
  CHECK(a->decision == Decision::kReview);
  absl::StatusOr<std::vector<FraudCase>> cases = env.store->ListCases({.user_id = user});
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 1);
  CHECK(cases->at(0).kind == CaseKind::kPaymentReview);
  CHECK(cases->at(0).payment_ids == std::vector<std::string>{"pay-77"});
  absl::StatusOr<AlertPage> alerts = env.store->ListAlerts({.user_id = user});
  REQUIRE(alerts.ok());
  REQUIRE(alerts->alerts.size() == 1);
  CHECK(alerts->alerts[0].kind == AlertKind::kRiskyPaymentHeld);
  // The message key and arguments come back from storage as they were made.
  CHECK(alerts->alerts[0].message_key == "payment_held");
  CHECK(alerts->alerts[0].message_args ==
        std::map<std::string, std::string>{{"amount_minor", "100"}, {"currency", "CNY"}});

  // False positive: the held payment is approved, the case closes, a second resolve is refused.
  absl::StatusOr<FraudCase> resolved = assessor.ResolveCase(
      cases->at(0).case_id, CaseStatus::kFalsePositive, "customer confirmed", "analyst-1");
  REQUIRE(resolved.ok());
  CHECK(resolved->status == CaseStatus::kFalsePositive);
  CHECK(payments.resolved.at("pay-77") == true);
  CHECK(ReasonOf(
            assessor.ResolveCase(cases->at(0).case_id, CaseStatus::kConfirmed, "again", "analyst-1")
                .status()) == reason::kCaseClosed);
  auto timeline = env.store->GetCase(cases->at(0).case_id, kTimelineMax);
  REQUIRE(timeline.ok());
  REQUIRE(timeline->second.size() >= 2);
  CHECK(timeline->second.front().kind == "payments.assessed");
  CHECK(timeline->second.back().kind == "case.resolved");
}

TEST_CASE("alerts: list, acknowledge, settings threshold and at-least-once delivery") {
  Env env;
  const std::string user = env.ids.NewId();
  REQUIRE(env.store
              ->PutAlertSettings(user, {.threshold_minor = 10'000, .threshold_currency = "CNY"},
                                 env.clock.Now())
              .ok());
  env.Publish({Posted(user, 9'999, "tx-small"), Posted(user, 50'000, "tx-big"),
               Auth("auth.password_changed", user)});
  events::Consumer consumer(
      env.redis.pool(), {.group = kConsumerGroup, .consumer = "c", .block = absl::Milliseconds(10)},
      MakeEventHandler(*env.store, nullptr));
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.PollOnce().ok());
  absl::StatusOr<AlertPage> page = env.store->ListAlerts({.user_id = user});
  REQUIRE(page.ok());
  REQUIRE(page->alerts.size() == 2);  // the small payment is under the threshold
  CHECK(page->unread_count == 2);
  CHECK(page->alerts[0].kind == AlertKind::kPasswordChanged);  // newest first
  CHECK(page->alerts[1].payment_id == "tx-big");
  absl::StatusOr<Alert> acked =
      env.store->AcknowledgeAlert(user, page->alerts[0].alert_id, env.clock.Now());
  REQUIRE(acked.ok());
  CHECK(acked->acknowledged_at.has_value());
  CHECK(absl::IsNotFound(
      env.store->AcknowledgeAlert("someone-else", page->alerts[1].alert_id, env.clock.Now())
          .status()));
  absl::StatusOr<AlertPage> unread = env.store->ListAlerts({.user_id = user, .unread_only = true});
  REQUIRE(unread.ok());
  CHECK(unread->alerts.size() == 1);
  CHECK(unread->unread_count == 1);

  int sent = 0;
  auto deliver = [&](const Alert&) {
    ++sent;
    return absl::OkStatus();
  };
  absl::StatusOr<int> first = env.store->DeliverPending(100, deliver, env.clock.Now());
  REQUIRE(first.ok());
  CHECK(*first >= 2);
  absl::StatusOr<int> second = env.store->DeliverPending(100, deliver, env.clock.Now());
  REQUIRE(second.ok());
  CHECK(*second == 0);
}

TEST_CASE("stolen account on the real store: interrupted, retried, every step once") {
  Env env;
  testing::FakeAuth auth;
  testing::FakeLedger ledger;
  testing::FakePayments payments;
  testing::FakeSupport support;
  notify::FakeNotifier notifier;
  FakeClock clock(absl::Now());
  StolenAccountFlow flow(*env.store, auth, ledger, payments, support, notifier, clock);
  const std::string user = env.ids.NewId();
  env.Publish({Posted(user, 88'800, "tx-9")});
  events::Consumer consumer(
      env.redis.pool(), {.group = kConsumerGroup, .consumer = "c", .block = absl::Milliseconds(10)},
      MakeEventHandler(*env.store, nullptr));
  REQUIRE(consumer.Init().ok());
  REQUIRE(consumer.PollOnce().ok());
  ledger.holds = {{"hold-1", true}};
  support.ticket_failure.remaining = 1;

  absl::StatusOr<StolenOutcome> first = flow.Report({.user_id = user, .idempotency_key = "k"});
  REQUIRE(first.ok());
  CHECK_FALSE(first->report.Done(StolenStep::kOpenTicket));
  absl::StatusOr<StolenOutcome> second = flow.Report({.user_id = user, .idempotency_key = "k"});
  REQUIRE(second.ok());
  CHECK(second->pending_error.ok());
  CHECK(second->report.case_id == first->report.case_id);
  CHECK_FALSE(second->report.ticket_id.empty());
  CHECK(auth.freeze_calls == 1);
  CHECK(ledger.freeze_calls == 1);
  CHECK(ledger.void_calls == 1);
  CHECK(payments.cancel_calls == 1);
  CHECK(support.open_calls == 1);
  CHECK(notifier.sent.size() == 3);
  CHECK(support.requests[0].body.find("tx-9") != std::string::npos);
  CHECK(env.Count("SELECT count(*) FROM stolen_reports WHERE completed_at IS NOT NULL") == 1);
  CHECK(env.Count("SELECT count(*) FROM cases WHERE kind = 1") == 1);
  // A third call after completion with the same key: the same report, no step again.
  absl::StatusOr<StolenOutcome> third = flow.Report({.user_id = user, .idempotency_key = "k"});
  REQUIRE(third.ok());
  CHECK(third->report.report_id == first->report.report_id);
  CHECK(auth.freeze_calls == 1);
  CHECK(support.open_calls == 1);

  // Flagging a transaction joins the open stolen-account case.
  absl::StatusOr<FlaggedTransaction> flag =
      flow.FlagTransaction({.user_id = user, .transaction_id = "tx-9"});
  REQUIRE(flag.ok());
  CHECK(flag->case_id == first->report.case_id);
  absl::StatusOr<FlaggedTransaction> again =
      flow.FlagTransaction({.user_id = user, .transaction_id = "tx-9"});
  REQUIRE(again.ok());
  CHECK(again->ticket_id == flag->ticket_id);
}

}  // namespace
}  // namespace uwallet::fraud
