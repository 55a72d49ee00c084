#include "services/fraud/storage/pg_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/fraud/core/errors.h"
#include "services/fraud/core/features.h"
#include "services/fraud/core/rules.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"
#include "uwallet/events/events.h"

namespace uwallet::fraud {
namespace {

using json = nlohmann::json;

// Times travel as integer microseconds since the epoch (no float rounding, no time zones).
std::string Ts(int n) {
  return absl::StrCat("(timestamptz 'epoch' + $", n, "::bigint * interval '1 microsecond')");
}
std::string Us(absl::string_view column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time TimeAt(const pg::Result& r, int row, int column) {
  return absl::FromUnixMicros(r.Int(row, column));
}
std::optional<absl::Time> OptionalTimeAt(const pg::Result& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return TimeAt(r, row, column);
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ReasonsToJson(const std::vector<Reason>& reasons) {
  json out = json::array();
  for (const Reason& r : reasons) {
    out.push_back({{"rule_id", r.rule_id},
                   {"code", r.code},
                   {"description", r.description},
                   {"score", r.score}});
  }
  return out;
}

std::vector<Reason> ReasonsFromJson(const std::string& text) {
  std::vector<Reason> out;
  json array = json::parse(text, nullptr, false);
  if (!array.is_array()) return out;
  for (const json& r : array) {
    if (!r.is_object()) continue;
    out.push_back({r.value("rule_id", ""), r.value("code", ""), r.value("description", ""),
                   r.value("score", 0)});
  }
  return out;
}

// Postgres array literal of text values: {"a","b"} with quotes and backslashes escaped.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"";
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

std::vector<std::string> ParseTextArray(const std::string& literal) {
  // Values written by TextArray (ids: no quotes or commas inside); tolerant of quoting.
  std::vector<std::string> out;
  if (literal.size() < 2) return out;
  std::string current;
  bool quoted = false;
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    const char c = literal[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && i + 2 < literal.size()) {
      current += literal[++i];
    } else if (c == ',' && !quoted) {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty() || !out.empty()) out.push_back(current);
  return out;
}

constexpr char kRuleColumns[] =
    "rule_id, name, description, mode, threshold, window_s, score, decision, version, "
    "(extract(epoch from updated_at) * 1000000)::bigint, updated_by";

Rule ReadRule(const pg::Result& r, int row) {
  Rule rule;
  rule.rule_id = r.String(row, 0);
  rule.name = r.String(row, 1);
  rule.description = r.String(row, 2);
  rule.mode = static_cast<RuleMode>(r.Int(row, 3));
  rule.threshold = r.Int(row, 4);
  rule.window_s = r.Int(row, 5);
  rule.score = static_cast<int>(r.Int(row, 6));
  rule.decision = static_cast<Decision>(r.Int(row, 7));
  rule.version = r.Int(row, 8);
  rule.updated_at = TimeAt(r, row, 9);
  rule.updated_by = r.String(row, 10);
  return rule;
}

constexpr char kAlertColumns[] =
    "alert_id::text, user_id, category, kind, severity, title, body, payment_id, amount_minor, "
    "currency, device_id, device_name, ip, COALESCE(source_event_id, ''), "
    "(extract(epoch from created_at) * 1000000)::bigint, "
    "(extract(epoch from acknowledged_at) * 1000000)::bigint, message_key, message_args::text";

// {"key": "value", ...} as stored in alerts.message_args; anything else reads as no arguments.
std::map<std::string, std::string> MessageArgsFromJson(const std::string& text) {
  std::map<std::string, std::string> args;
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return args;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) args.emplace(key, value.get<std::string>());
  }
  return args;
}

Alert ReadAlert(const pg::Result& r, int row) {
  Alert a;
  a.alert_id = r.String(row, 0);
  a.user_id = r.String(row, 1);
  a.category = static_cast<AlertCategory>(r.Int(row, 2));
  a.kind = static_cast<AlertKind>(r.Int(row, 3));
  a.severity = static_cast<AlertSeverity>(r.Int(row, 4));
  a.title = r.String(row, 5);
  a.body = r.String(row, 6);
  a.payment_id = r.String(row, 7);
  if (!r.IsNull(row, 8)) a.amount_minor = r.Int(row, 8);
  a.currency = r.String(row, 9);
  a.device_id = r.String(row, 10);
  a.device_name = r.String(row, 11);
  a.ip = r.String(row, 12);
  a.source_event_id = r.String(row, 13);
  a.created_at = TimeAt(r, row, 14);
  a.acknowledged_at = OptionalTimeAt(r, row, 15);
  a.message_key = r.String(row, 16);
  a.message_args = MessageArgsFromJson(r.String(row, 17));
  return a;
}

constexpr char kCaseColumns[] =
    "case_id::text, user_id, kind, status, score, summary, ticket_id, payment_ids::text, "
    "(extract(epoch from opened_at) * 1000000)::bigint, "
    "(extract(epoch from resolved_at) * 1000000)::bigint, resolution_note";

FraudCase ReadCase(const pg::Result& r, int row) {
  FraudCase c;
  c.case_id = r.String(row, 0);
  c.user_id = r.String(row, 1);
  c.kind = static_cast<CaseKind>(r.Int(row, 2));
  c.status = static_cast<CaseStatus>(r.Int(row, 3));
  c.score = static_cast<int>(r.Int(row, 4));
  c.summary = r.String(row, 5);
  c.ticket_id = r.String(row, 6);
  c.payment_ids = ParseTextArray(r.String(row, 7));
  c.opened_at = TimeAt(r, row, 8);
  c.resolved_at = OptionalTimeAt(r, row, 9);
  c.resolution_note = r.String(row, 10);
  return c;
}

struct StepColumn {
  StolenStep step;
  const char* column;
};
constexpr StepColumn kStepColumns[] = {
    {StolenStep::kFreezeLogin, "freeze_login_at"},
    {StolenStep::kFreezeWallet, "freeze_wallet_at"},
    {StolenStep::kRevokeSessions, "revoke_sessions_at"},
    {StolenStep::kVoidHolds, "void_holds_at"},
    {StolenStep::kCancelSchedules, "cancel_schedules_at"},
    {StolenStep::kOpenCase, "open_case_at"},
    {StolenStep::kOpenTicket, "open_ticket_at"},
    {StolenStep::kNotify, "notify_at"},
};

std::string ReportColumns() {
  std::string columns =
      "report_id::text, user_id, idempotency_key, case_id::text, ticket_id, description, "
      "(extract(epoch from created_at) * 1000000)::bigint";
  for (const StepColumn& s : kStepColumns) absl::StrAppend(&columns, ", ", Us(s.column));
  return columns;
}

StolenReport ReadReport(const pg::Result& r, int row) {
  StolenReport report;
  report.report_id = r.String(row, 0);
  report.user_id = r.String(row, 1);
  report.idempotency_key = r.String(row, 2);
  report.case_id = r.String(row, 3);
  report.ticket_id = r.String(row, 4);
  report.description = r.String(row, 5);
  report.created_at = TimeAt(r, row, 6);
  int column = 7;
  for (const StepColumn& s : kStepColumns) {
    if (!r.IsNull(row, column)) report.done[s.step] = TimeAt(r, row, column);
    ++column;
  }
  return report;
}

const char* StepColumnOf(StolenStep step) {
  for (const StepColumn& s : kStepColumns) {
    if (s.step == step) return s.column;
  }
  return nullptr;
}

}  // namespace

absl::Status PgFraudStore::EnsureRules(const std::vector<Rule>& defaults, absl::Time now) {
  return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    for (const Rule& rule : defaults) {
      UW_ASSIGN_OR_RETURN(
          pg::Result inserted,
          tx.Exec(absl::StrCat("INSERT INTO rules (rule_id, name, description, mode, threshold,"
                               " window_s, score, decision, version, updated_at, updated_by)"
                               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, ",
                               Ts(9), ", 'system') ON CONFLICT (rule_id) DO NOTHING"),
                  pg::P(rule.rule_id, rule.name, rule.description, static_cast<int>(rule.mode),
                        rule.threshold, rule.window_s, rule.score, static_cast<int>(rule.decision),
                        Micros(now))));
      if (inserted.Affected() == 0) continue;
      UW_RETURN_IF_ERROR(
          tx.Exec(absl::StrCat("INSERT INTO rule_versions (rule_id, version, mode, threshold,"
                               " window_s, score, decision, params, note, updated_at, updated_by)"
                               " SELECT rule_id, version, mode, threshold, window_s, score,"
                               " decision, params, 'default', updated_at, updated_by FROM rules"
                               " WHERE rule_id = $1"),
                  pg::P(rule.rule_id))
              .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Features> PgFraudStore::LoadFeatures(const std::string& user_id) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT features::text FROM risk_features WHERE user_id = $1", pg::P(user_id)));
  Features features;
  if (r.Rows() > 0) {
    UW_ASSIGN_OR_RETURN(features, FeaturesFromJson(r.String(0, 0)));
  }
  features.user_id = user_id;
  return features;
}

absl::StatusOr<std::vector<Rule>> PgFraudStore::LoadRules() {
  UW_ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(absl::StrCat("SELECT ", kRuleColumns,
                                                            " FROM rules ORDER BY rule_id")));
  std::vector<Rule> rules;
  for (int i = 0; i < r.Rows(); ++i) rules.push_back(ReadRule(r, i));
  return rules;
}

absl::Status PgFraudStore::AddCaseEvent(pg::Connection& tx, const std::string& case_id,
                                        const CaseEvent& e) {
  json metadata = json::object();
  for (const auto& [k, v] : e.metadata) metadata[k] = v;
  return tx
      .Exec(absl::StrCat("INSERT INTO case_events (case_id, occurred_at, kind, description,"
                         " actor_id, decision, reasons, event_id, metadata) VALUES ($1::uuid, ",
                         Ts(2), ", $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb)"),
            pg::P(case_id, Micros(e.occurred_at), e.kind, e.description, e.actor_id,
                  static_cast<int>(e.decision), Dump(ReasonsToJson(e.reasons)), e.event_id,
                  Dump(metadata)))
      .status();
}

absl::StatusOr<std::string> PgFraudStore::OpenCase(pg::Connection& tx, const std::string& user_id,
                                                   CaseKind kind, int score,
                                                   const std::string& summary,
                                                   const std::vector<std::string>& payment_ids,
                                                   absl::Time now) {
  std::string case_id = ids_.NewId();
  UW_RETURN_IF_ERROR(
      tx.Exec(absl::StrCat("INSERT INTO cases (case_id, user_id, kind, status, score, summary,"
                           " payment_ids, opened_at) VALUES ($1::uuid, $2, $3, 1, $4, $5,"
                           " $6::text[], ",
                           Ts(7), ")"),
              pg::P(case_id, user_id, static_cast<int>(kind), score, summary,
                    TextArray(payment_ids), Micros(now)))
          .status());
  return case_id;
}

absl::Status PgFraudStore::InsertAlerts(pg::Connection& tx, std::vector<Alert>* alerts) {
  std::vector<Alert> inserted;
  for (Alert& a : *alerts) {
    a.alert_id = ids_.NewId();
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec(absl::StrCat("INSERT INTO alerts (alert_id, user_id, category, kind, severity,"
                             " title, body, payment_id, amount_minor, currency, device_id,"
                             " device_name, ip, source_event_id, created_at, message_key,"
                             " message_args) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8,"
                             " $9::bigint, $10, $11, $12, $13, $14, ",
                             Ts(15),
                             ", $16, $17::jsonb)"
                             " ON CONFLICT (user_id, source_event_id, kind) DO NOTHING"),
                pg::P(a.alert_id, a.user_id, static_cast<int>(a.category), static_cast<int>(a.kind),
                      static_cast<int>(a.severity), a.title, a.body, a.payment_id,
                      a.amount_minor ? pg::Param(std::to_string(*a.amount_minor))
                                     : pg::Param(std::nullopt),
                      a.currency, a.device_id, a.device_name, a.ip,
                      a.source_event_id.empty() ? pg::Param(std::nullopt)
                                                : pg::Param(a.source_event_id),
                      Micros(a.created_at), a.message_key,
                      json(a.message_args).dump(-1, ' ', false, json::error_handler_t::replace))));
    if (r.Affected() == 1) inserted.push_back(std::move(a));
  }
  *alerts = std::move(inserted);
  return absl::OkStatus();
}

absl::Status PgFraudStore::RecordAssessment(const AssessInput& in, const Assessment& a,
                                            const std::vector<Alert>& alerts, absl::Time now) {
  const std::string insert = absl::StrCat(
      "INSERT INTO decisions (assessment_id, user_id, kind, amount_minor, currency,"
      " counterparty_id, device_id, ip, reference_id, decision, score, reasons, shadow_reasons,"
      " created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb,"
      " $13::jsonb, ",
      Ts(14), ")");
  const pg::Params params = pg::P(
      a.assessment_id, in.user_id, static_cast<int>(in.kind), in.amount_minor, in.currency,
      in.counterparty_id, in.device_id, in.ip, in.reference_id, static_cast<int>(a.decision),
      a.score, Dump(ReasonsToJson(a.reasons)), Dump(ReasonsToJson(a.shadow_reasons)), Micros(now));
  if (a.decision != Decision::kReview && a.decision != Decision::kDecline && alerts.empty()) {
    // The common case, on the hot path: the decision log row does not wait for the WAL flush
    // (a crash may lose the last few milliseconds of allow/challenge log rows, never a case or
    // an alert; fsync latency here swings from 0.1 to 2+ ms). With the decision-log writer the
    // call does not wait for a transaction at all.
    if (decision_log_ != nullptr && decision_log_->Enqueue({insert, params})) {
      return absl::OkStatus();
    }
    return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
      UW_RETURN_IF_ERROR(tx.Exec("SET LOCAL synchronous_commit TO off").status());
      return tx.Exec(insert, params).status();
    });
  }
  return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_RETURN_IF_ERROR(tx.Exec(insert, params).status());
    std::vector<Alert> copy = alerts;
    UW_RETURN_IF_ERROR(InsertAlerts(tx, &copy));
    CaseEvent event{.occurred_at = now,
                    .kind = "payments.assessed",
                    .description = absl::StrCat("assessment ", a.assessment_id, " of ",
                                                FormatMoney(in.amount_minor, in.currency), " to ",
                                                in.counterparty_id),
                    .actor_id = "service:fraud",
                    .decision = a.decision,
                    .reasons = a.reasons,
                    .event_id = a.assessment_id,
                    .metadata = {{"reference_id", in.reference_id}, {"device_id", in.device_id}}};
    if (a.decision == Decision::kReview) {
      UW_ASSIGN_OR_RETURN(
          std::string case_id,
          OpenCase(
              tx, in.user_id, CaseKind::kPaymentReview, a.score,
              absl::StrCat("Payment held for review: ", FormatMoney(in.amount_minor, in.currency)),
              in.reference_id.empty() ? std::vector<std::string>{}
                                      : std::vector<std::string>{in.reference_id},
              now));
      UW_RETURN_IF_ERROR(AddCaseEvent(tx, case_id, event));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Rule> PgFraudStore::UpdateRule(const RuleUpdate& update, absl::Time now) {
  Rule rule;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec(absl::StrCat("SELECT ", kRuleColumns, " FROM rules WHERE rule_id = $1 FOR UPDATE"),
                pg::P(update.rule_id)));
    if (r.Rows() == 0) return NotFound("no such rule");
    rule = ReadRule(r, 0);
    if (rule.version != update.expected_version) {
      return VersionConflict(
          absl::StrCat("the rule is at version ", rule.version, "; reload and edit again"));
    }
    if (update.mode) rule.mode = *update.mode;
    if (update.threshold) rule.threshold = *update.threshold;
    if (update.window_s) rule.window_s = *update.window_s;
    if (update.score) rule.score = *update.score;
    if (update.decision) rule.decision = *update.decision;
    UW_RETURN_IF_ERROR(ValidateRule(rule));
    rule.version += 1;
    rule.updated_at = now;
    rule.updated_by = update.actor_id;
    UW_RETURN_IF_ERROR(
        tx.Exec(absl::StrCat("UPDATE rules SET mode = $2, threshold = $3, window_s = $4,"
                             " score = $5, decision = $6, version = $7, updated_at = ",
                             Ts(8), ", updated_by = $9 WHERE rule_id = $1"),
                pg::P(rule.rule_id, static_cast<int>(rule.mode), rule.threshold, rule.window_s,
                      rule.score, static_cast<int>(rule.decision), rule.version, Micros(now),
                      rule.updated_by))
            .status());
    return tx
        .Exec(absl::StrCat("INSERT INTO rule_versions (rule_id, version, mode, threshold,"
                           " window_s, score, decision, params, note, updated_at, updated_by)"
                           " SELECT rule_id, version, mode, threshold, window_s, score, decision,"
                           " params, $2, updated_at, updated_by FROM rules WHERE rule_id = $1"),
              pg::P(rule.rule_id, update.note))
        .status();
  }));
  return rule;
}

