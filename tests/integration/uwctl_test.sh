#!/usr/bin/env bash
# uwctl, the operator's command line (issue 9), against the running suite (UWALLET_TEST_ENV_FILE):
#   - health of every service (readiness and liveness), and a dead address fails;
#   - bad usage exits 2, a refused sign-in exits 1, and no password is ever taken from argv;
#   - the bootstrap admin creates an agent (a second time is refused), finds and shows it, sees the
#     creation in the audit log, and reads a balanced trial balance; the agent may not create staff;
#   - a sign-in from a new device is challenged and completed with the code from the dev mailbox;
#     the device keeps the secret it is given (a 0600 file in UWCTL_DEVICE_DIR) and is not
#     challenged again; the same device id without that file is;
#   - outbox replay: --dry-run counts, a replay marks events unpublished and the relay publishes
#     them again.
# Without the env file it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
[ -n "${UWALLET_TEST_ENV_FILE:-}" ] || { echo "UWALLET_TEST_ENV_FILE not set: skipping"; exit 77; }
BUILD="${UWALLET_BUILD_DIR:?}"
# shellcheck disable=SC1090
source "$UWALLET_TEST_ENV_FILE"
UWCTL="$BUILD/tools/ctl/uwctl"
BUF="${UWALLET_ROOT:?}/tools/node/node_modules/.bin/buf"
[ -x "$UWCTL" ] || { echo "missing $UWCTL"; exit 1; }
[ -n "${UWALLET_BOOTSTRAP_ADMIN:-}" ] || { echo "the suite has no bootstrap admin"; exit 1; }
ADMIN_EMAIL="${UWALLET_BOOTSTRAP_ADMIN%%:*}"
ADMIN_PASSWORD="${UWALLET_BOOTSTRAP_ADMIN#*:}"
# This test's own staff device, and where uwctl keeps the device secrets it is given.
DEVICE="uwctl-test-$$-$RANDOM"
UWCTL_DEVICE_DIR="$(mktemp -d)"
export UWCTL_GATEWAY="$UWALLET_GATEWAY_ADDR" UWCTL_DEVICE_DIR
trap 'rm -rf "$UWCTL_DEVICE_DIR"' EXIT

out=""
# exits WANT COMMAND...: runs COMMAND (output in $out) and wants exit status WANT.
exits() {
  local want="$1"; shift
  out="$("$@" 2>&1)"
  local got=$?
  [ "$got" -eq "$want" ] || { echo "  '$*' exited $got, want $want"; return 1; }
}
has() { grep -q -- "$1" <<<"$out" || { echo "  output lacks '$1'"; return 1; }; }
# complete_challenge DEVICE COMMAND...: after $out asked for a second factor, completes the printed
# challenge with a sign-in code from the dev mailbox (other tests sign the admin in at the same
# time: the newest few are tried) by running COMMAND again as the admin from DEVICE.
complete_challenge() {
  local device="$1"; shift
  local challenge codes code
  challenge="$(sed -n 's/.*--challenge=\([^ ]*\).*/\1/p' <<<"$out" | head -1)"
  [ -n "$challenge" ] || { echo "  no challenge in: $out"; return 1; }
  codes="$("$BUF" curl --protocol grpc --http2-prior-knowledge \
    -d "{\"destination\":\"$ADMIN_EMAIL\",\"page_size\":20}" \
    "http://$UWALLET_GATEWAY_ADDR/uwallet.devtools.v1.DevMailboxService/ListMessages" 2>&1 |
    python3 -c 'import json,sys; m=json.load(sys.stdin).get("messages",[]); print("\n".join(x["code"] for x in m if x.get("templateName")=="login_challenge" and x.get("code"))[:1000])')"
  for code in $(head -4 <<<"$codes"); do
    if UWCTL_PASSWORD="$ADMIN_PASSWORD" "$UWCTL" "$@" --as="$ADMIN_EMAIL" \
      --device-id="$device" --challenge="$challenge" --code="$code" >/dev/null 2>&1; then
      return 0
    fi
  done
  echo "  no mailed code completed challenge $challenge"
  return 1
}
as_admin() { env UWCTL_PASSWORD="$ADMIN_PASSWORD" UWCTL_NEW_PASSWORD="${NEW_PASSWORD:-}" "$UWCTL" "$@" --as="$ADMIN_EMAIL" --device-id="$DEVICE"; }

