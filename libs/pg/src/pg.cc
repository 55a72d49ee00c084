#include "uwallet/pg/pg.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uwallet/common/check.h"
#include "uwallet/common/log.h"

namespace uwallet::pg {
namespace {

constexpr absl::string_view kSqlStateUrl = "type.uwallet.dev/pg.sqlstate";
constexpr absl::string_view kConstraintUrl = "type.uwallet.dev/pg.constraint";
constexpr absl::string_view kRaisedUrl = "type.uwallet.dev/pg.raised";

std::string PayloadOf(const absl::Status& status, absl::string_view url) {
  auto payload = status.GetPayload(url);
  return payload ? std::string(*payload) : std::string();
}

std::string Field(const PGresult* result, int field) {
  const char* value = PQresultErrorField(result, field);
  return value ? value : "";
}

absl::Status StatusFromResult(PGconn* conn, const PGresult* result) {
  if (result == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError("database connection lost");
  }
  const std::string sqlstate = Field(result, PG_DIAG_SQLSTATE);
  std::string detail = sqlstate == "P0001" ? Field(result, PG_DIAG_MESSAGE_PRIMARY) : "";
  return StatusFromSqlState(sqlstate, Field(result, PG_DIAG_CONSTRAINT_NAME), detail);
}

std::string StatementName(absl::string_view sql) {
  return absl::StrFormat("uw_%016x_%d",
                         std::hash<std::string_view>{}(std::string_view(sql.data(), sql.size())),
                         sql.size());
}

}  // namespace

absl::Status StatusFromSqlState(absl::string_view sqlstate, absl::string_view constraint,
                                absl::string_view detail) {
  absl::StatusCode code = absl::StatusCode::kInternal;
  std::string message = "database error";
  auto starts = [&](absl::string_view prefix) { return absl::StartsWith(sqlstate, prefix); };
  if (sqlstate == "23505") {
    code = absl::StatusCode::kAlreadyExists;
    message = "already exists";
  } else if (sqlstate == "23503" || sqlstate == "23514") {
    code = absl::StatusCode::kFailedPrecondition;
    message = "constraint violated";
  } else if (sqlstate == "P0001") {
    code = absl::StatusCode::kFailedPrecondition;
    message = "refused by the database";
  } else if (sqlstate == "23502" || starts("22")) {
    code = absl::StatusCode::kInvalidArgument;
    message = "invalid value";
  } else if (sqlstate == "40001" || sqlstate == "40P01") {
    code = absl::StatusCode::kAborted;
    message = "transaction conflict, retry";
  } else if (sqlstate == "57014") {
    code = absl::StatusCode::kDeadlineExceeded;
    message = "database statement timed out";
  } else if (starts("08") || starts("57P")) {
    code = absl::StatusCode::kUnavailable;
    message = "database unavailable";
  } else if (starts("53")) {
    code = absl::StatusCode::kResourceExhausted;
    message = "database out of resources";
  } else if (sqlstate == "42501") {
    code = absl::StatusCode::kPermissionDenied;
    message = "database permission denied";
  }
  if (!constraint.empty()) absl::StrAppend(&message, " (", constraint, ")");
  absl::Status status(code, message);
  status.SetPayload(kSqlStateUrl, absl::Cord(sqlstate));
  if (!constraint.empty()) status.SetPayload(kConstraintUrl, absl::Cord(constraint));
  if (!detail.empty()) status.SetPayload(kRaisedUrl, absl::Cord(detail));
  return status;
}

std::string SqlStateOf(const absl::Status& status) { return PayloadOf(status, kSqlStateUrl); }
std::string ConstraintOf(const absl::Status& status) { return PayloadOf(status, kConstraintUrl); }
std::string RaisedMessageOf(const absl::Status& status) { return PayloadOf(status, kRaisedUrl); }

// ---- Result ----

bool Result::IsNull(int row, int column) const {
  UW_CHECK(row >= 0 && row < Rows() && column >= 0 && column < Columns());
  return PQgetisnull(result_.get(), row, column) == 1;
}

std::string Result::String(int row, int column) const {
  UW_CHECK(row >= 0 && row < Rows() && column >= 0 && column < Columns());
  return std::string(PQgetvalue(result_.get(), row, column),
                     PQgetlength(result_.get(), row, column));
}

std::optional<std::string> Result::OptionalString(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return String(row, column);
}

int64_t Result::Int(int row, int column) const {
  int64_t value = 0;
  UW_CHECK(absl::SimpleAtoi(String(row, column), &value));
  return value;
}

bool Result::Bool(int row, int column) const { return String(row, column) == "t"; }

int64_t Result::Affected() const {
  int64_t value = 0;
  if (!result_ || !absl::SimpleAtoi(PQcmdTuples(result_.get()), &value)) return 0;
  return value;
}

// ---- Connection ----

Connection::~Connection() { PQfinish(conn_); }

bool Connection::Broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

absl::Status Connection::CheckConnection() {
  if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql, const Params& params) {
  if (Broken()) return absl::UnavailableError("database connection lost");
  if (!pending_begin_.empty()) {
    // The first statement of a transaction: it and the BEGIN share one round trip.
    UW_ASSIGN_OR_RETURN(std::vector<Result> results,
                        RunPipeline({{std::string(sql), params}}, /*commit=*/false));
    return std::move(results.front());
  }
  const std::string name = StatementName(sql);
  if (!prepared_.contains(name)) {
    PGresult* raw = PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr);
    Result owner(raw);
    if (raw == nullptr || PQresultStatus(raw) != PGRES_COMMAND_OK) {
      absl::Status status = StatusFromResult(conn_, raw);
      UW_RETURN_IF_ERROR(CheckConnection());
      return status;
    }
    prepared_.insert(name);
  }
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i] ? params[i]->c_str() : nullptr;
  }
  PGresult* raw = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                 values.data(), nullptr, nullptr, 0);
  Result result(raw);
  const ExecStatusType exec_status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (exec_status == PGRES_COMMAND_OK || exec_status == PGRES_TUPLES_OK) return result;
  absl::Status status = StatusFromResult(conn_, raw);
  UW_RETURN_IF_ERROR(CheckConnection());
  return status;
}

