// Runs against the real PostgreSQL started by tools/test (UWALLET_TEST_PG_DSN).
#include <atomic>
#include <barrier>
#include <catch2/catch.hpp>
#include <thread>

#include "absl/time/clock.h"
#include "uwallet/pg/pg.h"
#include "uwallet/testing/pg_fixture.h"

namespace uwallet::pg {
namespace {

using testing::PgSchema;

TEST_CASE("queries, parameters, NULLs and prepared reuse") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE t (id bigint PRIMARY KEY, name text)").ok());
  for (int64_t i = 0; i < 5; ++i) {
    REQUIRE(
        pool.Exec("INSERT INTO t VALUES ($1, $2)", P(i, i % 2 ? Param("odd") : std::nullopt)).ok());
  }
  auto result = pool.Exec("SELECT id, name FROM t WHERE id >= $1 ORDER BY id", P(3));
  REQUIRE(result.ok());
  REQUIRE(result->Rows() == 2);
  REQUIRE(result->Int(0, 0) == 3);
  REQUIRE(result->String(0, 1) == "odd");
  REQUIRE(result->IsNull(1, 1));
  REQUIRE(pool.Exec("UPDATE t SET name = 'x' WHERE id < 3")->Affected() == 3);
}

TEST_CASE("a pipeline runs several statements in one round trip, prepared once") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE p (id bigint PRIMARY KEY, n bigint CHECK (n >= 0))").ok());
  const std::vector<Connection::Query> work = {
      {"INSERT INTO p SELECT * FROM unnest($1::bigint[], $2::bigint[])",
       P("{1,2,3}", "{10,20,30}")},
      {"UPDATE p SET n = n + $1 WHERE id = ANY($2::bigint[])", P(5, "{1,2}")},
      {"SELECT id, n FROM p ORDER BY id", {}}};
  REQUIRE(pool.Transact([&](Connection& tx) -> absl::Status {
                UW_ASSIGN_OR_RETURN(std::vector<Result> results, tx.ExecPipeline(work));
                REQUIRE(results.size() == 3);
                REQUIRE(results[1].Affected() == 2);
                REQUIRE(results[2].Rows() == 3);
                REQUIRE(results[2].Int(0, 1) == 15);
                // Again on the same connection: the statements are prepared already; mixed with
                // a plain Exec of the same text.
                REQUIRE(tx.Exec("SELECT id, n FROM p ORDER BY id")->Rows() == 3);
                UW_ASSIGN_OR_RETURN(results, tx.ExecPipeline({work[2], work[2]}));
                REQUIRE(results.size() == 2);
                return absl::OkStatus();
              })
              .ok());
  // A failing statement: its status (mapped like Exec's), the rest skipped, nothing kept.
  absl::Status status = pool.Transact(
      [&](Connection& tx) -> absl::Status {
        return tx
            .ExecPipeline({{"UPDATE p SET n = n + 1", {}},
                           {"UPDATE p SET n = n - $1 WHERE id = 1", P(100)},
                           {"UPDATE p SET n = 0", {}}})
            .status();
      },
      {.max_attempts = 1});
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ConstraintOf(status) == "p_n_check");
  auto rows = pool.Exec("SELECT sum(n) FROM p");
  REQUIRE(rows->Int(0, 0) == 15 + 25 + 30);
  REQUIRE(pool.Exec("SELECT 1")->Rows() == 1);  // the connection came back usable
}

