# tools/bench ledger [--seconds=N] [--clients="16 64 256"] [--accounts=N] [--rate-clients=N]
#                    [--rounds=N]
# The ledger's gRPC PostTransfers against the naive double-entry transfer done by pgbench (one
# transaction per transfer: BEGIN; 2×UPDATE; INSERT; END), in one run on the same throw-away
# PostgreSQL (fsync and synchronous_commit on), at 16, 64 and 256 clients (100k accounts, random
# pairs): transfers/s, their ratio, p50/p99. Then both at half the naive rate at 64 clients
# (pgbench -R, and the load client's Poisson schedule) to compare latency tails. Every comparison
# runs in --rounds rounds (default 3), pgbench then the ledger, and is summed up by its median.
# Self-contained: starts its own PostgreSQL, Redis and uwallet-ledger on free ports, stops them.
for arg in "$@"; do
  case "$arg" in
    --seconds=*) UW_BENCH_SECONDS="${arg#*=}" ;;
    --clients=*) UW_BENCH_CLIENTS="${arg#*=}" ;;
    --accounts=*) UW_BENCH_ACCOUNTS="${arg#*=}" ;;
    --rate-clients=*) UW_BENCH_RATE_CLIENTS="${arg#*=}" ;;
    --rounds=*) UW_BENCH_ROUNDS="${arg#*=}" ;;
    *) uw_die "unknown argument $arg" ;;
  esac
done

