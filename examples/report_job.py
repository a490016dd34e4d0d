"""A job that records its output with its content hash, into the store found from where it runs.

No configuration: like `lineage` itself, the recorder finds the nearest `.lineage/` above the
working directory. `record_file` hashes the file (SHA-256, streamed), so running the job again
on the same input writes the same version, and nothing downstream goes stale.
"""

from __future__ import annotations

from pathlib import Path

from lineage_cli import data_flow_context, record_file

with data_flow_context(source="report-job", workflow="daily", agent="cron"):
    totals = Path("totals.csv").read_text().split()
    Path("report.txt").write_text(f"{len(totals)} orders, {sum(map(int, totals))} in total\n")
    event = record_file("report.txt", inputs=["totals.csv"])
print(event["artifact_id"], "version", event["version"])
