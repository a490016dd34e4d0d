"""The README's exit-code table is the enum's table, and every code is documented."""

from __future__ import annotations

import re

from lineage_cli.cli.exitcodes import EXIT_CODE_TABLE, ExitCode, exit_code_for
from lineage_cli.errors import InputError, UnknownArtifactError
from tests.conftest import REPO


def test_readme_table_matches_the_enum() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE))
    assert {int(k): v for k, v in rows.items()} == {int(k): v for k, v in EXIT_CODE_TABLE.items()}
    assert set(EXIT_CODE_TABLE) == set(ExitCode)


def test_mapping() -> None:
    assert exit_code_for(UnknownArtifactError("x")) == ExitCode.USAGE
    assert exit_code_for(InputError("bad")) == ExitCode.USAGE
    assert exit_code_for(KeyboardInterrupt()) == ExitCode.INTERRUPTED
