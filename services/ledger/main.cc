// uwallet-ledger: accounts, double-entry transfers, holds and idempotent batched postings.
// See services/ledger/README.md.
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "services/ledger/core/engine.h"
#include "services/ledger/core/queries.h"
#include "services/ledger/grpc/services.h"
#include "services/ledger/schema/migrations.h"
#include "services/ledger/storage/batching_writer.h"
#include "services/ledger/storage/hold_sweeper.h"
#include "services/ledger/storage/pg_store.h"
#include "uwallet/events/events.h"
#include "uwallet/service/metrics.h"
#include "uwallet/service/runtime.h"

namespace uwallet::ledger {
namespace {

struct Flags {
  int64_t batch_max = WriterOptions{}.batch_max;
  absl::Duration batch_wait = WriterOptions{}.wait_max;
  int64_t writers = WriterOptions{}.workers;
  int64_t queue_max = WriterOptions{}.queue_max;
  absl::Duration hold_sweep_interval = absl::Seconds(5);
  std::string time_zone = "Asia/Shanghai";
};

// The writer's batches as Prometheus metrics: how full they are and how long they take.
WriterOptions WriterOptionsWithMetrics(const Flags& flags, prometheus::Registry& registry) {
  auto& size = prometheus::BuildHistogram()
                   .Name("uwallet_ledger_batch_operations")
                   .Help("Operations per writer transaction")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128,
                                                                    256, 512, 1024});
  auto& seconds = prometheus::BuildHistogram()
                      .Name("uwallet_ledger_batch_seconds")
                      .Help("Duration of a writer transaction, locks to commit")
                      .Register(registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{
                                   0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1});
  auto& failed = prometheus::BuildCounter()
                     .Name("uwallet_ledger_batch_failures_total")
                     .Help("Writer transactions that did not commit")
                     .Register(registry)
                     .Add({});
  return {
      .batch_max = static_cast<int>(flags.batch_max),
      .wait_max = flags.batch_wait,
      .workers = static_cast<int>(flags.writers),
      .queue_max = static_cast<int>(flags.queue_max),
      .on_batch = [&size, &seconds, &failed](int operations, absl::Duration took, bool committed) {
        size.Observe(operations);
        seconds.Observe(absl::ToDoubleSeconds(took));
        if (!committed) failed.Increment();
      }};
}

// Everything the services use, alive until the process exits.
struct Ledger {
  explicit Ledger(service::Runtime& runtime, const Flags& flags)
      : outbox("ledger", *runtime.ids, *runtime.clock),
        store(*runtime.pg, outbox),
        reader(*runtime.pg, outbox),
        engine(*runtime.clock, *runtime.ids),
        writer(engine, store, WriterOptionsWithMetrics(flags, *runtime.server->metrics())),
        queries(reader, reader, *runtime.clock, *runtime.ids, flags.time_zone),
        sweeper(reader, writer, *runtime.clock, flags.hold_sweep_interval),
        relay(*runtime.pg, *runtime.redis) {}
  events::Outbox outbox;
  PgLedgerStore store;
  PgLedgerReader reader;
  PostingEngine engine;
  BatchingWriter writer;
  LedgerQueries queries;
  HoldSweeper sweeper;
  events::Relay relay;
};

Flags flags;
std::unique_ptr<Ledger> ledger_app;

int Main(int argc, char** argv) {
  return service::Run(
      argc, argv,
      {
          .name = "ledger",
          .schema = "ledger",
          .migrations = Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50052",
          .default_metrics_listen = "127.0.0.1:9102",
          .health_names = {"uwallet.ledger.v1.LedgerService",
                           "uwallet.ledger.v1.LedgerInternalService",
                           "uwallet.ledger.v1.LedgerAdminService"},
          .register_flags =
              [](Config& config) {
                config.AddInt("ledger-batch-max", &flags.batch_max,
                              "postings grouped into one database transaction, at most");
                config.AddDuration(
                    "ledger-batch-wait", &flags.batch_wait,
                    "how long a batch may wait to fill while another is committing (e.g. 200us)");
                config.AddInt("ledger-writers", &flags.writers,
                              "writer transactions in flight at once");
                config.AddInt("ledger-queue-max", &flags.queue_max,
                              "postings waiting for the writer, at most (then RESOURCE_EXHAUSTED)");
                config.AddDuration("ledger-hold-sweep-interval", &flags.hold_sweep_interval,
                                   "how often expired holds are released");
                config.AddString("ledger-time-zone", &flags.time_zone,
                                 "IANA time zone for months and days of the spending summary");
              },
          .build = [](service::Runtime& runtime)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            if (flags.batch_max < 1 || flags.batch_max > 1024 || flags.writers < 1 ||
                flags.writers > 64 || flags.queue_max < 1 || flags.queue_max > 1'000'000) {
              return absl::InvalidArgumentError(
                  "--ledger-batch-max must be 1..1024, --ledger-writers 1..64, "
                  "--ledger-queue-max 1..1000000");
            }
            if (flags.writers >= runtime.pg->options().size) {
              return absl::InvalidArgumentError(
                  "--ledger-writers must be below --pg-pool-size (reads need connections too)");
            }
            absl::StatusOr<MonthRange> zone_check = ParseMonth("2030-01", flags.time_zone);
            if (!zone_check.ok()) return absl::InvalidArgumentError("unknown --ledger-time-zone");
            ledger_app = std::make_unique<Ledger>(runtime, flags);
            ledger_app->writer.Start();
            GrpcDeps deps{.signer = *runtime.signer,
                          .queries = ledger_app->queries,
                          .writer = ledger_app->writer,
                          .clock = *runtime.clock};
            return std::vector<std::shared_ptr<grpc::Service>>{
                std::make_shared<LedgerPublicGrpc>(deps),
                std::make_shared<LedgerInternalGrpc>(deps),
                std::make_shared<LedgerAdminGrpc>(deps)};
          },
          .start_background =
              [](service::Runtime& runtime) {
                ledger_app->relay.OnPublished(service::EventMetrics(*runtime.server->metrics()));
                ledger_app->relay.Start();
                ledger_app->sweeper.Start();
                return absl::OkStatus();
              },
          .stop_background =
              [] {
                ledger_app->sweeper.Stop();
                ledger_app->writer.Stop();
                ledger_app->relay.Stop();
              },
      });
}

}  // namespace
}  // namespace uwallet::ledger

int main(int argc, char** argv) {
  // gRPC's mutexes are absl::Mutex; Debian's Abseil runs their deadlock detection (a debugging aid
  // that maintains a lock graph on every acquisition) unless told otherwise: a few % of the CPU of
  // every posting.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return uwallet::ledger::Main(argc, argv);
}
