#include "services/ledger/storage/pg_store.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/ledger/core/codec.h"
#include "services/ledger/core/errors.h"
#include "uwallet/common/ids.h"

namespace uwallet::ledger {
namespace {

// Microseconds since the epoch, exact (extract returns numeric).
std::string Us(absl::string_view column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}

const std::string& AccountColumns() {
  static const std::string* columns = new std::string(absl::StrCat(
      "a.account_id::text, a.owner_id, a.owner_kind, a.kind, a.currency, a.allow_negative, ",
      Us("a.created_at"),
      ", b.frozen, b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits"));
  return *columns;
}
constexpr int kAccountColumnCount = 12;

AccountState ReadAccount(const pg::Result& rows, int row, int column = 0) {
  AccountState state;
  Account& account = state.account;
  account.account_id = rows.String(row, column + 0);
  account.owner_id = rows.String(row, column + 1);
  account.owner_kind = static_cast<OwnerKind>(rows.Int(row, column + 2));
  account.kind = static_cast<AccountKind>(rows.Int(row, column + 3));
  account.currency = rows.String(row, column + 4);
  account.allow_negative = rows.Bool(row, column + 5);
  account.created_at = FromMicros(rows.Int(row, column + 6));
  Balance& balance = state.balance;
  balance.account_id = account.account_id;
  balance.currency = account.currency;
  balance.frozen = rows.Bool(row, column + 7);
  balance.posted_debits = rows.Int(row, column + 8);
  balance.posted_credits = rows.Int(row, column + 9);
  balance.pending_debits = rows.Int(row, column + 10);
  balance.pending_credits = rows.Int(row, column + 11);
  account.frozen = balance.frozen;
  return state;
}

const std::string& HoldColumns() {
  static const std::string* columns = new std::string(absl::StrCat(
      "h.hold_id::text, h.debit_account_id::text, h.credit_account_id::text, h.amount_minor, "
      "h.currency, h.kind, h.description, h.metadata::text, h.state, "
      "coalesce(h.posted_amount_minor, 0), coalesce(h.posted_transfer_id::text, ''), "
      "coalesce(h.void_reason, ''), h.caller, coalesce(h.idempotency_key, ''), ",
      Us("h.created_at"), ", ", Us("h.expires_at"), ", ", Us("h.resolved_at")));
  return *columns;
}

Metadata ParseMetadata(const std::string& text) {
  Metadata metadata;
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return metadata;
  for (const auto& [key, value] : json.items()) {
    if (value.is_string()) metadata[key] = value.get<std::string>();
  }
  return metadata;
}

std::string MetadataJson(const Metadata& metadata) {
  return nlohmann::json(metadata).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Hold ReadHold(const pg::Result& rows, int row) {
  Hold hold;
  hold.hold_id = rows.String(row, 0);
  hold.debit_account_id = rows.String(row, 1);
  hold.credit_account_id = rows.String(row, 2);
  hold.amount_minor = rows.Int(row, 3);
  hold.currency = rows.String(row, 4);
  hold.kind = static_cast<TransferKind>(rows.Int(row, 5));
  hold.description = rows.String(row, 6);
  hold.metadata = ParseMetadata(rows.String(row, 7));
  hold.state = static_cast<HoldState>(rows.Int(row, 8));
  hold.posted_amount_minor = rows.Int(row, 9);
  hold.posted_transfer_id = rows.String(row, 10);
  hold.void_reason = rows.String(row, 11);
  hold.caller = rows.String(row, 12);
  hold.idempotency_key = rows.String(row, 13);
  hold.created_at = FromMicros(rows.Int(row, 14));
  if (!rows.IsNull(row, 15)) hold.expires_at = FromMicros(rows.Int(row, 15));
  if (!rows.IsNull(row, 16)) hold.resolved_at = FromMicros(rows.Int(row, 16));
  return hold;
}

const std::string& TransferColumns() {
  static const std::string* columns = new std::string(absl::StrCat(
      "t.transfer_id::text, t.debit_account_id::text, t.credit_account_id::text, t.amount_minor, "
      "t.currency, t.kind, t.description, t.metadata::text, coalesce(t.batch_id::text, ''), "
      "coalesce(t.hold_id::text, ''), t.caller, coalesce(t.idempotency_key, ''), ",
      Us("t.created_at")));
  return *columns;
}

Transfer ReadTransfer(const pg::Result& rows, int row, int column) {
  Transfer transfer;
  transfer.transfer_id = rows.String(row, column + 0);
  transfer.debit_account_id = rows.String(row, column + 1);
  transfer.credit_account_id = rows.String(row, column + 2);
  transfer.amount_minor = rows.Int(row, column + 3);
  transfer.currency = rows.String(row, column + 4);
  transfer.kind = static_cast<TransferKind>(rows.Int(row, column + 5));
  transfer.description = rows.String(row, column + 6);
  transfer.metadata = ParseMetadata(rows.String(row, column + 7));
  transfer.batch_id = rows.String(row, column + 8);
  transfer.hold_id = rows.String(row, column + 9);
  transfer.caller = rows.String(row, column + 10);
  transfer.idempotency_key = rows.String(row, column + 11);
  transfer.created_at = FromMicros(rows.Int(row, column + 12));
  return transfer;
}

// The transfer row of an entry: transfers are keyed by their debit account.
constexpr char kJoinTransfer[] =
    "JOIN transfers t ON t.transfer_id = e.transfer_id AND t.debit_account_id = "
    "CASE WHEN e.direction = 2 THEN e.account_id ELSE e.counterparty_account_id END";

absl::StatusOr<Int128> ParseInt128(const std::string& text) {
  Int128 value = 0;
  size_t i = 0;
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i >= text.size() || text.size() > 40) return absl::InternalError("bad numeric sum");
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return absl::InternalError("bad numeric sum");
    value = value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

// Ids are UUIDv7 (uwallet::UuidV7Floor turns a time bound into an id bound, so that time ranges
// scan a primary-key range). An id is made just after the clock read that gives its row's
// created_at (same batch), so created_at < T implies id < UuidV7Floor(T + kIdClockSlack).
constexpr absl::Duration kIdClockSlack = absl::Minutes(1);

std::string UuidArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

// An optional id as a text array element (NULL when empty).
void AddOptional(ArrayLiteral& array, const std::string& value) {
  if (value.empty()) {
    array.AddNull();
  } else {
    array.Add(value);
  }
}

// What ledger_expect_rows raises when a batch's UPDATE missed rows it had locked (never expected:
// balance rows are never deleted, holds are locked before they are resolved).
constexpr char kHoldRowMissing[] = "LEDGER_HOLD_ROW_MISSING";
constexpr char kBalanceRowMissing[] = "LEDGER_BALANCE_ROW_MISSING";

class PgLedgerTransaction final : public LedgerTransaction {
 public:
  PgLedgerTransaction(pg::Connection& tx, events::Outbox& outbox) : tx_(tx), outbox_(outbox) {}

  absl::StatusOr<LockedState> ReadAndLock(const std::vector<IdempotencyScope>& scopes,
                                          const std::vector<std::string>& hold_ids,
                                          const std::vector<std::string>& account_ids) override {
    std::vector<pg::Connection::Query> statements;
    if (!scopes.empty()) {
      ArrayLiteral callers;
      ArrayLiteral keys;
      for (const auto& [caller, key] : scopes) {
        callers.Add(caller);
        keys.Add(key);
      }
      statements.push_back(
          {absl::StrCat(
               "SELECT k.caller, k.idempotency_key, k.operation, k.request_hash,"
               " k.result, ",
               Us("k.created_at"),
               " FROM unnest($1::text[], $2::text[]) AS q(caller, idempotency_key)"
               // LATERAL + LIMIT (never flattened): one primary-key lookup per key, whatever
               // the planner guesses for the array (a hash join would scan the whole table).
               " CROSS JOIN LATERAL (SELECT * FROM idempotency_keys i"
               " WHERE i.caller = q.caller AND i.idempotency_key = q.idempotency_key LIMIT 1) k"),
           pg::P(callers.Finish(), keys.Finish())});
    }
    if (!hold_ids.empty()) {
      statements.push_back({absl::StrCat("SELECT ", HoldColumns(),
                                         " FROM holds h WHERE h.hold_id = ANY($1::uuid[])"
                                         " ORDER BY h.hold_id FOR UPDATE"),
                            pg::P(UuidArray(hold_ids))});
    }
    // ORDER BY below FOR UPDATE: rows are locked in account id order, the same in every batch.
    // The holds' accounts join in by id (the holds are locked by the statement before).
    const std::string ids =
        hold_ids.empty()
            ? "$1::uuid[]"
            : "$1::uuid[] || ARRAY(SELECT debit_account_id FROM holds WHERE hold_id = "
              "ANY($2::uuid[]))"
              " || ARRAY(SELECT credit_account_id FROM holds WHERE hold_id = ANY($2::uuid[]))";
    pg::Params params = pg::P(UuidArray(account_ids));
    if (!hold_ids.empty()) params.push_back(UuidArray(hold_ids));
    statements.push_back({absl::StrCat("SELECT ", AccountColumns(),
                                       " FROM balances b JOIN accounts a USING (account_id)"
                                       " WHERE b.account_id = ANY(",
                                       ids, ") ORDER BY b.account_id FOR UPDATE OF b"),
                          std::move(params)});
    UW_ASSIGN_OR_RETURN(std::vector<pg::Result> results, tx_.ExecPipeline(statements));
    LockedState locked;
    size_t next = 0;
    if (!scopes.empty()) {
      const pg::Result& rows = results[next++];
      for (int i = 0; i < rows.Rows(); ++i) {
        locked.records.push_back({.caller = rows.String(i, 0),
                                  .idempotency_key = rows.String(i, 1),
                                  .operation = static_cast<OperationType>(rows.Int(i, 2)),
                                  .request_hash = rows.String(i, 3),
                                  .result_json = rows.String(i, 4),
                                  .created_at = FromMicros(rows.Int(i, 5))});
      }
    }
    if (!hold_ids.empty()) {
      const pg::Result& rows = results[next++];
      for (int i = 0; i < rows.Rows(); ++i) locked.holds.push_back(ReadHold(rows, i));
    }
    const pg::Result& rows = results[next];
    for (int i = 0; i < rows.Rows(); ++i) locked.accounts.push_back(ReadAccount(rows, i));
    return locked;
  }

  absl::Status Apply(const BatchEffects& effects) override {
    std::vector<pg::Connection::Query> statements;
    InsertTransfers(effects.transfers, &statements);
    InsertEntries(effects.entries, &statements);
    InsertHolds(effects.new_holds, &statements);
    ResolveHolds(effects.resolved_holds, &statements);
    UpdateBalances(effects.deltas, &statements);
    InsertRecords(effects.records, &statements);
    if (!effects.events.empty()) {
      std::vector<events::Outbox::NewEvent> batch;
      batch.reserve(effects.events.size());
      for (const LedgerEvent& event : effects.events) {
        batch.push_back({event.type, event.subject_id, event.payload_json});
      }
      UW_ASSIGN_OR_RETURN(events::Outbox::BatchStatement outbox, outbox_.PrepareBatch(batch));
      statements.push_back({std::move(outbox.sql), std::move(outbox.params)});
    }
    // The batch's last round trip carries its COMMIT: the row-count checks run inside the
    // statements (ledger_expect_rows), so a failing one makes the server skip the COMMIT.
    absl::StatusOr<std::vector<pg::Result>> results = tx_.ExecPipelineAndCommit(statements);
    if (!results.ok()) {
      if (results.status().code() == absl::StatusCode::kAlreadyExists &&
          pg::ConstraintOf(results.status()) == "idempotency_keys_pkey") {
        // A concurrent duplicate committed first: run the batch again; it will replay that one.
        return absl::AbortedError("concurrent request with the same idempotency key");
      }
      const std::string raised = pg::RaisedMessageOf(results.status());
      if (raised == kHoldRowMissing || raised == kBalanceRowMissing) {
        return absl::InternalError(raised == kHoldRowMissing
                                       ? "a resolved hold was not found"
                                       : "a balance row to update was not found");
      }
      return results.status();
    }
    return absl::OkStatus();
  }

 private:
  static void InsertTransfers(const std::vector<Transfer>& transfers,
                              std::vector<pg::Connection::Query>* out) {
    if (transfers.empty()) return;
    ArrayLiteral ids, debits, credits, amounts, currencies, kinds, descriptions, metadata, callers,
        keys, batches, holds, times;
    for (const Transfer& t : transfers) {
      ids.Add(t.transfer_id);
      debits.Add(t.debit_account_id);
      credits.Add(t.credit_account_id);
      amounts.Add(absl::StrCat(t.amount_minor));
      currencies.Add(t.currency);
      kinds.Add(absl::StrCat(static_cast<int>(t.kind)));
      descriptions.Add(t.description);
      metadata.Add(MetadataJson(t.metadata));
      callers.Add(t.caller);
      AddOptional(keys, t.idempotency_key);
      AddOptional(batches, t.batch_id);
      AddOptional(holds, t.hold_id);
      times.Add(TimestampText(t.created_at));
    }
    out->push_back(
        {"INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id,"
         " amount_minor, currency, kind, description, metadata, caller, idempotency_key,"
         " batch_id, hold_id, created_at)"
         " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[],"
         " $5::text[], $6::smallint[], $7::text[], $8::jsonb[], $9::text[], $10::text[],"
         " $11::uuid[], $12::uuid[], $13::timestamptz[])",
         pg::P(ids.Finish(), debits.Finish(), credits.Finish(), amounts.Finish(),
               currencies.Finish(), kinds.Finish(), descriptions.Finish(), metadata.Finish(),
               callers.Finish(), keys.Finish(), batches.Finish(), holds.Finish(), times.Finish())});
  }

  static void InsertEntries(const std::vector<Entry>& entries,
                            std::vector<pg::Connection::Query>* out) {
    if (entries.empty()) return;
    ArrayLiteral accounts, transfers, directions, counterparties, amounts, currencies, kinds,
        balances, times;
    for (const Entry& e : entries) {
      accounts.Add(e.account_id);
      transfers.Add(e.transfer_id);
      directions.Add(absl::StrCat(static_cast<int>(e.direction)));
      counterparties.Add(e.counterparty_account_id);
      amounts.Add(absl::StrCat(e.amount_minor));
      currencies.Add(e.currency);
      kinds.Add(absl::StrCat(static_cast<int>(e.kind)));
      balances.Add(absl::StrCat(e.balance_after));
      times.Add(TimestampText(e.created_at));
    }
    out->push_back(
        {"INSERT INTO entries (account_id, transfer_id, direction, counterparty_account_id,"
         " amount_minor, currency, kind, balance_after, created_at)"
         " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::uuid[],"
         " $5::bigint[], $6::text[], $7::smallint[], $8::bigint[], $9::timestamptz[])",
         pg::P(accounts.Finish(), transfers.Finish(), directions.Finish(), counterparties.Finish(),
               amounts.Finish(), currencies.Finish(), kinds.Finish(), balances.Finish(),
               times.Finish())});
  }

  static void InsertHolds(const std::vector<Hold>& holds, std::vector<pg::Connection::Query>* out) {
    if (holds.empty()) return;
    ArrayLiteral ids, debits, credits, amounts, currencies, kinds, descriptions, metadata, callers,
        keys, times, expiries;
    for (const Hold& h : holds) {
      ids.Add(h.hold_id);
      debits.Add(h.debit_account_id);
      credits.Add(h.credit_account_id);
      amounts.Add(absl::StrCat(h.amount_minor));
      currencies.Add(h.currency);
      kinds.Add(absl::StrCat(static_cast<int>(h.kind)));
      descriptions.Add(h.description);
      metadata.Add(MetadataJson(h.metadata));
      callers.Add(h.caller);
      AddOptional(keys, h.idempotency_key);
      times.Add(TimestampText(h.created_at));
      if (h.expires_at) {
        expiries.Add(TimestampText(*h.expires_at));
      } else {
        expiries.AddNull();
      }
    }
    out->push_back(
        {"INSERT INTO holds (hold_id, debit_account_id, credit_account_id, amount_minor,"
         " currency, kind, description, metadata, caller, idempotency_key, created_at,"
         " expires_at, state)"
         " SELECT *, 1 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[],"
         " $5::text[], $6::smallint[], $7::text[], $8::jsonb[], $9::text[], $10::text[],"
         " $11::timestamptz[], $12::timestamptz[])",
         pg::P(ids.Finish(), debits.Finish(), credits.Finish(), amounts.Finish(),
               currencies.Finish(), kinds.Finish(), descriptions.Finish(), metadata.Finish(),
               callers.Finish(), keys.Finish(), times.Finish(), expiries.Finish())});
  }

  static void ResolveHolds(const std::vector<Hold>& holds,
                           std::vector<pg::Connection::Query>* out) {
    if (holds.empty()) return;
    ArrayLiteral debits, ids, states, posted, transfers, reasons, times;
    for (const Hold& h : holds) {
      debits.Add(h.debit_account_id);
      ids.Add(h.hold_id);
      states.Add(absl::StrCat(static_cast<int>(h.state)));
      if (h.state == HoldState::kPosted) {
        posted.Add(absl::StrCat(h.posted_amount_minor));
      } else {
        posted.AddNull();
      }
      AddOptional(transfers, h.posted_transfer_id);
      AddOptional(reasons, h.void_reason);
      times.Add(TimestampText(h.resolved_at.value_or(absl::UnixEpoch())));
    }
    out->push_back(
        {absl::StrCat("WITH changed AS (UPDATE holds h SET state = u.state,"
                      " posted_amount_minor = u.posted, posted_transfer_id = u.transfer_id,"
                      " void_reason = u.reason, resolved_at = u.resolved_at"
                      " FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::bigint[],"
                      " $5::uuid[], $6::text[], $7::timestamptz[])"
                      " AS u(debit_account_id, hold_id, state, posted, transfer_id, reason,"
                      " resolved_at)"
                      " WHERE h.debit_account_id = u.debit_account_id AND h.hold_id = u.hold_id"
                      " RETURNING 1)"
                      " SELECT ledger_expect_rows(count(*), $8, '",
                      kHoldRowMissing, "') FROM changed"),
         pg::P(debits.Finish(), ids.Finish(), states.Finish(), posted.Finish(), transfers.Finish(),
               reasons.Finish(), times.Finish(), static_cast<int64_t>(holds.size()))});
  }

  static void UpdateBalances(const std::vector<BalanceDelta>& deltas,
                             std::vector<pg::Connection::Query>* out) {
    if (deltas.empty()) return;
    ArrayLiteral ids, posted_debits, posted_credits, pending_debits, pending_credits;
    for (const BalanceDelta& d : deltas) {
      ids.Add(d.account_id);
      posted_debits.Add(absl::StrCat(d.posted_debits));
      posted_credits.Add(absl::StrCat(d.posted_credits));
      pending_debits.Add(absl::StrCat(d.pending_debits));
      pending_credits.Add(absl::StrCat(d.pending_credits));
    }
    out->push_back(
        {absl::StrCat("WITH changed AS (UPDATE balances b"
                      " SET posted_debits = b.posted_debits + d.posted_debits,"
                      " posted_credits = b.posted_credits + d.posted_credits,"
                      " pending_debits = b.pending_debits + d.pending_debits,"
                      " pending_credits = b.pending_credits + d.pending_credits,"
                      " updated_at = now()"
                      " FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[],"
                      " $5::bigint[])"
                      " AS d(account_id, posted_debits, posted_credits, pending_debits,"
                      " pending_credits)"
                      " WHERE b.account_id = d.account_id RETURNING 1)"
                      " SELECT ledger_expect_rows(count(*), $6, '",
                      kBalanceRowMissing, "') FROM changed"),
         pg::P(ids.Finish(), posted_debits.Finish(), posted_credits.Finish(),
               pending_debits.Finish(), pending_credits.Finish(),
               static_cast<int64_t>(deltas.size()))});
  }

  static void InsertRecords(std::vector<IdempotencyRecord> records,
                            std::vector<pg::Connection::Query>* out) {
    if (records.empty()) return;
    // Sorted, so that concurrent batches meet each other's keys in the same order.
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
      return std::tie(a.caller, a.idempotency_key) < std::tie(b.caller, b.idempotency_key);
    });
    ArrayLiteral callers, keys, operations, hashes, results, times;
    for (const IdempotencyRecord& r : records) {
      callers.Add(r.caller);
      keys.Add(r.idempotency_key);
      operations.Add(absl::StrCat(static_cast<int>(r.operation)));
      hashes.Add(r.request_hash);
      results.Add(r.result_json);
      times.Add(TimestampText(r.created_at));
    }
    out->push_back(
        {"INSERT INTO idempotency_keys (caller, idempotency_key, operation, request_hash,"
         " result, created_at)"
         " SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[],"
         " $5::text[], $6::timestamptz[])",
         pg::P(callers.Finish(), keys.Finish(), operations.Finish(), hashes.Finish(),
               results.Finish(), times.Finish())});
  }

