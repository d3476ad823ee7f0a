"""The policy checks: end-to-end cases from `rule_cases/*.yaml`, then edge cases on model objects.

Each YAML file holds the named pass and fail cases of one rule (as sqlfluff keeps its rule
fixtures): a small repository written to disk, read by the real readers and checked by
`run_rules`, with the findings of that rule expected at given paths and lines. The unit tests
below build model objects by hand, for what files cannot easily produce and for the public
helpers the site uses (`is_destructive`, `implied_risk`, `linked_migrations`, `RevisionGraph`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from conftest import migration

from generator.config import Config, config_from_mapping
from generator.graph import RevisionGraph
from generator.model import (
    Adr,
    Bypass,
    CiJob,
    DowngradeKind,
    EmergencyRecord,
    Finding,
    HeaderField,
    Location,
    MetadataHeader,
    Migration,
    Operation,
    PolicyDocument,
    Repository,
    SqlStatement,
)
from generator.rules import run_rules
from generator.rules.cadence import today
from generator.rules.destructive import destructive_operations, is_destructive
from generator.rules.downgrades import protected_environment
from generator.rules.helpers import linked_migrations
from generator.rules.review import implied_risk, narrows, risk_reasons
from generator.sources import load_repository
from generator.sources.arguments import column_type, operation_facts
from generator.sources.sql import parse_sql

PATH = "alembic/versions/a1.py"

COMPLETE = {
    "MIGRATION_ID": "202601010001",
    "TITLE": "A change",
    "CHANGE_TYPE": "Column",
    "RISK_LEVEL": "Low",
    "FORWARD_ONLY": "No",
    "ROLLBACK_STRATEGY": "Run the downgrade.",
}


# --------------------------------------------------------------------------- YAML cases

CASES_DIR = Path(__file__).parent / "rule_cases"
VERSIONS = "alembic/versions"


@dataclass(frozen=True)
class RuleCase:
    """One named case of one rule: the repository to build and the findings expected."""

    rule: str
    name: str
    spec: dict[str, Any]

    @property
    def expected(self) -> list[dict[str, Any]]:
        return self.spec.get("expect") or []

    @property
    def fails(self) -> bool:
        """A case that must produce at least one finding that is not suppressed."""
        return any(not e.get("suppressed", False) for e in self.expected)

    @property
    def passes(self) -> bool:
        return not self.expected


def load_cases() -> list[RuleCase]:
    """Every case of every `rule_cases/GOVnnn.yaml`, in file and then case order."""
    cases = []
    for path in sorted(CASES_DIR.glob("GOV*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, spec in data["cases"].items():
            cases.append(RuleCase(data["rule"], name, spec))
    return cases


def case_files(spec: dict[str, Any]) -> dict[str, str]:
    """The files of a case: `migrations` (name -> `migration()` arguments) plus `files`.

    A migration's revision and file name default to its name; `revision` and `path` override them.
    """
    files = {}
    for key, options in (spec.get("migrations") or {}).items():
        options = dict(options or {})
        path = options.pop("path", f"{VERSIONS}/{key}.py")
        revision = str(options.pop("revision", key))
        if isinstance(options.get("down"), list):
            options["down"] = tuple(options["down"])
        files[path] = migration(revision, **options)
    files.update(spec.get("files") or {})
    return files


def expected_line(files: dict[str, str], root: Path, expectation: dict[str, Any]) -> int:
    """An expectation's line: given as `line`, or the first line containing the text `at`."""
    if "line" in expectation:
        return expectation["line"]
    text = (root / expectation["path"]).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if expectation["at"] in line:
            return number
    raise AssertionError(f"{expectation['at']!r} not found in {expectation['path']}")


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: f"{c.rule}-{c.name}")
def test_rule_case(case: RuleCase, make_repo):
    files = case_files(case.spec)
    root = make_repo(files)
    config = config_from_mapping(case.spec.get("config") or {})
    repo = load_repository(root, config, with_history=False)
    found = [f for f in run_rules(repo, config) if f.rule == case.rule]
    got = sorted((f.location.path, f.location.line, f.suppressed) for f in found)
    want = sorted(
        (e["path"], expected_line(files, root, e), e.get("suppressed", False)) for e in case.expected
    )
    assert got == want, "\n".join(f"{f.location}: {f.message}" for f in found)
    for expectation in case.expected:
        if "message" in expectation:
            assert any(expectation["message"] in f.message for f in found), [f.message for f in found]


# --------------------------------------------------------------------------- builders


def header(fields: Optional[dict] = None, *, line: int = 1, malformed: tuple[int, ...] = (), **more) -> MetadataHeader:
    """A header whose fields sit on consecutive lines after `line`; kwargs override COMPLETE."""
    values = dict(COMPLETE if fields is None else fields)
    values.update(more)
    return MetadataHeader(
        tuple(HeaderField(k, v, line + 2 + i) for i, (k, v) in enumerate(values.items())),
        line,
        malformed,
    )


