"""Finding the store as git finds its folder: an option, the environment, a project file, or a walk up.

The order, first match wins:

1. ``--store`` (before or after the subcommand), or ``configure(store=...)`` in Python;
2. ``$LINEAGE_STORE``;
3. the project file: ``lineage.toml`` (top level ``store = "..."``) or ``pyproject.toml``
   (``[tool.lineage]``, ``store = "..."``), in the nearest directory, walking up, that holds
   one of them or a ``.lineage/`` directory;
4. the nearest ``.lineage/`` walking up from the working directory.

A directory location from a project file is relative to that file. A database location
(``postgresql://...``) is returned exactly as given: discovery only finds directories.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lineage_cli.errors import InputError

__all__ = [
    "DEFAULT_STORE",
    "PROJECT_FILE",
    "STORE_ENV",
    "Project",
    "StoreLocation",
    "discover_store",
    "find_project",
    "init_database_store",
    "init_store",
    "is_database_location",
]

DEFAULT_STORE: Final = ".lineage"
STORE_ENV: Final = "LINEAGE_STORE"
PROJECT_FILE: Final = "lineage.toml"
_DATABASE_SCHEMES: Final = ("postgresql://", "postgres://")
_SETTINGS: Final = {"store": str, "critical": str, "max_nodes": int}
"""The keys a project file may set, and their types."""


def is_database_location(location: str) -> bool:
    """Whether ``location`` names a database rather than a directory.

    Examples
    --------
    >>> is_database_location("postgresql://db/lineage"), is_database_location(".lineage")
    (True, False)
    """
    return location.lower().startswith(_DATABASE_SCHEMES)


@dataclass(frozen=True, slots=True)
class Project:
    """The project a working directory belongs to: its root, its project file and its settings.

    ``settings`` holds only the known keys (``store``, ``critical``, ``max_nodes``); paths in it
    are made relative to the working directory the project was found from.
    """

    root: Path
    file: Path | None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where the store is, and how that was decided.

    ``source`` is ``option``, ``env``, ``project``, ``found`` (walking up) or ``none``.
    """

    location: str
    source: str
    root: str | None = None
    """The directory artifact paths are taken relative to: the project's, else the store's parent."""

    @property
    def found(self) -> bool:
        """Whether a store was configured or found (``none`` means the working-directory default)."""
        return self.source != "none"


