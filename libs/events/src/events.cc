#include "uwallet/events/events.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::events {
namespace {

constexpr char kOutboxSql[] = R"sql(
CREATE TABLE outbox (
  seq          bigserial PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  type         text NOT NULL,
  source       text NOT NULL,
  subject_id   text NOT NULL,
  payload      jsonb NOT NULL,
  occurred_at  timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE TABLE processed_events (
  consumer_group text NOT NULL,
  event_id       uuid NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
)sql";

std::string Field(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

void SleepFor(absl::Duration duration, const std::atomic<bool>& stop) {
  const absl::Time until = absl::Now() + duration;
  while (!stop.load() && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(
        50, std::max<int64_t>(1, absl::ToInt64Milliseconds(until - absl::Now())))));
  }
}

}  // namespace

pg::Migration OutboxMigration() { return {0, "outbox_and_processed_events", kOutboxSql}; }
std::vector<pg::Migration> OutboxAndInboxMigrations() { return {OutboxMigration()}; }

absl::StatusOr<std::string> Outbox::Append(pg::Connection& tx, absl::string_view type,
                                           absl::string_view subject_id,
                                           absl::string_view payload_json) {
  if (payload_json.size() > kPayloadBytesMax) {
    return absl::InvalidArgumentError("event payload too large");
  }
  std::string id = ids_.NewId();
  UW_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO outbox (event_id, type, source, subject_id, payload, occurred_at)"
              " VALUES ($1, $2, $3, $4, $5::jsonb, to_timestamp($6::double precision))",
              pg::P(id, type, source_, subject_id, payload_json,
                    std::to_string(absl::ToUnixMicros(clock_.Now()) / 1e6)))
          .status());
  return id;
}

absl::StatusOr<Outbox::BatchStatement> Outbox::PrepareBatch(const std::vector<NewEvent>& events) {
  BatchStatement statement;
  // The rows as one JSON array, the payloads spliced in as they are: no parse and re-serialise
  // per event.
  auto quoted = [](const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string rows = "[";
  for (const NewEvent& event : events) {
    if (event.payload_json.size() > kPayloadBytesMax) {
      return absl::InvalidArgumentError("event payload too large");
    }
    // Validated without building it (cheaper than a parse), so nothing can leak into the row.
    if (event.payload_json.empty() || event.payload_json.front() != '{' ||
        !nlohmann::json::accept(event.payload_json)) {
      return absl::InvalidArgumentError("event payload is not a JSON object");
    }
    statement.event_ids.push_back(ids_.NewId());
    absl::StrAppend(&rows, rows.size() > 1 ? "," : "", "{\"event_id\":\"",
                    statement.event_ids.back(), "\",\"type\":", quoted(event.type),
                    ",\"subject_id\":", quoted(event.subject_id),
                    ",\"payload\":", event.payload_json, "}");
  }
  rows += "]";
  statement.sql =
      "INSERT INTO outbox (event_id, type, source, subject_id, payload, occurred_at)"
      " SELECT e.event_id, e.type, $2, e.subject_id, e.payload,"
      " to_timestamp($3::double precision)"
      " FROM jsonb_to_recordset($1::jsonb)"
      " AS e(event_id uuid, type text, subject_id text, payload jsonb)";
  statement.params = pg::P(rows, source_, std::to_string(absl::ToUnixMicros(clock_.Now()) / 1e6));
  return statement;
}

absl::StatusOr<std::vector<std::string>> Outbox::AppendBatch(pg::Connection& tx,
                                                             const std::vector<NewEvent>& events) {
  if (events.empty()) return std::vector<std::string>();
  UW_ASSIGN_OR_RETURN(BatchStatement statement, PrepareBatch(events));
  UW_RETURN_IF_ERROR(tx.Exec(statement.sql, statement.params).status());
  return statement.event_ids;
}

absl::StatusOr<int> Relay::PublishBatch() {
  int published = 0;
  std::vector<std::pair<std::string, int64_t>> sent;  // type, occurred_at in µs
  UW_RETURN_IF_ERROR(pg_.Transact([&](pg::Connection& tx) -> absl::Status {
    published = 0;
    sent.clear();
    UW_ASSIGN_OR_RETURN(pg::Result rows,
                        tx.Exec("SELECT seq, event_id, type, source, subject_id, payload::text,"
                                " (extract(epoch from occurred_at) * 1000000)::bigint"
                                " FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1"
                                " FOR UPDATE SKIP LOCKED",
                                pg::P(kRelayBatchMax)));
    if (rows.Rows() == 0) return absl::OkStatus();
    std::vector<std::vector<std::string>> commands;
    const std::string stream = redis_.Key(kStream);
    for (int i = 0; i < rows.Rows(); ++i) {
      commands.push_back({"XADD", stream, "MAXLEN", "~", std::to_string(kStreamLengthMax), "*",
                          "id", rows.String(i, 1), "type", rows.String(i, 2), "source",
                          rows.String(i, 3), "subject", rows.String(i, 4), "payload",
                          rows.String(i, 5), "occurred_at_us", rows.String(i, 6)});
    }
    UW_ASSIGN_OR_RETURN(auto replies, redis_.Pipeline(std::move(commands)));
    for (const auto& reply : replies) UW_RETURN_IF_ERROR(reply.ToStatus());
    std::string seqs = "{";
    for (int i = 0; i < rows.Rows(); ++i)
      absl::StrAppend(&seqs, i > 0 ? "," : "", rows.String(i, 0));
    seqs += "}";
    UW_RETURN_IF_ERROR(
        tx.Exec("UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", pg::P(seqs))
            .status());
    published = rows.Rows();
    if (on_published_) {
      for (int i = 0; i < rows.Rows(); ++i) sent.emplace_back(rows.String(i, 2), rows.Int(i, 6));
    }
    return absl::OkStatus();
  }));
  if (on_published_) {
    const absl::Time now = absl::Now();
    for (const auto& [type, occurred_us] : sent) {
      on_published_(type, std::max(absl::ZeroDuration(), now - absl::FromUnixMicros(occurred_us)));
    }
  }
  return published;
}

void Relay::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      absl::StatusOr<int> published = PublishBatch();
      if (!published.ok()) {
        log::Warn("outbox relay failed; retrying", {{"error", published.status().ToString()}});
        SleepFor(absl::Seconds(1), stop_);
      } else if (*published < kRelayBatchMax) {
        SleepFor(poll_interval_, stop_);
      }
    }
  });
}