def op(kind: str, table: Optional[str] = None, target: Optional[str] = None, *, line: int = 20,
       end_line: Optional[int] = None, call: Optional[str] = None, function: str = "upgrade",
       sql: Optional[SqlStatement] = None, **arguments: str) -> Operation:
    """An operation as the reader records it: argument texts, and the facts read from them."""
    return Operation(
        kind=kind,
        call=call or ("op.execute" if sql else f"op.{kind}"),
        function=function,
        line=line,
        end_line=end_line or line,
        column=5,
        table=table,
        target=target,
        arguments=tuple(arguments.items()),
        sql=sql,
        **operation_facts("execute" if sql else kind, list(argument_trees(arguments))),
    )


def argument_trees(arguments: dict[str, str]):
    """(key, tree) of each argument text that parses, as the reader holds them."""
    for key, text in arguments.items():
        try:
            yield key, ast.parse(f"(\n{text}\n)", mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue


def sql_op(kind: str, text: str, table: Optional[str] = None, target: Optional[str] = None, *,
           line: int = 20, dynamic: bool = False, error: Optional[str] = None, **kw) -> Operation:
    read = parse_sql(text)[0] if not (dynamic or error) else SqlStatement(text, kind)
    statement = SqlStatement(text, kind, table, target, dynamic=dynamic, error=error, references=read.references,
                             not_null=read.not_null, has_default=read.has_default)
    return op("execute", table, target, line=line, sql=statement, **kw)


def mig(*operations: Operation, path: str = PATH, revision: Optional[str] = "a1",
        down: tuple[str, ...] = (), head: Optional[MetadataHeader] = None, no_header: bool = False,
        bypasses: tuple[Bypass, ...] = (), downgrade: DowngradeKind = DowngradeKind.REVERSIBLE,
        **kw) -> Migration:
    return Migration(
        path=path,
        revision=revision,
        down_revisions=down,
        header=None if no_header else (head or header()),
        docstring=None if no_header else "Migration Metadata",
        operations=operations,
        bypasses=bypasses,
        downgrade=downgrade,
        revision_line=12,
        down_revision_line=13,
        upgrade_line=19,
        downgrade_line=30,
        **kw,
    )


def bypass(line: int = 20, text: str = "CI:DESTRUCTIVE_OK ADR-015 replaced in v3", *,
           adrs: tuple[str, ...] = ("ADR-015",), tickets: tuple[str, ...] = (),
           justification: str = "replaced in v3") -> Bypass:
    return Bypass(line, 40, text, adrs, tickets, justification)


def adr(number: int = 15, status: Optional[str] = "Accepted") -> Adr:
    return Adr(f"docs/adr/ADR-{number:03d}-x.md", f"ADR-{number:03d}", number, "A decision", status)


def findings(*migrations: Migration, config: Config = Config(), code: Optional[str] = None,
             **repo) -> list[Finding]:
    result = run_rules(Repository(root=".", migrations=migrations, **repo), config)
    return [f for f in result if code is None or f.rule == code]


def where(found: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule, f.location.path, f.location.line) for f in found]


# --------------------------------------------------------------------------- P1 downgrades


def test_downgrade_in_production_job_is_reported_at_each_command():
    job = CiJob(".github/workflows/deploy.yml", "rollback", 3, "production", "environment",
                (Location(".github/workflows/deploy.yml", 9, 14), Location(".github/workflows/deploy.yml", 12, 14)))
    found = findings(code="GOV101", ci_jobs=(job,))
    assert where(found) == [("GOV101", ".github/workflows/deploy.yml", 9), ("GOV101", ".github/workflows/deploy.yml", 12)]
    assert "rollback" in found[0].message and "production" in found[0].message


def test_downgrade_in_development_job_is_allowed():
    job = CiJob(".gitlab-ci.yml", "test-rollback", 3, "development", None, (Location(".gitlab-ci.yml", 6),))
    assert findings(code="GOV101", ci_jobs=(job,)) == []


@pytest.mark.parametrize("env", ["production", "production-eu", "prod_us", "staging", "stg"])
def test_protected_environment_matches_name_or_prefix(env):
    assert protected_environment(env, Config()) is not None


@pytest.mark.parametrize("env", ["development", "preview", "stagehand", "products", None])
def test_unprotected_environment_names(env):
    assert protected_environment(env, Config()) is None


# --------------------------------------------------------------------------- P2 destructive


def test_drop_column_without_bypass_names_the_column_and_table():
    found = findings(mig(op("drop_column", "events", "legacy_ref")), code="GOV201")
    assert where(found) == [("GOV201", PATH, 20)]
    assert found[0].message == (
        "op.drop_column drops column 'legacy_ref' of 'events' without a "
        "'# CI:DESTRUCTIVE_OK' bypass comment on its statement"
    )
    assert not found[0].suppressed


