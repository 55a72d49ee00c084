# Starting and stopping the six service binaries. Sourced after common.sh.
# The state of a running suite lives in a run folder: pids/, logs/, and env (ports and addresses).

UW_SERVICES=(auth ledger payments support fraud gateway)

# uw_suite_env RUN_DIR: writes RUN_DIR/env with the addresses every service and test reads.
# Inputs (environment): UW_PG_DSN, UW_REDIS_ADDR, UW_PORT_<SVC>, UW_METRICS_<SVC>, UW_PORT_HTTP.
uw_suite_env() {
  local run="$1" svc upper
  mkdir -p "$run"
  [ -f "$run/identity.key" ] || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run/identity.key"
  chmod 600 "$run/identity.key"
  # The first staff account (an admin), created by auth at start when no admin exists; staff then
  # create agents and analysts with AuthAdminService.CreateStaffAccount. Local suites only.
  [ -f "$run/admin.password" ] || python3 -c 'import secrets; print("admin-" + secrets.token_urlsafe(18))' >"$run/admin.password"
  chmod 600 "$run/admin.password"
  # Payments: the key protecting stored PINs and the merchant QR key (kept across restarts, as in
  # a cluster where every replica must share them).
  [ -f "$run/payments-pin.key" ] || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run/payments-pin.key"
  [ -f "$run/payments-qr.key" ] || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$run/payments-qr.key"
  chmod 600 "$run/payments-pin.key" "$run/payments-qr.key"
  {
    echo "UWALLET_PG_DSN='$UW_PG_DSN'"
    echo "UWALLET_REDIS_ADDR='$UW_REDIS_ADDR'"
    echo "UWALLET_IDENTITY_KEY='$(cat "$run/identity.key")'"
    echo "UWALLET_DEV_MAILBOX=true"
    echo "UWALLET_PAYMENTS_PIN_KEY='$(cat "$run/payments-pin.key")'"
    echo "UWALLET_PAYMENTS_QR_KEY='$(cat "$run/payments-qr.key")'"
    echo "UWALLET_BOOTSTRAP_ADMIN='admin@uwallet.example:$(cat "$run/admin.password")'"
    echo "UWALLET_HTTP_LISTEN='127.0.0.1:$UW_PORT_HTTP'"
    # The Vite dev server of the web console may call the gateway cross-origin.
    echo "UWALLET_CORS_ORIGINS='http://localhost:5173,http://127.0.0.1:5173'"
    # The gateway serves the web console's static files (services/web/dist) on its HTTP listener.
    echo "UWALLET_WEB_ROOT='$UW_ROOT/services/web/dist'"
    for svc in "${UW_SERVICES[@]}"; do
      upper=$(echo "$svc" | tr a-z A-Z)
      local port_var="UW_PORT_$upper" metrics_var="UW_METRICS_$upper"
      echo "UWALLET_${upper}_ADDR='127.0.0.1:${!port_var}'"
      echo "UW_METRICS_${upper}='127.0.0.1:${!metrics_var}'"
    done
  } >"$run/env"
}

# uw_suite_start RUN_DIR: starts every service in the background and waits until all are SERVING.
uw_suite_start() {
  local run="$1" svc upper
  mkdir -p "$run/pids" "$run/logs"
  # shellcheck disable=SC1091
  set -a; source "$run/env"; set +a
  for svc in "${UW_SERVICES[@]}"; do
    upper=$(echo "$svc" | tr a-z A-Z)
    local addr_var="UWALLET_${upper}_ADDR" metrics_var="UW_METRICS_${upper}"
    local bin="$UW_BUILD_DIR/services/$svc/uwallet-$svc"
    [ -x "$bin" ] || uw_die "missing binary $bin (build failed?)"
    UWALLET_LISTEN="${!addr_var}" UWALLET_METRICS_LISTEN="${!metrics_var}" \
      setsid "$bin" >"$run/logs/$svc.log" 2>&1 < /dev/null &
    echo $! >"$run/pids/$svc.pid"
  done
  local addrs=()
  for svc in "${UW_SERVICES[@]}"; do
    upper=$(echo "$svc" | tr a-z A-Z)
    local addr_var="UWALLET_${upper}_ADDR"
    addrs+=("${!addr_var}")
  done
  if ! "$UW_BUILD_DIR/tools/ctl/uwctl" health --wait=60s "${addrs[@]}"; then
    for svc in "${UW_SERVICES[@]}"; do
      echo "--- $svc (last lines of $run/logs/$svc.log)" >&2
      tail -5 "$run/logs/$svc.log" >&2 || true
    done
    uw_die "the suite did not become healthy"
  fi
}

uw_suite_stop() {
  local run="$1" svc
  for svc in "${UW_SERVICES[@]}"; do uw_kill_pidfile "$run/pids/$svc.pid"; done
}
