"""The rule registry and the engine that runs every check and applies configuration.

A check is a function `check(ctx) -> Iterable[Finding]` registered with `@rule("GOV201")`. Its
docstring is the rule's documentation, in four Markdown sections (`## What it does`,
`## Why is this bad?`, `## Example`, `## Use instead`) that the rules reference is generated from.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Callable, Iterable, Iterator, Optional

from ..config import Config
from ..model import Adr, Finding, Location, Migration, Repository, Suppression
from .catalog import CATALOG, RuleSpec, finding

Check = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
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
    def migrations_by_revision(self) -> dict[str, Migration]:
        return {m.revision: m for m in self.repo.migrations if m.revision}

    def at(self, migration: Migration, line: int, column: int = 1) -> Location:
        return Location(migration.path, line, column)


def all_rules() -> list[Rule]:
    """Every rule, in code order (importing the family modules registers them)."""
    from . import families  # noqa: F401  (registers)

    return [REGISTRY[code] for code in CATALOG if code in REGISTRY]


def run_rules(repo: Repository, config: Config) -> list[Finding]:
    """Run every enabled check; apply severity overrides and suppressions; sort the result.

    A check that fails with an exception is a programmer error, but one broken rule must not hide
    the others' findings, so it is reported as a finding on the repository and the run goes on.
    """
    ctx = Context(repo, config)
    raw: list[Finding] = list(repo.reader_findings)
    for r in all_rules():
        if r.check is None or config.severity_for(r.code, r.spec.severity) is None:
            continue
        try:
            raw.extend(r.check(ctx))
        except Exception as exc:  # pragma: no cover - defensive boundary
            raw.append(
                finding("GOV802", Location("."), f"internal error in {r.code}: {exc!r}")
            )
    return sorted(_configured(raw, repo, config), key=Finding.sort_key)


def _configured(findings: Iterable[Finding], repo: Repository, config: Config) -> Iterator[Finding]:
    suppressions = _suppression_index(repo)
    for f in findings:
        severity = config.severity_for(f.rule, f.severity)
        if severity is None:
            continue
        f = replace(f, severity=severity)
        if f.suppression is None:
            f = replace(f, suppression=_suppression_for(f, suppressions))
        yield f


def _suppression_index(repo: Repository) -> dict[str, tuple[Migration, dict[str, list[int]]]]:
    index = {}
    for m in repo.migrations:
        by_code: dict[str, list[int]] = {}
        for code, line in m.suppressions:
            by_code.setdefault(code, []).append(line)
        if by_code:
            index[m.path] = (m, by_code)
    return index


def _suppression_for(f: Finding, index) -> Optional[Suppression]:
    entry = index.get(f.location.path)
    if not entry:
        return None
    migration, by_code = entry
    for line in by_code.get(f.rule, []):
        if line == 0:
            return Suppression("file", f"# govsite: disable={f.rule}", Location(f.location.path, 1))
        if _same_statement(migration, line, f.location.line):
            return Suppression("line", f"# govsite: disable={f.rule}", Location(f.location.path, line))
    return None


def _same_statement(migration: Migration, a: int, b: int) -> bool:
    if a == b:
        return True
    return any(first <= a <= last and first <= b <= last for first, last in migration.statement_spans)


def failing(findings: Iterable[Finding], config: Config) -> list[Finding]:
    """Unsuppressed findings at or above the fail level."""
    return [f for f in findings if not f.suppressed and f.severity.rank >= config.fail_on.rank]
