"""The README's OpenLineage examples are the real output of the real events."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO


def test_the_openlineage_examples_are_the_real_output_now() -> None:
    spec = importlib.util.spec_from_file_location(
        "readme_openlineage", REPO / "scripts" / "readme_openlineage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert module.rewrite(readme, module.render()) == readme, (
        "README.md's OpenLineage examples are out of date: run .venv/bin/python scripts/readme_openlineage.py"
    )
