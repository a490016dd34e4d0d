"""Interoperability: import OpenLineage events and lineage files into the store's event log."""
