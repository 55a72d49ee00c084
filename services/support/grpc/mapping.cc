#include "services/support/grpc/mapping.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

namespace roles = grpcutil::roles;

const std::set<std::string> kAnyone = {roles::kAnonymous, roles::kCustomer, roles::kMerchant,
                                       roles::kAgent,     roles::kAnalyst,  roles::kAdmin};
const std::set<std::string> kSignedIn = {roles::kCustomer, roles::kAgent, roles::kAnalyst,
                                         roles::kAdmin};
const std::set<std::string> kCustomers = {roles::kCustomer};
const std::set<std::string> kStaff = {roles::kAgent, roles::kAdmin};
const std::set<std::string> kStaffAndAnalysts = {roles::kAgent, roles::kAdmin, roles::kAnalyst};
const std::set<std::string> kServices = {"service:*"};

// The authorisation table. Core checks ownership (a customer's own tickets) on top.
const std::map<std::string, const std::set<std::string>*>& Table() {
  static const auto* table = new std::map<std::string, const std::set<std::string>*>{
      {"SupportService/CreateTicket", &kCustomers},
      {"SupportService/ListMyTickets", &kCustomers},
      {"SupportService/GetTicket", &kSignedIn},
      {"SupportService/PostMessage", &kCustomers},
      {"SupportService/CloseTicket", &kCustomers},
      {"SupportService/ReopenTicket", &kCustomers},
      {"SupportService/RateTicket", &kCustomers},
      {"SupportService/WatchTicket", &kSignedIn},
      {"SupportService/OpenDispute", &kCustomers},
      {"SupportService/GetAttachment", &kSignedIn},
      {"SupportService/SearchFaq", &kAnyone},
      {"SupportService/GetFaqArticle", &kAnyone},
      {"SupportService/Ask", &kAnyone},
      {"SupportAgentService/ListQueue", &kStaffAndAnalysts},
      {"SupportAgentService/GetTicket", &kStaffAndAnalysts},
      {"SupportAgentService/AssignTicket", &kStaff},
      {"SupportAgentService/Reply", &kStaff},
      {"SupportAgentService/SetStatus", &kStaff},
      {"SupportAgentService/WatchQueue", &kStaffAndAnalysts},
      {"SupportAgentService/SetAvailability", &kStaff},
      {"SupportAgentService/GetCustomer360", &kStaffAndAnalysts},
      {"SupportAgentService/ResolveDispute", &kStaff},
      {"SupportAgentService/ListTextModules", &kStaff},
      {"SupportAgentService/UpsertTextModule", &kStaff},
      {"SupportAgentService/UpsertFaqArticle", &kStaff},
      {"SupportAgentService/ListFaqArticles", &kStaff},
      {"SupportAgentService/GetSupportStats", &kStaff},
      {"SupportInternalService/OpenSystemTicket", &kServices},
  };
  return *table;
}

absl::Time OrPast(const std::optional<absl::Time>& t) { return t.value_or(absl::InfinitePast()); }

}  // namespace

