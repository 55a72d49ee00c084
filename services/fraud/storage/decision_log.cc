#include "services/fraud/storage/decision_log.h"

#include <utility>
#include <vector>

#include "uwallet/common/log.h"
#include "uwallet/common/status.h"

namespace uwallet::fraud {

void DecisionLogWriter::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void DecisionLogWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  (void)Flush();
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
}

bool DecisionLogWriter::Enqueue(pg::Connection::Query query) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_ || stopping_ || static_cast<int>(queue_.size()) >= options_.queue_max) {
      return false;
    }
    queue_.push_back(std::move(query));
  }
  wake_.notify_one();
  return true;
}

absl::Status DecisionLogWriter::WriteBatch(std::vector<pg::Connection::Query> batch) {
  if (batch.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> write_lock(write_mutex_);
  absl::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    status = pool_.Transact([&](pg::Connection& tx) -> absl::Status {
      UW_RETURN_IF_ERROR(tx.Exec("SET LOCAL synchronous_commit TO off").status());
      return tx.ExecPipeline(batch).status();
    });
    if (status.ok()) return status;
  }
  log::Warn("fraud: decision-log rows not written",
            {{"rows", std::to_string(batch.size())}, {"error", status.ToString()}});
  return status;
}

absl::Status DecisionLogWriter::Flush() {
  absl::Status result;
  while (true) {
    std::vector<pg::Connection::Query> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.batch_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) return result;
    absl::Status status = WriteBatch(std::move(batch));
    if (!status.ok()) result = status;
  }
}

void DecisionLogWriter::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    // Give companions a moment, unless a full batch is already waiting.
    if (static_cast<int>(queue_.size()) < options_.batch_max) {
      wake_.wait_for(
          lock, std::chrono::microseconds(absl::ToInt64Microseconds(options_.wait_max)),
          [this] { return stopping_ || static_cast<int>(queue_.size()) >= options_.batch_max; });
    }
    std::vector<pg::Connection::Query> batch;
    while (!queue_.empty() && static_cast<int>(batch.size()) < options_.batch_max) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    (void)WriteBatch(std::move(batch));
    lock.lock();
  }
}

}  // namespace uwallet::fraud
