# tools/bench auth [--seconds=N] [--clients=N] [--users=N] [--rounds=N]
# Sign-in throughput against the cost of argon2id, and session validation against Redis, in one run
# on the same machine (DESIGN §4, issue 3):
#   - argon2id alone: ms per hash and hashes/s on all cores (measured by the load client);
#   - Login over gRPC, N clients: logins/s and its share of the hashing alone (goal: >= 90%),
#     hashing and logins alternating in rounds (median of the rounds' ratios);
#   - ValidateSession over gRPC, N clients: calls/s beside redis-benchmark's GET rate (N clients,
#     no pipelining) on the same Redis.
# Self-contained: starts its own PostgreSQL (fsync on), Redis and uwallet-auth on free ports, and
# stops them. Prints figures; asserts nothing.
for arg in "$@"; do
  case "$arg" in
    --seconds=*) UW_BENCH_SECONDS="${arg#*=}" ;;
    --clients=*) UW_BENCH_CLIENTS="${arg#*=}" ;;
    --users=*) UW_BENCH_USERS="${arg#*=}" ;;
    --rounds=*) UW_BENCH_ROUNDS="${arg#*=}" ;;
    *) uw_die "unknown argument $arg" ;;
  esac
done

bench_auth() {
  local seconds="${UW_BENCH_SECONDS:-10}" clients="${UW_BENCH_CLIENTS:-8}"
  local users="${UW_BENCH_USERS:-16}" rounds="${UW_BENCH_ROUNDS:-3}"
  command -v redis-benchmark >/dev/null || uw_die "redis-benchmark is missing (Debian: redis-tools)"
  if [ ! -f "$UW_BUILD_DIR/build.ninja" ]; then
    cmake -S "$UW_ROOT" -B "$UW_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  uw_say "building uwallet-auth, uwallet-auth-bench, uwctl"
  ninja -C "$UW_BUILD_DIR" ${UW_NINJA_FLAGS:-} uwallet-auth uwallet-auth-bench uwctl >/dev/null
  local auth_bin="$UW_BUILD_DIR/services/auth/uwallet-auth"
  local bench_bin="$UW_BUILD_DIR/services/auth/uwallet-auth-bench"
  local uwctl="$UW_BUILD_DIR/tools/ctl/uwctl"

  RUN="$(mktemp -d /tmp/uwallet-bench.XXXXXX)"
  chmod 755 "$RUN"
  PG_PORT=$(uw_free_port)
  REDIS_PORT=$(uw_free_port)
  AUTH_PID=""
  trap bench_auth_cleanup EXIT
  trap 'exit 130' INT TERM

  uw_say "throw-away PostgreSQL on 127.0.0.1:$PG_PORT (fsync on), Redis on 127.0.0.1:$REDIS_PORT"
  UW_PG_FSYNC=on uw_pg_start "$RUN/pg" "$PG_PORT"
  uw_redis_start "$RUN/redis" "$REDIS_PORT"
  local auth_port metrics_port key
  auth_port=$(uw_free_port)
  metrics_port=$(uw_free_port)
  key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  # No per-IP sign-in budget: every bench login comes from one address.
  UWALLET_PG_DSN="$(uw_pg_dsn "$PG_PORT")" UWALLET_REDIS_ADDR="127.0.0.1:$REDIS_PORT" \
    UWALLET_IDENTITY_KEY="$key" UWALLET_TOTP_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
    UWALLET_LISTEN="127.0.0.1:$auth_port" UWALLET_METRICS_LISTEN="127.0.0.1:$metrics_port" \
    UWALLET_LOGINS_PER_IP_PER_MINUTE=0 UWALLET_LOG_LEVEL=warn \
    setsid "$auth_bin" >"$RUN/auth.log" 2>&1 </dev/null &
  AUTH_PID=$!
  "$uwctl" health --wait=60s "127.0.0.1:$auth_port" >/dev/null ||
    { tail -5 "$RUN/auth.log" >&2; uw_die "uwallet-auth did not become healthy"; }

  uw_say "load: $clients clients, $seconds s per phase, $users users"
  local cpu_of="auth:$AUTH_PID,postgres:$(head -1 "$RUN/pg/data/postmaster.pid"),redis:$(cat "$RUN/redis/redis.pid")"
  "$bench_bin" --target="127.0.0.1:$auth_port" --identity-key="$key" --seconds="$seconds" \
    --clients="$clients" --users="$users" --rounds="$rounds" --cpu-of="$cpu_of" \
    --metrics="127.0.0.1:$metrics_port" | tee "$RUN/bench.out"
  local validations
  validations=$(sed -n 's/.*validations_per_s=\([0-9.]*\).*/\1/p' "$RUN/bench.out")

  uw_say "redis-benchmark GET on the same Redis ($clients clients, no pipelining)"
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t get -n 200000 -c "$clients" -q \
    2>/dev/null | tr '\r' '\n' | grep -E '^GET: [0-9.]+ requests per second' | tee "$RUN/redis.out"
  local redis_get
  redis_get=$(sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' "$RUN/redis.out" | tail -1)
  if [ -n "$validations" ] && [ -n "$redis_get" ]; then
    python3 -c "print(f'ValidateSession: {float(\"$validations\"):.0f}/s = {100*float(\"$validations\")/float(\"$redis_get\"):.1f}% of redis GET ({float(\"$redis_get\"):.0f}/s)')"
  fi
}

bench_auth_cleanup() {
  local code=$?
  if [ -n "${AUTH_PID:-}" ]; then
    kill -TERM "$AUTH_PID" 2>/dev/null || true
    wait "$AUTH_PID" 2>/dev/null || true
  fi
  uw_redis_stop "$RUN/redis" "${REDIS_PORT:-0}" || true
  uw_pg_stop "$RUN/pg" || true
  rm -rf "$RUN"
  exit "$code"
}

bench_auth