def test_bypass_on_the_statement_is_reported_as_approved_with_its_text():
    m = mig(op("drop_table", "legacy_clicks", line=20), bypasses=(bypass(20),))
    [found] = findings(m, code="GOV201", adrs=(adr(),))
    assert found.suppressed
    assert found.suppression.kind == "bypass"
    assert found.suppression.justification == "CI:DESTRUCTIVE_OK ADR-015 replaced in v3"
    assert found.suppression.location == Location(PATH, 20, 40)


def test_bypass_on_a_later_line_of_a_multiline_statement_counts():
    m = mig(op("drop_table", "legacy", line=20, end_line=23), bypasses=(bypass(23),))
    [found] = findings(m, code="GOV201", adrs=(adr(),))
    assert found.suppressed


def test_bypass_on_previous_line_does_not_count():
    m = mig(op("drop_table", "legacy", line=20), bypasses=(bypass(19),))
    found = findings(m, adrs=(adr(),))
    assert [(f.rule, f.location.line, f.suppressed) for f in found if f.rule in ("GOV201", "GOV206")] == [
        ("GOV206", 19, False),
        ("GOV201", 20, False),
    ]


def test_one_bypass_covers_every_operation_of_its_statement():
    sql = "DROP TABLE a; DROP TABLE b"
    m = mig(sql_op("drop_table", sql, "a", line=20), sql_op("drop_table", sql, "b", line=20),
            bypasses=(bypass(20),))
    found = findings(m, code="GOV201", adrs=(adr(),))
    assert len(found) == 2 and all(f.suppressed for f in found)


def test_dropping_a_table_created_earlier_in_the_same_upgrade_is_not_destructive():
    m = mig(op("create_table", "scratch", line=20), op("drop_table", "scratch", line=21))
    assert findings(m, code="GOV201") == []


def test_dropping_an_index_created_earlier_is_not_destructive():
    m = mig(op("create_index", "events", "ix_tmp", line=20), op("drop_index", "events", "ix_tmp", line=21))
    assert destructive_operations(m, Config()) == []


def test_dropping_a_column_added_earlier_is_not_destructive():
    m = mig(op("add_column", "events", None, line=20, **{"1": 'sa.Column("tmp", sa.Text())'}),
            op("drop_column", "events", "tmp", line=21))
    assert destructive_operations(m, Config()) == []


def test_an_operation_alone_in_its_function_finds_no_creation_of_the_other_function():
    from generator.rules.helpers import created_earlier, replaced

    m = mig(op("drop_table", "scratch", line=20), op("create_table", "scratch", line=30, function="downgrade"))
    assert [o.table for o in destructive_operations(m, Config())] == ["scratch"]
    assert not created_earlier(m.operations[1], m)
    alone = mig(op("drop_index", "events", "ix_a", line=20), op("create_index", "events", "ix_a", line=30, function="downgrade"))
    assert not replaced(alone.operations[0], alone)
    elsewhere = op("drop_table", "scratch", line=40, function="downgrade")  # not one of m's: after all of them
    assert created_earlier(elsewhere, m)


def test_drop_in_downgrade_is_not_policed():
    m = mig(op("drop_column", "events", "note", function="downgrade"))
    assert findings(m, code="GOV201") == []


def test_batch_drop_column_is_destructive():
    m = mig(op("drop_column", "events", "legacy", call="batch_op.drop_column"))
    [found] = findings(m, code="GOV201")
    assert found.message.startswith("batch_op.drop_column drops column 'legacy' of 'events'")


@pytest.mark.parametrize("kind", ["drop_table", "drop_column", "truncate"])
def test_raw_sql_drops_and_truncate_are_destructive(kind):
    m = mig(sql_op(kind, "TRUNCATE events", "events", "x"))
    assert is_destructive(m.operations[0], m, Config())


def test_dynamic_sql_with_a_destructive_prefix_is_possibly_destructive():
    m = mig(sql_op("drop_table", 'f"DROP TABLE {name}"', dynamic=True), head=header(RISK_LEVEL="High"))
    found = findings(m)
    assert [f.rule for f in found] == ["GOV201", "GOV803"]
    assert "possibly drops table" in found[0].message
    assert "dynamic SQL, not verified" in found[1].message


def test_unparseable_sql_is_unverified_but_not_destructive():
    m = mig(sql_op("other", "UPDTE events", error="syntax error at 'UPDTE'"))
    assert [f.rule for f in findings(m)] == ["GOV803"]


def test_only_configured_p0_indexes_are_destructive_when_listed():
    config = Config(p0_indexes=("ix_events_tenant",))
    m = mig(op("drop_index", "events", "ix_events_tenant", line=20), op("drop_index", "events", "ix_other", line=21))
    assert [o.target for o in destructive_operations(m, config)] == ["ix_events_tenant"]
    assert len(destructive_operations(m, Config())) == 2


