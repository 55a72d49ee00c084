#include "services/support/core/desk.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "uwallet/common/locale.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

// What the customer reads in the ticket when an agent decides their dispute, in English or
// Chinese. Amounts: "8.00 CNY" / "¥8.00".
std::string DisputeDecisionText(DisputeDecision decision, const Money& refund,
                                const std::string& note, bool chinese) {
  const std::string units =
      absl::StrCat(refund.amount_minor / 100, ".", refund.amount_minor % 100 < 10 ? "0" : "",
                   refund.amount_minor % 100);
  if (decision == DisputeDecision::kReject) {
    return chinese ? "你的争议已审核，未予支持：" + note
                   : "Your dispute was reviewed and rejected: " + note;
  }
  if (chinese) {
    const std::string amount =
        refund.currency == "CNY" ? "¥" + units : absl::StrCat(units, " ", refund.currency);
    return absl::StrCat("你的争议已受理，", amount, " 的退款正在退回你的钱包。", note);
  }
  return absl::StrCat("Your dispute was accepted. A refund of ", units, " ", refund.currency,
                      " is on its way. ", note);
}

absl::Status Invalid(absl::string_view reason, absl::string_view message) {
  return WithReason(absl::StatusCode::kInvalidArgument, reason, message);
}

absl::Status Denied(absl::string_view message) {
  return WithReason(absl::StatusCode::kPermissionDenied, "NOT_ALLOWED", message);
}

absl::Status CheckText(const std::string& text, size_t max, absl::string_view field,
                       bool required) {
  if (required && absl::StripAsciiWhitespace(text).empty()) {
    return Invalid("FIELD_REQUIRED", absl::StrCat(field, " is required"));
  }
  if (text.size() > max) {
    return Invalid("FIELD_TOO_LONG", absl::StrCat(field, " is at most ", max, " bytes"));
  }
  return absl::OkStatus();
}

std::string Normalize(const std::string& question) {
  return absl::StrJoin(Tokenize(question), " ");
}

}  // namespace

SupportDesk::SupportDesk(TicketStore& store, EventPublisher& events, const Clock& clock,
                         IdGenerator& ids, DeskOptions options)
    : store_(store),
      events_(events),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)),
      names_(options_.directory, clock) {}

Person AuthorNames::Find(const std::string& user_id) {
  if (directory_ == nullptr || user_id.empty()) return {};
  const absl::Time now = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(user_id);
    if (it != cache_.end() && it->second.expires_at > now) return it->second.person;
  }
  absl::StatusOr<Person> found = directory_->Lookup(user_id);
  if (!found.ok()) {
    log::Warn("author display name not found",
              {{"user_id", user_id}, {"error", found.status().ToString()}});
  }
  Entry entry{.person = found.ok() ? *found : Person{},
              .expires_at = now + (found.ok() ? kAuthorNameTtl : kAuthorNameFailureTtl)};
  std::lock_guard<std::mutex> lock(mutex_);
  if (cache_.size() >= kAuthorNamesMax) {
    // Bounded: drop the expired entries, or everything when none expired.
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.expires_at <= now ? cache_.erase(it) : std::next(it);
    }
    if (cache_.size() >= kAuthorNamesMax) cache_.clear();
  }
  cache_[user_id] = entry;
  return entry.person;
}

void SupportDesk::Decorate(Ticket& ticket) const {
  ticket.sla_breached = options_.sla.Breached(ticket, clock_.Now());
}

absl::StatusOr<int> SupportDesk::SweepSlaBreaches(int limit) {
  if (limit < 1 || limit > kSlaSweepBatchMax) {
    return absl::InvalidArgumentError("sweep limit out of range");
  }
  const absl::Time now = clock_.Now();
  UW_ASSIGN_OR_RETURN(std::vector<SlaBreach> breaches, store_.ClaimSlaBreaches(now, limit));
  for (SlaBreach& breach : breaches) {
    Decorate(breach.ticket);
    // The store claims by the same rule as the policy; a disagreement is a bug worth a log line.
    if (!breach.ticket.sla_breached) {
      log::Error("sla sweep: claimed a ticket the policy does not see breached",
                 {{"ticket_id", breach.ticket.ticket_id}});
    }
    events_.Publish(
        TicketEvent{.kind = EventKind::kSlaBreached, .ticket = breach.ticket, .occurred_at = now});
  }
  return static_cast<int>(breaches.size());
}

Message SupportDesk::NewMessage(const Ticket& ticket, AuthorKind kind, const std::string& author,
                                const std::string& body, absl::Time now) {
  Message message;
  message.message_id = ids_.NewId();
  message.ticket_id = ticket.ticket_id;
  message.author_kind = kind;
  message.author_id = author;
  if (kind == AuthorKind::kCustomer) {
    message.author_display_name = names_.Get(author);
  } else if (kind == AuthorKind::kAgent) {
    // Staff show their first name only.
    const std::string name = names_.Get(author);
    message.author_display_name = name.substr(0, name.find(' '));
  }
  message.body = body;
  message.created_at = now;
  return message;
}

absl::Status SupportDesk::ApplyStatus(Ticket& ticket, TicketChange& change, Status to,
                                      const std::string& actor, const std::string& note,
                                      absl::Time now) const {
  const Status from = ticket.status;
  if (from == to) return absl::OkStatus();
  UW_RETURN_IF_ERROR(CheckTransition(from, to));
  if ((from == Status::kResolved || from == Status::kClosed) && to == Status::kOpen) {
    if (!ticket.reopen_until || now > *ticket.reopen_until) {
      return WithReason(absl::StatusCode::kFailedPrecondition, "REOPEN_WINDOW_CLOSED",
                        "this ticket can no longer be reopened; please open a new one");
    }
    ticket.resolved_at.reset();
    ticket.closed_at.reset();
    ticket.reopen_until.reset();
    // A reopened ticket gets a fresh resolution target from now.
    ticket.resolution_due_at =
        options_.sla.calendar.AddBusinessTime(now, options_.sla.For(ticket.priority).resolution);
  }
  if (to == Status::kPendingCustomer) options_.sla.Pause(ticket, now);
  if (from == Status::kPendingCustomer) options_.sla.Resume(ticket, now);
  if (to == Status::kResolved) {
    ticket.resolved_at = now;
    ticket.reopen_until = now + options_.reopen_window;
  }
  if (to == Status::kClosed) {
    ticket.closed_at = now;
    if (!ticket.resolved_at) ticket.resolved_at = now;
    if (!ticket.reopen_until) ticket.reopen_until = now + options_.reopen_window;
  }
  ticket.status = to;
  change.status_change =
      StatusChange{.from = from, .to = to, .changed_at = now, .actor_id = actor, .note = note};
  return absl::OkStatus();
}

