# tools/bench payments [--seconds=N] [--clients=N] [--users=N] [--accounts=N]
# Transfers/s through the whole payment path next to the naive SQL transfer, in one run:
#   (a) pgbench with the naive double-entry transfer of `tools/bench ledger` (same script:
#       BEGIN; 2×UPDATE; INSERT; END; 100k accounts, random pairs), 64 clients;
#   (b) PaymentsService.Transfer through the gateway (gRPC, real session tokens) → payments
#       (PIN check, payer/payee lookup in auth, limits, fraud Assess, payment row + history +
#       outbox) → ledger (linked batch), 64 clients, each transfer with its own idempotency key,
#       random pairs among --users customers created beforehand the way an app creates them
#       (register, verify, login, step-up → PIN, card, top-up).
# Prints tps of both, their ratio (goal ≥ 0.6), p50/p99 of the payment path, errors by reason,
# the argon2id PIN-check cost, and the CPU each process used during (b).
# UW_BENCH_PG_STATEMENTS=1: PostgreSQL loads pg_stat_statements and the run ends with the
# statements that took the most server time during (b), per service schema.
# Self-contained: its own throw-away PostgreSQL (fsync on) and Redis and the whole suite on free
# ports (tools/lib/suite.sh), stopped at exit. Does not need tools/up. Asserts nothing.
source "$UW_ROOT/tools/lib/suite.sh"
for arg in "$@"; do
  case "$arg" in
    --seconds=*) UW_BENCH_SECONDS="${arg#*=}" ;;
    --clients=*) UW_BENCH_CLIENTS="${arg#*=}" ;;
    --users=*) UW_BENCH_USERS="${arg#*=}" ;;
    --accounts=*) UW_BENCH_ACCOUNTS="${arg#*=}" ;;
    *) uw_die "unknown argument $arg" ;;
  esac
done

