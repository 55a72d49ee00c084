#!/usr/bin/env bash
# Suite-level check against the running binaries that tools/test started: every service answers
# grpc.health.v1 SERVING and lists its public/staff/internal services through server reflection,
# the way an operator sees them with `buf curl --protocol grpc --list-services`.
set -uo pipefail
[ -n "${UWALLET_TEST_ENV_FILE:-}" ] || { echo "UWALLET_TEST_ENV_FILE not set: skipping"; exit 77; }
# shellcheck disable=SC1090
source "$UWALLET_TEST_ENV_FILE"
BUF="$UWALLET_ROOT/tools/node/node_modules/.bin/buf"
UWCTL="$UWALLET_BUILD_DIR/tools/ctl/uwctl"
passed=0
failed=0
check() {  # check NAME COMMAND...: one assertion
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

expect_services() {  # expect_services ADDR SERVICE...
  local addr="$1"; shift
  local listed
  listed="$("$BUF" curl --protocol grpc --http2-prior-knowledge --list-services "http://$addr" 2>&1)" || {
    echo "buf curl --list-services http://$addr failed: $listed"; return 1; }
  local s
  for s in "$@"; do
    grep -qx "$s" <<<"$listed" || { echo "$addr does not list $s; it lists:"; echo "$listed"; return 1; }
  done
  grep -qx "grpc.reflection.v1alpha.ServerReflection" <<<"$listed" || { echo "$addr: no reflection"; return 1; }
}

check "health of every service" "$UWCTL" health "$UWALLET_AUTH_ADDR" "$UWALLET_LEDGER_ADDR" \
  "$UWALLET_PAYMENTS_ADDR" "$UWALLET_SUPPORT_ADDR" "$UWALLET_FRAUD_ADDR" "$UWALLET_GATEWAY_ADDR"
check "auth reflection" expect_services "$UWALLET_AUTH_ADDR" uwallet.auth.v1.AuthService \
  uwallet.auth.v1.AuthAdminService uwallet.auth.v1.AuthInternalService
check "ledger reflection" expect_services "$UWALLET_LEDGER_ADDR" uwallet.ledger.v1.LedgerService \
  uwallet.ledger.v1.LedgerInternalService uwallet.ledger.v1.LedgerAdminService
check "payments reflection" expect_services "$UWALLET_PAYMENTS_ADDR" \
  uwallet.payments.v1.PaymentsService uwallet.payments.v1.MerchantService \
  uwallet.payments.v1.PaymentsAdminService uwallet.payments.v1.PaymentsInternalService
check "support reflection" expect_services "$UWALLET_SUPPORT_ADDR" uwallet.support.v1.SupportService \
  uwallet.support.v1.SupportAgentService
check "fraud reflection" expect_services "$UWALLET_FRAUD_ADDR" uwallet.fraud.v1.FraudService \
  uwallet.fraud.v1.FraudInternalService uwallet.fraud.v1.FraudAnalystService
check "gateway reflection" expect_services "$UWALLET_GATEWAY_ADDR" uwallet.gateway.v1.GatewayService

# A service health entry per registered service name, as Kubernetes' gRPC probes may ask.
check "named health entry" "$UWCTL" health "$UWALLET_LEDGER_ADDR"

echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