addrs=("$UWALLET_AUTH_ADDR" "$UWALLET_LEDGER_ADDR" "$UWALLET_PAYMENTS_ADDR" "$UWALLET_SUPPORT_ADDR"
       "$UWALLET_FRAUD_ADDR" "$UWALLET_GATEWAY_ADDR")

# --- health
check "health: every service is ready" exits 0 "$UWCTL" health "${addrs[@]}"
check "health: prints SERVING per address" has "SERVING"
check "health: every service is live" exits 0 "$UWCTL" health --service=liveness "${addrs[@]}"
dead_port="$(it_free_port)"
check "health: a dead address fails" exits 1 "$UWCTL" health --wait=1s "${addrs[0]}" "127.0.0.1:$dead_port"

# --- usage and refusals
check "usage: no command exits 2" exits 2 "$UWCTL"
check "usage: unknown command exits 2" exits 2 "$UWCTL" frobnicate
check "usage: unknown flag exits 2" exits 2 "$UWCTL" trial-balance --bogus=1
check "usage: no password in the environment exits 2" \
  exits 2 env -u UWCTL_PASSWORD "$UWCTL" trial-balance --as="$ADMIN_EMAIL"
check "usage: staff create without a role exits 2" \
  exits 2 env UWCTL_NEW_PASSWORD=x "$UWCTL" staff create --email=a@b.example
check "refused: a wrong password exits 1" \
  exits 1 env UWCTL_PASSWORD=wrong-password "$UWCTL" trial-balance --as="$ADMIN_EMAIL" --device-id="$DEVICE"
check "refused: the reason is printed" has "sign-in refused"

# --- this test's device becomes known to the admin account (challenged first when the admin has
# signed in from other devices, as the suite's other tests do), and keeps its secret
secret_file="$UWCTL_DEVICE_DIR/device-$ADMIN_EMAIL--$DEVICE"
out="$(as_admin trial-balance 2>&1)"
if [ $? -ne 0 ]; then
  check "device: a first sign-in of a known account asks for a code" has "second factor is required"
  check "device: the mailed code completes it" complete_challenge "$DEVICE" trial-balance
fi
check "device: its secret is kept in UWCTL_DEVICE_DIR" test -s "$secret_file"
check "device: readable by the operator only" test "$(stat -c %a "$secret_file")" = 600
check "device: the next command signs in without a code" exits 0 as_admin trial-balance

# --- staff administration
agent_email="uwctl-agent-$$-$RANDOM@uwallet.example"
agent_password="agent-pass-$RANDOM-$RANDOM"
NEW_PASSWORD="$agent_password"  # the initial password of the staff accounts as_admin creates
check "staff create: admin creates an agent" \
  exits 0 as_admin staff create --email="$agent_email" --role=agent --name="Uwctl Agent"