bench_payments() {
  local seconds="${UW_BENCH_SECONDS:-10}" clients="${UW_BENCH_CLIENTS:-64}"
  local users="${UW_BENCH_USERS:-256}" accounts="${UW_BENCH_ACCOUNTS:-100000}"
  command -v pgbench >/dev/null || uw_die "pgbench is missing (Debian: postgresql-client)"
  if [ -n "${UW_BENCH_PG_STATEMENTS:-}" ]; then
    export UW_PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  fi
  if [ ! -f "$UW_BUILD_DIR/build.ninja" ]; then
    cmake -S "$UW_ROOT" -B "$UW_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  uw_say "building the suite, uwallet-payments-load, uwctl"
  local targets=(uwallet-payments-load uwctl)
  for svc in "${UW_SERVICES[@]}"; do targets+=("uwallet-$svc"); done
  ninja -C "$UW_BUILD_DIR" ${UW_NINJA_FLAGS:-} "${targets[@]}" >/dev/null
  local load_bin="$UW_BUILD_DIR/services/payments/uwallet-payments-load"

  RUN="$(mktemp -d /tmp/uwallet-bench.XXXXXX)"
  chmod 755 "$RUN"
  PG_PORT=$(uw_free_port)
  REDIS_PORT=$(uw_free_port)
  trap bench_payments_cleanup EXIT
  trap 'exit 130' INT TERM

  uw_say "throw-away PostgreSQL on 127.0.0.1:$PG_PORT (fsync on, synchronous_commit on), Redis on 127.0.0.1:$REDIS_PORT"
  UW_PG_FSYNC=on uw_pg_start "$RUN/pg" "$PG_PORT"
  uw_redis_start "$RUN/redis" "$REDIS_PORT"
  export UW_PG_DSN="$(uw_pg_dsn "$PG_PORT")" UW_REDIS_ADDR="127.0.0.1:$REDIS_PORT"
  local psql=(psql -h 127.0.0.1 -p "$PG_PORT" -U uwallet -d uwallet -v ON_ERROR_STOP=1 -q)

  for svc in GATEWAY HTTP AUTH LEDGER PAYMENTS SUPPORT FRAUD; do export "UW_PORT_$svc=$(uw_free_port)"; done
  for svc in GATEWAY AUTH LEDGER PAYMENTS SUPPORT FRAUD; do export "UW_METRICS_$svc=$(uw_free_port)"; done
  uw_suite_env "$RUN"
  # Bench-only configuration (printed below): every transfer comes from one address and a few
  # hundred users, so the gateway's per-IP/per-user token buckets (normal bursts 200/100) would
  # cap a benchmark, not the path. Logs at warn, as in the other benches.
  {
    echo "UWALLET_IP_BURST='1000000000'"
    echo "UWALLET_USER_BURST='1000000000'"
    echo "UWALLET_LOG_LEVEL='warn'"
  } >>"$RUN/env"
  uw_say "starting the suite"
  uw_suite_start "$RUN"
  set -a; source "$RUN/env"; set +a

  local rules_note="fraud rules as seeded"
  # Random pairs among a few hundred users: every payer pays many first-time payees within
  # minutes. The seeded velocity (review at 10 payments / 10 min) and many_new_payees (challenge
  # at 5 new payees / day) rules would hold or challenge nearly all bench traffic, so they get
  # thresholds no bench user reaches; every other rule stays as seeded and Assess still runs and
  # logs a decision for every transfer.
  "${psql[@]}" -c "UPDATE fraud.rules SET threshold = 1000000000, version = version + 1,
                     updated_at = now(), updated_by = 'tools/bench payments'
                   WHERE rule_id IN ('velocity', 'many_new_payees')" >/dev/null
  rules_note="fraud rules velocity and many_new_payees: threshold raised to 1e9 (others as seeded)"

  uw_say "creating $users customers (register, verify, login, step-up → PIN, card, top-up; ~1 min: auth spaces codes to one address by 60 s)"
  "$load_bin" --phase=setup --auth-addr="$UWALLET_AUTH_ADDR" --payments-addr="$UWALLET_PAYMENTS_ADDR" \
    --identity-key="$UWALLET_IDENTITY_KEY" --users="$users" --users-file="$RUN/users.txt" ||
    uw_die "setup failed (service logs in $RUN/logs)"

  uw_say "naive schema: $accounts accounts"
  "${psql[@]}" <<SQL
CREATE SCHEMA naive;
CREATE TABLE naive.accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE naive.transfers (id bigserial PRIMARY KEY, debit_id int NOT NULL, credit_id int NOT NULL,
                              amount bigint NOT NULL CHECK (amount > 0), created_at timestamptz NOT NULL);
INSERT INTO naive.accounts SELECT g, 1000000000000 FROM generate_series(1, $accounts) g;
VACUUM ANALYZE naive.accounts;
SQL
  # The naive transfer of tools/bench.d/ledger.sh, unchanged.
  cat >"$RUN/naive.sql" <<'SQL'
\set from random(1, :accounts)
\set to random(1, :accounts - 1)
\if :to >= :from
\set to :to + 1
\endif
\set amount random(1, 100)
BEGIN;
UPDATE naive.accounts SET balance = balance - :amount WHERE id = :from;
UPDATE naive.accounts SET balance = balance + :amount WHERE id = :to;
INSERT INTO naive.transfers (debit_id, credit_id, amount, created_at) VALUES (:from, :to, :amount, now());
END;
SQL

  local machine
  machine="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), \
PostgreSQL $("${psql[@]}" -Atc 'SHOW server_version' | cut -d' ' -f1)"
  local load_before
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

  uw_say "pgbench naive transfer, $clients clients, ${seconds}s"
  local prefix="$RUN/pgbench"
  pgbench -h 127.0.0.1 -p "$PG_PORT" -U uwallet -n -M prepared -c "$clients" -j 2 \
    -T "$seconds" --max-tries=10 -D accounts="$accounts" -f "$RUN/naive.sql" \
    -l --log-prefix="$prefix" uwallet >"$prefix.out" 2>&1 ||
    { cat "$prefix.out" >&2; uw_die "pgbench failed"; }
  local p_tps p_p50 p_p99
  p_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$prefix.out" | head -1)
  read -r p_p50 p_p99 < <(cat "$prefix".[0-9]* | awk '{print $3}' | sort -n | awk '
      { v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.50) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')

  # CPU ticks of every process of the suite (and PostgreSQL, Redis) around the payment run.
  cpu_ticks() {  # "name ticks" per service, then PostgreSQL (postmaster + backends) and Redis
    local svc pid postmaster
    for svc in "${UW_SERVICES[@]}"; do
      pid=$(cat "$RUN/pids/$svc.pid")
      echo "$svc $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    done
    postmaster=$(head -1 "$RUN/pg/data/postmaster.pid")
    echo "postgres $(for p in "$postmaster" $(pgrep -P "$postmaster"); do
      awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || true; done | awk '{s += $1} END {print s + 0}')"
    echo "redis $(awk '{print $14 + $15}' "/proc/$(cat "$RUN/redis/redis.pid")/stat" 2>/dev/null || echo 0)"
  }

  uw_say "Transfer through the gateway, $clients clients, ${seconds}s (+5s warm-up)"
  local fallbacks_before
  fallbacks_before=$(grep -c "risk check unavailable" "$RUN/logs/payments.log" || true)
  if [ -n "${UW_BENCH_PG_STATEMENTS:-}" ]; then
    "${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
  fi
  cpu_ticks >"$RUN/cpu-before"
  local started_ns ended_ns
  started_ns=$(date +%s%N)
  "$load_bin" --phase=load --gateway-addr="$UWALLET_GATEWAY_ADDR" --users-file="$RUN/users.txt" \
    --clients="$clients" --duration="${seconds}s" --warmup=5s >"$RUN/load.out" ||
    { cat "$RUN/load.out" >&2; uw_die "the load client failed"; }
  ended_ns=$(date +%s%N)
  cpu_ticks >"$RUN/cpu-after"
  local fallbacks
  fallbacks=$(( $(grep -c "risk check unavailable" "$RUN/logs/payments.log" || true) - fallbacks_before ))
  local load_during
  load_during="$(cut -d' ' -f1-3 /proc/loadavg)"
  local l_tps l_p50 l_p99 l_err reasons client_cpu
  read -r l_tps l_p50 l_p99 l_err client_cpu < <(head -1 "$RUN/load.out" | awk '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      printf "%s %s %s %s %s\n", f["tps"], f["p50_ms"], f["p99_ms"], f["errors"], f["client_cpu_pct"] }')
  reasons=$(sed -n 's/^errors_by_reason: *//p' "$RUN/load.out")
  local ok_count
  ok_count=$(head -1 "$RUN/load.out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')

  local cpu_line
  # CPU of each process over the whole load run (warm-up and drain included) and per transfer
  # completed in that time.
  local done_count
  done_count=$("${psql[@]}" -Atc "SELECT count(*) FROM payments.payments
      WHERE idempotency_key LIKE 'bench-%' AND idempotency_key <> 'bench-top-up'")
  cpu_line=$(awk -v hz="$(getconf CLK_TCK)" -v ms="$(( (ended_ns - started_ns) / 1000000 ))" \
      -v n="$done_count" '
      NR == FNR { before[$1] = $2; next }
      { s = ($2 - before[$1]) / hz
        printf "%s %.0f%% (%.1f ms/transfer)  ", $1, 100 * s / (ms / 1000), (n > 0 ? 1000 * s / n : 0) }' \
      "$RUN/cpu-before" "$RUN/cpu-after")

  local pin_forms
  pin_forms=$("${psql[@]}" -Atc "SELECT count(*) FILTER (WHERE pin_hash LIKE 'uwpin1\$%') || ' keyed (HMAC, --payments-pin-key), ' ||
      count(*) FILTER (WHERE pin_hash LIKE '\$argon2id\$%') || ' argon2id' FROM payments.payment_pins")
  uw_say "argon2id PIN check alone, $(nproc) threads, 3s"
  local argon
  argon=$("$load_bin" --phase=argon2 --threads="$(nproc)" --duration=3s)

  local books
  books=$("${psql[@]}" -Atc "SELECT CASE WHEN (SELECT sum(posted_debits) = sum(posted_credits)
      AND bool_and(allow_negative OR posted_credits - posted_debits - pending_debits >= 0)
      FROM ledger.balances) THEN 'balanced' ELSE 'NOT BALANCED' END")
  local payments_rows
  payments_rows=$("${psql[@]}" -Atc "SELECT count(*) FILTER (WHERE status = 3) || ' succeeded, ' ||
      count(*) FILTER (WHERE status <> 3) || ' not succeeded, ' ||
      count(DISTINCT (owner_user_id, idempotency_key)) || ' distinct keys'
      FROM payments.payments WHERE idempotency_key LIKE 'bench-%' AND idempotency_key <> 'bench-top-up'")

  echo
  echo "uwallet tools/bench payments — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $machine"
  echo "load average before: $load_before; after the payment run: $load_during (shared machine: other engineers' builds run beside it)"
  echo "setup: PostgreSQL fsync=on synchronous_commit=on; $clients clients, ${seconds}s each;"
  echo "       naive = pgbench -M prepared, $accounts accounts, one transaction per transfer (BEGIN; 2×UPDATE; INSERT; END);"
  echo "       payments = PaymentsService.Transfer via the gateway (gRPC, Bearer session) → payments → fraud Assess → ledger,"
  echo "       $users users (verified, PIN set, topped up), random pairs, amounts 1..100 minor, a fresh idempotency key each"
  echo "bench configuration: gateway --ip-burst/--user-burst 1e9; $rules_note; payment limits as default"
  echo
  printf '%-10s %10s %10s %10s %8s\n' "" tps p50_ms p99_ms errors
  printf '%-10s %10s %10s %10s %8s\n' naive "$p_tps" "$p_p50" "$p_p99" 0
  printf '%-10s %10s %10s %10s %8s\n' payments "$l_tps" "$l_p50" "$l_p99" "$l_err"
  echo "ratio payments/naive: $(awk -v a="$l_tps" -v b="$p_tps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') (goal >= 0.6)"
  echo "payment errors by reason: $reasons"
  echo "risk checks that timed out (--payments-fraud-timeout) and fell back to the fail policy during the run: $fallbacks"
  echo "CPU during the payment run (100% = one core): $cpu_line load-client ${client_cpu}%"
  echo "stored PINs: $pin_forms"
  echo "argon2id PIN check alone (how PINs were stored before the PIN key): $argon"
  local ceiling
  ceiling=$(echo "$argon" | sed -n 's/.*argon2id_verify_per_s=\([0-9.]*\).*/\1/p')
  echo "ceiling with argon2id PINs on this machine now: ${ceiling} transfers/s (one verification per transfer, all cores);" \
    "payments reached $(awk -v a="$l_tps" -v b="$ceiling" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') of it"
  echo "after the run: ledger books $books; bench transfers in payments: $payments_rows (measured ok: $ok_count)"
  if [ -n "${UW_BENCH_PG_STATEMENTS:-}" ]; then
    echo
    echo "statements by server time during the payment run (pg_stat_statements, top 15):"
    "${psql[@]}" -P pager=off -c "SELECT round(total_exec_time::numeric, 0) AS total_ms, calls,
        round((total_exec_time / greatest(calls, 1))::numeric, 3) AS ms_per_call, rows,
        left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15"
  fi
}

bench_payments_cleanup() {
  local code=$?
  uw_suite_stop "$RUN" || true
  uw_redis_stop "$RUN/redis" "${REDIS_PORT:-0}" || true
  uw_pg_stop "$RUN/pg" || true
  rm -rf "$RUN"
  exit "$code"
}

bench_payments