def test_only_critical_constraints_are_destructive_when_listed():
    config = Config(critical_constraints=("fk_events_tenant",))
    m = mig(op("drop_constraint", "events", "fk_events_tenant", line=20),
            op("drop_constraint", "events", "ck_whatever", line=21))
    assert [o.target for o in destructive_operations(m, config)] == ["fk_events_tenant"]


def test_the_destructive_operations_are_found_again_for_other_protected_names_and_a_changed_list():
    """They are kept per migration and protected names: a caller's change to its list, or
    other names configured, never alters the next answer."""
    m = mig(op("drop_index", "events", "ix_events_tenant", line=20), op("drop_index", "events", "ix_other", line=21))
    first = destructive_operations(m, Config())
    first.clear()
    assert len(destructive_operations(m, Config())) == 2
    assert [o.target for o in destructive_operations(m, Config(p0_indexes=("ix_other",)))] == ["ix_other"]
    assert [o.target for o in destructive_operations(m, Config(critical_constraints=("x",)))] == [
        "ix_events_tenant", "ix_other"]


@pytest.mark.parametrize("kind", sorted({
    "alter_column", "alter_column_type", "bulk_insert", "delete", "disable_rls", "do_block", "drop_column",
    "drop_constraint", "drop_index", "drop_policy", "drop_table", "enable_rls", "execute", "insert", "other",
    "rename_table", "truncate", "update", "validate_constraint", "alter_policy", "drop_type", "drop_view",
}))
def test_kinds_left_out_of_the_creation_index_create_nothing(kind):
    """The migration index looks for creations only in `_CREATING_KINDS`; every other kind
    must have none to find."""
    from generator.rules.helpers import _CREATING_KINDS, _created_keys

    assert kind not in _CREATING_KINDS
    for operation in (op(kind, "events", "c", **{"1": 'sa.Column("d", sa.Text())'}), sql_op(kind, "X", "events", "c")):
        assert list(_created_keys(operation)) == []


def test_bypass_without_reference_and_without_justification():
    b = bypass(20, "CI:DESTRUCTIVE_OK", adrs=(), tickets=(), justification="")
    m = mig(op("drop_table", "legacy"), bypasses=(b,))
    assert sorted(f.rule for f in findings(m) if f.rule.startswith("GOV20")) == ["GOV201", "GOV202", "GOV203"]


def test_ticket_reference_is_enough():
    b = bypass(20, "CI:DESTRUCTIVE_OK ARCH-42 unused", adrs=(), tickets=("ARCH-42",), justification="unused")
    m = mig(op("drop_table", "legacy"), bypasses=(b,), head=header(RISK_LEVEL="High"))
    assert [f.rule for f in findings(m) if not f.suppressed] == []


def test_bypass_citing_missing_adr():
    m = mig(op("drop_table", "legacy"), bypasses=(bypass(20, adrs=("ADR-099",)),))
    [found] = findings(m, code="GOV204", adrs=(adr(15),))
    assert found.location == Location(PATH, 20, 40)
    assert "ADR-099" in found.message


def test_bypass_citing_proposed_adr_says_its_status():
    m = mig(op("drop_table", "legacy"), bypasses=(bypass(20),))
    [found] = findings(m, code="GOV205", adrs=(adr(15, "Proposed"),))
    assert "'Proposed'" in found.message
    assert findings(m, code="GOV205", adrs=(adr(15, "Accepted"),)) == []


def test_bypass_on_harmless_statement_is_unused():
    m = mig(op("add_column", "events", "note"), bypasses=(bypass(20),))
    [found] = findings(m, code="GOV206", adrs=(adr(),))
    assert found.message == "bypass comment is on a statement with no destructive operation"


# --------------------------------------------------------------------------- P3 forward only


def test_forward_only_without_justification_or_rollback_strategy():
    h = header(FORWARD_ONLY="Yes", ROLLBACK_STRATEGY="")
    m = mig(op("add_column", "events", "x"), head=h, downgrade=DowngradeKind.RAISES)
    found = findings(m)
    forward_line = h.field("FORWARD_ONLY").line
    assert ("GOV301", PATH, forward_line) in where(found)
    assert ("GOV302", PATH, forward_line) in where(found)
    assert "GOV303" not in [f.rule for f in found]


def test_forward_only_with_both_fields_passes():
    h = header(FORWARD_ONLY="Yes", JUSTIFICATION="Lossy backfill.")
    assert findings(mig(op("add_column", "events", "x"), head=h), code="GOV301") == []


@pytest.mark.parametrize("kind", [DowngradeKind.EMPTY, DowngradeKind.RAISES, DowngradeKind.MISSING])
def test_irreversible_downgrade_not_marked(kind):
    found = findings(mig(op("add_column", "events", "x"), downgrade=kind), code="GOV303")
    assert [f.location.line for f in found] == [30]


def test_empty_downgrade_of_a_merge_revision_is_fine():
    m = mig(down=("b", "c"), downgrade=DowngradeKind.EMPTY)
    assert findings(m, code="GOV303") == []


