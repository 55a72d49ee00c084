#pragma once
// Numbered SQL migrations, applied at start-up. Each service owns one schema; its migrations are
// compiled into its binary (uw_embed_migrations in CMake) so a container needs no SQL files.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "uwallet/pg/pg.h"

namespace uwallet::pg {

struct Migration {
  int version;       // from the file name: 0001_create_users.sql → 1
  std::string name;  // "create_users"
  std::string sql;
};

// Applies the migrations not yet recorded in <schema>.schema_migrations, in version order, each in
// its own transaction. An advisory lock per schema makes it safe to run from several replicas at
// once: one applies, the others wait and then find nothing to do. An applied migration whose text
// has changed since is refused (FAILED_PRECONDITION): fix forward with a new migration instead.
[[nodiscard]] absl::Status Migrate(Pool& pool, const std::string& schema,
                                   const std::vector<Migration>& migrations);

// Quotes an identifier for SQL ("my schema" → "\"my schema\"").
[[nodiscard]] std::string QuoteIdentifier(absl::string_view identifier);

}  // namespace uwallet::pg
