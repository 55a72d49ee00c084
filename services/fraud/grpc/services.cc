#include "services/fraud/grpc/services.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/fraud/core/errors.h"
#include "services/fraud/grpc/authz.h"
#include "services/fraud/grpc/clients.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/handler.h"

namespace uwallet::fraud {
namespace {

constexpr char kPublic[] = "/uwallet.fraud.v1.FraudService/";
constexpr char kInternal[] = "/uwallet.fraud.v1.FraudInternalService/";
constexpr char kAnalyst[] = "/uwallet.fraud.v1.FraudAnalystService/";

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

void ToProto(const Reason& r, v1::RiskReason* out) {
  out->set_rule_id(r.rule_id);
  out->set_code(r.code);
  out->set_description(r.description);
  out->set_score(r.score);
}

void ToProto(const Alert& a, v1::Alert* out) {
  out->set_alert_id(a.alert_id);
  out->set_user_id(a.user_id);
  out->set_category(static_cast<v1::AlertCategory>(a.category));
  out->set_kind(static_cast<v1::AlertKind>(a.kind));
  out->set_severity(static_cast<v1::AlertSeverity>(a.severity));
  out->set_title(a.title);
  out->set_body(a.body);
  out->set_payment_id(a.payment_id);
  if (a.amount_minor) {
    out->mutable_amount()->set_amount_minor(*a.amount_minor);
    out->mutable_amount()->set_currency(a.currency);
  }
  if (!a.device_id.empty() || !a.device_name.empty()) {
    out->mutable_device()->set_device_id(a.device_id);
    out->mutable_device()->set_name(a.device_name);
  }
  out->set_ip(a.ip);
  SetTime(a.created_at, out->mutable_created_at());
  if (a.acknowledged_at) SetTime(*a.acknowledged_at, out->mutable_acknowledged_at());
  out->set_message_key(a.message_key);
  out->mutable_message_args()->insert(a.message_args.begin(), a.message_args.end());
}

void ToProto(const FraudCase& c, v1::FraudCase* out) {
  out->set_case_id(c.case_id);
  out->set_user_id(c.user_id);
  out->set_kind(static_cast<v1::CaseKind>(c.kind));
  out->set_status(static_cast<v1::CaseStatus>(c.status));
  out->set_score(c.score);
  out->set_summary(c.summary);
  out->set_ticket_id(c.ticket_id);
  for (const auto& id : c.payment_ids) out->add_payment_ids(id);
  SetTime(c.opened_at, out->mutable_opened_at());
  if (c.resolved_at) SetTime(*c.resolved_at, out->mutable_resolved_at());
  out->set_resolution_note(c.resolution_note);
}

void ToProto(const Rule& r, v1::Rule* out) {
  out->set_rule_id(r.rule_id);
  out->set_name(r.name);
  out->set_description(r.description);
  out->set_mode(static_cast<v1::RuleMode>(r.mode));
  out->set_threshold(r.threshold);
  out->set_window_s(r.window_s);
  out->set_score(r.score);
  out->set_decision(static_cast<v1::Decision>(r.decision));
  out->set_version(r.version);
  SetTime(r.updated_at, out->mutable_updated_at());
  out->set_updated_by(r.updated_by);
}

void ToProto(const AlertSettings& s, v1::AlertSettings* out) {
  if (s.threshold_minor) {
    out->mutable_transaction_alert_threshold()->set_amount_minor(*s.threshold_minor);
    out->mutable_transaction_alert_threshold()->set_currency(s.threshold_currency);
  }
  for (Channel c : s.channels) {
    out->add_channels(static_cast<common::v1::NotificationChannel>(c));
  }
}

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0 || requested > kPageSizeMax) return InvalidField("page_size must be 0..100");
  return requested == 0 ? kPageSizeDefault : requested;
}

}  // namespace

// ---- FraudService ------------------------------------------------------------------------------