# --------------------------------------------------------------------------- P4 emergency


def record(**kw) -> EmergencyRecord:
    values = dict(path="db/schema/EXCEPTIONS.md", line=5, heading="Emergency Change: 2026-04-01",
                  changed_at=datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc), incident="INC-2041")
    values.update(kw)
    return EmergencyRecord(**values)


def test_record_is_linked_by_incident_ignoring_case_and_spaces():
    m = mig(head=header(INCIDENT="  inc-2041 "))
    assert linked_migrations(record(), [m]) == [m]


def test_record_is_linked_by_migration_id_revision_or_long_prefix():
    m = mig(revision="3f2a9c0d1e", head=header(MIGRATION_ID="202604011200"))
    assert linked_migrations(record(incident=None, migration_refs=("202604011200",)), [m]) == [m]
    assert linked_migrations(record(incident=None, migration_refs=("3f2a9c0d1e",)), [m]) == [m]
    assert linked_migrations(record(incident=None, migration_refs=("3f2a9c",)), [m]) == [m]
    assert linked_migrations(record(incident=None, migration_refs=("3f2a9",)), [m]) == []


def test_record_without_retroactive_migration():
    found = findings(mig(), code="GOV402", exceptions=(record(),))
    assert where(found) == [("GOV402", "db/schema/EXCEPTIONS.md", 5)]
    assert "INC-2041" in found[0].message


# --------------------------------------------------------------------------- P5 authoring


def test_missing_header_is_reported_on_line_one():
    assert where(findings(mig(no_header=True), code="GOV501")) == [("GOV501", PATH, 1)]


def test_header_from_comments_is_reported():
    m = Migration(PATH, "a1", (), header=header(line=3), docstring=None)
    [found] = findings(m, code="GOV501")
    assert found.message == "metadata header is in comments, not in the module docstring"
    assert found.location.line == 3


def test_missing_and_empty_required_fields():
    fields = dict(COMPLETE)
    del fields["ROLLBACK_STRATEGY"]
    fields["TITLE"] = "  "
    h = header(fields)
    found = findings(mig(head=h), code="GOV502")
    assert [(f.location.line, f.message) for f in found] == [
        (1, "required metadata field ROLLBACK_STRATEGY is missing"),
        (h.field("TITLE").line, "required metadata field TITLE is empty"),
    ]


def test_rollback_strategy_is_required_even_when_not_configured():
    fields = {k: v for k, v in COMPLETE.items() if k != "ROLLBACK_STRATEGY"}
    found = findings(mig(head=header(fields)), config=Config(required_fields=("TITLE",)), code="GOV502")
    assert [f.message for f in found] == ["required metadata field ROLLBACK_STRATEGY is missing"]


def test_value_outside_allowed_set_and_pattern_keys():
    h = header(RISK_LEVEL="Severe", TOUCHES_RLS="maybe", CHANGE_TYPE="column")
    found = findings(mig(head=h), code="GOV503")
    assert [f.location.line for f in found] == [h.field("RISK_LEVEL").line, h.field("TOUCHES_RLS").line]


def test_a_value_is_judged_under_its_own_key_in_every_migration():
    """Headers repeat values, so a value is judged once per key: "Yes" is fine for
    FORWARD_ONLY and not for RISK_LEVEL, and the second file with a bad value is reported too."""
    a = mig(path="alembic/versions/a.py", revision="a", head=header(RISK_LEVEL="Yes", FORWARD_ONLY="Yes"))
    b = mig(path="alembic/versions/b.py", revision="b", down=("a",), head=header(RISK_LEVEL="Yes"))
    found = findings(a, b, code="GOV503")
    assert [(f.location.path, f.message.split(";")[0]) for f in found] == [
        ("alembic/versions/a.py", "RISK_LEVEL is 'Yes'"), ("alembic/versions/b.py", "RISK_LEVEL is 'Yes'")]


def test_malformed_header_line():
    found = findings(mig(head=header(malformed=(9,))), code="GOV503")
    assert [(f.location.line, f.message) for f in found] == [(9, "line is not KEY: value")]


def test_duplicate_migration_id_reported_on_later_file():
    a = mig(path="alembic/versions/a.py", revision="a")
    b = mig(path="alembic/versions/b.py", revision="b", down=("a",))
    [found] = findings(b, a, code="GOV504")
    assert found.location.path == "alembic/versions/b.py"
    assert "alembic/versions/a.py" in found.message


def test_unrelated_tables_make_a_multi_purpose_migration():
    m = mig(
        op("add_column", "attribution_events", "idempotency_key", line=20),
        op("create_table", "new_table", line=21),
        op("create_index", "new_table", "idx_new", line=22),
    )
    [found] = findings(m, code="GOV505")
    assert found.location.line == 19
    assert "attribution_events; new_table" in found.message