agent_id="$(sed -n 's/.*"user_id": "\([^"]*\)".*/\1/p' <<<"$out" | head -1)"
check "staff create: prints the new user id" test -n "$agent_id"
check "staff create: the same email again is refused" \
  exits 1 as_admin staff create --email="$agent_email" --role=agent
check "user find: finds the agent by email" exits 0 as_admin user find "$agent_email"
check "user find: the answer holds its id" has "$agent_id"
check "user find: nobody matches exits 1" exits 1 as_admin user find "nobody-$$-$RANDOM@nowhere.example"
check "user show: shows the agent" exits 0 as_admin user show "$agent_id"
check "user show: with its email" has "$agent_email"
check "user show: an unknown id exits 1" exits 1 as_admin user show "00000000-0000-4000-8000-000000000000"
check "audit: lists the staff creation" exits 0 as_admin audit --user="$agent_id"
check "audit: with its action" has "auth.create_staff_account"
check "trial-balance: the books balance" exits 0 as_admin trial-balance
# Every currency listed says balanced (a suite in which no money moved yet lists none).
every_currency_balanced() {
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); c=r.get("currencies",[]); sys.exit(0 if "computed_at" in r and all(x.get("balanced") for x in c) else 1)' "$out"
}
check "trial-balance: per currency" every_currency_balanced
check "authorisation: an agent may not create staff" \
  exits 1 env UWCTL_PASSWORD="$agent_password" UWCTL_NEW_PASSWORD=x "$UWCTL" staff create \
  --as="$agent_email" --email="x-$$@uwallet.example" --role=admin
check "authorisation: refused as PERMISSION_DENIED (7)" has "(7)"

# --- a new device is challenged; the code from the mailbox completes the sign-in
new_device="uwctl-test-$$-$RANDOM-2"
as_new_device() { env UWCTL_PASSWORD="$ADMIN_PASSWORD" "$UWCTL" "$@" --as="$ADMIN_EMAIL" --device-id="$new_device"; }
check "challenge: a sign-in from a new device is challenged" exits 1 as_new_device user find "$agent_email"
challenge="$(sed -n 's/.*--challenge=\([^ ]*\).*/\1/p' <<<"$out" | head -1)"
check "challenge: the next step is printed" test -n "$challenge"
check "challenge: completed with the mailed code" complete_challenge "$new_device" user find "$agent_email"
check "challenge: a made-up code is refused" \
  exits 1 env UWCTL_PASSWORD="$ADMIN_PASSWORD" "$UWCTL" trial-balance --as="$ADMIN_EMAIL" \
  --device-id="$new_device-3" --challenge="$challenge" --code=000000
check "challenge: the device is known afterwards" exits 0 as_new_device trial-balance
# The device id without its secret (say, copied to another machine) is a new device again.
rm -f "$UWCTL_DEVICE_DIR/device-$ADMIN_EMAIL--$new_device"
check "challenge: the same device id without its secret is challenged" \
  exits 1 as_new_device trial-balance
check "challenge: and told how to go on" has "second factor is required"

# --- outbox replay (auth's outbox: every registration and staff creation writes to it)
since="$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
unpublished() { psql "$UWALLET_PG_DSN" -qAtc "SELECT count(*) FROM auth.outbox WHERE published_at IS NULL"; }
check "outbox replay: bad --since exits 2" exits 2 "$UWCTL" outbox replay --service=auth --since=yesterday
check "outbox replay: unknown service exits 2" exits 2 "$UWCTL" outbox replay --service=nope --since="$since"
check "outbox replay: --dry-run counts" exits 0 "$UWCTL" outbox replay --service=auth --since="$since" --dry-run
would="$(sed -n 's/^would replay \([0-9]*\) .*/\1/p' <<<"$out")"
check "outbox replay: --dry-run found published events" test "${would:-0}" -ge 1
check "outbox replay: says how far back the outbox reaches" \
  exits 0 "$UWCTL" outbox replay --service=auth --since=2020-01-01T00:00:00Z --dry-run
check "outbox replay: ... namely since the oldest event kept" has "note: the auth outbox holds events since 20"
check "outbox replay: replays" exits 0 "$UWCTL" outbox replay --service=auth --since="$since"
replayed="$(sed -n 's/^replaying \([0-9]*\) .*/\1/p' <<<"$out")"
# A dry run that had changed anything would leave less to replay.
check "outbox replay: marked them unpublished" test "${replayed:-0}" -ge "${would:-1}"
republished=false
for _ in $(seq 1 300); do
  [ "$(unpublished)" -eq 0 ] && { republished=true; break; }
  sleep 0.1
done
check "outbox replay: the relay publishes them again" test "$republished" = true

it_summary
