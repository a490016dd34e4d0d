"""The lineage store: a directory with an append-only event log, the built graph and snapshots."""