  pg::Connection& tx_;
  events::Outbox& outbox_;
};

}  // namespace

// ---- Helpers ----

void ArrayLiteral::Add(absl::string_view element) {
  if (!first_) text_ += ',';
  first_ = false;
  text_ += '"';
  // Copy runs without quotes or backslashes in one go; escape the rest.
  size_t start = 0;
  for (size_t i = 0; i < element.size(); ++i) {
    if (element[i] == '"' || element[i] == '\\') {
      text_.append(element.data() + start, i - start);
      text_ += '\\';
      text_ += element[i];
      start = i + 1;
    }
  }
  text_.append(element.data() + start, element.size() - start);
  text_ += '"';
}

void ArrayLiteral::AddNull() {
  if (!first_) text_ += ',';
  first_ = false;
  text_ += "NULL";
}

std::string TimestampText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", time, absl::UTCTimeZone());
}

// ---- PgLedgerStore ----

namespace {
// The database's own refusals, should one ever fire (the engine checks the same rules first), keep
// the reason a caller can act on.
absl::Status WithDatabaseReason(absl::Status status) {
  if (status.ok() || !ReasonOf(status).empty()) return status;
  const std::string constraint = pg::ConstraintOf(status);
  const std::string raised = pg::RaisedMessageOf(status);
  if (constraint == "balances_never_negative") {
    return InsufficientFunds("refused by the database: the balance would go below zero");
  }
  if (raised == "ACCOUNT_FROZEN") return AccountFrozen("refused by the database: account frozen");
  if (raised == "HOLD_NOT_PENDING") return HoldNotPending("refused by the database");
  return status;
}
}  // namespace

