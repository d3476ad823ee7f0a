"""The configuration schema: what is accepted, in what form it reaches the rest of the tool."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

from generator.config import SQLALCHEMY_DIALECTS, Config, ConfigError, config_from_mapping, load_config
from generator.patterns import backtracking_risk

README_EXAMPLE = """
migrations = ["services/billing/alembic/versions"]
required_fields = ["MIGRATION_ID", "TITLE", "CHANGE_TYPE", "RISK_LEVEL", "FORWARD_ONLY", "ROLLBACK_STRATEGY"]
p0_indexes = ["ix_events_tenant_time"]
critical_constraints = ["uq_tenants_slug"]
ticket_pattern = '\\b(?:ARCH|REVIEW)-\\d+\\b'
fail_on = "error"
disable = ["GOV505"]
[severity]
GOV603 = "error"
"""


def test_the_readme_example_is_accepted():
    config = config_from_mapping(tomllib.loads(README_EXAMPLE), "govsite.toml")
    assert config.disable == ("GOV505",) and config.severity == {"GOV603": "error"}
    assert config.ticket_pattern == r"\b(?:ARCH|REVIEW)-\d+\b"


def test_the_example_repository_configuration_is_accepted():
    config = load_config(ROOT / "examples" / "attribution-platform")
    assert config.tag_pattern == "v*"


@pytest.mark.parametrize("written, canonical", [("PostgreSQL", "postgres"), ("mssql", "tsql"), ("sqlite", "sqlite")])
def test_a_sql_dialect_is_stored_under_the_name_every_reader_knows(written, canonical):
    assert config_from_mapping({"sql_dialect": written}).sql_dialect == canonical


@pytest.mark.parametrize("written, canonical, sqlglot_loaded", [
    ("postgres", "postgres", False), ("PostgreSQL", "postgres", False), ("pg", "postgres", False),
    ("MariaDB", "mysql", False), ("sqlite", "sqlite", False), ("sqlserver", "tsql", False),
    ("oracle", "oracle", False), ("snowflake", "snowflake", True),
])
def test_naming_a_dialect_sqlalchemy_ships_imports_no_sql_parser(tmp_path, written, canonical, sqlglot_loaded):
    """Checking the name must not pay for sqlglot's import (a third of a small repository's
    run); only a dialect SQLAlchemy does not ship is looked up in sqlglot."""
    (tmp_path / "govsite.toml").write_text(f'sql_dialect = "{written}"\n', encoding="utf-8")
    script = (
        "import sys\nfrom pathlib import Path\nfrom generator.config import load_config\n"
        f"print(load_config(Path({str(tmp_path)!r})).sql_dialect, 'sqlglot' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.stdout.split() == [canonical, str(sqlglot_loaded)], done.stderr[-2000:]


def test_the_dialects_answered_without_sqlglot_are_sqlglot_dialects():
    from sqlglot.dialects.dialect import Dialects

    assert SQLALCHEMY_DIALECTS <= {d.value for d in Dialects}
    with pytest.raises(ConfigError, match="did you mean 'postgres'"):
        config_from_mapping({"sql_dialect": "postgress"})


def test_dashes_and_underscores_name_the_same_option():
    assert config_from_mapping({"fail-on": "warning"}).fail_on.value == "warning"


def test_a_severity_may_switch_a_rule_off():
    config = config_from_mapping({"severity": {"GOV901": "off"}})
    assert config.severity_for("GOV901", config.fail_on) is None


def test_the_message_names_the_source_and_the_key():
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"p0_indexes": "ix_a, ix_b"}, "mkdocs.yml: plugins.governance")
    assert str(caught.value).startswith("mkdocs.yml: plugins.governance: option 'p0_indexes' must be a list")


def test_an_unknown_option_suggests_the_closest_one():
    with pytest.raises(ConfigError, match="did you mean 'ticket_pattern'"):
        config_from_mapping({"ticket_patern": "x"})


LEGITIMATE = [
    r"\b(?:ARCH|REVIEW)-\d+\b",
    r"\bSEC-\d+\b",
    r"v\d+\.\d+",
    r"[A-Z]+-\d+",
    r"\b[A-Z][A-Z0-9]+-\d+\b",
    r"JIRA-[0-9]{1,6}",
    r"(?i)\bticket[ #:]*\d+\b",
    r"\b(?:ARCH|REVIEW|SEC|OPS|DBA|PLAT)-\d{1,7}\b",
    r"https://tracker\.example\.com/browse/[A-Z]+-\d+",
    r"\bCHG\d{7}\b",
    r"(?:ARCH|REVIEW)-\d+(?:\.\d+)*",
    r"(\w+)-\1",
    r"(?:[A-Z]+-){0,11}[A-Z]+",
    r"(a|ab)*c",
]

CATASTROPHIC = [
    (r"(a+)+$", "exponential"),
    (r"(a|a)*$", "exponential"),
    (r"(a|aa)*b", "exponential"),
    (r"(\w+\s?)+$", "exponential"),
    (r"(a?a?)+b", "exponential"),
    (r"(\d{2,3})+x", "exponential"),
    (r"(a*)*b", "exponential"),
    (r"(?=(a+)+$)x", "exponential"),  # inside a lookahead
    (r"^(([a-z])+.)+[A-Z]([a-z])+$", "exponential"),
    (r"\d+\d+x", "polynomial"),
    (r".*-.*x", "polynomial"),
    (r"[A-Z0-9]+-?\d+\b", "polynomial"),
    (r"\d*\d*\d*x", "polynomial"),
    (r"((((a{12}){12}){12}){12}){12}", "too large"),
]


@pytest.mark.parametrize("pattern", LEGITIMATE)
def test_legitimate_ticket_patterns_are_accepted(pattern):
    assert backtracking_risk(pattern) is None
    assert config_from_mapping({"ticket_pattern": pattern}).ticket_pattern == pattern


@pytest.mark.parametrize("pattern, why", CATASTROPHIC)
def test_patterns_that_backtrack_catastrophically_are_refused(pattern, why):
    assert why in (backtracking_risk(pattern) or "")
    with pytest.raises(ConfigError, match="ticket_pattern"):
        config_from_mapping({"ticket_pattern": pattern})