def _read_settings(path: Path) -> dict[str, Any] | None:
    """The ``lineage`` settings of a project file, or ``None`` when it has none."""
    try:
        raw = path.read_bytes()
        # Most pyproject.toml files belong to other tools: parse only those that mention us.
        if path.name == "pyproject.toml" and b"tool.lineage" not in raw:
            return None
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: not valid TOML ({exc}).", hint="Fix the file, or pass --store DIR to skip it."
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("lineage") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            return None
        data = table
    data = {str(key).replace("-", "_"): value for key, value in data.items()}
    settings: dict[str, Any] = {}
    for key, kind in _SETTINGS.items():
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(
                f"{path}: `{key}` must be a {kind.__name__}, not {value!r}.",
                hint="See README, 'Finding the store'.",
            )
        settings[key] = value
    return settings


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when that is shorter to read (``.lineage``, ``../.lineage``)."""
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive on Windows
        return str(path)


def find_project(start: str | os.PathLike[str] | None = None) -> Project | None:
    r"""The project: the nearest directory, walking up from ``start``, with a project file or store.

    That is a directory holding ``lineage.toml``, a ``pyproject.toml`` with ``[tool.lineage]``,
    or a ``.lineage/`` store; ``start`` defaults to the working directory.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "lineage.toml").write_text('store = "lineage-store"\nmax_nodes = 40\n')
    >>> (root / "deep" / "er").mkdir(parents=True)
    >>> project = find_project(root / "deep" / "er")
    >>> project.root == root, project.settings["max_nodes"]
    (True, 40)
    >>> find_project("/") is None or find_project("/").root == pathlib.Path("/")
    True
    """
    here = Path(start) if start is not None else Path.cwd()
    here = here.absolute()
    for directory in (here, *here.parents):
        for name in (PROJECT_FILE, "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file():
                settings = _read_settings(candidate)
                if settings is not None:
                    return Project(directory, candidate, _resolve_paths(settings, directory, here))
        if (directory / DEFAULT_STORE).is_dir():
            return Project(directory, None, {})
    return None


def _resolve_paths(settings: dict[str, Any], directory: Path, start: Path) -> dict[str, Any]:
    """Paths in a project file are relative to it; give them relative to the starting directory."""
    resolved = dict(settings)
    for key in ("store", "critical"):
        value = resolved.get(key)
        if isinstance(value, str) and not is_database_location(value):
            path = Path(os.path.expanduser(value))
            resolved[key] = _relative(path if path.is_absolute() else directory / path, start)
    return resolved


def discover_store(
    explicit: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] | None = None
) -> StoreLocation:
    """Where the store is, found as git finds its folder.

    ``explicit``, else ``$LINEAGE_STORE``, else the project file, else the nearest
    ``.lineage/`` walking up from ``start``; else ``.lineage`` here (``source`` is ``none``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / ".lineage").mkdir(); (root / "out" / "deep").mkdir(parents=True)
    >>> discover_store(start=root / "out" / "deep") if STORE_ENV not in os.environ else None
    StoreLocation(location='../../.lineage', source='found', root='...')
    >>> discover_store("postgresql://db/lineage")
    StoreLocation(location='postgresql://db/lineage', source='option', root=None)
    """
    here = (Path(start) if start is not None else Path.cwd()).absolute()
    if explicit:
        return _given(os.fspath(explicit), "option", here)
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return _given(from_env, "env", here)
    project = find_project(here)
    if project is None:
        return StoreLocation(DEFAULT_STORE, "none", str(here))
    configured = project.settings.get("store")
    if isinstance(configured, str):
        root = None if is_database_location(configured) else str(project.root)
        return StoreLocation(configured, "project", root)
    return StoreLocation(_relative(project.root / DEFAULT_STORE, here), "found", str(project.root))


def _given(location: str, source: str, here: Path) -> StoreLocation:
    if is_database_location(location):
        return StoreLocation(location, source, None)
    return StoreLocation(location, source, str((here / location).absolute().parent))


def init_store(directory: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """Create a store, ``DIR/.lineage/`` with an empty event log; return it and whether it is new.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> store, created = init_store(root)
    >>> store.name, created, (store / "events.jsonl").exists(), init_store(root)[1]
    ('.lineage', True, True, False)
    """
    base = Path(directory) if directory is not None else Path()
    store = base / DEFAULT_STORE
    log = store / "events.jsonl"
    existed = log.exists()
    try:
        store.mkdir(parents=True, exist_ok=True)
        log.touch(exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{store}: cannot create the store ({exc.strerror}).",
            hint="Check the directory exists and is writable, or choose another with `lineage init DIR`.",
        ) from None
    return store, not existed


def init_database_store(url: str, directory: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """Create a database store's tables, write ``DIR/lineage.toml`` naming it; return it and if it is new.

    A password in ``url`` is refused: a project file is shared, so credentials belong in
    ``PGPASSWORD``, ``~/.pgpass`` or a service file.

    Examples
    --------
    >>> init_database_store("postgresql://ci:pw@db/lineage")
    Traceback (most recent call last):
    ...
    lineage_cli.errors.UsageError: postgresql://ci:***@db/lineage carries a password, which ...
    """
    from lineage_cli.errors import UsageError
    from lineage_cli.store.postgres.connect import mask  # the masking only: no driver import

    if mask(url) != url:
        raise UsageError(
            f"{mask(url)} carries a password, which `lineage init` will not write into {PROJECT_FILE}.",
            hint="Drop it from the URL and give it through PGPASSWORD, ~/.pgpass or a service file.",
        )
    path = (Path(directory) if directory is not None else Path()) / PROJECT_FILE
    wanted = f"store = {_toml_string(url)}\n"
    settings = _read_settings(path) if path.exists() else None
    if path.exists() and (settings or {}).get("store") != url:
        raise UsageError(
            f"{path} already exists and does not name {url} as its store.",
            hint=f"Set `store = {_toml_string(url)}` in it, or run `lineage init` in another directory.",
        )
    from lineage_cli.store.base import open_store

    with open_store(url) as store:
        store.create()
    if settings is not None:
        return path, False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror}).") from None
    return path, True


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
