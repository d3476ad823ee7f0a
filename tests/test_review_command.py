"""`govsite review`: the quarterly review pack on the terminal, judged on real repositories.

The bundled example, given its git history by `examples/make_history.py`, is the main subject:
its quarters hold approved drops, an emergency change fixed within the day, decisions and policy
documents. Small git repositories cover what the example is too tidy to show (an unapproved
drop, a late or unlinked emergency change, an overdue review, hostile titles).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, migration
from markdown_it import MarkdownIt

from generator.cli import main

MAKE_HISTORY = ROOT / "examples" / "make_history.py"
VERSIONS = "alembic/versions"
REGISTER = "db/schema/EXCEPTIONS.md"
RUNBOOK = "docs/database/RUNBOOK-MIGRATION-POLICY.md"
PACK_KEYS = {
    "version", "quarter", "start", "end", "next_quarter", "has_data", "history", "summary",
    "migrations_by_risk", "destructive", "forward_only", "emergency_changes", "adrs",
    "open_findings", "policies",
}

pytestmark = pytest.mark.usefixtures("no_outer_repository")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The example repository with its git history (built once for this module)."""
    dest = tmp_path_factory.mktemp("review") / "example-repo"
    result = subprocess.run(
        [sys.executable, str(MAKE_HISTORY), "--dest", str(dest), "--force"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return dest


@pytest.fixture
def review(capsys):
    """`govsite review ...` through `main()` in this process."""

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main(["review", *map(str, args)])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["govsite", "review", *args], code, out, err)

    return run


def section(output: str, title: str) -> str:
    """The lines of one text section, from its heading line to the next blank line."""
    start = next(i for i, line in enumerate(output.splitlines()) if line.startswith(title))
    lines = output.splitlines()[start:]
    return "\n".join(lines[: lines.index("") if "" in lines else len(lines)])


# --------------------------------------------------------------------------- the example


def test_2026q2_pack_in_a_real_process(example):
    environment = {k: v for k, v in os.environ.items() if k != "GOVSITE_DEBUG"}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "review", str(example), "--quarter", "2026Q2"],
        capture_output=True, text=True, encoding="utf-8", env=environment, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("Quarterly review 2026Q2 (2026-04-01 to 2026-06-30)\n")
    destructive = section(out, "Destructive changes")
    drop = f"{VERSIONS}/9d326016c011_drop_ad_spend_spend_amount.py"
    assert f"{drop}:35  drop_column ad_spend.spend_amount (op.execute)" in destructive
    assert f"{drop}:38  drop_column ad_spend.spend_amount (batch_op.drop_column)" in destructive
    assert destructive.count("approved by ADR-021 (Accepted)") == 2
    emergency = section(out, "Emergency changes")
    assert "INC-2026-0412  changed 2026-04-01 09:30 UTC  (db/schema/EXCEPTIONS.md:9)" in emergency
    assert "retroactive migration: 202604011530" in emergency
    assert "compliant: within 24 h (6.0 h after the change)" in emergency


def test_2026q1_drops_are_approved_by_adr_015(review, example):
    result = review(example, "--quarter", "2026Q1")
    assert result.returncode == 0
    destructive = section(result.stdout, "Destructive changes")
    touchpoint_ref = f"{VERSIONS}/15788671358b_drop_conversions_touchpoint_ref.py"
    assert f"{touchpoint_ref}:33  drop_column conversions.touchpoint_ref" in destructive
    assert f"{VERSIONS}/b0c10c4f21ad_drop_touchpoints.py:32  drop_table touchpoints" in destructive
    assert destructive.count("approved by ADR-015 (Accepted)") == 2


def test_pack_groups_migrations_by_risk_and_lists_decisions(review, example):
    out = review(example, "--quarter", "2026Q2").stdout
    migrations = section(out, "Migrations added").splitlines()
    assert migrations[0] == "Migrations added (7)"
    assert migrations[1] == "  High (3)"
    assert "    202606011000  Drop ad_spend.spend_amount" in migrations
    assert migrations.index("  Low (4)") == 5
    adrs = section(out, "ADRs decided")
    assert "ADR-019  2026-04-14  Accepted  Ninety-day retention" in adrs
    assert "ADR-021  2026-04-28  Accepted  Store money as integer minor units" in adrs
    assert "Open findings on files added this quarter: none" in out
    policies = section(out, "Policy documents")
    runbook = "Runbook: database migration policy, version 1.4: next review 2027-01-15"
    assert f"{RUNBOOK}  {runbook}" in policies


