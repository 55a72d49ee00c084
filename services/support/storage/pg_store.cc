#include "services/support/storage/pg_store.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "uwallet/common/status.h"
#include "uwallet/crypto/encoding.h"

namespace uwallet::support {
namespace {

// Timestamps travel as integer microseconds since the epoch, exactly.
std::string Micros(absl::Time t) { return std::to_string(absl::ToUnixMicros(t)); }
pg::Param OptMicros(const std::optional<absl::Time>& t) {
  if (!t) return std::nullopt;
  return Micros(*t);
}
constexpr char kTs[] = "('epoch'::timestamptz + ($%d::bigint) * interval '1 microsecond')";
std::string Ts(int index) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), kTs, index);
  return buffer;
}
std::string ReadMicros(absl::string_view column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}
absl::Time TimeAt(const pg::Result& r, int row, int column) {
  return absl::FromUnixMicros(r.Int(row, column));
}
std::optional<absl::Time> OptTimeAt(const pg::Result& r, int row, int column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return TimeAt(r, row, column);
}

const std::string& TicketColumns() {
  static const std::string* columns = new std::string(absl::StrJoin(
      {std::string("t.ticket_id"), std::string("t.user_id"), std::string("t.category"),
       std::string("t.channel"), std::string("t.subject"), std::string("t.status"),
       std::string("t.priority"), std::string("t.assignee_id"), std::string("t.payment_id"),
       std::string("t.case_id"), ReadMicros("t.created_at"), ReadMicros("t.updated_at"),
       ReadMicros("t.first_response_due_at"), ReadMicros("t.resolution_due_at"),
       ReadMicros("t.first_responded_at"), ReadMicros("t.resolved_at"), ReadMicros("t.closed_at"),
       ReadMicros("t.sla_paused_at"), std::string("t.sla_paused_s"), ReadMicros("t.reopen_until"),
       std::string("t.rating_score"), std::string("t.rating_comment"),
       std::string("t.attachment_count"), std::string("t.version"),
       // dispute (LEFT JOIN d): 24..
       std::string("d.dispute_id"), std::string("d.payment_id"), std::string("d.reason"),
       std::string("d.status"), std::string("d.amount_minor"), std::string("d.currency"),
       std::string("d.hold_id"), std::string("d.decision"), std::string("d.refunded_minor"),
       std::string("d.refund_payment_id"), ReadMicros("d.opened_at"), ReadMicros("d.resolved_at")},
      ", "));
  return *columns;
}
constexpr char kTicketFrom[] = " FROM tickets t LEFT JOIN disputes d ON d.ticket_id = t.ticket_id ";

Ticket TicketAt(const pg::Result& r, int row) {
  Ticket t;
  t.ticket_id = r.String(row, 0);
  t.user_id = r.String(row, 1);
  t.category = static_cast<Category>(r.Int(row, 2));
  t.channel = static_cast<Channel>(r.Int(row, 3));
  t.subject = r.String(row, 4);
  t.status = static_cast<Status>(r.Int(row, 5));
  t.priority = static_cast<Priority>(r.Int(row, 6));
  t.assignee_id = r.String(row, 7);
  t.payment_id = r.String(row, 8);
  t.case_id = r.String(row, 9);
  t.created_at = TimeAt(r, row, 10);
  t.updated_at = TimeAt(r, row, 11);
  t.first_response_due_at = TimeAt(r, row, 12);
  t.resolution_due_at = TimeAt(r, row, 13);
  t.first_responded_at = OptTimeAt(r, row, 14);
  t.resolved_at = OptTimeAt(r, row, 15);
  t.closed_at = OptTimeAt(r, row, 16);
  t.sla_paused_at = OptTimeAt(r, row, 17);
  t.sla_paused_s = r.Int(row, 18);
  t.reopen_until = OptTimeAt(r, row, 19);
  t.rating_score = static_cast<int>(r.Int(row, 20));
  t.rating_comment = r.String(row, 21);
  t.attachment_count = static_cast<int>(r.Int(row, 22));
  t.version = r.Int(row, 23);
  if (!r.IsNull(row, 24)) {
    Dispute d;
    d.dispute_id = r.String(row, 24);
    d.payment_id = r.String(row, 25);
    d.reason = static_cast<DisputeReason>(r.Int(row, 26));
    d.status = static_cast<DisputeStatus>(r.Int(row, 27));
    d.amount.amount_minor = r.Int(row, 28);
    d.amount.currency = r.String(row, 29);
    d.hold_id = r.String(row, 30);
    d.decision = static_cast<DisputeDecision>(r.Int(row, 31));
    d.refunded_minor = r.Int(row, 32);
    d.refund_payment_id = r.String(row, 33);
    d.opened_at = TimeAt(r, row, 34);
    d.resolved_at = OptTimeAt(r, row, 35);
    t.dispute = d;
  }
  return t;
}