absl::StatusOr<std::vector<Alert>> PgFraudStore::ApplyEventOnce(const RiskEvent& event,
                                                                const std::string& group) {
  if (!IsUuid(event.id)) {
    log::Warn("fraud: ignoring an event without a UUID id", {{"type", event.type}});
    return std::vector<Alert>{};
  }
  std::vector<Alert> alerts;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    alerts.clear();
    UW_ASSIGN_OR_RETURN(bool fresh, events::MarkProcessedInTx(tx, group, event.id));
    if (!fresh) return absl::OkStatus();  // redelivery: the effect is already committed
    const std::string user_id = UserOf(event);
    if (user_id.empty() || user_id.size() > 64) return absl::OkStatus();
    UW_RETURN_IF_ERROR(
        tx.Exec(absl::StrCat("INSERT INTO risk_features (user_id, features, updated_at)"
                             " VALUES ($1, '{}'::jsonb, ",
                             Ts(2), ") ON CONFLICT (user_id) DO NOTHING"),
                pg::P(user_id, Micros(event.occurred_at)))
            .status());
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec("SELECT features::text FROM risk_features WHERE user_id = $1 FOR UPDATE",
                pg::P(user_id)));
    UW_ASSIGN_OR_RETURN(Features features, FeaturesFromJson(r.String(0, 0)));
    absl::StatusOr<bool> changed = ApplyEvent(event, &features);
    if (!changed.ok()) {
      // A malformed event can never succeed: record it as processed and move on.
      log::Warn("fraud: dropping a malformed event", {{"event", event.id}, {"type", event.type}});
      return absl::OkStatus();
    }
    if (*changed) {
      UW_RETURN_IF_ERROR(
          tx.Exec(absl::StrCat("UPDATE risk_features SET features = $2::jsonb,"
                               " events_applied = events_applied + 1, updated_at = ",
                               Ts(3), " WHERE user_id = $1"),
                  pg::P(user_id, FeaturesToJson(features), Micros(event.occurred_at)))
              .status());
    }
    // Alert settings in the same snapshot.
    AlertSettings settings;
    UW_ASSIGN_OR_RETURN(pg::Result s,
                        tx.Exec("SELECT threshold_minor, threshold_currency FROM alert_settings"
                                " WHERE user_id = $1",
                                pg::P(user_id)));
    if (s.Rows() > 0 && !s.IsNull(0, 0)) {
      settings.threshold_minor = s.Int(0, 0);
      settings.threshold_currency = s.String(0, 1);
    }
    alerts = AlertsFor(event, settings);
    UW_RETURN_IF_ERROR(InsertAlerts(tx, &alerts));
    // The event joins the timeline of the user's open cases.
    return tx
        .Exec(absl::StrCat("INSERT INTO case_events (case_id, occurred_at, kind, description,"
                           " actor_id, event_id) SELECT case_id, ",
                           Ts(2),
                           ", $3, $4, $5, $6 FROM cases WHERE user_id = $1 AND status = 1"
                           " ORDER BY opened_at DESC LIMIT $7"),
              pg::P(user_id, Micros(event.occurred_at), event.type,
                    absl::StrCat("event from ", event.type.substr(0, event.type.find('.'))),
                    absl::StrCat("service:", event.type.substr(0, event.type.find('.'))), event.id,
                    kOpenCasesPerEventMax))
        .status();
  }));
  return alerts;
}

