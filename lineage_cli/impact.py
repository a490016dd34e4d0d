"""Impact of a change (what it affects downstream, critical paths) and links between workflows."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lineage_cli.errors import LineageFileError
from lineage_cli.graph import GraphView
from lineage_cli.model import ArtifactStatus, LineageNode
from lineage_cli.queries import bfs_tree, path_to

__all__ = ["CrossWorkflowLink", "ImpactReport", "analyze_impact", "cross_workflow_links", "read_critical_ids"]


# -- impact -------------------------------------------------------------------------


@dataclass(slots=True)
class ImpactReport:
    """What a change to one artifact affects downstream.

    Attributes
    ----------
    changed_artifact:
        The artifact that changed.
    affected_artifacts:
        Every descendant of it, sorted (the changed artifact itself is never listed,
        even on a cycle).
    affected_workflows, affected_agents:
        The workflows and agents that produced an affected artifact, sorted
        (artifacts with no record, and empty names, contribute none).
    stale_count:
        How many artifacts the change makes stale: every affected artifact, since
        each was built from something upstream that changed.
    already_stale:
        How many affected artifacts were already recorded as ``stale``.
    critical_paths:
        For each affected critical artifact, in sorted order of that artifact, one
        shortest *directed* path from the changed artifact down to it.
    unknown_critical:
        Critical ids that are not in the graph, sorted (callers warn about them).
    """

    changed_artifact: str
    affected_artifacts: list[str]
    affected_workflows: list[str]
    affected_agents: list[str]
    stale_count: int
    already_stale: int = 0
    critical_paths: list[list[str]] = field(default_factory=list)
    unknown_critical: list[str] = field(default_factory=list)

    @property
    def affected_critical(self) -> list[str]:
        """The affected critical artifacts, sorted (each path's last artifact)."""
        return [path[-1] for path in self.critical_paths]


def analyze_impact(graph: GraphView, changed_id: str, critical: Iterable[str] | None = None) -> ImpactReport:
    """Analyse the downstream impact of a change to ``changed_id``.

    One breadth-first search downstream, keeping parent pointers, finds every
    affected artifact and, read off the same tree, a shortest directed path to each
    affected critical artifact: O(V + E) however many critical ids there are.

    Parameters
    ----------
    graph:
        Any :class:`~lineage_cli.graph.GraphView`.
    changed_id:
        The artifact that changed; unknown ids raise
        :class:`~lineage_cli.errors.UnknownArtifactError` with close matches.
    critical:
        Ids of artifacts that matter most (for example, from :func:`read_critical_ids`).

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report"), ("raw", "audit")])
    >>> r = analyze_impact(g, "raw", critical={"report", "nope"})
    >>> r.affected_artifacts, r.stale_count
    (['audit', 'clean', 'report'], 3)
    >>> r.critical_paths, r.unknown_critical
    ([['raw', 'clean', 'report']], ['nope'])
    """
    changed_id = graph.require(changed_id)
    came_from = bfs_tree(graph.children, changed_id)
    del came_from[changed_id]
    affected = sorted(came_from)
    came_from[changed_id] = None
    workflows: set[str] = set()
    agents: set[str] = set()
    already_stale = 0
    for artifact_id in affected:
        node = graph.node(artifact_id)
        if node is None:
            continue
        workflows.add(node.provenance.workflow)
        agents.add(node.provenance.agent)
        already_stale += node.status is ArtifactStatus.STALE
    wanted = set(critical or ())
    hit = sorted(c for c in wanted if c in came_from and c != changed_id)
    return ImpactReport(
        changed_artifact=changed_id,
        affected_artifacts=affected,
        affected_workflows=sorted(workflows - {""}),
        affected_agents=sorted(agents - {""}),
        stale_count=len(affected),
        already_stale=already_stale,
        critical_paths=[path_to(came_from, c) for c in hit],
        unknown_critical=sorted(c for c in wanted if c not in graph),
    )


_COMMENT = re.compile(r"(^|\s)#.*$")
"""A comment: ``#`` at the start of a line or after whitespace, to the end of the line."""


def read_critical_ids(path: str | os.PathLike[str]) -> list[str]:
    r"""Read a critical-artifacts file: one id per line.

    Blank lines and ``#`` comments are ignored: a line starting with ``#``, or the
    rest of a line after whitespace and ``#`` (so an id may itself contain ``#``).
    Surrounding whitespace is stripped; repeated ids are kept once, in file order.

    Raises
    ------
    LineageFileError
        When the file is missing, unreadable or not UTF-8.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "critical.txt"
    >>> _ = p.write_text("# dashboards\nreport   # CFO\n\nmodel#v2\nreport\n")
    >>> read_critical_ids(p)
    ['report', 'model#v2']
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LineageFileError(
            name, "no such file", hint="Pass --critical a file with one artifact id per line."
        ) from None
    except IsADirectoryError:
        raise LineageFileError(name, "is a directory, not a file of artifact ids") from None
    except UnicodeDecodeError as exc:
        raise LineageFileError(name, f"is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LineageFileError(name, f"cannot be read ({exc.strerror})") from None
    ids: dict[str, None] = {}
    for line in text.splitlines():
        artifact_id = _COMMENT.sub("", line).strip()
        if artifact_id:
            ids.setdefault(artifact_id)
    return list(ids)


# -- cross-workflow links ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrossWorkflowLink:
    """An artifact produced in one workflow and consumed by artifacts of others.

    Attributes
    ----------
    artifact_id:
        The shared artifact.
    producer_workflow:
        The workflow that produced it.
    consumer_workflows:
        The other workflows whose artifacts have it as a parent, sorted.
    consumers:
        Those consuming artifacts, sorted.
    shared_since:
        When another workflow first consumed it: the earliest provenance timestamp
        among ``consumers`` (aware UTC).
    """

    artifact_id: str
    producer_workflow: str
    consumer_workflows: list[str]
    consumers: list[str]
    shared_since: datetime


def cross_workflow_links(graph: GraphView) -> list[CrossWorkflowLink]:
    """Every artifact whose children include artifacts of another workflow, sorted by id.

    One pass over artifacts and their children: O(V + E). Artifacts with no record,
    or an empty workflow name, have no known workflow and never count as crossing.

    Examples
    --------
    >>> from lineage_cli.graph import LineageGraph
    >>> g = LineageGraph.from_pairs([("raw", "clean"), ("clean", "report")], workflow="ingest")
    >>> g.node("report").provenance.workflow = "reporting"
    >>> [(x.artifact_id, x.producer_workflow, x.consumer_workflows) for x in cross_workflow_links(g)]
    [('clean', 'ingest', ['reporting'])]
    """
    links = []
    # Each artifact's record is read once, though it is seen once per parent too.
    records: dict[str, LineageNode | None] = {}

    def record(artifact_id: str) -> LineageNode | None:
        if artifact_id not in records:
            records[artifact_id] = graph.node(artifact_id)
        return records[artifact_id]

    for artifact_id in graph.artifact_ids():
        node = record(artifact_id)
        if node is None or not node.provenance.workflow:
            continue
        producer = node.provenance.workflow
        consumers: list[LineageNode] = []
        for child_id in graph.children(artifact_id):
            child = record(child_id)
            if child is not None and child.provenance.workflow not in ("", producer):
                consumers.append(child)
        if consumers:
            links.append(
                CrossWorkflowLink(
                    artifact_id=artifact_id,
                    producer_workflow=producer,
                    consumer_workflows=sorted({c.provenance.workflow for c in consumers}),
                    consumers=[c.artifact_id for c in consumers],
                    shared_since=min(c.provenance.timestamp for c in consumers),
                )
            )
    return links