std::string FarFuture(absl::Time t) {
  // InfiniteFuture (no working time within the bound) is stored as 'infinity'-like far future.
  return t == absl::InfiniteFuture()
             ? Micros(absl::FromCivil(absl::CivilDay(9999, 1, 1), absl::UTCTimeZone()))
             : Micros(t);
}

std::string StatusList(const std::vector<Status>& statuses) {
  std::vector<std::string> values;
  for (Status s : statuses) values.push_back(std::to_string(static_cast<int>(s)));
  return "{" + absl::StrJoin(values, ",") + "}";
}

template <typename E>
std::string EnumList(const std::vector<E>& items) {
  std::vector<std::string> values;
  for (E e : items) values.push_back(std::to_string(static_cast<int>(e)));
  return "{" + absl::StrJoin(values, ",") + "}";
}

std::string TextArray(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) {
    std::string escaped;
    for (char c : item) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(c);
    }
    quoted.push_back("\"" + escaped + "\"");
  }
  return "{" + absl::StrJoin(quoted, ",") + "}";
}

absl::Status NotFound() {
  return WithReason(absl::StatusCode::kNotFound, "TICKET_NOT_FOUND", "no such ticket");
}

}  // namespace

absl::Status PgTicketStore::InsertMessage(pg::Connection& tx, const Ticket& ticket,
                                          const Message& m,
                                          const std::vector<NewAttachment>& attachments) {
  UW_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO ticket_messages (message_id, ticket_id, user_id, author_kind, "
              "author_id, author_display_name, body, internal_note, text_module_id, created_at) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, " +
                  Ts(10) + ")",
              pg::P(m.message_id, ticket.ticket_id, ticket.user_id, static_cast<int>(m.author_kind),
                    m.author_id, m.author_display_name, m.body, m.internal_note, m.text_module_id,
                    Micros(m.created_at)))
          .status());
  int index = 0;
  for (const NewAttachment& a : attachments) {
    UW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO attachments (attachment_id, ticket_id, message_id, user_id, "
                "file_name, content_type, size_bytes, content, created_at) VALUES "
                "($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), " +
                    Ts(9) + ")",
                pg::P(absl::StrCat(m.message_id, "-a", index++), ticket.ticket_id, m.message_id,
                      ticket.user_id, a.file_name, a.content_type,
                      static_cast<int64_t>(a.content.size()), crypto::HexEncode(a.content),
                      Micros(m.created_at)))
            .status());
  }
  return absl::OkStatus();
}

absl::Status PgTicketStore::InsertTicket(const Ticket& t, const StatusChange& initial,
                                         const std::optional<Message>& first,
                                         const std::vector<NewAttachment>& attachments,
                                         const std::string& idempotency_key) {
  absl::Status status = pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_RETURN_IF_ERROR(
        tx.Exec(
              "INSERT INTO tickets (ticket_id, user_id, category, channel, subject, status, "
              "priority, assignee_id, payment_id, case_id, created_at, updated_at, "
              "first_response_due_at, resolution_due_at, attachment_count, version, "
              "idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, " +
                  Ts(11) + ", " + Ts(11) + ", " + Ts(12) + ", " + Ts(13) +
                  ", $14, $15, NULLIF($16, ''))",
              pg::P(t.ticket_id, t.user_id, static_cast<int>(t.category),
                    static_cast<int>(t.channel), t.subject, static_cast<int>(t.status),
                    static_cast<int>(t.priority), t.assignee_id, t.payment_id, t.case_id,
                    Micros(t.created_at), FarFuture(t.first_response_due_at),
                    FarFuture(t.resolution_due_at), t.attachment_count, t.version, idempotency_key))
            .status());
    UW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO ticket_status_changes (ticket_id, from_status, to_status, "
                "changed_at, actor_id, note) VALUES ($1, $2, $3, " +
                    Ts(4) + ", $5, $6)",
                pg::P(t.ticket_id, static_cast<int>(initial.from), static_cast<int>(initial.to),
                      Micros(initial.changed_at), initial.actor_id, initial.note))
            .status());
    if (t.dispute) {
      const Dispute& d = *t.dispute;
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO disputes (dispute_id, ticket_id, user_id, payment_id, reason, "
                  "status, amount_minor, currency, hold_id, opened_at) VALUES "
                  "($1, $2, $3, $4, $5, $6, $7, $8, $9, " +
                      Ts(10) + ")",
                  pg::P(d.dispute_id, t.ticket_id, t.user_id, d.payment_id,
                        static_cast<int>(d.reason), static_cast<int>(d.status),
                        d.amount.amount_minor, d.amount.currency, d.hold_id, Micros(d.opened_at)))
              .status());
    }
    if (first) UW_RETURN_IF_ERROR(InsertMessage(tx, t, *first, attachments));
    nlohmann::json payload = {{"ticket_id", t.ticket_id},
                              {"user_id", t.user_id},
                              {"category", static_cast<int>(t.category)},
                              {"priority", static_cast<int>(t.priority)},
                              {"subject", t.subject}};
    return outbox_
        .Append(tx, t.dispute ? "support.dispute.opened" : "support.ticket.opened", t.user_id,
                payload.dump())
        .status();
  });
  if (absl::IsAlreadyExists(status)) {
    if (pg::ConstraintOf(status) == "disputes_open_per_payment") {
      return WithReason(absl::StatusCode::kAlreadyExists, "DISPUTE_ALREADY_OPEN",
                        "this payment already has an open dispute");
    }
    return WithReason(absl::StatusCode::kAlreadyExists, "IDEMPOTENCY_KEY_REUSED",
                      "a ticket with this idempotency key exists");
  }
  return status;
}