void Relay::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

namespace {

// Runs the DELETE `sql` (its last parameter, after `params`, is a row limit) in chunks of
// kPruneChunk rows until a chunk comes back short or `*deleted` reaches `max_rows`.
constexpr int64_t kPruneChunk = 5000;
absl::Status DeleteInChunks(pg::Pool& pg, const std::string& sql, const pg::Params& params,
                            int64_t max_rows, int64_t* deleted) {
  while (*deleted < max_rows) {
    pg::Params chunk = params;
    chunk.push_back(std::to_string(std::min(kPruneChunk, max_rows - *deleted)));
    UW_ASSIGN_OR_RETURN(pg::Result result, pg.Exec(sql, chunk));
    *deleted += result.Affected();
    if (result.Affected() < kPruneChunk) break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OutboxPruner::Pruned> OutboxPruner::Prune(absl::Time now, int64_t max_rows) {
  Pruned pruned;
  if (keep_ <= absl::ZeroDuration()) return pruned;
  // The head of the outbox in seq order, cut at its first row that must stay: the index on seq
  // finds it at once, however long the outbox has grown.
  UW_RETURN_IF_ERROR(DeleteInChunks(
      pg_,
      "WITH head AS (SELECT seq, occurred_at, published_at FROM outbox ORDER BY seq LIMIT $2),"
      " keep AS (SELECT coalesce(min(seq), 9223372036854775807) AS seq FROM head"
      " WHERE published_at IS NULL OR occurred_at >= to_timestamp($1::double precision))"
      " DELETE FROM outbox o USING head h, keep k WHERE o.seq = h.seq AND h.seq < k.seq",
      pg::P(std::to_string(absl::ToUnixMicros(now - keep_) / 1e6)), max_rows, &pruned.events));
  // Markers by their event's time, which is in the id (event ids are UUIDv7: the first 48 bits
  // are the milliseconds), so each group's markers are deleted by a range of its primary key
  // instead of a scan of the whole table. The groups come from a loose index scan of that key.
  UW_ASSIGN_OR_RETURN(
      pg::Result groups,
      pg_.Exec("WITH RECURSIVE g(name) AS (SELECT min(consumer_group) FROM processed_events"
               " UNION ALL SELECT (SELECT min(consumer_group) FROM processed_events"
               " WHERE consumer_group > g.name) FROM g WHERE g.name IS NOT NULL)"
               " SELECT name FROM g WHERE name IS NOT NULL"));
  const std::string first_kept_id = UuidV7Floor(now - keep_ - absl::Hours(24));
  for (int i = 0; i < groups.Rows(); ++i) {
    UW_RETURN_IF_ERROR(
        DeleteInChunks(pg_,
                       "DELETE FROM processed_events WHERE consumer_group = $1 AND event_id IN ("
                       "SELECT event_id FROM processed_events WHERE consumer_group = $1"
                       " AND event_id < $2::uuid ORDER BY event_id LIMIT $3)",
                       pg::P(groups.String(i, 0), first_kept_id), max_rows, &pruned.markers));
  }
  return pruned;
}

void OutboxPruner::Start() {
  if (keep_ <= absl::ZeroDuration()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    // The first pass a minute after start (restarts do not all prune at once), then every interval.
    SleepFor(std::min(absl::Minutes(1), every_), stop_);
    while (!stop_.load()) {
      absl::StatusOr<Pruned> pruned = Prune(absl::Now());
      if (on_pass_) on_pass_(pruned);
      if (!pruned.ok()) {
        log::Warn("outbox pruning failed; trying again later",
                  {{"error", pruned.status().ToString()}});
      } else if (pruned->events > 0 || pruned->markers > 0) {
        log::Info("outbox pruned", {{"events", std::to_string(pruned->events)},
                                    {"markers", std::to_string(pruned->markers)}});
      }
      SleepFor(every_, stop_);
    }
  });
}

void OutboxPruner::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<Event> EventFromFields(const redis::FieldValues& fields) {
  std::map<std::string, std::string> map(fields.begin(), fields.end());
  Event event;
  event.id = Field(map, "id");
  event.type = Field(map, "type");
  event.source = Field(map, "source");
  event.subject_id = Field(map, "subject");
  event.payload = Field(map, "payload");
  int64_t micros = 0;
  if (!absl::SimpleAtoi(Field(map, "occurred_at_us"), &micros)) micros = 0;
  event.occurred_at = absl::FromUnixMicros(micros);
  if (event.id.empty() || event.type.empty()) {
    return absl::InvalidArgumentError("stream entry is not an event (no id or type)");
  }
  return event;
}

absl::Status Consumer::Init() {
  return redis_.XGroupCreate(redis_.Key(kStream), options_.group, /*start_id=*/"0");
}

absl::Status Consumer::HandleEntry(const redis::StreamEntry& entry, int* handled) {
  const std::string stream = redis_.Key(kStream);
  redis::FieldValues fields(entry.fields.begin(), entry.fields.end());
  absl::StatusOr<Event> event = EventFromFields(fields);
  if (!event.ok()) {
    log::Warn("dropping malformed stream entry", {{"entry", entry.id}});
    return redis_.XAck(stream, options_.group, {entry.id}).status();
  }
  const bool wanted =
      options_.types.empty() ||
      std::find(options_.types.begin(), options_.types.end(), event->type) != options_.types.end();
  const std::string done_key =
      redis_.Key(absl::StrCat("events:done:", options_.group, ":", event->id));
  if (wanted) {
    UW_ASSIGN_OR_RETURN(redis::Reply seen, redis_.Command({"EXISTS", done_key}));
    if (seen.IsInteger() && seen.integer() == 0) {
      absl::Status status = handler_(*event);
      if (!status.ok()) {
        // Not acknowledged: it stays pending and is retried after reclaim_idle.
        log::Warn("event handler failed; will retry",
                  {{"event", event->id}, {"type", event->type}, {"error", status.ToString()}});
        return absl::OkStatus();
      }
      UW_RETURN_IF_ERROR(
          redis_
              .Command({"SET", done_key, "1", "PX",
                        std::to_string(absl::ToInt64Milliseconds(options_.dedupe_ttl))})
              .status());
      ++*handled;
    }
  }
  return redis_.XAck(stream, options_.group, {entry.id}).status();
}

absl::StatusOr<int> Consumer::PollOnce() {
  const std::string stream = redis_.Key(kStream);
  int handled = 0;
  UW_ASSIGN_OR_RETURN(redis::AutoClaimResult claimed,
                      redis_.XAutoClaim(stream, options_.group, options_.consumer,
                                        options_.reclaim_idle, options_.batch));
  for (const auto& entry : claimed.entries) UW_RETURN_IF_ERROR(HandleEntry(entry, &handled));
  UW_ASSIGN_OR_RETURN(auto entries, redis_.XReadGroup(options_.group, options_.consumer, stream,
                                                      options_.batch, options_.block));
  for (const auto& entry : entries) UW_RETURN_IF_ERROR(HandleEntry(entry, &handled));
  return handled;
}

void Consumer::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    bool initialised = false;
    while (!stop_.load()) {
      if (!initialised) {
        absl::Status status = Init();
        if (!status.ok()) {
          log::Warn("event consumer cannot create its group; retrying",
                    {{"error", status.ToString()}});
          SleepFor(absl::Seconds(1), stop_);
          continue;
        }
        initialised = true;
      }
      absl::StatusOr<int> handled = PollOnce();
      if (!handled.ok()) {
        log::Warn("event consumer poll failed; retrying", {{"error", handled.status().ToString()}});
        if (absl::IsNotFound(handled.status()) || ReasonOf(handled.status()) == "NOGROUP") {
          initialised = false;
        }
        SleepFor(absl::Seconds(1), stop_);
      }
    }
  });
}

void Consumer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<bool> MarkProcessedInTx(pg::Connection& tx, absl::string_view group,
                                       absl::string_view event_id) {
  UW_ASSIGN_OR_RETURN(pg::Result result,
                      tx.Exec("INSERT INTO processed_events (consumer_group, event_id)"
                              " VALUES ($1, $2) ON CONFLICT DO NOTHING",
                              pg::P(group, event_id)));
  return result.Affected() == 1;
}

}  // namespace uwallet::events
