#include "services/ledger/storage/batching_writer.h"

#include <algorithm>
#include <future>

#include "services/ledger/core/errors.h"
#include "uwallet/common/log.h"

namespace uwallet::ledger {

BatchingWriter::BatchingWriter(PostingEngine& engine, LedgerStore& store, WriterOptions options)
    : engine_(engine), store_(store), options_([&] {
        options.batch_max = std::clamp(options.batch_max, 1, 1024);
        options.workers = std::clamp(options.workers, 1, 64);
        options.queue_max = std::max(options.queue_max, 1);
        if (options.wait_max < absl::ZeroDuration()) options.wait_max = absl::ZeroDuration();
        return options;
      }()) {}

BatchingWriter::~BatchingWriter() { Stop(); }

void BatchingWriter::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void BatchingWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
}

void BatchingWriter::Submit(Operation operation, Callback done) {
  absl::Status refused;
  enum { kWakeNone, kWakeOne, kWakeAll } wake = kWakeNone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_ || stopping_) {
      refused = WithReason(absl::StatusCode::kUnavailable, reason::kDependencyUnavailable,
                           "the ledger writer is not running");
    } else if (queue_.size() >= static_cast<size_t>(options_.queue_max)) {
      refused = absl::ResourceExhaustedError("the ledger writer queue is full; retry shortly");
    } else {
      queue_.push_back({std::move(operation), std::move(done), std::chrono::steady_clock::now()});
      // A first request wakes one idle worker (it starts a window); a full batch wakes them all
      // (the waiting one closes its window early). In between, the window's deadline is enough.
      if (queue_.size() == 1) wake = kWakeOne;
      if (queue_.size() % static_cast<size_t>(options_.batch_max) == 0) wake = kWakeAll;
    }
  }
  if (!refused.ok()) {
    done(OperationResult{.status = refused});
    return;
  }
  if (wake == kWakeOne) changed_.notify_one();
  if (wake == kWakeAll) changed_.notify_all();
}

OperationResult BatchingWriter::Execute(Operation operation) {
  std::promise<OperationResult> promise;
  std::future<OperationResult> future = promise.get_future();
  Submit(std::move(operation),
         [&promise](OperationResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

WriterStats BatchingWriter::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void BatchingWriter::WorkerLoop() {
  const auto wait_max = std::chrono::microseconds(absl::ToInt64Microseconds(options_.wait_max));
  const size_t batch_max = static_cast<size_t>(options_.batch_max);
  while (true) {
    std::vector<Item> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // The window: wait (bounded) for the batch to fill, counted from the oldest request — but
      // only while another transaction is in flight (its commit is what we would share). With
      // nothing in flight, waiting only adds latency: go at once (classic group commit).
      if (!options_.eager_when_idle || busy_ > 0) {
        const auto deadline = queue_.front().enqueued + wait_max;
        changed_.wait_until(lock, deadline, [&] {
          return stopping_ || queue_.empty() || queue_.size() >= batch_max;
        });
      }
      if (queue_.empty()) continue;  // another worker took them
      const size_t take = std::min(batch_max, queue_.size());
      batch.reserve(take);
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.batches;
      stats_.operations += static_cast<int64_t>(take);
      stats_.largest_batch = std::max<int64_t>(stats_.largest_batch, static_cast<int64_t>(take));
      ++busy_;
    }
    RunBatch(batch);
    std::lock_guard<std::mutex> lock(mutex_);
    --busy_;
  }
}

absl::Status BatchingWriter::RunTransaction(const std::vector<Operation>& operations,
                                            std::vector<OperationResult>* results) {
  return store_.RunInTransaction([&](LedgerTransaction& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(*results, engine_.ExecuteBatch(tx, operations));
    return absl::OkStatus();
  });
}

void BatchingWriter::RunBatch(std::vector<Item>& items) {
  std::vector<Operation> operations;
  operations.reserve(items.size());
  for (Item& item : items) operations.push_back(item.operation);
  std::vector<OperationResult> results;
  const absl::Time started = absl::Now();
  absl::Status status = RunTransaction(operations, &results);
  if (options_.on_batch) {
    options_.on_batch(static_cast<int>(items.size()), absl::Now() - started, status.ok());
  }
  if (status.ok()) {
    for (size_t i = 0; i < items.size(); ++i) items[i].done(std::move(results[i]));
    return;
  }
  // An unreachable database (or a commit whose outcome is unknown) or a statement timeout is the
  // answer for everyone: retrying alone would not help (and would multiply the wait), and the
  // callers retry with their idempotency keys.
  const bool for_everyone = status.code() == absl::StatusCode::kUnavailable ||
                            status.code() == absl::StatusCode::kDeadlineExceeded;
  if (items.size() == 1 || for_everyone) {
    if (status.code() == absl::StatusCode::kUnavailable && ReasonOf(status).empty()) {
      status = WithReason(absl::StatusCode::kUnavailable, reason::kDependencyUnavailable,
                          "the ledger database is unavailable; retry with the same key");
    }
    log::Warn("ledger batch failed",
              {{"error", status.ToString()}, {"operations", std::to_string(items.size())}});
    for (Item& item : items) item.done(OperationResult{.status = status});
    return;
  }
  log::Warn("ledger batch failed; running its operations one by one",
            {{"error", status.ToString()}, {"operations", std::to_string(items.size())}});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.fallbacks;
  }
  for (Item& item : items) {
    std::vector<Item> single;
    single.push_back(std::move(item));
    RunBatch(single);
  }
}

}  // namespace uwallet::ledger
