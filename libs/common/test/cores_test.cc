#include <catch2/catch.hpp>
#include <thread>

#include "uwallet/common/cores.h"

namespace uwallet {
namespace {

TEST_CASE("a cgroup v2 CPU quota is read in whole CPUs, rounded up") {
  CHECK(internal::CoresFromCpuMax("100000 100000\n") == 1);
  CHECK(internal::CoresFromCpuMax("150000 100000\n") == 2);  // limits.cpu: 1500m
  CHECK(internal::CoresFromCpuMax("50000 100000") == 1);     // 500m still gets one hash slot
  CHECK(internal::CoresFromCpuMax("400000 100000") == 4);
  CHECK_FALSE(internal::CoresFromCpuMax("max 100000\n").has_value());  // no limit
  CHECK_FALSE(internal::CoresFromCpuMax("").has_value());              // no cgroup v2 file
  CHECK_FALSE(internal::CoresFromCpuMax("garbage").has_value());
  CHECK_FALSE(internal::CoresFromCpuMax("0 100000").has_value());
}

TEST_CASE("a cgroup v1 CFS quota is read the same way") {
  CHECK(internal::CoresFromCfs("200000\n", "100000\n") == 2);
  CHECK(internal::CoresFromCfs("250000", "100000") == 3);
  CHECK_FALSE(internal::CoresFromCfs("-1\n", "100000\n").has_value());  // unlimited
  CHECK_FALSE(internal::CoresFromCfs("", "").has_value());
}

TEST_CASE("the usable cores are at least one and never more than the machine has") {
  const int cores = UsableCores();
  CHECK(cores >= 1);
  const unsigned machine = std::thread::hardware_concurrency();
  if (machine > 0) CHECK(cores <= static_cast<int>(machine));
}

}  // namespace
}  // namespace uwallet
