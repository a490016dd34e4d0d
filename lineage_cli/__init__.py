"""lineage: record where every artifact came from, and answer questions about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from lineage_cli.recorder import (
        DataFlowContext,
        DataFlowRecorder,
        configure,
        current_context,
        data_flow_context,
        get_recorder,
        record_artifact,
        record_file,
        use_recorder,
    )

__all__ = [
    "DataFlowContext",
    "DataFlowRecorder",
    "__version__",
    "configure",
    "current_context",
    "data_flow_context",
    "get_recorder",
    "record_artifact",
    "record_file",
    "use_recorder",
]

# The recorder is re-exported lazily (PEP 562): `import lineage_cli` stays as cheap as the
# CLI's start-up needs, and `from lineage_cli import record_artifact` still works.
_RECORDER_EXPORTS = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _RECORDER_EXPORTS:
        from lineage_cli import recorder

        return getattr(recorder, name)
    raise AttributeError(f"module 'lineage_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _RECORDER_EXPORTS)
