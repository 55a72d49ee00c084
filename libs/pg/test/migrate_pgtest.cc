#include <catch2/catch.hpp>
#include <thread>

#include "uwallet/pg/migrate.h"
#include "uwallet/testing/pg_fixture.h"

namespace uwallet::pg {
namespace {

std::vector<Migration> TwoMigrations() {
  return {{2, "add_email", "ALTER TABLE users ADD COLUMN email text;"},
          {1, "create_users",
           "CREATE TABLE users (id bigint PRIMARY KEY);"
           "CREATE INDEX users_id ON users (id);"}};
}

TEST_CASE("migrations apply in order, once") {
  testing::PgSchema schema;
  const std::string target = schema.name() + "_svc";
  REQUIRE(Migrate(schema.pool(), target, TwoMigrations()).ok());
  REQUIRE(Migrate(schema.pool(), target, TwoMigrations()).ok());  // idempotent
  auto rows = schema.pool().Exec("SELECT version, name FROM " + target +
                                 ".schema_migrations ORDER BY version");
  REQUIRE(rows->Rows() == 2);
  REQUIRE(rows->String(1, 1) == "add_email");
  REQUIRE(schema.pool().Exec("INSERT INTO " + target + ".users VALUES (1, 'a@b.c')").ok());
  REQUIRE(schema.pool().Exec("DROP SCHEMA " + target + " CASCADE").ok());
}

TEST_CASE("two replicas migrating at once: one applies, both succeed") {
  testing::PgSchema schema;
  const std::string target = schema.name() + "_svc";
  auto other = schema.NewPool(2);
  absl::Status a, b;
  std::thread ta([&] { a = Migrate(schema.pool(), target, TwoMigrations()); });
  std::thread tb([&] { b = Migrate(*other, target, TwoMigrations()); });
  ta.join();
  tb.join();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(schema.pool().Exec("SELECT count(*) FROM " + target + ".schema_migrations")->Int(0, 0) ==
          2);
  REQUIRE(schema.pool().Exec("DROP SCHEMA " + target + " CASCADE").ok());
}

TEST_CASE("an applied migration that changed is refused; a failing one leaves nothing") {
  testing::PgSchema schema;
  const std::string target = schema.name() + "_svc";
  REQUIRE(Migrate(schema.pool(), target, TwoMigrations()).ok());
  auto edited = TwoMigrations();
  edited[0].sql = "ALTER TABLE users ADD COLUMN phone text;";
  REQUIRE(Migrate(schema.pool(), target, edited).code() == absl::StatusCode::kFailedPrecondition);

  auto broken = TwoMigrations();
  broken.push_back({3, "broken", "CREATE TABLE good (id int); SELECT no_such_function();"});
  REQUIRE_FALSE(Migrate(schema.pool(), target, broken).ok());
  REQUIRE(schema.pool()
              .Exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'good'",
                    P(target))
              ->Int(0, 0) == 0);
  REQUIRE(Migrate(schema.pool(), target, {{1, "x", "SELECT 1;"}, {1, "y", "SELECT 2;"}}).code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(schema.pool().Exec("DROP SCHEMA " + target + " CASCADE").ok());
}

}  // namespace
}  // namespace uwallet::pg
