# tools/bench fraud [--seconds=N] [--clients="64"] [--users=N]
# FraudInternalService.Assess over gRPC: calls/s and p50/p99 at 64 concurrent clients, then p50/p99
# with the same clients paced to 1/2 and 1/4 of that rate (the goal: p99 < 10 ms at the service) (one
# feature read + rule evaluation + decision-log insert per call). Self-contained: starts its own
# throw-away PostgreSQL, Redis and uwallet-fraud on free ports, seeds risk features for the users,
# stops everything at exit. Prints figures; asserts nothing.
for arg in "$@"; do
  case "$arg" in
    --seconds=*) UW_BENCH_SECONDS="${arg#*=}" ;;
    --clients=*) UW_BENCH_CLIENTS="${arg#*=}" ;;
    --users=*) UW_BENCH_USERS="${arg#*=}" ;;
    *) uw_die "unknown argument $arg" ;;
  esac
done

bench_fraud() {
  local seconds="${UW_BENCH_SECONDS:-10}" clients_list="${UW_BENCH_CLIENTS:-64}"
  local users="${UW_BENCH_USERS:-10000}"
  if [ ! -f "$UW_BUILD_DIR/build.ninja" ]; then
    cmake -S "$UW_ROOT" -B "$UW_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  uw_say "building uwallet-fraud, uwallet-fraud-bench, uwctl"
  ninja -C "$UW_BUILD_DIR" ${UW_NINJA_FLAGS:-} uwallet-fraud uwallet-fraud-bench uwctl >/dev/null
  local fraud_bin="$UW_BUILD_DIR/services/fraud/uwallet-fraud"
  local bench_bin="$UW_BUILD_DIR/services/fraud/uwallet-fraud-bench"
  local uwctl="$UW_BUILD_DIR/tools/ctl/uwctl"

  RUN="$(mktemp -d /tmp/uwallet-bench.XXXXXX)"
  chmod 755 "$RUN"
  PG_PORT=$(uw_free_port)
  REDIS_PORT=$(uw_free_port)
  FRAUD_PID=""
  trap bench_fraud_cleanup EXIT
  trap 'exit 130' INT TERM

  uw_say "throw-away PostgreSQL on 127.0.0.1:$PG_PORT (fsync on), Redis on 127.0.0.1:$REDIS_PORT"
  UW_PG_FSYNC=on uw_pg_start "$RUN/pg" "$PG_PORT"
  uw_redis_start "$RUN/redis" "$REDIS_PORT"
  local dsn fraud_port identity_key
  dsn="$(uw_pg_dsn "$PG_PORT")"
  fraud_port=$(uw_free_port)
  identity_key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  uw_say "starting uwallet-fraud on 127.0.0.1:$fraud_port"
  UWALLET_PG_DSN="$dsn" UWALLET_REDIS_ADDR="127.0.0.1:$REDIS_PORT" UWALLET_IDENTITY_KEY="$identity_key" \
    UWALLET_LISTEN="127.0.0.1:$fraud_port" UWALLET_METRICS_LISTEN="127.0.0.1:$(uw_free_port)" \
    UWALLET_PG_POOL_SIZE=16 UWALLET_LOG_LEVEL=warn \
    setsid "$fraud_bin" >"$RUN/fraud.log" 2>&1 </dev/null &
  FRAUD_PID=$!
  "$uwctl" health --wait=60s "127.0.0.1:$fraud_port" >/dev/null ||
    { tail -5 "$RUN/fraud.log" >&2; uw_die "uwallet-fraud did not become healthy"; }

  uw_say "seeding risk features for $users users (known device, 20 past payments, 5 payees)"
  psql -h 127.0.0.1 -p "$PG_PORT" -U uwallet -d uwallet -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO fraud.risk_features (user_id, features, updated_at)
SELECT 'bench-user-' || g,
       jsonb_build_object(
         'devices', jsonb_build_array(jsonb_build_object('id', 'device-0', 'at', 0)),
         'payees', (SELECT jsonb_agg(jsonb_build_object('id', 'payee-' || p, 'at', 0))
                    FROM generate_series(1, 5) p),
         'payments', (SELECT jsonb_agg((extract(epoch from now()) * 1000000)::bigint - p * 86400000000)
                      FROM generate_series(1, 20) p),
         'amount_count', 20, 'amount_sum_minor', 20 * 15000, 'amount_max_minor', 50000),
       now()
FROM generate_series(0, $users - 1) g;
VACUUM ANALYZE fraud.risk_features;
SQL

  local machine
  machine="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, \
$(. /etc/os-release && echo "$PRETTY_NAME"), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local results=() line max_rate
  for clients in $clients_list; do
    uw_say "Assess, $clients clients, ${seconds}s, as fast as they can"
    line="$("$bench_bin" --addr="127.0.0.1:$fraud_port" --identity-key="$identity_key" \
      --clients="$clients" --duration="$seconds" --warmup=2 --users="$users")"
    results+=("$line")
    # The p99 that payments sees in normal operation: the same clients paced to half the rate.
    max_rate=$(sed -n 's/.*calls_per_s=\([0-9]*\).*/\1/p' <<<"$line")
    local divisor
    for divisor in 2 4; do
      [ "${max_rate:-0}" -ge "$divisor" ] || continue
      uw_say "Assess, $clients clients paced to $((max_rate / divisor)) calls/s (1/$divisor of the maximum), ${seconds}s"
      results+=("$("$bench_bin" --addr="127.0.0.1:$fraud_port" --identity-key="$identity_key" \
        --clients="$clients" --duration="$seconds" --warmup=2 --users="$users" --rate=$((max_rate / divisor)))")
    done
  done
  echo
  echo "uwallet tools/bench fraud — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $machine"
  echo "setup: $users users with seeded features, random users/amounts/payees, ${seconds}s per run;"
  echo "       each call: one feature read, 7 rules, one decision-log insert (synchronous_commit off)"
  for line in "${results[@]}"; do echo "$line"; done
}

bench_fraud_cleanup() {
  local code=$?
  if [ -n "${FRAUD_PID:-}" ]; then
    kill -TERM "$FRAUD_PID" 2>/dev/null || true
    wait "$FRAUD_PID" 2>/dev/null || true
  fi
  uw_redis_stop "$RUN/redis" "${REDIS_PORT:-0}" || true
  uw_pg_stop "$RUN/pg" || true
  rm -rf "$RUN"
  exit "$code"
}

bench_fraud