grpc::Status FraudPublicGrpc::ListMyAlerts(grpc::ServerContext* context,
                                           const v1::ListMyAlertsRequest* request,
                                           v1::ListMyAlertsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity,
                        Authorize(deps_.signer, *context, absl::StrCat(kPublic, "ListMyAlerts")));
    UW_ASSIGN_OR_RETURN(int page_size, PageSize(request->page_size()));
    if (request->category() < 0 || request->category() > 2) {
      return InvalidField("unknown category");
    }
    UW_ASSIGN_OR_RETURN(
        AlertPage page,
        deps_.repository.ListAlerts({.user_id = identity.user_id,
                                     .unread_only = request->unread_only(),
                                     .category = static_cast<AlertCategory>(request->category()),
                                     .page_size = page_size,
                                     .before_alert_id = request->page_token()}));
    for (const Alert& a : page.alerts) ToProto(a, response->add_alerts());
    response->set_next_page_token(page.next_before_alert_id);
    response->set_unread_count(page.unread_count);
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::AcknowledgeAlert(grpc::ServerContext* context,
                                               const v1::AcknowledgeAlertRequest* request,
                                               v1::AcknowledgeAlertResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity, Authorize(deps_.signer, *context,
                                                 absl::StrCat(kPublic, "AcknowledgeAlert")));
    UW_ASSIGN_OR_RETURN(Alert alert, deps_.repository.AcknowledgeAlert(
                                         identity.user_id, request->alert_id(), deps_.clock.Now()));
    ToProto(alert, response->mutable_alert());
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::WatchAlerts(grpc::ServerContext* context,
                                          const v1::WatchAlertsRequest* request,
                                          grpc::ServerWriter<v1::WatchAlertsResponse>* writer) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity,
                        Authorize(deps_.signer, *context, absl::StrCat(kPublic, "WatchAlerts")));
    if (!request->after_alert_id().empty() && !IsUuid(request->after_alert_id())) {
      return InvalidField("after_alert_id is not a valid id");
    }
    // Register before reading the cursor, so an alert stored in between wakes this stream.
    UW_ASSIGN_OR_RETURN(std::shared_ptr<AlertHub::Watch> watch,
                        deps_.hub.Register(identity.user_id));
    struct Unregister {
      AlertHub& hub;
      const std::string& user;
      std::shared_ptr<AlertHub::Watch> watch;
      ~Unregister() { hub.Unregister(user, watch); }
    } unregister{deps_.hub, identity.user_id, watch};
    std::string cursor = request->after_alert_id();
    if (cursor.empty()) {
      UW_ASSIGN_OR_RETURN(cursor, deps_.repository.LatestAlertId(identity.user_id));
    }
    const absl::Time until = deps_.clock.Now() + kWatchLifetimeMax;
    while (!context->IsCancelled() && deps_.clock.Now() < until) {
      UW_ASSIGN_OR_RETURN(std::vector<Alert> alerts,
                          deps_.repository.AlertsAfter(identity.user_id, cursor, kWatchBatchMax));
      for (const Alert& alert : alerts) {
        v1::WatchAlertsResponse message;
        ToProto(alert, message.mutable_alert());
        if (!writer->Write(message)) return absl::OkStatus();  // the client went away
        cursor = alert.alert_id;
      }
      if (static_cast<int>(alerts.size()) == kWatchBatchMax) continue;
      if (!watch->Wait(kWatchReconcile)) break;  // shutting down: end cleanly
    }
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::GetAlertSettings(grpc::ServerContext* context,
                                               const v1::GetAlertSettingsRequest*,
                                               v1::GetAlertSettingsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity, Authorize(deps_.signer, *context,
                                                 absl::StrCat(kPublic, "GetAlertSettings")));
    UW_ASSIGN_OR_RETURN(AlertSettings settings,
                        deps_.repository.GetAlertSettings(identity.user_id));
    ToProto(settings, response->mutable_settings());
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::UpdateAlertSettings(grpc::ServerContext* context,
                                                  const v1::UpdateAlertSettingsRequest* request,
                                                  v1::UpdateAlertSettingsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity, Authorize(deps_.signer, *context,
                                                 absl::StrCat(kPublic, "UpdateAlertSettings")));
    AlertSettings settings;
    const v1::AlertSettings& in = request->settings();
    if (in.has_transaction_alert_threshold()) {
      const auto& money = in.transaction_alert_threshold();
      if (money.amount_minor() < 0 || money.amount_minor() > kAmountMax_minor) {
        return InvalidField("threshold must be 0..10^15 minor units");
      }
      if (money.currency().size() != 3) {
        return InvalidField("threshold currency must be an ISO 4217 code");
      }
      settings.threshold_minor = money.amount_minor();
      settings.threshold_currency = money.currency();
    }
    if (in.channels_size() > 3) return InvalidField("at most 3 channels");
    for (int c : in.channels()) {
      if (c < 1 || c > 3) return InvalidField("unknown notification channel");
      settings.channels.push_back(static_cast<Channel>(c));
    }
    UW_RETURN_IF_ERROR(
        deps_.repository.PutAlertSettings(identity.user_id, settings, deps_.clock.Now()));
    ToProto(settings, response->mutable_settings());
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::ReportAccountStolen(grpc::ServerContext* context,
                                                  const v1::ReportAccountStolenRequest* request,
                                                  v1::ReportAccountStolenResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity, Authorize(deps_.signer, *context,
                                                 absl::StrCat(kPublic, "ReportAccountStolen")));
    CallScope scope(context);
    const bool signed_in =
        !identity.user_id.empty() && !identity.HasRole(grpcutil::roles::kAnonymous);
    UW_ASSIGN_OR_RETURN(StolenOutcome outcome,
                        deps_.stolen.Report({.user_id = signed_in ? identity.user_id : "",
                                             .idempotency_key = request->idempotency_key(),
                                             .destination = request->contact_proof().destination(),
                                             .code = request->contact_proof().code(),
                                             .description = request->description()}));
    if (!outcome.pending_error.ok()) {
      log::Warn("fraud: stolen-account steps pending",
                {{"case", outcome.report.case_id}, {"error", outcome.pending_error.ToString()}});
    }
    const StolenReport& report = outcome.report;
    response->set_case_id(report.case_id);
    response->set_ticket_id(report.ticket_id);
    for (StolenStep step : kStolenSteps) {
      v1::StolenStepStatus* status = response->add_steps();
      status->set_step(static_cast<v1::StolenStep>(step));
      auto it = report.done.find(step);
      status->set_state(it == report.done.end() ? v1::STEP_STATE_PENDING : v1::STEP_STATE_DONE);
      if (it != report.done.end()) SetTime(it->second, status->mutable_completed_at());
    }
    auto frozen = report.done.find(StolenStep::kFreezeWallet);
    if (frozen != report.done.end()) SetTime(frozen->second, response->mutable_frozen_at());
    return absl::OkStatus();
  });
}

