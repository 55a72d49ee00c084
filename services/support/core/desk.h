#pragma once
// The support desk: every use case of the three gRPC services, on top of the ports. Handlers in
// grpc/ only map and call these.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/support/core/faq.h"
#include "services/support/core/ports.h"
#include "services/support/core/rules.h"
#include "services/support/core/sla.h"
#include "uwallet/common/clock.h"
#include "uwallet/common/ids.h"

namespace uwallet::support {

inline constexpr size_t kSubjectBytesMax = 200;
inline constexpr size_t kBodyBytesMax = 20'000;
inline constexpr int kPageSizeMax = 100;
inline constexpr int kFaqListPageMax = 50;  // articles in full: 50 × kBodyBytesMax at most
inline constexpr int kUpdateAttemptsMax = 4;
inline constexpr absl::Duration kFaqRefreshInterval = absl::Seconds(30);
// Ask questions this long before a ticket count as "not deflected" by it.
inline constexpr absl::Duration kDeflectionWindow = absl::Minutes(30);
// Breaches claimed per sweeper step (one transaction).
inline constexpr int kSlaSweepBatchMax = 100;

// Author display names are cached this long per author, at most this many authors.
inline constexpr absl::Duration kAuthorNameTtl = absl::Minutes(10);
inline constexpr absl::Duration kAuthorNameFailureTtl = absl::Seconds(30);
inline constexpr size_t kAuthorNamesMax = 10'000;

struct DeskOptions {
  SlaPolicy sla = SlaPolicy::Default();
  absl::Duration reopen_window = kReopenWindowDefault;
  // Fills author_display_name of new messages (customers: their name; staff: the first word of
  // theirs). Null: names stay empty.
  Directory* directory = nullptr;
};

// Author names looked up once per author and kept for kAuthorNameTtl (failures for
// kAuthorNameFailureTtl, so a down auth service is not asked on every message). Thread-safe; the
// lookup runs outside the lock.
class AuthorNames {
 public:
  AuthorNames(Directory* directory, const Clock& clock) : directory_(directory), clock_(clock) {}
  // The display name; "" when unknown.
  [[nodiscard]] std::string Get(const std::string& user_id) { return Find(user_id).display_name; }
  // The language the user chose at auth (e.g. "zh-CN"); "" when unknown.
  [[nodiscard]] std::string Locale(const std::string& user_id) { return Find(user_id).locale; }

 private:
  struct Entry {
    Person person;
    absl::Time expires_at;
  };
  [[nodiscard]] Person Find(const std::string& user_id);
  Directory* directory_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> cache_;  // guarded by mutex_
};

struct NewTicketInput {
  Category category = Category::kOther;
  Channel channel = Channel::kApp;
  std::string subject;
  std::string body;
  std::string payment_id;
  std::vector<NewAttachment> attachments;
  std::string idempotency_key;
};

struct CreatedTicket {
  Ticket ticket;
  std::vector<FaqHit> suggestions;
};

struct SystemTicketInput {
  std::string idempotency_key;
  std::string user_id;
  Category category = Category::kSecurity;
  Priority priority = Priority::kUrgent;
  std::string subject;
  std::string body;
  std::string payment_id;
  std::string case_id;
};

struct DisputeInput {
  std::string idempotency_key;
  std::string payment_id;
  DisputeReason reason = DisputeReason::kNotReceived;
  std::string description;
  std::vector<NewAttachment> evidence;
  std::optional<Money> amount;
};

struct ResolveInput {
  std::string idempotency_key;
  std::string ticket_id;
  DisputeDecision decision = DisputeDecision::kNone;
  std::optional<Money> amount;
  std::string note;
};

struct AssignInput {
  std::string ticket_id;
  std::string assignee_id;  // empty and !auto_assign: the caller claims it
  bool auto_assign = false;
};

struct FaqArticlesPage {
  std::vector<FaqArticle> articles;
  std::string next_page_token;  // empty on the last page
};

struct AskResult {
  AskAnswer answer;
  std::string question_id;
};

struct SupportStats {
  int64_t ticket_count = 0;
  std::vector<std::pair<Category, int64_t>> by_category;
  std::vector<std::pair<Channel, int64_t>> by_channel;
  double first_response_met_ratio = 0;
  double resolution_met_ratio = 0;
  double csat_average = 0;
  int64_t csat_count = 0;
  double deflection_ratio = 0;
  struct Question {
    std::string question;
    int64_t count = 0;
    std::string article_id;
  };
  std::vector<Question> top_questions;
  int64_t median_first_response_s = 0;
};

// Pure stats math (tested on its own).
[[nodiscard]] SupportStats ComputeStats(const std::vector<TicketFacts>& tickets,
                                        const std::vector<QuestionFacts>& questions,
                                        int top_questions_max);

// A part of the customer 360 fetched in parallel: `fetch` gets its own deadline.
struct FanOutPart {
  std::string name;
  std::function<absl::Status(absl::Time deadline)> fetch;
};
struct FailedPart {
  std::string name;
  absl::Status status;
};
// Runs every part at once on its own thread, each given min(deadline, now + per_part) to pass to
// its call; returns the failed parts. Each `fetch` must honour its deadline (all outgoing RPCs do),
// so the whole fan-out takes about the slowest bounded part.
[[nodiscard]] std::vector<FailedPart> FanOut(const std::vector<FanOutPart>& parts,
                                             absl::Time deadline, absl::Duration per_part,
                                             const Clock& clock);

class SupportDesk {
 public:
  SupportDesk(TicketStore& store, EventPublisher& events, const Clock& clock, IdGenerator& ids,
              DeskOptions options);

