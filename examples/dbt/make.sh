#!/usr/bin/env bash
# Rebuild examples/dbt/: the target/ files of real dbt runs (dbt-core with dbt-duckdb, from
# `make test`'s .venv-dbt) on tests/dbt_project, which the README's "From dbt" tour imports.
#   built/    `dbt build` (the unique test on customers fails), and catalog.json from a
#             `dbt docs generate` after it (which rewrites the other two files, so they are kept first).
#   changed/  then stg_orders.sql changes and only it is rebuilt (`dbt run --select stg_orders`).
#   failed/   then `dbt run --vars '{fail: true}'`: orders fails and order_summary is skipped.
# Only manifest.json's `macros` (dbt's own, 0.5 MB, which lineage does not read) are dropped.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dbt="${LINEAGE_DBT:-$repo/.venv-dbt/bin/dbt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/tests/dbt_project" "$work/shop"
cd "$work/shop"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DBT_PROFILES_DIR="$work/shop"
keep() {  # keep DIR FILE...: copy target/'s manifest (without macros) and FILEs to examples/dbt/DIR
  local dir="$repo/examples/dbt/$1"
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  python3 - "$dir" <<'EOF'
import json, sys
manifest = json.load(open("target/manifest.json"))
manifest["macros"] = {}
json.dump(manifest, open(f"{sys.argv[1]}/manifest.json", "w"), indent=1, sort_keys=True)
EOF
  cp "$@" "$dir/"
}
"$dbt" build -q || true
cp target/run_results.json target/manifest.json "$work/"
"$dbt" docs generate -q
cp "$work/manifest.json" target/manifest.json
keep built "$work/run_results.json" target/catalog.json
sed -i 's/select id,/select id, upper(customer) as loud,/' models/stg_orders.sql
"$dbt" run -q --select stg_orders
keep changed target/run_results.json
"$dbt" run -q --vars '{fail: true}' || true
keep failed target/run_results.json