absl::Status PgLedgerStore::RunInTransaction(
    const std::function<absl::Status(LedgerTransaction&)>& body) {
  return WithDatabaseReason(pool_.Transact(
      [&](pg::Connection& tx) -> absl::Status {
        PgLedgerTransaction ledger_tx(tx, outbox_);
        return body(ledger_tx);
      },
      {.isolation = pg::TransactionOptions::Isolation::kReadCommitted,
       .max_attempts = kWriterTransactionAttempts}));
}

// ---- PgLedgerReader: accounts ----

absl::StatusOr<std::optional<AccountState>> PgLedgerReader::FindAccount(
    const std::string& account_id) {
  UW_ASSIGN_OR_RETURN(pg::Result rows,
                      pool_.Exec(absl::StrCat("SELECT ", AccountColumns(),
                                              " FROM accounts a JOIN balances b USING (account_id)"
                                              " WHERE a.account_id = $1::uuid"),
                                 pg::P(account_id)));
  if (rows.Rows() == 0) return std::optional<AccountState>();
  return std::optional<AccountState>(ReadAccount(rows, 0));
}

absl::StatusOr<std::optional<AccountState>> PgLedgerReader::FindAccountByKey(
    const std::string& owner_id, AccountKind kind, const std::string& currency) {
  UW_ASSIGN_OR_RETURN(
      pg::Result rows,
      pool_.Exec(absl::StrCat("SELECT ", AccountColumns(),
                              " FROM account_directory d JOIN accounts a USING (account_id)"
                              " JOIN balances b USING (account_id)"
                              " WHERE d.owner_id = $1 AND d.kind = $2 AND d.currency = $3"),
                 pg::P(owner_id, static_cast<int>(kind), currency)));
  if (rows.Rows() == 0) return std::optional<AccountState>();
  return std::optional<AccountState>(ReadAccount(rows, 0));
}

