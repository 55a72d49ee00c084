#pragma once
// What core needs from the outside, as small interfaces: storage (PostgreSQL in storage/), the
// event bus (Redis pub/sub in storage/), and the other services (gRPC clients in grpc/). Tests
// substitute fakes.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/support/core/model.h"

namespace uwallet::support {

// One atomic change of a ticket: the ticket row (version checked) plus what is appended with it.
struct TicketChange {
  std::optional<StatusChange> status_change;
  std::optional<Message> message;
  std::vector<NewAttachment> attachments;  // belong to `message`
  bool dispute_changed = false;            // write ticket.dispute
  std::string audit_action;                // staff action on a dispute (append-only audit)
  std::string audit_detail;
  std::string actor_id;
  // Outbox event type ("support.ticket.replied"); empty: none.
  std::string event_type;
};

struct QueueQuery {
  std::vector<Status> statuses;
  std::vector<Category> categories;
  std::vector<Priority> priorities;
  std::string assignee_id;  // set: only this agent's
  bool unassigned_only = false;
  bool sla_breached_only = false;  // approximated in SQL by due times before `now`
  absl::Time now = absl::InfinitePast();
  int page_size = 50;
  int64_t offset = 0;
};

struct Attachment {
  AttachmentMeta meta;
  std::string content;
};

// One ticket's numbers for the stats.
struct TicketFacts {
  Category category = Category::kOther;
  Channel channel = Channel::kApp;
  std::optional<bool> first_response_met;  // unset while not answered yet
  std::optional<bool> resolution_met;      // unset while not resolved
  std::optional<int64_t> first_response_s;
  int rating_score = 0;
};

struct QuestionFacts {
  std::string question;
  std::string normalized;
  std::string best_article_id;
  bool from_ask = false;
  bool followed_by_ticket = false;
};

inline constexpr int kStatsRowsMax = 100'000;

// The two SLA targets of a ticket.
enum class SlaTarget : int { kFirstResponse = 1, kResolution = 2 };

// A target that passed, claimed by one sweeper (see TicketStore::ClaimSlaBreaches).
struct SlaBreach {
  Ticket ticket;
  SlaTarget target = SlaTarget::kFirstResponse;
  absl::Time due_at = absl::InfinitePast();
};

class TicketStore {
 public:
  virtual ~TicketStore() = default;
  // ALREADY_EXISTS (reason IDEMPOTENCY_KEY_REUSED) when (user, key) exists; the caller reads it.
  [[nodiscard]] virtual absl::Status InsertTicket(const Ticket& ticket, const StatusChange& initial,
                                                  const std::optional<Message>& first,
                                                  const std::vector<NewAttachment>& attachments,
                                                  const std::string& idempotency_key) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<Ticket>> FindByIdempotencyKey(
      const std::string& user_id, const std::string& key) = 0;
  // NOT_FOUND (TICKET_NOT_FOUND).
  [[nodiscard]] virtual absl::StatusOr<TicketView> GetTicketView(const std::string& ticket_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<Ticket> GetTicket(const std::string& ticket_id) = 0;
  // Messages after the given one (all when empty), oldest first, at most `limit`.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Message>> MessagesAfter(
      const std::string& ticket_id, const std::string& after_message_id, int limit) = 0;
  // Writes `ticket` when the stored version is ticket.version - 1; ABORTED (TICKET_CHANGED) when
  // someone else changed it meanwhile.
  [[nodiscard]] virtual absl::Status UpdateTicket(const Ticket& ticket,
                                                  const TicketChange& change) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Ticket>> ListUserTickets(
      const std::string& user_id, const std::vector<Status>& statuses, int limit,
      int64_t offset) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Ticket>> ListQueue(const QueueQuery& query) = 0;
  [[nodiscard]] virtual absl::StatusOr<Attachment> GetAttachment(
      const std::string& attachment_id) = 0;