absl::StatusOr<std::optional<Ticket>> PgTicketStore::FindByIdempotencyKey(
    const std::string& user_id, const std::string& key) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT " + TicketColumns() + kTicketFrom +
                                     "WHERE t.user_id = $1 AND t.idempotency_key = $2",
                                 pg::P(user_id, key)));
  if (r.Rows() == 0) return std::optional<Ticket>();
  return std::optional<Ticket>(TicketAt(r, 0));
}

absl::StatusOr<Ticket> PgTicketStore::GetTicket(const std::string& ticket_id) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r, pool_.Exec("SELECT " + TicketColumns() + kTicketFrom + "WHERE t.ticket_id = $1",
                               pg::P(ticket_id)));
  if (r.Rows() == 0) return NotFound();
  return TicketAt(r, 0);
}

absl::StatusOr<std::vector<Message>> PgTicketStore::LoadMessages(pg::Connection& conn,
                                                                 const std::string& ticket_id,
                                                                 int64_t after_seq, int limit) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("SELECT message_id, author_kind, author_id, author_display_name, body, "
                "internal_note, text_module_id, " +
                    ReadMicros("created_at") +
                    " FROM ticket_messages WHERE ticket_id = $1 AND seq > $2 "
                    "ORDER BY seq LIMIT $3",
                pg::P(ticket_id, after_seq, limit)));
  std::vector<Message> messages;
  std::map<std::string, size_t> by_id;
  for (int i = 0; i < r.Rows(); ++i) {
    Message m;
    m.message_id = r.String(i, 0);
    m.ticket_id = ticket_id;
    m.author_kind = static_cast<AuthorKind>(r.Int(i, 1));
    m.author_id = r.String(i, 2);
    m.author_display_name = r.String(i, 3);
    m.body = r.String(i, 4);
    m.internal_note = r.Bool(i, 5);
    m.text_module_id = r.String(i, 6);
    m.created_at = TimeAt(r, i, 7);
    by_id[m.message_id] = messages.size();
    messages.push_back(std::move(m));
  }
  UW_ASSIGN_OR_RETURN(
      pg::Result a,
      conn.Exec("SELECT attachment_id, message_id, file_name, content_type, size_bytes, " +
                    ReadMicros("created_at") +
                    " FROM attachments WHERE ticket_id = $1 ORDER BY attachment_id",
                pg::P(ticket_id)));
  for (int i = 0; i < a.Rows(); ++i) {
    auto it = by_id.find(a.String(i, 1));
    if (it == by_id.end()) continue;
    AttachmentMeta meta;
    meta.attachment_id = a.String(i, 0);
    meta.message_id = a.String(i, 1);
    meta.ticket_id = ticket_id;
    meta.file_name = a.String(i, 2);
    meta.content_type = a.String(i, 3);
    meta.size_bytes = a.Int(i, 4);
    meta.created_at = TimeAt(a, i, 5);
    messages[it->second].attachments.push_back(std::move(meta));
  }
  return messages;
}