absl::StatusOr<std::vector<AccountState>> PgLedgerReader::ListAccountsOfOwner(
    const std::string& owner_id) {
  UW_ASSIGN_OR_RETURN(
      pg::Result rows,
      pool_.Exec(absl::StrCat("SELECT ", AccountColumns(),
                              " FROM account_directory d JOIN accounts a USING (account_id)"
                              " JOIN balances b USING (account_id)"
                              " WHERE d.owner_id = $1 ORDER BY d.kind, d.currency LIMIT $2"),
                 pg::P(owner_id, kAccountsPerOwnerMax)));
  std::vector<AccountState> accounts;
  for (int i = 0; i < rows.Rows(); ++i) accounts.push_back(ReadAccount(rows, i));
  return accounts;
}

absl::StatusOr<std::pair<AccountState, bool>> PgLedgerReader::OpenAccount(const Account& account) {
  std::pair<AccountState, bool> opened;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    // The directory row is the uniqueness: a concurrent opener waits here, then finds ours.
    UW_ASSIGN_OR_RETURN(pg::Result claimed,
                        tx.Exec("INSERT INTO account_directory (owner_id, kind, currency,"
                                " account_id) VALUES ($1, $2, $3, $4::uuid)"
                                " ON CONFLICT DO NOTHING RETURNING account_id",
                                pg::P(account.owner_id, static_cast<int>(account.kind),
                                      account.currency, account.account_id)));
    opened.second = claimed.Rows() == 1;
    if (opened.second) {
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO accounts (account_id, owner_id, owner_kind, kind,"
                  " currency, allow_negative, created_at)"
                  " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz)",
                  pg::P(account.account_id, account.owner_id, static_cast<int>(account.owner_kind),
                        static_cast<int>(account.kind), account.currency, account.allow_negative,
                        TimestampText(account.created_at)))
              .status());
      UW_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO balances (account_id, currency, allow_negative, updated_at)"
                  " VALUES ($1::uuid, $2, $3, $4::timestamptz)",
                  pg::P(account.account_id, account.currency, account.allow_negative,
                        TimestampText(account.created_at)))
              .status());
    }
    UW_ASSIGN_OR_RETURN(
        pg::Result rows,
        tx.Exec(absl::StrCat("SELECT ", AccountColumns(),
                             " FROM account_directory d JOIN accounts a USING (account_id)"
                             " JOIN balances b USING (account_id)"
                             " WHERE d.owner_id = $1 AND d.kind = $2 AND d.currency = $3"),
                pg::P(account.owner_id, static_cast<int>(account.kind), account.currency)));
    if (rows.Rows() != 1) return absl::InternalError("account directory without its account");
    opened.first = ReadAccount(rows, 0);
    return absl::OkStatus();
  }));
  return opened;
}

