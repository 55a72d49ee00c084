#pragma once
// In-memory fakes of the ports, for unit tests of the desk.

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "services/support/core/ports.h"
#include "uwallet/common/status.h"

namespace uwallet::support::fakes {

class FakeStore final : public TicketStore {
 public:
  absl::Status InsertTicket(const Ticket& ticket, const StatusChange& initial,
                            const std::optional<Message>& first, const std::vector<NewAttachment>&,
                            const std::string& idempotency_key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idempotency_key.empty()) {
      auto key = std::make_pair(ticket.user_id, idempotency_key);
      if (keys_.count(key) > 0) return absl::AlreadyExistsError("key");
      keys_[key] = ticket.ticket_id;
    }
    views_[ticket.ticket_id] = TicketView{.ticket = ticket};
    views_[ticket.ticket_id].history.push_back(initial);
    if (first) views_[ticket.ticket_id].messages.push_back(*first);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<Ticket>> FindByIdempotencyKey(const std::string& user_id,
                                                             const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = keys_.find({user_id, key});
    if (it == keys_.end()) return std::optional<Ticket>();
    return std::optional<Ticket>(views_[it->second].ticket);
  }
  absl::StatusOr<TicketView> GetTicketView(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = views_.find(id);
    if (it == views_.end()) return absl::NotFoundError("no ticket");
    return it->second;
  }
  absl::StatusOr<Ticket> GetTicket(const std::string& id) override {
    UW_ASSIGN_OR_RETURN(TicketView view, GetTicketView(id));
    return view.ticket;
  }
  absl::StatusOr<std::vector<Message>> MessagesAfter(const std::string& id,
                                                     const std::string& after, int) override {
    UW_ASSIGN_OR_RETURN(TicketView view, GetTicketView(id));
    std::vector<Message> out;
    bool found = after.empty();
    for (const Message& m : view.messages) {
      if (found) out.push_back(m);
      if (m.message_id == after) found = true;
    }
    return out;
  }
  absl::Status UpdateTicket(const Ticket& ticket, const TicketChange& change) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TicketView& view = views_[ticket.ticket_id];
    if (view.ticket.version != ticket.version - 1) return absl::AbortedError("changed");
    view.ticket = ticket;
    if (change.status_change) view.history.push_back(*change.status_change);
    if (change.message) view.messages.push_back(*change.message);
    if (!change.event_type.empty()) outbox.push_back(change.event_type);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Ticket>> ListUserTickets(const std::string& user_id,
                                                      const std::vector<Status>&, int,
                                                      int64_t) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Ticket> out;
    for (const auto& [id, view] : views_) {
      if (view.ticket.user_id == user_id) out.push_back(view.ticket);
    }
    return out;
  }
  absl::StatusOr<std::vector<Ticket>> ListQueue(const QueueQuery&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Ticket> out;
    for (const auto& [id, view] : views_) out.push_back(view.ticket);
    return out;
  }
  absl::StatusOr<Attachment> GetAttachment(const std::string&) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<std::vector<FaqArticle>> ListFaqArticles() override { return faq; }
  absl::StatusOr<std::vector<FaqArticle>> ListFaqArticlesAfter(const std::string& locale,
                                                               const std::string& after_id,
                                                               const std::string& after_locale,
                                                               int limit) override {
    std::vector<FaqArticle> sorted = faq;
    std::sort(sorted.begin(), sorted.end(), [](const FaqArticle& a, const FaqArticle& b) {
      return std::tie(a.article_id, a.locale) < std::tie(b.article_id, b.locale);
    });
    std::vector<FaqArticle> out;
    for (const FaqArticle& a : sorted) {
      if (!locale.empty() && a.locale != locale) continue;
      if (std::tie(a.article_id, a.locale) <= std::tie(after_id, after_locale)) continue;
      if (static_cast<int>(out.size()) == limit) break;
      out.push_back(a);
    }
    return out;
  }
  absl::StatusOr<FaqArticle> UpsertFaqArticle(const FaqArticle& a, bool) override { return a; }
  absl::StatusOr<std::vector<TextModule>> ListTextModules(const std::string&,
                                                          const std::string&) override {
    return std::vector<TextModule>{};
  }
  absl::StatusOr<TextModule> UpsertTextModule(const TextModule& m) override { return m; }
  absl::Status LogQuestion(const std::string&, const std::string&, const std::string& question,
                           const std::string&, const std::string&, const std::string&, double,
                           absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    questions.push_back(question);
    return absl::OkStatus();
  }
  absl::Status LinkQuestionsToTicket(const std::string&, absl::Time, const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<TicketFacts>> TicketFactsBetween(absl::Time, absl::Time) override {
    return std::vector<TicketFacts>{};
  }
  absl::StatusOr<std::vector<QuestionFacts>> QuestionsBetween(absl::Time, absl::Time) override {
    return std::vector<QuestionFacts>{};
  }
  absl::Status SetAvailability(const std::string& agent, bool online, absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    online_[agent] = online;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> PickRoundRobinAgent(absl::Time) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> online;
    for (const auto& [agent, is_online] : online_) {
      if (is_online) online.push_back(agent);
    }
    if (online.empty()) return std::string();
    return online[next_++ % online.size()];
  }
  absl::StatusOr<std::vector<SlaBreach>> ClaimSlaBreaches(absl::Time now, int limit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<SlaBreach> out;
    for (auto& [id, view] : views_) {
      const Ticket& t = view.ticket;
      if (t.status != Status::kNew && t.status != Status::kOpen &&
          t.status != Status::kPendingCustomer) {
        continue;
      }
      const absl::Time effective = t.sla_paused_at ? *t.sla_paused_at : now;
      auto claim = [&](SlaTarget target, absl::Time due, bool done) {
        if (done || due >= effective || static_cast<int>(out.size()) >= limit) return;
        auto key = std::make_pair(id, static_cast<int>(target));
        auto it = notified_.find(key);
        if (it != notified_.end() && it->second == due) return;
        notified_[key] = due;
        outbox.push_back("support.ticket.sla_breached");
        out.push_back({.ticket = t, .target = target, .due_at = due});
      };
      claim(SlaTarget::kFirstResponse, t.first_response_due_at, t.first_responded_at.has_value());
      claim(SlaTarget::kResolution, t.resolution_due_at, t.resolved_at.has_value());
    }
    return out;
  }

  std::vector<FaqArticle> faq;
  std::vector<std::string> outbox;
  std::vector<std::string> questions;

 private:
  std::mutex mutex_;
  std::map<std::string, TicketView> views_;
  std::map<std::pair<std::string, std::string>, std::string> keys_;
  std::map<std::string, bool> online_;
  std::map<std::pair<std::string, int>, absl::Time> notified_;
  size_t next_ = 0;
};

class FakeDirectory final : public Directory {
 public:
  absl::StatusOr<Person> Lookup(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++lookups;
    auto it = names.find(user_id);
    if (it == names.end()) return absl::NotFoundError("no such user");
    auto locale = locales.find(user_id);
    return Person{.display_name = it->second,
                  .locale = locale == locales.end() ? "" : locale->second};
  }
  std::map<std::string, std::string> names;
  std::map<std::string, std::string> locales;  // absent: no locale (English)
  int lookups = 0;

