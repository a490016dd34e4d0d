"""Generate the sample lineage graphs in this folder, deterministically (standard library only).

Run ``python sample_graphs/generate.py`` to rewrite the three files; ``--check`` exits 1 if
a committed file differs from what this script produces. The output uses the exact layout
that ``lineage`` itself writes, so loading and saving a sample gives back the same bytes.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class Builder:
    """Accumulates artifacts and edges in file order; every input gets exactly one edge."""

    def __init__(self, built_at: datetime) -> None:
        self.built_at = built_at
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, Any]] = []

    def add(
        self,
        artifact_id: str,
        *,
        agent: str,
        workflow: str,
        stage: str,
        at: datetime,
        transformation: str,
        inputs: list[tuple[str, str, str]] | None = None,
        status: str = "fresh",
        version: str = "1",
        tool: str | None = None,
        environment: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Add an artifact; ``inputs`` are (source id, edge type, edge description)."""
        assert artifact_id not in self.nodes, artifact_id
        inputs = inputs or []
        for source, _, _ in inputs:
            assert source in self.nodes, f"{artifact_id}: unknown input {source}"
            assert self.nodes[source]["provenance"]["timestamp"] <= stamp(at), (source, artifact_id)
        self.nodes[artifact_id] = {
            "version": version,
            "status": status,
            "provenance": {
                "agent": agent,
                "workflow": workflow,
                "stage": stage,
                "timestamp": stamp(at),
                "tool": tool,
                "environment": environment,
            },
            "inputs": [source for source, _, _ in inputs],
            "transformation": transformation,
            "metadata": metadata or {},
        }
        for source, kind, description in inputs:
            self.edges.append(
                {
                    "source": source,
                    "target": artifact_id,
                    "type": kind,
                    "description": description,
                    "metadata": {},
                }
            )
        return artifact_id

    def document(self) -> dict[str, Any]:
        """The lineage file, keys in the order `lineage` writes them."""
        return {
            "version": "1.0",
            "built_at": stamp(self.built_at),
            "nodes": self.nodes,
            "edges": self.edges,
        }