def test_forward_only_change_shows_its_justification(review, example):
    out = review(example, "--quarter", "2025Q4").stdout
    forward = section(out, "Forward-only changes").splitlines()
    assert forward[0] == "Forward-only changes (1)"
    assert forward[1].startswith("  202512151030  Backfill idempotency_key")
    assert forward[2].startswith("    justification: The backfill derives idempotency_key")
    assert forward[3].startswith("    rollback: Data loss acceptable per ADR-013")


def test_list_names_every_quarter_with_data(review, example):
    result = review(example, "--list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["quarter", "migrations", "high"]
    quarters = [line.split()[0] for line in lines[1:-1]]
    assert quarters == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert lines[3].split() == ["2026Q2", "7", "3", "2", "0", "1", "2", "0"]
    assert lines[-1].startswith("default quarter: 2026Q4")


def test_list_as_json_gives_counts_per_quarter(review, example):
    data = json.loads(review(example, "--list", "--format", "json").stdout)
    assert data["default"] == "2026Q4"
    by_quarter = {q["quarter"]: q for q in data["quarters"]}
    assert list(by_quarter) == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert by_quarter["2026Q1"]["destructive"] == 2
    assert by_quarter["2026Q3"]["emergency_changes"] == 1


def test_default_quarter_is_the_latest_with_a_migration(review, example):
    out = review(example).stdout
    assert out.startswith("Quarterly review 2026Q4 (2026-10-01 to 2026-12-31)\n")


def test_lower_case_quarter_is_accepted(review, example):
    assert review(example, "--quarter", "2026q2").stdout.startswith("Quarterly review 2026Q2 ")


def test_json_pack_is_a_stable_object(review, example):
    result = review(example, "--quarter", "2026Q2", "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert set(data) == PACK_KEYS
    assert (data["version"], data["quarter"], data["start"], data["end"]) == (
        1, "2026Q2", "2026-04-01", "2026-06-30"
    )
    assert data["has_data"] is True and data["history"] == "ok"
    assert data["summary"]["migrations"] == 7 and data["summary"]["destructive"] == 2
    assert list(data["migrations_by_risk"]) == ["High", "Medium", "Low"]
    assert data["migrations_by_risk"]["Medium"] == []
    drop = data["destructive"][0]
    assert (drop["line"], drop["operation"], drop["table"], drop["target"]) == (
        35, "drop_column", "ad_spend", "spend_amount"
    )
    assert drop["adrs"][0]["reference"] == "ADR-021"
    assert drop["adrs"][0]["found"] is True and drop["adrs"][0]["status"] == "Accepted"
    emergency = data["emergency_changes"][0]
    assert emergency["incident"] == "INC-2026-0412"
    assert emergency["changed_at"] == "2026-04-01T09:30:00+00:00"
    assert emergency["migrations"][0]["migration_id"] == "202604011530"
    assert (emergency["hours"], emergency["within_24h"], emergency["compliance"]) == (
        6.0, True, "compliant"
    )
    assert [a["id"] for a in data["adrs"]] == ["ADR-019", "ADR-021"]


def test_markdown_pack_renders_as_a_document_with_tables(review, example):
    result = review(example, "--quarter", "2026Q2", "--format", "markdown")
    assert result.returncode == 0
    text = result.stdout
    assert text.startswith("# Quarterly review 2026Q2\n")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [
        inline.content
        for opening, inline in zip(tokens, tokens[1:])
        if opening.type == "heading_open" and opening.tag == "h2"
    ]
    assert headings == [
        "Migrations added by risk", "Destructive changes", "Forward-only changes",
        "Emergency changes", "ADRs decided", "Open findings", "Policy documents",
    ]
    assert sum(1 for t in tokens if t.type == "table_open") == 4
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "approved by ADR-021 (Accepted)" in html
    assert "compliant: within 24 h (6.0 h after the change)" in html


def test_quarter_without_data_prints_an_empty_pack(review, example):
    result = review(example, "--quarter", "2024Q1")
    assert result.returncode == 0
    assert "Nothing is recorded for 2024Q1" in result.stdout
    assert "Migrations added: none" in result.stdout
    data = json.loads(review(example, "--quarter", "2024Q1", "--format", "json").stdout)
    assert set(data) == PACK_KEYS
    assert data["has_data"] is False and data["summary"]["migrations"] == 0


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize("quarter", ["2026Q5", "26Q1", "foo", "2026-Q1", "2026Q0"])
def test_malformed_quarter_exits_two(review, make_repo, quarter):
    root = make_repo({f"{VERSIONS}/a1_note.py": migration("a1")})
    result = review(root, "--quarter", quarter)
    assert result.returncode == 2
    assert f"'{quarter}' is not a quarter: expected YYYYQn" in result.stderr
    assert result.stdout == ""


def test_list_and_quarter_together_are_a_usage_error(review, make_repo):
    root = make_repo({f"{VERSIONS}/a1_note.py": migration("a1")})
    result = review(root, "--list", "--quarter", "2026Q1")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_missing_repository_exits_two(review, tmp_path):
    result = review(tmp_path / "nowhere")
    assert result.returncode == 2
    assert "no such directory" in result.stderr


def test_repository_with_nothing_dated_needs_a_quarter(review, make_repo):
    root = make_repo({"README.md": "# empty\n"})
    result = review(root)
    assert result.returncode == 2
    assert "nothing in the repository is dated yet" in result.stderr
    listed = review(root, "--list")
    assert listed.returncode == 0
    assert listed.stdout.startswith("No quarter has data yet")


def test_help_documents_formats_and_exit_status(review):
    result = review("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: govsite review")
    assert "--quarter YYYYQn" in result.stdout and "--list" in result.stdout
    assert "exit status:" in result.stdout and "informational" in result.stdout


# --------------------------------------------------------------------------- small repositories

HIGH_DROP = (
    "MIGRATION_ID: 202605101000\n"
    "TITLE: Drop the legacy clicks table\n"
    "CHANGE_TYPE: Table\n"
    "RISK_LEVEL: High\n"
    "FORWARD_ONLY: No\n"
    "ROLLBACK_STRATEGY: Restore from the nightly snapshot.\n"
)
RETROACTIVE = (
    "MIGRATION_ID: 202605121200\n"
    "TITLE: Index orders by creation time\n"
    "CHANGE_TYPE: Index\n"
    "RISK_LEVEL: Low\n"
    "FORWARD_ONLY: No\n"
    "ROLLBACK_STRATEGY: Drop the index.\n"
    "INCIDENT: INC-2041\n"
)


def register(*records: tuple[str, str]) -> str:
    sections = [
        f"## Emergency Change: {when}\n\n**Incident**: {incident}\n**Urgency**: CRITICAL\n\n"
        "## Immediate Action Taken\n\nAdded an index in production.\n\n"
        "## Retroactive Canonical Spec Update\n\nhttps://git.example.com/db/pull/512\n\n"
        "## Post-Incident Review\n\nhttps://wiki.example.com/incidents\n"
        for when, incident in records
    ]
    return "# Exceptions register\n\n" + "\n".join(sections)


RUNBOOK_TEXT = (
    "# Runbook: migration policy\n\n**Version:** 1.0\n**Date:** 2026-02-15\n"
    "**Status:** Active\n**Next Review:** 2026-05-15\n\nThe policy.\n"
)


DROP = migration(
    "b2", "a1", header=HIGH_DROP,
    upgrade='op.drop_table("legacy_clicks")',
    downgrade='op.create_table("legacy_clicks", sa.Column("id", sa.Integer()))',
)
DROP_LINE = next(i for i, line in enumerate(DROP.splitlines(), 1) if "op.drop_table" in line)


@pytest.fixture
def troubled(make_git_repo) -> Path:
    """A quarter (2026Q2) with an unapproved drop, a late and an unlinked emergency change."""
    return make_git_repo(
        [
            ("2026-04-02T09:00:00", {
                f"{VERSIONS}/a1_note.py": migration("a1"),
                RUNBOOK: RUNBOOK_TEXT,
            }),
            ("2026-05-10T10:00:00", {f"{VERSIONS}/b2_drop_clicks.py": DROP}),
            ("2026-05-12T12:00:00", {
                f"{VERSIONS}/c3_orders_index.py": migration(
                    "c3", "b2", header=RETROACTIVE,
                    upgrade='op.create_index("ix_orders_created", "orders", ["created_at"])',
                    downgrade='op.drop_index("ix_orders_created")',
                ),
            }),
            ("2026-06-02T09:00:00", {
                REGISTER: register(
                    ("2026-05-11T06:00:00Z", "INC-2041"), ("2026-06-01", "INC-2099")
                ),
            }),
        ]
    )


def test_unapproved_drop_is_flagged_and_its_finding_listed(review, troubled):
    out = review(troubled, "--quarter", "2026Q2").stdout
    destructive = section(out, "Destructive changes")
    assert "202605101000  Drop the legacy clicks table" in destructive
    where = f"{VERSIONS}/b2_drop_clicks.py:{DROP_LINE}"
    assert f"{where}  drop_table legacy_clicks (op.drop_table)" in destructive
    assert "NOT APPROVED: no CI:DESTRUCTIVE_OK bypass comment" in destructive
    findings = section(out, "Open findings")
    assert f"  {where}:5: GOV201 destructive-without-bypass" in findings


def test_late_and_unlinked_emergency_changes_are_named(review, troubled):
    emergency = section(review(troubled, "--quarter", "2026Q2").stdout, "Emergency changes")
    assert "INC-2041  changed 2026-05-11 06:00 UTC" in emergency
    assert "late: more than 24 h (30.0 h after the change)" in emergency
    assert "INC-2099  changed 2026-06-01 23:59 UTC" in emergency
    assert "unlinked: no retroactive migration names this incident" in emergency
    data = json.loads(review(troubled, "--quarter", "2026Q2", "--format", "json").stdout)
    statuses = [
        (e["incident"], e["compliance"], e["within_24h"]) for e in data["emergency_changes"]
    ]
    assert statuses == [("INC-2041", "late", False), ("INC-2099", "unlinked", None)]


def test_review_due_within_the_quarter_is_marked_overdue(review, troubled):
    out = review(troubled, "--quarter", "2026Q2").stdout
    assert "next review 2026-05-15  OVERDUE (review due by the end of 2026Q2)" in out
    earlier = review(troubled, "--quarter", "2026Q1", "--format", "json").stdout
    policy = json.loads(earlier)["policies"][0]
    assert (policy["path"], policy["next_review"], policy["due"], policy["overdue"]) == (
        RUNBOOK, "2026-05-15", True, False
    )
    assert "due in 2026Q2" in review(troubled, "--quarter", "2026Q1").stdout


def test_without_git_the_migration_id_dates_the_quarter(review, make_repo):
    root = make_repo({f"{VERSIONS}/a1_note.py": migration("a1")})
    out = review(root).stdout
    assert out.startswith("Quarterly review 2026Q1 ")
    assert "Note: the repository is not a git repository" in out
    assert "    " + migration("a1").split("MIGRATION_ID: ")[1].split("\n")[0] + "  Change a1" in out


def test_hostile_title_cannot_repaint_the_terminal(review, make_repo):
    header = (
        "MIGRATION_ID: 202601050900\n"
        "TITLE: Innocent \x1b[2J\x1b]0;owned\x07 title\n"
        "CHANGE_TYPE: Column\nRISK_LEVEL: Low\nFORWARD_ONLY: No\nROLLBACK_STRATEGY: Downgrade.\n"
    )
    root = make_repo({f"{VERSIONS}/a1_note.py": migration("a1", header=header)})
    result = review(root, "--quarter", "2026Q1")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "202601050900  Innocent \\x1b[2J\\x1b]0;owned\\x07 title" in result.stdout
    markdown = review(root, "--quarter", "2026Q1", "--format", "markdown").stdout
    assert "\x1b" not in markdown


PROPOSED_ADR = """\
    # ADR-015: Retire the legacy click tables

    Date: 2026-01-02

    ## Status

    Proposed

    ## Decision

    Drop them once the last reader is gone.
    """


def bypassed_drop(revision: str, table: str, comment: str) -> str:
    header = HIGH_DROP.replace("202605101000", f"2026010{len(table)}0900")
    return migration(
        revision, header=header,
        upgrade=f'op.drop_table("{table}")  # CI:DESTRUCTIVE_OK {comment}',
        downgrade=f'op.create_table("{table}", sa.Column("id", sa.Integer()))',
    )


def test_only_an_accepted_adr_or_a_ticket_counts_as_approval(review, make_repo):
    root = make_repo({
        "docs/adr/ADR-015-retire-click-tables.md": PROPOSED_ADR,
        f"{VERSIONS}/a1_drop.py": bypassed_drop("a1", "clicks", "ADR-015 clicks unused since v3"),
        f"{VERSIONS}/b2_drop.py": bypassed_drop("b2", "old_views", "ADR-077 views replaced"),
        f"{VERSIONS}/c3_drop.py": bypassed_drop("c3", "imports", "REVIEW-12 imports archived"),
    })
    destructive = section(review(root, "--quarter", "2026Q1").stdout, "Destructive changes")
    assert "NOT APPROVED: the bypass cites ADR-015 (Proposed)" in destructive
    assert "NOT APPROVED: the bypass cites ADR-077 (no such ADR)" in destructive
    assert "approved by REVIEW-12" in destructive
    assert "justification: clicks unused since v3" in destructive
    data = json.loads(review(root, "--quarter", "2026Q1", "--format", "json").stdout)
    cited = {d["migration"]["revision"]: (d["adrs"], d["tickets"]) for d in data["destructive"]}
    assert cited["b2"][0] == [{
        "reference": "ADR-077", "found": False, "id": None, "title": None, "status": None,
        "status_text": None, "date": None, "path": None,
    }]
    assert cited["c3"] == ([], ["REVIEW-12"])