absl::StatusOr<int> PgFraudStore::DeliverPending(
    int limit, const std::function<absl::Status(const Alert&)>& deliver, absl::Time now) {
  int delivered = 0;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    delivered = 0;
    UW_ASSIGN_OR_RETURN(
        pg::Result r, tx.Exec(absl::StrCat("SELECT ", kAlertColumns,
                                           " FROM alerts WHERE delivered_at IS NULL"
                                           " ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED"),
                              pg::P(limit)));
    std::vector<std::string> ids;
    for (int i = 0; i < r.Rows(); ++i) {
      Alert alert = ReadAlert(r, i);
      absl::Status status = deliver(alert);
      if (!status.ok()) {
        log::Warn("fraud: alert delivery failed; will retry",
                  {{"alert", alert.alert_id}, {"error", status.ToString()}});
        break;
      }
      ids.push_back(alert.alert_id);
    }
    if (ids.empty()) return absl::OkStatus();
    UW_RETURN_IF_ERROR(tx.Exec(absl::StrCat("UPDATE alerts SET delivered_at = ", Ts(2),
                                            " WHERE alert_id = ANY($1::uuid[])"),
                               pg::P(TextArray(ids), Micros(now)))
                           .status());
    delivered = static_cast<int>(ids.size());
    return absl::OkStatus();
  }));
  return delivered;
}

