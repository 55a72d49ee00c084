#include "uwallet/testing/pg_fixture.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "uwallet/common/check.h"

namespace uwallet::testing {

std::string PgDsnOrSkip() {
  const char* dsn = std::getenv("UWALLET_TEST_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    std::fprintf(stderr, "UWALLET_TEST_PG_DSN is not set: skipping (tools/test sets it)\n");
    std::exit(77);
  }
  return dsn;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const uint32_t random = std::random_device{}() % 100000;
  return absl::StrCat(prefix, "_", getpid(), "_", counter.fetch_add(1), "_", random);
}

pg::PoolOptions PgSchema::Options(int size) const {
  return pg::PoolOptions{
      .conninfo = dsn_, .search_path = name_, .size = size, .application_name = "uwallet-test"};
}

PgSchema::PgSchema(const std::string& prefix, int pool_size)
    : dsn_(PgDsnOrSkip()), name_(UniqueName(prefix)) {
  auto pool = pg::Pool::Create(Options(pool_size));
  UW_CHECK_OK(pool.status());
  pool_ = *std::move(pool);
  UW_CHECK_OK(pool_->Exec(absl::StrCat("CREATE SCHEMA ", name_)).status());
}

PgSchema::~PgSchema() {
  (void)pool_->Exec(absl::StrCat("DROP SCHEMA IF EXISTS ", name_, " CASCADE"));
}

std::unique_ptr<pg::Pool> PgSchema::NewPool(int size) const {
  auto pool = pg::Pool::Create(Options(size));
  UW_CHECK_OK(pool.status());
  return *std::move(pool);
}

}  // namespace uwallet::testing