  // Customers.
  [[nodiscard]] absl::StatusOr<CreatedTicket> CreateTicket(const Caller& caller,
                                                           NewTicketInput input);
  [[nodiscard]] absl::StatusOr<std::vector<Ticket>> ListMyTickets(
      const Caller& caller, const std::vector<Status>& statuses, int page_size, int64_t offset);
  // Any caller: filtered for them (customers never get internal notes).
  [[nodiscard]] absl::StatusOr<TicketView> GetTicket(const Caller& caller,
                                                     const std::string& ticket_id);
  [[nodiscard]] absl::StatusOr<Message> PostMessage(const Caller& caller,
                                                    const std::string& ticket_id,
                                                    const std::string& body,
                                                    std::vector<NewAttachment> attachments);
  [[nodiscard]] absl::StatusOr<Ticket> CloseTicket(const Caller& caller,
                                                   const std::string& ticket_id);
  [[nodiscard]] absl::StatusOr<Ticket> ReopenTicket(const Caller& caller,
                                                    const std::string& ticket_id,
                                                    const std::string& reason);
  [[nodiscard]] absl::StatusOr<Ticket> RateTicket(const Caller& caller,
                                                  const std::string& ticket_id, int score,
                                                  const std::string& comment);
  [[nodiscard]] absl::StatusOr<Attachment> GetAttachment(const Caller& caller,
                                                         const std::string& attachment_id);
  [[nodiscard]] absl::StatusOr<Ticket> OpenDispute(const Caller& caller, MoneyClient& money,
                                                   DisputeInput input);
  // Messages after `after_message_id` the caller may see (live chat resume).
  [[nodiscard]] absl::StatusOr<std::vector<Message>> MessagesAfter(
      const Caller& caller, const std::string& ticket_id, const std::string& after_message_id);

  // FAQ.
  [[nodiscard]] absl::StatusOr<std::vector<FaqHit>> SearchFaq(const std::string& query,
                                                              const std::string& locale,
                                                              int page_size);
  [[nodiscard]] absl::StatusOr<FaqArticle> GetFaqArticle(const std::string& article_id,
                                                         const std::string& locale);
  [[nodiscard]] absl::StatusOr<AskResult> Ask(const Caller& caller, const std::string& question,
                                              const std::string& locale);
  [[nodiscard]] absl::StatusOr<FaqArticle> UpsertFaqArticle(const Caller& caller,
                                                            FaqArticle article);
  // Every article, published or not (staff only), a page at a time.
  [[nodiscard]] absl::StatusOr<FaqArticlesPage> ListFaqArticles(const Caller& caller,
                                                                const std::string& locale,
                                                                int page_size,
                                                                const std::string& page_token);

