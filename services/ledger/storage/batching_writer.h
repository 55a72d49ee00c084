#pragma once
// The batching writer: groups the operations that arrive within a short window (at most
// `batch_max` of them, waiting at most `wait_max` after the first) into ONE database transaction,
// so that many callers share one commit (one WAL flush), while each still gets its own result and
// a failing operation does not fail its neighbours (the engine runs each in its own workspace).
//
// `workers` transactions run at once, so a batch fills while the previous one commits: under load
// batches grow by themselves. A batch waits for its window only while another transaction is in
// flight; an idle writer sends a lone request at once.
//
// If a whole batch fails for a reason other than an unreachable database (e.g. retries on
// conflicts exhausted), each of its operations is run again alone so that one bad neighbour cannot
// take the others down. The queue is bounded: when full, Submit answers RESOURCE_EXHAUSTED.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "services/ledger/core/engine.h"
#include "services/ledger/core/repository.h"

namespace uwallet::ledger {

struct WriterOptions {
  int batch_max = 128;                                // operations per transaction
  absl::Duration wait_max = absl::Microseconds(200);  // how long a batch may wait to fill
  int workers = 4;                                    // transactions in flight at once
  int queue_max = 20000;                              // operations waiting, at most
  // With no transaction in flight, a batch goes at once instead of waiting for its window.
  bool eager_when_idle = true;
  // Called after every batch transaction (metrics): its size, how long it took, whether it
  // committed.
  std::function<void(int operations, absl::Duration took, bool committed)> on_batch;
};

struct WriterStats {
  int64_t batches = 0;
  int64_t operations = 0;
  int64_t fallbacks = 0;  // batches re-run one operation at a time
  int64_t largest_batch = 0;
};

class BatchingWriter {
 public:
  using Callback = std::function<void(OperationResult)>;

  BatchingWriter(PostingEngine& engine, LedgerStore& store, WriterOptions options);
  ~BatchingWriter();
  BatchingWriter(const BatchingWriter&) = delete;
  BatchingWriter& operator=(const BatchingWriter&) = delete;

  void Start();
  // Runs what is queued, then stops the workers. Later submissions are refused (UNAVAILABLE).
  void Stop();

  // Queues `operation`; `done` runs exactly once, on a writer thread, or inline when refused.
  void Submit(Operation operation, Callback done);
  // Submits and waits for the result.
  [[nodiscard]] OperationResult Execute(Operation operation);

  [[nodiscard]] WriterStats Stats() const;
  [[nodiscard]] const WriterOptions& options() const { return options_; }

 private:
  struct Item {
    Operation operation;
    Callback done;
    std::chrono::steady_clock::time_point enqueued;
  };
  void WorkerLoop();
  void RunBatch(std::vector<Item>& items);
  [[nodiscard]] absl::Status RunTransaction(const std::vector<Operation>& operations,
                                            std::vector<OperationResult>* results);

  PostingEngine& engine_;
  LedgerStore& store_;
  const WriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  bool running_ = false;
  bool stopping_ = false;
  int busy_ = 0;  // workers inside a transaction
  std::vector<std::thread> workers_;
  WriterStats stats_;
};

}  // namespace uwallet::ledger
