#!/usr/bin/env bash
# The gateway serves TLS to apps on both listeners (issue 9): gRPC with --tls-cert/--tls-key and
# gRPC-Web (browsers) with --http-tls-cert/--http-tls-key. Starts a private gateway on free ports in
# front of the running suite (UWALLET_TEST_ENV_FILE), with certificates from tools/dev-certs, and
# checks with real clients (buf curl, curl, openssl s_client):
#   - a gRPC-Web call over HTTPS is answered, and so is a native gRPC call over TLS;
#   - the web console is served over HTTPS;
#   - plain HTTP on the HTTPS port, a client that trusts another CA, and TLS 1.1 are refused;
#   - afterwards the gateway still serves (the refusals were handshakes, not crashes).
# Without the env file it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
it_suite_env
ROOT="${UWALLET_ROOT:?}"
GATEWAY="$BUILD/services/gateway/uwallet-gateway"
UWCTL="$BUILD/tools/ctl/uwctl"
BUF="$ROOT/tools/node/node_modules/.bin/buf"
it_need "$GATEWAY" "$UWCTL" "$BUF"

work="$(mktemp -d /tmp/uwallet-gateway-tls.XXXXXX)"
pid=""
cleanup() {
  it_stop "$pid"
  rm -rf "$work"
}
trap cleanup EXIT

"$ROOT/tools/dev-certs" --services gateway "$work/ca" >/dev/null 2>&1 || { echo "dev-certs failed"; exit 1; }
"$ROOT/tools/dev-certs" --services gateway "$work/other-ca" >/dev/null 2>&1 || { echo "dev-certs failed"; exit 1; }
cert="$work/ca/gateway"

for attempt in 1 2 3; do
  grpc_port="$(it_free_port)"
  web_port="$(it_free_port)"
  env -i PATH="$PATH" UWALLET_IDENTITY_KEY="$UWALLET_IDENTITY_KEY" "$GATEWAY" \
    --listen "127.0.0.1:$grpc_port" --http-listen "127.0.0.1:$web_port" --metrics-listen= \
    --redis-addr "$UWALLET_REDIS_ADDR" --redis-prefix "gateway-tls-test-$$:" \
    --auth-addr "$UWALLET_AUTH_ADDR" --ledger-addr "$UWALLET_LEDGER_ADDR" \
    --payments-addr "$UWALLET_PAYMENTS_ADDR" --support-addr "$UWALLET_SUPPORT_ADDR" \
    --fraud-addr "$UWALLET_FRAUD_ADDR" --web-root "${UWALLET_WEB_ROOT:-}" \
    --tls-cert "$cert/server.crt" --tls-key "$cert/server.key" \
    --http-tls-cert "$cert/server.crt" --http-tls-key "$cert/server.key" \
    >"$work/gateway.log" 2>&1 </dev/null &
  pid=$!
  if "$UWCTL" health --wait=60s --tls-ca="$cert/ca.crt" "127.0.0.1:$grpc_port" >"$work/wait.out" 2>&1; then
    break
  fi
  if kill -0 "$pid" 2>/dev/null; then
    echo "the gateway runs but never became SERVING:"; cat "$work/wait.out"; tail -20 "$work/gateway.log"; exit 1
  fi
  echo "attempt $attempt: the gateway exited:"; tail -5 "$work/gateway.log"; pid=""
done
[ -n "$pid" ] || { echo "could not start the gateway"; exit 1; }
web="https://127.0.0.1:$web_port"

out=""
call() {  # call PROTOCOL URL CA: SearchFaq, the output in $out; returns buf's exit status
  out="$("$BUF" curl --protocol "$1" --schema "$ROOT/proto" --cacert "$3" -d '{"query":"refund","locale":"en"}' \
    "$2/uwallet.support.v1.SupportService/SearchFaq" 2>&1)"
}
answered() { call "$@" && grep -q '"hits"' <<<"$out"; }
refused() { ! call "$@"; }

check "the web listener says TLS is on" grep -q '"msg":"serving gRPC-Web".*"tls":"on"' "$work/gateway.log"
check "gRPC-Web over HTTPS is answered" answered grpcweb "$web" "$cert/ca.crt"
check "native gRPC over TLS is answered" answered grpc "https://127.0.0.1:$grpc_port" "$cert/ca.crt"
if [ -n "${UWALLET_WEB_ROOT:-}" ] && [ -f "$UWALLET_WEB_ROOT/index.html" ]; then
  check "the web console is served over HTTPS" \
    bash -c "curl -sS --cacert '$cert/ca.crt' '$web/' | grep -qi '<html'"
fi
check "plain HTTP on the HTTPS port is refused" bash -c "! curl -sS --max-time 10 -o /dev/null 'http://127.0.0.1:$web_port/' 2>/dev/null || false"
check "gRPC-Web in plain HTTP is refused" refused grpcweb "http://127.0.0.1:$web_port" "$cert/ca.crt"
check "a client that trusts another CA refuses the gateway" refused grpcweb "$web" "$work/other-ca/ca.crt"
check "TLS 1.1 is refused" bash -c "! openssl s_client -connect 127.0.0.1:$web_port -tls1_1 </dev/null >/dev/null 2>&1"
check "TLS 1.2 is accepted" bash -c "openssl s_client -connect 127.0.0.1:$web_port -tls1_2 -CAfile '$cert/ca.crt' </dev/null 2>/dev/null | grep -q 'Verify return code: 0'"
check "gRPC-Web over HTTPS still answers afterwards" answered grpcweb "$web" "$cert/ca.crt"
check "the gateway is still running" kill -0 "$pid"

it_summary
