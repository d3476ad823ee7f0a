"""Hostile repositories against discovery: each test reproduces a way finding the migrations
could crash, hang, read outside the repository or pass on nothing in silence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import govsite, migration
from generator.config import Config
from generator.sources.discovery import discover
from generator.sources.migrations import read_migrations


def read(root: Path):
    migrations, findings = read_migrations(root, Config())
    return sorted(m.path for m in migrations), [(f.rule, f.location.path, f.message) for f in findings]


def test_alembic_ini_linked_outside_is_reported_not_skipped(make_repo, tmp_path):
    (tmp_path / "elsewhere.ini").write_text("[alembic]\nscript_location = /etc\n")
    root = make_repo({"m/versions/a1.py": migration("a1")})
    os.symlink(tmp_path / "elsewhere.ini", root / "alembic.ini")
    paths, findings = read(root)
    assert paths == ["m/versions/a1.py"]
    assert [(rule, path) for rule, path, _ in findings] == [("GOV802", "alembic.ini")]
    assert "outside the repository" in findings[0][2]


def test_tool_alembic_of_the_wrong_types_is_reported_and_the_rest_still_read(make_repo):
    root = make_repo({
        "pyproject.toml": '[tool.alembic]\nversion_locations = [1, "m/versions"]\nrecursive_version_locations = "yes"\n',
        "m/versions/a1.py": migration("a1"),
    })
    paths, findings = read(root)
    assert paths == ["m/versions/a1.py"]
    assert sorted(message.split(" ")[0] for _, _, message in findings) == [
        "recursive_version_locations", "version_locations"]


def test_tool_alembic_that_is_not_a_table_is_reported(make_repo):
    root = make_repo({"pyproject.toml": '[tool]\nalembic = "migrations"\n', "m/versions/a1.py": migration("a1")})
    assert read(root) == (["m/versions/a1.py"], [("GOV802", "pyproject.toml", "[tool.alembic] must be a table; not read")])


def test_symlink_loop_beside_the_revisions_does_not_hang_the_walk(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration("a1")})
    os.symlink("..", root / "alembic" / "versions" / "up")
    os.symlink(".", root / "here")
    assert read(root) == (["alembic/versions/a1.py"], [])


def test_pipe_named_like_a_revision_file_does_not_block(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration("a1")})
    os.mkfifo(root / "alembic" / "versions" / "pipe.py")
    paths, findings = read(root)
    assert paths == ["alembic/versions/a1.py"]
    assert [(rule, path) for rule, path, _ in findings] == [("GOV802", "alembic/versions/pipe.py")]


def test_folders_nested_hundreds_deep_are_walked_without_recursion(make_repo):
    deep = "/".join(["d"] * 400)
    root = make_repo({f"{deep}/a1.py": migration("a1")})
    assert read(root) == ([f"{deep}/a1.py"], [])


def test_directory_named_alembic_ini_is_not_read_as_configuration(make_repo):
    root = make_repo({"alembic.ini/notes.txt": "", "alembic/versions/a1.py": migration("a1")})
    assert read(root) == (["alembic/versions/a1.py"], [])


def test_version_locations_climbing_out_with_here_are_refused(make_repo):
    root = make_repo({
        "alembic.ini": "[alembic]\nscript_location = a\nversion_locations = %(here)s/../../etc\n",
        "a/versions/a1.py": migration("a1"),
    })
    paths, findings = read(root)
    assert paths == ["a/versions/a1.py"]  # found by content, since no configured folder is usable
    assert [(rule, path) for rule, path, _ in findings] == [("GOV802", "alembic.ini")]
    assert "outside the repository" in findings[0][2]


def test_interpolation_of_a_missing_name_is_read_as_written(make_repo):
    root = make_repo({
        "db/alembic.ini": "[alembic]\nscript_location = %(missing)s/alembic\nsqlalchemy.url = %(DB_URL)s\n",
        "db/alembic/versions/a1.py": migration("a1"),
    })
    [env] = discover(root, Config()).environments
    assert env.sql_dialect is None
    assert read(root) == (["db/alembic/versions/a1.py"], [])


def test_interpolation_of_another_option_is_filled_in_as_alembic_does(make_repo):
    root = make_repo({
        "alembic.ini": "[alembic]\nbase = db\nscript_location = %(base)s/alembic\n",
        "db/alembic/versions/a1.py": migration("a1"),
    })
    [env] = discover(root, Config()).environments
    assert (env.script_location, env.source) == ("db/alembic", "alembic.ini:3")


def test_script_location_naming_a_file_fails_with_findings_not_a_traceback(make_repo, no_outer_repository):
    root = make_repo({"alembic.ini": "[alembic]\nscript_location = setup.py\n", "setup.py": "pass\n"})
    result = govsite("validate", str(root), "--format", "json")
    assert "Traceback" not in result.stderr and result.returncode == 1
    found = sorted((f["rule"], f["path"]) for f in json.loads(result.stdout)["findings"])
    assert found == [("GOV802", "alembic.ini"), ("GOV805", "alembic.ini")]


@pytest.mark.parametrize("name", ["big.py", "alembic/versions/huge.py"])
def test_oversized_python_file_is_not_scanned_whole(make_repo, name):
    """A generated 3 MB module is no revision file; its size must not stall the scan."""
    root = make_repo({"alembic/versions/a1.py": migration("a1"),
                      name: "revision = 1\ndown_revision = 2\n" + "#" * (3 * 1024 * 1024)})
    paths, findings = read(root)
    assert paths == ["alembic/versions/a1.py"]
    assert [(rule, path) for rule, path, _ in findings] == ([("GOV802", name)] if "versions" in name else [])
