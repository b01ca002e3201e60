#!/bin/sh
# Keeps a build for BENCH_USE / BENCH_COMPARE (scripts/bench/http.ts) and prints its folder:
#   save-build.sh <name>            builds the working tree under the e2e lock and keeps build/ under
#                                   node_modules/.cache (where its imports resolve)
#   save-build.sh <name> <commit>   exports that commit's files to /tmp/relais-bench-<name> (outside
#                                   node_modules, where tsx would ignore the "~/" paths; node_modules is
#                                   a link to this checkout's) and builds them there: the server entry
#                                   (scripts/server.ts) is compared too, and the working tree, which
#                                   others may be changing, is left alone
set -e
name=${1:?usage: scripts/bench/save-build.sh <name> [<commit>]}
cd "$(dirname "$0")/../.."
if [ -n "$2" ]; then
  dest="${TMPDIR:-/tmp}/relais-bench-$name"
  rm -rf "$dest" && mkdir -p "$dest"
  git archive "$2" | tar -x -C "$dest"
  ln -s "$PWD/node_modules" "$dest/node_modules"
  (cd "$dest" && npm run build >/dev/null 2>&1) || { echo "build of $2 failed: cd $dest && npm run build" >&2; exit 1; }
else
  dest="node_modules/.cache/relais-bench-$name"
  flock /tmp/relais-e2e.lock sh -c "npm run build >/dev/null && rm -rf '$dest' && mkdir -p '$dest' && cp -r build '$dest/build'"
fi
echo "$dest"
