"""Commands: validate."""

from __future__ import annotations

from lineage_cli.cli.app import app  # noqa: F401