  // Agents.
  [[nodiscard]] absl::StatusOr<std::vector<Ticket>> ListQueue(const Caller& caller,
                                                              QueueQuery query);
  [[nodiscard]] absl::StatusOr<Ticket> AssignTicket(const Caller& caller, const AssignInput& input);
  [[nodiscard]] absl::StatusOr<Message> Reply(const Caller& caller, const std::string& ticket_id,
                                              const std::string& body, bool internal_note,
                                              std::vector<NewAttachment> attachments,
                                              const std::string& text_module_id);
  [[nodiscard]] absl::StatusOr<Ticket> SetStatus(const Caller& caller, const std::string& ticket_id,
                                                 Status status, const std::string& note);
  [[nodiscard]] absl::Status SetAvailability(const Caller& caller, bool online);
  [[nodiscard]] absl::StatusOr<Ticket> ResolveDispute(const Caller& caller, MoneyClient& money,
                                                      const ResolveInput& input);
  [[nodiscard]] absl::StatusOr<std::vector<TextModule>> ListTextModules(const Caller& caller,
                                                                        const std::string& locale,
                                                                        const std::string& query);
  [[nodiscard]] absl::StatusOr<TextModule> UpsertTextModule(const Caller& caller,
                                                            TextModule module);
  [[nodiscard]] absl::StatusOr<SupportStats> GetStats(const Caller& caller, absl::Time from,
                                                      absl::Time to);
  [[nodiscard]] absl::StatusOr<std::vector<Ticket>> RecentTicketsOf(const Caller& caller,
                                                                    const std::string& user_id);

  // Services.
  [[nodiscard]] absl::StatusOr<Ticket> OpenSystemTicket(const Caller& caller,
                                                        const SystemTicketInput& input);

  // The SLA breach sweeper's step: claims breaches not announced yet (at most `limit`) and
  // publishes QUEUE_EVENT_KIND_SLA_BREACHED for each (the store wrote the outbox event). Returns
  // how many were announced. Safe to run on every replica at once.
  [[nodiscard]] absl::StatusOr<int> SweepSlaBreaches(int limit);

  // Fills the computed sla_breached flag.
  void Decorate(Ticket& ticket) const;
  [[nodiscard]] const SlaPolicy& sla() const { return options_.sla; }

 private:
  using Mutation = std::function<absl::Status(Ticket&, TicketChange&)>;
  // Load, apply, store with the version check; retried when another writer won the race.
  [[nodiscard]] absl::StatusOr<Ticket> Mutate(const Caller& caller, const std::string& ticket_id,
                                              const Mutation& mutation, EventKind kind,
                                              TicketChange* committed = nullptr);
  [[nodiscard]] absl::Status ApplyStatus(Ticket& ticket, TicketChange& change, Status to,
                                         const std::string& actor, const std::string& note,
                                         absl::Time now) const;
  [[nodiscard]] absl::StatusOr<Ticket> Insert(const Caller& caller, Ticket ticket,
                                              std::optional<Message> first,
                                              std::vector<NewAttachment> attachments,
                                              const std::string& idempotency_key);
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const FaqIndex>> Index();
  void InvalidateIndex();
  void PublishChange(EventKind kind, const Ticket& ticket, const TicketChange& change);
  [[nodiscard]] Message NewMessage(const Ticket& ticket, AuthorKind kind, const std::string& author,
                                   const std::string& body, absl::Time now);

  TicketStore& store_;
  EventPublisher& events_;
  const Clock& clock_;
  IdGenerator& ids_;
  DeskOptions options_;
  std::mutex index_mutex_;
  std::shared_ptr<const FaqIndex> index_;  // guarded by index_mutex_
  AuthorNames names_;
  absl::Time index_loaded_at_ = absl::InfinitePast();
};

}  // namespace uwallet::support
