"""Hostile input to `govsite snapshot`, `govsite drift` and the Schema and Drift pages: each
test reproduces a break (a traceback, a password shown, a file read outside the repository, a
build that fails on a hand-edited file) and checks it became a clear message instead."""

from __future__ import annotations

import json

import pytest

from conftest import govsite
from schema_support import example_copy, sqlite_at

SNAPSHOT = "db/schema/snapshot.json"


@pytest.fixture
def example(tmp_path):
    return example_copy(tmp_path)


@pytest.fixture
def live(example, tmp_path):
    return sqlite_at(example, tmp_path / "live.db")


@pytest.mark.parametrize(
    "content, says",
    [
        ("{not json", "not JSON"),
        ('{"tables": {}}', "not a govsite schema snapshot"),
        ('[1, 2]', "not a govsite schema snapshot"),
        ('{"govsite_snapshot": 1, "dialect": "sqlite", "tables": {"t": {"columns": []}}}', "must map names to objects"),
        ('{"govsite_snapshot": 1, "dialect": "sqlite", "revisions": "abc"}', "\"revisions\" must be a list"),
    ],
)
def test_a_broken_snapshot_is_a_usage_error_naming_the_file(example, live, content, says):
    (example / SNAPSHOT).write_text(content)
    done = govsite("drift", str(example), "--database-url", live)
    assert done.returncode == 2
    assert f"govsite: error: {SNAPSHOT}: " in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr


def test_a_file_that_is_not_a_sqlite_database_is_exit_2(example, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 50)
    done = govsite("snapshot", str(example), "--database-url", f"sqlite:///{bogus}")
    assert done.returncode == 2
    assert "file is not a database" in done.stderr
    assert "Traceback" not in done.stderr
    assert bogus.read_text().startswith("these are my notes")


def test_a_password_in_a_connection_string_parameter_is_masked_too(example):
    url = "postgresql://app@127.0.0.1:1/app?password=Hunter2-in-query&connect_timeout=1"
    done = govsite("snapshot", str(example), "--database-url", url)
    assert done.returncode == 2
    assert "Hunter2-in-query" not in done.stderr + done.stdout


def test_schema_snapshot_outside_the_repository_is_refused(example, live, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    config = example / "govsite.toml"
    config.write_text(config.read_text() + f'\nschema_snapshot = "../outside.json"\n')
    for command in ("snapshot", "drift"):
        done = govsite(command, str(example), "--database-url", live)
        assert done.returncode == 2
        assert "points outside the repository" in done.stderr
    assert outside.read_text() == "{}"


def test_site_shows_a_broken_snapshot_and_drift_report_instead_of_failing(example, tmp_path):
    (example / SNAPSHOT).write_text('{"govsite_snapshot": 1, "tables": {"t": {"columns": {"c": "oops"}}}}')
    (example / "db" / "schema" / "drift.json").write_text(json.dumps({
        "findings": [{"rule": "GOV701", "message": "<script>alert(1)</script>"}, "junk"],
        "drift": {"objects": [
            "junk", {"name": "<img src=x onerror=alert(1)>", "kind": 5, "changes": "no",
                     "owner": {"path": "nowhere.py"}, "coverage": {"hours": "<b>"}},
        ]},
    }))
    config = example / "govsite.toml"
    config.write_text(config.read_text() + '\ndrift_report = "db/schema/drift.json"\n')
    out = tmp_path / "generated"
    done = govsite("generate", str(example), "--out", str(out))
    assert done.returncode == 0, done.stderr
    schema = (out / "governance" / "schema" / "index.md").read_text()
    assert "The schema snapshot cannot be shown" in schema and "must map names to objects" in schema
    drift = (out / "governance" / "drift.md").read_text()
    assert "<img" not in drift and "<script>" not in drift and "<b>" not in drift
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in drift or "&lt;img" in drift


def test_drift_report_that_is_not_one_is_named_on_the_page(example, tmp_path):
    (example / "db" / "schema" / "drift.json").write_text('{"version": 1, "findings": []}')
    config = example / "govsite.toml"
    config.write_text(config.read_text() + '\ndrift_report = "db/schema/drift.json"\n')
    out = tmp_path / "generated"
    assert govsite("generate", str(example), "--out", str(out)).returncode == 0
    drift = (out / "governance" / "drift.md").read_text()
    assert "not a drift report" in drift


def test_odd_values_inside_a_valid_snapshot_are_shown_not_fatal(example, tmp_path):
    (example / SNAPSHOT).write_text(json.dumps({
        "govsite_snapshot": 1, "dialect": "sqlite", "revisions": [],
        "tables": {"t<script>": {
            "columns": {"c": {"type": 5, "nullable": "maybe"}},
            "primary_key": {"columns": 5},
            "indexes": {"ix": {"columns": {"a": 1}}},
            "policies": {"p": {"roles": "all"}},
            "row_level_security": {"enabled": "yes"},
        }},
        "enums": {"e": {"labels": 7}},
    }))
    out = tmp_path / "generated"
    done = govsite("generate", str(example), "--out", str(out))
    assert done.returncode == 0, done.stderr
    pages = list((out / "governance" / "schema").glob("*.md"))
    assert len(pages) == 2
    assert all("<script>" not in page.read_text() for page in pages)
