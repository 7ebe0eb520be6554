#!/usr/bin/env bash
# Runs the GraphQL-over-HTTP reference audit (graphql-http's serverAudits) against the real
# server BINARY. Fails on any failed audit or warning.
set -euo pipefail
binary="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/graphql-http-audit.mjs" "$work/"
(cd "$work" && npm install --no-audit --no-fund --silent)
"$here/../with-server.sh" "$binary" bash -c "node '$work/graphql-http-audit.mjs' \"\$GRAPHQL_URL\""
