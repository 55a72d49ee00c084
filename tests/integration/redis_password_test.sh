#!/usr/bin/env bash
# Redis with a password (issue 9: the chart's externalRedis.password / existingSecret reaches the
# services as UWALLET_REDIS_PASSWORD). Starts a private redis-server with --requirepass on a free
# port and a uwallet-ledger against it and the suite's throw-away PostgreSQL (UWALLET_TEST_ENV_FILE):
#   - with the password in UWALLET_REDIS_PASSWORD it becomes ready (its readiness pings Redis);
#   - with a wrong password it stays live but never ready, and says why in its log;
#   - the password never appears in the log.
# Without the env file it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
it_suite_env
LEDGER="$BUILD/services/ledger/uwallet-ledger"
UWCTL="$BUILD/tools/ctl/uwctl"
it_need "$LEDGER" "$UWCTL"
command -v redis-server >/dev/null || { echo "redis-server missing"; exit 1; }

work="$(mktemp -d /tmp/uwallet-redis-password.XXXXXX)"
password="rp-$RANDOM-$RANDOM-$RANDOM"
redis_pid=""
pids=()
cleanup() {
  for pid in "${pids[@]}"; do it_stop "$pid"; done
  it_stop "$redis_pid"
  rm -rf "$work"
}
trap cleanup EXIT


redis_port="$(it_free_port)"
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" \
  --requirepass "$password" >"$work/redis.log" 2>&1 </dev/null &
redis_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$redis_port" -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-cli -p "$redis_port" -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG || { echo "redis did not start"; cat "$work/redis.log"; exit 1; }


# start_ledger NAME PASSWORD: a ledger on a free port using the private Redis; sets $addr.
start_ledger() {
  local name="$1" secret="$2" port
  port="$(it_free_port)"
  env -i PATH="$PATH" UWALLET_REDIS_PASSWORD="$secret" "$LEDGER" --listen "127.0.0.1:$port" --metrics-listen= \
    --pg-dsn "$UWALLET_PG_DSN" --redis-addr "127.0.0.1:$redis_port" --redis-prefix "redis-password-test-$$:" \
    --identity-key "$UWALLET_IDENTITY_KEY" >"$work/$name.log" 2>&1 </dev/null &
  pids+=($!)
  addr="127.0.0.1:$port"
}
ready() { "$UWCTL" health --wait="$1" "$2" >/dev/null 2>&1; }
live() { "$UWCTL" health --wait=60s --service=liveness "$1" >/dev/null 2>&1; }

start_ledger good "$password"
good="$addr"
start_ledger wrong "not-$password"
wrong="$addr"

check "with the password: ready (Redis answers)" ready 60s "$good"
check "with a wrong password: live" live "$wrong"
check "with a wrong password: not ready" bash -c "! '$UWCTL' health --wait=3s '$wrong' >/dev/null 2>&1"
check "with a wrong password: the log says why" grep -qiE "WRONGPASS|invalid username-password|NOAUTH|AUTH" "$work/wrong.log"
check "the password is in no log" bash -c "! grep -q -- '$password' '$work/good.log' '$work/wrong.log'"
check "the ready ledger is still ready" ready 5s "$good"

it_summary
