#!/usr/bin/env bash
# `make demo`: the main job on the shipped sample graphs, step by step, with real output.
# Messages go to stderr; answers go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

# --- 1. Queries on the sample graphs (core) -------------------------------------------
# The three sample graphs are valid even under --strict (warnings count as errors).
step lineage validate --strict sample_graphs/*.json
# A broken file: every problem with its JSONPath, one cycle printed, exit status 1.
if step lineage validate examples/broken.json; then
  echo "examples/broken.json should not validate" >&2; exit 1
fi
# Scripts read the JSON report.
step lineage validate --json sample_graphs/warehouse-etl.json > "$OUT/validate-warehouse.json"
echo "valid: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid"])' "$OUT/validate-warehouse.json")" >&2

ML=sample_graphs/ml-training.json
DWH=sample_graphs/warehouse-etl.json
AGENTS=sample_graphs/agent-orchestration.json
# Where did the registered model come from, and what did the best training run feed?
step lineage provenance 'registry://ctr-xgb/14' --graph "$ML"
step lineage ancestors 'approval:ctr-xgb/14' --depth 2 --graph "$ML"
step lineage descendants 'model:ctr-xgb/run-0417' --graph "$ML"
# How does a CRM table reach the board pack (downstream only)? And what does nothing reach?
step lineage path 'postgres://crm-replica.internal:5432/crm/public.accounts' \
  'dashboard:looker/finance/board-pack' --directed --graph "$DWH"
if step lineage path 'dashboard:looker/finance/revenue' dim_date --directed --graph "$DWH"; then
  echo "a dashboard should not reach a dimension" >&2; exit 1
fi
# What breaks if the currency table changes? Critical paths to what finance signs off.
step lineage impact stg_erp__currencies --critical examples/critical.txt --graph "$DWH"
step lineage impact stg_erp__currencies --critical examples/critical.txt --json --graph "$DWH" > "$OUT/impact.json"
echo "affected: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["affected_artifacts"]))' "$OUT/impact.json") artifacts" >&2
# What do the pull request and the rewritten docs share, and what crosses workflows?
step lineage common-ancestors 'pr:payments-service#2291' 'docs:payments/retry-policy.md@2026.03' --graph "$AGENTS"
step lineage cross-workflow --graph "$AGENTS"



# --- 2a. The first day: lineage init, run and status ---------------------------------
# A store is found like git's folder, from any subdirectory; `lineage run` wraps shell steps
# (hashing inputs and outputs); `lineage status` is the CI gate.
REPO=$PWD
DAY1="$OUT/day1"
step lineage init "$DAY1"
(
  cd "$DAY1"
  printf '10\n32\n' > orders.csv
  step lineage run --input orders.csv --output totals.csv -- sh -c 'cut -c1-2 orders.csv > totals.csv'
  step python "$REPO/examples/report_job.py"   # the recorder finds the store and hashes report.txt
  step lineage status
  if step lineage run --input totals.csv --output chart.png -- sh -c 'echo "no plotter" >&2; exit 3'; then
    echo "the failing step should pass its exit status through" >&2; exit 1
  fi
  if step lineage status; then echo "status should be red after a failed run" >&2; exit 1; fi
  step python "$REPO/examples/report_job.py"   # same bytes, same version: nothing goes stale
  mkdir -p reports/weekly && cd reports/weekly
  step lineage stale                            # found from a subdirectory; exit 0: nothing stale
  step lineage ancestors report.txt             # built first: the query sees the latest events
  step lineage at '1h ago'                      # before the first event, and it says so
)


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
PICTURE_GRAPH=sample_graphs/ml-training.json
step lineage export --graph "$PICTURE_GRAPH" --format png --output "$OUT/lineage.png"
step lineage export --graph "$PICTURE_GRAPH" --format mermaid --output "$OUT/lineage.mmd"
step lineage export --graph "$PICTURE_GRAPH" --format svg --max-nodes 20 --output "$OUT/first-20.svg"
step lineage export --graph "$PICTURE_GRAPH" --root 'registry://ctr-xgb/14' --both --depth 2 --format png \
  --output "$OUT/ctr-xgb-14.png"
printf '\n\033[1m$ lineage export --graph %s --format dot | dot -Tpng -o %s\033[0m\n' "$PICTURE_GRAPH" "$OUT/piped.png" >&2
lineage export --graph "$PICTURE_GRAPH" --format dot | dot -Tpng -o "$OUT/piped.png"
ls -l "$OUT"/lineage.png "$OUT"/piped.png "$OUT"/first-20.svg >&2



# --- 4. Interop: OpenLineage and PROV -------------------------------------------------
# Three jobs report through the OpenLineage client's file transport (the clean job fails
# once, then succeeds on retry); their events go into a store, twice (the second adds
# nothing), then out again as W3C PROV and as OpenLineage.
OL_STORE="$OUT/openlineage-store"
step python examples/openlineage_jobs.py "$OUT/openlineage-events.ndjson"
step lineage import openlineage "$OUT/openlineage-events.ndjson" --store "$OL_STORE"
step lineage import openlineage "$OUT/openlineage-events.ndjson" --store "$OL_STORE"
step lineage build --store "$OL_STORE"
# Sources that were never recorded become external artifacts, so the built file validates.
step lineage validate --strict --store "$OL_STORE"
step lineage ancestors bigquery/analytics.revenue --store "$OL_STORE"
step lineage export --format prov-json --store "$OL_STORE" > "$OUT/lineage.prov.json"
step lineage export --format openlineage --store "$OL_STORE" > "$OUT/lineage.openlineage.ndjson"
echo "PROV-JSON in $OUT/lineage.prov.json; OpenLineage events in $OUT/lineage.openlineage.ndjson." >&2



echo >&2
echo "Demo finished; outputs are in $OUT/." >&2