absl::StatusOr<TicketView> PgTicketStore::GetTicketView(const std::string& ticket_id) {
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  TicketView view;
  UW_ASSIGN_OR_RETURN(
      pg::Result r, conn->Exec("SELECT " + TicketColumns() + kTicketFrom + "WHERE t.ticket_id = $1",
                               pg::P(ticket_id)));
  if (r.Rows() == 0) return NotFound();
  view.ticket = TicketAt(r, 0);
  UW_ASSIGN_OR_RETURN(view.messages, LoadMessages(*conn, ticket_id, 0, 10'000));
  UW_ASSIGN_OR_RETURN(
      pg::Result h,
      conn->Exec("SELECT from_status, to_status, " + ReadMicros("changed_at") +
                     ", actor_id, note FROM ticket_status_changes WHERE ticket_id = $1 "
                     "ORDER BY seq",
                 pg::P(ticket_id)));
  for (int i = 0; i < h.Rows(); ++i) {
    view.history.push_back({.from = static_cast<Status>(h.Int(i, 0)),
                            .to = static_cast<Status>(h.Int(i, 1)),
                            .changed_at = TimeAt(h, i, 2),
                            .actor_id = h.String(i, 3),
                            .note = h.String(i, 4)});
  }
  return view;
}

absl::StatusOr<std::vector<Message>> PgTicketStore::MessagesAfter(
    const std::string& ticket_id, const std::string& after_message_id, int limit) {
  UW_ASSIGN_OR_RETURN(pg::Pool::Lease conn, pool_.Acquire());
  int64_t after_seq = 0;
  if (!after_message_id.empty()) {
    UW_ASSIGN_OR_RETURN(pg::Result r,
                        conn->Exec("SELECT seq FROM ticket_messages WHERE ticket_id = $1 AND "
                                   "message_id = $2",
                                   pg::P(ticket_id, after_message_id)));
    if (r.Rows() == 0) {
      return WithReason(absl::StatusCode::kInvalidArgument, "UNKNOWN_MESSAGE",
                        "after_message_id is not a message of this ticket");
    }
    after_seq = r.Int(0, 0);
  }
  return LoadMessages(*conn, ticket_id, after_seq, limit);
}

absl::Status PgTicketStore::UpdateTicket(const Ticket& t, const TicketChange& change) {
  return pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        tx.Exec("UPDATE tickets SET status = $2, priority = $3, assignee_id = $4, "
                "updated_at = " +
                    Ts(5) + ", first_response_due_at = " + Ts(6) + ", resolution_due_at = " +
                    Ts(7) + ", first_responded_at = " + Ts(8) + ", resolved_at = " + Ts(9) +
                    ", closed_at = " + Ts(10) + ", sla_paused_at = " + Ts(11) +
                    ", sla_paused_s = $12, reopen_until = " + Ts(13) +
                    ", rating_score = $14, rating_comment = $15, attachment_count = $16, "
                    "version = $17, rated_at = CASE WHEN $14::smallint > 0 AND rated_at IS NULL "
                    "THEN " +
                    Ts(5) + " ELSE rated_at END WHERE ticket_id = $1 AND version = $17 - 1",
                pg::P(t.ticket_id, static_cast<int>(t.status), static_cast<int>(t.priority),
                      t.assignee_id, Micros(t.updated_at), FarFuture(t.first_response_due_at),
                      FarFuture(t.resolution_due_at), OptMicros(t.first_responded_at),
                      OptMicros(t.resolved_at), OptMicros(t.closed_at), OptMicros(t.sla_paused_at),
                      t.sla_paused_s, OptMicros(t.reopen_until), t.rating_score, t.rating_comment,
                      t.attachment_count, t.version)));
    if (r.Affected() != 1) {
      return WithReason(absl::StatusCode::kAborted, "TICKET_CHANGED",
                        "the ticket changed meanwhile; try again");
    }
    if (change.status_change) {
      const StatusChange& s = *change.status_change;
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO ticket_status_changes (ticket_id, from_status, to_status, "
                  "changed_at, actor_id, note) VALUES ($1, $2, $3, " +
                      Ts(4) + ", $5, $6)",
                  pg::P(t.ticket_id, static_cast<int>(s.from), static_cast<int>(s.to),
                        Micros(s.changed_at), s.actor_id, s.note))
              .status());
    }
    if (change.message)
      UW_RETURN_IF_ERROR(InsertMessage(tx, t, *change.message, change.attachments));
    if (change.dispute_changed && t.dispute) {
      const Dispute& d = *t.dispute;
      UW_RETURN_IF_ERROR(
          tx.Exec("UPDATE disputes SET status = $2, decision = $3, refunded_minor = $4, "
                  "refund_payment_id = $5, resolved_at = " +
                      Ts(6) + ", decision_note = $7, decided_by = $8 WHERE dispute_id = $1",
                  pg::P(d.dispute_id, static_cast<int>(d.status), static_cast<int>(d.decision),
                        d.refunded_minor, d.refund_payment_id, OptMicros(d.resolved_at),
                        change.audit_detail, change.actor_id))
              .status());
    }
    if (!change.audit_action.empty() && t.dispute) {
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO dispute_audit (dispute_id, actor_id, action, detail, at) VALUES "
                  "($1, $2, $3, $4, " +
                      Ts(5) + ")",
                  pg::P(t.dispute->dispute_id, change.actor_id, change.audit_action,
                        change.audit_detail, Micros(t.updated_at)))
              .status());
    }
    if (!change.event_type.empty()) {
      nlohmann::json payload = {{"ticket_id", t.ticket_id},
                                {"user_id", t.user_id},
                                {"status", static_cast<int>(t.status)}};
      if (change.message && !change.message->internal_note) {
        payload["message_id"] = change.message->message_id;
      }
      UW_RETURN_IF_ERROR(outbox_.Append(tx, change.event_type, t.user_id, payload.dump()).status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Ticket>> PgTicketStore::ListUserTickets(
    const std::string& user_id, const std::vector<Status>& statuses, int limit, int64_t offset) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT " + TicketColumns() + kTicketFrom +
                     "WHERE t.user_id = $1 AND (cardinality($2::smallint[]) = 0 OR "
                     "t.status = ANY($2::smallint[])) ORDER BY t.updated_at DESC, t.ticket_id "
                     "LIMIT $3 OFFSET $4",
                 pg::P(user_id, StatusList(statuses), limit, offset)));
  std::vector<Ticket> tickets;
  for (int i = 0; i < r.Rows(); ++i) tickets.push_back(TicketAt(r, i));
  return tickets;
}

