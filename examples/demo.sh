#!/usr/bin/env bash
# `make demo`: the main job on the shipped sample graphs, step by step, with real output.
# Messages go to stderr; answers go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

# --- 1. Queries on the sample graphs (core) -------------------------------------------
# (filled in by the core work)



# --- 2. Recording a pipeline into a store, building, staleness, time travel ----------
# examples/pipeline.py records its lineage with the Python recorder; the shell adds one
# record with `lineage record`; then build, query, go stale, and travel back in time.
STORE="$OUT/store"
now() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
has() { lineage "$1" --help >/dev/null 2>&1; }   # commands from the other sections
step python examples/pipeline.py --store "$STORE" --data "$OUT/data"
step lineage record published/weekly.pdf --input reports/weekly.html --workflow nightly-sales \
  --stage publish --agent ci --transformation "print to PDF" --type copied --store "$STORE"
step lineage build --store "$STORE"
step lineage stale --store "$STORE"
BEFORE=$(now)
if has ancestors; then
  step lineage ancestors reports/weekly.html --store "$STORE"
  step lineage impact raw/orders.csv --store "$STORE"
fi
# A new download of the orders: everything built from the old orders goes stale.
step python examples/pipeline.py --store "$STORE" --data "$OUT/data" --refresh-orders
step lineage build --store "$STORE"
step lineage stale --store "$STORE" --json || echo "(exit $?: stale artifacts, so CI would stop here)" >&2
step lineage snapshots --store "$STORE"
step lineage at "$BEFORE" --store "$STORE" --output "$OUT/store-before-refresh.json"
step lineage diff "$BEFORE" "$(now)" --store "$STORE"
if has ancestors; then
  step lineage ancestors published/weekly.pdf --store "$STORE" --as-of "$BEFORE"
fi
if has export; then
  step lineage export --format svg --store "$STORE" --output "$OUT/store-lineage.svg"
fi


# --- 3. Pictures ----------------------------------------------------------------------
# (filled in by the export work)



# --- 4. Interop: OpenLineage and PROV -------------------------------------------------
# (filled in by the interop work)



echo >&2
echo "Demo finished; outputs are in $OUT/." >&2
