"""The quarterly policy review: what changed in one quarter, as data.

The runbook is reviewed every quarter. `review_pack` gathers what that review looks at (new
migrations by risk, destructive and forward-only changes, emergency changes and their
compliance, decisions taken, findings still open, policy documents due for review) so that the
site's review pages and `govsite review --quarter` print the same facts.
"""

from __future__ import annotations

from datetime import date, timezone
from typing import Optional, Sequence

from ..config import Config
from ..model import Adr, Finding, Migration, Operation, PolicyDocument, Repository, record
from .facts import (
    RISK_ORDER,
    UNKNOWN_RISK,
    ExceptionStatus,
    SiteFacts,
    next_quarter,
    parse_day,
    quarter_bounds,
    quarter_label,
    quarter_of,
)


@record
class DestructiveChange:
    """A destructive operation and the ADRs its bypass comment cites (none when unapproved)."""

    migration: Migration
    operation: Operation
    adrs: tuple[str, ...]
    justification: Optional[str]  # the bypass comment's own words; None without a bypass


@record
class PolicyReview:
    """A policy document and whether its next review falls by the end of the next quarter."""

    document: PolicyDocument
    due: bool  # next review on or before the end of the quarter after the reviewed one
    overdue: bool  # next review on or before the end of the reviewed quarter


@record
class ReviewPack:
    quarter: str
    start: date
    end: date
    next_quarter: str
    by_risk: tuple[tuple[str, tuple[Migration, ...]], ...]  # (risk level, migrations), High first
    destructive: tuple[DestructiveChange, ...]
    forward_only: tuple[Migration, ...]
    exceptions: tuple[ExceptionStatus, ...]
    adrs: tuple[Adr, ...]
    open_findings: tuple[Finding, ...]
    policies: tuple[PolicyReview, ...]

    @property
    def migrations(self) -> tuple[Migration, ...]:
        return tuple(m for _, group in self.by_risk for m in group)


def review_pack(
    repo: Repository, findings: Sequence[Finding], config: Config, quarter: str
) -> ReviewPack:
    """Everything the review of `quarter` ("2026Q3") looks at; ValueError for a bad label."""
    return pack_for(SiteFacts(repo, findings, config), quarter)


def pack_for(facts: SiteFacts, quarter: str) -> ReviewPack:
    """`review_pack` over facts already computed (the site builds every quarter from one)."""
    start, end = quarter_bounds(quarter)
    following = next_quarter(quarter)
    migrations = facts.migrations_by_quarter.get(quarter, [])
    return ReviewPack(
        quarter=quarter,
        start=start,
        end=end,
        next_quarter=following,
        by_risk=_by_risk(migrations),
        destructive=tuple(_destructive_changes(facts, migrations)),
        forward_only=tuple(m for m in migrations if m.forward_only),
        exceptions=tuple(
            s
            for s in facts.exception_statuses
            if s.record.changed_at is not None
            and quarter_label(s.record.changed_at.astimezone(timezone.utc).date()) == quarter
        ),
        adrs=tuple(a for a in facts.adrs if _adr_quarter(a) == quarter),
        open_findings=tuple(
            f
            for f in facts.findings
            if not f.suppressed and facts.file_quarters.get(f.location.path) == quarter
        ),
        policies=tuple(_policy_reviews(facts.repo.policies, end, quarter_bounds(following)[1])),
    )


def _by_risk(migrations: Sequence[Migration]) -> tuple[tuple[str, tuple[Migration, ...]], ...]:
    groups: dict[str, list[Migration]] = {}
    for m in migrations:
        risk = (m.risk_level or "").strip() or UNKNOWN_RISK
        groups.setdefault(risk, []).append(m)
    order = {risk: index for index, risk in enumerate(RISK_ORDER)}
    ranked = sorted(groups, key=lambda r: (order.get(r, len(order)), r))
    return tuple((risk, tuple(groups[risk])) for risk in ranked)


def _destructive_changes(facts: SiteFacts, migrations: Sequence[Migration]):
    for m in migrations:
        for op in facts.destructive(m):
            bypass = facts.bypass_for(op, m)
            yield DestructiveChange(
                m,
                op,
                bypass.adr_refs if bypass else (),
                bypass.justification if bypass else None,
            )


def _adr_quarter(adr: Adr) -> Optional[str]:
    day = parse_day(adr.date)
    return quarter_label(day) if day else None


def _policy_reviews(documents, quarter_end: date, next_end: date):
    for doc in sorted(documents, key=lambda d: d.path):
        review = doc.next_review
        yield PolicyReview(
            doc,
            due=review is not None and review <= next_end,
            overdue=review is not None and review <= quarter_end,
        )


__all__ = [
    "DestructiveChange",
    "PolicyReview",
    "ReviewPack",
    "pack_for",
    "quarter_of",
    "review_pack",
]