absl::StatusOr<std::vector<Result>> Connection::ExecPipeline(const std::vector<Query>& queries) {
  return RunPipeline(queries, /*commit=*/false);
}

absl::StatusOr<std::vector<Result>> Connection::ExecPipelineAndCommit(
    const std::vector<Query>& queries) {
  if (!in_transact_) {
    return absl::FailedPreconditionError("ExecPipelineAndCommit outside Pool::Transact");
  }
  UW_ASSIGN_OR_RETURN(std::vector<Result> results, RunPipeline(queries, /*commit=*/true));
  committed_ = true;
  return results;
}

absl::StatusOr<std::vector<Result>> Connection::RunPipeline(const std::vector<Query>& queries,
                                                            bool commit) {
  std::vector<Result> results;
  if (queries.empty()) {
    if (!commit) return results;
    if (!pending_begin_.empty()) {  // nothing ran: nothing to commit
      pending_begin_.clear();
      return results;
    }
  }
  if (Broken()) return absl::UnavailableError("database connection lost");
  if (PQenterPipelineMode(conn_) != 1) return absl::InternalError("cannot enter pipeline mode");
  // Each query is a Prepare (first use on this connection only) and an Execute; both answer with
  // a result and a NULL, then the Sync answers PGRES_PIPELINE_SYNC. A transaction's deferred
  // BEGIN goes first and a requested COMMIT last, as unnamed statements.
  enum class Kind { kControl, kPrepare, kExecute };
  struct Sent {
    std::string name;
    Kind kind;
  };
  std::vector<Sent> sent;
  std::vector<std::string> preparing;  // names sent for Prepare in this pipeline
  bool send_failed = false;
  auto send_control = [&](const std::string& sql) {
    if (PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      return false;
    }
    sent.push_back({sql, Kind::kControl});
    return true;
  };
  if (!pending_begin_.empty()) {
    send_failed = !send_control(pending_begin_);
    pending_begin_.clear();
  }
  for (const Query& query : queries) {
    if (send_failed) break;
    std::string name = StatementName(query.sql);
    const bool prepare = !prepared_.contains(name) &&
                         std::find(preparing.begin(), preparing.end(), name) == preparing.end();
    if (prepare) {
      if (PQsendPrepare(conn_, name.c_str(), query.sql.c_str(), 0, nullptr) != 1) {
        send_failed = true;
        break;
      }
      preparing.push_back(name);
      sent.push_back({name, Kind::kPrepare});
    }
    std::vector<const char*> values(query.params.size());
    for (size_t i = 0; i < query.params.size(); ++i) {
      values[i] = query.params[i] ? query.params[i]->c_str() : nullptr;
    }
    if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                            nullptr, nullptr, 0) != 1) {
      send_failed = true;
      break;
    }
    sent.push_back({std::move(name), Kind::kExecute});
  }
  if (commit && !send_failed) send_failed = !send_control("COMMIT");
  if (PQpipelineSync(conn_) != 1) {
    // Nothing can be read back reliably: drop the connection (the pool closes broken ones).
    broken_ = true;
    return absl::UnavailableError("database connection lost");
  }
  absl::Status first_error =
      send_failed ? absl::UnavailableError("database connection lost") : absl::OkStatus();
  for (const Sent& item : sent) {
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) {
      broken_ = true;
      return absl::UnavailableError("database connection lost");
    }
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      if (item.kind == Kind::kPrepare) {
        prepared_.insert(item.name);
      } else if (item.kind == Kind::kExecute) {
        results.push_back(result);
      }
    } else if (first_error.ok()) {
      first_error = status == PGRES_PIPELINE_ABORTED ? absl::InternalError("pipeline aborted")
                                                     : StatusFromResult(conn_, raw);
    }
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);  // up to the NULL separator
  }
  while (PGresult* sync = PQgetResult(conn_)) {
    const bool done = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (done) break;
  }
  if (PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    return absl::UnavailableError("database connection lost");
  }
  UW_RETURN_IF_ERROR(CheckConnection());
  if (!first_error.ok()) return first_error;
  return results;
}

