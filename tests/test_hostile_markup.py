"""Hostile Markdown in the inputs: nothing before a record hides it, nothing in a page runs.

Each test reproduces a break: the input that did it, and what must happen instead.
"""

from __future__ import annotations

import pytest

from generator.config import Config
from generator.sources.adrs import parse_adr
from generator.sources.exceptions import read_exceptions
from generator.sources.markdown import MAX_BLOCK_NESTING
from generator.sources.policies import parse_policy

from conftest import govsite

REGISTER = "db/schema/EXCEPTIONS.md"

RECORD = """\
## Emergency Change: 2026-04-01

**Incident**: INC-1
"""


def nested_list(levels: int) -> str:
    return "".join("  " * level + f"- level {level}\n" for level in range(levels))


#: Constructs that once ended, or might end, markdown-it's reading of the document.
BEFORE_THE_RECORD = {
    "ten nested lists": nested_list(10),
    "lists nested past the guard": nested_list(MAX_BLOCK_NESTING * 4),
    "deep block quotes": ">" * 5000 + " quoted\n",
    "deep quoted lists": "".join("> " * level + "- item\n" for level in range(300)),
    "huge table": "| a | b |\n| --- | --- |\n" + "| x | y |\n" * 5000,
    "html block": "<div>\n<details ontoggle=alert(1)>\n\n</div>\n",
    "closed html comment": "<!-- a\n\nb -->\n",
    "deep link labels": "[" * 5000 + "x\n",
    "deep emphasis": "*" * 5000 + "x" + "*" * 5000 + "\n",
    "closed fence": "```\n## Emergency Change: 1999-01-01\n```\n",
}


def test_ten_nested_lists_above_the_register_records_do_not_hide_them(tmp_path, no_outer_repository):
    """Ten levels of list made markdown-it stop reading: '0 exception records', exit 0."""
    (tmp_path / "db/schema").mkdir(parents=True)
    (tmp_path / REGISTER).write_text(f"# Register\n\n{nested_list(10)}\n{RECORD}")
    result = govsite("validate", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GOV401" in result.stdout and "GOV402" in result.stdout
    assert "1 exception record" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_register_record_after_any_construct_is_read(make_repo, construct):
    text = f"# Register\n\n{BEFORE_THE_RECORD[construct]}\n{RECORD}\n**Urgency**: HIGH\n"
    root = make_repo({REGISTER: text})
    records, findings = read_exceptions(root, Config())
    assert [r.incident for r in records] == ["INC-1"], construct
    assert records[0].urgency == "HIGH"
    record_line = text.split("\n").index("## Emergency Change: 2026-04-01") + 1
    assert records[0].line == record_line


def test_a_field_nested_past_the_guard_is_still_read_as_text(make_repo):
    deep = "  " * MAX_BLOCK_NESTING + "**Urgency**: HIGH\n"
    root = make_repo({REGISTER: f"# Register\n\n{RECORD}\n{nested_list(MAX_BLOCK_NESTING)}{deep}"})
    records, findings = read_exceptions(root, Config())
    assert records[0].urgency == "HIGH"
    assert not [f for f in findings if f.rule == "GOV804"]


@pytest.mark.parametrize(
    "opening, what",
    [("```", "code fence"), ("~~~~", "code fence"), ("<!--", "HTML block"), ("<script>", "HTML block")],
)
def test_an_unclosed_block_that_swallows_the_records_is_a_finding(make_repo, opening, what):
    """CommonMark reads everything after an unclosed fence or comment as its content."""
    root = make_repo({REGISTER: f"# Register\n\n{opening}\nnotes\n\n{RECORD}"})
    records, findings = read_exceptions(root, Config())
    assert records == []
    assert [(f.rule, f.location.line) for f in findings] == [("GOV804", 3)]
    assert f"{what} is never closed" in findings[0].message


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_adr_field_after_any_construct_is_read(construct):
    text = f"# ADR-007: Keep events\n\n{BEFORE_THE_RECORD[construct]}\n## Status\n\nAccepted\n\nDate: 2026-01-02\n"
    adr, findings = parse_adr("docs/adr/0007-keep-events.md", text)
    assert adr is not None and adr.status == "Accepted", (construct, findings)
    assert adr.date == "2026-01-02"


@pytest.mark.parametrize("construct", sorted(BEFORE_THE_RECORD))
def test_every_policy_field_after_any_construct_is_read(construct):
    text = f"# Runbook\n\n{BEFORE_THE_RECORD[construct]}\n**Status**: Approved\n**Next Review**: 2026-09-01\n"
    policy, findings = parse_policy("docs/RUNBOOK-db.md", text)
    assert policy is not None, findings
    assert str(policy.next_review) == "2026-09-01", (construct, findings)
