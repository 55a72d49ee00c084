#include "services/support/grpc/services.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/support/grpc/mapping.h"
#include "uwallet/common/status.h"
#include "uwallet/grpcutil/handler.h"
#include "uwallet/grpcutil/status.h"

namespace uwallet::support {
namespace {

// Verifies the assertion and checks the table entry; the handler gets the core caller.
absl::StatusOr<Caller> CallerOf(const GrpcDeps& deps, const grpc::ServerContext& context,
                                absl::string_view method) {
  UW_ASSIGN_OR_RETURN(grpcutil::Identity identity, deps.signer.FromContext(context));
  return Authorize(identity, method);
}

void ToProto(const TicketView& view, v1::Ticket* ticket,
             google::protobuf::RepeatedPtrField<v1::TicketMessage>* messages,
             google::protobuf::RepeatedPtrField<v1::TicketStatusChange>* history) {
  ToProto(view.ticket, ticket);
  for (const Message& m : view.messages) ToProto(m, messages->Add());
  for (const StatusChange& s : view.history) ToProto(s, history->Add());
}

// Unregisters a stream's mailbox however the handler ends.
class WatchGuard {
 public:
  WatchGuard(EventHub& hub, std::shared_ptr<Watch> watch) : hub_(hub), watch_(std::move(watch)) {}
  ~WatchGuard() { hub_.Unregister(watch_); }
  Watch& operator*() { return *watch_; }
  Watch* operator->() { return watch_.get(); }

