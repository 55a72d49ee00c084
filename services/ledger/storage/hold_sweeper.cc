#include "services/ledger/storage/hold_sweeper.h"

#include <chrono>
#include <future>

#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::ledger {

absl::StatusOr<int> HoldSweeper::SweepOnce() {
  UW_ASSIGN_OR_RETURN(std::vector<std::string> due,
                      reader_.ExpiredHoldIds(clock_.Now(), kSweepBatchMax));
  std::vector<std::future<OperationResult>> results;
  for (const std::string& hold_id : due) {
    auto promise = std::make_shared<std::promise<OperationResult>>();
    results.push_back(promise->get_future());
    writer_.Submit({.type = OperationType::kExpireHold, .hold_id = hold_id},
                   [promise](OperationResult result) { promise->set_value(std::move(result)); });
  }
  int expired = 0;
  absl::Status first_error;
  for (auto& result : results) {
    OperationResult outcome = result.get();
    if (outcome.status.ok()) {
      ++expired;
    } else if (outcome.status.code() == absl::StatusCode::kUnavailable ||
               outcome.status.code() == absl::StatusCode::kAborted) {
      if (first_error.ok()) first_error = outcome.status;
    }
    // Anything else: another replica expired it, or it was posted or voided meanwhile.
  }
  if (expired == 0 && !first_error.ok()) return first_error;
  return expired;
}

void HoldSweeper::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      absl::StatusOr<int> expired = SweepOnce();
      if (!expired.ok()) {
        log::Warn("hold sweep failed; retrying", {{"error", expired.status().ToString()}});
      } else if (*expired > 0) {
        log::Info("holds expired", {{"count", std::to_string(*expired)}});
      }
      // Sleep in short steps so that Stop is prompt; go again at once while there is a backlog.
      if (expired.ok() && *expired >= kSweepBatchMax) continue;
      const absl::Time until = absl::Now() + interval_;
      while (!stop_.load() && absl::Now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
}

void HoldSweeper::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace uwallet::ledger
