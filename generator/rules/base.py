"""The rule registry: what a rule is, how a check registers, and what every check sees.

The engine that runs the checks is `engine`; this module imports no rule family, so every family
can import it without a cycle.

A check is a function `check(ctx) -> Iterable[Finding]` registered with `@rule("GOV201")`. Its
docstring is the rule's documentation, in four Markdown sections (`## What it does`,
`## Why is this bad?`, `## Example`, `## Use instead`) that the rules reference is generated from.
"""

from __future__ import annotations

import inspect
from typing import Callable, Iterable, Optional

from ..config import Config
from ..model import Adr, Bypass, Finding, Location, Migration, Repository, cached_property, record
from ..catalog import CATALOG, RuleSpec, finding
from .helpers import MigrationLinks, SafetyIssue, safety_issues

Check = Callable[["Context"], Iterable[Finding]]


@record
class Rule:
    spec: RuleSpec
    check: Optional[Check]
    doc: str  # Markdown

    @property
    def code(self) -> str:
        return self.spec.code

    def doc_section(self, title: str) -> str:
        """The text of one `## title` section of the documentation ('' when absent).

        Headings inside fenced code (an example exceptions register, say) are not sections.
        """
        sections: dict[str, list[str]] = {}
        current: Optional[list[str]] = None
        fence: Optional[str] = None
        for line in self.doc.splitlines():
            stripped = line.lstrip()
            if fence is None and stripped.startswith(("```", "~~~")):
                fence = stripped[:3]
            elif fence is not None and stripped.startswith(fence):
                fence = None
            elif fence is None and line.startswith("## "):
                current = sections.setdefault(line[3:].strip(), [])
                continue
            if current is not None:
                current.append(line)
        return "\n".join(sections.get(title, [])).strip()


REGISTRY: dict[str, Rule] = {}


def rule(code: str) -> Callable[[Check], Check]:
    """Register `fn` as the check of `code`; its docstring becomes the rule's documentation."""

    def register(fn: Check) -> Check:
        REGISTRY[code] = Rule(CATALOG[code], fn, inspect.cleandoc(fn.__doc__ or ""))
        return fn

    return register


def document(code: str, doc: str) -> None:
    """Document a rule whose findings come from elsewhere (a reader, or a later stage)."""
    REGISTRY[code] = Rule(CATALOG[code], None, inspect.cleandoc(doc))


class Context:
    """What every check sees: the repository, the configuration and shared lookups."""

    def __init__(self, repo: Repository, config: Config):
        self.repo = repo
        self.config = config

    finding = staticmethod(finding)

    @cached_property
    def adrs_by_id(self) -> dict[str, Adr]:
        return {a.id: a for a in self.repo.adrs}

    @cached_property
    def migration_links(self) -> MigrationLinks:
        """Emergency records' retroactive migrations, indexed once per run."""
        return MigrationLinks(self.repo.migrations)

    @cached_property
    def safety_issues(self) -> dict[str, list[tuple[Migration, SafetyIssue]]]:
        """The safety gate's decisions on every migration, by rule code: one pass for the eight
        rules instead of one each."""
        by_code: dict[str, list[tuple[Migration, SafetyIssue]]] = {}
        for migration in self.repo.migrations:
            for issue in safety_issues(migration):
                by_code.setdefault(issue.code, []).append((migration, issue))
        return by_code

    @cached_property
    def bypasses(self) -> list[tuple[Migration, Bypass]]:
        """Every bypass comment with its migration, in order (policy 2's rules each read them)."""
        return [(m, bypass) for m in self.repo.migrations for bypass in m.bypasses]

    @cached_property
    def with_header(self) -> list[Migration]:
        """The migrations that have a metadata header (policy 5's rules each ask)."""
        return [m for m in self.repo.migrations if m.header is not None]

    @cached_property
    def forward_only(self) -> list[Migration]:
        """The migrations whose header says FORWARD_ONLY: Yes (policy 3's rules each ask)."""
        return [m for m in self.with_header if m.forward_only]

    def at(self, migration: Migration, line: int, column: int = 1) -> Location:
        return Location(migration.path, line, column)