bench_ledger() {
  local seconds="${UW_BENCH_SECONDS:-10}" clients_list="${UW_BENCH_CLIENTS:-16 64 256}"
  local accounts="${UW_BENCH_ACCOUNTS:-100000}" rate_clients="${UW_BENCH_RATE_CLIENTS:-64}"
  local rounds="${UW_BENCH_ROUNDS:-3}"
  command -v pgbench >/dev/null || uw_die "pgbench is missing (Debian: postgresql-client)"

  if [ ! -f "$UW_BUILD_DIR/build.ninja" ]; then
    cmake -S "$UW_ROOT" -B "$UW_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  uw_say "building uwallet-ledger, uwallet-ledger-load, uwctl"
  ninja -C "$UW_BUILD_DIR" ${UW_NINJA_FLAGS:-} uwallet-ledger uwallet-ledger-load uwctl >/dev/null
  local ledger_bin="$UW_BUILD_DIR/services/ledger/uwallet-ledger"
  local load_bin="$UW_BUILD_DIR/services/ledger/uwallet-ledger-load"
  local uwctl="$UW_BUILD_DIR/tools/ctl/uwctl"

  RUN="$(mktemp -d /tmp/uwallet-bench.XXXXXX)"
  chmod 755 "$RUN"
  PG_PORT=$(uw_free_port)
  REDIS_PORT=$(uw_free_port)
  LEDGER_PID=""
  trap bench_ledger_cleanup EXIT
  trap 'exit 130' INT TERM

  uw_say "throw-away PostgreSQL on 127.0.0.1:$PG_PORT (fsync on, synchronous_commit on)"
  UW_PG_FSYNC=on uw_pg_start "$RUN/pg" "$PG_PORT"
  uw_redis_start "$RUN/redis" "$REDIS_PORT"
  local dsn
  dsn="$(uw_pg_dsn "$PG_PORT")"
  local psql=(psql -h 127.0.0.1 -p "$PG_PORT" -U uwallet -d uwallet -v ON_ERROR_STOP=1 -q)

  uw_say "naive schema: $accounts accounts"
  "${psql[@]}" <<SQL
CREATE SCHEMA naive;
CREATE TABLE naive.accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE naive.transfers (id bigserial PRIMARY KEY, debit_id int NOT NULL, credit_id int NOT NULL,
                              amount bigint NOT NULL CHECK (amount > 0), created_at timestamptz NOT NULL);
INSERT INTO naive.accounts SELECT g, 1000000000000 FROM generate_series(1, $accounts) g;
VACUUM ANALYZE naive.accounts;
SQL
  # The naive double-entry transfer: one transaction per transfer, five statements, prepared.
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

  local ledger_port identity_key
  ledger_port=$(uw_free_port)
  identity_key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  uw_say "starting uwallet-ledger on 127.0.0.1:$ledger_port"
  UWALLET_PG_DSN="$dsn" UWALLET_REDIS_ADDR="127.0.0.1:$REDIS_PORT" UWALLET_IDENTITY_KEY="$identity_key" \
    UWALLET_LISTEN="127.0.0.1:$ledger_port" UWALLET_METRICS_LISTEN="127.0.0.1:$(uw_free_port)" \
    UWALLET_PG_POOL_SIZE=24 UWALLET_LOG_LEVEL=warn \
    setsid "$ledger_bin" >"$RUN/ledger.log" 2>&1 </dev/null &
  LEDGER_PID=$!
  "$uwctl" health --wait=60s "127.0.0.1:$ledger_port" >/dev/null ||
    { tail -5 "$RUN/ledger.log" >&2; uw_die "the ledger did not become healthy"; }

  uw_say "ledger accounts: $accounts wallets, each funded by a top-up from a settlement account"
  # Bulk SQL instead of 100k RPCs, but booked the way the ledger books: a transfer with both
  # legs per wallet, so the trial balance still balances.
  "${psql[@]}" <<SQL
BEGIN;
CREATE TEMP TABLE bench_ids AS
  SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS transfer_id
  FROM generate_series(1, $accounts) g;
INSERT INTO ledger.accounts (account_id, owner_id, owner_kind, kind, currency, allow_negative, created_at)
  SELECT id, 'bench-user-' || g, 1, 1, 'CNY', false, now() FROM bench_ids
  UNION ALL SELECT '00000000-0000-4000-8000-0000000000b1', 'bench-bank', 3, 3, 'CNY', true, now();
INSERT INTO ledger.account_directory (owner_id, kind, currency, account_id)
  SELECT owner_id, kind, currency, account_id FROM ledger.accounts WHERE owner_id LIKE 'bench-%';
INSERT INTO ledger.balances (account_id, currency, allow_negative, posted_credits, updated_at)
  SELECT id, 'CNY', false, 1000000000000, now() FROM bench_ids;
INSERT INTO ledger.balances (account_id, currency, allow_negative, posted_debits, updated_at)
  VALUES ('00000000-0000-4000-8000-0000000000b1', 'CNY', true, 1000000000000 * $accounts, now());
INSERT INTO ledger.transfers (transfer_id, debit_account_id, credit_account_id, amount_minor,
                              currency, kind, description, caller, created_at)
  SELECT transfer_id, '00000000-0000-4000-8000-0000000000b1', id, 1000000000000, 'CNY', 1,
         'bench opening balance', 'bench', now() FROM bench_ids;
INSERT INTO ledger.entries (account_id, transfer_id, direction, counterparty_account_id,
                            amount_minor, currency, kind, balance_after, created_at)
  SELECT id, transfer_id, 1, '00000000-0000-4000-8000-0000000000b1', 1000000000000, 'CNY', 1,
         1000000000000, now() FROM bench_ids
  UNION ALL
  SELECT '00000000-0000-4000-8000-0000000000b1', transfer_id, 2, id, 1000000000000, 'CNY', 1,
         -1000000000000 * g, now() FROM bench_ids;
COMMIT;
VACUUM ANALYZE ledger.balances;
VACUUM ANALYZE ledger.accounts;
SQL
  "${psql[@]}" -Atc "SELECT account_id FROM ledger.accounts WHERE kind = 1" >"$RUN/accounts.txt"

  local machine
  machine="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), \
PostgreSQL $("${psql[@]}" -Atc 'SHOW server_version' | cut -d' ' -f1), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

  # CPU per transfer, so that the two sides can be compared by what they cost and not only by
  # how fast they ran on a noisy machine: PostgreSQL (postmaster, live backends and the backends
  # it reaped, whose time lands in its children's fields), the ledger process, and the client
  # (pgbench or the load client, from /usr/bin/time), over the whole run, divided by the
  # transfers the run wrote. One line per run goes to $RUN/cpu.txt.
  local hz
  hz=$(getconf CLK_TCK)
  pg_ticks() {
    local postmaster
    postmaster=$(head -1 "$RUN/pg/data/postmaster.pid")
    # A backend may exit between pgrep and the read (|| true: under pipefail a vanished last pid
    # used to end the whole bench without a word).
    for p in "$postmaster" $(pgrep -P "$postmaster"); do
      awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || true
    done | awk '{s += $1} END {print s + 0}'
  }
  transfer_count() {  # $1: naive | ledger
    if [ "$1" = naive ]; then
      "${psql[@]}" -Atc "SELECT count(*) FROM naive.transfers"
    else
      "${psql[@]}" -Atc "SELECT count(*) FROM ledger.transfers"
    fi
  }
  cpu_mark() {
    CPU_PG0=$(pg_ticks)
    CPU_LEDGER0=$(awk '{print $14 + $15}' "/proc/$LEDGER_PID/stat")
    CPU_N0=$(transfer_count "$1")
  }
  cpu_report() {  # $1: naive | ledger, $2: label
    local pg ledger n client
    pg=$(( $(pg_ticks) - CPU_PG0 ))
    ledger=$(( $(awk '{print $14 + $15}' "/proc/$LEDGER_PID/stat") - CPU_LEDGER0 ))
    n=$(( $(transfer_count "$1") - CPU_N0 ))
    client=$(awk '{print $1 + $2}' "$RUN/client.cpu")
    [ "$1" = naive ] && ledger=0
    awk -v side="$1" -v label="$2" -v hz="$hz" -v pg="$pg" -v ledger="$ledger" -v n="$n" \
        -v client="$client" 'BEGIN {
      if (n <= 0) n = 1
      pg_us = 1e6 * pg / hz / n; l_us = 1e6 * ledger / hz / n; c_us = 1e6 * client / n
      printf "%-6s %-16s %8d transfers   postgres %6.0f   ledger %6.0f   client %6.0f   total %6.0f\n",
             side, label, n, pg_us, l_us, c_us, pg_us + l_us + c_us }' >>"$RUN/cpu.txt"
  }

  # pgbench at `clients` (and optional rate): prints "tps p50_ms p99_ms"
  run_pgbench() {
    local clients="$1" rate="${2:-}" prefix="$RUN/pgbench-$1-${2:-max}" extra=()
    [ -n "$rate" ] && extra+=(-R "$rate")
    local threads=2
    [ "$clients" -lt 2 ] && threads=1
    cpu_mark naive
    /usr/bin/time -f '%U %S' -o "$RUN/client.cpu" \
      pgbench -h 127.0.0.1 -p "$PG_PORT" -U uwallet -n -M prepared -c "$clients" -j "$threads" \
      -T "$seconds" --max-tries=10 -D accounts="$accounts" -f "$RUN/naive.sql" \
      -l --log-prefix="$prefix" "${extra[@]}" uwallet >"$prefix.out" 2>&1 ||
      { cat "$prefix.out" >&2; uw_die "pgbench failed"; }
    cpu_report naive "$clients${rate:+ at $rate/s}"
    local tps
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$prefix.out" | head -1)
    # Per-transaction log: field 3 is the latency in µs (from the scheduled start under -R).
    cat "$prefix".* | awk '{print $3}' | sort -n | awk -v tps="$tps" '
      { v[NR] = $1 }
      END { p50 = v[int(NR * 0.50) + 1]; p99 = v[int(NR * 0.99) + 1];
            printf "%.0f %.3f %.3f\n", tps, p50 / 1000, p99 / 1000 }'
  }
  # The ledger through gRPC: prints "tps p50_ms p99_ms errors"
  run_ledger() {
    local clients="$1" rate="${2:-0}" out
    cpu_mark ledger
    out=$(/usr/bin/time -f '%U %S' -o "$RUN/client.cpu" \
      "$load_bin" --addr="127.0.0.1:$ledger_port" --identity-key="$identity_key" \
      --accounts-file="$RUN/accounts.txt" --clients="$clients" --rate="$rate" \
      --duration="${seconds}s" --warmup=2s)
    if [ "$rate" = 0 ]; then cpu_report ledger "$clients"; else cpu_report ledger "$clients at $rate/s"; fi
    echo "$out" >>"$RUN/ledger-load.out"
    echo "$out" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                         printf "%s %s %s %s\n", f["tps"], f["p50_ms"], f["p99_ms"], f["errors"] }'
  }

  # Each comparison runs in `rounds` rounds, pgbench then the ledger side by side in time; the
  # summary row is the median of the rounds (the machine's speed drifts by tens of percent within
  # a minute: adjacent runs see the same machine, runs minutes apart do not).
  median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                                  else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  local results=() naive_at_rate_clients=""
  for clients in $clients_list; do
    local ratios=() p_all=() l_all=() round
    for round in $(seq 1 "$rounds"); do
      uw_say "round $round/$rounds: pgbench naive transfer, $clients clients, ${seconds}s"
      read -r p_tps p_p50 p_p99 < <(run_pgbench "$clients") || uw_die "the pgbench run failed"
      uw_say "round $round/$rounds: ledger gRPC PostTransfers, $clients clients, ${seconds}s"
      read -r l_tps l_p50 l_p99 l_err < <(run_ledger "$clients") || uw_die "the ledger run failed"
      local ratio
      ratio=$(awk -v a="$l_tps" -v b="$p_tps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
      ratios+=("$ratio") p_all+=("$p_tps") l_all+=("$l_tps")
      results+=("$(printf '%-12s %12s %12s %7s   %9s %9s   %9s %9s %7s' "$clients r$round" "$p_tps" \
        "$l_tps" "$ratio" "$p_p50" "$p_p99" "$l_p50" "$l_p99" "$l_err")")
    done
    local p_med l_med r_med
    p_med=$(printf '%s\n' "${p_all[@]}" | median)
    l_med=$(printf '%s\n' "${l_all[@]}" | median)
    r_med=$(printf '%s\n' "${ratios[@]}" | median)
    results+=("$(printf '%-12s %12.0f %12.0f %7.2f   (median of %s rounds)' "$clients median" \
      "$p_med" "$l_med" "$r_med" "$rounds")")
    [ "$clients" = "$rate_clients" ] && naive_at_rate_clients="$p_med"
  done

  local rate_lines=()
  if [ -n "$naive_at_rate_clients" ]; then
    local rate=$(( ${naive_at_rate_clients%.*} / 2 )) diffs=() round
    for round in $(seq 1 "$rounds"); do
      uw_say "round $round/$rounds: both at $rate transfers/s (half the naive rate), $rate_clients clients"
      read -r p_tps p_p50 p_p99 < <(run_pgbench "$rate_clients" "$rate") ||
        uw_die "the pgbench run at $rate/s failed"
      read -r l_tps l_p50 l_p99 l_err < <(run_ledger "$rate_clients" "$rate") ||
        uw_die "the ledger run at $rate/s failed"
      local diff
      diff=$(awk -v a="$l_p99" -v b="$p_p99" 'BEGIN { printf "%+.3f", a - b }')
      diffs+=("$diff")
      rate_lines+=("$(printf 'r%s at %s/s, %s clients: pgbench -R  %s/s p50 %s ms p99 %s ms | ledger  %s/s p50 %s ms p99 %s ms (errors %s) | p99 difference %s ms' \
        "$round" "$rate" "$rate_clients" "$p_tps" "$p_p50" "$p_p99" "$l_tps" "$l_p50" "$l_p99" "$l_err" "$diff")")
    done
    rate_lines+=("median p99 difference (ledger - pgbench) at half rate: $(printf '%s\n' "${diffs[@]}" | median | awk '{ printf "%+.3f", $1 }') ms (goal: <= +3 ms)")
  fi

  local books
  books=$("${psql[@]}" -Atc "SELECT CASE WHEN (SELECT sum(posted_debits) = sum(posted_credits)
      AND sum(posted_debits) = (SELECT sum(amount_minor) FROM ledger.transfers)
      AND bool_and(allow_negative OR posted_credits - posted_debits - pending_debits >= 0)
      FROM ledger.balances) THEN 'balanced' ELSE 'NOT BALANCED' END
      || ', ' || (SELECT count(*) FROM ledger.transfers WHERE caller = 'bench') || ' transfers'")

  echo
  echo "uwallet tools/bench ledger — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $machine"
  echo "setup: $accounts accounts, random pairs, amounts 1..100, ${seconds}s per run; PostgreSQL fsync=on synchronous_commit=on;"
  echo "       naive = pgbench -M prepared, one transaction per transfer (BEGIN; 2×UPDATE; INSERT; END);"
  echo "       ledger = uwallet-ledger PostTransfers over gRPC (idempotency key, both legs, outbox event, batched commits)"
  echo
  printf '%-12s %12s %12s %7s   %9s %9s   %9s %9s %7s\n' clients "naive tps" "ledger tps" ratio \
    "naive p50" "naive p99" "ldgr p50" "ldgr p99" errors
  local line
  for line in "${results[@]}"; do echo "$line"; done
  if [ "${#rate_lines[@]}" -gt 0 ]; then
    echo
    for line in "${rate_lines[@]}"; do echo "$line"; done
  fi
  echo
  echo "CPU per transfer (µs; the whole run, warm-up included, over the transfers it wrote):"
  cat "$RUN/cpu.txt"
  echo "ledger books after the run: $books"
  echo "(latencies in ms; raw output in $RUN is removed at exit)"
}

bench_ledger_cleanup() {
  local code=$?
  if [ -n "${LEDGER_PID:-}" ]; then
    kill -TERM "$LEDGER_PID" 2>/dev/null || true
    wait "$LEDGER_PID" 2>/dev/null || true
  fi
  uw_redis_stop "$RUN/redis" "${REDIS_PORT:-0}" || true
  uw_pg_stop "$RUN/pg" || true
  rm -rf "$RUN"
  exit "$code"
}

bench_ledger
