# tools/bench gateway [--seconds=N] [--clients=N]
# A cheap RPC (DevMailboxService.ListMessages: one Redis LRANGE in auth) called at 64 concurrent
# clients, in one run: directly on the auth service, through the gateway over gRPC, and through the
# gateway over gRPC-Web. Prints calls/s, p50 and p99 for each and the gateway/direct ratios.
# Needs the suite from tools/up (its .run/env). A second gateway is started on free ports with rate
# limits raised (the normal per-IP limit would cap a benchmark from one address), then stopped.
RUN="${UW_RUN_DIR:-$UW_ROOT/.run}"
[ -f "$RUN/env" ] || uw_die "start the suite first (tools/up); no $RUN/env"
SECONDS_PER_RUN=5
CLIENTS=64
for arg in "$@"; do
  case "$arg" in
    --seconds=*) SECONDS_PER_RUN="${arg#*=}" ;;
    --clients=*) CLIENTS="${arg#*=}" ;;
    *) uw_die "unknown argument $arg" ;;
  esac
done
ninja -C "$UW_BUILD_DIR" gateway_bench uwallet-gateway >/dev/null
set -a; source "$RUN/env"; set +a
BENCH="$UW_BUILD_DIR/services/gateway/gateway_bench"
METHOD=/uwallet.devtools.v1.DevMailboxService/ListMessages
REQUEST=$(python3 -c 'd=b"bench@example.com"; print((bytes([0x0a,len(d)])+d).hex())')

GRPC_PORT=$(uw_free_port); HTTP_PORT=$(uw_free_port)
UWALLET_LISTEN="127.0.0.1:$GRPC_PORT" UWALLET_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" UWALLET_METRICS_LISTEN="" \
  "$UW_BUILD_DIR/services/gateway/uwallet-gateway" --ip-burst=1000000000 --user-burst=1000000000 \
  --log-level=warn >"$RUN/logs/gateway-bench.log" 2>&1 &
GW_PID=$!
trap 'kill $GW_PID 2>/dev/null; wait $GW_PID 2>/dev/null' EXIT
"$UW_BUILD_DIR/tools/ctl/uwctl" health --wait=20s "127.0.0.1:$GRPC_PORT" >/dev/null || uw_die "bench gateway did not start"

run() {  # run LABEL ARGS... → "LABEL calls_per_s=... p50_ms=... p99_ms=..."
  local label="$1"; shift
  local out
  out=$("$BENCH" --method="$METHOD" --request-hex="$REQUEST" --clients="$CLIENTS" \
    --seconds="$SECONDS_PER_RUN" "$@") || uw_die "$label failed: $out"
  echo "$label $out"
}
uw_say "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $CLIENTS clients, ${SECONDS_PER_RUN}s each"
direct=$(run direct --mode=grpc --target="$UWALLET_AUTH_ADDR" --identity-key="$UWALLET_IDENTITY_KEY")
via_grpc=$(run gateway-grpc --mode=grpc --target="127.0.0.1:$GRPC_PORT")
via_web=$(run gateway-grpcweb --mode=grpcweb --target="127.0.0.1:$HTTP_PORT")
printf '%s\n%s\n%s\n' "$direct" "$via_grpc" "$via_web" | column -t
python3 - "$direct" "$via_grpc" "$via_web" <<'PY'
import sys
def parse(line):
    return {k: float(v) for k, v in (f.split("=") for f in line.split()[1:])}
d, g, w = (parse(x) for x in sys.argv[1:])
print(f"ratio gateway-grpc/direct    throughput {g['calls_per_s']/d['calls_per_s']:.2f}  p50 +{g['p50_ms']-d['p50_ms']:.3f} ms")
print(f"ratio gateway-grpcweb/direct throughput {w['calls_per_s']/d['calls_per_s']:.2f}  p50 +{w['p50_ms']-d['p50_ms']:.3f} ms")
PY
