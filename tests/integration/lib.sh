# Shared by the suite-level shell tests: assertions, free ports, stopping a process. Source it
# after `set -uo pipefail`; end the test with `it_summary` (its status is the test's).

it_passed=0
it_failed=0

# check NAME COMMAND...: one assertion. Prints ok/FAILED, and on failure the test's $out (the
# output of the command under test, when the test keeps it there).
check() {
  local name="$1"; shift
  if "$@"; then
    it_passed=$((it_passed + 1)); echo "ok: $name"
  else
    it_failed=$((it_failed + 1)); echo "FAILED: $name"
    [ -z "${out:-}" ] || echo "  output: ${out:0:400}"
  fi
}

it_summary() {
  rm -f "${TMPDIR:-/tmp}/uwallet-ports.$$"  # the ports it_free_port handed out (free_port.py)
  echo "$it_passed passed, $it_failed failed"
  [ "$it_failed" -eq 0 ]
}

# it_suite_env: the running suite's settings for a test that starts binaries of its own:
# UWALLET_TEST_ENV_FILE sourced (not exported: those binaries get explicit settings only) and
# BUILD, the build directory. Without the env file (not run through tools/test) the test is
# skipped: exit 77.
it_suite_env() {
  [ -n "${UWALLET_TEST_ENV_FILE:-}" ] || { echo "UWALLET_TEST_ENV_FILE not set: skipping"; exit 77; }
  BUILD="${UWALLET_BUILD_DIR:?}"
  # shellcheck disable=SC1090
  source "$UWALLET_TEST_ENV_FILE"
}

# it_need PATH...: each is an executable, or the test fails at once.
it_need() {
  local bin
  for bin in "$@"; do [ -x "$bin" ] || { echo "missing $bin"; exit 1; }; done
}

# A free TCP port on 127.0.0.1, never one this test was given before (tools/lib/free_port.py).
it_free_port() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib/free_port.py" "$$"
}

# it_stop PID: TERM, then KILL after 10 s.
it_stop() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
