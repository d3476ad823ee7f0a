"""The review cycle of the policy documents themselves (the runbook is reviewed every quarter)."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from typing import Iterable

from ..model import Finding, Location, PolicyDocument
from .base import Context, rule

NEXT_REVIEW_NAMES = ("Next Review", "next_review", "Next review", "NEXT_REVIEW")


def today() -> date:
    """Today's date, or the UTC date of `SOURCE_DATE_EPOCH` so builds can be reproduced.

    A `SOURCE_DATE_EPOCH` that is not a whole number of seconds is ignored: a stray value in the
    environment should not make every review look overdue (or never due).
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            pass
    return date.today()


def next_review_line(document: PolicyDocument) -> int:
    """The line of the Next Review field, whatever spelling the reader recorded it under."""
    for name, line in document.field_lines:
        if name in NEXT_REVIEW_NAMES or name.replace("_", " ").casefold() == "next review":
            return line
    return 1


@rule("GOV901")
def policy_review_overdue(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Warns when a policy document (`docs/**/RUNBOOK-*.md`, `db/schema/CHANGE_CONTROL.md`) has a
    `Next Review` date earlier than today. The finding points at the `Next Review` line. Today
    is the build date, or the date of `SOURCE_DATE_EPOCH` when that is set, so a rebuild of an
    old version gives the same result. A document without a `Next Review` field is not
    reported.

    ## Why is this bad?
    The migration policy is reviewed every quarter. A document past its review date may
    describe procedures, environments or approvers that no longer exist, and engineers follow
    it anyway because it is the only written guidance.

    ## Example
    ```markdown
    **Version:** 1.0.0
    **Next Review**: 2026-01-17 (quarterly review)
    ```
    read after 17 January 2026.

    ## Use instead
    Hold the review, update the document's Version and Date, and set the next date:
    ```markdown
    **Version:** 1.1.0
    **Next Review**: 2026-07-17 (quarterly review)
    ```
    """
    now = today()
    for document in ctx.repo.policies:
        if document.next_review is None or document.next_review >= now:
            continue
        overdue = (now - document.next_review).days
        yield ctx.finding(
            "GOV901",
            Location(document.path, next_review_line(document)),
            f"'{document.title}' was due for review on {document.next_review.isoformat()} "
            f"({overdue} days ago)",
        )