void SupportDesk::PublishChange(EventKind kind, const Ticket& ticket, const TicketChange& change) {
  const absl::Time now = clock_.Now();
  if (change.status_change) {
    events_.Publish({.kind = EventKind::kStatusChange,
                     .ticket = ticket,
                     .status_change = change.status_change,
                     .occurred_at = now});
  }
  if (change.message) {
    Message message = *change.message;
    message.attachments.clear();
    events_.Publish(
        {.kind = EventKind::kMessage, .ticket = ticket, .message = message, .occurred_at = now});
  }
  events_.Publish({.kind = kind, .ticket = ticket, .occurred_at = now});
}

absl::StatusOr<Ticket> SupportDesk::Mutate(const Caller& caller, const std::string& ticket_id,
                                           const Mutation& mutation, EventKind kind,
                                           TicketChange* committed) {
  absl::Status last = absl::OkStatus();
  for (int attempt = 0; attempt < kUpdateAttemptsMax; ++attempt) {
    UW_ASSIGN_OR_RETURN(Ticket ticket, store_.GetTicket(ticket_id));
    UW_RETURN_IF_ERROR(CheckViewTicket(caller, ticket));
    TicketChange change;
    UW_RETURN_IF_ERROR(mutation(ticket, change));
    ticket.version += 1;
    ticket.updated_at = clock_.Now();
    last = store_.UpdateTicket(ticket, change);
    if (last.ok()) {
      Decorate(ticket);
      PublishChange(kind, ticket, change);
      if (committed != nullptr) *committed = std::move(change);
      return ticket;
    }
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return last;
}

absl::StatusOr<Ticket> SupportDesk::Insert(const Caller& caller, Ticket ticket,
                                           std::optional<Message> first,
                                           std::vector<NewAttachment> attachments,
                                           const std::string& idempotency_key) {
  if (!idempotency_key.empty()) {
    UW_ASSIGN_OR_RETURN(std::optional<Ticket> existing,
                        store_.FindByIdempotencyKey(ticket.user_id, idempotency_key));
    if (existing) {
      Decorate(*existing);
      return *existing;
    }
  }
  const StatusChange initial{.from = Status::kNew,
                             .to = Status::kNew,
                             .changed_at = ticket.created_at,
                             .actor_id = caller.user_id.empty() ? caller.service : caller.user_id,
                             .note = "opened"};
  absl::Status inserted = store_.InsertTicket(ticket, initial, first, attachments, idempotency_key);
  if (absl::IsAlreadyExists(inserted) && !idempotency_key.empty()) {
    // A concurrent retry with the same key won: answer with its ticket.
    UW_ASSIGN_OR_RETURN(std::optional<Ticket> existing,
                        store_.FindByIdempotencyKey(ticket.user_id, idempotency_key));
    if (existing) {
      Decorate(*existing);
      return *existing;
    }
  }
  UW_RETURN_IF_ERROR(inserted);
  Decorate(ticket);
  TicketChange change;
  change.message = first;
  PublishChange(EventKind::kCreated, ticket, change);
  return ticket;
}

absl::StatusOr<CreatedTicket> SupportDesk::CreateTicket(const Caller& caller,
                                                        NewTicketInput input) {
  if (!caller.customer || caller.user_id.empty()) return Denied("only customers open tickets");
  const int category = static_cast<int>(input.category);
  if (category < 1 || category > kCategoryMax || input.category == Category::kDispute) {
    return Invalid("INVALID_CATEGORY", "choose a ticket category (disputes use OpenDispute)");
  }
  const int channel = static_cast<int>(input.channel);
  if (channel < 1 || channel > kChannelMax) input.channel = Channel::kApp;
  UW_RETURN_IF_ERROR(CheckText(input.subject, kSubjectBytesMax, "subject", true));
  UW_RETURN_IF_ERROR(CheckText(input.body, kBodyBytesMax, "body", true));
  UW_RETURN_IF_ERROR(CheckText(input.idempotency_key, 128, "idempotency_key", false));
  UW_RETURN_IF_ERROR(ValidateAttachments(input.attachments, 0));

  const absl::Time now = clock_.Now();
  Ticket ticket;
  ticket.ticket_id = ids_.NewId();
  ticket.user_id = caller.user_id;
  ticket.category = input.category;
  ticket.channel = input.channel;
  ticket.subject = input.subject;
  ticket.priority = DefaultPriority(input.category);
  ticket.payment_id = input.payment_id;
  ticket.created_at = now;
  ticket.updated_at = now;
  ticket.attachment_count = static_cast<int>(input.attachments.size());
  options_.sla.Start(ticket, now);
  Message first = NewMessage(ticket, AuthorKind::kCustomer, caller.user_id, input.body, now);

  UW_ASSIGN_OR_RETURN(Ticket stored, Insert(caller, ticket, first, std::move(input.attachments),
                                            input.idempotency_key));
  CreatedTicket created{.ticket = stored};
  absl::StatusOr<std::shared_ptr<const FaqIndex>> index = Index();
  if (index.ok()) {
    created.suggestions = (*index)->Search(input.subject + " " + input.body,
                                           FaqIndex::GuessLocale(input.subject + input.body), 3);
  }
  // The stats count this question, and the user's recent Ask questions as not deflected.
  const std::string question = input.subject;
  absl::Status logged = store_.LogQuestion(
      ids_.NewId(), caller.user_id, question, Normalize(question), "ticket",
      created.suggestions.empty() ? "" : created.suggestions.front().article_id, 0, now);
  if (logged.ok()) {
    logged =
        store_.LinkQuestionsToTicket(caller.user_id, now - kDeflectionWindow, stored.ticket_id);
  }
  if (!logged.ok()) log::Warn("question log failed", {{"error", logged.ToString()}});
  return created;
}

absl::StatusOr<std::vector<Ticket>> SupportDesk::ListMyTickets(const Caller& caller,
                                                               const std::vector<Status>& statuses,
                                                               int page_size, int64_t offset) {
  if (caller.user_id.empty()) return Denied("sign in to see your tickets");
  if (page_size <= 0) page_size = 20;
  page_size = std::min(page_size, kPageSizeMax);
  UW_ASSIGN_OR_RETURN(std::vector<Ticket> tickets,
                      store_.ListUserTickets(caller.user_id, statuses, page_size, offset));
  for (Ticket& ticket : tickets) Decorate(ticket);
  return tickets;
}

absl::StatusOr<TicketView> SupportDesk::GetTicket(const Caller& caller,
                                                  const std::string& ticket_id) {
  UW_ASSIGN_OR_RETURN(TicketView view, store_.GetTicketView(ticket_id));
  UW_RETURN_IF_ERROR(CheckViewTicket(caller, view.ticket));
  FilterForCaller(caller, view);
  Decorate(view.ticket);
  return view;
}

absl::StatusOr<std::vector<Message>> SupportDesk::MessagesAfter(
    const Caller& caller, const std::string& ticket_id, const std::string& after_message_id) {
  UW_ASSIGN_OR_RETURN(Ticket ticket, store_.GetTicket(ticket_id));
  UW_RETURN_IF_ERROR(CheckViewTicket(caller, ticket));
  UW_ASSIGN_OR_RETURN(std::vector<Message> messages,
                      store_.MessagesAfter(ticket_id, after_message_id, 500));
  if (!CanSeeInternalNotes(caller)) {
    messages.erase(std::remove_if(messages.begin(), messages.end(),
                                  [](const Message& m) { return m.internal_note; }),
                   messages.end());
  }
  return messages;
}

absl::StatusOr<Message> SupportDesk::PostMessage(const Caller& caller, const std::string& ticket_id,
                                                 const std::string& body,
                                                 std::vector<NewAttachment> attachments) {
  if (!caller.customer) return Denied("agents reply with Reply");
  UW_RETURN_IF_ERROR(CheckText(body, kBodyBytesMax, "body", attachments.empty()));
  TicketChange committed;
  UW_ASSIGN_OR_RETURN(
      Ticket ticket,
      Mutate(
          caller, ticket_id,
          [&](Ticket& t, TicketChange& change) -> absl::Status {
            if (t.status == Status::kClosed || t.status == Status::kResolved) {
              return WithReason(absl::StatusCode::kFailedPrecondition, "TICKET_CLOSED",
                                "this ticket is closed; reopen it or open a new one");
            }
            std::vector<NewAttachment> files = attachments;
            UW_RETURN_IF_ERROR(ValidateAttachments(files, t.attachment_count));
            const absl::Time now = clock_.Now();
            if (t.status == Status::kPendingCustomer) {
              UW_RETURN_IF_ERROR(
                  ApplyStatus(t, change, Status::kOpen, caller.user_id, "customer replied", now));
            }
            t.attachment_count += static_cast<int>(files.size());
            change.message = NewMessage(t, AuthorKind::kCustomer, caller.user_id, body, now);
            change.attachments = std::move(files);
            change.actor_id = caller.user_id;
            return absl::OkStatus();
          },
          EventKind::kCustomerMessage, &committed));
  (void)ticket;
  return *committed.message;
}

absl::StatusOr<Ticket> SupportDesk::CloseTicket(const Caller& caller,
                                                const std::string& ticket_id) {
  if (!caller.customer) return Denied("agents use SetStatus");
  return Mutate(
      caller, ticket_id,
      [&](Ticket& t, TicketChange& change) {
        return ApplyStatus(t, change, Status::kClosed, caller.user_id, "closed by customer",
                           clock_.Now());
      },
      EventKind::kUpdated);
}

absl::StatusOr<Ticket> SupportDesk::ReopenTicket(const Caller& caller, const std::string& ticket_id,
                                                 const std::string& reason) {
  UW_RETURN_IF_ERROR(CheckText(reason, kBodyBytesMax, "reason", false));
  return Mutate(
      caller, ticket_id,
      [&](Ticket& t, TicketChange& change) -> absl::Status {
        if (t.status != Status::kResolved && t.status != Status::kClosed) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "INVALID_STATE",
                            "only resolved or closed tickets can be reopened");
        }
        const absl::Time now = clock_.Now();
        UW_RETURN_IF_ERROR(ApplyStatus(t, change, Status::kOpen, caller.user_id, reason, now));
        if (!reason.empty()) {
          change.message = NewMessage(t, AuthorKind::kCustomer, caller.user_id, reason, now);
        }
        return absl::OkStatus();
      },
      EventKind::kUpdated);
}

