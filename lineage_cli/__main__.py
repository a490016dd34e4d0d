"""Run the CLI with ``python -m lineage_cli``."""

from lineage_cli.cli import main

main()
