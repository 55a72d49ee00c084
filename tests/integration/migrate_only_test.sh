#!/usr/bin/env bash
# The contract of the Helm chart's migrations Jobs (deploy/helm/uwallet/templates/migrations-job.yaml):
# `uwallet-<service> --migrate-only`, given only what the Job gives it (UWALLET_PG_DSN and
# UWALLET_LOG_LEVEL; no identity key, no Redis, no listen address), applies the service's
# migrations to an empty database and exits 0 instead of serving; a second run is a no-op that
# also exits 0. Uses a fresh database on the suite's throw-away PostgreSQL (UWALLET_TEST_ENV_FILE),
# dropped afterwards. Without the env file it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
it_suite_env
SERVICES=(auth ledger payments support fraud)  # the services that own a schema
# A binary that serves instead of exiting is stopped after this long (a bound, not a timing check).
EXIT_WAIT_S=120

database="uwallet_migrate_only_$$"
dsn="$UWALLET_PG_DSN dbname=$database"  # the last dbname wins in a libpq conninfo
cleanup() { psql "$UWALLET_PG_DSN" -qAtc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1; }
trap cleanup EXIT
psql "$UWALLET_PG_DSN" -qAtc "CREATE DATABASE $database" >/dev/null || { echo "cannot create $database"; exit 1; }


# run_job SERVICE LOG: the binary with exactly the Job's environment.
run_job() {
  local svc="$1" log="$2"
  env -i PATH="$PATH" UWALLET_PG_DSN="$dsn" UWALLET_LOG_LEVEL=info \
    timeout --kill-after=5 "$EXIT_WAIT_S" "$BUILD/services/$svc/uwallet-$svc" --migrate-only >"$log" 2>&1 </dev/null
}
exits_zero() {  # exits_zero SERVICE LOG
  run_job "$1" "$2"
  local code=$?
  [ "$code" -eq 0 ] && return 0
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    echo "  uwallet-$1 --migrate-only did not exit within ${EXIT_WAIT_S}s (serving instead?)"
  else
    echo "  uwallet-$1 --migrate-only exited $code:"
  fi
  head -3 "$2" | sed 's/^/    /'
  return 1
}
has_migrations() {  # has_migrations SERVICE: its schema holds applied migrations
  local count
  count="$(psql "$dsn" -qAtc "SELECT count(*) FROM \"$1\".schema_migrations" 2>/dev/null)"
  [ -n "$count" ] && [ "$count" -ge 1 ] || { echo "  no rows in $1.schema_migrations"; return 1; }
}

log_dir="$(mktemp -d /tmp/uwallet-migrate-only.XXXXXX)"
trap 'cleanup; rm -rf "$log_dir"' EXIT
for svc in "${SERVICES[@]}"; do
  [ -x "$BUILD/services/$svc/uwallet-$svc" ] || { echo "missing uwallet-$svc"; exit 1; }
  check "$svc: --migrate-only on an empty database exits 0" exits_zero "$svc" "$log_dir/$svc-1.log"
  check "$svc: its migrations are applied" has_migrations "$svc"
  check "$svc: it did not start serving" bash -c "! grep -q '\"msg\":\"serving\"' '$log_dir/$svc-1.log'"
  check "$svc: a second --migrate-only exits 0 (nothing to do)" exits_zero "$svc" "$log_dir/$svc-2.log"
done

it_summary
