#pragma once
// Voids holds whose expiry has passed (state EXPIRED), through the batching writer so that expiry
// takes the same locks, in the same order, as every other posting. Several replicas may sweep at
// once: the engine re-checks each hold under its row lock, so a hold expires exactly once.

#include <atomic>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/ledger/core/reads.h"
#include "services/ledger/storage/batching_writer.h"
#include "uwallet/common/clock.h"

namespace uwallet::ledger {

inline constexpr int kSweepBatchMax = 200;

class HoldSweeper {
 public:
  HoldSweeper(LedgerReader& reader, BatchingWriter& writer, const Clock& clock,
              absl::Duration interval)
      : reader_(reader), writer_(writer), clock_(clock), interval_(interval) {}
  ~HoldSweeper() { Stop(); }

  // Expires what is due now (at most kSweepBatchMax holds); returns how many expired.
  [[nodiscard]] absl::StatusOr<int> SweepOnce();
  void Start();
  void Stop();

 private:
  LedgerReader& reader_;
  BatchingWriter& writer_;
  const Clock& clock_;
  absl::Duration interval_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace uwallet::ledger