absl::Status Connection::ExecScript(absl::string_view sql) {
  if (Broken()) return absl::UnavailableError("database connection lost");
  std::string script(sql);
  if (!pending_begin_.empty()) {  // a transaction's first statements: one round trip with BEGIN
    script = absl::StrCat(pending_begin_, "; ", script);
    pending_begin_.clear();
  }
  PGresult* raw = PQexec(conn_, script.c_str());
  Result result(raw);
  const ExecStatusType exec_status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (exec_status == PGRES_COMMAND_OK || exec_status == PGRES_TUPLES_OK) return absl::OkStatus();
  absl::Status status = StatusFromResult(conn_, raw);
  UW_RETURN_IF_ERROR(CheckConnection());
  return status;
}

}  // namespace uwallet::pg

namespace uwallet::pg {

// ---- Pool ----

Pool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  if (options.size < 1 || options.size > 256) {
    return absl::InvalidArgumentError("pool size must be in 1..256");
  }
  for (char c : options.search_path) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return absl::InvalidArgumentError("search_path must be a plain lower-case schema name");
    }
  }
  auto pool = std::unique_ptr<Pool>(new Pool(std::move(options)));
  // Connect once up front so that a wrong address is a startup error, not a first-request error.
  UW_ASSIGN_OR_RETURN(auto conn, pool->Connect());
  std::lock_guard<std::mutex> lock(pool->mutex_);
  pool->open_ = 1;
  pool->idle_.push_back(std::move(conn));
  return pool;
}

Pool::~Pool() {
  std::unique_lock<std::mutex> lock(mutex_);
  UW_CHECK(static_cast<int>(idle_.size()) == open_);  // every lease returned before destruction
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<Connection>> Pool::Connect() {
  std::string options = absl::StrCat("-c client_min_messages=warning -c statement_timeout=",
                                     absl::ToInt64Milliseconds(options_.statement_timeout));
  if (!options_.search_path.empty())
    absl::StrAppend(&options, " -c search_path=", options_.search_path);
  const std::string timeout =
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options_.connect_timeout)));
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", "options", nullptr};
  const char* values[] = {options_.conninfo.c_str(), timeout.c_str(),
                          options_.application_name.c_str(), options.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("out of memory connecting to database");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    log::Warn("postgres connect failed", {{"error", why}});
    return absl::UnavailableError("database unavailable");
  }
  return std::unique_ptr<Connection>(new Connection(conn));
}

absl::StatusOr<Pool::Lease> Pool::Acquire() {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::microseconds(absl::ToInt64Microseconds(options_.acquire_timeout));
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      absl::StatusOr<std::unique_ptr<Connection>> conn = Connect();
      if (!conn.ok()) {
        lock.lock();
        --open_;
        available_.notify_one();
        return conn.status();
      }
      return Lease(this, *std::move(conn));
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return absl::UnavailableError("database pool exhausted");
    }
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (or broken) is not reused.
  const bool reusable = !conn->Broken() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  std::lock_guard<std::mutex> lock(mutex_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    conn.reset();
    --open_;
  }
  available_.notify_one();
}

int Pool::InUse() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_ - static_cast<int>(idle_.size());
}

int Pool::Idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(idle_.size());
}

absl::StatusOr<Result> Pool::Exec(absl::string_view sql, const Params& params) {
  UW_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return lease->Exec(sql, params);
}

absl::Status Pool::Transact(const std::function<absl::Status(Connection&)>& body,
                            const TransactionOptions& options) {
  std::string begin = "BEGIN ISOLATION LEVEL ";
  switch (options.isolation) {
    case TransactionOptions::Isolation::kReadCommitted:
      begin += "READ COMMITTED";
      break;
    case TransactionOptions::Isolation::kRepeatableRead:
      begin += "REPEATABLE READ";
      break;
    case TransactionOptions::Isolation::kSerializable:
      begin += "SERIALIZABLE";
      break;
  }
  if (options.read_only) begin += " READ ONLY";
  thread_local std::mt19937 jitter(std::random_device{}());
  absl::Status status;
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    UW_ASSIGN_OR_RETURN(Lease lease, Acquire());
    // The BEGIN is sent with the body's first statements (one round trip less); a body that
    // runs nothing never begins.
    lease->pending_begin_ = begin;
    lease->committed_ = false;
    lease->in_transact_ = true;
    status = body(*lease);
    const bool began = lease->pending_begin_.empty();
    lease->pending_begin_.clear();
    lease->in_transact_ = false;
    if (status.ok()) {
      if (began && !lease->committed_) status = lease->ExecScript("COMMIT");
    } else if (began && !lease->committed_ && !lease->Broken()) {
      (void)lease->ExecScript("ROLLBACK");  // the body's error is the one that matters
    }
    if (status.ok() || status.code() != absl::StatusCode::kAborted) return status;
    // Serialization failure or deadlock: back off (jittered, growing) and run the body again.
    const int max_ms = std::min(100, 2 << attempt);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(1, max_ms)(jitter)));
  }
  return status;
}

}  // namespace uwallet::pg
