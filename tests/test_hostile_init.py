"""`govsite init` on repositories whose own files point elsewhere: it writes nothing outside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import govsite, migration
from test_init import LAYOUTS

pytestmark = pytest.mark.usefixtures("no_outer_repository")


def outside_file(tmp_path: Path, name: str, text: str = "outside\n") -> Path:
    target = tmp_path / "outside" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_force_does_not_write_through_a_linked_govsite_toml(make_repo, tmp_path):
    target = outside_file(tmp_path, "settings.toml", 'fail_on = "error"\n')
    root = make_repo(LAYOUTS["top-level alembic"][0])
    os.symlink(target, root / "govsite.toml")
    plain = govsite("init", str(root))
    assert plain.returncode == 2 and "link to a file outside" in plain.stderr, plain.stderr
    forced = govsite("init", str(root), "--force")
    assert forced.returncode == 2
    assert "refused   govsite.toml (is a link; not written)" in forced.stdout
    assert "not written: govsite.toml" in forced.stderr and "Traceback" not in forced.stderr
    assert target.read_text() == 'fail_on = "error"\n'


def test_linked_adr_folder_is_not_written_into(make_repo, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = make_repo(LAYOUTS["top-level alembic"][0])
    (root / "docs").mkdir()
    os.symlink(outside, root / "docs" / "adr")
    result = govsite("init", str(root), "--write")
    assert result.returncode == 2
    assert "refused   docs/adr/0000-template.md (leads outside the repository" in result.stdout
    assert list(outside.iterdir()) == []
    assert (root / ".github/workflows/governance.yml").is_file()  # the other files still are


def test_register_path_climbing_out_of_the_repository_is_refused(make_repo, tmp_path):
    files = {**LAYOUTS["top-level alembic"][0], "govsite.toml": 'exceptions = "../EXCEPTIONS.md"\n'}
    root = make_repo(files)
    result = govsite("init", str(root), "--write")
    assert not (root.parent / "EXCEPTIONS.md").exists()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_linked_script_mako_is_neither_read_nor_changed(make_repo, tmp_path):
    target = outside_file(tmp_path, "script.py.mako", '"""${message}\n"""\n')
    root = make_repo(LAYOUTS["top-level alembic"][0])
    (root / "alembic/script.py.mako").unlink()
    os.symlink(target, root / "alembic/script.py.mako")
    result = govsite("init", str(root), "--write")
    assert "refused   alembic/script.py.mako (a link, or outside the repository" in result.stdout
    assert result.returncode == 2
    assert target.read_text() == '"""${message}\n"""\n'


def test_script_mako_that_is_not_utf8_is_left_alone_with_a_reason(make_repo):
    files = {**LAYOUTS["top-level alembic"][0], "alembic/script.py.mako": b'"""${message}\xff\n"""\n'}
    root = make_repo(files)
    result = govsite("init", str(root), "--write")
    assert result.returncode == 0, result.stderr
    assert "skipped   alembic/script.py.mako (cannot read it as UTF-8 text" in result.stdout
    assert (root / "alembic/script.py.mako").read_bytes() == b'"""${message}\xff\n"""\n'


def test_govsite_toml_that_is_a_folder_is_a_clear_error_with_and_without_force(make_repo):
    root = make_repo({**LAYOUTS["top-level alembic"][0], "govsite.toml/keep": "x\n"})
    plain = govsite("init", str(root))
    assert plain.returncode == 2 and "is a directory, not a configuration file" in plain.stderr
    forced = govsite("init", str(root), "--force")
    assert forced.returncode == 2
    assert "refused   govsite.toml (cannot be written" in forced.stdout, forced.stdout
    assert "Traceback" not in forced.stderr


def test_repository_argument_that_is_a_file_is_a_usage_error(make_repo):
    root = make_repo({"alembic/versions/a1.py": migration("a1")})
    result = govsite("init", str(root / "alembic/versions/a1.py"))
    assert result.returncode == 2 and "not a directory" in result.stderr
