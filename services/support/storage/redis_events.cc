#include "services/support/storage/redis_events.h"

#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::support {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

int64_t Us(absl::Time t) {
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  if (t == absl::InfinitePast()) return INT64_MIN;
  return absl::ToUnixMicros(t);
}
absl::Time FromUs(int64_t us) {
  if (us == INT64_MAX) return absl::InfiniteFuture();
  if (us == INT64_MIN) return absl::InfinitePast();
  return absl::FromUnixMicros(us);
}
nlohmann::json OptUs(const std::optional<absl::Time>& t) {
  return t ? nlohmann::json(Us(*t)) : nlohmann::json(nullptr);
}
std::optional<absl::Time> OptFromUs(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return FromUs(j.get<int64_t>());
}

nlohmann::json TicketJson(const Ticket& t) {
  nlohmann::json j = {{"id", t.ticket_id},
                      {"user", t.user_id},
                      {"category", static_cast<int>(t.category)},
                      {"channel", static_cast<int>(t.channel)},
                      {"subject", t.subject},
                      {"status", static_cast<int>(t.status)},
                      {"priority", static_cast<int>(t.priority)},
                      {"assignee", t.assignee_id},
                      {"payment", t.payment_id},
                      {"created", Us(t.created_at)},
                      {"updated", Us(t.updated_at)},
                      {"fr_due", Us(t.first_response_due_at)},
                      {"res_due", Us(t.resolution_due_at)},
                      {"fr_at", OptUs(t.first_responded_at)},
                      {"resolved", OptUs(t.resolved_at)},
                      {"closed", OptUs(t.closed_at)},
                      {"reopen_until", OptUs(t.reopen_until)},
                      {"rating", t.rating_score},
                      {"attachments", t.attachment_count},
                      {"version", t.version},
                      {"breached", t.sla_breached}};
  return j;
}

Ticket TicketFromJson(const nlohmann::json& j) {
  Ticket t;
  t.ticket_id = j.at("id").get<std::string>();
  t.user_id = j.at("user").get<std::string>();
  t.category = static_cast<Category>(j.at("category").get<int>());
  t.channel = static_cast<Channel>(j.at("channel").get<int>());
  t.subject = j.at("subject").get<std::string>();
  t.status = static_cast<Status>(j.at("status").get<int>());
  t.priority = static_cast<Priority>(j.at("priority").get<int>());
  t.assignee_id = j.at("assignee").get<std::string>();
  t.payment_id = j.at("payment").get<std::string>();
  t.created_at = FromUs(j.at("created").get<int64_t>());
  t.updated_at = FromUs(j.at("updated").get<int64_t>());
  t.first_response_due_at = FromUs(j.at("fr_due").get<int64_t>());
  t.resolution_due_at = FromUs(j.at("res_due").get<int64_t>());
  t.first_responded_at = OptFromUs(j.at("fr_at"));
  t.resolved_at = OptFromUs(j.at("resolved"));
  t.closed_at = OptFromUs(j.at("closed"));
  t.reopen_until = OptFromUs(j.at("reopen_until"));
  t.rating_score = j.at("rating").get<int>();
  t.attachment_count = j.at("attachments").get<int>();
  t.version = j.at("version").get<int64_t>();
  t.sla_breached = j.at("breached").get<bool>();
  return t;
}

}  // namespace

std::string EncodeEvent(const TicketEvent& e) {
  nlohmann::json j = {{"kind", static_cast<int>(e.kind)},
                      {"at", Us(e.occurred_at)},
                      {"ticket", TicketJson(e.ticket)}};
  if (e.message) {
    const Message& m = *e.message;
    j["message"] = {{"id", m.message_id},    {"author_kind", static_cast<int>(m.author_kind)},
                    {"author", m.author_id}, {"author_name", m.author_display_name},
                    {"body", m.body},        {"internal", m.internal_note},
                    {"at", Us(m.created_at)}};
  }
  if (e.status_change) {
    const StatusChange& s = *e.status_change;
    j["status_change"] = {{"from", static_cast<int>(s.from)},
                          {"to", static_cast<int>(s.to)},
                          {"at", Us(s.changed_at)},
                          {"actor", s.actor_id},
                          {"note", s.note}};
  }
  return j.dump();
}

