#!/usr/bin/env bash
# Starts the server BINARY on a fresh SQLite file (built-in dataset) and a free port, runs
# COMMAND... with GRAPHQL_URL set to its /graphql, then stops the server.
set -euo pipefail
binary="$1"
shift
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
DATABASE_URL="sqlite://$work/server.db?mode=rwc" PORT=0 RUST_LOG=info NO_SEED=0 \
  "$binary" >"$work/server.log" 2>&1 &
server=$!
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[0-9.:]*/graphql' "$work/server.log" | head -n 1 || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }
GRAPHQL_URL="$url" "$@"
