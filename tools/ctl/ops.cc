#include "tools/ctl/ops.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/ctl/args.h"
#include "uwallet/pg/pg.h"

namespace uwallet::ctl {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::string CheckOnce(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return "unreachable (" + status.error_message() + ")";
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

// Services whose outbox can be replayed: the schemas that own one.
bool IsOutboxSchema(const std::string& schema) {
  return schema == "auth" || schema == "ledger" || schema == "payments" || schema == "support" ||
         schema == "fraud";
}

}  // namespace

int HealthCommand(const std::vector<std::string>& argv) {
  std::string error;
  std::vector<std::string> known = kTlsFlags;
  known.insert(known.end(), {"wait", "service"});
  Args args = Args::Parse(argv, known, &error);
  absl::Duration wait = absl::ZeroDuration();
  if (error.empty() && args.Has("wait") && !absl::ParseDuration(args.Get("wait"), &wait)) {
    error = "bad duration in --wait";
  }
  if (error.empty() && args.positional.empty()) error = "no address";
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const std::string& address : args.positional) {
    if (!error.empty()) break;
    channels.push_back(MakeChannel(address, args, &error));
  }
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kBadUsage;
  }
  // "" is the server as a whole (ready: its dependencies answer); "liveness" only says the process
  // serves (what a liveness probe should restart on).
  const std::string service = args.Get("service");
  const absl::Time deadline = absl::Now() + wait;
  std::vector<std::string> states(channels.size());
  while (true) {
    bool all = true;
    for (size_t i = 0; i < channels.size(); ++i) {
      if (states[i] != "SERVING") states[i] = CheckOnce(channels[i], service);
      all = all && states[i] == "SERVING";
    }
    if (all || absl::Now() >= deadline) {
      for (size_t i = 0; i < channels.size(); ++i) {
        std::printf("%-22s %s\n", args.positional[i].c_str(), states[i].c_str());
      }
      return all ? kOk : kFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Marks a service's outbox events as unpublished again so that its relay sends them once more
// (after a Redis stream was lost or trimmed, or a consumer must rebuild). Consumers deduplicate by
// event id, so a replay never applies an event twice.
int OutboxReplayCommand(const std::vector<std::string>& argv) {
  std::string error;
  Args args = Args::Parse(argv, {"pg-dsn", "service", "since", "until", "type", "dry-run"}, &error);
  const std::string service = args.Get("service");
  absl::Time since;
  absl::Time until = absl::InfiniteFuture();
  if (error.empty() && !IsOutboxSchema(service)) {
    error = "--service must be one of auth, ledger, payments, support, fraud";
  }
  if (error.empty() && !absl::ParseTime(absl::RFC3339_full, args.Get("since"), &since, &error)) {
    error = "--since must be an RFC 3339 time (2026-11-22T08:00:00Z): " + error;
  }
  if (error.empty() && args.Has("until") &&
      !absl::ParseTime(absl::RFC3339_full, args.Get("until"), &until, &error)) {
    error = "--until must be an RFC 3339 time: " + error;
  }
  const char* env_dsn = std::getenv("UWALLET_PG_DSN");
  const std::string dsn = args.Get("pg-dsn", env_dsn != nullptr ? env_dsn : "");
  if (error.empty() && dsn.empty()) error = "--pg-dsn (or UWALLET_PG_DSN) is required";
  if (!error.empty() || !args.positional.empty()) {
    std::fprintf(stderr,
                 "%s\nusage: uwctl outbox replay --service=SVC --since=TIME [--until=TIME] "
                 "[--type=PREFIX] [--dry-run] [--pg-dsn=DSN]\n",
                 error.empty() ? "unexpected argument" : error.c_str());
    return kBadUsage;
  }
  auto pool = pg::Pool::Create(
      {.conninfo = dsn, .search_path = service, .size = 1, .application_name = "uwctl"});
  if (!pool.ok()) {
    std::fprintf(stderr, "database: %s\n", std::string(pool.status().message()).c_str());
    return kFailed;
  }
  const std::string until_text =
      until == absl::InfiniteFuture()
          ? "infinity"
          : absl::FormatTime(absl::RFC3339_full, until, absl::UTCTimeZone());
  const std::string since_text = absl::FormatTime(absl::RFC3339_full, since, absl::UTCTimeZone());
  const std::string type_prefix = args.Get("type");
  const bool dry_run = args.Has("dry-run");
  const std::string filter =
      "occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND "
      "type LIKE $3 || '%' AND published_at IS NOT NULL";
  auto result =
      (*pool)->Exec(dry_run ? absl::StrCat("SELECT count(*) FROM outbox WHERE ", filter)
                            : absl::StrCat("UPDATE outbox SET published_at = NULL WHERE ", filter),
                    pg::P(since_text, until_text, type_prefix));
  if (!result.ok()) {
    std::fprintf(stderr, "replay failed: %s\n", std::string(result.status().message()).c_str());
    return kFailed;
  }
  const int64_t count = dry_run ? result->Int(0, 0) : result->Affected();
  std::printf("%s %lld %s events of %s (%s .. %s)\n", dry_run ? "would replay" : "replaying",
              static_cast<long long>(count), type_prefix.empty() ? "" : type_prefix.c_str(),
              service.c_str(), since_text.c_str(), until_text.c_str());
  // Published events are pruned after the service's --outbox-retention: say how far back a
  // replay can reach when the operator asked for more.
  auto oldest = (*pool)->Exec(
      "SELECT to_char(min(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " min(occurred_at) > $1::timestamptz FROM outbox",
      pg::P(since_text));
  if (oldest.ok() && !oldest->IsNull(0, 0) && oldest->Bool(0, 1)) {
    std::printf(
        "note: the %s outbox holds events since %s; older ones were pruned after the service's "
        "--outbox-retention and cannot be replayed\n",
        service.c_str(), oldest->String(0, 0).c_str());
  }
  return kOk;
}

}  // namespace uwallet::ctl