absl::StatusOr<TicketEvent> DecodeEvent(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    TicketEvent e;
    e.kind = static_cast<EventKind>(j.at("kind").get<int>());
    e.occurred_at = FromUs(j.at("at").get<int64_t>());
    e.ticket = TicketFromJson(j.at("ticket"));
    if (j.contains("message")) {
      const nlohmann::json& m = j.at("message");
      Message message;
      message.message_id = m.at("id").get<std::string>();
      message.ticket_id = e.ticket.ticket_id;
      message.author_kind = static_cast<AuthorKind>(m.at("author_kind").get<int>());
      message.author_id = m.at("author").get<std::string>();
      message.author_display_name = m.at("author_name").get<std::string>();
      message.body = m.at("body").get<std::string>();
      message.internal_note = m.at("internal").get<bool>();
      message.created_at = FromUs(m.at("at").get<int64_t>());
      e.message = message;
    }
    if (j.contains("status_change")) {
      const nlohmann::json& s = j.at("status_change");
      e.status_change = StatusChange{.from = static_cast<Status>(s.at("from").get<int>()),
                                     .to = static_cast<Status>(s.at("to").get<int>()),
                                     .changed_at = FromUs(s.at("at").get<int64_t>()),
                                     .actor_id = s.at("actor").get<std::string>(),
                                     .note = s.at("note").get<std::string>()};
    }
    return e;
  } catch (const std::exception& ex) {
    return absl::InvalidArgumentError(std::string("bad ticket event: ") + ex.what());
  }
}

void RedisEventPublisher::Publish(const TicketEvent& event) {
  absl::StatusOr<int64_t> published = pool_.Publish(pool_.Key(kEventsChannel), EncodeEvent(event));
  if (!published.ok()) {
    // The change is committed; live streams resume from storage on reconnect.
    log::Warn("ticket event not published", {{"error", published.status().ToString()}});
  }
}

std::optional<TicketEvent> Watch::Next(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                    [&] { return closed_ || !events_.empty(); });
  if (events_.empty()) return std::nullopt;
  TicketEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

bool Watch::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

bool Watch::overflowed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return overflowed_;
}

void Watch::Push(const TicketEvent& event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (events_.size() >= kWatchQueueMax) {
      overflowed_ = true;
      closed_ = true;
    } else {
      events_.push_back(event);
    }
  }
  changed_.notify_all();
}

void Watch::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

EventHub::EventHub(redis::PoolOptions options, int streams_max)
    : options_(std::move(options)), streams_max_(streams_max) {}

EventHub::~EventHub() { Stop(); }

absl::Status EventHub::Start() {
  UW_ASSIGN_OR_RETURN(subscriber_, redis::Subscriber::Create(options_));
  absl::Status subscribed = subscriber_->Subscribe({subscriber_->Key(kEventsChannel)});
  if (!subscribed.ok()) {
    log::Warn("live chat subscription pending", {{"error", subscribed.ToString()}});
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void EventHub::Stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [ticket, watch] : watches_) watch->Close();
  watches_.clear();
}

absl::StatusOr<std::shared_ptr<Watch>> EventHub::Register(const std::string& ticket_id) {
  if (stopping_.load()) return absl::UnavailableError("server is shutting down");
  std::lock_guard<std::mutex> lock(mutex_);
  if (static_cast<int>(watches_.size()) >= streams_max_) {
    return WithReason(absl::StatusCode::kResourceExhausted, "TOO_MANY_STREAMS",
                      "too many live streams on this server; retry shortly");
  }
  auto watch = std::make_shared<Watch>(ticket_id);
  watches_.emplace(ticket_id, watch);
  return watch;
}

void EventHub::Unregister(const std::shared_ptr<Watch>& watch) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [begin, end] = watches_.equal_range(watch->ticket_id());
  for (auto it = begin; it != end; ++it) {
    if (it->second == watch) {
      watches_.erase(it);
      break;
    }
  }
}

int EventHub::active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(watches_.size());
}

void EventHub::Dispatch(const TicketEvent& event) {
  std::vector<std::shared_ptr<Watch>> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = watches_.equal_range(event.ticket.ticket_id);
    for (auto it = begin; it != end; ++it) targets.push_back(it->second);
    auto [qbegin, qend] = watches_.equal_range("");
    for (auto it = qbegin; it != qend; ++it) targets.push_back(it->second);
  }
  for (const auto& watch : targets) watch->Push(event);
}

void EventHub::Loop() {
  int64_t reconnects_seen = 0;
  while (!stopping_.load()) {
    absl::StatusOr<redis::Message> message = subscriber_->Next(kPollInterval);
    if (subscriber_->reconnects() != reconnects_seen) {
      // Events may have been lost while disconnected: end the streams so clients resume from
      // storage (after_message_id).
      reconnects_seen = subscriber_->reconnects();
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [ticket, watch] : watches_) watch->Close();
    }
    if (!message.ok()) continue;  // timeout or Redis down (Next backs off)
    absl::StatusOr<TicketEvent> event = DecodeEvent(message->payload);
    if (!event.ok()) {
      log::Warn("bad ticket event", {{"error", event.status().ToString()}});
      continue;
    }
    Dispatch(*event);
  }
}

}  // namespace uwallet::support