absl::StatusOr<AlertPage> PgFraudStore::ListAlerts(const AlertQuery& q) {
  if (!q.before_alert_id.empty() && !IsUuid(q.before_alert_id)) {
    return PageTokenInvalid("bad page token");
  }
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(absl::StrCat("SELECT ", kAlertColumns,
                              " FROM alerts WHERE user_id = $1"
                              " AND ($2::bool = false OR acknowledged_at IS NULL)"
                              " AND ($3::int = 0 OR category = $3::int)"
                              " AND ($4::text = '' OR alert_id < NULLIF($4::text, '')::uuid)"
                              " ORDER BY alert_id DESC LIMIT $5"),
                 pg::P(q.user_id, q.unread_only, static_cast<int>(q.category), q.before_alert_id,
                       q.page_size + 1)));
  AlertPage page;
  for (int i = 0; i < r.Rows() && i < q.page_size; ++i) page.alerts.push_back(ReadAlert(r, i));
  if (r.Rows() > q.page_size && !page.alerts.empty()) {
    page.next_before_alert_id = page.alerts.back().alert_id;
  }
  UW_ASSIGN_OR_RETURN(pg::Result count, pool_.Exec("SELECT count(*) FROM alerts WHERE user_id = $1"
                                                   " AND acknowledged_at IS NULL",
                                                   pg::P(q.user_id)));
  page.unread_count = static_cast<int>(count.Int(0, 0));
  return page;
}