absl::StatusOr<Ticket> SupportDesk::RateTicket(const Caller& caller, const std::string& ticket_id,
                                               int score, const std::string& comment) {
  if (!caller.customer) return Denied("only the customer rates a ticket");
  if (score < 1 || score > 5) return Invalid("INVALID_SCORE", "score must be 1 to 5");
  UW_RETURN_IF_ERROR(CheckText(comment, 2000, "comment", false));
  return Mutate(
      caller, ticket_id,
      [&](Ticket& t, TicketChange&) -> absl::Status {
        if (t.status != Status::kResolved && t.status != Status::kClosed) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "TICKET_NOT_RESOLVED",
                            "a ticket can be rated once it is resolved");
        }
        t.rating_score = score;
        t.rating_comment = comment;
        return absl::OkStatus();
      },
      EventKind::kUpdated);
}

absl::StatusOr<Attachment> SupportDesk::GetAttachment(const Caller& caller,
                                                      const std::string& attachment_id) {
  UW_ASSIGN_OR_RETURN(Attachment attachment, store_.GetAttachment(attachment_id));
  UW_ASSIGN_OR_RETURN(Ticket ticket, store_.GetTicket(attachment.meta.ticket_id));
  if (!CanViewTicket(caller, ticket)) {
    return WithReason(absl::StatusCode::kNotFound, "ATTACHMENT_NOT_FOUND", "no such attachment");
  }
  return attachment;
}

