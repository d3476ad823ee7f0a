"""The engine: run every enabled check, apply configuration and suppressions, sort the result."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator, Optional

from ..catalog import CATALOG, finding
from ..config import Config
from ..model import Finding, Location, Migration, Repository, Suppression
from .base import REGISTRY, Context, Rule
from .baseline import accept_past


def all_rules() -> list[Rule]:
    """Every rule, in code order (importing the family modules registers them)."""
    from . import families  # noqa: F401  (registers)

    return [REGISTRY[code] for code in CATALOG if code in REGISTRY]


def run_rules(repo: Repository, config: Config, *, baseline: bool = True) -> list[Finding]:
    """Run every enabled check; apply severity overrides and suppressions; sort the result.

    Findings of legacy migrations (`legacy_until`) and, unless `baseline` is false, those the
    baseline file records are suppressed; baseline entries that match nothing are GOV807.

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
    accepted = accept_past(_configured(raw, repo, config), repo, config, baseline=baseline)
    return sorted(accepted, key=Finding.sort_key)


def _configured(findings: Iterable[Finding], repo: Repository, config: Config) -> Iterator[Finding]:
    """Apply severity overrides and disable comments; a finding neither changes is kept as is."""
    suppressions = _suppression_index(repo)
    for f in findings:
        severity = config.severity_for(f.rule, f.severity)
        if severity is None:
            continue
        if severity != f.severity:
            f = replace(f, severity=severity)
        if f.suppression is None:
            suppression = _suppression_for(f, suppressions)
            if suppression is not None:
                f = replace(f, suppression=suppression)
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