absl::StatusOr<Alert> PgFraudStore::AcknowledgeAlert(const std::string& user_id,
                                                     const std::string& alert_id, absl::Time now) {
  if (!IsUuid(alert_id)) return InvalidField("alert_id is not a valid id");
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(
          absl::StrCat("UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, ", Ts(3),
                       ") WHERE user_id = $1 AND alert_id = $2::uuid RETURNING ", kAlertColumns),
          pg::P(user_id, alert_id, Micros(now))));
  if (r.Rows() == 0) return NotFound("no such alert");
  return ReadAlert(r, 0);
}

absl::StatusOr<std::vector<Alert>> PgFraudStore::AlertsAfter(const std::string& user_id,
                                                             const std::string& after_alert_id,
                                                             int limit) {
  std::vector<Alert> out;
  if (!IsUuid(after_alert_id)) return out;
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", kAlertColumns,
                                              " FROM alerts WHERE user_id = $1 AND alert_id >"
                                              " $2::uuid ORDER BY alert_id LIMIT $3"),
                                 pg::P(user_id, after_alert_id, limit)));
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadAlert(r, i));
  return out;
}

absl::StatusOr<std::string> PgFraudStore::LatestAlertId(const std::string& user_id) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT alert_id::text FROM alerts WHERE user_id = $1"
                                 " ORDER BY alert_id DESC LIMIT 1",
                                 pg::P(user_id)));
  // No alert yet: the nil UUID sorts before every real one.
  return r.Rows() == 0 ? std::string("00000000-0000-0000-0000-000000000000") : r.String(0, 0);
}