absl::StatusOr<std::vector<Ticket>> PgTicketStore::ListQueue(const QueueQuery& q) {
  // Default queue: everything not closed. SLA breached: a due time before now that was not met
  // (paused tickets are checked exactly in core).
  std::vector<Status> statuses = q.statuses;
  if (statuses.empty()) {
    statuses = {Status::kNew, Status::kOpen, Status::kPendingCustomer, Status::kResolved};
  }
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec(
          "SELECT " + TicketColumns() + kTicketFrom +
              "WHERE t.status = ANY($1::smallint[]) "
              "AND (cardinality($2::smallint[]) = 0 OR t.category = ANY($2::smallint[])) "
              "AND (cardinality($3::smallint[]) = 0 OR t.priority = ANY($3::smallint[])) "
              "AND ($4 = '' OR t.assignee_id = $4) AND (NOT $5 OR t.assignee_id = '') "
              "AND (NOT $6 OR (t.first_responded_at IS NULL AND t.first_response_due_at < " +
              Ts(7) + ") OR (t.first_responded_at > t.first_response_due_at) OR " +
              "(COALESCE(t.resolved_at, " + Ts(7) +
              ") > t.resolution_due_at)) "
              "ORDER BY LEAST(CASE WHEN t.first_responded_at IS NULL THEN "
              "t.first_response_due_at END, t.resolution_due_at), t.ticket_id "
              "LIMIT $8 OFFSET $9",
          pg::P(StatusList(statuses), EnumList(q.categories), EnumList(q.priorities), q.assignee_id,
                q.unassigned_only, q.sla_breached_only, Micros(q.now), q.page_size, q.offset)));
  std::vector<Ticket> tickets;
  for (int i = 0; i < r.Rows(); ++i) tickets.push_back(TicketAt(r, i));
  return tickets;
}

absl::StatusOr<Attachment> PgTicketStore::GetAttachment(const std::string& attachment_id) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT attachment_id, ticket_id, message_id, user_id, file_name, content_type, "
                 "size_bytes, " +
                     ReadMicros("created_at") +
                     ", encode(content, 'hex') FROM attachments WHERE attachment_id = $1",
                 pg::P(attachment_id)));
  if (r.Rows() == 0) {
    return WithReason(absl::StatusCode::kNotFound, "ATTACHMENT_NOT_FOUND", "no such attachment");
  }
  Attachment a;
  a.meta.attachment_id = r.String(0, 0);
  a.meta.ticket_id = r.String(0, 1);
  a.meta.message_id = r.String(0, 2);
  a.meta.user_id = r.String(0, 3);
  a.meta.file_name = r.String(0, 4);
  a.meta.content_type = r.String(0, 5);
  a.meta.size_bytes = r.Int(0, 6);
  a.meta.created_at = TimeAt(r, 0, 7);
  UW_ASSIGN_OR_RETURN(a.content, crypto::HexDecode(r.String(0, 8)));
  return a;
}

