#!/usr/bin/env bash
# Generates the JS clients from proto/ (Debian's protoc + protoc-gen-es) and runs one Node test file.
set -euo pipefail
cd "$(dirname "$0")"
[ -n "${UWALLET_TEST_ENV_FILE:-}" ] || { echo "UWALLET_TEST_ENV_FILE not set: skipping"; exit 77; }
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
mkdir -p gen
protoc --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es --es_out=gen --es_opt=target=js,import_extension=js \
  -I ../../proto $(cd ../../proto && find . -name '*.proto' | sed 's|^\./||' | sort)
exec node --test --test-reporter=spec "$1"