absl::StatusOr<AlertSettings> PgFraudStore::GetAlertSettings(const std::string& user_id) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT threshold_minor, threshold_currency, channels::text"
                                 " FROM alert_settings WHERE user_id = $1",
                                 pg::P(user_id)));
  AlertSettings settings;
  if (r.Rows() == 0) return settings;
  if (!r.IsNull(0, 0)) settings.threshold_minor = r.Int(0, 0);
  settings.threshold_currency = r.String(0, 1);
  for (const std::string& c : ParseTextArray(r.String(0, 2))) {
    int value = 0;
    if (absl::SimpleAtoi(c, &value)) settings.channels.push_back(static_cast<Channel>(value));
  }
  return settings;
}

absl::Status PgFraudStore::PutAlertSettings(const std::string& user_id,
                                            const AlertSettings& settings, absl::Time now) {
  std::vector<std::string> channels;
  for (Channel c : settings.channels) channels.push_back(std::to_string(static_cast<int>(c)));
  return pool_
      .Exec(absl::StrCat("INSERT INTO alert_settings (user_id, threshold_minor,"
                         " threshold_currency, channels, updated_at) VALUES ($1, $2::bigint, $3,"
                         " $4::smallint[], ",
                         Ts(5),
                         ") ON CONFLICT (user_id) DO UPDATE SET threshold_minor ="
                         " EXCLUDED.threshold_minor, threshold_currency ="
                         " EXCLUDED.threshold_currency, channels = EXCLUDED.channels,"
                         " updated_at = EXCLUDED.updated_at"),
            pg::P(user_id,
                  settings.threshold_minor ? pg::Param(std::to_string(*settings.threshold_minor))
                                           : pg::Param(std::nullopt),
                  settings.threshold_currency, absl::StrCat("{", absl::StrJoin(channels, ","), "}"),
                  Micros(now)))
      .status();
}

absl::StatusOr<std::vector<FraudCase>> PgFraudStore::ListCases(const CaseQuery& q) {
  std::vector<std::string> statuses, kinds;
  for (CaseStatus s : q.statuses) statuses.push_back(std::to_string(static_cast<int>(s)));
  if (statuses.empty()) statuses.push_back("1");
  for (CaseKind k : q.kinds) kinds.push_back(std::to_string(static_cast<int>(k)));
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(absl::StrCat("SELECT ", kCaseColumns,
                              " FROM cases WHERE status = ANY($1::smallint[])"
                              " AND (cardinality($2::smallint[]) = 0 OR kind = ANY($2::smallint[]))"
                              " AND ($3::text = '' OR user_id = $3::text)"
                              " ORDER BY status, score DESC, opened_at, case_id"
                              " LIMIT $4 OFFSET $5"),
                 pg::P(absl::StrCat("{", absl::StrJoin(statuses, ","), "}"),
                       absl::StrCat("{", absl::StrJoin(kinds, ","), "}"), q.user_id,
                       q.page_size + 1, q.offset)));
  std::vector<FraudCase> cases;
  for (int i = 0; i < r.Rows(); ++i) cases.push_back(ReadCase(r, i));
  return cases;
}

absl::StatusOr<std::pair<FraudCase, std::vector<CaseEvent>>> PgFraudStore::GetCase(
    const std::string& case_id, int timeline_max) {
  if (!IsUuid(case_id)) return NotFound("no such case");
  UW_ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(absl::StrCat("SELECT ", kCaseColumns,
                                                            " FROM cases WHERE case_id = $1::uuid"),
                                               pg::P(case_id)));
  if (r.Rows() == 0) return NotFound("no such case");
  std::pair<FraudCase, std::vector<CaseEvent>> out{ReadCase(r, 0), {}};
  UW_ASSIGN_OR_RETURN(
      pg::Result e,
      pool_.Exec(absl::StrCat("SELECT * FROM (SELECT seq, ", Us("occurred_at"),
                              ", kind, description, actor_id, decision, reasons::text, event_id,"
                              " metadata::text FROM case_events WHERE case_id = $1::uuid"
                              " ORDER BY seq DESC LIMIT $2) last ORDER BY seq"),
                 pg::P(case_id, timeline_max)));
  for (int i = 0; i < e.Rows(); ++i) {
    CaseEvent event;
    event.occurred_at = TimeAt(e, i, 1);
    event.kind = e.String(i, 2);
    event.description = e.String(i, 3);
    event.actor_id = e.String(i, 4);
    event.decision = static_cast<Decision>(e.Int(i, 5));
    event.reasons = ReasonsFromJson(e.String(i, 6));
    event.event_id = e.String(i, 7);
    json metadata = json::parse(e.String(i, 8), nullptr, false);
    if (metadata.is_object()) {
      for (auto it = metadata.begin(); it != metadata.end(); ++it) {
        if (it->is_string()) event.metadata[it.key()] = it->get<std::string>();
      }
    }
    out.second.push_back(std::move(event));
  }
  return out;
}

