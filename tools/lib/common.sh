# Shared shell helpers for tools/*. Source with: source "$(dirname "$0")/lib/common.sh"
set -euo pipefail

UW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
UW_PG_BIN="${UW_PG_BIN:-/usr/lib/postgresql/15/bin}"
UW_BUILD_DIR="${UW_BUILD_DIR:-$UW_ROOT/build}"

uw_say() { printf '\033[1m[uwallet]\033[0m %s\n' "$*" >&2; }
uw_die() { printf '\033[1;31m[uwallet] %s\033[0m\n' "$*" >&2; exit 1; }

source "$UW_ROOT/tools/lib/deps.sh"

# A TCP port on 127.0.0.1 that nothing listens on now and that this script has not handed out
# before (see tools/lib/free_port.py: outside the ephemeral range, never the same one twice a run).
uw_free_port() {
  python3 "$UW_ROOT/tools/lib/free_port.py" "$$"
}

uw_port_in_use() {
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1',$1))==0 else 1)"
}

uw_build() {
  # ccache keyed on paths relative to the checkout, so every clone shares one warm cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$UW_ROOT}"
  local type="${UW_BUILD_TYPE:-RelWithDebInfo}" extra=()
  [ "${CI:-}" = "true" ] && extra+=(-DUWALLET_WERROR=ON)
  [ "${UW_SANITIZE:-0}" = "1" ] && extra+=(-DUWALLET_SANITIZE=ON)
  if [ ! -f "$UW_BUILD_DIR/build.ninja" ]; then
    cmake -S "$UW_ROOT" -B "$UW_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null
  fi
  uw_say "building (ninja, $(nproc) cores)"
  ninja -C "$UW_BUILD_DIR" ${UW_NINJA_FLAGS:-}
  uw_build_web
}

# The web console (services/web): npm run build (protoc-gen-es + vite) into services/web/dist when
# its sources, its lock file or proto/ are newer than the last build. Served by the gateway
# (--web-root, UWALLET_WEB_ROOT).
uw_build_web() {
  local web="$UW_ROOT/services/web"
  [ -f "$web/package.json" ] || return 0
  if [ ! -d "$web/node_modules" ]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ -f "$web/dist/index.html" ] && [ -z "$(find "$web/src" "$web/index.html" "$web/package-lock.json" \
      "$web/vite.config.ts" "$web/tsconfig.json" "$UW_ROOT/proto" -newer "$web/dist/index.html" \
      -not -path "$web/src/gen/*" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  uw_say "building the web console (services/web)"
  (cd "$web" && npm run --silent build >/dev/null) || uw_die "the web console did not build (cd services/web && npm run build)"
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
uw_as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

# uw_pg_start DIR PORT: a private PostgreSQL cluster in DIR on 127.0.0.1:PORT (initialised on first
# use), fast settings for a local box. Prints nothing; the DSN is uw_pg_dsn PORT.
uw_pg_start() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    # postgres must be able to reach DIR: every parent needs the execute bit for others.
    local parent="$dir"
    while parent="$(dirname "$parent")" && [ "$parent" != "/" ]; do
      if ! su postgres -s /bin/sh -c "test -x '$parent'"; then
        uw_die "PostgreSQL (user postgres) cannot enter $parent; use a checkout under a readable path or set UW_RUN_DIR"
      fi
    done
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    uw_as_pg_user "$UW_PG_BIN/initdb" -D "$dir/data" -U uwallet -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; uw_die "initdb failed"; }
  fi
  uw_as_pg_user "$UW_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB -c fsync=${UW_PG_FSYNC:-on} ${UW_PG_EXTRA_OPTS:-}" \
    start >/dev/null || { tail -20 "$dir/postgres.log" >&2; uw_die "PostgreSQL did not start"; }
  local i
  for i in $(seq 1 50); do
    psql -h 127.0.0.1 -p "$port" -U uwallet -d postgres -Atqc 'select 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  psql -h 127.0.0.1 -p "$port" -U uwallet -d postgres -Atqc \
    "select 1 from pg_database where datname='uwallet'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U uwallet -d postgres -qc 'create database uwallet' >/dev/null
}

uw_pg_stop() {
  local dir="$1"
  [ -f "$dir/data/postmaster.pid" ] || return 0
  uw_as_pg_user "$UW_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

uw_pg_dsn() { echo "host=127.0.0.1 port=$1 user=uwallet dbname=uwallet"; }

# uw_redis_start DIR PORT: a private Redis on 127.0.0.1:PORT, no persistence.
uw_redis_start() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
  local i
  for i in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  uw_die "Redis did not start (see $dir/redis.log)"
}

uw_redis_stop() {
  local dir="$1" port="$2"
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  uw_kill_pidfile "$dir/redis.pid"
}

# Stops the process in PIDFILE (TERM, then KILL after a grace period) and removes the file.
uw_kill_pidfile() {
  local pidfile="$1" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
