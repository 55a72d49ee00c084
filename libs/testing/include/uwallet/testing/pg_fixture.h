#pragma once
// Gives a test its own PostgreSQL schema on the server that tools/test started
// (UWALLET_TEST_PG_DSN), so tests run in parallel and never see each other's data. Without the
// variable the test binary exits 77, which CTest reports as skipped, never as passed.

#include <memory>
#include <string>

#include "uwallet/pg/pg.h"

namespace uwallet::testing {

// Returns the DSN, or exits 77 (skip) when it is not set.
[[nodiscard]] std::string PgDsnOrSkip();

// A unique lower-case name: "<prefix>_<pid>_<counter>_<random>".
[[nodiscard]] std::string UniqueName(const std::string& prefix);

class PgSchema {
 public:
  // Creates a fresh schema and a pool whose search_path points at it.
  explicit PgSchema(const std::string& prefix = "t", int pool_size = 4);
  ~PgSchema();  // drops the schema and everything in it

  const std::string& name() const { return name_; }
  pg::Pool& pool() { return *pool_; }
  // Another pool on the same schema (e.g. to act as a second replica).
  [[nodiscard]] std::unique_ptr<pg::Pool> NewPool(int size = 4) const;
  [[nodiscard]] pg::PoolOptions Options(int size) const;

 private:
  std::string dsn_;
  std::string name_;
  std::unique_ptr<pg::Pool> pool_;
};

}  // namespace uwallet::testing
