#pragma once
// The TicketStore on PostgreSQL (the service's own schema). Every ticket change is one
// transaction with its messages, attachments, status history, dispute, audit and outbox event.

#include <string>

#include "services/support/core/ports.h"
#include "uwallet/events/events.h"
#include "uwallet/pg/pg.h"

namespace uwallet::support {

class PgTicketStore final : public TicketStore {
 public:
  PgTicketStore(pg::Pool& pool, events::Outbox& outbox) : pool_(pool), outbox_(outbox) {}

  absl::Status InsertTicket(const Ticket& ticket, const StatusChange& initial,
                            const std::optional<Message>& first,
                            const std::vector<NewAttachment>& attachments,
                            const std::string& idempotency_key) override;
  absl::StatusOr<std::optional<Ticket>> FindByIdempotencyKey(const std::string& user_id,
                                                             const std::string& key) override;
  absl::StatusOr<TicketView> GetTicketView(const std::string& ticket_id) override;
  absl::StatusOr<Ticket> GetTicket(const std::string& ticket_id) override;
  absl::StatusOr<std::vector<Message>> MessagesAfter(const std::string& ticket_id,
                                                     const std::string& after_message_id,
                                                     int limit) override;
  absl::Status UpdateTicket(const Ticket& ticket, const TicketChange& change) override;
  absl::StatusOr<std::vector<Ticket>> ListUserTickets(const std::string& user_id,
                                                      const std::vector<Status>& statuses,
                                                      int limit, int64_t offset) override;
  absl::StatusOr<std::vector<Ticket>> ListQueue(const QueueQuery& query) override;
  absl::StatusOr<Attachment> GetAttachment(const std::string& attachment_id) override;
  absl::StatusOr<std::vector<FaqArticle>> ListFaqArticles() override;
  absl::StatusOr<std::vector<FaqArticle>> ListFaqArticlesAfter(const std::string& locale,
                                                               const std::string& after_id,
                                                               const std::string& after_locale,
                                                               int limit) override;
  absl::StatusOr<FaqArticle> UpsertFaqArticle(const FaqArticle& article, bool create) override;
  absl::StatusOr<std::vector<TextModule>> ListTextModules(const std::string& locale,
                                                          const std::string& query) override;
  absl::StatusOr<TextModule> UpsertTextModule(const TextModule& module) override;
  absl::Status LogQuestion(const std::string& question_id, const std::string& user_id,
                           const std::string& question, const std::string& normalized,
                           const std::string& source, const std::string& best_article_id,
                           double confidence, absl::Time at) override;
  absl::Status LinkQuestionsToTicket(const std::string& user_id, absl::Time since,
                                     const std::string& ticket_id) override;
  absl::StatusOr<std::vector<TicketFacts>> TicketFactsBetween(absl::Time from,
                                                              absl::Time to) override;
  absl::StatusOr<std::vector<QuestionFacts>> QuestionsBetween(absl::Time from,
                                                              absl::Time to) override;
  absl::Status SetAvailability(const std::string& agent_id, bool online, absl::Time now) override;
  absl::StatusOr<std::string> PickRoundRobinAgent(absl::Time now) override;
  absl::StatusOr<std::vector<SlaBreach>> ClaimSlaBreaches(absl::Time now, int limit) override;

 private:
  absl::Status InsertMessage(pg::Connection& tx, const Ticket& ticket, const Message& message,
                             const std::vector<NewAttachment>& attachments);
  absl::StatusOr<std::vector<Message>> LoadMessages(pg::Connection& conn,
                                                    const std::string& ticket_id, int64_t after_seq,
                                                    int limit);

  pg::Pool& pool_;
  events::Outbox& outbox_;
};

}  // namespace uwallet::support