def test_one_table_or_none_is_one_group_or_none():
    from generator.rules.authoring import structural_groups

    assert structural_groups(mig(op("add_column", "Events", "a"), op("create_index", "events", "ix"))) == [["events"]]
    assert structural_groups(mig(sql_op("update", "UPDATE events SET a = 1", "events"))) == []


def test_table_with_its_index_and_backfill_is_single_purpose():
    m = mig(
        op("add_column", "events", "key", line=20),
        op("create_index", "events", "ix_events_key", line=21),
        sql_op("update", "UPDATE events SET key = id", "events", line=22),
        sql_op("update", "UPDATE other SET x = 1", "other", line=23),
    )
    assert findings(m, code="GOV505") == []


def test_tables_joined_by_a_new_foreign_key_are_related():
    m = mig(
        op("create_table", "channels", line=20),
        op("add_column", "events", None, line=21, **{"1": 'sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"))'}),
    )
    assert findings(m, code="GOV505") == []


# --------------------------------------------------------------------------- P6 review


def test_drop_column_declared_low_is_understated():
    h = header(RISK_LEVEL="Low")
    m = mig(op("drop_column", "events", "legacy"), head=h)
    [found] = findings(m, code="GOV601")
    assert found.location.line == h.field("RISK_LEVEL").line
    assert "imply High" in found.message and "line 20" in found.message


@pytest.mark.parametrize(
    "old,new,narrower",
    [
        ("sa.String(255)", "sa.String(50)", True),
        ("sa.String(length=50)", "sa.String(255)", False),
        ("sa.Text()", "sa.String(100)", True),
        ("sa.String(100)", "sa.Text()", False),
        ("sa.BigInteger()", "sa.Integer()", True),
        ("sa.Integer", "sa.BigInteger()", False),
        ("sa.Numeric(12, 2)", "sa.Numeric(10, 2)", True),
        ("sa.Numeric(10, 2)", "sa.Numeric(10, 4)", True),
        ("sa.Numeric(10, 2)", "sa.Numeric(14, 4)", False),
        ("sa.Numeric(10, 2)", "sa.Numeric()", False),
        ("sa.Numeric()", "sa.Numeric(precision=20, scale=4)", True),
        ("postgresql.VARCHAR(length=40)", "sa.String(40)", False),
        ("sa.CHAR()", "sa.String(1)", False),
    ],
)
def test_type_narrowing(old, new, narrower):
    type_of = lambda text: column_type(ast.parse(text, mode="eval").body)  # noqa: E731
    assert narrows(type_of(old), type_of(new)) is narrower


def test_narrowing_implies_high_and_unknown_previous_type_implies_medium():
    narrowing = op("alter_column", "events", "source", type_="sa.String(50)", existing_type="sa.String(255)")
    unknown = op("alter_column", "events", "source", type_="sa.String(50)")
    widening = op("alter_column", "events", "source", type_="sa.String(500)", existing_type="sa.String(255)")
    assert implied_risk(mig(narrowing), Config())[0] == "High"
    assert implied_risk(mig(unknown), Config())[0] == "Medium"
    assert implied_risk(mig(widening), Config()) == ("Low", [])


def test_rls_weakening_and_privacy_flag_imply_high():
    assert implied_risk(mig(sql_op("disable_rls", "ALTER TABLE e DISABLE ROW LEVEL SECURITY", "e")), Config())[0] == "High"
    assert implied_risk(mig(op("drop_policy", "e", "p")), Config())[0] == "High"
    assert implied_risk(mig(head=header(TOUCHES_PRIVACY="Yes")), Config())[0] == "High"


def test_medium_risk_operations():
    required = op("add_column", "e", None, **{"1": 'sa.Column("x", sa.Text(), nullable=False)'})
    defaulted = op("add_column", "e", None, **{"1": 'sa.Column("x", sa.Text(), nullable=False, server_default="")'})
    fk = op("create_foreign_key", "e", "fk_e_c", **{"0": '"fk_e_c"', "1": '"e"', "2": '"c"'})
    ingestion = op("create_table", "raw_events")
    sql_fk = sql_op("other", "ALTER TABLE e ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES c(id)", "e")
    assert implied_risk(mig(required), Config())[0] == "Medium"
    assert implied_risk(mig(defaulted), Config())[0] == "Low"
    assert implied_risk(mig(fk), Config())[0] == "Medium"
    assert implied_risk(mig(sql_fk), Config())[0] == "Medium"
    assert implied_risk(mig(ingestion), Config(ingestion_tables=("raw_events",)))[0] == "Medium"
    assert implied_risk(mig(ingestion), Config())[0] == "Low"


def test_unreadable_argument_sources_imply_only_what_is_known():
    deep = "sa.String(" * 5000 + ")" * 5000
    change = op("alter_column", "events", "source", type_=deep, existing_type="[" * 200000)
    column = op("add_column", "events", None, **{"1": "sa.Column(" * 5000})
    assert implied_risk(mig(change, column), Config())[0] == "Medium"


