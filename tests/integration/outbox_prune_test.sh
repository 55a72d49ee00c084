#!/usr/bin/env bash
# Outbox retention as an operator runs it (libs/service starts events::OutboxPruner in every
# service with an outbox; deploy/README §6). A uwallet-ledger on a fresh database of the suite's
# throw-away PostgreSQL (UWALLET_TEST_ENV_FILE), with --outbox-retention=1h and
# --outbox-prune-every=1s:
#   - deletes a published event that occurred 2 hours ago and keeps one that occurred now;
#   - deletes an exactly-once marker whose event id (UUIDv7) is 3 days old and keeps a fresh one;
#   - counts it in uwallet_outbox_pruned_total{table}, uwallet_outbox_prune_passes_total{result}
#     and uwallet_outbox_last_prune_timestamp_seconds.
# And the flags are checked before anything starts: a negative retention, a zero interval and
# auth's --password-hash-slots outside 0..256 end the process with a message naming the flag.
# Without the env file it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
it_suite_env
LEDGER="$BUILD/services/ledger/uwallet-ledger"
AUTH="$BUILD/services/auth/uwallet-auth"
UWCTL="$BUILD/tools/ctl/uwctl"
it_need "$LEDGER" "$AUTH" "$UWCTL"
# How long the pruner may take to show its work (a bound, not a timing check: it passes every
# second).
PRUNE_WAIT_S=60

work="$(mktemp -d /tmp/uwallet-outbox-prune.XXXXXX)"
database="uwallet_outbox_prune_$$"
dsn="$UWALLET_PG_DSN dbname=$database"  # the last dbname wins in a libpq conninfo
pids=()
cleanup() {
  for pid in "${pids[@]}"; do it_stop "$pid"; done
  psql "$UWALLET_PG_DSN" -qAtc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
psql "$UWALLET_PG_DSN" -qAtc "CREATE DATABASE $database" >/dev/null || { echo "cannot create $database"; exit 1; }
sql() { psql "$dsn" -v ON_ERROR_STOP=1 -qAtc "$1"; }

# A binary that serves instead of refusing its flags is stopped after this long.
EXIT_WAIT_S=60
# run_ledger ARGS...: the ledger with explicit settings only, in the foreground.
run_ledger() {
  timeout --kill-after=5 "$EXIT_WAIT_S" env -i PATH="$PATH" "$LEDGER" --listen "127.0.0.1:$(it_free_port)" --pg-dsn "$dsn" \
    --redis-addr "$UWALLET_REDIS_ADDR" --redis-prefix "outbox-prune-test-$$:" \
    --identity-key "$UWALLET_IDENTITY_KEY" "$@" </dev/null
}
# refused NAME FLAG-TEXT CMD...: CMD exits non-zero, and its output names FLAG-TEXT.
refused() {
  local name="$1" text="$2"; shift 2
  local code
  out=$("$@" 2>&1)
  code=$?
  check "$name: refused (exit $code)" test "$code" -ne 0 -a "$code" -ne 124 -a "$code" -ne 137
  check "$name: says why" grep -qF -- "$text" <<<"$out"
  out=""
}

refused "a negative retention" "--outbox-retention must be 0" run_ledger --metrics-listen= --outbox-retention=-1h
refused "a zero interval" "--outbox-prune-every must be more than 0" run_ledger --metrics-listen= --outbox-prune-every=0s
for slots in -1 257; do
  refused "auth with $slots hash slots" "--password-hash-slots must be 0..256" \
    timeout --kill-after=5 "$EXIT_WAIT_S" env -i PATH="$PATH" "$AUTH" --listen "127.0.0.1:$(it_free_port)" --metrics-listen= --pg-dsn "$dsn" \
    --redis-addr "$UWALLET_REDIS_ADDR" --redis-prefix "outbox-prune-test-$$:" \
    --identity-key "$UWALLET_IDENTITY_KEY" --dev-mailbox --password-hash-slots="$slots"
done

metrics_port="$(it_free_port)"
port="$(it_free_port)"
env -i PATH="$PATH" "$LEDGER" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" \
  --pg-dsn "$dsn" --redis-addr "$UWALLET_REDIS_ADDR" --redis-prefix "outbox-prune-test-$$:" \
  --identity-key "$UWALLET_IDENTITY_KEY" --outbox-retention=1h --outbox-prune-every=1s \
  >"$work/ledger.log" 2>&1 </dev/null &
pids+=($!)
"$UWCTL" health --wait=60s "127.0.0.1:$port" >/dev/null 2>&1 || { echo "the ledger did not become ready"; tail -20 "$work/ledger.log"; exit 1; }

# A UUIDv7 made AGO seconds before now: the first 48 bits are its Unix time in milliseconds.
uuid_v7_ago() {
  local hex
  hex=$(printf '%012x' $(( ($(date +%s) - $1) * 1000 )))
  printf '%s-%s-7%s-8%s-%s\n' "${hex:0:8}" "${hex:8:4}" "$(openssl rand -hex 2 | cut -c2-4)" \
    "$(openssl rand -hex 2 | cut -c2-4)" "$(openssl rand -hex 6)"
}
old_event=$(uuid_v7_ago 7200)
new_event=$(uuid_v7_ago 0)
old_marker=$(uuid_v7_ago $((3 * 86400)))
new_marker=$(uuid_v7_ago 0)
# Published by an earlier relay pass: the relay itself leaves published rows alone.
sql "INSERT INTO ledger.outbox (event_id, type, source, subject_id, payload, occurred_at, published_at) VALUES
       ('$old_event', 'test.old', 'ledger', 's', '{}', now() - interval '2 hours', now() - interval '2 hours'),
       ('$new_event', 'test.new', 'ledger', 's', '{}', now(), now());
     INSERT INTO ledger.processed_events (consumer_group, event_id) VALUES
       ('outbox-prune-test', '$old_marker'), ('outbox-prune-test', '$new_marker')"

# rows TABLE EVENT-ID N: TABLE holds N rows of that event.
rows() { [ "$(sql "SELECT count(*) FROM ledger.$1 WHERE event_id = '$2'")" = "$3" ]; }
gone() { rows "$1" "$2" 0; }
kept() { rows "$1" "$2" 1; }
for _ in $(seq 1 $((PRUNE_WAIT_S * 5))); do
  gone outbox "$old_event" && gone processed_events "$old_marker" && break
  sleep 0.2
done
check "the published event 2 hours old is deleted" gone outbox "$old_event"
check "the event of now is kept" kept outbox "$new_event"
check "the marker of an event 3 days old is deleted" gone processed_events "$old_marker"
check "the marker of an event of now is kept" kept processed_events "$new_marker"

scrape() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
# metric NAME{LABELS}: its value in the ledger's scrape (empty when absent).
metric() { scrape "http://127.0.0.1:$metrics_port/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
at_least() { python3 -c 'import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
check "uwallet_outbox_pruned_total counts the event" at_least "$(metric 'uwallet_outbox_pruned_total{table="outbox"}')" 1
check "uwallet_outbox_pruned_total counts the marker" at_least "$(metric 'uwallet_outbox_pruned_total{table="processed_events"}')" 1
check "passes are counted as ok" at_least "$(metric 'uwallet_outbox_prune_passes_total{result="ok"}')" 1
check "no pass failed" test "$(metric 'uwallet_outbox_prune_passes_total{result="failed"}')" = "0"
check "the last pass is stamped with today's time" at_least "$(metric uwallet_outbox_last_prune_timestamp_seconds)" "$(( $(date +%s) - 3600 ))"
check "the log reports what was pruned" grep -q "outbox pruned" "$work/ledger.log"

it_summary
