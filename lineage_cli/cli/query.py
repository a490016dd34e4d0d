"""Commands: provenance, ancestors, descendants, path, common-ancestors, impact and cross-workflow."""

from __future__ import annotations

from lineage_cli.cli.app import app  # noqa: F401
