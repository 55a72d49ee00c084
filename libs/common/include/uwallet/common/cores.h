#pragma once
// How many CPUs this process may really use: the CPUs it may run on (sched_getaffinity), capped by
// its cgroup's CPU quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us) rounded
// up. In a Kubernetes pod with `limits.cpu: 1` on a 64-core node, std::thread::hardware_concurrency
// says 64; this says 1. At least 1.

#include <optional>
#include <string>

namespace uwallet {

[[nodiscard]] int UsableCores();

namespace internal {
// The quota in CPUs (rounded up) from the text of cgroup v2 `cpu.max` ("max 100000" or
// "QUOTA PERIOD"); nullopt when unlimited or unreadable.
[[nodiscard]] std::optional<int> CoresFromCpuMax(const std::string& cpu_max);
// The same from cgroup v1's cpu.cfs_quota_us ("-1" when unlimited) and cpu.cfs_period_us.
[[nodiscard]] std::optional<int> CoresFromCfs(const std::string& quota_us,
                                              const std::string& period_us);
}  // namespace internal

}  // namespace uwallet
