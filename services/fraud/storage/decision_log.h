#pragma once
// The decision log of the common assessments (allow and challenge, no alert), written off the
// Assess call path: Assess queues the INSERT and a background thread writes what is queued in one
// transaction per batch (a pipelined round trip, synchronous_commit off). This is the durability
// these rows had before (a crash may lose the last few milliseconds of them, never a case or an
// alert); what changes is that a call no longer waits for a transaction of its own. When the queue
// is full, Enqueue refuses and the caller writes the row itself (backpressure, nothing dropped).

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "uwallet/pg/pg.h"

namespace uwallet::fraud {

struct DecisionLogOptions {
  int queue_max = 10'000;
  int batch_max = 256;
  absl::Duration wait_max = absl::Milliseconds(5);  // how long a row may wait for companions
};

class DecisionLogWriter {
 public:
  explicit DecisionLogWriter(pg::Pool& pool, DecisionLogOptions options = {})
      : pool_(pool), options_(options) {}
  ~DecisionLogWriter() { Stop(); }
  void Start();
  // Writes what is queued, then stops.
  void Stop();
  // Queues one statement; false when the queue is full or the writer is not running.
  [[nodiscard]] bool Enqueue(pg::Connection::Query query);
  // Writes everything queued so far (tests, shutdown). Rows that cannot be written are logged
  // and dropped after a retry, like a crash would lose them.
  absl::Status Flush();

 private:
  absl::Status WriteBatch(std::vector<pg::Connection::Query> batch);
  void Run();

  pg::Pool& pool_;
  DecisionLogOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pg::Connection::Query> queue_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::mutex write_mutex_;  // one batch at a time (the thread, or Flush)
};

}  // namespace uwallet::fraud