absl::StatusOr<Ticket> SupportDesk::OpenDispute(const Caller& caller, MoneyClient& money,
                                                DisputeInput input) {
  if (!caller.customer || caller.user_id.empty()) return Denied("only customers open disputes");
  if (input.idempotency_key.empty() || input.idempotency_key.size() > 128) {
    return Invalid("IDEMPOTENCY_KEY_REQUIRED", "idempotency_key is required (at most 128 bytes)");
  }
  const int reason = static_cast<int>(input.reason);
  if (reason < 1 || reason > 5) return Invalid("INVALID_REASON", "choose a dispute reason");
  if (input.payment_id.empty()) return Invalid("FIELD_REQUIRED", "payment_id is required");
  UW_RETURN_IF_ERROR(CheckText(input.description, kBodyBytesMax, "description", true));
  UW_RETURN_IF_ERROR(ValidateAttachments(input.evidence, 0));
  UW_ASSIGN_OR_RETURN(std::optional<Ticket> replay,
                      store_.FindByIdempotencyKey(caller.user_id, input.idempotency_key));
  if (replay) {
    Decorate(*replay);
    return *replay;
  }

  absl::StatusOr<PaymentInfo> payment = money.GetPayment(input.payment_id);
  if (absl::IsNotFound(payment.status()) ||
      (payment.ok() && payment->payer_user_id != caller.user_id)) {
    return WithReason(absl::StatusCode::kNotFound, "PAYMENT_NOT_FOUND", "no such payment");
  }
  UW_RETURN_IF_ERROR(payment.status());
  if (!payment->succeeded) {
    return WithReason(absl::StatusCode::kFailedPrecondition, "PAYMENT_NOT_DISPUTABLE",
                      "only completed payments can be disputed");
  }
  const int64_t remaining = payment->amount.amount_minor - payment->refunded_minor;
  Money amount{.amount_minor = remaining, .currency = payment->amount.currency};
  if (input.amount) {
    if (input.amount->currency != payment->amount.currency || input.amount->amount_minor <= 0 ||
        input.amount->amount_minor > remaining) {
      return Invalid("INVALID_AMOUNT",
                     "the disputed amount must be positive, in the payment's currency and at "
                     "most what was not refunded yet");
    }
    amount = *input.amount;
  }
  if (amount.amount_minor <= 0) {
    return WithReason(absl::StatusCode::kFailedPrecondition, "PAYMENT_ALREADY_REFUNDED",
                      "this payment was refunded in full");
  }

  const absl::Time now = clock_.Now();
  Ticket ticket;
  ticket.ticket_id = ids_.NewId();
  ticket.user_id = caller.user_id;
  ticket.category = Category::kDispute;
  ticket.channel = Channel::kApp;
  ticket.subject = absl::StrCat("Dispute of payment ", input.payment_id);
  ticket.priority =
      input.reason == DisputeReason::kUnauthorised ? Priority::kUrgent : Priority::kHigh;
  ticket.payment_id = input.payment_id;
  ticket.created_at = now;
  ticket.updated_at = now;
  ticket.attachment_count = static_cast<int>(input.evidence.size());
  options_.sla.Start(ticket, now);
  Dispute dispute;
  dispute.dispute_id = ids_.NewId();
  dispute.payment_id = input.payment_id;
  dispute.reason = input.reason;
  dispute.status = DisputeStatus::kOpen;
  dispute.amount = amount;
  dispute.opened_at = now;
  if (input.reason == DisputeReason::kUnauthorised) {
    // Idempotent on the ledger side with the same key, so a retried call holds once.
    UW_ASSIGN_OR_RETURN(dispute.hold_id,
                        money.CreateDisputeHold("support-dispute-hold:" + input.idempotency_key,
                                                *payment, amount, ticket.ticket_id));
  }
  ticket.dispute = dispute;
  Message first = NewMessage(ticket, AuthorKind::kCustomer, caller.user_id, input.description, now);
  absl::StatusOr<Ticket> stored =
      Insert(caller, ticket, first, std::move(input.evidence), input.idempotency_key);
  if (!stored.ok() && !dispute.hold_id.empty()) {
    absl::Status voided = money.VoidHold("support-dispute-void:" + input.idempotency_key,
                                         dispute.hold_id, "dispute could not be opened");
    if (!voided.ok()) log::Error("dispute hold left pending", {{"hold_id", dispute.hold_id}});
  }
  return stored;  // DISPUTE_ALREADY_OPEN from storage: one open dispute per payment
}

absl::StatusOr<std::shared_ptr<const FaqIndex>> SupportDesk::Index() {
  std::lock_guard<std::mutex> lock(index_mutex_);
  const absl::Time now = clock_.Now();
  if (index_ == nullptr || now - index_loaded_at_ > kFaqRefreshInterval) {
    UW_ASSIGN_OR_RETURN(std::vector<FaqArticle> articles, store_.ListFaqArticles());
    index_ = std::make_shared<const FaqIndex>(std::move(articles));
    index_loaded_at_ = now;
  }
  return index_;
}