namespace {

const std::string& FaqColumns() {
  static const std::string* columns = new std::string(
      "article_id, locale, title, body, array_to_json(tags)::text, category, version, " +
      ReadMicros("updated_at") + ", published");
  return *columns;
}

std::vector<FaqArticle> FaqArticlesOf(const pg::Result& r) {
  std::vector<FaqArticle> articles;
  for (int i = 0; i < r.Rows(); ++i) {
    FaqArticle a;
    a.article_id = r.String(i, 0);
    a.locale = r.String(i, 1);
    a.title = r.String(i, 2);
    a.body = r.String(i, 3);
    nlohmann::json tags = nlohmann::json::parse(r.String(i, 4), nullptr, false);
    if (tags.is_array()) {
      for (const auto& tag : tags) {
        if (tag.is_string()) a.tags.push_back(tag.get<std::string>());
      }
    }
    a.category = static_cast<Category>(r.Int(i, 5));
    a.version = r.Int(i, 6);
    a.updated_at = TimeAt(r, i, 7);
    a.published = r.Bool(i, 8);
    articles.push_back(std::move(a));
  }
  return articles;
}

}  // namespace

absl::StatusOr<std::vector<FaqArticle>> PgTicketStore::ListFaqArticles() {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT " + FaqColumns() +
                                 " FROM faq_articles ORDER BY article_id, locale LIMIT 5000"));
  return FaqArticlesOf(r);
}

absl::StatusOr<std::vector<FaqArticle>> PgTicketStore::ListFaqArticlesAfter(
    const std::string& locale, const std::string& after_id, const std::string& after_locale,
    int limit) {
  UW_ASSIGN_OR_RETURN(pg::Result r,
                      pool_.Exec("SELECT " + FaqColumns() +
                                     " FROM faq_articles WHERE ($1 = '' OR locale = $1)"
                                     " AND (article_id, locale) > ($2, $3)"
                                     " ORDER BY article_id, locale LIMIT $4",
                                 pg::P(locale, after_id, after_locale, limit)));
  return FaqArticlesOf(r);
}

absl::StatusOr<FaqArticle> PgTicketStore::UpsertFaqArticle(const FaqArticle& a, bool create) {
  pg::Result r;
  if (create) {
    UW_ASSIGN_OR_RETURN(
        r, pool_.Exec("INSERT INTO faq_articles (article_id, locale, title, body, tags, category, "
                      "version, published, updated_at) VALUES ($1, $2, $3, $4, $5::text[], $6, "
                      "1, $7, " +
                          Ts(8) + ") RETURNING version",
                      pg::P(a.article_id, a.locale, a.title, a.body, TextArray(a.tags),
                            static_cast<int>(a.category), a.published, Micros(a.updated_at))));
  } else {
    // An existing article in a new language is created; an existing translation needs the version.
    UW_ASSIGN_OR_RETURN(
        r, pool_.Exec(
               "INSERT INTO faq_articles AS f (article_id, locale, title, body, tags, "
               "category, version, published, updated_at) VALUES ($1, $2, $3, $4, "
               "$5::text[], $6, 1, $7, " +
                   Ts(8) +
                   ") ON CONFLICT (article_id, locale) DO UPDATE SET title = "
                   "EXCLUDED.title, body = EXCLUDED.body, tags = EXCLUDED.tags, category = "
                   "EXCLUDED.category, published = EXCLUDED.published, updated_at = "
                   "EXCLUDED.updated_at, version = f.version + 1 WHERE f.version = $9 "
                   "RETURNING version",
               pg::P(a.article_id, a.locale, a.title, a.body, TextArray(a.tags),
                     static_cast<int>(a.category), a.published, Micros(a.updated_at), a.version)));
  }
  if (r.Rows() == 0) {
    return WithReason(absl::StatusCode::kAborted, "VERSION_CONFLICT",
                      "the article was edited meanwhile; reload it and edit again");
  }
  FaqArticle stored = a;
  stored.version = r.Int(0, 0);
  return stored;
}