absl::StatusOr<Caller> Authorize(const grpcutil::Identity& identity, absl::string_view method) {
  auto entry = Table().find(std::string(method));
  bool allowed = false;
  if (entry != Table().end()) {
    for (const std::string& role : *entry->second) {
      if (role == "service:*" ? identity.IsService() : identity.HasRole(role)) allowed = true;
    }
  }
  if (!allowed) {
    return WithReason(absl::StatusCode::kPermissionDenied, "NOT_ALLOWED",
                      "this call is not allowed for your role");
  }
  Caller caller;
  caller.user_id = identity.user_id;
  caller.customer = identity.HasRole(roles::kCustomer) && !identity.user_id.empty();
  caller.agent = identity.HasRole(roles::kAgent);
  caller.admin = identity.HasRole(roles::kAdmin);
  caller.analyst = identity.HasRole(roles::kAnalyst);
  for (const std::string& role : identity.roles) {
    if (role.rfind(roles::kServicePrefix, 0) == 0) {
      caller.service = role.substr(sizeof(roles::kServicePrefix) - 1);
    }
  }
  return caller;
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  const int64_t micros = absl::ToUnixMicros(time);
  out->set_seconds(micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0));
  out->set_nanos(static_cast<int32_t>(((micros % 1'000'000) + 1'000'000) % 1'000'000 * 1000));
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToProto(const Ticket& t, v1::Ticket* out) {
  out->set_ticket_id(t.ticket_id);
  out->set_user_id(t.user_id);
  out->set_category(static_cast<v1::TicketCategory>(t.category));
  out->set_subject(t.subject);
  out->set_status(static_cast<v1::TicketStatus>(t.status));
  out->set_priority(static_cast<v1::Priority>(t.priority));
  out->set_channel(static_cast<v1::Channel>(t.channel));
  out->set_payment_id(t.payment_id);
  out->set_assignee_id(t.assignee_id);
  ToProto(t.created_at, out->mutable_created_at());
  ToProto(t.updated_at, out->mutable_updated_at());
  ToProto(t.first_response_due_at, out->mutable_first_response_due_at());
  ToProto(t.resolution_due_at, out->mutable_resolution_due_at());
  if (t.first_responded_at) ToProto(*t.first_responded_at, out->mutable_first_responded_at());
  if (t.resolved_at) ToProto(*t.resolved_at, out->mutable_resolved_at());
  if (t.closed_at) ToProto(*t.closed_at, out->mutable_closed_at());
  if (t.reopen_until) ToProto(*t.reopen_until, out->mutable_reopen_until());
  out->set_sla_breached(t.sla_breached);
  out->set_rating_score(t.rating_score);
  out->set_rating_comment(t.rating_comment);
  out->set_attachment_count(t.attachment_count);
  if (t.dispute) {
    const Dispute& d = *t.dispute;
    v1::Dispute* p = out->mutable_dispute();
    p->set_dispute_id(d.dispute_id);
    p->set_payment_id(d.payment_id);
    p->set_reason(static_cast<v1::DisputeReason>(d.reason));
    p->set_status(static_cast<v1::DisputeStatus>(d.status));
    p->mutable_disputed_amount()->set_amount_minor(d.amount.amount_minor);
    p->mutable_disputed_amount()->set_currency(d.amount.currency);
    p->set_hold_id(d.hold_id);
    p->set_decision(static_cast<v1::DisputeDecision>(d.decision));
    p->mutable_refunded_amount()->set_amount_minor(d.refunded_minor);
    p->mutable_refunded_amount()->set_currency(d.amount.currency);
    p->set_refund_payment_id(d.refund_payment_id);
    ToProto(d.opened_at, p->mutable_opened_at());
    if (d.resolved_at) ToProto(*d.resolved_at, p->mutable_resolved_at());
  }
  (void)OrPast;
}

void ToProto(const AttachmentMeta& meta, v1::Attachment* out) {
  out->set_attachment_id(meta.attachment_id);
  out->set_file_name(meta.file_name);
  out->set_content_type(meta.content_type);
  out->set_size_bytes(meta.size_bytes);
  ToProto(meta.created_at, out->mutable_created_at());
}

void ToProto(const Message& m, v1::TicketMessage* out) {
  out->set_message_id(m.message_id);
  out->set_ticket_id(m.ticket_id);
  out->set_author_kind(static_cast<v1::AuthorKind>(m.author_kind));
  out->set_author_id(m.author_id);
  out->set_author_display_name(m.author_display_name);
  out->set_body(m.body);
  out->set_internal_note(m.internal_note);
  for (const AttachmentMeta& a : m.attachments) ToProto(a, out->add_attachments());
  ToProto(m.created_at, out->mutable_created_at());
}

void ToProto(const StatusChange& s, v1::TicketStatusChange* out) {
  out->set_from_status(static_cast<v1::TicketStatus>(s.from));
  out->set_to_status(static_cast<v1::TicketStatus>(s.to));
  ToProto(s.changed_at, out->mutable_changed_at());
  out->set_actor_id(s.actor_id);
  out->set_note(s.note);
}

