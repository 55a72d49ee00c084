#include "uwallet/common/cores.h"

#include <sched.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "uwallet/common/file.h"

namespace uwallet {
namespace {

std::string ReadOrEmpty(const std::string& path) { return ReadFile(path).value_or(""); }

std::optional<int> Quota(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>(std::max<int64_t>(1, (quota + period - 1) / period));
}

}  // namespace

namespace internal {

std::optional<int> CoresFromCpuMax(const std::string& cpu_max) {
  const std::vector<std::string> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(cpu_max), ' ', absl::SkipEmpty());
  int64_t quota = 0;
  int64_t period = 0;
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &quota) ||
      !absl::SimpleAtoi(fields[1], &period)) {
    return std::nullopt;  // "max ..." (no limit) or unreadable
  }
  return Quota(quota, period);
}

std::optional<int> CoresFromCfs(const std::string& quota_us, const std::string& period_us) {
  int64_t quota = 0;
  int64_t period = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(quota_us), &quota) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(period_us), &period)) {
    return std::nullopt;
  }
  return Quota(quota, period);
}

}  // namespace internal

int UsableCores() {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = CPU_COUNT(&set);
  std::optional<int> quota = internal::CoresFromCpuMax(ReadOrEmpty("/sys/fs/cgroup/cpu.max"));
  if (!quota) {
    quota = internal::CoresFromCfs(ReadOrEmpty("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                                   ReadOrEmpty("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
  }
  if (quota) cores = cores > 0 ? std::min(cores, *quota) : *quota;
  return std::max(1, cores);
}

}  // namespace uwallet