void SupportDesk::InvalidateIndex() {
  std::lock_guard<std::mutex> lock(index_mutex_);
  index_.reset();
}

absl::StatusOr<std::vector<FaqHit>> SupportDesk::SearchFaq(const std::string& query,
                                                           const std::string& locale,
                                                           int page_size) {
  UW_RETURN_IF_ERROR(CheckText(query, kQueryBytesMax, "query", true));
  if (!locale.empty() && locale != "en" && locale != "zh-CN") {
    return Invalid("UNSUPPORTED_LOCALE", "locale must be zh-CN or en");
  }
  if (page_size <= 0) page_size = 5;
  page_size = std::min(page_size, kSearchPageSizeMax);
  UW_ASSIGN_OR_RETURN(std::shared_ptr<const FaqIndex> index, Index());
  return index->Search(query, locale, page_size);
}

absl::StatusOr<FaqArticle> SupportDesk::GetFaqArticle(const std::string& article_id,
                                                      const std::string& locale) {
  UW_ASSIGN_OR_RETURN(std::shared_ptr<const FaqIndex> index, Index());
  const FaqArticle* fallback = nullptr;
  for (const FaqArticle& article : index->articles()) {
    if (article.article_id != article_id) continue;
    if (article.locale == locale) return article;
    if (fallback == nullptr || article.locale == "en") fallback = &article;
  }
  if (fallback != nullptr) return *fallback;
  return WithReason(absl::StatusCode::kNotFound, "ARTICLE_NOT_FOUND", "no such article");
}

absl::StatusOr<AskResult> SupportDesk::Ask(const Caller& caller, const std::string& question,
                                           const std::string& locale) {
  UW_RETURN_IF_ERROR(CheckText(question, kQueryBytesMax, "question", true));
  if (!locale.empty() && locale != "en" && locale != "zh-CN") {
    return Invalid("UNSUPPORTED_LOCALE", "locale must be zh-CN or en");
  }
  UW_ASSIGN_OR_RETURN(std::shared_ptr<const FaqIndex> index, Index());
  AskResult result;
  result.answer = index->Ask(question, locale);
  result.question_id = ids_.NewId();
  absl::Status logged = store_.LogQuestion(
      result.question_id, caller.user_id, question, Normalize(question), "ask",
      result.answer.sources.empty() ? "" : result.answer.sources.front().article_id,
      result.answer.confidence, clock_.Now());
  if (!logged.ok()) log::Warn("question log failed", {{"error", logged.ToString()}});
  return result;
}

absl::StatusOr<FaqArticle> SupportDesk::UpsertFaqArticle(const Caller& caller, FaqArticle article) {
  if (!caller.Staff()) return Denied("only support staff edit the FAQ");
  if (article.locale != "en" && article.locale != "zh-CN") {
    return Invalid("UNSUPPORTED_LOCALE", "locale must be zh-CN or en");
  }
  UW_RETURN_IF_ERROR(CheckText(article.title, 200, "title", true));
  UW_RETURN_IF_ERROR(CheckText(article.body, kBodyBytesMax, "body", true));
  const int category = static_cast<int>(article.category);
  if (category < 1 || category > kCategoryMax) article.category = Category::kOther;
  const bool create = article.article_id.empty();
  if (create) article.article_id = ids_.NewId();
  article.updated_at = clock_.Now();
  UW_ASSIGN_OR_RETURN(FaqArticle stored, store_.UpsertFaqArticle(article, create));
  InvalidateIndex();
  return stored;
}

absl::StatusOr<FaqArticlesPage> SupportDesk::ListFaqArticles(const Caller& caller,
                                                             const std::string& locale,
                                                             int page_size,
                                                             const std::string& page_token) {
  if (!caller.Staff()) return Denied("only support staff list every FAQ article");
  if (!locale.empty() && locale != "en" && locale != "zh-CN") {
    return Invalid("UNSUPPORTED_LOCALE", "locale must be zh-CN, en or empty (both)");
  }
  if (page_size < 0) return Invalid("INVALID_FIELD", "page_size must not be negative");
  const int limit = page_size == 0 ? 20 : std::min(page_size, kFaqListPageMax);
  // The token is the last article's "<article_id>|<locale>" (ids never contain '|').
  std::string after_id, after_locale;
  if (!page_token.empty()) {
    const size_t bar = page_token.rfind('|');
    if (bar == std::string::npos || bar == 0 || bar > kSubjectBytesMax) {
      return Invalid("PAGE_TOKEN_INVALID", "page_token is not one this service gave out");
    }
    after_id = page_token.substr(0, bar);
    after_locale = page_token.substr(bar + 1);
  }
  FaqArticlesPage page;
  UW_ASSIGN_OR_RETURN(page.articles,
                      store_.ListFaqArticlesAfter(locale, after_id, after_locale, limit + 1));
  if (static_cast<int>(page.articles.size()) > limit) {
    page.articles.resize(limit);
    page.next_page_token =
        absl::StrCat(page.articles.back().article_id, "|", page.articles.back().locale);
  }
  return page;
}

absl::StatusOr<std::vector<Ticket>> SupportDesk::ListQueue(const Caller& caller, QueueQuery query) {
  if (!caller.Staff() && !caller.analyst) return Denied("the queue is for support staff");
  if (query.page_size <= 0) query.page_size = 50;
  query.page_size = std::min(query.page_size, kPageSizeMax);
  query.now = clock_.Now();
  if (caller.analyst && !caller.Staff()) {
    // Analysts see security and dispute tickets only.
    std::vector<Category> allowed;
    for (Category c : query.categories) {
      if (c == Category::kSecurity || c == Category::kDispute) allowed.push_back(c);
    }
    if (query.categories.empty() || allowed.empty()) {
      allowed = {Category::kSecurity, Category::kDispute};
    }
    query.categories = allowed;
  }
  UW_ASSIGN_OR_RETURN(std::vector<Ticket> tickets, store_.ListQueue(query));
  for (Ticket& ticket : tickets) Decorate(ticket);
  if (query.sla_breached_only) {
    tickets.erase(std::remove_if(tickets.begin(), tickets.end(),
                                 [](const Ticket& t) { return !t.sla_breached; }),
                  tickets.end());
  }
  return tickets;
}

