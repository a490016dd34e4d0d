"""A small sales pipeline that records its lineage with `lineage_cli`'s recorder.

Run it twice to see staleness::

    python examples/pipeline.py --store demo-out/store --data demo-out/data          # the nightly run
    python examples/pipeline.py --store demo-out/store --data demo-out/data --refresh-orders

The first run extracts two raw files, cleans and joins them, renders a report, attests a
quality check, and tries a forecast that fails (the failure is recorded, then handled).
`--refresh-orders` re-downloads only the orders: everything built from the old orders is
now stale until the next full run.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

from lineage_cli import configure, data_flow_context, record_artifact

ORDERS = [
    ("o-1", "c-1", 120.0),
    ("o-2", "c-2", 75.5),
    ("o-2", "c-2", 75.5),  # a duplicate the cleaning step removes
    ("o-3", "c-1", 42.0),
]
CUSTOMERS = [("c-1", "Ada", "NL"), ("c-2", "Grace", "US")]


def content_version(path: Path) -> str:
    """A version that changes exactly when the content does: the first 12 hex digits of its hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def extract(data: Path, orders: list[tuple[str, str, float]], *, customers: bool = True) -> None:
    """Stage 1: download the raw files (here: write them)."""
    with data_flow_context(stage="extract"):
        raw_orders = write_csv(data / "raw/orders.csv", ["order", "customer", "amount"], list(orders))
        record_artifact(
            "raw/orders.csv",
            kind="file",
            version=content_version(raw_orders),
            transformation="download from the shop API",
            transformation_type="generated",
            metadata={"rows": len(orders)},
        )
        if not customers:
            return
        raw_customers = write_csv(
            data / "raw/customers.csv", ["customer", "name", "country"], list(CUSTOMERS)
        )
        record_artifact(
            "raw/customers.csv",
            kind="file",
            version=content_version(raw_customers),
            transformation="export from the CRM",
            transformation_type="generated",
        )


def transform(data: Path) -> None:
    """Stage 2: clean the orders, check them, join with customers, aggregate."""
    with data_flow_context(stage="transform"):
        rows = read_rows(data / "raw/orders.csv")
        unique = list({row["order"]: row for row in rows}.values())
        clean = write_csv(
            data / "clean/orders.csv",
            ["order", "customer", "amount"],
            [(r["order"], r["customer"], r["amount"]) for r in unique],
        )
        record_artifact(
            "clean/orders.csv",
            kind="table",
            inputs=["raw/orders.csv"],
            version=content_version(clean),
            transformation="drop duplicate orders",
            transformation_type="refined",
            metadata={"rows": len(unique), "dropped": len(rows) - len(unique), "quality_score": 0.98},
        )
        check = data / "checks/orders_ok.json"
        check.parent.mkdir(parents=True, exist_ok=True)
        check.write_text(json.dumps({"orders": len(unique), "negative_amounts": 0}))
        record_artifact(
            "checks/orders_ok.json",
            kind="attestation",
            inputs=["clean/orders.csv"],
            transformation="no negative amounts, order ids unique",
            transformation_type="validated",
        )
        names = {r["customer"]: r["name"] for r in read_rows(data / "raw/customers.csv")}
        totals: dict[str, float] = {}
        for row in unique:
            totals[row["customer"]] = totals.get(row["customer"], 0.0) + float(row["amount"])
        mart = write_csv(
            data / "mart/sales_by_customer.csv",
            ["customer", "name", "total"],
            [(c, names[c], total) for c, total in sorted(totals.items())],
        )
        record_artifact(
            "mart/sales_by_customer.csv",
            kind="table",
            inputs=["clean/orders.csv", "raw/customers.csv"],
            version=content_version(mart),
            transformation="join orders with customers, sum per customer",
            transformation_type="merged",
        )


def publish(data: Path) -> None:
    """Stage 3: render the report, and try a forecast that fails."""
    with data_flow_context(stage="publish"):
        rows = read_rows(data / "mart/sales_by_customer.csv")
        report = data / "reports/weekly.html"
        report.parent.mkdir(parents=True, exist_ok=True)
        items = "".join(f"<li>{r['name']}: {r['total']}</li>" for r in rows)
        report.write_text(f"<h1>Weekly sales</h1><ul>{items}</ul>")
        record_artifact(
            "reports/weekly.html",
            kind="report",
            inputs=["mart/sales_by_customer.csv"],
            version=content_version(report),
            transformation="render the weekly report",
            metadata={"visualization": {"node_label": "Weekly report", "node_color": "#44cc99"}},
        )
    try:
        # Its own flow: the forecast's failure marks only what that flow produced.
        with data_flow_context(stage="forecast", agent="ml-bot"):
            record_artifact("ml/forecast.pkl", kind="model", inputs=["mart/sales_by_customer.csv"])
            raise RuntimeError("not enough history to fit a seasonal model")
    except RuntimeError as exc:
        print(f"forecast skipped: {exc}", file=sys.stderr)  # a message, not data: stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="the lineage store directory")
    parser.add_argument("--data", required=True, help="where the pipeline writes its files")
    parser.add_argument("--refresh-orders", action="store_true", help="only re-download the orders")
    args = parser.parse_args()
    configure(store=args.store)  # without this, $LINEAGE_STORE (if set) decides
    data = Path(args.data)
    with data_flow_context(source="nightly-sales", job_id="run-1", workflow="nightly-sales", agent="etl-bot"):
        if args.refresh_orders:
            extract(data, [*ORDERS, ("o-4", "c-2", 18.0)], customers=False)
        else:
            extract(data, ORDERS)
            transform(data)
            publish(data)


if __name__ == "__main__":
    main()