absl::StatusOr<FraudCase> PgFraudStore::ResolveCase(const std::string& case_id, CaseStatus status,
                                                    const std::string& note,
                                                    const std::string& actor_id, absl::Time now) {
  if (!IsUuid(case_id)) return NotFound("no such case");
  FraudCase resolved;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec(absl::StrCat("UPDATE cases SET status = $2, resolved_at = ", Ts(3),
                             ", resolution_note = $4, resolved_by = $5"
                             " WHERE case_id = $1::uuid AND status = 1 RETURNING ",
                             kCaseColumns),
                pg::P(case_id, static_cast<int>(status), Micros(now), note, actor_id)));
    if (r.Rows() == 0) {
      UW_ASSIGN_OR_RETURN(pg::Result exists,
                          tx.Exec("SELECT 1 FROM cases WHERE case_id = $1::uuid", pg::P(case_id)));
      return exists.Rows() == 0 ? NotFound("no such case")
                                : CaseClosed("the case is already resolved");
    }
    resolved = ReadCase(r, 0);
    return AddCaseEvent(
        tx, case_id,
        {.occurred_at = now,
         .kind = "case.resolved",
         .description = absl::StrCat(
             status == CaseStatus::kConfirmed ? "confirmed fraud: " : "false positive: ", note),
         .actor_id = actor_id});
  }));
  return resolved;
}

absl::StatusOr<std::optional<StolenReport>> PgFraudStore::FindByProof(
    const std::string& idempotency_key, const std::string& destination_sha256) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", ReportColumns(),
                                              " FROM stolen_reports WHERE idempotency_key = $1"
                                              " AND destination_sha256 = $2"
                                              " AND destination_sha256 <> '' LIMIT 1"),
                                 pg::P(idempotency_key, destination_sha256)));
  if (r.Rows() == 0) return std::optional<StolenReport>();
  return std::optional<StolenReport>(ReadReport(r, 0));
}

absl::StatusOr<StolenReport> PgFraudStore::BeginReport(const NewStolenReport& in) {
  StolenReport report;
  absl::Status status;
  // Two concurrent first reports race on the one-open-report index: the loser sees the winner's
  // report on its second attempt.
  for (int attempt = 0; attempt < 2; ++attempt) {
    status = pool_.Transact([&](pg::Connection& tx) -> absl::Status {
      UW_ASSIGN_OR_RETURN(
          pg::Result r,
          tx.Exec(
              absl::StrCat("SELECT ", ReportColumns(),
                           " FROM stolen_reports WHERE user_id = $1 AND (completed_at IS NULL"
                           " OR idempotency_key = $2) ORDER BY completed_at NULLS FIRST LIMIT 1"),
              pg::P(in.user_id, in.idempotency_key)));
      if (r.Rows() > 0) {
        report = ReadReport(r, 0);
        return absl::OkStatus();
      }
      // Join the user's open stolen-account case, if any; else open one.
      UW_ASSIGN_OR_RETURN(pg::Result c,
                          tx.Exec("SELECT case_id::text FROM cases WHERE user_id = $1"
                                  " AND kind = 1 AND status = 1 ORDER BY opened_at LIMIT 1",
                                  pg::P(in.user_id)));
      std::string case_id;
      if (c.Rows() > 0) {
        case_id = c.String(0, 0);
      } else {
        UW_ASSIGN_OR_RETURN(case_id, OpenCase(tx, in.user_id, CaseKind::kStolenAccount, kScoreMax,
                                              "Account reported stolen by its owner", {}, in.now));
      }
      const std::string report_id = ids_.NewId();
      UW_RETURN_IF_ERROR(
          tx.Exec(absl::StrCat("INSERT INTO stolen_reports (report_id, user_id, idempotency_key,"
                               " destination_sha256, description, case_id, created_at,"
                               " open_case_at) VALUES ($1::uuid, $2, $3, $4, $5, $6::uuid, ",
                               Ts(7), ", ", Ts(7), ")"),
                  pg::P(report_id, in.user_id, in.idempotency_key, in.destination_sha256,
                        in.description, case_id, Micros(in.now)))
              .status());
      UW_RETURN_IF_ERROR(AddCaseEvent(
          tx, case_id,
          {.occurred_at = in.now,
           .kind = "stolen.reported",
           .description = in.description.empty() ? "account reported stolen" : in.description,
           .actor_id = in.destination_sha256.empty() ? in.user_id : "anonymous (code verified)",
           .event_id = report_id}));
      report = StolenReport{};
      report.report_id = report_id;
      report.user_id = in.user_id;
      report.idempotency_key = in.idempotency_key;
      report.case_id = case_id;
      report.description = in.description;
      report.created_at = in.now;
      report.done[StolenStep::kOpenCase] = in.now;
      return absl::OkStatus();
    });
    if (!absl::IsAlreadyExists(status)) break;
  }
  UW_RETURN_IF_ERROR(status);
  return report;
}

