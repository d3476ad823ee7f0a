"""The revision graph as a mermaid diagram that stays readable at hundreds of revisions.

The most recent revisions (60 by default) are drawn one node each. Older history is folded:
a run of revisions with one parent and one child becomes one node ("a1b2 … f9e8 (40
revisions)") while roots, merges, branch points and heads keep their own node. When even the
folded history has more nodes than the recent part, older revisions are grouped by quarter
instead, each quarter one node that says how many merges and branch points it holds.

"Recent" follows the graph, not the file system: revisions are ordered parents first (Kahn's
algorithm), ties broken by the day the migration arrived, then MIGRATION_ID, then revision id,
so the order, the node ids and therefore the diagram are the same on every build.
"""

from __future__ import annotations

import heapq
from dataclasses import field
from typing import Optional

from ..graph import RevisionGraph
from ..model import Migration, record
from .facts import SiteFacts, migration_day
from .markup import mermaid_label

DEFAULT_RECENT = 60


@record
class Node:
    id: str
    label: str
    kind: str  # revision | merge | branch | root | head | chain | quarter | missing
    migration: Optional[Migration] = None
    size: int = 1  # how many revisions the node stands for


@record
class GraphView:
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]  # (parent node id, child node id)
    recent: tuple[Migration, ...]  # drawn in full, oldest first
    total: int
    folding: str  # "none" | "chains" | "quarters"
    heads: tuple[Migration, ...] = field(default=())


class _Shape:
    """What the revision graph looks like, from the facts' RevisionGraph."""

    def __init__(self, facts: SiteFacts, graph: RevisionGraph):
        self.facts = facts
        self.nodes = graph.by_revision
        self.children = {rev: graph.children(rev) for rev in self.nodes}

    def parents(self, rev: str) -> tuple[str, ...]:
        return self.nodes[rev].down_revisions

    def known_parents(self, rev: str) -> list[str]:
        return [p for p in self.parents(rev) if p in self.nodes]

    def kind(self, rev: str) -> str:
        if len(self.parents(rev)) > 1:
            return "merge"
        if len(self.children[rev]) > 1:
            return "branch"
        if not self.parents(rev):
            return "root"
        if not self.children[rev]:
            return "head"
        return "revision"

    def linear(self, rev: str) -> bool:
        return len(self.known_parents(rev)) == 1 and len(self.parents(rev)) == 1 and len(
            self.children[rev]
        ) == 1

    def order(self) -> list[str]:
        """Parents before children; revisions caught in a cycle come last, by id."""
        remaining = {rev: len(set(self.known_parents(rev))) for rev in self.nodes}
        heap = [(self._key(rev), rev) for rev, count in remaining.items() if count == 0]
        heapq.heapify(heap)
        ordered: list[str] = []
        while heap:
            _, rev = heapq.heappop(heap)
            ordered.append(rev)
            for child in self.children[rev]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    heapq.heappush(heap, (self._key(child), child))
        placed = set(ordered)
        ordered.extend(sorted(rev for rev in self.nodes if rev not in placed))
        return ordered

    def _key(self, rev: str) -> tuple:
        migration = self.nodes[rev]
        day = migration_day(migration, self.facts.repo)
        return (day.toordinal() if day else 0, migration.migration_id or "", rev)


def build_graph_view(facts: SiteFacts, recent: int = DEFAULT_RECENT,
                     graph: Optional[RevisionGraph] = None) -> GraphView:
    """The nodes and edges to draw of `graph` (the whole repository's by default); see the
    module docstring for how history is folded."""
    shape = _Shape(facts, graph if graph is not None else facts.graph)
    order = shape.order()
    recent = max(1, recent)
    older, newer = order[:-recent] if len(order) > recent else [], order[-recent:]
    ids = {rev: f"r{index}" for index, rev in enumerate(order)}
    display: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    for rev in newer:
        display[rev] = ids[rev]
        nodes[ids[rev]] = _revision_node(ids[rev], shape, rev)
    folded, folding = _fold(shape, older, ids, budget=max(recent, 20))
    for rev, node in folded.items():
        display[rev] = node.id
        nodes.setdefault(node.id, node)
    edges = _edges(shape, order, display, nodes)
    heads = tuple(shape.nodes[rev] for rev in order if not shape.children[rev])
    return GraphView(
        nodes=tuple(_in_order(nodes, order, display)),
        edges=tuple(edges),
        recent=tuple(shape.nodes[rev] for rev in newer),
        total=len(order),
        folding=folding if older else "none",
        heads=heads,
    )


def _revision_node(node_id: str, shape: _Shape, rev: str) -> Node:
    migration = shape.nodes[rev]
    words = migration.migration_id or migration.display_title
    words = "" if words == rev else words
    label = mermaid_label(rev, 16) + (f"<br/>{mermaid_label(words, 40)}" if words else "")
    return Node(node_id, label, shape.kind(rev), migration)