def test_dropping_something_created_in_the_same_migration_implies_nothing():
    m = mig(op("create_table", "scratch", line=20), op("drop_table", "scratch", line=21))
    assert implied_risk(m, Config()) == ("Low", [])


def test_domain_flag_without_doc_reference():
    h = header(TOUCHES_PRIVACY="Yes", RISK_LEVEL="High")
    [found] = findings(mig(head=h), code="GOV602")
    assert found.location.line == h.field("TOUCHES_PRIVACY").line
    assert findings(mig(head=header(TOUCHES_PRIVACY="Yes", DOC_REFS="docs/privacy/P.md")), code="GOV602") == []
    assert findings(mig(head=header(TOUCHES_PRIVACY="Yes", JUSTIFICATION="See ADR-012")), code="GOV602") == []


def test_rls_operation_without_rls_flag():
    m = mig(op("create_policy", "events", "tenant_isolation", line=22), head=header(TOUCHES_RLS="No"))
    [found] = findings(m, code="GOV603")
    assert found.location.line == 22 and "TOUCHES_RLS is 'No'" in found.message
    assert findings(mig(op("create_policy", "e", "p"), head=header(TOUCHES_RLS="Yes")), code="GOV603") == []


# --------------------------------------------------------------------------- integrity


def test_graph_heads_bases_merges_children():
    a, b, c = mig(revision="a", path="a.py"), mig(revision="b", path="b.py", down=("a",)), mig(revision="c", path="c.py", down=("a",))
    merge = mig(revision="m", path="m.py", down=("b", "c"))
    graph = RevisionGraph([merge, c, b, a])
    assert graph.heads == ("m",) and graph.bases == ("a",) and graph.merges == ("m",)
    assert graph.children("a") == ("b", "c") and graph.parents("m") == ("b", "c")
    assert graph.cycles == () and graph.missing_parents == ()


def test_graph_cycles_are_sorted_and_found_without_recursion():
    chain = [mig(revision=f"r{i:05d}", path=f"v/{i:05d}.py", down=(f"r{i - 1:05d}",)) for i in range(1, 5000)]
    chain.append(mig(revision="r00000", path="v/00000.py", down=("r04999",)))
    graph = RevisionGraph(chain)
    assert len(graph.cycles) == 1 and graph.cycles[0][0] == "r00000" and len(graph.cycles[0]) == 5000
    [found] = findings(*chain, code="GOV801")
    assert found.location.path == "v/00000.py"
    assert found.message.endswith("r00019 and 4980 more")


def test_graph_cycles_below_a_chain_above_descendants_and_through_themselves_are_found():
    """Only revisions that cannot be peeled off from the bases are searched for cycles: a
    cycle's descendants stay unpeeled but are no cycle, and a parent named twice or missing
    peels like one named once."""
    ms = [mig(revision="a", path="a.py"), mig(revision="b", path="b.py", down=("a", "a")),
          mig(revision="c", path="c.py", down=("b", "e")), mig(revision="d", path="d.py", down=("c",)),
          mig(revision="e", path="e.py", down=("d", "zz")), mig(revision="f", path="f.py", down=("e",)),
          mig(revision="g", path="g.py", down=("f", "b")), mig(revision="s", path="s.py", down=("s", "a")),
          mig(revision="t", path="t.py", down=("s",)), mig(revision="u", path="u.py", down=("zz",))]
    assert RevisionGraph(ms).cycles == (("c", "d", "e"), ("s",))
    assert RevisionGraph(ms[:2] + ms[9:]).cycles == ()


def test_duplicate_revision_missing_parent_cycle_and_heads():
    ms = (
        mig(revision="a", path="v/a.py"),
        mig(revision="a", path="v/a_copy.py"),
        mig(revision="b", path="v/b.py", down=("zz",)),
        mig(revision="c", path="v/c.py", down=("d",)),
        mig(revision="d", path="v/d.py", down=("c",)),
    )
    messages = [(f.location.path, f.location.line, f.message) for f in findings(*ms, code="GOV801")]
    assert ("v/a_copy.py", 12, "revision id 'a' is already declared by v/a.py") in messages
    assert ("v/b.py", 13, "down_revision names 'zz', which no migration declares") in messages
    assert ("v/c.py", 13, "revisions form a cycle through down_revision: c, d") in messages
    heads = [m for m in messages if "heads" in m[2]]
    assert heads and heads[0][0] == "v/a.py" and "2 heads" in heads[0][2]


def test_multiple_heads_allowed_by_configuration():
    ms = (mig(revision="a", path="a.py"), mig(revision="b", path="b.py"))
    assert findings(*ms, code="GOV801", config=Config(allow_multiple_heads=True)) == []


