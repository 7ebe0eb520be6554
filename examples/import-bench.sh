#!/usr/bin/env bash
# Import benchmark: N investment rows of CSV from the generator (1,000,000 by default),
# imported by `capex-graph import` into a fresh SQLite file and a fresh PostgreSQL
# database (over TCP and over the Unix socket), beside floors measured in the same run:
#
#   floor A, the bare load: sqlite3's `.import` / PostgreSQL's `COPY` of the same CSV into a
#     table of the CSV's own text columns (no names resolved, no checks, no indexes);
#   floor B, the same tables: floor A into a staging table, then one INSERT ... SELECT into
#     `investment` (names joined to company ids) and one into `citation`: the rows our
#     import writes, with their indexes and foreign keys, written by the engine alone.
#
#   examples/import-bench.sh                # N=1000000, PostgreSQL at 127.0.0.1:5432
#   N=10000 PROFILE=dev examples/import-bench.sh   # a quick check of the script
#
# Companies and the source (the rows investments point at) are imported first, untimed;
# the timed import is investments.csv alone: investments and their citations.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-1000000}"
PG_ADMIN="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_BASE="${PG_ADMIN%/*}"
PG_SOCKET="${PG_SOCKET:-/var/run/postgresql}"
WORK="${WORK:-/tmp/capex-import-bench}"
PROFILE="${PROFILE:-release}"
BIN="target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/capex-graph"

cargo build --profile "$PROFILE" --quiet
rm -rf "$WORK" && mkdir -p "$WORK"
echo "== $(date -u +%F), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); sqlite3 $(sqlite3 --version | cut -d' ' -f1); PostgreSQL $(psql -At "$PG_ADMIN" -c 'show server_version')"

echo "== generating $N investments and exporting them as CSV"
DATABASE_URL="sqlite://$WORK/gen.db?mode=rwc" NO_SEED=true "$BIN" generate \
  --companies 10000 --investments "$N" --models 0 --claims 0 >/dev/null
DATABASE_URL="sqlite://$WORK/gen.db?mode=rwc" "$BIN" export "$WORK/csv"
CSV="$WORK/csv/investments.csv"
echo "investments.csv: $(($(wc -l <"$CSV") - 1)) lines, $(du -h "$CSV" | cut -f1)"
PRE=("$WORK/csv/sources.csv" "$WORK/csv/companies.csv")

now() { date +%s.%N; }
rate() { awk -v n="$N" -v s="$1" 'BEGIN { printf "%.2f s, %.0f lines/s", s, n / s }'; }
timed_import() { # url: prerequisites untimed, then investments.csv under time(1)
  DATABASE_URL="$1" "$BIN" import "${PRE[@]}" >/dev/null
  /usr/bin/time -f "time(1): max RSS %M KiB, %e s wall, %U s user" \
    env DATABASE_URL="$1" "$BIN" import "$CSV" 2>&1
}
COLS='ref text, investor text, investee text, amount text, currency text, made text, made_precision text, description text, source text, quote text'
INSERTS="
insert into investment (ref, investor_id, investee_id, amount_minor, currency, made_on, made_precision, description)
  select s.ref, a.id, b.id, cast(replace(nullif(s.amount, ''), '.', '') as bigint), nullif(s.currency, ''),
         cast(nullif(s.made, '') as date), nullif(s.made_precision, ''), nullif(s.description, '')
  from investment_csv s join company a on a.name = s.investor join company b on b.name = s.investee;
insert into citation (source_id, quote, investment_id)
  select src.id, s.quote, i.id from investment_csv s join source src on src.key = s.source join investment i on i.ref = s.ref;"
pg() { psql -qAt -v ON_ERROR_STOP=1 "$@"; }
fresh_pg() { pg "$PG_ADMIN" -c "drop database if exists $1 with (force)" -c "create database $1" 2>/dev/null; }

echo "== SQLite: capex-graph import"
timed_import "sqlite://$WORK/import.db?mode=rwc"
echo "== SQLite floor A: sqlite3 .import"
sqlite3 "$WORK/floor-a.db" "create table investment_csv ($COLS);"
t0=$(now); sqlite3 "$WORK/floor-a.db" ".import --csv --skip 1 $CSV investment_csv"; t1=$(now)
echo "floor A: $(rate "$(echo "$t1 - $t0" | bc)")"
echo "== SQLite floor B: .import, then INSERT ... SELECT into the same tables"
DATABASE_URL="sqlite://$WORK/floor-b.db?mode=rwc" "$BIN" import "${PRE[@]}" >/dev/null
t0=$(now)
sqlite3 -cmd "PRAGMA foreign_keys = ON" "$WORK/floor-b.db" \
  "create table investment_csv ($COLS);" ".import --csv --skip 1 $CSV investment_csv" \
  "begin; $INSERTS commit;"
t1=$(now)
echo "floor B: $(rate "$(echo "$t1 - $t0" | bc)")"

for via in tcp socket; do
  url="$PG_BASE/capex_import_bench"
  [ "$via" = socket ] && url="$url?host=$PG_SOCKET"
  echo "== PostgreSQL over $via: capex-graph import"
  fresh_pg capex_import_bench
  timed_import "$url"
done
echo "== PostgreSQL floor A: COPY"
fresh_pg capex_floor_bench
pg "$PG_BASE/capex_floor_bench" -c "create table investment_csv ($COLS)"
t0=$(now); pg "$PG_BASE/capex_floor_bench" -c "\\copy investment_csv from '$CSV' with (format csv, header true)"; t1=$(now)
echo "floor A: $(rate "$(echo "$t1 - $t0" | bc)")"
echo "== PostgreSQL floor B: COPY, then INSERT ... SELECT into the same tables"
fresh_pg capex_floor_bench
DATABASE_URL="$PG_BASE/capex_floor_bench" "$BIN" import "${PRE[@]}" >/dev/null
t0=$(now)
pg "$PG_BASE/capex_floor_bench" -c "create table investment_csv ($COLS)" \
  -c "\\copy investment_csv from '$CSV' with (format csv, header true)" \
  -c "begin; $INSERTS commit;"
t1=$(now)
echo "floor B: $(rate "$(echo "$t1 - $t0" | bc)")"
pg "$PG_ADMIN" -c "drop database if exists capex_import_bench with (force)" -c "drop database if exists capex_floor_bench with (force)" 2>/dev/null
