"""The revision graph of a set of migrations: heads, bases, merges, children, cycles, gaps.

Built from what the readers extracted, never by importing migration code. Every answer is
computed once, on first use, and is deterministic: lists are ordered by revision id or by path,
and the members of a cycle are sorted, so messages and pages never change between runs.

Edges run from a revision to each of its `down_revision` parents. `depends_on` is a soft
ordering hint in Alembic, not a parent link: it is checked for dangling targets but takes no
part in heads, bases or cycles.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Optional, Sequence, TypeVar

from .model import Migration, cached_property, record

T = TypeVar("T")


@record
class MissingTarget:
    """A `down_revision` or `depends_on` entry that names no known revision."""

    migration: Migration
    target: str
    relation: str  # "down_revision" | "depends_on"


class RevisionGraph:
    """The parent/child structure of migrations; all properties are lazy and memoised.

    When two files claim the same revision id, the one with the smaller path is the graph's
    node and the others are listed in `duplicates`.
    """

    def __init__(self, migrations: Iterable[Migration]):
        self.migrations: tuple[Migration, ...] = tuple(sorted(migrations, key=lambda m: m.path))

    # ----------------------------------------------------------------- nodes

    @cached_property
    def by_revision(self) -> dict[str, Migration]:
        """Revision id -> migration (the first file by path when the id is duplicated)."""
        nodes: dict[str, Migration] = {}
        for m in self.migrations:
            if m.revision and m.revision not in nodes:
                nodes[m.revision] = m
        return nodes

    @cached_property
    def duplicates(self) -> dict[str, tuple[Migration, ...]]:
        """Revision id -> every file that declares it, by path, for ids declared more than once."""
        declared = [m for m in self.migrations if m.revision]
        if len(declared) == len(self.by_revision):
            return {}  # every id is the node of one file
        claims: dict[str, list[Migration]] = {}
        for m in declared:
            claims.setdefault(m.revision, []).append(m)
        return {rev: tuple(claims[rev]) for rev in sorted(rev for rev, ms in claims.items() if len(ms) > 1)}

    def get(self, revision: str) -> Optional[Migration]:
        return self.by_revision.get(revision)

    def parents(self, revision: str) -> tuple[str, ...]:
        """The `down_revision` ids of a revision, as written (missing ones included)."""
        node = self.by_revision.get(revision)
        return node.down_revisions if node else ()

    def children(self, revision: str) -> tuple[str, ...]:
        """The revisions whose `down_revision` names this one, sorted."""
        return self._children.get(revision, ())

    @cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, set[str]] = {}
        for rev, m in self.by_revision.items():
            for parent in m.down_revisions:
                found.setdefault(parent, set()).add(rev)
        return {parent: tuple(sorted(kids)) if len(kids) > 1 else tuple(kids) for parent, kids in found.items()}

    # ----------------------------------------------------------------- shape

    @cached_property
    def heads(self) -> tuple[str, ...]:
        """Revisions nothing builds on, ordered by the path of their file."""
        heads = [rev for rev in self.by_revision if rev not in self._children]
        return tuple(sorted(heads, key=self._path_of))

    @cached_property
    def bases(self) -> tuple[str, ...]:
        """Revisions with no `down_revision` (roots), ordered by path."""
        bases = [rev for rev, m in self.by_revision.items() if not m.down_revisions]
        return tuple(sorted(bases, key=self._path_of))

    @cached_property
    def merges(self) -> tuple[str, ...]:
        """Revisions with more than one parent, ordered by path."""
        merges = [rev for rev, m in self.by_revision.items() if m.is_merge]
        return tuple(sorted(merges, key=self._path_of))

    def is_head(self, revision: str) -> bool:
        return revision in self.by_revision and revision not in self._children

    def is_base(self, revision: str) -> bool:
        node = self.by_revision.get(revision)
        return node is not None and not node.down_revisions

    def is_merge(self, revision: str) -> bool:
        node = self.by_revision.get(revision)
        return node is not None and node.is_merge

    # ----------------------------------------------------------------- problems

    @cached_property
    def missing_parents(self) -> tuple[MissingTarget, ...]:
        """`down_revision` entries that name a revision no file declares."""
        return tuple(
            MissingTarget(m, parent, "down_revision")
            for m in self.migrations
            for parent in m.down_revisions
            if parent not in self.by_revision
        )

    @cached_property
    def missing_dependencies(self) -> tuple[MissingTarget, ...]:
        """`depends_on` entries that name neither a revision nor a branch label."""
        labels = {label for m in self.migrations for label in m.branch_labels}
        return tuple(
            MissingTarget(m, dep, "depends_on")
            for m in self.migrations
            for dep in m.depends_on
            if dep not in self.by_revision and dep not in labels
        )

    @cached_property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """Each set of revisions that reach themselves through parents, members sorted.

        One entry per strongly connected component (plus self-parenting revisions), found with
        an iterative Tarjan walk so that long histories cannot exhaust the recursion limit.
        """
        components = [c for c in self._strongly_connected() if self._is_cycle(c)]
        return tuple(sorted(tuple(sorted(c)) for c in components))

    def _is_cycle(self, component: list[str]) -> bool:
        if len(component) > 1:
            return True
        rev = component[0]
        return rev in self.by_revision[rev].down_revisions

    def _strongly_connected(self) -> list[list[str]]:
        return strongly_connected(self._not_peeled(), self._known_parents)

    def _not_peeled(self) -> list[str]:
        """The revisions left, sorted, after peeling off from the bases on every revision whose
        known parents are all peeled. Every cycle lies among them and a graph without cycles
        leaves none, so the search for cycles starts only there."""
        waiting: dict[str, int] = {}  # revision -> known parents not peeled yet
        peeled = []
        for rev, m in self.by_revision.items():
            if len(m.down_revisions) == 1:  # most revisions: no parent can be counted twice
                known = int(m.down_revisions[0] in self.by_revision)
            else:
                known = len({p for p in m.down_revisions if p in self.by_revision})
            if known:
                waiting[rev] = known
            else:
                peeled.append(rev)
        while peeled:
            for child in self._children.get(peeled.pop(), ()):
                waiting[child] -= 1
                if not waiting[child]:
                    del waiting[child]
                    peeled.append(child)
        return sorted(waiting)

    def _known_parents(self, revision: str) -> list[str]:
        return sorted(p for p in self.by_revision[revision].down_revisions if p in self.by_revision)

    def _path_of(self, revision: str) -> str:
        return self.by_revision[revision].path


def environment_graphs(migrations: Iterable[Migration]) -> dict[str, RevisionGraph]:
    """One graph per migration environment, by name: each has its own heads and bases, and
    two environments may use the same revision id (a monorepo's services share no history)."""
    groups: dict[str, list[Migration]] = {}
    for m in migrations:
        groups.setdefault(m.environment, []).append(m)
    return {name: RevisionGraph(members) for name, members in sorted(groups.items())}


def environment_of(graphs: Mapping[str, RevisionGraph], revisions: Optional[Sequence[str]],
                   database: Optional[str] = None) -> Optional[str]:
    """The name of the environment whose migrations built a database that records `revisions`
    (its `alembic_version`) and runs on `database` (a canonical dialect, `postgres`): the only
    environment; else the one whose graph holds every revision, on that database when two do
    (a folder per database may repeat revision ids); None when that does not tell."""
    if len(graphs) == 1:
        return next(iter(graphs))
    names = list(graphs)
    if revisions:
        names = [n for n in names if all(r in graphs[n].by_revision for r in revisions)] or names
    if len(names) > 1 and database:
        names = [n for n in names if _database(graphs[n]) == database] or names
    return names[0] if len(names) == 1 else None


def _database(graph: RevisionGraph) -> Optional[str]:
    """The database an environment's migrations run on (`Migration.database`)."""
    return next((m.database for m in graph.by_revision.values()), None)


__all__ = ["MissingTarget", "RevisionGraph", "environment_graphs", "environment_of"]


def strongly_connected(nodes: Iterable[T], successors: Callable[[T], Iterable[T]]) -> list[list[T]]:
    """Tarjan's strongly connected components, without recursion (chains are thousands long)."""
    index: dict[T, int] = {}
    low: dict[T, int] = {}
    on_stack: set[T] = set()
    stack: list[T] = []
    components: list[list[T]] = []
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(successors(start)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, following = work[-1]
            advanced = False
            for nxt in following:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors(nxt))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[node])
            if low[node] == index[node]:
                components.append(_pop_component(node, stack, on_stack))
    return components


def _pop_component(root: T, stack: list[T], on_stack: set[T]) -> list[T]:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component