def stamp(moment: datetime) -> str:
    """ISO-8601 UTC with a Z suffix, as `lineage` writes timestamps."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def vis(label: str, color: str, group: str) -> dict[str, str]:
    """A ``metadata.visualization`` block."""
    return {"node_label": label, "node_color": color, "group": group}


# -- 1. An ML training pipeline ----------------------------------------------------------


def ml_training() -> dict[str, Any]:
    """Click-through-rate model: ingest, features, training sweep, evaluation, registry, serving."""
    rng = random.Random(1401)
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    b = Builder(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    env = "k8s/ml-prod"
    days = ["2026-03-01", "2026-03-02"]
    raw: list[str] = []
    for i, day in enumerate(days):
        for j, source in enumerate(["clickstream", "impressions", "conversions"]):
            raw.append(
                b.add(
                    f"s3://ml-raw/{source}/dt={day}/part-0000.parquet",
                    agent="kafka-connect",
                    workflow="data-ingest",
                    stage="land",
                    at=t0 + timedelta(hours=24 * i, minutes=5 * j),
                    transformation=f"landed from Kafka topic {source}.v2",
                    tool="kafka-connect-s3-10.5",
                    environment="aws/us-east-1",
                    metadata={"partition": f"dt={day}", "rows": 18_000_000 + 1_250_000 * j + 730_000 * i},
                )
            )
    b.add(
        "s3://ml-raw/reference/geo-ip-2026-02.csv",
        agent="vendor-sync",
        workflow="data-ingest",
        stage="land",
        at=t0,
        transformation="external geo-IP table, checksum unverified",
        status="unknown",
        tool="rclone-1.66",
        metadata={"vendor": "maxmind"},
    )
    t1 = t0 + timedelta(days=1, hours=2)
    cleaned: dict[str, str] = {}
    for k, source in enumerate(["clickstream", "impressions", "conversions"]):
        parts = [r for r in raw if f"/{source}/" in r]
        cleaned[source] = b.add(
            f"dataset:{source}-clean@v7",
            agent="spark-etl",
            workflow="data-ingest",
            stage="clean",
            at=t1 + timedelta(minutes=10 * k),
            transformation=f"dedupe and schema-check {source}",
            inputs=[(p, "merged", "union of daily partitions") for p in parts],
            version="7",
            tool="spark-3.5.1",
            environment="emr/ml-etl",
            metadata={
                "quality_score": round(0.9 + 0.03 * k, 2),
                "partition": "dt=2026-03-01..2026-03-02",
                "visualization": vis(f"{source} (clean)", "#1976D2", "ingest"),
            },
        )
    t2 = t1 + timedelta(hours=2)
    features: list[str] = []
    feature_specs = [
        ("user-activity-7d", ["clickstream"]),
        ("user-activity-28d", ["clickstream"]),
        ("ad-ctr-prior", ["clickstream", "impressions"]),
        ("ad-conversion-rate", ["impressions", "conversions"]),
        ("user-geo", ["clickstream"]),
        ("session-depth", ["clickstream"]),
        ("advertiser-spend", ["impressions", "conversions"]),
        ("time-of-day", ["impressions"]),
    ]
    for n, (name, sources) in enumerate(feature_specs):
        inputs = [(cleaned[s], "derived", f"aggregate {s}") for s in sources]
        if name == "user-geo":
            inputs.append(("s3://ml-raw/reference/geo-ip-2026-02.csv", "derived", "IP to region lookup"))
        features.append(
            b.add(
                f"features/{name}-v3",
                agent="feature-bot",
                workflow="feature-pipeline",
                stage="compute",
                at=t2 + timedelta(minutes=7 * n),
                transformation=f"compute feature group {name}",
                inputs=inputs,
                version="3",
                tool="feast-0.38",
                environment=env,
                metadata={"quality_score": round(0.85 + rng.random() * 0.14, 2), "owner": "growth-ml"},
            )
        )
    t3 = t2 + timedelta(hours=2)
    table = b.add(
        "features/ctr-training-table-v3",
        agent="feature-bot",
        workflow="feature-pipeline",
        stage="join",
        at=t3,
        transformation="point-in-time join of all feature groups on (user, ad, ts)",
        inputs=[(f, "merged", "point-in-time join") for f in features],
        version="3",
        tool="feast-0.38",
        environment=env,
        metadata={"rows": 41_800_000, "visualization": vis("training table", "#7B1FA2", "features")},
    )
    splits = {}
    for m, split in enumerate(["train", "validation", "test"]):
        splits[split] = b.add(
            f"dataset:ctr/{split}@2026-03-03",
            agent="feature-bot",
            workflow="feature-pipeline",
            stage="split",
            at=t3 + timedelta(minutes=20 + m),
            transformation=f"time-based {split} split",
            inputs=[(table, "derived", f"rows for the {split} window")],
            tool="python-3.12",
            environment=env,
            metadata={"partition": split},
        )
    t4 = t3 + timedelta(hours=1)
    config = b.add(
        "config:ctr-xgb/sweep-2026-03-03.yaml",
        agent="automl-planner",
        workflow="training",
        stage="plan",
        at=t4,
        transformation="search space drafted from last month's best runs",
        tool="optuna-3.6",
        environment=env,
    )
    runs: list[str] = []
    for r in range(12):
        status = "fresh"
        if r == 7:
            status = "failed"
        elif r >= 10:
            status = "in_progress"
        runs.append(
            b.add(
                f"model:ctr-xgb/run-{412 + r:04d}",
                agent="trainer",
                workflow="training",
                stage="train",
                at=t4 + timedelta(minutes=15 + 9 * r),
                transformation=f"train XGBoost, trial {r} "
                f"(depth {4 + r % 5}, eta {0.05 + 0.01 * (r % 4):.2f})",
                inputs=[
                    (config, "derived", f"hyper-parameters of trial {r}"),
                    (splits["train"], "derived", "training rows"),
                    (splits["validation"], "derived", "early stopping"),
                ],
                status=status,
                version=f"run-{412 + r:04d}",
                tool="xgboost-2.0.3",
                environment="k8s/gpu-pool-a100",
                metadata={"trial": r, "visualization": vis(f"trial {r}", "#F57C00", "sweep")},
            )
        )
    best = runs[5]
    t5 = t4 + timedelta(hours=4)
    evals: list[str] = []
    for r, run in enumerate(runs[:10]):
        if r == 7:
            continue  # the failed run has no model to evaluate
        evals.append(
            b.add(
                f"eval/ctr-xgb/run-{412 + r:04d}/metrics.json",
                agent="evaluator",
                workflow="evaluation",
                stage="evaluate",
                at=t5 + timedelta(minutes=3 * r),
                transformation="AUC, log-loss and calibration on the held-out test split",
                inputs=[(run, "validated", "scored on test split"), (splits["test"], "derived", "test rows")],
                tool="sklearn-1.5",
                environment=env,
                metadata={"quality_score": round(0.70 + 0.02 * r - (0.05 if r == 9 else 0), 3)},
            )
        )
    leaderboard = b.add(
        "eval/ctr-xgb/leaderboard-2026-03-03.md",
        agent="evaluator",
        workflow="evaluation",
        stage="rank",
        at=t5 + timedelta(minutes=45),
        transformation="rank trials by AUC",
        inputs=[(e, "merged", "collect metrics") for e in evals],
        tool="python-3.12",
        environment=env,
    )
    fairness = b.add(
        "eval/ctr-xgb/run-0417/fairness-audit.json",
        agent="responsible-ai-bot",
        workflow="evaluation",
        stage="audit",
        at=t5 + timedelta(minutes=50),
        transformation="slice metrics by region and device; parity within 2%",
        inputs=[(best, "validated", "audited"), (features[4], "derived", "region slices")],
        tool="fairlearn-0.10",
        environment=env,
        metadata={"quality_score": 0.97},
    )
    t6 = t5 + timedelta(hours=2)
    calibrated = b.add(
        "model:ctr-xgb/run-0417-calibrated",
        agent="trainer",
        workflow="training",
        stage="calibrate",
        at=t6,
        transformation="isotonic calibration on the validation split",
        inputs=[(best, "refined", "calibrated"), (splits["validation"], "derived", "calibration rows")],
        version="run-0417.1",
        tool="sklearn-1.5",
        environment=env,
    )
    card = b.add(
        "report:model-card/ctr-xgb-v14",
        agent="doc-writer",
        workflow="deployment",
        stage="document",
        at=t6 + timedelta(minutes=30),
        transformation="model card generated from metrics, audit and training config",
        inputs=[
            (leaderboard, "derived", "headline metrics"),
            (fairness, "derived", "fairness section"),
            (calibrated, "derived", "model details"),
        ],
        tool="mkdocs-1.6",
        metadata={"visualization": vis("model card v14", "#388E3C", "release")},
    )
    registered = b.add(
        "registry://ctr-xgb/14",
        agent="release-bot",
        workflow="deployment",
        stage="register",
        at=t6 + timedelta(minutes=40),
        transformation="copied to the model registry as version 14",
        inputs=[(calibrated, "copied", "artifact upload"), (card, "derived", "attached model card")],
        version="14",
        tool="mlflow-2.12",
        environment="mlflow/prod",
        metadata={"visualization": vis("ctr-xgb v14", "#388E3C", "release")},
    )
    approval = b.add(
        "approval:ctr-xgb/14",
        agent="release-bot",
        workflow="deployment",
        stage="approve",
        at=t6 + timedelta(minutes=55),
        transformation="release gate: AUC >= 0.80, fairness audit passed",
        inputs=[(registered, "validated", "gate checks")],
        tool="mlflow-2.12",
        environment="mlflow/prod",
    )
    for c, cluster in enumerate(["us-east-1", "eu-west-1"]):
        b.add(
            f"deployment:ctr-serving/{cluster}",
            agent="argo-cd",
            workflow="deployment",
            stage="deploy",
            at=t6 + timedelta(hours=1, minutes=10 * c),
            transformation=f"canary then full rollout to {cluster}",
            inputs=[(registered, "copied", "image pulled"), (approval, "derived", "gate passed")],
            status="in_progress" if c == 1 else "fresh",
            version="14",
            tool="argo-cd-2.11",
            environment=f"k8s/serving-{cluster}",
            metadata={"replicas": 12 - 4 * c},
        )
    b.add(
        "dashboard:ml/ctr-model-health",
        agent="grafana-sync",
        workflow="monitoring",
        stage="publish",
        at=t6 + timedelta(hours=2),
        transformation="panels regenerated for model version 14",
        inputs=[(registered, "derived", "model version"), (leaderboard, "derived", "offline baseline")],
        status="stale",
        tool="grafana-10.4",
        metadata={"visualization": vis("model health", "#9E9E9E", "monitoring")},
    )
    return b.document()


# -- 2. A data-warehouse ETL whose workflows share artifacts ----------------------------


def warehouse_etl() -> dict[str, Any]:
    """ERP and CRM into a warehouse: staging, shared dimensions, finance and marketing marts."""
    t0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    b = Builder(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    sources = {
        "erp": ["orders", "order_lines", "invoices", "payments", "products", "suppliers", "currencies"],
        "crm": ["accounts", "contacts", "opportunities", "campaigns", "campaign_members"],
        "web": ["sessions", "pageviews", "signups"],
        "ads": ["google_ads_spend", "meta_ads_spend", "linkedin_ads_spend"],
    }
    staging: dict[str, str] = {}
    minute = 0
    for system, tables in sources.items():
        for table in tables:
            minute += 2
            src = b.add(
                f"postgres://{system}-replica.internal:5432/{system}/public.{table}",
                agent="source-system",
                workflow="ingest-nightly",
                stage="source",
                at=t0 - timedelta(hours=1),
                transformation="operational table (replica)",
                status="unknown" if system == "ads" and table.startswith("linkedin") else "fresh",
                tool=None,
                environment=f"{system}-prod",
            )
            landed = b.add(
                f"raw.{system}.{table}",
                agent="airbyte",
                workflow="ingest-nightly",
                stage="extract",
                at=t0 + timedelta(minutes=minute),
                transformation=f"incremental sync of {system}.{table}",
                inputs=[(src, "copied", "CDC replication")],
                status="failed" if table == "linkedin_ads_spend" else "fresh",
                tool="airbyte-0.63",
                environment="snowflake/RAW",
                metadata={"partition": "2026-03-01", "load_id": f"ab-{1000 + minute}"},
            )
            staging[table] = b.add(
                f"stg_{system}__{table}",
                agent="dbt",
                workflow="staging",
                stage="model",
                at=t0 + timedelta(hours=1, minutes=minute),
                transformation=f"rename, cast and dedupe {table}",
                inputs=[(landed, "derived", "select from raw")],
                status="stale" if table == "linkedin_ads_spend" else "fresh",
                tool="dbt-1.8.2",
                environment="snowflake/ANALYTICS",
                metadata={"materialized": "view", "partition": "2026-03-01"},
            )
    t1 = t0 + timedelta(hours=2)
    grey = "#607D8B"

    def model(
        name: str,
        workflow: str,
        inputs: list[tuple[str, str, str]],
        offset: int,
        transformation: str,
        *,
        status: str = "fresh",
        metadata: dict[str, Any] | None = None,
    ) -> str:
        return b.add(
            name,
            agent="dbt",
            workflow=workflow,
            stage="model",
            at=t1 + timedelta(minutes=offset),
            transformation=transformation,
            inputs=inputs,
            status=status,
            tool="dbt-1.8.2",
            environment="snowflake/ANALYTICS",
            metadata={"materialized": "table", **(metadata or {})},
        )

    def d(source: str, why: str = "join") -> tuple[str, str, str]:
        return (source, "derived", why)

    int_fx = model(
        "int_fx_rates_daily",
        "shared-dimensions",
        [d(staging["currencies"], "forward-fill")],
        1,
        "daily rates",
    )
    dim_customer = model(
        "dim_customer",
        "shared-dimensions",
        [
            (staging["accounts"], "merged", "CRM accounts"),
            (staging["contacts"], "merged", "primary contact"),
            (staging["orders"], "derived", "first order date"),
            (staging["signups"], "merged", "web signups"),
        ],
        5,
        "one row per customer across CRM, ERP and web",
        metadata={
            "quality_score": 0.96,
            "visualization": vis("Customers", "#00897B", "conformed dimensions"),
        },
    )
    dim_product = model(
        "dim_product",
        "shared-dimensions",
        [(staging["products"], "merged", "catalogue"), (staging["suppliers"], "merged", "supplier names")],
        6,
        "products with supplier attributes",
        metadata={"quality_score": 0.99, "visualization": vis("Products", "#00897B", "conformed dimensions")},
    )
    dim_date = b.add(
        "dim_date",
        agent="dbt",
        workflow="shared-dimensions",
        stage="seed",
        at=t0,
        transformation="calendar 2015-2035 with fiscal periods",
        tool="dbt-1.8.2",
        environment="snowflake/ANALYTICS",
        metadata={
            "materialized": "seed",
            "visualization": vis("Calendar", "#00897B", "conformed dimensions"),
        },
    )
    dim_campaign = model(
        "dim_campaign",
        "shared-dimensions",
        [d(staging["campaigns"], "campaign attributes")],
        7,
        "campaigns with channel mapping",
        metadata={"visualization": vis("Campaigns", "#00897B", "conformed dimensions")},
    )
    fct_orders = model(
        "fct_orders",
        "marts-finance",
        [
            d(staging["orders"], "order headers"),
            d(staging["order_lines"], "line amounts"),
            d(dim_customer, "customer key"),
            d(dim_product, "product key"),
            d(dim_date, "date key"),
            d(int_fx, "convert to EUR"),
        ],
        12,
        "order lines at EUR with conformed keys",
        metadata={"quality_score": 0.98},
    )
    fct_invoices = model(
        "fct_invoices",
        "marts-finance",
        [
            d(staging["invoices"], "invoice lines"),
            d(staging["payments"], "payment status"),
            d(dim_customer, "customer key"),
            d(dim_date, "date key"),
            d(int_fx, "convert to EUR"),
        ],
        13,
        "invoices with payment state",
    )
    revenue_daily = model(
        "fct_revenue_daily",
        "marts-finance",
        [(fct_orders, "merged", "booked"), (fct_invoices, "merged", "invoiced")],
        20,
        "booked vs invoiced revenue per day",
        metadata={"visualization": vis("Revenue (daily)", "#E53935", "finance")},
    )
    ar_aging = model(
        "rpt_ar_aging", "marts-finance", [d(fct_invoices, "open items")], 21, "receivables by age bucket"
    )
    spend_inputs = [
        (staging[t], "merged", "channel spend")
        for t in ["google_ads_spend", "meta_ads_spend", "linkedin_ads_spend"]
    ]
    spend = model(
        "fct_marketing_spend",
        "marts-marketing",
        [
            *spend_inputs,
            d(dim_campaign, "campaign key"),
            d(dim_date, "date key"),
            d(int_fx, "convert to EUR"),
        ],
        14,
        "daily spend per campaign and channel",
        status="stale",
        metadata={"quality_score": 0.71},
    )
    touches = model(
        "fct_touchpoints",
        "marts-marketing",
        [
            d(staging["sessions"], "web sessions"),
            d(staging["campaign_members"], "campaign responses"),
            d(dim_customer, "identity stitching"),
        ],
        15,
        "every marketing touch per customer",
    )
    attribution = model(
        "fct_attribution_linear",
        "marts-marketing",
        [d(touches, "touch sequence"), d(fct_orders, "conversions")],
        25,
        "linear multi-touch attribution of orders",
        metadata={"visualization": vis("Attribution", "#FB8C00", "marketing")},
    )
    cac = model(
        "rpt_cac_by_channel",
        "marts-marketing",
        [(spend, "merged", "spend"), (attribution, "merged", "attributed customers")],
        30,
        "customer acquisition cost by channel",
        status="stale",
    )
    pipeline = model(
        "fct_sales_pipeline",
        "marts-sales",
        [
            d(staging["opportunities"], "opportunities"),
            d(dim_customer, "account key"),
            d(dim_date, "date key"),
        ],
        16,
        "open pipeline snapshot",
    )
    funnel = model(
        "rpt_funnel_weekly",
        "marts-sales",
        [d(staging["pageviews"], "visits"), d(pipeline, "opportunities"), d(fct_orders, "won deals")],
        31,
        "visit to order funnel by week",
    )
    ltv = model(
        "rpt_customer_ltv",
        "marts-finance",
        [d(fct_orders, "order history"), d(dim_customer, "cohort")],
        32,
        "lifetime value by acquisition cohort",
    )
    board = model(
        "rpt_board_kpis_monthly",
        "marts-finance",
        [
            (revenue_daily, "merged", "revenue"),
            (cac, "merged", "CAC"),
            (ltv, "merged", "LTV"),
            (funnel, "merged", "conversion"),
            (ar_aging, "merged", "DSO"),
        ],
        40,
        "board pack KPIs",
        status="stale",
        metadata={"visualization": vis("Board KPIs", "#C62828", "finance")},
    )
    t2 = t1 + timedelta(hours=1)
    checks = [
        ("dim_customer", dim_customer, "unique and not-null customer_id; 0 orphans"),
        ("fct_orders", fct_orders, "row count within 3 sigma of the 28-day mean"),
        ("fct_revenue_daily", revenue_daily, "reconciles to the general ledger within 0.5%"),
        ("fct_marketing_spend", spend, "freshness: linkedin spend is 2 days old"),
    ]
    for c, (name, target, rule) in enumerate(checks):
        b.add(
            f"check:great-expectations/{name}",
            agent="great-expectations",
            workflow="data-quality",
            stage="validate",
            at=t2 + timedelta(minutes=c),
            transformation=rule,
            inputs=[(target, "validated", "expectation suite")],
            status="failed" if name == "fct_marketing_spend" else "fresh",
            tool="great-expectations-1.0",
            environment="airflow/prod",
        )
    outputs = [
        ("dashboard:looker/finance/revenue", revenue_daily, "revenue dashboard", "fresh"),
        ("dashboard:looker/finance/board-pack", board, "board pack", "stale"),
        ("dashboard:looker/marketing/cac", cac, "CAC dashboard", "stale"),
        ("dashboard:looker/sales/funnel", funnel, "funnel dashboard", "fresh"),
    ]
    for o, (name, source, label, status) in enumerate(outputs):
        b.add(
            name,
            agent="looker",
            workflow="bi-publish",
            stage="publish",
            at=t2 + timedelta(minutes=20 + o),
            transformation=f"refresh {label}",
            inputs=[(source, "derived", "explore query")],
            status=status,
            tool="looker-24.6",
            metadata={"visualization": vis(label, grey, "dashboards")},
        )
    for r, (name, source, why) in enumerate(
        [
            ("salesforce://Account.ltv__c", ltv, "write LTV back to CRM"),
            ("hubspot://lists/high-intent", attribution, "audience sync"),
        ]
    ):
        b.add(
            name,
            agent="hightouch",
            workflow="reverse-etl",
            stage="sync",
            at=t2 + timedelta(minutes=40 + r),
            transformation=why,
            inputs=[(source, "copied", "sync rows")],
            status="in_progress" if r == 1 else "fresh",
            tool="hightouch",
            environment="saas",
        )
    # Last month's board pack, refined into this month's commentary by an analyst.
    b.add(
        "doc:finance/board-commentary-2026-02.md",
        agent="analyst:j.moreau",
        workflow="bi-publish",
        stage="write",
        at=t2 + timedelta(hours=1),
        transformation="commentary refined from the KPI pack",
        inputs=[(board, "refined", "narrative on top of KPIs")],
        status="stale",
        tool="notion",
    )
    return b.document()


# -- 3. An agent orchestration run -----------------------------------------------------


def agent_orchestration() -> dict[str, Any]:
    """A multi-agent feature delivery: plan, research, implement, review, test and release."""
    t0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    b = Builder(datetime(2026, 3, 3, 17, 45, tzinfo=UTC))
    env = "sandbox/agent-runner-3"
    tick = 0

    def at() -> datetime:
        nonlocal tick
        tick += 1
        return t0 + timedelta(minutes=4 * tick)

    colors = {"planner": "#5E35B1", "researcher": "#1E88E5", "coder": "#43A047", "reviewer": "#FB8C00"}
    ticket = b.add(
        "jira:PAY-1423",
        agent="human:product-owner",
        workflow="intake",
        stage="request",
        at=t0,
        transformation="feature request: retry failed card payments with backoff",
        tool="jira",
        metadata={"priority": "high"},
    )
    policy = b.add(
        "kb:payments/retry-policy.md",
        agent="human:payments-team",
        workflow="intake",
        stage="reference",
        at=t0,
        transformation="existing retry policy (unversioned wiki page)",
        status="unknown",
        tool="confluence",
    )
    spec = b.add(
        "spec:PAY-1423/requirements.md",
        agent="planner",
        workflow="feature-delivery",
        stage="plan",
        at=at(),
        transformation="requirements drafted from the ticket",
        inputs=[(ticket, "generated", "drafted from ticket text")],
        tool="claude-agent",
        environment=env,
        metadata={"visualization": vis("requirements", colors["planner"], "planning")},
    )
    notes = []
    for n, topic in enumerate(
        ["card-network-rules", "idempotency-keys", "backoff-strategies", "existing-code"]
    ):
        inputs = [(spec, "derived", "research question")]
        if topic == "card-network-rules":
            inputs.append((policy, "derived", "current policy"))
        notes.append(
            b.add(
                f"notes:PAY-1423/research/{topic}.md",
                agent="researcher",
                workflow="feature-delivery",
                stage="research",
                at=at(),
                transformation=f"research notes on {topic.replace('-', ' ')}",
                inputs=inputs,
                tool="web-search+repo-grep",
                environment=env,
                metadata={
                    "quality_score": round(0.78 + 0.05 * n, 2),
                    "visualization": vis(topic, colors["researcher"], "research"),
                },
            )
        )
    plan_v1 = b.add(
        "plan:PAY-1423@v1",
        agent="planner",
        workflow="feature-delivery",
        stage="plan",
        at=at(),
        transformation="implementation plan: 5 tasks",
        inputs=[(spec, "derived", "scope"), *[(n, "merged", "findings") for n in notes]],
        version="v1",
        tool="claude-agent",
        environment=env,
        metadata={"quality_score": 0.74},
    )
    plan_v2 = b.add(
        "plan:PAY-1423@v2",
        agent="planner",
        workflow="feature-delivery",
        stage="plan",
        at=at(),
        transformation="plan revised after the reviewer asked for an idempotency task",
        inputs=[(plan_v1, "refined", "added task 6: idempotency keys")],
        version="v2",
        tool="claude-agent",
        environment=env,
        metadata={"quality_score": 0.91, "visualization": vis("plan v2", colors["planner"], "planning")},
    )
    tasks = [
        ("retry-scheduler", "src/payments/retry/scheduler.py"),
        ("backoff-policy", "src/payments/retry/backoff.py"),
        ("idempotency", "src/payments/idempotency.py"),
        ("webhook-handler", "src/payments/webhooks/card_declined.py"),
        ("metrics", "src/payments/retry/metrics.py"),
        ("migration", "migrations/0042_retry_attempts.sql"),
    ]
    final_code: list[str] = []
    reviews: list[str] = []
    for k, (task, path) in enumerate(tasks):
        prev = b.add(
            f"code:PAY-1423/{path}@r1",
            agent="coder",
            workflow="feature-delivery",
            stage="implement",
            at=at(),
            transformation=f"first draft of {task}",
            inputs=[(plan_v2, "generated", f"task {k + 1}")],
            version="r1",
            tool="claude-agent",
            environment=env,
            metadata={"lines_changed": 40 + 17 * k},
        )
        rounds = 1 + (k % 3)  # 1 to 3 review rounds
        for rev in range(1, rounds + 1):
            review = b.add(
                f"review:PAY-1423/{task}/round-{rev}",
                agent="reviewer",
                workflow="feature-delivery",
                stage="review",
                at=at(),
                transformation=f"code review round {rev}: "
                + ("approved" if rev == rounds else f"{3 - rev} comments"),
                inputs=[(prev, "validated", "reviewed diff")],
                tool="claude-agent",
                environment=env,
                metadata={
                    "quality_score": round(0.6 + 0.4 * rev / rounds, 2),
                    "visualization": vis(f"{task} review {rev}", colors["reviewer"], "review"),
                },
            )
            reviews.append(review)
            if rev < rounds:
                prev = b.add(
                    f"code:PAY-1423/{path}@r{rev + 1}",
                    agent="coder",
                    workflow="feature-delivery",
                    stage="implement",
                    at=at(),
                    transformation=f"{task} revised to address review round {rev}",
                    inputs=[(prev, "refined", "applied review comments"), (review, "derived", "comments")],
                    version=f"r{rev + 1}",
                    tool="claude-agent",
                    environment=env,
                    metadata={"visualization": vis(f"{task} r{rev + 1}", colors["coder"], "code")},
                )
        final_code.append(prev)
    tests = []
    for k, (task, _) in enumerate(tasks[:5]):
        tests.append(
            b.add(
                f"code:PAY-1423/tests/test_{task.replace('-', '_')}.py@r1",
                agent="tester",
                workflow="feature-delivery",
                stage="test",
                at=at(),
                transformation=f"unit tests for {task}",
                inputs=[
                    (final_code[k], "derived", "tests written against the API"),
                    (spec, "derived", "criteria"),
                ],
                tool="claude-agent",
                environment=env,
            )
        )
    branch = b.add(
        "git:payments-service@feature/PAY-1423",
        agent="coder",
        workflow="feature-delivery",
        stage="integrate",
        at=at(),
        transformation="squash of the approved revisions",
        inputs=[(c, "merged", "commit") for c in final_code] + [(t, "merged", "commit") for t in tests],
        version="9f3c2e1",
        tool="git-2.44",
        environment=env,
    )
    ci_results = []
    for s, suite in enumerate(["unit", "integration", "contract"]):
        ci_results.append(
            b.add(
                f"ci:payments-service/run-88{21 + s}/{suite}",
                agent="ci",
                workflow="feature-delivery",
                stage="test",
                at=at(),
                transformation=f"{suite} test suite",
                inputs=[(branch, "validated", f"{suite} tests")],
                status="failed" if suite == "contract" else "fresh",
                tool="github-actions",
                environment="ci/ubuntu-24.04",
                metadata={"quality_score": 1.0 if suite != "contract" else 0.0},
            )
        )
    fix = b.add(
        "code:PAY-1423/src/payments/webhooks/card_declined.py@r4",
        agent="coder",
        workflow="feature-delivery",
        stage="implement",
        at=at(),
        transformation="fix the contract-test failure (event schema v3 field name)",
        inputs=[
            (final_code[3], "refined", "renamed decline_code field"),
            (ci_results[2], "derived", "failing assertion"),
        ],
        version="r4",
        tool="claude-agent",
        environment=env,
    )
    branch2 = b.add(
        "git:payments-service@feature/PAY-1423+fix",
        agent="coder",
        workflow="feature-delivery",
        stage="integrate",
        at=at(),
        transformation="fix commit on top of the feature branch",
        inputs=[(branch, "derived", "parent commit"), (fix, "merged", "commit")],
        version="b71d004",
        tool="git-2.44",
        environment=env,
    )
    rerun = b.add(
        "ci:payments-service/run-8824/contract",
        agent="ci",
        workflow="feature-delivery",
        stage="test",
        at=at(),
        transformation="contract test suite (re-run)",
        inputs=[(branch2, "validated", "contract tests")],
        tool="github-actions",
        environment="ci/ubuntu-24.04",
        metadata={"quality_score": 1.0},
    )
    pr = b.add(
        "pr:payments-service#2291",
        agent="coder",
        workflow="feature-delivery",
        stage="release",
        at=at(),
        transformation="pull request with summary of plan, reviews and test results",
        inputs=[
            (branch2, "derived", "head commit"),
            (plan_v2, "derived", "description"),
            (ci_results[0], "derived", "unit status"),
            (ci_results[1], "derived", "integration status"),
            (rerun, "derived", "contract status"),
            *[(r, "derived", "review log") for r in reviews[-3:]],
        ],
        tool="github",
        metadata={"visualization": vis("PR #2291", "#D81B60", "release")},
    )
    # Another workflow picks up what this one produced: the release train and the docs team.
    release = b.add(
        "release:payments-service/2026.03.1",
        agent="release-manager",
        workflow="release-train-2026.03",
        stage="release",
        at=at(),
        transformation="release notes and tag; deployment to canary started",
        inputs=[(pr, "merged", "merged PR"), (policy, "derived", "policy link")],
        status="in_progress",
        version="2026.03.1",
        tool="github",
        environment="k8s/payments-canary",
    )
    b.add(
        "docs:payments/retry-policy.md@2026.03",
        agent="tech-writer",
        workflow="docs-refresh",
        stage="write",
        at=at(),
        transformation="retry policy page rewritten for the new behaviour",
        inputs=[
            (policy, "refined", "updated policy"),
            (spec, "derived", "behaviour"),
            (notes[2], "derived", "backoff rationale"),
        ],
        tool="claude-agent",
        environment=env,
    )
    b.add(
        "docs:payments/changelog.md@2026.03.1",
        agent="tech-writer",
        workflow="docs-refresh",
        stage="write",
        at=at(),
        transformation="changelog entry copied from the release notes",
        inputs=[(release, "copied", "release notes")],
        status="stale",
        tool="claude-agent",
        environment=env,
    )
    return b.document()


GRAPHS = {
    "ml-training.json": ml_training,
    "warehouse-etl.json": warehouse_etl,
    "agent-orchestration.json": agent_orchestration,
}


def render(document: dict[str, Any]) -> str:
    """The file's text, byte for byte as `lineage` writes it (2-space indent, UTF-8, final newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write every sample graph, or with ``--check`` report which committed files differ."""
    check = "--check" in argv
    stale = []
    for name, build in GRAPHS.items():
        text = render(build())
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.name}", file=sys.stderr)
    for name in stale:
        print(
            f"{name} differs from what generate.py produces; run python sample_graphs/generate.py",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