grpc::Status FraudPublicGrpc::FlagTransaction(grpc::ServerContext* context,
                                              const v1::FlagTransactionRequest* request,
                                              v1::FlagTransactionResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        auto identity, Authorize(deps_.signer, *context, absl::StrCat(kPublic, "FlagTransaction")));
    CallScope scope(context);
    UW_ASSIGN_OR_RETURN(
        FlaggedTransaction flag,
        deps_.stolen.FlagTransaction({.user_id = identity.user_id,
                                      .transaction_id = request->transaction_id(),
                                      .description = request->description(),
                                      .idempotency_key = request->idempotency_key()}));
    response->set_ticket_id(flag.ticket_id);
    response->set_case_id(flag.case_id);
    return absl::OkStatus();
  });
}

// ---- FraudInternalService ----------------------------------------------------------------------

grpc::Status FraudInternalGrpc::Assess(grpc::ServerContext* context,
                                       const v1::AssessRequest* request,
                                       v1::AssessResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_RETURN_IF_ERROR(
        Authorize(deps_.signer, *context, absl::StrCat(kInternal, "Assess")).status());
    UW_ASSIGN_OR_RETURN(Assessment a,
                        deps_.assessor.Assess({.user_id = request->user_id(),
                                               .kind = static_cast<ActivityKind>(request->kind()),
                                               .amount_minor = request->amount().amount_minor(),
                                               .currency = request->amount().currency(),
                                               .counterparty_id = request->counterparty_id(),
                                               .device_id = request->device().device_id(),
                                               .ip = request->ip(),
                                               .session_id = request->session_id(),
                                               .reference_id = request->reference_id(),
                                               .step_up_verified = request->step_up_verified()}));
    if (deps_.on_assessed) deps_.on_assessed(a.decision);
    response->set_assessment_id(a.assessment_id);
    response->set_decision(static_cast<v1::Decision>(a.decision));
    response->set_score(a.score);
    for (const Reason& r : a.reasons) ToProto(r, response->add_reasons());
    for (const Reason& r : a.shadow_reasons) ToProto(r, response->add_shadow_reasons());
    return absl::OkStatus();
  });
}

// ---- FraudAnalystService -----------------------------------------------------------------------

grpc::Status FraudAnalystGrpc::ListCases(grpc::ServerContext* context,
                                         const v1::ListCasesRequest* request,
                                         v1::ListCasesResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(grpcutil::Identity caller,
                        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "ListCases")));
    if (request->user_id().empty() && !caller.HasRole(grpcutil::roles::kAnalyst) &&
        !caller.HasRole(grpcutil::roles::kAdmin)) {
      return RoleRequired(
          "support agents list the cases of one customer (user_id); the case queue is for "
          "analysts");
    }
    UW_ASSIGN_OR_RETURN(int page_size, PageSize(request->page_size()));
    CaseQuery query{.user_id = request->user_id(), .page_size = page_size};
    if (request->statuses_size() > 3 || request->kinds_size() > 3) {
      return InvalidField("too many filters");
    }
    for (int s : request->statuses()) {
      if (s < 1 || s > 3) return InvalidField("unknown case status");
      query.statuses.push_back(static_cast<CaseStatus>(s));
    }
    for (int k : request->kinds()) {
      if (k < 1 || k > 3) return InvalidField("unknown case kind");
      query.kinds.push_back(static_cast<CaseKind>(k));
    }
    if (!request->page_token().empty() &&
        (!absl::SimpleAtoi(request->page_token(), &query.offset) || query.offset < 0 ||
         query.offset > 100'000)) {
      return PageTokenInvalid("bad page token");
    }
    UW_ASSIGN_OR_RETURN(std::vector<FraudCase> cases, deps_.repository.ListCases(query));
    for (int i = 0; i < static_cast<int>(cases.size()) && i < page_size; ++i) {
      ToProto(cases[i], response->add_cases());
    }
    if (static_cast<int>(cases.size()) > page_size) {
      response->set_next_page_token(std::to_string(query.offset + page_size));
    }
    return absl::OkStatus();
  });
}

