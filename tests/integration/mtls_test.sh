#!/usr/bin/env bash
# mTLS: a service started with --tls-cert/--tls-key/--tls-client-ca serves only clients that show
# a certificate from its CA. Starts its own uwallet-ledger on a free port against the suite's
# throw-away PostgreSQL and Redis (UWALLET_TEST_ENV_FILE), with certificates from tools/dev-certs,
# and checks with `uwctl health`:
#   - a client with a certificate from the CA is served (SERVING), by address and by Service name;
#   - a client without a certificate, with one from another CA, or in plaintext is refused;
#   - a client that trusts another CA refuses the server (server authentication works too);
#   - afterwards the good client is still served (the refusals were the handshake, not a crash).
# Without UWALLET_TEST_ENV_FILE it exits 77 (skipped).
set -uo pipefail
# shellcheck disable=SC1091
source "$(dirname "$0")/lib.sh"
it_suite_env
ROOT="${UWALLET_ROOT:?}"
LEDGER="$BUILD/services/ledger/uwallet-ledger"
UWCTL="$BUILD/tools/ctl/uwctl"
it_need "$LEDGER" "$UWCTL"

work="$(mktemp -d /tmp/uwallet-mtls.XXXXXX)"
pid=""
cleanup() {
  it_stop "$pid"
  rm -rf "$work"
}
trap cleanup EXIT


"$ROOT/tools/dev-certs" --services "ledger gateway" "$work/ca" 2>/dev/null || { echo "dev-certs failed"; exit 1; }
"$ROOT/tools/dev-certs" --services "ledger gateway" "$work/other-ca" 2>/dev/null || { echo "dev-certs failed"; exit 1; }
server="$work/ca/ledger"
client="$work/ca/gateway"
stranger="$work/other-ca/gateway"

# A free port (retry if another process takes it between the check and the bind).
for attempt in 1 2 3; do
  port="$(it_free_port)"
  "$LEDGER" --listen "127.0.0.1:$port" --metrics-listen= \
    --pg-dsn "$UWALLET_PG_DSN" --redis-addr "$UWALLET_REDIS_ADDR" --redis-prefix "mtls-test-$$:" \
    --identity-key "$UWALLET_IDENTITY_KEY" \
    --tls-cert "$server/server.crt" --tls-key "$server/server.key" --tls-client-ca "$server/ca.crt" \
    >"$work/ledger.log" 2>&1 </dev/null &
  pid=$!
  # Wait for it (through mTLS, with the good client) or for it to die.
  if "$UWCTL" health --wait=60s --tls-ca="$client/ca.crt" --tls-cert="$client/client.crt" \
       --tls-key="$client/client.key" "127.0.0.1:$port" >"$work/wait.out" 2>&1; then
    break
  fi
  if kill -0 "$pid" 2>/dev/null; then
    echo "the ledger runs but never became SERVING over mTLS:"; cat "$work/wait.out"; tail -20 "$work/ledger.log"; exit 1
  fi
  echo "attempt $attempt: the ledger exited:"; tail -5 "$work/ledger.log"; pid=""
done
[ -n "$pid" ] || { echo "could not start the ledger"; exit 1; }
addr="127.0.0.1:$port"
echo "ledger with mTLS on $addr"

serves() {  # serves ARGS...: uwctl health exits 0 and says SERVING
  local out code
  out="$("$UWCTL" health "$@" 2>&1)"; code=$?
  echo "  $(head -1 <<<"$out")"
  [ "$code" -eq 0 ] && grep -q " SERVING$" <<<"$out"
}
refused() {  # refused ARGS...: uwctl health fails with exit 1 and never reports SERVING
  local out code
  out="$("$UWCTL" health "$@" 2>&1)"; code=$?
  echo "  $(head -1 <<<"$out")"
  [ "$code" -eq 1 ] && ! grep -q "SERVING" <<<"$out"
}

good=(--tls-ca="$client/ca.crt" --tls-cert="$client/client.crt" --tls-key="$client/client.key")
check "the server says mTLS is on" grep -q '"mtls":"on"' "$work/ledger.log"
check "a client with a certificate from the CA is served" serves "${good[@]}" "$addr"
check "it is served under the Kubernetes Service name too" \
  serves "${good[@]}" --tls-server-name=uwallet-ledger.default.svc.cluster.local "$addr"
check "a client without a certificate is refused" refused --tls-ca="$client/ca.crt" "$addr"
check "a client with a certificate from another CA is refused" \
  refused --tls-ca="$client/ca.crt" --tls-cert="$stranger/client.crt" --tls-key="$stranger/client.key" "$addr"
check "a plaintext client is refused" refused "$addr"
check "a client that trusts another CA refuses the server" \
  refused --tls-ca="$stranger/ca.crt" --tls-cert="$client/client.crt" --tls-key="$client/client.key" "$addr"
check "a server name the certificate does not hold is refused" \
  refused "${good[@]}" --tls-server-name=not-the-ledger.example "$addr"
check "the good client is still served afterwards" serves "${good[@]}" "$addr"
check "the ledger is still running" kill -0 "$pid"

it_summary