def _fold(shape: _Shape, older: list[str], ids: dict[str, str], budget: int):
    """Older revisions folded into chains; into quarters when chains are still too many."""
    chains = _chains(shape, older, ids)
    if len({node.id for node in chains.values()}) <= budget:
        return chains, "chains"
    return _quarters(shape, older), "quarters"


def _chains(shape: _Shape, older: list[str], ids: dict[str, str]) -> dict[str, Node]:
    runs: list[list[str]] = []
    run_of: dict[str, int] = {}
    for rev in older:
        if not shape.linear(rev):
            continue
        parent = shape.known_parents(rev)[0]
        if parent in run_of and shape.linear(parent):
            run_of[rev] = run_of[parent]
            runs[run_of[rev]].append(rev)
        else:
            run_of[rev] = len(runs)
            runs.append([rev])
    folded: dict[str, Node] = {}
    for rev in older:
        run = runs[run_of[rev]] if rev in run_of else [rev]
        if len(run) == 1:
            folded[rev] = _revision_node(ids[rev], shape, rev)
            continue
        first, last = run[0], run[-1]
        label = (
            f"{mermaid_label(first, 12)} … {mermaid_label(last, 12)}"
            f"<br/>({len(run)} revisions)"
        )
        folded[rev] = Node(f"c{ids[first][1:]}", label, "chain", size=len(run))
    return folded


def _quarters(shape: _Shape, older: list[str]) -> dict[str, Node]:
    groups: dict[str, list[str]] = {}
    for rev in older:
        groups.setdefault(shape.facts.quarters.get(shape.nodes[rev].path) or "undated", []).append(rev)
    folded: dict[str, Node] = {}
    for index, (quarter, revs) in enumerate(sorted(groups.items())):
        merges = sum(1 for r in revs if len(shape.parents(r)) > 1)
        branches = sum(1 for r in revs if len(shape.children[r]) > 1)
        detail = f"{len(revs)} revisions"
        if merges:
            detail += f", {merges} merges"
        if branches:
            detail += f", {branches} branch points"
        node = Node(f"q{index}", f"{mermaid_label(quarter)}<br/>{mermaid_label(detail)}", "quarter", size=len(revs))
        for rev in revs:
            folded[rev] = node
    return folded


def _edges(shape: _Shape, order, display, nodes) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    edges = []
    missing_ids: dict[str, str] = {}
    for rev in order:
        child = display[rev]
        for parent in shape.parents(rev):
            if parent in shape.nodes:
                source = display[parent]
            else:
                source = missing_ids.setdefault(parent, f"m{len(missing_ids)}")
                nodes.setdefault(
                    source, Node(source, f"missing: {mermaid_label(parent, 16)}", "missing")
                )
            if source != child and (source, child) not in seen:
                seen.add((source, child))
                edges.append((source, child))
    return edges


def _in_order(nodes: dict[str, Node], order: list[str], display: dict[str, str]) -> list[Node]:
    """Nodes in the order their first revision appears; missing parents first."""
    listed: list[Node] = [n for n in nodes.values() if n.kind == "missing"]
    seen = {n.id for n in listed}
    for rev in order:
        node = nodes[display[rev]]
        if node.id not in seen:
            seen.add(node.id)
            listed.append(node)
    return listed


_SHAPES = {
    "merge": ('{{"', '"}}'),
    "branch": ('{{"', '"}}'),
    "chain": ('[["', '"]]'),
    "quarter": ('[("', '")]'),
    "missing": ('>"', '"]'),
}
_CLASSES = {
    "merge": "fill:#ede7f6,stroke:#5e35b1",
    "branch": "fill:#e3f2fd,stroke:#1e88e5",
    "head": "fill:#e8f5e9,stroke:#2e7d32,stroke-width:2px",
    "root": "fill:#fffde7,stroke:#f9a825",
    "chain": "fill:#f5f5f5,stroke:#9e9e9e,stroke-dasharray:4 3",
    "quarter": "fill:#f5f5f5,stroke:#757575",
    "missing": "fill:#ffebee,stroke:#c62828,stroke-dasharray:4 3",
}


def to_mermaid(view: GraphView) -> str:
    """Mermaid `flowchart` source for the view.

    Labels are already escaped by `mermaid_label`; ids are generated (`r12`, `c3`, `q0`, `m1`),
    never taken from the input. Nodes carry no click links: mkdocs-material runs mermaid with its
    strict security level, which ignores them, so the page lists recent revisions as links below
    the diagram instead.
    """
    lines = ["flowchart TB"]
    for node in view.nodes:
        opening, closing = _SHAPES.get(node.kind, ('["', '"]'))
        lines.append(f"    {node.id}{opening}{node.label}{closing}")
    for parent, child in view.edges:
        lines.append(f"    {parent} --> {child}")
    for kind, style in _CLASSES.items():
        members = [n.id for n in view.nodes if n.kind == kind]
        if members:
            lines.append(f"    classDef {kind} {style}")
            lines.append(f"    class {','.join(members)} {kind}")
    return "\n".join(lines)