absl::Status PgFraudStore::MarkStep(const std::string& report_id, StolenStep step, absl::Time at,
                                    const std::string& ticket_id) {
  const char* column = StepColumnOf(step);
  if (column == nullptr) return absl::InvalidArgumentError("unknown step");
  std::string all_done;
  for (const StepColumn& s : kStepColumns) {
    absl::StrAppend(&all_done, all_done.empty() ? "" : " AND ", s.column, " IS NOT NULL");
  }
  return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec(
            absl::StrCat("UPDATE stolen_reports SET ", column, " = COALESCE(", column, ", ", Ts(2),
                         "), ticket_id = CASE WHEN $3 <> '' AND ticket_id = '' THEN $3"
                         " ELSE ticket_id END WHERE report_id = $1::uuid"
                         " RETURNING case_id::text"),
            pg::P(report_id, Micros(at), ticket_id)));
    if (r.Rows() == 0) return NotFound("no such report");
    const std::string case_id = r.String(0, 0);
    UW_RETURN_IF_ERROR(
        tx.Exec(absl::StrCat("UPDATE stolen_reports SET completed_at = ", Ts(2),
                             " WHERE report_id = $1::uuid AND completed_at IS NULL AND ", all_done),
                pg::P(report_id, Micros(at)))
            .status());
    if (!ticket_id.empty()) {
      UW_RETURN_IF_ERROR(tx.Exec("UPDATE cases SET ticket_id = $2 WHERE case_id = $1::uuid"
                                 " AND ticket_id = ''",
                                 pg::P(case_id, ticket_id))
                             .status());
    }
    return AddCaseEvent(tx, case_id,
                        {.occurred_at = at,
                         .kind = absl::StrCat("stolen.", column),
                         .description = absl::StrCat("step done: ", column),
                         .actor_id = "service:fraud",
                         .event_id = report_id});
  });
}

absl::StatusOr<std::vector<StolenReport>> PgFraudStore::Unfinished(absl::Time before, int limit) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec(absl::StrCat("SELECT ", ReportColumns(),
                                              " FROM stolen_reports WHERE completed_at IS NULL"
                                              " AND created_at < ",
                                              Ts(1), " ORDER BY created_at LIMIT $2"),
                                 pg::P(Micros(before), limit)));
  std::vector<StolenReport> reports;
  for (int i = 0; i < r.Rows(); ++i) reports.push_back(ReadReport(r, i));
  return reports;
}

absl::StatusOr<FlaggedTransaction> PgFraudStore::BeginFlag(const std::string& user_id,
                                                           const std::string& transaction_id,
                                                           const std::string& description,
                                                           absl::Time now) {
  FlaggedTransaction flag{user_id, transaction_id, "", ""};
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(pg::Result r,
                        tx.Exec("SELECT case_id::text, ticket_id FROM flagged_transactions"
                                " WHERE user_id = $1 AND transaction_id = $2",
                                pg::P(user_id, transaction_id)));
    if (r.Rows() > 0) {
      flag.case_id = r.String(0, 0);
      flag.ticket_id = r.String(0, 1);
      return absl::OkStatus();
    }
    UW_ASSIGN_OR_RETURN(pg::Result c,
                        tx.Exec("SELECT case_id::text FROM cases WHERE user_id = $1 AND kind = 1"
                                " AND status = 1 ORDER BY opened_at LIMIT 1 FOR UPDATE",
                                pg::P(user_id)));
    if (c.Rows() > 0) {
      flag.case_id = c.String(0, 0);
      UW_RETURN_IF_ERROR(tx.Exec("UPDATE cases SET payment_ids = array_append(payment_ids, $2)"
                                 " WHERE case_id = $1::uuid",
                                 pg::P(flag.case_id, transaction_id))
                             .status());
    } else {
      UW_ASSIGN_OR_RETURN(flag.case_id, OpenCase(tx, user_id, CaseKind::kFlagged, 0,
                                                 "Transaction flagged as not the customer's",
                                                 {transaction_id}, now));
    }
    UW_RETURN_IF_ERROR(
        tx.Exec(absl::StrCat("INSERT INTO flagged_transactions (user_id, transaction_id, case_id,"
                             " description, created_at) VALUES ($1, $2, $3::uuid, $4, ",
                             Ts(5), ")"),
                pg::P(user_id, transaction_id, flag.case_id, description, Micros(now)))
            .status());
    return AddCaseEvent(
        tx, flag.case_id,
        {.occurred_at = now,
         .kind = "transaction.flagged",
         .description = absl::StrCat("customer flagged ", transaction_id, " as not theirs"),
         .actor_id = user_id,
         .event_id = transaction_id});
  }));
  return flag;
}

absl::Status PgFraudStore::SetFlagTicket(const std::string& user_id,
                                         const std::string& transaction_id,
                                         const std::string& ticket_id) {
  return pool_
      .Exec(
          "UPDATE flagged_transactions SET ticket_id = $3 WHERE user_id = $1"
          " AND transaction_id = $2",
          pg::P(user_id, transaction_id, ticket_id))
      .status();
}

}  // namespace uwallet::fraud