 private:
  EventHub& hub_;
  std::shared_ptr<Watch> watch_;
};

// Ends a stream when the client left or the server stops; otherwise says why the mailbox closed.
absl::Status StreamEnd(grpc::ServerContext& context, EventHub& hub, Watch& watch) {
  if (context.IsCancelled() || hub.stopping()) return absl::OkStatus();
  if (watch.closed()) {
    return WithReason(absl::StatusCode::kUnavailable, "STREAM_RESET",
                      "live updates were interrupted; reconnect with after_message_id");
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> PartContext(const grpc::ServerContext& incoming,
                                                 const std::string& assertion,
                                                 absl::Time deadline) {
  auto context = grpcutil::OutgoingContext(incoming, assertion);
  context->set_deadline(std::min(context->deadline(), absl::ToChronoTime(deadline)));
  return context;
}

}  // namespace

// ---- SupportService ----------------------------------------------------------------------------

grpc::Status SupportGrpc::CreateTicket(grpc::ServerContext* context,
                                       const v1::CreateTicketRequest* request,
                                       v1::CreateTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/CreateTicket"));
    NewTicketInput input{.category = static_cast<Category>(request->category()),
                         .channel = static_cast<Channel>(request->channel()),
                         .subject = request->subject(),
                         .body = request->body(),
                         .payment_id = request->payment_id(),
                         .attachments = FromProto(request->attachments()),
                         .idempotency_key = request->idempotency_key()};
    UW_ASSIGN_OR_RETURN(CreatedTicket created, deps_.desk.CreateTicket(caller, std::move(input)));
    ToProto(created.ticket, response->mutable_ticket());
    for (const FaqHit& hit : created.suggestions) ToProto(hit, response->add_suggested_articles());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::ListMyTickets(grpc::ServerContext* context,
                                        const v1::ListMyTicketsRequest* request,
                                        v1::ListMyTicketsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/ListMyTickets"));
    UW_ASSIGN_OR_RETURN(int64_t offset, ParsePageToken(request->page_token()));
    std::vector<Status> statuses;
    for (int s : request->statuses()) {
      if (s >= 1 && s <= 5) statuses.push_back(static_cast<Status>(s));
    }
    const int page_size = request->page_size() <= 0 ? 20 : std::min(request->page_size(), 100);
    UW_ASSIGN_OR_RETURN(std::vector<Ticket> tickets,
                        deps_.desk.ListMyTickets(caller, statuses, page_size, offset));
    for (const Ticket& t : tickets) ToProto(t, response->add_tickets());
    if (static_cast<int>(tickets.size()) == page_size) {
      response->set_next_page_token(absl::StrCat(offset + page_size));
    }
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::GetTicket(grpc::ServerContext* context,
                                    const v1::GetTicketRequest* request,
                                    v1::GetTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/GetTicket"));
    // The public API never carries internal notes, whoever calls it.
    Caller as_customer = caller;
    as_customer.agent = as_customer.admin = as_customer.analyst = false;
    as_customer.customer = true;
    UW_ASSIGN_OR_RETURN(TicketView view, deps_.desk.GetTicket(caller, request->ticket_id()));
    FilterForCaller(as_customer, view);
    ToProto(view, response->mutable_ticket(), response->mutable_messages(),
            response->mutable_status_history());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::PostMessage(grpc::ServerContext* context,
                                      const v1::PostMessageRequest* request,
                                      v1::PostMessageResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/PostMessage"));
    UW_ASSIGN_OR_RETURN(Message message,
                        deps_.desk.PostMessage(caller, request->ticket_id(), request->body(),
                                               FromProto(request->attachments())));
    ToProto(message, response->mutable_message());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::CloseTicket(grpc::ServerContext* context,
                                      const v1::CloseTicketRequest* request,
                                      v1::CloseTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/CloseTicket"));
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.CloseTicket(caller, request->ticket_id()));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::ReopenTicket(grpc::ServerContext* context,
                                       const v1::ReopenTicketRequest* request,
                                       v1::ReopenTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/ReopenTicket"));
    UW_ASSIGN_OR_RETURN(Ticket ticket,
                        deps_.desk.ReopenTicket(caller, request->ticket_id(), request->reason()));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::RateTicket(grpc::ServerContext* context,
                                     const v1::RateTicketRequest* request,
                                     v1::RateTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/RateTicket"));
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.RateTicket(caller, request->ticket_id(),
                                                             request->score(), request->comment()));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::WatchTicket(grpc::ServerContext* context,
                                      const v1::WatchTicketRequest* request,
                                      grpc::ServerWriter<v1::WatchTicketResponse>* writer) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/WatchTicket"));
    // Register before reading storage, so nothing published in between is missed.
    UW_ASSIGN_OR_RETURN(std::shared_ptr<Watch> registered,
                        deps_.hub.Register(request->ticket_id()));
    WatchGuard watch(deps_.hub, registered);
    const bool notes = CanSeeInternalNotes(caller);
    // Authorises (NOT_FOUND for someone else's ticket) and replays what the client missed.
    UW_ASSIGN_OR_RETURN(
        std::vector<Message> missed,
        deps_.desk.MessagesAfter(caller, request->ticket_id(), request->after_message_id()));
    writer->SendInitialMetadata();  // the client knows the stream is live from here on
    std::set<std::string> sent;
    if (!request->after_message_id().empty()) {
      for (const Message& m : missed) {
        v1::WatchTicketResponse event;
        ToProto(m, event.mutable_message());
        if (!writer->Write(event)) return absl::OkStatus();
        sent.insert(m.message_id);
      }
    }
    while (!context->IsCancelled() && !deps_.hub.stopping()) {
      std::optional<TicketEvent> event = watch->Next(kStreamPollInterval);
      if (!event) {
        if (watch->closed()) break;
        continue;
      }
      v1::WatchTicketResponse out;
      if (event->kind == EventKind::kMessage && event->message) {
        if (event->message->internal_note && !notes) continue;
        if (sent.count(event->message->message_id) > 0) continue;
        ToProto(*event->message, out.mutable_message());
      } else if (event->kind == EventKind::kStatusChange && event->status_change) {
        ToProto(*event->status_change, out.mutable_status_change());
      } else {
        continue;
      }
      if (!writer->Write(out)) break;  // the client went away
    }
    return StreamEnd(*context, deps_.hub, *watch);
  });
}

grpc::Status SupportGrpc::OpenDispute(grpc::ServerContext* context,
                                      const v1::OpenDisputeRequest* request,
                                      v1::OpenDisputeResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/OpenDispute"));
    DisputeInput input{.idempotency_key = request->idempotency_key(),
                       .payment_id = request->payment_id(),
                       .reason = static_cast<DisputeReason>(request->reason()),
                       .description = request->description(),
                       .evidence = FromProto(request->evidence())};
    if (request->has_disputed_amount()) {
      input.amount = Money{.amount_minor = request->disputed_amount().amount_minor(),
                           .currency = request->disputed_amount().currency()};
    }
    GrpcMoneyClient money(deps_.peers, deps_.signer, *context, AssertionOf(*context));
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.OpenDispute(caller, money, std::move(input)));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::GetAttachment(grpc::ServerContext* context,
                                        const v1::GetAttachmentRequest* request,
                                        v1::GetAttachmentResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/GetAttachment"));
    UW_ASSIGN_OR_RETURN(Attachment attachment,
                        deps_.desk.GetAttachment(caller, request->attachment_id()));
    ToProto(attachment.meta, response->mutable_attachment());
    response->set_content(std::move(attachment.content));
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::SearchFaq(grpc::ServerContext* context,
                                    const v1::SearchFaqRequest* request,
                                    v1::SearchFaqResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/SearchFaq"));
    UW_ASSIGN_OR_RETURN(
        std::vector<FaqHit> hits,
        deps_.desk.SearchFaq(request->query(), request->locale(), request->page_size()));
    for (const FaqHit& hit : hits) ToProto(hit, response->add_hits());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::GetFaqArticle(grpc::ServerContext* context,
                                        const v1::GetFaqArticleRequest* request,
                                        v1::GetFaqArticleResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/GetFaqArticle"));
    UW_ASSIGN_OR_RETURN(FaqArticle article,
                        deps_.desk.GetFaqArticle(request->article_id(), request->locale()));
    ToProto(article, response->mutable_article());
    return absl::OkStatus();
  });
}

grpc::Status SupportGrpc::Ask(grpc::ServerContext* context, const v1::AskRequest* request,
                              v1::AskResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportService/Ask"));
    UW_ASSIGN_OR_RETURN(AskResult result,
                        deps_.desk.Ask(caller, request->question(), request->locale()));
    response->set_answer(result.answer.answer);
    response->set_confidence(result.answer.confidence);
    for (const FaqHit& hit : result.answer.sources) ToProto(hit, response->add_sources());
    response->set_suggest_ticket(result.answer.suggest_ticket);
    response->set_suggested_category(
        static_cast<v1::TicketCategory>(result.answer.suggested_category));
    response->set_question_id(result.question_id);
    return absl::OkStatus();
  });
}

// ---- SupportAgentService -----------------------------------------------------------------------

grpc::Status SupportAgentGrpc::ListQueue(grpc::ServerContext* context,
                                         const v1::ListQueueRequest* request,
                                         v1::ListQueueResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportAgentService/ListQueue"));
    UW_ASSIGN_OR_RETURN(int64_t offset, ParsePageToken(request->page_token()));
    QueueQuery query = FromProto(request->filter(), caller.user_id);
    query.page_size = request->page_size() <= 0 ? 50 : std::min(request->page_size(), 100);
    query.offset = offset;
    UW_ASSIGN_OR_RETURN(std::vector<Ticket> tickets, deps_.desk.ListQueue(caller, query));
    for (const Ticket& t : tickets) ToProto(t, response->add_tickets());
    if (static_cast<int>(tickets.size()) == query.page_size) {
      response->set_next_page_token(absl::StrCat(offset + query.page_size));
    }
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::GetTicket(grpc::ServerContext* context,
                                         const v1::SupportAgentServiceGetTicketRequest* request,
                                         v1::SupportAgentServiceGetTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportAgentService/GetTicket"));
    UW_ASSIGN_OR_RETURN(TicketView view, deps_.desk.GetTicket(caller, request->ticket_id()));
    ToProto(view, response->mutable_ticket(), response->mutable_messages(),
            response->mutable_status_history());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::AssignTicket(grpc::ServerContext* context,
                                            const v1::AssignTicketRequest* request,
                                            v1::AssignTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/AssignTicket"));
    AssignInput input{.ticket_id = request->ticket_id(),
                      .assignee_id = request->assignee_id(),
                      .auto_assign = request->auto_assign()};
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.AssignTicket(caller, input));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::Reply(grpc::ServerContext* context, const v1::ReplyRequest* request,
                                     v1::ReplyResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportAgentService/Reply"));
    UW_ASSIGN_OR_RETURN(
        Message message,
        deps_.desk.Reply(caller, request->ticket_id(), request->body(), request->internal_note(),
                         FromProto(request->attachments()), request->text_module_id()));
    ToProto(message, response->mutable_message());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::SetStatus(grpc::ServerContext* context,
                                         const v1::SetStatusRequest* request,
                                         v1::SetStatusResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportAgentService/SetStatus"));
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.SetStatus(caller, request->ticket_id(),
                                                            static_cast<Status>(request->status()),
                                                            request->note()));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::WatchQueue(grpc::ServerContext* context,
                                          const v1::WatchQueueRequest* request,
                                          grpc::ServerWriter<v1::WatchQueueResponse>* writer) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller, CallerOf(deps_, *context, "SupportAgentService/WatchQueue"));
    UW_ASSIGN_OR_RETURN(std::shared_ptr<Watch> registered, deps_.hub.Register(""));
    WatchGuard watch(deps_.hub, registered);
    writer->SendInitialMetadata();
    while (!context->IsCancelled() && !deps_.hub.stopping()) {
      std::optional<TicketEvent> event = watch->Next(kStreamPollInterval);
      if (!event) {
        if (watch->closed()) break;
        continue;
      }
      if (!CanViewTicket(caller, event->ticket)) continue;
      v1::WatchQueueResponse out;
      switch (event->kind) {
        case EventKind::kCreated:
          out.set_kind(v1::QUEUE_EVENT_KIND_CREATED);
          break;
        case EventKind::kUpdated:
          out.set_kind(v1::QUEUE_EVENT_KIND_UPDATED);
          break;
        case EventKind::kAssigned:
          out.set_kind(v1::QUEUE_EVENT_KIND_ASSIGNED);
          break;
        case EventKind::kCustomerMessage:
          out.set_kind(v1::QUEUE_EVENT_KIND_CUSTOMER_MESSAGE);
          break;
        case EventKind::kSlaBreached:
          out.set_kind(v1::QUEUE_EVENT_KIND_SLA_BREACHED);
          break;
        default:
          continue;  // per-message events are for WatchTicket
      }
      deps_.desk.Decorate(event->ticket);
      if (!Matches(request->filter(), event->ticket, caller.user_id)) {
        if (event->kind == EventKind::kCreated) continue;
        out.set_kind(v1::QUEUE_EVENT_KIND_REMOVED);
      }
      ToProto(event->ticket, out.mutable_ticket());
      ToProto(event->occurred_at, out.mutable_occurred_at());
      if (!writer->Write(out)) break;
    }
    return StreamEnd(*context, deps_.hub, *watch);
  });
}

grpc::Status SupportAgentGrpc::SetAvailability(grpc::ServerContext* context,
                                               const v1::SetAvailabilityRequest* request,
                                               v1::SetAvailabilityResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/SetAvailability"));
    UW_RETURN_IF_ERROR(deps_.desk.SetAvailability(caller, request->online()));
    response->set_online(request->online());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::GetCustomer360(grpc::ServerContext* context,
                                              const v1::GetCustomer360Request* request,
                                              v1::GetCustomer360Response* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/GetCustomer360"));
    if (request->user_id().empty()) {
      return WithReason(absl::StatusCode::kInvalidArgument, "FIELD_REQUIRED", "user_id");
    }
    const std::string& user_id = request->user_id();
    const std::string agent_assertion = AssertionOf(*context);
    const std::string service_assertion = deps_.signer.SignService("support");
    Peers& peers = deps_.peers;
    // Each part fills its own message; they are merged after every part ended.
    auth::v1::GetUserResponse user;
    ledger::v1::ListAccountsResponse accounts;
    payments::v1::ListUserPaymentsResponse payments;
    ledger::v1::ListHoldsResponse holds;
    fraud::v1::ListCasesResponse cases;
    fraud::v1::ListUserAlertsResponse alerts;
    std::vector<Ticket> tickets;
    std::vector<FanOutPart> parts = {
        {"user",
         [&](absl::Time deadline) {
           auth::v1::GetUserRequest r;
           r.set_user_id(user_id);
           auto c = PartContext(*context, agent_assertion, deadline);
           return grpcutil::FromGrpcStatus(peers.auth_admin->GetUser(c.get(), r, &user));
         }},
        {"balances",
         [&](absl::Time deadline) {
           ledger::v1::ListAccountsRequest r;
           r.set_owner_id(user_id);
           auto c = PartContext(*context, service_assertion, deadline);
           return grpcutil::FromGrpcStatus(
               peers.ledger_internal->ListAccounts(c.get(), r, &accounts));
         }},
        {"recent_payments",
         [&](absl::Time deadline) {
           payments::v1::ListUserPaymentsRequest r;
           r.set_user_id(user_id);
           r.set_page_size(20);
           auto c = PartContext(*context, agent_assertion, deadline);
           return grpcutil::FromGrpcStatus(
               peers.payments_admin->ListUserPayments(c.get(), r, &payments));
         }},
        {"open_holds",
         [&](absl::Time deadline) {
           ledger::v1::ListHoldsRequest r;
           r.set_owner_id(user_id);
           r.add_states(ledger::v1::HOLD_STATE_PENDING);
           r.set_page_size(50);
           auto c = PartContext(*context, service_assertion, deadline);
           return grpcutil::FromGrpcStatus(peers.ledger_internal->ListHolds(c.get(), r, &holds));
         }},
        {"recent_fraud_cases",
         [&](absl::Time deadline) {
           fraud::v1::ListCasesRequest r;
           r.set_user_id(user_id);
           r.set_page_size(20);
           auto c = PartContext(*context, agent_assertion, deadline);
           return grpcutil::FromGrpcStatus(peers.fraud_analyst->ListCases(c.get(), r, &cases));
         }},
        {"recent_alerts",
         [&](absl::Time deadline) {
           fraud::v1::ListUserAlertsRequest r;
           r.set_user_id(user_id);
           r.set_page_size(20);
           auto c = PartContext(*context, agent_assertion, deadline);
           return grpcutil::FromGrpcStatus(
               peers.fraud_analyst->ListUserAlerts(c.get(), r, &alerts));
         }},
        {"recent_tickets",
         [&](absl::Time) -> absl::Status {
           UW_ASSIGN_OR_RETURN(tickets, deps_.desk.RecentTicketsOf(caller, user_id));
           return absl::OkStatus();
         }},
    };
    const absl::Time deadline = absl::FromChrono(context->deadline());
    std::vector<FailedPart> failed = FanOut(parts, deadline, kCustomer360PartTimeout, deps_.clock);
    auto is_failed = [&](const std::string& name) {
      for (const FailedPart& f : failed) {
        if (f.name == name) return true;
      }
      return false;
    };
    if (!is_failed("user")) *response->mutable_user() = user.user();
    if (!is_failed("balances")) {
      for (const auto& account : accounts.accounts()) *response->add_balances() = account.balance();
    }
    if (!is_failed("recent_payments")) {
      for (const auto& p : payments.payments()) *response->add_recent_payments() = p;
    }
    if (!is_failed("open_holds")) {
      for (const auto& h : holds.holds()) *response->add_open_holds() = h;
    }
    if (!is_failed("recent_fraud_cases")) {
      for (const auto& c : cases.cases()) *response->add_recent_fraud_cases() = c;
    }
    if (!is_failed("recent_alerts")) {
      for (const auto& a : alerts.alerts()) *response->add_recent_alerts() = a;
    }
    if (!is_failed("recent_tickets")) {
      for (const Ticket& t : tickets) ToProto(t, response->add_recent_tickets());
    }
    for (const FailedPart& f : failed) {
      auto* part = response->add_unavailable_parts();
      part->set_part(f.name);
      part->set_status_code(static_cast<int32_t>(f.status.code()));
    }
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::ResolveDispute(grpc::ServerContext* context,
                                              const v1::ResolveDisputeRequest* request,
                                              v1::ResolveDisputeResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/ResolveDispute"));
    ResolveInput input{.idempotency_key = request->idempotency_key(),
                       .ticket_id = request->ticket_id(),
                       .decision = static_cast<DisputeDecision>(request->decision()),
                       .note = request->note()};
    if (request->has_amount()) {
      input.amount = Money{.amount_minor = request->amount().amount_minor(),
                           .currency = request->amount().currency()};
    }
    GrpcMoneyClient money(deps_.peers, deps_.signer, *context, AssertionOf(*context));
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.ResolveDispute(caller, money, input));
    ToProto(ticket, response->mutable_ticket());
    if (ticket.dispute) response->set_refund_payment_id(ticket.dispute->refund_payment_id);
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::ListTextModules(grpc::ServerContext* context,
                                               const v1::ListTextModulesRequest* request,
                                               v1::ListTextModulesResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/ListTextModules"));
    UW_ASSIGN_OR_RETURN(std::vector<TextModule> modules,
                        deps_.desk.ListTextModules(caller, request->locale(), request->query()));
    for (const TextModule& m : modules) ToProto(m, response->add_text_modules());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::UpsertTextModule(grpc::ServerContext* context,
                                                const v1::UpsertTextModuleRequest* request,
                                                v1::UpsertTextModuleResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/UpsertTextModule"));
    UW_ASSIGN_OR_RETURN(TextModule module,
                        deps_.desk.UpsertTextModule(caller, FromProto(request->text_module())));
    ToProto(module, response->mutable_text_module());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::UpsertFaqArticle(grpc::ServerContext* context,
                                                const v1::UpsertFaqArticleRequest* request,
                                                v1::UpsertFaqArticleResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/UpsertFaqArticle"));
    UW_ASSIGN_OR_RETURN(FaqArticle article,
                        deps_.desk.UpsertFaqArticle(caller, FromProto(request->article())));
    ToProto(article, response->mutable_article());
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::ListFaqArticles(grpc::ServerContext* context,
                                               const v1::ListFaqArticlesRequest* request,
                                               v1::ListFaqArticlesResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/ListFaqArticles"));
    UW_ASSIGN_OR_RETURN(FaqArticlesPage page,
                        deps_.desk.ListFaqArticles(caller, request->locale(), request->page_size(),
                                                   request->page_token()));
    for (const FaqArticle& article : page.articles) ToProto(article, response->add_articles());
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status SupportAgentGrpc::GetSupportStats(grpc::ServerContext* context,
                                               const v1::GetSupportStatsRequest* request,
                                               v1::GetSupportStatsResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportAgentService/GetSupportStats"));
    absl::Time to = request->time_range().has_end_time()
                        ? FromProto(request->time_range().end_time())
                        : deps_.clock.Now();
    absl::Time from = request->time_range().has_start_time()
                          ? FromProto(request->time_range().start_time())
                          : to - absl::Hours(24 * 30);
    UW_ASSIGN_OR_RETURN(SupportStats stats, deps_.desk.GetStats(caller, from, to));
    response->set_ticket_count(stats.ticket_count);
    for (const auto& [category, count] : stats.by_category) {
      auto* c = response->add_by_category();
      c->set_category(static_cast<v1::TicketCategory>(category));
      c->set_count(count);
    }
    for (const auto& [channel, count] : stats.by_channel) {
      auto* c = response->add_by_channel();
      c->set_channel(static_cast<v1::Channel>(channel));
      c->set_count(count);
    }
    response->set_first_response_sla_met_ratio(stats.first_response_met_ratio);
    response->set_resolution_sla_met_ratio(stats.resolution_met_ratio);
    response->set_csat_average(stats.csat_average);
    response->set_csat_count(stats.csat_count);
    response->set_self_service_deflection_ratio(stats.deflection_ratio);
    for (const auto& q : stats.top_questions) {
      auto* f = response->add_top_questions();
      f->set_question(q.question);
      f->set_count(q.count);
      f->set_article_id(q.article_id);
    }
    response->set_median_first_response_s(stats.median_first_response_s);
    return absl::OkStatus();
  });
}

// ---- SupportInternalService --------------------------------------------------------------------

grpc::Status SupportInternalGrpc::OpenSystemTicket(grpc::ServerContext* context,
                                                   const v1::OpenSystemTicketRequest* request,
                                                   v1::OpenSystemTicketResponse* response) {
  return grpcutil::Handle(context, [&]() -> absl::Status {
    UW_ASSIGN_OR_RETURN(Caller caller,
                        CallerOf(deps_, *context, "SupportInternalService/OpenSystemTicket"));
    SystemTicketInput input{.idempotency_key = request->idempotency_key(),
                            .user_id = request->user_id(),
                            .category = static_cast<Category>(request->category()),
                            .priority = static_cast<Priority>(request->priority()),
                            .subject = request->subject(),
                            .body = request->body(),
                            .payment_id = request->payment_id(),
                            .case_id = request->case_id()};
    UW_ASSIGN_OR_RETURN(Ticket ticket, deps_.desk.OpenSystemTicket(caller, input));
    ToProto(ticket, response->mutable_ticket());
    return absl::OkStatus();
  });
}

}  // namespace uwallet::support
