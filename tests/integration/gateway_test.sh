#!/usr/bin/env bash
# The gateway against the running suite, with real clients: buf curl over gRPC (with reflection)
# and gRPC-Web, and curl for raw HTTP (CORS, malformed frames). What needs a signed-in user lives in
# the Node client test (tests/e2e); this covers routing, refusals and protocol hygiene.
set -uo pipefail
[ -n "${UWALLET_TEST_ENV_FILE:-}" ] || { echo "UWALLET_TEST_ENV_FILE not set: skipping"; exit 77; }
# shellcheck disable=SC1090
source "$UWALLET_TEST_ENV_FILE"
BUF="$UWALLET_ROOT/tools/node/node_modules/.bin/buf"
GW="$UWALLET_GATEWAY_ADDR"
WEB="http://$UWALLET_HTTP_LISTEN"
passed=0
failed=0
check() { local name="$1"; shift; if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi; }

# buf curl exits with the gRPC code shifted left by 3.
code_of() { echo $(( $1 >> 3 )); }
grpc_call() {  # grpc_call PROTOCOL METHOD JSON [header] → prints output, returns gRPC code
  local protocol="$1" method="$2" body="$3"; shift 3
  local url args=()
  if [ "$protocol" = grpc ]; then url="http://$GW/$method"; args+=(--http2-prior-knowledge)
  else url="$WEB/$method"; args+=(--schema "$UWALLET_ROOT/proto"); fi
  for h in "$@"; do args+=(-H "$h"); done
  out=$("$BUF" curl --protocol "$protocol" "${args[@]}" -d "$body" "$url" 2>&1)
  return $(code_of $?)
}
expect_code() {  # expect_code WANT PROTOCOL METHOD JSON [headers...]
  local want="$1"; shift
  grpc_call "$@"; local got=$?
  [ "$got" -eq "$want" ] || { echo "$2 over $1: want code $want, got $got: $out"; return 1; }
}

# Reflection lists what the gateway forwards, and nothing internal.
listed=$("$BUF" curl --protocol grpc --http2-prior-knowledge --list-services "http://$GW" 2>&1)
check "lists public services" grep -qx uwallet.payments.v1.PaymentsService <<<"$listed"
check "lists staff services" grep -qx uwallet.support.v1.SupportAgentService <<<"$listed"
check "hides internal services" test -z "$(grep Internal <<<"$listed")"

for protocol in grpc grpcweb; do
  # 16 UNAUTHENTICATED with the reason a client can switch on.
  check "$protocol: signed-in method refused anonymously" \
    expect_code 16 "$protocol" uwallet.ledger.v1.LedgerService/GetBalances '{}'
  check "$protocol: reason travels" grep -q "SIGN_IN_REQUIRED\|ChBTSUdOX0lOX1JFUVVJUkVE" <<<"$out"
  check "$protocol: staff method refused anonymously" \
    expect_code 16 "$protocol" uwallet.auth.v1.AuthAdminService/UnlockUser '{}'
  # 12 UNIMPLEMENTED: internal services are never routed.
  check "$protocol: internal service unreachable" \
    expect_code 12 "$protocol" uwallet.ledger.v1.LedgerInternalService/PostTransfers '{}'
  # A forged identity header from a client is stripped: still anonymous.
  check "$protocol: client-sent identity header ignored" \
    expect_code 16 "$protocol" uwallet.ledger.v1.LedgerService/GetBalances '{}' \
    "x-uwallet-identity: forged.assertion"
  # An invalid session token never gets in (16, or 14 while auth cannot answer).
  grpc_call "$protocol" uwallet.gateway.v1.GatewayService/GetHome '{}' "authorization: Bearer bogus"
  got=$?
  check "$protocol: bogus token refused" test "$got" -eq 16 -o "$got" -eq 14
done

# CORS: a foreign origin is refused; the preflight for an allowed (same) origin answers.
status=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://evil.example' \
  "$WEB/uwallet.auth.v1.AuthService/Login")
check "foreign origin refused" test "$status" = 403
host="${UWALLET_HTTP_LISTEN}"
headers=$(curl -s -D - -o /dev/null -X OPTIONS -H "Origin: http://$host" -H "Host: $host" \
  -H 'Access-Control-Request-Method: POST' "$WEB/uwallet.auth.v1.AuthService/Login")
check "preflight allows the browser headers" grep -qi 'access-control-allow-headers:.*x-grpc-web.*grpc-timeout.*authorization' <<<"$headers"
check "preflight exposes grpc-status" grep -qi 'access-control-expose-headers:.*grpc-status' <<<"$headers"

# Malformed gRPC-Web requests get a clean gRPC error (trailers-only) and never hurt the gateway.
raw() {  # raw CONTENT-TYPE BODY-FILE → prints the grpc-status header (or the HTTP status)
  curl -s -D - -o /dev/null -H "content-type: $1" --data-binary "@$2" \
    "$WEB/uwallet.auth.v1.AuthService/Login" | tr -d '\r' | awk -F': ' '
      /^HTTP\// {http=$0} tolower($1)=="grpc-status" {print $2; found=1} END {if (!found) print http}'
}
tmp=$(mktemp -d)
printf '\x00\x00\x00\x00\x10abc' >"$tmp/truncated"
printf '\x80\x00\x00\x00\x00' >"$tmp/trailer"
printf '\x00\x7f\xff\xff\xff' >"$tmp/oversize"
printf 'AAAAA' >"$tmp/badbase64"
check "truncated frame → 3" test "$(raw application/grpc-web+proto "$tmp/truncated")" = 3
check "trailer flag in a request → 3" test "$(raw application/grpc-web "$tmp/trailer")" = 3
check "oversize length → 8" test "$(raw application/grpc-web "$tmp/oversize")" = 8
check "truncated base64 → 3" test "$(raw application/grpc-web-text "$tmp/badbase64")" = 3
check "json content type → 415" grep -q 415 <<<"$(raw application/grpc-web+json "$tmp/truncated")"
head -c $((8 * 1024 * 1024)) /dev/zero >"$tmp/huge"
check "huge body → 413" grep -q 413 <<<"$(raw application/grpc-web "$tmp/huge")"
rm -rf "$tmp"
check "gateway still healthy" "$UWALLET_BUILD_DIR/tools/ctl/uwctl" health "$GW"

echo "gateway: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