void ToProto(const FaqHit& hit, v1::FaqHit* out) {
  out->set_article_id(hit.article_id);
  out->set_locale(hit.locale);
  out->set_title(hit.title);
  out->set_snippet(hit.snippet);
  out->set_relevance(hit.relevance);
}

void ToProto(const FaqArticle& a, v1::FaqArticle* out) {
  out->set_article_id(a.article_id);
  out->set_locale(a.locale);
  out->set_title(a.title);
  out->set_body(a.body);
  for (const std::string& tag : a.tags) out->add_tags(tag);
  out->set_category(static_cast<v1::TicketCategory>(a.category));
  out->set_version(a.version);
  ToProto(a.updated_at, out->mutable_updated_at());
  out->set_published(a.published);
}

void ToProto(const TextModule& m, v1::TextModule* out) {
  out->set_text_module_id(m.text_module_id);
  out->set_name(m.name);
  out->set_shortcut(m.shortcut);
  out->set_locale(m.locale);
  out->set_body(m.body);
  ToProto(m.updated_at, out->mutable_updated_at());
}

FaqArticle FromProto(const v1::FaqArticle& p) {
  FaqArticle a;
  a.article_id = p.article_id();
  a.locale = p.locale();
  a.title = p.title();
  a.body = p.body();
  for (const std::string& tag : p.tags()) a.tags.push_back(tag);
  a.category = static_cast<Category>(p.category());
  a.version = p.version();
  a.published = p.published();
  return a;
}

TextModule FromProto(const v1::TextModule& p) {
  return {.text_module_id = p.text_module_id(),
          .name = p.name(),
          .shortcut = p.shortcut(),
          .locale = p.locale(),
          .body = p.body()};
}

std::vector<NewAttachment> FromProto(
    const google::protobuf::RepeatedPtrField<v1::AttachmentUpload>& uploads) {
  std::vector<NewAttachment> files;
  for (const v1::AttachmentUpload& upload : uploads) {
    files.push_back({.file_name = upload.file_name(), .content = upload.content()});
  }
  return files;
}

QueueQuery FromProto(const v1::QueueFilter& f, const std::string& caller_id) {
  QueueQuery q;
  for (int s : f.statuses()) {
    if (s >= 1 && s <= 5) q.statuses.push_back(static_cast<Status>(s));
  }
  for (int c : f.categories()) {
    if (c >= 1 && c <= kCategoryMax) q.categories.push_back(static_cast<Category>(c));
  }
  for (int p : f.priorities()) {
    if (p >= 1 && p <= kPriorityMax) q.priorities.push_back(static_cast<Priority>(p));
  }
  if (f.assignment() == v1::ASSIGNMENT_FILTER_ASSIGNED_TO_ME) q.assignee_id = caller_id;
  if (f.assignment() == v1::ASSIGNMENT_FILTER_UNASSIGNED) q.unassigned_only = true;
  q.sla_breached_only = f.sla_breached_only();
  return q;
}

bool Matches(const v1::QueueFilter& f, const Ticket& t, const std::string& caller_id) {
  auto in = [](const auto& list, int value) {
    if (list.empty()) return true;
    for (int v : list) {
      if (v == value) return true;
    }
    return false;
  };
  if (!in(f.statuses(), static_cast<int>(t.status))) return false;
  if (!in(f.categories(), static_cast<int>(t.category))) return false;
  if (!in(f.priorities(), static_cast<int>(t.priority))) return false;
  if (f.assignment() == v1::ASSIGNMENT_FILTER_ASSIGNED_TO_ME && t.assignee_id != caller_id) {
    return false;
  }
  if (f.assignment() == v1::ASSIGNMENT_FILTER_UNASSIGNED && !t.assignee_id.empty()) return false;
  if (f.sla_breached_only() && !t.sla_breached) return false;
  return true;
}

absl::StatusOr<int64_t> ParsePageToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t offset = 0;
  if (!absl::SimpleAtoi(token, &offset) || offset < 0 || offset > 1'000'000) {
    return WithReason(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN",
                      "page_token is not one this service issued");
  }
  return offset;
}

}  // namespace uwallet::support
