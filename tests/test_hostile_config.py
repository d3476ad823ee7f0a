"""Configuration mistakes, each written as the reproduction of a break it once caused.

Every mistake ends in exit status 2 with the file and the key named, never a traceback, never
silence, and a configured regular expression can no longer hang validation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import assert_grows_linearly, govsite, migration

VERSIONS = "alembic/versions"


def assert_config_error(result: subprocess.CompletedProcess, *names: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("govsite: error: "), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in result.stderr, (name, result.stderr)


@pytest.fixture
def repo_with(make_repo):
    def make(files: dict) -> object:
        return make_repo({f"{VERSIONS}/a1.py": migration("a1"), **files})

    return make


# --------------------------------------------------------------------------- tables that are not tables


def test_govsite_key_holding_a_string_was_an_internal_error(repo_with):
    root = repo_with({"govsite.toml": 'govsite = "x"\n'})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "[govsite]", "table")


def test_pyproject_tool_holding_a_string_was_an_internal_error(repo_with):
    root = repo_with({"pyproject.toml": 'tool = "x"\n'})
    assert_config_error(govsite("validate", str(root)), "pyproject.toml", "'tool'", "table")


def test_pyproject_tool_govsite_holding_a_string_was_an_internal_error(repo_with):
    root = repo_with({"pyproject.toml": '[tool]\ngovsite = "x"\n'})
    assert_config_error(govsite("validate", str(root)), "pyproject.toml", "[tool.govsite]")


def test_options_beside_a_govsite_table_were_ignored_in_silence(repo_with):
    root = repo_with({"govsite.toml": 'fail_on = "warning"\n[govsite]\nsite_name = "x"\n'})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "fail_on", "ignored")


def test_a_govsite_toml_directory_was_skipped_in_silence(repo_with):
    root = repo_with({"govsite.toml/placeholder": ""})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "directory")


def test_a_govsite_toml_link_to_nothing_was_skipped_in_silence(repo_with):
    root = repo_with({})
    os.symlink(root / "missing.toml", root / "govsite.toml")
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "link to nothing")


def test_a_govsite_toml_fifo_is_refused_without_waiting_for_a_writer(repo_with):
    root = repo_with({})
    os.mkfifo(root / "govsite.toml")
    assert_config_error(govsite("validate", str(root), timeout=60), "govsite.toml", "not a regular file")


def test_an_explicit_pyproject_without_a_govsite_table_is_refused(repo_with, tmp_path):
    root = repo_with({})
    settings = tmp_path / "pyproject.toml"
    settings.write_text('[tool.black]\nline-length = 100\n', encoding="utf-8")
    result = govsite("validate", str(root), "--config", str(settings))
    assert_config_error(result, "pyproject.toml", "[tool.govsite]")


# --------------------------------------------------------------------------- unknown names


def test_an_unknown_sql_dialect_was_accepted_in_silence(repo_with):
    root = repo_with({"govsite.toml": 'sql_dialect = "klingon"\n'})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "sql_dialect", "klingon", "postgres",
                        "sqlite")


def test_a_misspelt_sql_dialect_names_the_closest_one(repo_with):
    root = repo_with({"govsite.toml": 'sql_dialect = "postgress"\n'})
    assert_config_error(govsite("validate", str(root)), "sql_dialect", "did you mean 'postgres'?")


def test_an_unknown_code_in_severity_was_accepted_in_silence(repo_with):
    root = repo_with({"govsite.toml": '[severity]\nGOV209 = "off"\n'})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "severity", "GOV209", "did you mean")


def test_an_unknown_code_in_disable_was_accepted_in_silence(repo_with):
    root = repo_with({"govsite.toml": 'disable = ["GOV2O1"]\n'})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "disable", "GOV2O1", "'GOV201'")


def test_an_unknown_code_in_the_pyproject_table_names_the_table(repo_with):
    root = repo_with({"pyproject.toml": '[tool.govsite]\ndisable = ["nonsense"]\n'})
    assert_config_error(govsite("validate", str(root)), "pyproject.toml[tool.govsite]", "nonsense", "GOV101")


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    "setting, key",
    [
        ('migrations = "db/versions"', "migrations"),  # a string where a list is expected
        ('disable = "GOV505, GOV206"', "disable"),
        ("adrs = [1, 2]", "adrs"),
        ('policies = [""]', "policies"),
        ("required_fields = {MIGRATION_ID = true}", "required_fields"),
        ('allowed_values = {RISK_LEVEL = "Low"}', "allowed_values"),
        ("allowed_values = {RISK_LEVEL = []}", "allowed_values"),
        ('allowed_values = ["Low"]', "allowed_values"),
        ('severity = ["GOV201"]', "severity"),
        ('severity = {GOV201 = "fatal"}', "GOV201"),
        ("fail_on = ['error']", "fail_on"),
        ('allow_multiple_heads = "yes"', "allow_multiple_heads"),
        ('graph_recent = "60"', "graph_recent"),
        ("graph_recent = 0", "graph_recent"),
        ("graph_recent = 2.5", "graph_recent"),
        ('exceptions = ["db/schema/EXCEPTIONS.md"]', "exceptions"),
        ('exceptions = ""', "exceptions"),
        ("site_name = 3", "site_name"),
        ('history = "sometimes"', "history"),
        ("sql_dialect = 5", "sql_dialect"),
        ("ticket_pattern = 5", "ticket_pattern"),
        ("tag_pattern = ['v*']", "tag_pattern"),
        ('tag_pattern = "v\\\\d+\\\\.\\\\d+"', "tag_pattern"),  # a regular expression, not a glob
        ('fail_on = "error"\nfail-on = "warning"', "given twice"),
    ],
)
def test_a_value_of_the_wrong_kind_names_file_and_key(repo_with, setting, key):
    root = repo_with({"govsite.toml": setting + "\n"})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", key)


def test_yaml_off_read_as_false_is_explained():
    from generator.config import ConfigError, config_from_mapping

    with pytest.raises(ConfigError, match="quote it"):
        config_from_mapping({"severity": {"GOV901": False}}, "mkdocs.yml: plugins.governance")
    with pytest.raises(ConfigError, match="quote it"):
        config_from_mapping({"history": False}, "mkdocs.yml: plugins.governance")


def test_a_plugin_option_of_the_wrong_kind_fails_the_mkdocs_build(make_repo, tmp_path):
    root = make_repo({
        f"{VERSIONS}/a1.py": migration("a1"),
        "docs/index.md": "# Home\n",
        "mkdocs.yml": textwrap.dedent("""\
            site_name: Test
            theme: {name: material, font: false}
            plugins:
              - governance:
                  disable: GOV505
        """),
    })
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode != 0
    assert "plugins.governance" in result.stderr and "'disable'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- regular expressions


def test_a_backtracking_ticket_pattern_hung_validation(repo_with):
    # `(a+)+$` took 67 s on a 30-character comment; it is now refused before anything is read
    root = repo_with({
        "govsite.toml": "ticket_pattern = '(a+)+$'\n",
        f"{VERSIONS}/b2.py": migration(
            "b2", "a1", upgrade='op.drop_column("accounts", "note")  # CI:DESTRUCTIVE_OK ' + "a" * 30 + "!",
        ),
    })
    result = govsite("validate", str(root), timeout=120)  # a hang fails here
    assert_config_error(result, "govsite.toml", "ticket_pattern", "exponential")


def test_a_polynomial_ticket_pattern_is_refused(repo_with):
    root = repo_with({"govsite.toml": "ticket_pattern = '\\d+\\d+-x'\n"})
    assert_config_error(govsite("validate", str(root), timeout=120), "ticket_pattern", "polynomial")


def test_a_ticket_pattern_that_does_not_compile_names_the_key(repo_with):
    root = repo_with({"govsite.toml": "ticket_pattern = '(unclosed'\n"})
    assert_config_error(govsite("validate", str(root)), "govsite.toml", "ticket_pattern", "regular expression")


def test_a_backtracking_ticket_pattern_is_refused_however_the_config_is_made():
    from generator.config import Config, ConfigError

    with pytest.raises(ConfigError, match="ticket_pattern"):
        Config(ticket_pattern="(x+x+)+y")


def test_a_long_comment_of_capitals_does_not_make_a_ticket_search_quadratic():
    from generator.model import Comment
    from generator.sources.header import parse_bypass

    def search(capitals: int):
        return parse_bypass(Comment(1, 1, "CI:DESTRUCTIVE_OK ADR-015 " + "A" * capitals), r"[A-Z]+-\d+")

    assert search(100_000).adr_refs == ("ADR-015",)
    assert_grows_linearly(search, 25_000)  # searched whole, 100,000 capitals took half a minute
