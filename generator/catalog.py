"""Every rule code in one ordered table: code, kebab-case name, default severity, policy, summary.

The long documentation of each rule lives on its check function (see `rules.base.rule`), beside
the code that implements it; this table is what reports and the site need to name a rule. It
imports no rule, so the readers report their findings through it.
"""

from __future__ import annotations

from typing import Optional

from .model import Finding, Location, Severity, record


@record
class RuleSpec:
    code: str
    name: str
    severity: Severity
    policy: Optional[int]
    summary: str


E, W = Severity.ERROR, Severity.WARNING

_TABLE = (
    ("GOV101", "ci-downgrade-in-protected-env", E, 1, "A CI/CD job targeting staging or production runs `alembic downgrade`."),
    ("GOV201", "destructive-without-bypass", E, 2, "A destructive operation has no `# CI:DESTRUCTIVE_OK` comment on its statement."),
    ("GOV202", "bypass-without-reference", E, 2, "A bypass comment names no ADR and no architecture review ticket."),
    ("GOV203", "bypass-without-justification", E, 2, "A bypass comment gives no justification."),
    ("GOV204", "bypass-unknown-adr", E, 2, "A bypass comment cites an ADR that does not exist."),
    ("GOV205", "bypass-adr-not-approved", E, 2, "A bypass comment cites an ADR that is not Accepted."),
    ("GOV206", "unused-bypass", W, 2, "A bypass comment sits on a statement that is not destructive."),
    ("GOV301", "forward-only-without-justification", E, 3, "A forward-only migration has no JUSTIFICATION."),
    ("GOV302", "forward-only-without-rollback-strategy", E, 3, "A forward-only migration has no ROLLBACK_STRATEGY."),
    ("GOV303", "irreversible-downgrade-not-marked", E, 3, "`downgrade()` is empty or raises but FORWARD_ONLY is not Yes."),
    ("GOV401", "exception-record-incomplete", E, 4, "An emergency record lacks a required part."),
    ("GOV402", "exception-without-retroactive-migration", E, 4, "An emergency record is linked to no retroactive migration."),
    ("GOV403", "retroactive-migration-late", E, 4, "The retroactive migration landed more than 24 hours after the emergency change."),
    ("GOV501", "metadata-header-missing", E, 5, "A migration has no metadata header."),
    ("GOV502", "metadata-field-missing", E, 5, "A required metadata field is absent or empty."),
    ("GOV503", "metadata-value-invalid", E, 5, "A metadata field holds a value outside the allowed set."),
    ("GOV504", "migration-id-conflict", E, 5, "Two migrations share a MIGRATION_ID."),
    ("GOV505", "multi-purpose-migration", W, 5, "One migration makes unrelated changes."),
    ("GOV601", "risk-understated", E, 6, "The declared RISK_LEVEL is lower than the operations imply."),
    ("GOV602", "domain-flag-without-doc-ref", E, 6, "A `TOUCHES_*: Yes` flag has no documentation reference."),
    ("GOV603", "domain-flag-inaccurate", W, 6, "The operations touch a domain whose flag is not Yes."),
    # the safety gate: lock-heavy or backward-incompatible changes to tables that already exist
    ("GOV611", "not-null-column-without-default", W, 6, "A NOT NULL column without a server default is added to an existing table."),
    ("GOV612", "index-locks-table", W, 6, "An index is built on an existing table without CONCURRENTLY, or with it inside the transaction."),
    ("GOV613", "column-type-rewrite", W, 6, "A column type of an existing table changes in a way that rewrites the table."),
    ("GOV614", "rename-breaks-running-code", W, 6, "A table or column that running code uses is renamed."),
    ("GOV615", "constraint-validates-under-lock", W, 6, "A foreign key or CHECK constraint is added to an existing table without NOT VALID."),
    ("GOV616", "set-not-null-scans-table", W, 6, "SET NOT NULL scans an existing table under an exclusive lock."),
    ("GOV617", "unique-constraint-locks-table", W, 6, "A unique constraint or primary key builds its index on an existing table under lock."),
    ("GOV618", "volatile-default-rewrites-table", W, 6, "A column with a volatile server default rewrites an existing table."),
    ("GOV701", "schema-drift", E, 7, "The live database differs from the schema the migrations produce."),
    ("GOV702", "database-not-at-head", E, 7, "The live database's `alembic_version` is not the migrations' head."),
    ("GOV703", "schema-snapshot-stale", E, 7, "The committed schema snapshot is not what the migrations produce."),
    ("GOV801", "revision-graph-invalid", E, None, "The revision graph has duplicates, missing parents, cycles or unexpected heads."),
    ("GOV802", "migration-unparseable", E, None, "A migration file cannot be read or parsed."),
    ("GOV803", "dynamic-sql-unverified", W, 2, "Raw SQL built at run time cannot be verified statically."),
    ("GOV804", "input-unreadable", E, None, "An ADR, exceptions register, policy document or CI file cannot be read."),
    ("GOV805", "no-migrations-found", E, None, "No migration was found anywhere, and the configuration does not say there are none."),
    ("GOV806", "migrations-outside-configuration", E, None, "Revision files sit in a folder the migration configuration does not read."),
    ("GOV807", "baseline-entry-stale", W, None, "A baseline entry matches no finding any more."),
    ("GOV808", "history-incomplete", W, None, "Part of the git history cannot be read, so some dates are missing or less exact."),
    ("GOV901", "policy-review-overdue", W, None, "A policy document is past its Next Review date."),
)

CATALOG: dict[str, RuleSpec] = {
    code: RuleSpec(code, name, sev, policy, summary) for code, name, sev, policy, summary in _TABLE
}


def finding(code: str, location: Location, message: str) -> Finding:
    """A finding of rule `code` at its default severity (configuration is applied later)."""
    spec = CATALOG[code]
    return Finding(spec.code, spec.name, spec.severity, spec.policy, location, message)
