"""``lineage serve``: an OpenLineage HTTP endpoint and read-only queries over one store."""
