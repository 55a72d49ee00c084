// uwallet-support: tickets, live chat, disputes, FAQ self-service, the agent desk, SLA and CSAT.
// See services/support/README.md.
#include <memory>
#include <vector>

#include "services/support/core/desk.h"
#include "services/support/core/sla_sweeper.h"
#include "services/support/grpc/clients.h"
#include "services/support/grpc/services.h"
#include "services/support/schema/migrations.h"
#include "services/support/storage/pg_store.h"
#include "services/support/storage/redis_events.h"
#include "uwallet/events/events.h"
#include "uwallet/service/metrics.h"
#include "uwallet/service/runtime.h"

namespace {

using namespace uwallet;           // NOLINT(build/namespaces): main wiring only
using namespace uwallet::support;  // NOLINT(build/namespaces)

struct Flags {
  std::string sla = "low=8h/72h,normal=4h/40h,high=2h/16h,urgent=30m/8h";
  std::string time_zone = "Asia/Shanghai";
  std::string day_start = "09:00";
  std::string day_end = "18:00";
  std::string holidays;
  absl::Duration reopen_window = kReopenWindowDefault;
  int64_t streams_max = kStreamsMaxDefault;
  absl::Duration sla_sweep_interval = kSlaSweepIntervalDefault;
};

// Everything the services use, alive until the process exits.
struct Support {
  Support(service::Runtime& runtime, DeskOptions options, int streams_max,
          absl::Duration sla_sweep_interval)
      : outbox("support", *runtime.ids, *runtime.clock),
        store(*runtime.pg, outbox),
        publisher(*runtime.redis),
        hub(runtime.redis->options(), streams_max),
        directory(peers, *runtime.signer),
        desk(store, publisher, *runtime.clock, *runtime.ids, WithDirectory(std::move(options))),
        sweeper(desk, sla_sweep_interval),
        relay(*runtime.pg, *runtime.redis) {}
  DeskOptions WithDirectory(DeskOptions options) {
    options.directory = &directory;
    return options;
  }
  events::Outbox outbox;
  PgTicketStore store;
  RedisEventPublisher publisher;
  EventHub hub;
  Peers peers;  // stubs filled in by build (before any call)
  GrpcDirectory directory;
  SupportDesk desk;
  SlaSweeper sweeper;
  events::Relay relay;
};

Flags flags;
std::unique_ptr<Support> app;

}  // namespace

int main(int argc, char** argv) {
  return service::Run(
      argc, argv,
      {
          .name = "support",
          .schema = "support",
          .migrations = Migrations(),
          .uses_redis = true,
          .default_listen = "127.0.0.1:50054",
          .default_metrics_listen = "127.0.0.1:9104",
          .health_names = {"uwallet.support.v1.SupportService",
                           "uwallet.support.v1.SupportAgentService",
                           "uwallet.support.v1.SupportInternalService"},
          .register_flags =
              [](Config& config) {
                config.AddString("support-sla", &flags.sla,
                                 "first-response/resolution targets per priority in business "
                                 "time, e.g. low=8h/72h,normal=4h/40h,high=2h/16h,urgent=30m/8h");
                config.AddString("support-time-zone", &flags.time_zone,
                                 "IANA time zone of the business-hours calendar");
                config.AddString("support-day-start", &flags.day_start,
                                 "business day start, HH:MM local");
                config.AddString("support-day-end", &flags.day_end,
                                 "business day end, HH:MM local");
                config.AddString("support-holidays", &flags.holidays,
                                 "non-working days, YYYY-MM-DD comma separated");
                config.AddDuration("support-reopen-window", &flags.reopen_window,
                                   "how long a resolved ticket can be reopened");
                config.AddInt("support-streams-max", &flags.streams_max,
                              "live streams (WatchTicket + WatchQueue) per replica, at most");
                config.AddDuration("support-sla-sweep-interval", &flags.sla_sweep_interval,
                                   "how often each replica looks for SLA breaches to announce");
              },
          .build = [](service::Runtime& runtime)
              -> absl::StatusOr<std::vector<std::shared_ptr<grpc::Service>>> {
            absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Parse(
                flags.time_zone, flags.day_start, flags.day_end, flags.holidays);
            if (!calendar.ok()) return calendar.status();
            absl::StatusOr<SlaPolicy> sla = SlaPolicy::Parse(flags.sla, *calendar);
            if (!sla.ok()) return sla.status();
            if (flags.streams_max < 1 || flags.streams_max > 10'000) {
              return absl::InvalidArgumentError("--support-streams-max must be 1..10000");
            }
            if (flags.sla_sweep_interval < absl::Seconds(1) ||
                flags.sla_sweep_interval > absl::Hours(1)) {
              return absl::InvalidArgumentError("--support-sla-sweep-interval must be 1s..1h");
            }
            if (flags.reopen_window < absl::ZeroDuration()) {
              return absl::InvalidArgumentError("--support-reopen-window must not be negative");
            }
            app = std::make_unique<Support>(
                runtime, DeskOptions{.sla = *sla, .reopen_window = flags.reopen_window},
                static_cast<int>(flags.streams_max), flags.sla_sweep_interval);
            app->peers.auth_admin =
                auth::v1::AuthAdminService::NewStub(runtime.Channel(runtime.peers.auth));
            app->peers.auth_internal =
                auth::v1::AuthInternalService::NewStub(runtime.Channel(runtime.peers.auth));
            app->peers.ledger_internal =
                ledger::v1::LedgerInternalService::NewStub(runtime.Channel(runtime.peers.ledger));
            app->peers.payments =
                payments::v1::PaymentsService::NewStub(runtime.Channel(runtime.peers.payments));
            app->peers.payments_admin = payments::v1::PaymentsAdminService::NewStub(
                runtime.Channel(runtime.peers.payments));
            app->peers.fraud_analyst =
                fraud::v1::FraudAnalystService::NewStub(runtime.Channel(runtime.peers.fraud));
            if (absl::Status started = app->hub.Start(); !started.ok()) return started;
            GrpcDeps deps{.desk = app->desk,
                          .signer = *runtime.signer,
                          .hub = app->hub,
                          .peers = app->peers,
                          .clock = *runtime.clock};
            return std::vector<std::shared_ptr<grpc::Service>>{
                std::make_shared<SupportGrpc>(deps), std::make_shared<SupportAgentGrpc>(deps),
                std::make_shared<SupportInternalGrpc>(deps)};
          },
          .start_background =
              [](service::Runtime& runtime) {
                app->relay.OnPublished(service::EventMetrics(*runtime.server->metrics()));
                app->relay.Start();
                app->sweeper.Start();
                return absl::OkStatus();
              },
          .stop_background =
              [] {
                app->sweeper.Stop();
                app->hub.Stop();
                app->relay.Stop();
              },
      });
}
