#pragma once
// PostgreSQL access for every service: a bounded pool of libpq connections, statements that are
// prepared automatically on first use per connection, transactions with bounded retries on
// serialization failures and deadlocks, and the one place where SQLSTATEs become status codes.

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "uwallet/common/status.h"

namespace uwallet::pg {

// One query parameter in text format; std::nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// Builds Params from C++ values: P(42, "text", std::nullopt, true).
inline Param ToParam(std::nullopt_t) { return std::nullopt; }
inline Param ToParam(const std::string& v) { return v; }
inline Param ToParam(absl::string_view v) { return std::string(v); }
inline Param ToParam(const char* v) { return std::string(v); }
inline Param ToParam(bool v) { return v ? "t" : "f"; }
inline Param ToParam(int v) { return std::to_string(v); }
inline Param ToParam(int64_t v) { return std::to_string(v); }
inline Param ToParam(uint64_t v) { return std::to_string(v); }
inline Param ToParam(const Param& v) { return v; }
template <typename... Args>
Params P(const Args&... args) {
  return Params{ToParam(args)...};
}

// A query result (text format). Rows and columns are bounds-checked by the accessors.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result, &PQclear) {}

  [[nodiscard]] int Rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  [[nodiscard]] int Columns() const { return result_ ? PQnfields(result_.get()) : 0; }
  [[nodiscard]] bool IsNull(int row, int column) const;
  [[nodiscard]] std::string String(int row, int column) const;
  [[nodiscard]] int64_t Int(int row, int column) const;
  [[nodiscard]] bool Bool(int row, int column) const;
  [[nodiscard]] std::optional<std::string> OptionalString(int row, int column) const;
  // Rows changed by INSERT/UPDATE/DELETE.
  [[nodiscard]] int64_t Affected() const;

 private:
  std::shared_ptr<PGresult> result_;
};

// Maps a failed libpq result (or connection) to a status. The single place where SQLSTATEs become
// codes: 23505 → ALREADY_EXISTS, 23503/23514/P0001 → FAILED_PRECONDITION, 22xxx/23502 →
// INVALID_ARGUMENT, 40001/40P01 → ABORTED, 57014 → DEADLINE_EXCEEDED, 08xxx/57P0x/lost connection →
// UNAVAILABLE, 53xxx → RESOURCE_EXHAUSTED, 42501 → PERMISSION_DENIED, anything else → INTERNAL.
// The message never contains SQL text; the SQLSTATE and constraint name ride along as payloads.
[[nodiscard]] absl::Status StatusFromSqlState(absl::string_view sqlstate,
                                              absl::string_view constraint,
                                              absl::string_view detail);
[[nodiscard]] std::string SqlStateOf(const absl::Status& status);
[[nodiscard]] std::string ConstraintOf(const absl::Status& status);
// The text of a RAISE EXCEPTION (SQLSTATE P0001) from a trigger, e.g. "TRANSFERS_ARE_IMMUTABLE".
[[nodiscard]] std::string RaisedMessageOf(const absl::Status& status);

struct PoolOptions {
  std::string conninfo;     // libpq connection string
  std::string search_path;  // the service's schema; empty → server default
  int size = 8;             // connections at most
  absl::Duration acquire_timeout = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration statement_timeout = absl::Seconds(5);  // per query, enforced by the server
  std::string application_name = "uwallet";
};

class Pool;

// A borrowed connection. Statements are prepared on first use and reused afterwards.
class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  [[nodiscard]] absl::StatusOr<Result> Exec(absl::string_view sql, const Params& params = {});
  // Runs several statements in ONE round trip (libpq pipeline mode), each prepared on first use
  // like Exec. Returns their results in order, or the first failing statement's status: the server
  // skips the rest, so inside a transaction, roll back. For writers that batch many changes per
  // transaction. Keep results small (the connection is blocking: a pipeline whose results fill the
  // socket buffers while the client is still sending could stall).
  struct Query {
    std::string sql;
    Params params;
  };
  [[nodiscard]] absl::StatusOr<std::vector<Result>> ExecPipeline(const std::vector<Query>& queries);
  // Inside Pool::Transact only: ExecPipeline, then COMMIT in the same round trip. The body's last
  // statements go this way when nothing is left to check after them; if one fails, the server
  // skips the COMMIT and Transact rolls back. Once it returns OK, the transaction is committed
  // (Transact sends no COMMIT of its own).
  [[nodiscard]] absl::StatusOr<std::vector<Result>> ExecPipelineAndCommit(
      const std::vector<Query>& queries);
  // Runs one or more statements with no parameters (simple protocol), e.g. migrations.
  [[nodiscard]] absl::Status ExecScript(absl::string_view sql);
  [[nodiscard]] bool Broken() const;
  PGconn* raw() { return conn_; }

 private:
  friend class Pool;
  explicit Connection(PGconn* conn) : conn_(conn) {}
  absl::Status CheckConnection();
  absl::StatusOr<std::vector<Result>> RunPipeline(const std::vector<Query>& queries, bool commit);

  PGconn* conn_;
  std::unordered_set<std::string> prepared_;
  bool broken_ = false;
  // Set by Pool::Transact: the BEGIN travels with the body's first statements instead of costing
  // a round trip of its own; empty once sent.
  std::string pending_begin_;
  // Set when ExecPipelineAndCommit committed the transaction.
  bool committed_ = false;
  bool in_transact_ = false;
};

struct TransactionOptions {
  enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };
  Isolation isolation = Isolation::kReadCommitted;
  bool read_only = false;
  int max_attempts = 5;  // attempts on 40001/40P01, with jittered backoff between them
};

class Pool {
 public:
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  static absl::StatusOr<std::unique_ptr<Pool>> Create(PoolOptions options);
  ~Pool();

  // Borrows a connection, waiting at most acquire_timeout (then UNAVAILABLE: pool exhausted).
  [[nodiscard]] absl::StatusOr<Lease> Acquire();

  // Runs `body` in a transaction. Serialization failures and deadlocks are retried (the whole body
  // runs again, so it must only touch the database); other errors roll back and are returned. A
  // lost connection rolls back on the server and is reported as UNAVAILABLE: the caller retries
  // with its idempotency key, nothing is ever half-applied.
  [[nodiscard]] absl::Status Transact(const std::function<absl::Status(Connection&)>& body,
                                      const TransactionOptions& options = {});

  // One statement on a pooled connection, outside an explicit transaction.
  [[nodiscard]] absl::StatusOr<Result> Exec(absl::string_view sql, const Params& params = {});

  [[nodiscard]] int InUse() const;
  [[nodiscard]] int Idle() const;
  [[nodiscard]] const PoolOptions& options() const { return options_; }

 private:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::unique_ptr<Connection>> Connect();
  void Release(std::unique_ptr<Connection> conn);

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections that exist (idle + borrowed)
};

}  // namespace uwallet::pg
