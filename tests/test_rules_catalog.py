"""The rule catalogue is complete: every code has a rule, a kebab-case name, documentation, cases.

The rules reference of the site is generated from the rules themselves, so a rule without its
four documentation sections would publish an empty page; a check without a failing and a
passing case would be untested.
"""

from __future__ import annotations

import re

from pathlib import Path

import pytest
from test_rules import load_cases

from generator.rules import CATALOG, REGISTRY, all_rules

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Checks whose cases need more than files on disk; the module named tests them with a pass and
# a fail case of its own.
CASES_ELSEWHERE = {
    "GOV403": "tests/test_gov403.py (needs git history)",
    "GOV808": "tests/test_real_history.py (needs a broken git repository)",
}
# Codes that no rule function checks: a reader, discovery, the baseline or `govsite drift`
# reports them, and these test files produce each one.
FOUND_OUTSIDE_RULES = {
    "GOV401": "tests/test_exceptions_reader.py",
    "GOV701": "tests/test_drift.py",
    "GOV702": "tests/test_drift.py",
    "GOV703": "tests/test_drift.py",
    "GOV802": "tests/test_migrations_reader.py",
    "GOV805": "tests/test_discovery.py",
    "GOV806": "tests/test_discovery.py",
    "GOV807": "tests/test_baseline.py",
}

CASES = load_cases()


def test_every_code_has_a_registered_rule():
    registered = [r.code for r in all_rules()]
    assert registered == list(CATALOG)


@pytest.mark.parametrize("code", list(CATALOG))
def test_rule_has_kebab_case_name_and_full_documentation(code):
    all_rules()
    rule = REGISTRY[code]
    assert KEBAB.fullmatch(rule.spec.name), rule.spec.name
    for title in SECTIONS:
        assert rule.doc_section(title), f"{code} has no '## {title}' section"


@pytest.mark.parametrize("code", list(CATALOG))
def test_rule_documentation_has_exactly_the_four_sections(code):
    all_rules()
    rule = REGISTRY[code]
    found = [title for title in SECTIONS if rule.doc_section(title)]
    assert found == list(SECTIONS)
    # a heading quoted inside an example's code fence stays in its section
    for title in SECTIONS:
        assert not rule.doc_section(title).startswith("## ")


def test_heading_inside_a_code_fence_is_not_a_section():
    from generator.rules.base import Rule

    doc = "## Example\n\n```markdown\n## Emergency Change: 2026-04-01\n```\n\n## Use instead\n\nfix"
    rule = Rule(CATALOG["GOV403"], None, doc)
    assert "Emergency Change" in rule.doc_section("Example")
    assert rule.doc_section("Use instead") == "fix"


def test_rule_names_are_unique():
    names = [spec.name for spec in CATALOG.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "code", [c for c in CATALOG if c not in CASES_ELSEWHERE and c not in FOUND_OUTSIDE_RULES], ids=str
)
def test_every_check_has_a_failing_and_a_passing_case(code):
    all_rules()
    assert REGISTRY[code].check is not None, f"{code} has no check: list it in FOUND_OUTSIDE_RULES"
    cases = [c for c in CASES if c.rule == code]
    assert any(c.fails for c in cases), f"{code} has no failing case in tests/rule_cases/{code}.yaml"
    assert any(c.passes for c in cases), f"{code} has no passing case in tests/rule_cases/{code}.yaml"


def test_cases_only_name_known_rules_and_unique_names():
    assert {c.rule for c in CASES} <= set(CATALOG)
    keys = [(c.rule, c.name) for c in CASES]
    assert len(keys) == len(set(keys))


def test_codes_found_outside_the_rules_are_exactly_those_without_a_check_and_are_tested():
    all_rules()
    assert {c for c in CATALOG if REGISTRY[c].check is None} == set(FOUND_OUTSIDE_RULES)
    root = Path(__file__).resolve().parent.parent
    for code, test_file in FOUND_OUTSIDE_RULES.items():
        text = (root / test_file).read_text(encoding="utf-8")
        assert f'"{code}"' in text or f"'{code}'" in text, f"{test_file} never asserts on {code}"


def test_rules_tested_elsewhere_really_have_a_check():
    all_rules()
    for code in CASES_ELSEWHERE:
        assert REGISTRY[code].check is not None