grpc::Status FraudAnalystGrpc::ListUserAlerts(grpc::ServerContext* context,
                                              const v1::ListUserAlertsRequest* request,
                                              v1::ListUserAlertsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_RETURN_IF_ERROR(
        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "ListUserAlerts")).status());
    if (request->user_id().empty()) return InvalidField("user_id is required");
    UW_ASSIGN_OR_RETURN(int page_size, PageSize(request->page_size()));
    UW_ASSIGN_OR_RETURN(AlertPage page,
                        deps_.repository.ListAlerts({.user_id = request->user_id(),
                                                     .page_size = page_size,
                                                     .before_alert_id = request->page_token()}));
    for (const Alert& a : page.alerts) ToProto(a, response->add_alerts());
    response->set_next_page_token(page.next_before_alert_id);
    response->set_unread_count(page.unread_count);
    return absl::OkStatus();
  });
}

grpc::Status FraudAnalystGrpc::GetCase(grpc::ServerContext* context,
                                       const v1::GetCaseRequest* request,
                                       v1::GetCaseResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_RETURN_IF_ERROR(
        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "GetCase")).status());
    UW_ASSIGN_OR_RETURN(auto found, deps_.repository.GetCase(request->case_id(), kTimelineMax));
    ToProto(found.first, response->mutable_fraud_case());
    for (const CaseEvent& e : found.second) {
      v1::CaseEvent* out = response->add_timeline();
      SetTime(e.occurred_at, out->mutable_occurred_at());
      out->set_kind(e.kind);
      out->set_description(e.description);
      out->set_actor_id(e.actor_id);
      out->set_decision(static_cast<v1::Decision>(e.decision));
      for (const Reason& r : e.reasons) ToProto(r, out->add_reasons());
      out->set_event_id(e.event_id);
      for (const auto& [k, v] : e.metadata) (*out->mutable_metadata())[k] = v;
    }
    return absl::OkStatus();
  });
}

grpc::Status FraudAnalystGrpc::ResolveCase(grpc::ServerContext* context,
                                           const v1::ResolveCaseRequest* request,
                                           v1::ResolveCaseResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity,
                        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "ResolveCase")));
    CallScope scope(context);
    CaseStatus status = CaseStatus::kUnspecified;
    if (request->resolution() == v1::CASE_RESOLUTION_CONFIRMED) status = CaseStatus::kConfirmed;
    if (request->resolution() == v1::CASE_RESOLUTION_FALSE_POSITIVE) {
      status = CaseStatus::kFalsePositive;
    }
    UW_ASSIGN_OR_RETURN(
        FraudCase resolved,
        deps_.assessor.ResolveCase(request->case_id(), status, request->note(), identity.user_id));
    ToProto(resolved, response->mutable_fraud_case());
    return absl::OkStatus();
  });
}

grpc::Status FraudAnalystGrpc::ListRules(grpc::ServerContext* context, const v1::ListRulesRequest*,
                                         v1::ListRulesResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_RETURN_IF_ERROR(
        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "ListRules")).status());
    UW_ASSIGN_OR_RETURN(std::vector<Rule> rules, deps_.repository.LoadRules());
    for (const Rule& r : rules) ToProto(r, response->add_rules());
    return absl::OkStatus();
  });
}

grpc::Status FraudAnalystGrpc::UpdateRule(grpc::ServerContext* context,
                                          const v1::UpdateRuleRequest* request,
                                          v1::UpdateRuleResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(auto identity,
                        Authorize(deps_.signer, *context, absl::StrCat(kAnalyst, "UpdateRule")));
    RuleUpdate update{.rule_id = request->rule_id(),
                      .expected_version = request->expected_version(),
                      .note = request->note(),
                      .actor_id = identity.user_id};
    if (request->has_mode()) update.mode = static_cast<RuleMode>(request->mode());
    if (request->has_threshold()) update.threshold = request->threshold();
    if (request->has_window_s()) update.window_s = request->window_s();
    if (request->has_score()) update.score = request->score();
    if (request->has_decision()) update.decision = static_cast<Decision>(request->decision());
    UW_ASSIGN_OR_RETURN(Rule rule, deps_.assessor.UpdateRule(update));
    ToProto(rule, response->mutable_rule());
    return absl::OkStatus();
  });
}

}  // namespace uwallet::fraud