TEST_CASE("errors map to codes: duplicate key, check constraint, bad input") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE w (id int PRIMARY KEY,"
                    " balance bigint CONSTRAINT w_not_negative CHECK (balance >= 0))")
              .ok());
  REQUIRE(pool.Exec("INSERT INTO w VALUES (1, 10)").ok());
  absl::Status dup = pool.Exec("INSERT INTO w VALUES (1, 10)").status();
  REQUIRE(dup.code() == absl::StatusCode::kAlreadyExists);
  absl::Status negative = pool.Exec("UPDATE w SET balance = balance - 11 WHERE id = 1").status();
  REQUIRE(negative.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ConstraintOf(negative) == "w_not_negative");
  absl::Status overflow =
      pool.Exec("UPDATE w SET balance = balance + $1 WHERE id = 1", P(INT64_MAX)).status();
  REQUIRE(overflow.code() == absl::StatusCode::kInvalidArgument);
  absl::Status bad = pool.Exec("SELECT $1::bigint", P("twelve")).status();
  REQUIRE(bad.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("transactions commit or roll back as a whole") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE t (id int PRIMARY KEY)").ok());
  absl::Status status = pool.Transact([](Connection& conn) -> absl::Status {
    UW_RETURN_IF_ERROR(conn.Exec("INSERT INTO t VALUES (1)").status());
    return conn.Exec("INSERT INTO t VALUES (1)").status();  // duplicate: the whole thing fails
  });
  REQUIRE(status.code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(pool.Exec("SELECT count(*) FROM t")->Int(0, 0) == 0);
  REQUIRE(
      pool.Transact([](Connection& conn) { return conn.Exec("INSERT INTO t VALUES (2)").status(); })
          .ok());
  REQUIRE(pool.Exec("SELECT count(*) FROM t")->Int(0, 0) == 1);
  REQUIRE(pool.InUse() == 0);
}

TEST_CASE("BEGIN travels with the first statement; the last pipeline can carry the COMMIT") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE c (id int PRIMARY KEY, n int CHECK (n >= 0))").ok());
  // The first statement runs inside the transaction although BEGIN was not sent on its own: it
  // sees the isolation level the BEGIN asked for.
  REQUIRE(pool.Transact(
                  [](Connection& conn) -> absl::Status {
                    UW_ASSIGN_OR_RETURN(
                        Result level, conn.Exec("SELECT current_setting('transaction_isolation')"));
                    REQUIRE(level.String(0, 0) == "repeatable read");
                    return absl::OkStatus();
                  },
                  {.isolation = TransactionOptions::Isolation::kRepeatableRead})
              .ok());
  REQUIRE(pool.Transact(
                  [](Connection& conn) -> absl::Status {
                    UW_ASSIGN_OR_RETURN(std::vector<Result> level,
                                        conn.ExecPipeline({{"SELECT current_setting("
                                                            "'transaction_isolation')",
                                                            {}}}));
                    REQUIRE(level[0].String(0, 0) == "serializable");
                    return absl::OkStatus();
                  },
                  {.isolation = TransactionOptions::Isolation::kSerializable})
              .ok());
  // Commit in the same round trip as the last statements: visible to another connection.
  REQUIRE(pool.Transact([](Connection& conn) -> absl::Status {
                UW_RETURN_IF_ERROR(conn.Exec("INSERT INTO c VALUES (1, 1)").status());
                UW_ASSIGN_OR_RETURN(
                    std::vector<Result> results,
                    conn.ExecPipelineAndCommit({{"INSERT INTO c VALUES (2, 2)", {}},
                                                {"UPDATE c SET n = n + 1 WHERE id = 1", {}}}));
                REQUIRE(results.size() == 2);
                REQUIRE(results[1].Affected() == 1);
                return absl::OkStatus();
              })
              .ok());
  auto other = schema.NewPool(1);
  REQUIRE(other->Exec("SELECT sum(n) FROM c")->Int(0, 0) == 4);
  // A failing statement in that pipeline: the COMMIT is skipped and everything rolls back,
  // including what ran before the pipeline; the connection comes back usable.
  absl::Status status = pool.Transact(
      [](Connection& conn) -> absl::Status {
        UW_RETURN_IF_ERROR(conn.Exec("INSERT INTO c VALUES (3, 3)").status());
        return conn
            .ExecPipelineAndCommit({{"INSERT INTO c VALUES (4, 4)", {}},
                                    {"UPDATE c SET n = n - 10 WHERE id = 1", {}},
                                    {"INSERT INTO c VALUES (5, 5)", {}}})
            .status();
      },
      {.max_attempts = 1});
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(other->Exec("SELECT count(*), sum(n) FROM c")->Int(0, 0) == 2);
  REQUIRE(other->Exec("SELECT sum(n) FROM c")->Int(0, 0) == 4);
  REQUIRE(pool.Exec("SELECT 1")->Rows() == 1);
  REQUIRE(pool.InUse() == 0);
  // Only inside Transact.
  auto lease = pool.Acquire();
  REQUIRE(lease.ok());
  REQUIRE((*lease)->ExecPipelineAndCommit({{"SELECT 1", {}}}).status().code() ==
          absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a transaction whose body runs nothing sends nothing, and its connection is reused") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Transact([](Connection&) { return absl::OkStatus(); }).ok());
  REQUIRE(pool.Transact([](Connection&) { return absl::NotFoundError("nothing to do"); }).code() ==
          absl::StatusCode::kNotFound);
  REQUIRE(
      pool.Transact([](Connection& conn) { return conn.ExecPipelineAndCommit({}).status(); }).ok());
  REQUIRE(pool.InUse() == 0);
  REQUIRE(pool.Idle() == 1);  // the same connection each time, left idle (not in a block)
  // A script as the first statement also runs inside the block.
  REQUIRE(pool.Exec("CREATE TABLE s (id int PRIMARY KEY)").ok());
  absl::Status status = pool.Transact(
      [](Connection& conn) -> absl::Status {
        UW_RETURN_IF_ERROR(conn.ExecScript("INSERT INTO s VALUES (1); INSERT INTO s VALUES (2)"));
        return conn.Exec("INSERT INTO s VALUES (1)").status();
      },
      {.max_attempts = 1});
  REQUIRE(status.code() == absl::StatusCode::kAlreadyExists);
  REQUIRE(pool.Exec("SELECT count(*) FROM s")->Int(0, 0) == 0);
}

TEST_CASE("serialization failures are retried until the work is done once each") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)").ok());
  REQUIRE(pool.Exec("INSERT INTO counter VALUES (1, 0)").ok());
  std::atomic<int> attempts{0};
  std::barrier both_read(2);
  std::atomic<bool> first_round{true};
  auto work = [&] {
    return pool.Transact(
        [&](Connection& conn) -> absl::Status {
          attempts.fetch_add(1);
          UW_ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT n FROM counter WHERE id = 1"));
          // Make both transactions read before either writes, the first time round only.
          if (first_round.load()) both_read.arrive_and_wait();
          first_round.store(false);
          return conn.Exec("UPDATE counter SET n = $1 WHERE id = 1", P(r.Int(0, 0) + 1)).status();
        },
        {.isolation = TransactionOptions::Isolation::kSerializable, .max_attempts = 10});
  };
  absl::Status a, b;
  std::thread ta([&] { a = work(); });
  std::thread tb([&] { b = work(); });
  ta.join();
  tb.join();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(pool.Exec("SELECT n FROM counter")->Int(0, 0) == 2);  // no lost update
  REQUIRE(attempts.load() >= 3);                                // one of them was retried
}