  [[nodiscard]] virtual absl::StatusOr<std::vector<FaqArticle>> ListFaqArticles() = 0;
  // Up to `limit` articles after (after_id, after_locale) in (article_id, locale) order, published
  // or not; `locale` empty: both languages.
  [[nodiscard]] virtual absl::StatusOr<std::vector<FaqArticle>> ListFaqArticlesAfter(
      const std::string& locale, const std::string& after_id, const std::string& after_locale,
      int limit) = 0;
  // Creates (version 1) or updates when the stored version equals article.version
  // (VERSION_CONFLICT otherwise). Returns the stored article.
  [[nodiscard]] virtual absl::StatusOr<FaqArticle> UpsertFaqArticle(const FaqArticle& article,
                                                                    bool create) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<TextModule>> ListTextModules(
      const std::string& locale, const std::string& query) = 0;
  [[nodiscard]] virtual absl::StatusOr<TextModule> UpsertTextModule(const TextModule& module) = 0;

  [[nodiscard]] virtual absl::Status LogQuestion(
      const std::string& question_id, const std::string& user_id, const std::string& question,
      const std::string& normalized, const std::string& source, const std::string& best_article_id,
      double confidence, absl::Time at) = 0;
  // Marks the user's Ask questions since `since` as followed by this ticket (not deflected).
  [[nodiscard]] virtual absl::Status LinkQuestionsToTicket(const std::string& user_id,
                                                           absl::Time since,
                                                           const std::string& ticket_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<TicketFacts>> TicketFactsBetween(
      absl::Time from, absl::Time to) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<QuestionFacts>> QuestionsBetween(
      absl::Time from, absl::Time to) = 0;

  [[nodiscard]] virtual absl::Status SetAvailability(const std::string& agent_id, bool online,
                                                     absl::Time now) = 0;
  // The online agent assigned least recently, marked as just assigned; "" when none is online.
  [[nodiscard]] virtual absl::StatusOr<std::string> PickRoundRobinAgent(absl::Time now) = 0;

  // Tickets (new, open or pending customer) whose first-response or resolution target passed
  // before `now` (a paused clock stands at the pause) and was not announced yet for that due time:
  // marks them announced and appends the outbox event "support.ticket.sla_breached" in the same
  // transaction, and returns them, at most `limit`. Concurrent callers (replicas) never get the
  // same ticket, target and due time twice.
  [[nodiscard]] virtual absl::StatusOr<std::vector<SlaBreach>> ClaimSlaBreaches(absl::Time now,
                                                                                int limit) = 0;
};

// Live chat and queue fan-out to every replica. Best effort: a lost event is re-read from storage
// by a reconnecting stream (after_message_id).
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  virtual void Publish(const TicketEvent& event) = 0;
};

// Who a user is, as far as support's messages need: the name they registered, and the language
// they use (a BCP 47 tag such as "zh-CN"; may be empty).
struct Person {
  std::string display_name;
  std::string locale;
};

// Display names of message authors and the language of customers (auth). Best effort: a failure
// leaves the name empty and the language English.
class Directory {
 public:
  virtual ~Directory() = default;
  // NOT_FOUND for an unknown user.
  [[nodiscard]] virtual absl::StatusOr<Person> Lookup(const std::string& user_id) = 0;
};

// What support needs to know about a payment (from the payments service).
struct PaymentInfo {
  std::string payment_id;
  std::string payer_user_id;
  std::string payee_owner_id;  // user or merchant id
  bool payee_is_merchant = false;
  Money amount;
  int64_t refunded_minor = 0;
  bool succeeded = false;
};

// Payments and ledger, as disputes use them. Implementations carry the caller's deadline.
class MoneyClient {
 public:
  virtual ~MoneyClient() = default;
  // NOT_FOUND (PAYMENT_NOT_FOUND) when unknown.
  [[nodiscard]] virtual absl::StatusOr<PaymentInfo> GetPayment(const std::string& payment_id) = 0;
  // Holds `amount` on the payee's account until the dispute is decided; returns the hold id.
  [[nodiscard]] virtual absl::StatusOr<std::string> CreateDisputeHold(
      const std::string& idempotency_key, const PaymentInfo& payment, const Money& amount,
      const std::string& ticket_id) = 0;
  [[nodiscard]] virtual absl::Status VoidHold(const std::string& idempotency_key,
                                              const std::string& hold_id,
                                              const std::string& reason) = 0;
  // Refunds through payments; returns the refund payment id.
  [[nodiscard]] virtual absl::StatusOr<std::string> Refund(const std::string& idempotency_key,
                                                           const std::string& payment_id,
                                                           const Money& amount,
                                                           const std::string& reason,
                                                           const std::string& ticket_id) = 0;
};

}  // namespace uwallet::support
