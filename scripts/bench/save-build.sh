#!/bin/sh
# Builds the working tree under the e2e lock and keeps a copy of it for BENCH_USE / BENCH_COMPARE
# (scripts/bench/http.ts): node_modules/.cache/relais-bench-<name>/build, where its imports resolve.
set -e
name=${1:?usage: scripts/bench/save-build.sh <name>}
cd "$(dirname "$0")/../.."
dest="node_modules/.cache/relais-bench-$name"
flock /tmp/relais-e2e.lock sh -c "npm run build >/dev/null && rm -rf '$dest' && mkdir -p '$dest' && cp -r build '$dest/build'"
echo "$dest"
