// uwctl: the operator's command line for uwallet.
//
//   uwctl health [--wait=60s] [--service=liveness] [TLS flags] ADDR...
//       every address answers grpc.health.v1 SERVING ("" = ready: its PostgreSQL/Redis answer;
//       --service=liveness: the process serves, whatever its dependencies do)
//   uwctl staff create --email=E --role=agent|analyst|admin|merchant[,...] [--name=N]
//   uwctl user find QUERY
//   uwctl user show USER_ID
//   uwctl audit [--user=ID] [--action=A]
//   uwctl trial-balance          (exit 1 when the books of a currency do not balance)
//       staff commands sign in to the gateway (--gateway, default $UWCTL_GATEWAY or
//       127.0.0.1:50050) as --as=EMAIL (or $UWCTL_EMAIL) with the password in $UWCTL_PASSWORD, then
//       sign out; a second-factor challenge is completed by running again with --challenge=ID and
//       --code / --totp / --recovery. New staff passwords come from $UWCTL_NEW_PASSWORD. The
//       device (--device-id, default uwctl-HOST) keeps the secret auth gives it in
//       $UWCTL_DEVICE_DIR (default ~/.config/uwctl), so its next sign-in is not challenged.
//   uwctl outbox replay --service=SVC --since=TIME [--until=TIME] [--type=PREFIX] [--dry-run]
//       [--pg-dsn=DSN | $UWALLET_PG_DSN]: the service's relay publishes those events again
//       (consumers deduplicate by event id)
//
// TLS flags for every networked command: --tls-ca=FILE (use TLS), --tls-cert/--tls-key (mTLS),
// --tls-server-name=NAME. Exit status: 0 success, 1 a check failed or a call was refused, 2 bad
// usage.

#include <cstdio>
#include <string>
#include <vector>

#include "tools/ctl/args.h"
#include "tools/ctl/ops.h"
#include "tools/ctl/staff.h"

namespace {

constexpr char kUsage[] =
    "usage: uwctl health [--wait=DURATION] [--service=NAME] [TLS flags] ADDR...\n"
    "       uwctl staff create --email=EMAIL --role=ROLE[,ROLE] [--name=NAME]\n"
    "       uwctl user find QUERY | uwctl user show USER_ID | uwctl audit [--user=ID]\n"
    "       uwctl trial-balance\n"
    "       uwctl outbox replay --service=SVC --since=RFC3339 [--until=..] [--type=PREFIX] "
    "[--dry-run]\n"
    "staff commands: --gateway=ADDR --as=EMAIL [--device-id=ID], password in UWCTL_PASSWORD;\n"
    "  the device's secret is kept in UWCTL_DEVICE_DIR (default ~/.config/uwctl)\n"
    "TLS flags: --tls-ca=FILE [--tls-cert=FILE --tls-key=FILE] [--tls-server-name=NAME]\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fprintf(args.empty() ? stderr : stdout, "%s", kUsage);
    return args.empty() ? uwallet::ctl::kBadUsage : uwallet::ctl::kOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "health") return uwallet::ctl::HealthCommand(args);
  if (command == "trial-balance" || command == "audit") {
    return uwallet::ctl::StaffCommand(command, args);
  }
  if ((command == "staff" || command == "user" || command == "outbox") && !args.empty()) {
    const std::string full = command + " " + args[0];
    args.erase(args.begin());
    if (full == "outbox replay") return uwallet::ctl::OutboxReplayCommand(args);
    if (full == "staff create" || full == "user find" || full == "user show") {
      return uwallet::ctl::StaffCommand(full, args);
    }
  }
  std::fprintf(stderr, "unknown command '%s'\n%s", command.c_str(), kUsage);
  return uwallet::ctl::kBadUsage;
}
