#!/usr/bin/env bash
# tools/up brings the whole suite up in its own run folder (here a temporary one, on free ports),
# a second tools/up says it is running instead of starting twice, and tools/down stops exactly
# what it started: no process, no listening port left behind.
set -uo pipefail
[ -n "${UWALLET_ROOT:-}" ] || { echo "UWALLET_ROOT not set (run through tools/test): skipping"; exit 77; }
source "$UWALLET_ROOT/tools/lib/common.sh"
set +e
run="$(mktemp -d /tmp/uwallet-lifecycle.XXXXXX)"
chmod 755 "$run"
passed=0
failed=0
check() { local name="$1"; shift; if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi; }

ports=()
for name in GATEWAY HTTP AUTH LEDGER PAYMENTS SUPPORT FRAUD; do
  p=$(uw_free_port); export "UW_PORT_$name=$p"; ports+=("$p")
done
for name in GATEWAY AUTH LEDGER PAYMENTS SUPPORT FRAUD; do
  p=$(uw_free_port); export "UW_METRICS_$name=$p"; ports+=("$p")
done
export UW_PG_PORT=$(uw_free_port) UW_REDIS_PORT=$(uw_free_port) UW_RUN_DIR="$run"
ports+=("$UW_PG_PORT" "$UW_REDIS_PORT")
export UW_SKIP_INSTALL=1 UW_SKIP_BUILD=1
# A service flag set in the environment reaches the service tools/up starts.
export UWALLET_PASSWORD_HASH_SLOTS=3

cleanup() { "$UWALLET_ROOT/tools/down" >/dev/null 2>&1; rm -rf "$run" "${TMPDIR:-/tmp}/uwallet-ports.$$"; }
trap cleanup EXIT

out=$("$UWALLET_ROOT/tools/up" 2>&1)
check "up succeeds and prints endpoints" grep -q "uwallet is up" <<<"$out"
[ "$failed" -eq 0 ] || echo "$out" | tail -20
pids=$(cat "$run"/pids/*.pid "$run/redis/redis.pid" 2>/dev/null; head -1 "$run/pg/data/postmaster.pid" 2>/dev/null)
check "every service has a pid" test "$(ls "$run"/pids/*.pid | wc -l)" -eq 6
scrape() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
check "auth runs the argon2id slots it was given" \
  grep -qx "uwallet_password_hash_slots 3" <<<"$(scrape "http://127.0.0.1:$UW_METRICS_AUTH/metrics")"
again=$("$UWALLET_ROOT/tools/up" 2>&1)
check "a second up says it is running" grep -q "already running" <<<"$again"

"$UWALLET_ROOT/tools/down" >/dev/null 2>&1
check "down succeeds" test $? -eq 0
sleep 0.5
alive=""
# A zombie (exited, waiting for its parent to reap it) holds nothing: only live processes count.
for pid in $pids; do
  state=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ')
  [ -n "$state" ] && [ "${state#Z}" = "$state" ] && alive="$alive $pid"
done
check "no process left behind" test -z "$alive"
for pid in $alive; do ps -o pid=,stat=,cmd= -p "$pid"; done
busy=""
for p in "${ports[@]}"; do uw_port_in_use "$p" && busy="$busy $p"; done
check "no port left behind" test -z "$busy"

echo "lifecycle: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