absl::StatusOr<std::vector<AccountState>> PgLedgerReader::SetFrozen(const FreezeTarget& target,
                                                                    bool frozen,
                                                                    const std::string& reason,
                                                                    const std::string& reference) {
  std::vector<AccountState> changed;
  UW_RETURN_IF_ERROR(pool_.Transact([&](pg::Connection& tx) -> absl::Status {
    changed.clear();
    const std::string selector =
        target.account_id.empty()
            ? "b.account_id IN (SELECT account_id FROM account_directory WHERE owner_id = $1)"
            : "b.account_id = $1::uuid";
    const std::string key = target.account_id.empty() ? target.owner_id : target.account_id;
    // The same lock, in the same order, as the writer's debits: a freeze waits for debits in
    // flight, and debits after it see the flag.
    UW_RETURN_IF_ERROR(tx.Exec(absl::StrCat("SELECT 1 FROM balances b WHERE ", selector,
                                            " ORDER BY b.account_id FOR UPDATE"),
                               pg::P(key))
                           .status());
    UW_ASSIGN_OR_RETURN(
        pg::Result updated,
        tx.Exec(absl::StrCat("UPDATE balances b SET frozen = $2, frozen_reason = $3,"
                             " frozen_reference = $4, updated_at = now() WHERE ",
                             selector, " RETURNING b.account_id"),
                pg::P(key, frozen, reason, reference)));
    if (updated.Rows() == 0) return absl::OkStatus();
    UW_ASSIGN_OR_RETURN(pg::Result rows,
                        tx.Exec(absl::StrCat("SELECT ", AccountColumns(),
                                             " FROM accounts a JOIN balances b USING (account_id)"
                                             " WHERE ",
                                             selector, " ORDER BY a.kind, a.currency"),
                                pg::P(key)));
    std::vector<events::Outbox::NewEvent> events;
    for (int i = 0; i < rows.Rows(); ++i) {
      changed.push_back(ReadAccount(rows, i));
      const Account& account = changed.back().account;
      nlohmann::json payload{{"account_id", account.account_id},
                             {"owner_id", account.owner_id},
                             {"kind", static_cast<int>(account.kind)},
                             {"currency", account.currency},
                             {"reason", reason},
                             {"reference", reference}};
      events.push_back({frozen ? kEventAccountFrozen : kEventAccountUnfrozen, account.account_id,
                        payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    }
    return outbox_.AppendBatch(tx, events).status();
  }));
  return changed;
}

// ---- PgLedgerReader: history ----

absl::StatusOr<std::vector<HistoryItem>> PgLedgerReader::QueryHistory(
    const std::vector<std::string>& account_ids, const HistoryFilter& filter,
    const std::optional<Cursor>& after, int limit, const std::string& transaction_id) {
  pg::Params params;
  auto bind = [&](pg::Param value) {
    params.push_back(std::move(value));
    return absl::StrCat("$", params.size());
  };
  const std::string accounts = bind(UuidArray(account_ids));
  const std::string limit_param = bind(std::to_string(limit));
  std::string start, start_id, end, end_id, kinds, counterparty, direction, cursor_id, id;
  if (filter.start) {
    start = bind(TimestampText(*filter.start));
    start_id = bind(UuidV7Floor(*filter.start));
  }
  if (filter.end) {
    end = bind(TimestampText(*filter.end));
    end_id = bind(UuidV7Floor(*filter.end + kIdClockSlack));
  }
  if (!filter.kinds.empty()) {
    std::vector<std::string> values;
    for (TransferKind kind : filter.kinds) values.push_back(std::to_string(static_cast<int>(kind)));
    kinds = bind(absl::StrCat("{", absl::StrJoin(values, ","), "}"));
  }
  if (!filter.counterparty_id.empty()) counterparty = bind(filter.counterparty_id);
  if (filter.direction != Direction::kUnspecified) {
    direction = bind(std::to_string(static_cast<int>(filter.direction)));
  }
  if (after) cursor_id = bind(after->id);
  if (!transaction_id.empty()) id = bind(transaction_id);

  // One branch per source, each ordered by id (UUIDv7: time order) and limited on its own index
  // (entries and holds by debit: their primary keys; holds by credit: holds_by_credit), merged.
  struct Branch {
    std::string from, account, id, direction, counterparty, amount, currency, kind, created, status,
        description, metadata, where;
  };
  const std::vector<Branch> branches = {
      {.from = absl::StrCat("entries e ", kJoinTransfer),
       .account = "e.account_id",
       .id = "e.transfer_id",
       .direction = "e.direction",
       .counterparty = "e.counterparty_account_id",
       .amount = "e.amount_minor",
       .currency = "e.currency",
       .kind = "e.kind",
       .created = "e.created_at",
       .status = "2",
       .description = "t.description",
       .metadata = "t.metadata"},
      // Holds not posted (a posted hold shows as its posting transfer): pending or released.
      {.from = "holds h",
       .account = "h.debit_account_id",
       .id = "h.hold_id",
       .direction = "2",
       .counterparty = "h.credit_account_id",
       .amount = "h.amount_minor",
       .currency = "h.currency",
       .kind = "h.kind",
       .created = "h.created_at",
       .status = "CASE WHEN h.state = 1 THEN 1 ELSE 3 END",
       .description = "h.description",
       .metadata = "h.metadata",
       .where = " AND h.state <> 2"},
      {.from = "holds h",
       .account = "h.credit_account_id",
       .id = "h.hold_id",
       .direction = "1",
       .counterparty = "h.debit_account_id",
       .amount = "h.amount_minor",
       .currency = "h.currency",
       .kind = "h.kind",
       .created = "h.created_at",
       .status = "CASE WHEN h.state = 1 THEN 1 ELSE 3 END",
       .description = "h.description",
       .metadata = "h.metadata",
       .where = " AND h.state <> 2"},
  };
  std::vector<std::string> selects;
  for (const Branch& b : branches) {
    std::string where = absl::StrCat(b.account, " = ANY(", accounts, "::uuid[])", b.where);
    if (!start.empty()) {
      absl::StrAppend(&where, " AND ", b.created, " >= ", start, "::timestamptz AND ", b.id,
                      " >= ", start_id, "::uuid");
    }
    if (!end.empty()) {
      absl::StrAppend(&where, " AND ", b.created, " < ", end, "::timestamptz AND ", b.id, " < ",
                      end_id, "::uuid");
    }
    if (!kinds.empty()) absl::StrAppend(&where, " AND ", b.kind, " = ANY(", kinds, "::smallint[])");
    if (!counterparty.empty()) {
      absl::StrAppend(&where, " AND (c.account_id::text = ", counterparty,
                      " OR c.owner_id = ", counterparty, ")");
    }
    if (!direction.empty())
      absl::StrAppend(&where, " AND ", b.direction, " = ", direction, "::int");
    if (!cursor_id.empty()) absl::StrAppend(&where, " AND ", b.id, " < ", cursor_id, "::uuid");
    if (!id.empty()) absl::StrAppend(&where, " AND ", b.id, " = ", id, "::uuid");
    selects.push_back(absl::StrCat(
        "(SELECT ", b.id, " AS id, ", b.created, " AS created_at, ", b.account, "::text AS acc, ",
        b.kind, " AS kind, ", b.direction, " AS direction, ", b.amount, " AS amount, ", b.currency,
        " AS currency, c.account_id::text AS cp, c.kind AS cp_kind, c.owner_id AS cp_owner,"
        " c.owner_kind AS cp_owner_kind, ",
        b.description, " AS description, ", b.metadata, "::text AS metadata, ", b.status,
        " AS status FROM ", b.from, " JOIN accounts c ON c.account_id = ", b.counterparty,
        " WHERE ", where, " ORDER BY ", b.id, " DESC LIMIT ", limit_param, ")"));
  }
  const std::string sql = absl::StrCat(
      "SELECT u.id::text, ", Us("u.created_at"),
      ", u.acc, u.kind, u.direction, u.amount, u.currency, u.cp, u.cp_kind, u.cp_owner,"
      " u.cp_owner_kind, u.description, u.metadata, u.status FROM (",
      absl::StrJoin(selects, " UNION ALL "), ") u ORDER BY u.id DESC LIMIT ", limit_param);
  UW_ASSIGN_OR_RETURN(pg::Result rows, pool_.Exec(sql, params));
  std::vector<HistoryItem> items;
  for (int i = 0; i < rows.Rows(); ++i) {
    HistoryItem item;
    item.transaction_id = rows.String(i, 0);
    item.created_at = FromMicros(rows.Int(i, 1));
    item.account_id = rows.String(i, 2);
    item.kind = static_cast<TransferKind>(rows.Int(i, 3));
    item.direction = static_cast<Direction>(rows.Int(i, 4));
    item.amount_minor = rows.Int(i, 5);
    item.currency = rows.String(i, 6);
    item.counterparty = {.account_id = rows.String(i, 7),
                         .kind = static_cast<AccountKind>(rows.Int(i, 8)),
                         .owner_id = rows.String(i, 9),
                         .owner_kind = static_cast<OwnerKind>(rows.Int(i, 10))};
    item.description = rows.String(i, 11);
    item.metadata = ParseMetadata(rows.String(i, 12));
    item.status = static_cast<TransactionStatus>(rows.Int(i, 13));
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<std::vector<HistoryItem>> PgLedgerReader::ListHistory(
    const std::vector<std::string>& account_ids, const HistoryFilter& filter,
    const std::optional<Cursor>& after, int limit) {
  return QueryHistory(account_ids, filter, after, limit, "");
}

absl::StatusOr<std::optional<HistoryItem>> PgLedgerReader::FindHistoryItem(
    const std::vector<std::string>& account_ids, const std::string& transaction_id) {
  UW_ASSIGN_OR_RETURN(std::vector<HistoryItem> items,
                      QueryHistory(account_ids, {}, std::nullopt, 1, transaction_id));
  if (items.empty()) return std::optional<HistoryItem>();
  return std::optional<HistoryItem>(std::move(items[0]));
}

absl::StatusOr<std::vector<SpendingRow>> PgLedgerReader::SpendingRows(const std::string& account_id,
                                                                      absl::Time start,
                                                                      absl::Time end,
                                                                      const std::string& time_zone,
                                                                      int limit) {
  UW_ASSIGN_OR_RETURN(
      pg::Result rows,
      pool_.Exec("SELECT to_char(e.created_at AT TIME ZONE $4, 'YYYY-MM-DD'), e.direction,"
                 " e.kind, c.account_id::text, c.kind, c.owner_id, c.owner_kind,"
                 " sum(e.amount_minor)::text, count(*)"
                 " FROM entries e JOIN accounts c ON c.account_id = e.counterparty_account_id"
                 " WHERE e.account_id = $1::uuid AND e.created_at >= $2::timestamptz"
                 " AND e.created_at < $3::timestamptz"
                 " AND e.transfer_id >= $6::uuid AND e.transfer_id < $7::uuid"
                 " GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4 LIMIT $5",
                 pg::P(account_id, TimestampText(start), TimestampText(end), time_zone, limit,
                       UuidV7Floor(start), UuidV7Floor(end + kIdClockSlack))));
  std::vector<SpendingRow> result;
  for (int i = 0; i < rows.Rows(); ++i) {
    UW_ASSIGN_OR_RETURN(Int128 sum, ParseInt128(rows.String(i, 7)));
    if (sum > std::numeric_limits<int64_t>::max()) {
      return absl::OutOfRangeError("a daily sum does not fit a 64-bit amount");
    }
    result.push_back({.day = rows.String(i, 0),
                      .direction = static_cast<Direction>(rows.Int(i, 1)),
                      .kind = static_cast<TransferKind>(rows.Int(i, 2)),
                      .counterparty = {.account_id = rows.String(i, 3),
                                       .kind = static_cast<AccountKind>(rows.Int(i, 4)),
                                       .owner_id = rows.String(i, 5),
                                       .owner_kind = static_cast<OwnerKind>(rows.Int(i, 6))},
                      .amount_minor = static_cast<int64_t>(sum),
                      .count = rows.Int(i, 8)});
  }
  return result;
}

absl::StatusOr<std::vector<CurrencyTotals>> PgLedgerReader::TrialBalanceTotals() {
  // One statement: one snapshot, so balances and transfers are read at the same instant.
  UW_ASSIGN_OR_RETURN(
      pg::Result rows,
      pool_.Exec(
          "WITH b AS (SELECT b.currency, sum(b.posted_debits) AS pd, sum(b.posted_credits) AS pc,"
          " sum(b.pending_debits) AS ped, sum(b.pending_credits) AS pec,"
          " sum(CASE WHEN a.kind = 1 THEN b.posted_credits - b.posted_debits ELSE 0 END) AS ub,"
          " count(*) AS n FROM balances b JOIN accounts a USING (account_id)"
          " GROUP BY b.currency),"
          " t AS (SELECT currency, sum(amount_minor) AS s, count(*) AS n FROM transfers"
          " GROUP BY currency)"
          " SELECT b.currency, b.pd::text, b.pc::text, b.ped::text, b.pec::text, b.ub::text,"
          " coalesce(t.s, 0)::text, b.n, coalesce(t.n, 0)"
          " FROM b LEFT JOIN t USING (currency) ORDER BY b.currency"));
  std::vector<CurrencyTotals> totals;
  for (int i = 0; i < rows.Rows(); ++i) {
    CurrencyTotals total{.currency = rows.String(i, 0)};
    UW_ASSIGN_OR_RETURN(total.posted_debits, ParseInt128(rows.String(i, 1)));
    UW_ASSIGN_OR_RETURN(total.posted_credits, ParseInt128(rows.String(i, 2)));
    UW_ASSIGN_OR_RETURN(total.pending_debits, ParseInt128(rows.String(i, 3)));
    UW_ASSIGN_OR_RETURN(total.pending_credits, ParseInt128(rows.String(i, 4)));
    UW_ASSIGN_OR_RETURN(total.user_balance_sum, ParseInt128(rows.String(i, 5)));
    UW_ASSIGN_OR_RETURN(total.transfer_sum, ParseInt128(rows.String(i, 6)));
    total.account_count = rows.Int(i, 7);
    total.transfer_count = rows.Int(i, 8);
    totals.push_back(total);
  }
  return totals;
}

absl::StatusOr<StatementPage> PgLedgerReader::Statement(const std::string& account_id,
                                                        std::optional<absl::Time> start,
                                                        std::optional<absl::Time> end,
                                                        const std::optional<Cursor>& after,
                                                        int limit) {
  StatementPage page;
  // REPEATABLE READ: the opening, closing and lines come from one snapshot.
  UW_RETURN_IF_ERROR(pool_.Transact(
      [&](pg::Connection& tx) -> absl::Status {
        page = {};
        auto balance_before = [&](std::optional<absl::Time> at) -> absl::StatusOr<int64_t> {
          if (!at) return 0;
          UW_ASSIGN_OR_RETURN(
              pg::Result rows,
              tx.Exec("SELECT balance_after FROM entries WHERE account_id = $1::uuid"
                      " AND created_at < $2::timestamptz AND transfer_id < $3::uuid"
                      " ORDER BY transfer_id DESC LIMIT 1",
                      pg::P(account_id, TimestampText(*at), UuidV7Floor(*at + kIdClockSlack))));
          return rows.Rows() == 0 ? 0 : rows.Int(0, 0);
        };
        UW_ASSIGN_OR_RETURN(page.opening_balance, balance_before(start));
        if (end) {
          UW_ASSIGN_OR_RETURN(page.closing_balance, balance_before(end));
        } else {
          UW_ASSIGN_OR_RETURN(pg::Result rows,
                              tx.Exec("SELECT posted_credits - posted_debits FROM balances"
                                      " WHERE account_id = $1::uuid",
                                      pg::P(account_id)));
          page.closing_balance = rows.Rows() == 0 ? 0 : rows.Int(0, 0);
        }
        pg::Params params = pg::P(account_id, std::to_string(limit));
        std::string where = "e.account_id = $1::uuid";
        if (start) {
          params.push_back(TimestampText(*start));
          params.push_back(UuidV7Floor(*start));
          absl::StrAppend(&where, " AND e.created_at >= $", params.size() - 1,
                          "::timestamptz AND e.transfer_id >= $", params.size(), "::uuid");
        }
        if (end) {
          params.push_back(TimestampText(*end));
          params.push_back(UuidV7Floor(*end + kIdClockSlack));
          absl::StrAppend(&where, " AND e.created_at < $", params.size() - 1,
                          "::timestamptz AND e.transfer_id < $", params.size(), "::uuid");
        }
        if (after) {
          params.push_back(after->id);
          absl::StrAppend(&where, " AND e.transfer_id > $", params.size(), "::uuid");
        }
        UW_ASSIGN_OR_RETURN(
            pg::Result rows,
            tx.Exec(absl::StrCat("SELECT e.direction, e.balance_after, ", TransferColumns(),
                                 " FROM entries e ", kJoinTransfer, " WHERE ", where,
                                 " ORDER BY e.transfer_id LIMIT $2"),
                    params));
        for (int i = 0; i < rows.Rows(); ++i) {
          page.lines.push_back({.transfer = ReadTransfer(rows, i, 2),
                                .direction = static_cast<Direction>(rows.Int(i, 0)),
                                .balance_after = rows.Int(i, 1)});
        }
        return absl::OkStatus();
      },
      {.isolation = pg::TransactionOptions::Isolation::kRepeatableRead, .read_only = true}));
  return page;
}

absl::StatusOr<std::vector<Hold>> PgLedgerReader::ListHolds(const HoldQuery& query,
                                                            const std::optional<Cursor>& after,
                                                            int limit) {
  pg::Params params;
  std::string where;
  if (!query.account_id.empty()) {
    params.push_back(query.account_id);
    where = "(h.debit_account_id = $1::uuid OR h.credit_account_id = $1::uuid)";
  } else {
    params.push_back(query.owner_id);
    where =
        "(h.debit_account_id IN (SELECT account_id FROM account_directory WHERE owner_id = $1)"
        " OR h.credit_account_id IN (SELECT account_id FROM account_directory"
        " WHERE owner_id = $1))";
  }
  params.push_back(std::to_string(limit));
  if (!query.states.empty()) {
    std::vector<std::string> states;
    for (HoldState state : query.states) states.push_back(std::to_string(static_cast<int>(state)));
    params.push_back(absl::StrCat("{", absl::StrJoin(states, ","), "}"));
    absl::StrAppend(&where, " AND h.state = ANY($", params.size(), "::smallint[])");
  }
  if (after) {
    params.push_back(after->id);
    absl::StrAppend(&where, " AND h.hold_id < $", params.size(), "::uuid");
  }
  UW_ASSIGN_OR_RETURN(pg::Result rows, pool_.Exec(absl::StrCat("SELECT ", HoldColumns(),
                                                               " FROM holds h WHERE ", where,
                                                               " ORDER BY h.hold_id DESC"
                                                               " LIMIT $2"),
                                                  params));
  std::vector<Hold> holds;
  for (int i = 0; i < rows.Rows(); ++i) holds.push_back(ReadHold(rows, i));
  return holds;
}

absl::StatusOr<std::vector<std::string>> PgLedgerReader::ExpiredHoldIds(absl::Time now, int limit) {
  UW_ASSIGN_OR_RETURN(pg::Result rows,
                      pool_.Exec("SELECT hold_id::text FROM holds WHERE state = 1"
                                 " AND expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2",
                                 pg::P(TimestampText(now), limit)));
  std::vector<std::string> ids;
  for (int i = 0; i < rows.Rows(); ++i) ids.push_back(rows.String(i, 0));
  return ids;
}

}  // namespace uwallet::ledger
