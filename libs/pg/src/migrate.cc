#include "uwallet/pg/migrate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::pg {

std::string QuoteIdentifier(absl::string_view identifier) {
  return absl::StrCat("\"", absl::StrReplaceAll(identifier, {{"\"", "\"\""}}), "\"");
}

absl::Status Migrate(Pool& pool, const std::string& schema,
                     const std::vector<Migration>& migrations) {
  std::vector<Migration> ordered = migrations;
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 1; i < ordered.size(); ++i) {
    if (ordered[i].version == ordered[i - 1].version) {
      return absl::InvalidArgumentError(
          absl::StrCat("two migrations with version ", ordered[i].version));
    }
  }
  const std::string quoted = QuoteIdentifier(schema);
  const std::string table = absl::StrCat(quoted, ".schema_migrations");
  const std::string lock_key = absl::StrCat("uwallet.migrate.", schema);
  auto prepare = [&](Connection& conn) -> absl::Status {
    UW_RETURN_IF_ERROR(
        conn.Exec("SELECT pg_advisory_xact_lock(hashtext($1))", P(lock_key)).status());
    UW_RETURN_IF_ERROR(conn.ExecScript(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", quoted)));
    return conn.ExecScript(
        absl::StrCat("CREATE TABLE IF NOT EXISTS ", table,
                     " (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                     "  applied_at timestamptz NOT NULL DEFAULT now())"));
  };
  UW_RETURN_IF_ERROR(pool.Transact(prepare));

  for (const Migration& migration : ordered) {
    bool applied_now = false;
    absl::Status status = pool.Transact([&](Connection& conn) -> absl::Status {
      applied_now = false;
      // Serialises concurrent migrators of this schema; the second one sees the row and skips.
      UW_RETURN_IF_ERROR(
          conn.Exec("SELECT pg_advisory_xact_lock(hashtext($1))", P(lock_key)).status());
      UW_ASSIGN_OR_RETURN(Result existing, conn.Exec(absl::StrCat("SELECT checksum FROM ", table,
                                                                  " WHERE version = $1"),
                                                     P(migration.version)));
      UW_ASSIGN_OR_RETURN(Result checksum, conn.Exec("SELECT md5($1)", P(migration.sql)));
      if (existing.Rows() == 1) {
        if (existing.String(0, 0) != checksum.String(0, 0)) {
          return absl::FailedPreconditionError(
              absl::StrCat("migration ", migration.version, "_", migration.name, " of schema ",
                           schema, " changed after it was applied; add a new migration instead"));
        }
        return absl::OkStatus();
      }
      UW_RETURN_IF_ERROR(conn.ExecScript(absl::StrCat("SET LOCAL search_path TO ", quoted)));
      UW_RETURN_IF_ERROR(
          Annotate(conn.ExecScript(migration.sql),
                   absl::StrCat("migration ", migration.version, "_", migration.name)));
      UW_RETURN_IF_ERROR(conn.Exec(absl::StrCat("INSERT INTO ", table,
                                                " (version, name, checksum) VALUES ($1, $2, $3)"),
                                   P(migration.version, migration.name, checksum.String(0, 0)))
                             .status());
      applied_now = true;
      return absl::OkStatus();
    });
    UW_RETURN_IF_ERROR(status);
    if (applied_now) {
      log::Info("migration applied", {{"schema", schema},
                                      {"version", std::to_string(migration.version)},
                                      {"name", migration.name}});
    }
  }
  return absl::OkStatus();
}

}  // namespace uwallet::pg
