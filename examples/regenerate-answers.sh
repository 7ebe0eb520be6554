#!/usr/bin/env bash
# Regenerates examples/queries/*.json from a server on a fresh SQLite database with the
# built-in dataset. Run after an intended change of the answers; the examples test then
# checks them on both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
dir=$(mktemp -d)
port=${PORT:-18765}
DATABASE_URL="sqlite://$dir/capex.db?mode=rwc" PORT=$port ./target/debug/capex-graph serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
for query in examples/queries/*.graphql; do
  python3 - "$query" "$port" <<'PY'
import json, sys, urllib.request
path, port = sys.argv[1], sys.argv[2]
body = json.dumps({"query": open(path).read()}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body, headers={"content-type": "application/json"})
answer = json.load(urllib.request.urlopen(request))
with open(path[: -len(".graphql")] + ".json", "w") as out:
    json.dump(answer, out, indent=2, ensure_ascii=False)
    out.write("\n")
print("wrote", path[: -len(".graphql")] + ".json")
PY
done