absl::StatusOr<std::vector<TextModule>> PgTicketStore::ListTextModules(const std::string& locale,
                                                                       const std::string& query) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT text_module_id, name, shortcut, locale, body, " +
                     ReadMicros("updated_at") +
                     " FROM text_modules WHERE ($1 = '' OR locale = $1) AND ($2 = '' OR "
                     "strpos(lower(name), lower($2)) > 0 OR strpos(shortcut, $2) > 0) "
                     "ORDER BY name LIMIT 200",
                 pg::P(locale, query)));
  std::vector<TextModule> modules;
  for (int i = 0; i < r.Rows(); ++i) {
    modules.push_back({.text_module_id = r.String(i, 0),
                       .name = r.String(i, 1),
                       .shortcut = r.String(i, 2),
                       .locale = r.String(i, 3),
                       .body = r.String(i, 4),
                       .updated_at = TimeAt(r, i, 5)});
  }
  return modules;
}

absl::StatusOr<TextModule> PgTicketStore::UpsertTextModule(const TextModule& m) {
  UW_RETURN_IF_ERROR(
      pool_
          .Exec("INSERT INTO text_modules (text_module_id, name, shortcut, locale, body, "
                "updated_at) VALUES ($1, $2, $3, $4, $5, " +
                    Ts(6) +
                    ") ON CONFLICT (text_module_id) DO UPDATE SET name = EXCLUDED.name, "
                    "shortcut = EXCLUDED.shortcut, locale = EXCLUDED.locale, body = "
                    "EXCLUDED.body, updated_at = EXCLUDED.updated_at",
                pg::P(m.text_module_id, m.name, m.shortcut, m.locale, m.body, Micros(m.updated_at)))
          .status());
  return m;
}

absl::Status PgTicketStore::LogQuestion(const std::string& question_id, const std::string& user_id,
                                        const std::string& question, const std::string& normalized,
                                        const std::string& source,
                                        const std::string& best_article_id, double confidence,
                                        absl::Time at) {
  return pool_
      .Exec(
          "INSERT INTO question_log (question_id, user_id, question, normalized, source, "
          "best_article_id, confidence, asked_at) VALUES ($1, $2, $3, $4, $5, $6, "
          "$7::double precision, " +
              Ts(8) + ")",
          pg::P(question_id, user_id, question, normalized, source, best_article_id,
                absl::StrCat(confidence), Micros(at)))
      .status();
}

absl::Status PgTicketStore::LinkQuestionsToTicket(const std::string& user_id, absl::Time since,
                                                  const std::string& ticket_id) {
  if (user_id.empty()) return absl::OkStatus();
  return pool_
      .Exec(
          "UPDATE question_log SET ticket_id = $3 WHERE user_id = $1 AND source = 'ask' AND "
          "ticket_id = '' AND asked_at >= " +
              Ts(2),
          pg::P(user_id, Micros(since), ticket_id))
      .status();
}

absl::StatusOr<std::vector<TicketFacts>> PgTicketStore::TicketFactsBetween(absl::Time from,
                                                                           absl::Time to) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT category, channel, first_responded_at IS NOT NULL, "
                 "COALESCE(first_responded_at <= first_response_due_at, false), "
                 "resolved_at IS NOT NULL, COALESCE(resolved_at <= resolution_due_at, false), "
                 "COALESCE(extract(epoch from first_responded_at - created_at)::bigint, -1), "
                 "rating_score FROM tickets WHERE created_at >= " +
                     Ts(1) + " AND created_at < " + Ts(2) + " LIMIT $3",
                 pg::P(Micros(from), Micros(to), kStatsRowsMax)));
  std::vector<TicketFacts> facts;
  for (int i = 0; i < r.Rows(); ++i) {
    TicketFacts f;
    f.category = static_cast<Category>(r.Int(i, 0));
    f.channel = static_cast<Channel>(r.Int(i, 1));
    if (r.Bool(i, 2)) f.first_response_met = r.Bool(i, 3);
    if (r.Bool(i, 4)) f.resolution_met = r.Bool(i, 5);
    if (r.Int(i, 6) >= 0) f.first_response_s = r.Int(i, 6);
    f.rating_score = static_cast<int>(r.Int(i, 7));
    facts.push_back(f);
  }
  return facts;
}

absl::StatusOr<std::vector<QuestionFacts>> PgTicketStore::QuestionsBetween(absl::Time from,
                                                                           absl::Time to) {
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("SELECT question, normalized, best_article_id, source = 'ask', ticket_id <> '' "
                 "FROM question_log WHERE asked_at >= " +
                     Ts(1) + " AND asked_at < " + Ts(2) + " LIMIT $3",
                 pg::P(Micros(from), Micros(to), kStatsRowsMax)));
  std::vector<QuestionFacts> facts;
  for (int i = 0; i < r.Rows(); ++i) {
    facts.push_back({.question = r.String(i, 0),
                     .normalized = r.String(i, 1),
                     .best_article_id = r.String(i, 2),
                     .from_ask = r.Bool(i, 3),
                     .followed_by_ticket = r.Bool(i, 4)});
  }
  return facts;
}