absl::StatusOr<Ticket> SupportDesk::AssignTicket(const Caller& caller, const AssignInput& input) {
  if (!caller.Staff()) return Denied("only support staff assign tickets");
  std::string assignee = input.assignee_id;
  if (input.auto_assign) {
    UW_ASSIGN_OR_RETURN(assignee, store_.PickRoundRobinAgent(clock_.Now()));
    if (assignee.empty()) {
      return WithReason(absl::StatusCode::kFailedPrecondition, "NO_AGENT_ONLINE",
                        "no agent is online for automatic assignment");
    }
  } else if (assignee.empty()) {
    assignee = caller.user_id;  // claim
  } else if (assignee != caller.user_id && !caller.admin) {
    // Agents claim; handing a ticket to someone else is for admins (team leads).
    return Denied("only admins assign tickets to other agents");
  }
  return Mutate(
      caller, input.ticket_id,
      [&](Ticket& t, TicketChange& change) -> absl::Status {
        if (t.status == Status::kClosed) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "INVALID_STATE",
                            "closed tickets cannot be assigned");
        }
        t.assignee_id = assignee;
        if (t.status == Status::kNew) {
          UW_RETURN_IF_ERROR(
              ApplyStatus(t, change, Status::kOpen, caller.user_id, "assigned", clock_.Now()));
        }
        return absl::OkStatus();
      },
      EventKind::kAssigned);
}

absl::StatusOr<Message> SupportDesk::Reply(const Caller& caller, const std::string& ticket_id,
                                           const std::string& body, bool internal_note,
                                           std::vector<NewAttachment> attachments,
                                           const std::string& text_module_id) {
  if (!caller.Staff()) return Denied("only support staff reply");
  UW_RETURN_IF_ERROR(CheckText(body, kBodyBytesMax, "body", true));
  TicketChange committed;
  UW_ASSIGN_OR_RETURN(Ticket ticket,
                      Mutate(
                          caller, ticket_id,
                          [&](Ticket& t, TicketChange& change) -> absl::Status {
                            if (t.status == Status::kClosed) {
                              return WithReason(absl::StatusCode::kFailedPrecondition,
                                                "TICKET_CLOSED", "the ticket is closed");
                            }
                            std::vector<NewAttachment> files = attachments;
                            UW_RETURN_IF_ERROR(ValidateAttachments(files, t.attachment_count));
                            const absl::Time now = clock_.Now();
                            if (!internal_note) {
                              if (!t.first_responded_at) t.first_responded_at = now;
                              if (t.status == Status::kNew) {
                                UW_RETURN_IF_ERROR(ApplyStatus(t, change, Status::kOpen,
                                                               caller.user_id, "replied", now));
                              }
                              if (t.assignee_id.empty()) t.assignee_id = caller.user_id;
                            }
                            t.attachment_count += static_cast<int>(files.size());
                            Message message =
                                NewMessage(t, AuthorKind::kAgent, caller.user_id, body, now);
                            message.internal_note = internal_note;
                            message.text_module_id = text_module_id;
                            change.message = message;
                            change.attachments = std::move(files);
                            change.actor_id = caller.user_id;
                            change.event_type = internal_note ? "" : "support.ticket.replied";
                            return absl::OkStatus();
                          },
                          EventKind::kUpdated, &committed));
  (void)ticket;
  return *committed.message;
}

absl::StatusOr<Ticket> SupportDesk::SetStatus(const Caller& caller, const std::string& ticket_id,
                                              Status status, const std::string& note) {
  if (!caller.Staff()) return Denied("only support staff change the status");
  const int value = static_cast<int>(status);
  if (value < 1 || value > 5) return Invalid("INVALID_STATUS", "choose a status");
  UW_RETURN_IF_ERROR(CheckText(note, 2000, "note", false));
  return Mutate(
      caller, ticket_id,
      [&](Ticket& t, TicketChange& change) -> absl::Status {
        if (t.status == status) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "INVALID_STATE",
                            "the ticket already has this status");
        }
        if (t.dispute && t.dispute->status == DisputeStatus::kOpen &&
            (status == Status::kResolved || status == Status::kClosed)) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "DISPUTE_OPEN",
                            "decide the dispute with ResolveDispute first");
        }
        change.event_type = status == Status::kResolved ? "support.ticket.resolved" : "";
        return ApplyStatus(t, change, status, caller.user_id, note, clock_.Now());
      },
      EventKind::kUpdated);
}

absl::Status SupportDesk::SetAvailability(const Caller& caller, bool online) {
  if (!caller.Staff() || caller.user_id.empty()) return Denied("only support staff");
  return store_.SetAvailability(caller.user_id, online, clock_.Now());
}

