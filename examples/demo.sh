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
# (filled in by the store work)



# --- 3. Pictures ----------------------------------------------------------------------
# (filled in by the export work)



# --- 4. Interop: OpenLineage and PROV -------------------------------------------------
# (filled in by the interop work)



echo >&2
echo "Demo finished; outputs are in $OUT/." >&2