 private:
  std::mutex mutex_;
};

class FakePublisher final : public EventPublisher {
 public:
  void Publish(const TicketEvent& event) override {
    std::lock_guard<std::mutex> lock(mutex_);
    events.push_back(event);
  }
  std::vector<TicketEvent> events;

 private:
  std::mutex mutex_;
};

class FakeMoney final : public MoneyClient {
 public:
  absl::StatusOr<PaymentInfo> GetPayment(const std::string& id) override {
    auto it = payments.find(id);
    if (it == payments.end()) return absl::NotFoundError("no payment");
    return it->second;
  }
  absl::StatusOr<std::string> CreateDisputeHold(const std::string& key, const PaymentInfo&,
                                                const Money& amount, const std::string&) override {
    holds[key] = amount.amount_minor;
    return "hold-" + key;
  }
  absl::Status VoidHold(const std::string&, const std::string& hold_id,
                        const std::string&) override {
    voided.push_back(hold_id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Refund(const std::string& key, const std::string&,
                                     const Money& amount, const std::string&,
                                     const std::string&) override {
    if (refund_error.ok()) refunds[key] = amount.amount_minor;
    if (!refund_error.ok()) return refund_error;
    return "refund-" + key;
  }
  std::map<std::string, PaymentInfo> payments;
  std::map<std::string, int64_t> holds;
  std::vector<std::string> voided;
  std::map<std::string, int64_t> refunds;
  absl::Status refund_error = absl::OkStatus();
};

}  // namespace uwallet::support::fakes