absl::Status PgTicketStore::SetAvailability(const std::string& agent_id, bool online,
                                            absl::Time now) {
  return pool_
      .Exec("INSERT INTO agent_availability (agent_id, online, updated_at) VALUES ($1, $2, " +
                Ts(3) +
                ") ON CONFLICT (agent_id) DO UPDATE SET online = EXCLUDED.online, updated_at = "
                "EXCLUDED.updated_at",
            pg::P(agent_id, online, Micros(now)))
      .status();
}

absl::StatusOr<std::string> PgTicketStore::PickRoundRobinAgent(absl::Time now) {
  // SKIP LOCKED: two replicas assigning at once pick different agents.
  UW_ASSIGN_OR_RETURN(
      pg::Result r,
      pool_.Exec("UPDATE agent_availability SET last_assigned_at = " + Ts(1) +
                     " WHERE agent_id = (SELECT agent_id FROM agent_availability WHERE online "
                     "ORDER BY last_assigned_at, agent_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                     "RETURNING agent_id",
                 pg::P(Micros(now))));
  if (r.Rows() == 0) return std::string();
  return r.String(0, 0);
}

absl::StatusOr<std::vector<SlaBreach>> PgTicketStore::ClaimSlaBreaches(absl::Time now, int limit) {
  // One statement per target: pick due tickets not announced for this due time, locking them
  // (SKIP LOCKED: another replica's sweeper takes the next ones), and record the announced due
  // time. A replica that read a row before another committed its claim re-checks the row's new
  // version under FOR UPDATE (read committed), finds it announced and leaves it. The clock of a
  // paused ticket stands at the pause, as in SlaPolicy::Breached.
  struct Target {
    SlaTarget target;
    const char* due;
    const char* done;
    const char* notified;
    const char* name;
  };
  static constexpr Target kTargets[] = {
      {SlaTarget::kFirstResponse, "first_response_due_at", "first_responded_at",
       "first_response_breach_notified_due_at", "first_response"},
      {SlaTarget::kResolution, "resolution_due_at", "resolved_at",
       "resolution_breach_notified_due_at", "resolution"},
  };
  std::vector<SlaBreach> breaches;
  absl::Status status = pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    breaches.clear();  // the body may run again after a serialization failure
    for (const Target& target : kTargets) {
      const int left = limit - static_cast<int>(breaches.size());
      if (left <= 0) break;
      UW_ASSIGN_OR_RETURN(
          pg::Result claimed,
          tx.Exec(
              absl::StrCat("WITH due AS (SELECT ticket_id FROM tickets WHERE status IN (1, 2, "
                           "3) AND ",
                           target.done, " IS NULL AND ", target.due, " < COALESCE(sla_paused_at, ",
                           Ts(1), ") AND ", target.notified, " IS DISTINCT FROM ", target.due,
                           " ORDER BY ", target.due,
                           ", ticket_id LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE tickets t SET ",
                           target.notified, " = t.", target.due,
                           " FROM due WHERE t.ticket_id = due.ticket_id RETURNING t.ticket_id, ",
                           ReadMicros(absl::StrCat("t.", target.due))),
              pg::P(Micros(now), left)));
      for (int i = 0; i < claimed.Rows(); ++i) {
        UW_ASSIGN_OR_RETURN(pg::Result row, tx.Exec("SELECT " + TicketColumns() + kTicketFrom +
                                                        "WHERE t.ticket_id = $1",
                                                    pg::P(claimed.String(i, 0))));
        if (row.Rows() != 1) return absl::InternalError("claimed ticket vanished");
        SlaBreach breach{
            .ticket = TicketAt(row, 0), .target = target.target, .due_at = TimeAt(claimed, i, 1)};
        nlohmann::json payload = {{"ticket_id", breach.ticket.ticket_id},
                                  {"user_id", breach.ticket.user_id},
                                  {"target", target.name},
                                  {"due_at_us", absl::ToUnixMicros(breach.due_at)},
                                  {"priority", static_cast<int>(breach.ticket.priority)},
                                  {"status", static_cast<int>(breach.ticket.status)}};
        UW_RETURN_IF_ERROR(
            outbox_.Append(tx, "support.ticket.sla_breached", breach.ticket.user_id, payload.dump())
                .status());
        breaches.push_back(std::move(breach));
      }
    }
    return absl::OkStatus();
  });
  UW_RETURN_IF_ERROR(status);
  return breaches;
}

}  // namespace uwallet::support