TEST_CASE("retries are bounded: a body that always conflicts gives ABORTED") {
  PgSchema schema;
  int calls = 0;
  absl::Status status = schema.pool().Transact(
      [&](Connection&) -> absl::Status {
        ++calls;
        return absl::AbortedError("always");
      },
      {.max_attempts = 3});
  REQUIRE(status.code() == absl::StatusCode::kAborted);
  REQUIRE(calls == 3);
}

TEST_CASE("pool exhaustion waits, then answers UNAVAILABLE; a returned connection unblocks") {
  PgSchema schema;
  auto options = schema.Options(1);
  options.acquire_timeout = absl::Milliseconds(200);
  auto pool = Pool::Create(options);
  REQUIRE(pool.ok());
  {
    auto held = (*pool)->Acquire();
    REQUIRE(held.ok());
    const absl::Time start = absl::Now();
    auto second = (*pool)->Acquire();
    REQUIRE(second.status().code() == absl::StatusCode::kUnavailable);
    REQUIRE(absl::Now() - start >= absl::Milliseconds(190));
    REQUIRE((*pool)->InUse() == 1);
  }
  REQUIRE((*pool)->Acquire().ok());
}

TEST_CASE("statement timeout gives DEADLINE_EXCEEDED and the connection stays usable") {
  PgSchema schema;
  auto options = schema.Options(1);
  options.statement_timeout = absl::Milliseconds(100);
  auto pool = Pool::Create(options);
  REQUIRE(pool.ok());
  REQUIRE((*pool)->Exec("SELECT pg_sleep(2)").status().code() ==
          absl::StatusCode::kDeadlineExceeded);
  REQUIRE((*pool)->Exec("SELECT 1")->Int(0, 0) == 1);
}

TEST_CASE("a connection dropped inside a transaction is UNAVAILABLE, never half-applied") {
  PgSchema schema;
  Pool& pool = schema.pool();
  REQUIRE(pool.Exec("CREATE TABLE t (id int PRIMARY KEY)").ok());
  absl::Status status = pool.Transact([&](Connection& conn) -> absl::Status {
    UW_RETURN_IF_ERROR(conn.Exec("INSERT INTO t VALUES (1)").status());
    UW_ASSIGN_OR_RETURN(Result pid, conn.Exec("SELECT pg_backend_pid()"));
    // Another session kills this backend, as a crash or failover would.
    auto killer = schema.NewPool(1);
    UW_RETURN_IF_ERROR(killer->Exec("SELECT pg_terminate_backend($1)", P(pid.Int(0, 0))).status());
    return conn.Exec("INSERT INTO t VALUES (2)").status();
  });
  REQUIRE(status.code() == absl::StatusCode::kUnavailable);
  REQUIRE(pool.Exec("SELECT count(*) FROM t")->Int(0, 0) == 0);  // a new connection, nothing kept
  REQUIRE(pool.InUse() == 0);
}

TEST_CASE("a wrong address fails at start-up, quickly") {
  const absl::Time start = absl::Now();
  auto pool = Pool::Create(
      {.conninfo = "host=127.0.0.1 port=1 dbname=x user=x", .connect_timeout = absl::Seconds(1)});
  REQUIRE(pool.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(absl::Now() - start < absl::Seconds(5));
}

}  // namespace
}  // namespace uwallet::pg