absl::StatusOr<Ticket> SupportDesk::ResolveDispute(const Caller& caller, MoneyClient& money,
                                                   const ResolveInput& input) {
  if (!caller.Staff()) return Denied("only support staff decide disputes");
  if (input.idempotency_key.empty() || input.idempotency_key.size() > 128) {
    return Invalid("IDEMPOTENCY_KEY_REQUIRED", "idempotency_key is required (at most 128 bytes)");
  }
  UW_RETURN_IF_ERROR(CheckText(input.note, 2000, "note", true));
  const int decision = static_cast<int>(input.decision);
  if (decision < 1 || decision > 3) return Invalid("INVALID_DECISION", "choose a decision");
  UW_ASSIGN_OR_RETURN(Ticket current, store_.GetTicket(input.ticket_id));
  UW_RETURN_IF_ERROR(CheckViewTicket(caller, current));
  if (!current.dispute) {
    return WithReason(absl::StatusCode::kFailedPrecondition, "NOT_A_DISPUTE",
                      "this ticket has no dispute");
  }
  Dispute dispute = *current.dispute;
  if (dispute.status != DisputeStatus::kOpen) {
    if (dispute.decision == input.decision) {
      Decorate(current);
      return current;  // a retry after success
    }
    return WithReason(absl::StatusCode::kFailedPrecondition, "DISPUTE_ALREADY_RESOLVED",
                      "this dispute was already decided");
  }
  Money refund{.amount_minor = 0, .currency = dispute.amount.currency};
  if (input.decision == DisputeDecision::kRefundFull) refund = dispute.amount;
  if (input.decision == DisputeDecision::kRefundPartial) {
    if (!input.amount || input.amount->currency != dispute.amount.currency ||
        input.amount->amount_minor <= 0 ||
        input.amount->amount_minor > dispute.amount.amount_minor) {
      return Invalid("INVALID_AMOUNT",
                     "a partial refund needs an amount above zero and at most the disputed "
                     "amount, in its currency");
    }
    refund = *input.amount;
  }
  // Money first (each step idempotent by key), then the record. A crash in between is repaired
  // by retrying with the same key.
  if (!dispute.hold_id.empty()) {
    UW_RETURN_IF_ERROR(money.VoidHold("support-resolve-void:" + input.idempotency_key,
                                      dispute.hold_id, "dispute decided: " + input.note));
  }
  // The system message speaks the customer's language (their locale at auth).
  const bool chinese = SpeaksChinese(names_.Locale(current.user_id));
  std::string refund_payment_id;
  if (refund.amount_minor > 0) {
    UW_ASSIGN_OR_RETURN(refund_payment_id,
                        money.Refund("support-resolve-refund:" + input.idempotency_key,
                                     dispute.payment_id, refund, input.note, current.ticket_id));
  }
  return Mutate(
      caller, input.ticket_id,
      [&](Ticket& t, TicketChange& change) -> absl::Status {
        if (!t.dispute || t.dispute->status != DisputeStatus::kOpen) {
          return WithReason(absl::StatusCode::kFailedPrecondition, "DISPUTE_ALREADY_RESOLVED",
                            "this dispute was already decided");
        }
        const absl::Time now = clock_.Now();
        t.dispute->decision = input.decision;
        t.dispute->status = input.decision == DisputeDecision::kReject ? DisputeStatus::kRejected
                            : refund.amount_minor == t.dispute->amount.amount_minor
                                ? DisputeStatus::kRefunded
                                : DisputeStatus::kPartiallyRefunded;
        t.dispute->refunded_minor = refund.amount_minor;
        t.dispute->refund_payment_id = refund_payment_id;
        t.dispute->resolved_at = now;
        change.dispute_changed = true;
        change.audit_action = absl::StrCat("resolve_dispute:", decision);
        change.audit_detail =
            absl::StrCat("refund_minor=", refund.amount_minor, " ", refund.currency,
                         " refund_payment_id=", refund_payment_id, " note=", input.note);
        change.actor_id = caller.user_id;
        change.event_type = "support.dispute.resolved";
        if (!t.first_responded_at) t.first_responded_at = now;
        Message message =
            NewMessage(t, AuthorKind::kSystem, "system",
                       DisputeDecisionText(input.decision, refund, input.note, chinese), now);
        change.message = message;
        return ApplyStatus(t, change, Status::kResolved, caller.user_id, input.note, now);
      },
      EventKind::kUpdated);
}

absl::StatusOr<std::vector<TextModule>> SupportDesk::ListTextModules(const Caller& caller,
                                                                     const std::string& locale,
                                                                     const std::string& query) {
  if (!caller.Staff()) return Denied("only support staff");
  return store_.ListTextModules(locale, query);
}

absl::StatusOr<TextModule> SupportDesk::UpsertTextModule(const Caller& caller, TextModule module) {
  if (!caller.Staff()) return Denied("only support staff");
  UW_RETURN_IF_ERROR(CheckText(module.name, 100, "name", true));
  UW_RETURN_IF_ERROR(CheckText(module.body, 5000, "body", true));
  UW_RETURN_IF_ERROR(CheckText(module.shortcut, 50, "shortcut", false));
  if (module.locale != "en" && module.locale != "zh-CN") {
    return Invalid("UNSUPPORTED_LOCALE", "locale must be zh-CN or en");
  }
  if (module.text_module_id.empty()) module.text_module_id = ids_.NewId();
  module.updated_at = clock_.Now();
  return store_.UpsertTextModule(module);
}

absl::StatusOr<SupportStats> SupportDesk::GetStats(const Caller& caller, absl::Time from,
                                                   absl::Time to) {
  if (!caller.Staff()) return Denied("only support staff");
  if (to <= from) return Invalid("INVALID_RANGE", "the time range must end after it starts");
  UW_ASSIGN_OR_RETURN(std::vector<TicketFacts> tickets, store_.TicketFactsBetween(from, to));
  UW_ASSIGN_OR_RETURN(std::vector<QuestionFacts> questions, store_.QuestionsBetween(from, to));
  return ComputeStats(tickets, questions, 20);
}

absl::StatusOr<std::vector<Ticket>> SupportDesk::RecentTicketsOf(const Caller& caller,
                                                                 const std::string& user_id) {
  if (!caller.Staff()) return Denied("only support staff");
  UW_ASSIGN_OR_RETURN(std::vector<Ticket> tickets, store_.ListUserTickets(user_id, {}, 20, 0));
  for (Ticket& ticket : tickets) Decorate(ticket);
  return tickets;
}

