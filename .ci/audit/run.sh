#!/usr/bin/env bash
# Runs the GraphQL-over-HTTP reference audit (graphql-http's serverAudits) against the real
# server binary on a fresh SQLite file. Fails on any failed audit or warning.
set -euo pipefail
binary="$1"
work="$(mktemp -d)"
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cp "$(dirname "$0")/package.json" "$(dirname "$0")/graphql-http-audit.mjs" "$work/"
(cd "$work" && npm install --no-audit --no-fund --silent)
DATABASE_URL="sqlite://$work/audit.db?mode=rwc" PORT=0 RUST_LOG=info NO_SEED=0 \
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
node "$work/graphql-http-audit.mjs" "$url"