def test_missing_depends_on_target():
    ms = (mig(revision="a", path="a.py", depends_on=("nope",)),)
    assert [f.message for f in findings(*ms, code="GOV801")] == [
        "depends_on names 'nope', which is neither a revision nor a branch label"
    ]


def test_thousands_of_operations_and_bypasses_are_checked_in_linear_time():
    count = 5000
    drops = [op("drop_table", f"t{i}", line=20 + i) for i in range(count)]
    creates = [op("create_index", "events", f"ix{i}", line=20 + count + i) for i in range(count)]
    bypasses = tuple(bypass(20 + i) for i in range(count))
    m = mig(*drops, *creates, bypasses=bypasses, head=header(RISK_LEVEL="High"))
    found = findings(m, code="GOV201", adrs=(adr(),))
    assert len(found) == count and all(f.suppressed for f in found)


# --------------------------------------------------------------------------- cadence


def policy(next_review: Optional[date]) -> PolicyDocument:
    return PolicyDocument("docs/database/RUNBOOK-MIGRATION-POLICY.md", "Migration Policy Runbook",
                          next_review=next_review, field_lines=(("Next Review", 42),))


def test_overdue_policy_review(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp())))
    assert today() == date(2026, 2, 1)
    found = findings(code="GOV901", policies=(policy(date(2026, 1, 17)), policy(date(2026, 4, 17)), policy(None)))
    assert where(found) == [("GOV901", "docs/database/RUNBOOK-MIGRATION-POLICY.md", 42)]
    assert "15 days ago" in found[0].message


def test_malformed_source_date_epoch_is_ignored(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert today() == date.today()


def test_the_rules_parse_nothing_the_reader_has_read(make_repo, monkeypatch):
    """Argument trees and SQL are read once, by the reader: the rules find the same risks with
    every parser out of reach, as they do for a migration served from the cache."""
    import sqlglot
    from pglast import parser

    upgrade = '''
        op.add_column("a", sa.Column("b", sa.Integer(), nullable=False))
        op.alter_column("a", "c", type_=sa.String(20), existing_type=sa.String(200))
        op.execute("ALTER TABLE a ADD COLUMN d int NOT NULL, ADD CONSTRAINT fk FOREIGN KEY (d) REFERENCES u (id)")
        op.create_table("e", sa.Column("f", sa.Integer(), sa.ForeignKey("g.id")))
    '''
    root = make_repo({f"{VERSIONS}/a1.py": migration("a1", upgrade=upgrade)})
    config = Config()
    repo = load_repository(root, config)

    def refuse(*args, **kwargs):
        raise AssertionError("a rule parsed again")

    monkeypatch.setattr(ast, "parse", refuse)
    monkeypatch.setattr(sqlglot, "parse_one", refuse)
    monkeypatch.setattr(sqlglot.Dialect, "get_or_raise", refuse)
    monkeypatch.setattr(parser, "parse_sql_json", refuse)
    level, reasons = implied_risk(repo.migrations[0], config)
    assert level == "High" and "narrower" in reasons[0]
    found = run_rules(repo, config)
    assert not [f for f in found if "internal error" in f.message]
    medium = [text for lvl, text in risk_reasons(repo.migrations[0], config) if lvl == "Medium"]
    assert [text.split(": ", 1)[1] for text in medium] == [
        "op.add_column adds column 'b' to 'a', a NOT NULL column without a server default",
        "raw SQL in op.execute adds column 'd' to 'a', a NOT NULL column without a server default",
        "raw SQL in op.execute adds constraint 'fk' to 'a', with a foreign key",
        "op.create_table creates table 'e', with a foreign key",
    ]


def test_reasons_on_one_line_keep_their_order_high_then_medium_then_type_changes():
    """One statement can hold several operations (raw SQL); on one line, the reasons read:
    drops, weakened row level security, the safety gate, foreign keys, type changes."""
    m = mig(
        op("drop_column", "events", "a", line=20),
        op("create_foreign_key", "events", "fk_b", line=20),
        op("alter_column", "events", "c", line=20, type_="sa.String(5)", existing_type="sa.String(50)"),
        op("add_column", "events", None, line=20, **{"1": 'sa.Column("d", sa.Integer(), nullable=False)'}),
        op("drop_policy", "events", "p", line=20),
        head=header(TOUCHES_PRIVACY="Yes"),
    )
    assert risk_reasons(m, Config()) == [
        ("High", "line 9: the header declares TOUCHES_PRIVACY: Yes"),
        ("High", "line 20: op.drop_column drops column 'a' of 'events'"),
        ("High", "line 20: op.drop_policy drops policy 'p' of 'events'"),
        ("Medium", "line 20: op.add_column adds a column to 'events', a NOT NULL column without a server default"),
        ("Medium", "line 20: op.create_foreign_key creates foreign key 'fk_b' on 'events', with a foreign key"),
        ("High", "line 20: op.alter_column changes the type of column 'c' from sa.String(50) to the narrower "
                 "sa.String(5)"),
    ]