absl::StatusOr<Ticket> SupportDesk::OpenSystemTicket(const Caller& caller,
                                                     const SystemTicketInput& input) {
  if (caller.service.empty()) return Denied("internal API: service callers only");
  if (input.idempotency_key.empty() || input.idempotency_key.size() > 128) {
    return Invalid("IDEMPOTENCY_KEY_REQUIRED", "idempotency_key is required");
  }
  if (input.user_id.empty()) return Invalid("FIELD_REQUIRED", "user_id is required");
  const int category = static_cast<int>(input.category);
  if (category < 1 || category > kCategoryMax) return Invalid("INVALID_CATEGORY", "category");
  UW_RETURN_IF_ERROR(CheckText(input.subject, kSubjectBytesMax, "subject", true));
  UW_RETURN_IF_ERROR(CheckText(input.body, kBodyBytesMax, "body", false));
  const absl::Time now = clock_.Now();
  Ticket ticket;
  ticket.ticket_id = ids_.NewId();
  ticket.user_id = input.user_id;
  ticket.category = input.category;
  ticket.channel = Channel::kApp;
  ticket.subject = input.subject;
  const int priority = static_cast<int>(input.priority);
  ticket.priority =
      priority >= 1 && priority <= kPriorityMax ? input.priority : DefaultPriority(input.category);
  ticket.payment_id = input.payment_id;
  ticket.case_id = input.case_id;
  ticket.created_at = now;
  ticket.updated_at = now;
  options_.sla.Start(ticket, now);
  std::optional<Message> first;
  if (!input.body.empty()) {
    first = NewMessage(ticket, AuthorKind::kSystem, "service:" + caller.service, input.body, now);
  }
  return Insert(caller, ticket, first, {}, "system:" + input.idempotency_key);
}

// ---- stats -------------------------------------------------------------------------------------

SupportStats ComputeStats(const std::vector<TicketFacts>& tickets,
                          const std::vector<QuestionFacts>& questions, int top_questions_max) {
  SupportStats stats;
  stats.ticket_count = static_cast<int64_t>(tickets.size());
  std::map<int, int64_t> by_category;
  std::map<int, int64_t> by_channel;
  int64_t first_answered = 0, first_met = 0, resolved = 0, resolved_met = 0, rating_sum = 0;
  std::vector<int64_t> first_response_s;
  for (const TicketFacts& t : tickets) {
    by_category[static_cast<int>(t.category)] += 1;
    by_channel[static_cast<int>(t.channel)] += 1;
    if (t.first_response_met) {
      ++first_answered;
      if (*t.first_response_met) ++first_met;
    }
    if (t.resolution_met) {
      ++resolved;
      if (*t.resolution_met) ++resolved_met;
    }
    if (t.first_response_s) first_response_s.push_back(*t.first_response_s);
    if (t.rating_score > 0) {
      ++stats.csat_count;
      rating_sum += t.rating_score;
    }
  }
  for (const auto& [category, count] : by_category) {
    stats.by_category.emplace_back(static_cast<Category>(category), count);
  }
  for (const auto& [channel, count] : by_channel) {
    stats.by_channel.emplace_back(static_cast<Channel>(channel), count);
  }
  stats.first_response_met_ratio =
      first_answered > 0 ? static_cast<double>(first_met) / first_answered : 0;
  stats.resolution_met_ratio = resolved > 0 ? static_cast<double>(resolved_met) / resolved : 0;
  stats.csat_average =
      stats.csat_count > 0 ? static_cast<double>(rating_sum) / stats.csat_count : 0;
  if (!first_response_s.empty()) {
    std::sort(first_response_s.begin(), first_response_s.end());
    stats.median_first_response_s = first_response_s[first_response_s.size() / 2];
  }
  int64_t asks = 0, deflected = 0;
  struct Group {
    std::string question;
    int64_t count = 0;
    std::map<std::string, int64_t> articles;
  };
  std::map<std::string, Group> groups;
  for (const QuestionFacts& q : questions) {
    if (q.from_ask) {
      ++asks;
      if (!q.followed_by_ticket) ++deflected;
    }
    if (q.normalized.empty()) continue;
    Group& group = groups[q.normalized];
    if (group.count == 0) group.question = q.question;
    group.count += 1;
    if (!q.best_article_id.empty()) group.articles[q.best_article_id] += 1;
  }
  stats.deflection_ratio = asks > 0 ? static_cast<double>(deflected) / asks : 0;
  for (auto& [normalized, group] : groups) {
    SupportStats::Question question{.question = group.question, .count = group.count};
    int64_t best = 0;
    for (const auto& [article, count] : group.articles) {
      if (count > best) {
        best = count;
        question.article_id = article;
      }
    }
    stats.top_questions.push_back(std::move(question));
  }
  std::sort(stats.top_questions.begin(), stats.top_questions.end(),
            [](const SupportStats::Question& a, const SupportStats::Question& b) {
              return a.count != b.count ? a.count > b.count : a.question < b.question;
            });
  if (static_cast<int>(stats.top_questions.size()) > top_questions_max) {
    stats.top_questions.resize(top_questions_max);
  }
  return stats;
}

// ---- fan-out ------------------------------------------------------------------------------------

std::vector<FailedPart> FanOut(const std::vector<FanOutPart>& parts, absl::Time deadline,
                               absl::Duration per_part, const Clock& clock) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<std::optional<absl::Status>> results;
  };
  auto shared = std::make_shared<Shared>();
  shared->results.resize(parts.size());
  const absl::Time part_deadline = std::min(deadline, clock.Now() + per_part);
  std::vector<std::thread> threads;
  threads.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    threads.emplace_back([shared, i, fetch = parts[i].fetch, part_deadline] {
      absl::Status status = fetch(part_deadline);
      std::lock_guard<std::mutex> lock(shared->mutex);
      shared->results[i] = std::move(status);
      shared->done.notify_all();
    });
  }
  // Every fetch passes its deadline to its RPC, so each thread ends shortly after it: joining
  // keeps ownership simple (fetch writes into the caller's response) and stays bounded.
  for (std::thread& thread : threads) thread.join();
  std::vector<FailedPart> failed;
  for (size_t i = 0; i < parts.size(); ++i) {
    const absl::Status& status = *shared->results[i];
    if (!status.ok()) failed.push_back({.name = parts[i].name, .status = status});
  }
  return failed;
}

}  // namespace uwallet::support
