"""`govsite init`: detection, the files it writes, idempotence, and the hooks it sets up."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, govsite, migration

pytestmark = pytest.mark.usefixtures("no_outer_repository")

INI = """\
[alembic]
script_location = {script}
sqlalchemy.url = {url}
"""

MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

MYSQL_BRANCH = '''
bind = op.get_bind()
if bind.dialect.name == "mysql":
    op.execute("ALTER TABLE accounts MODIFY note TEXT")
'''


def env_files(script: str, *, ini_dir: str = "", url: str = "driver://user:pass@localhost/dbname",
              revisions=(("a1", None), ("b2", "a1"))) -> dict[str, str]:
    """An Alembic environment: alembic.ini in `ini_dir`, `script` relative to it."""
    folder = f"{ini_dir}/{script}" if ini_dir else script
    files = {
        f"{ini_dir}/alembic.ini" if ini_dir else "alembic.ini": INI.format(script=script, url=url),
        f"{folder}/env.py": "from alembic import context\n",
        f"{folder}/script.py.mako": MAKO,
    }
    for revision, down in revisions:
        files[f"{folder}/versions/{revision}_change.py"] = migration(revision, down)
    return files


LAYOUTS = {
    "top-level alembic": (env_files("alembic"), ["alembic/versions"]),
    "backend/ layout": (
        env_files("app/db/migrations", ini_dir="backend"), ["backend/app/db/migrations/versions"]
    ),
    "Flask-Migrate": (
        {
            "migrations/alembic.ini": "[alembic]\n\n[loggers]\nkeys = root\n",
            "migrations/env.py": "from flask import current_app\n",
            "migrations/script.py.mako": MAKO,
            "migrations/versions/a1_first.py": migration("a1"),
            "migrations/versions/b2_second.py": migration("b2", "a1"),
        },
        ["migrations/versions"],
    ),
    "monorepo": (
        {
            **env_files("alembic", ini_dir="services/billing", url="postgresql://db/billing"),
            **env_files("alembic", ini_dir="services/events", url="mysql+pymysql://db/events",
                        revisions=(("e1", None),)),
        },
        ["services/billing/alembic/versions", "services/events/alembic/versions"],
    ),
}


def init(root: Path, *args: str) -> subprocess.CompletedProcess:
    return govsite("init", str(root), *args)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts
    }


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize("layout", LAYOUTS)
def test_init_detects_each_layout_and_its_workflow_and_hook_match_the_folders(layout, make_repo):
    files, folders = LAYOUTS[layout]
    root = make_repo(files)
    result = init(root, "--write")
    assert result.returncode == 0, result.stderr
    for folder in folders:
        assert folder in result.stdout
    workflow = yaml.safe_load((root / ".github/workflows/governance.yml").read_text())
    paths = workflow[True]["pull_request"]["paths"]  # YAML 1.1 reads `on` as true
    hook = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    for folder in folders:
        assert f"{folder}/**" in paths
        assert re.search(hook["files"], f"{folder}/c3_new.py")
        assert re.search(hook["files"], f"{folder}/release_2/c3_new.py")
    assert not re.search(hook["files"], "app/models.py")
    assert re.search(hook["files"], "docs/adr/ADR-001-x.md")
    assert re.search(hook["files"], "db/schema/EXCEPTIONS.md")
    validate = govsite("validate", str(root), "--no-history")
    count = sum(len(list((root / f).glob("*.py"))) for f in folders)
    assert f"in {count} migrations" in validate.stdout, validate.stdout


def test_monorepo_environment_of_another_dialect_gets_its_own_table(make_repo):
    root = make_repo(LAYOUTS["monorepo"][0])
    assert init(root).returncode == 0
    text = (root / "govsite.toml").read_text()
    from generator.config import load_config

    config = load_config(root)
    dialects = {config.sql_dialect} | {e["sql_dialect"] for e in config.environments.values()}
    assert dialects == {"postgres", "mysql"}, text


def test_dialect_comes_from_the_branches_the_migrations_take(make_repo):
    files = env_files("alembic", revisions=())
    files["alembic/versions/a1_x.py"] = migration("a1", extra=MYSQL_BRANCH)
    files["alembic/versions/b2_x.py"] = migration("b2", "a1", extra=MYSQL_BRANCH)
    root = make_repo(files)
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert re.search(r"SQL dialect\s+mysql, from dialect branches", result.stdout), result.stdout
    assert 'sql_dialect = "mysql"' in (root / "govsite.toml").read_text()


def test_dialect_comes_from_sqlalchemy_url(make_repo):
    root = make_repo(env_files("alembic", url="mysql+pymysql://u:p@db/app"))
    result = init(root)
    assert re.search(r"SQL dialect\s+mysql, from sqlalchemy.url", result.stdout), result.stdout
    assert 'sql_dialect = "mysql"' in (root / "govsite.toml").read_text()


def test_a_folder_per_database_gives_each_environment_its_dialect(make_repo):
    files = env_files("alembic", url="sqlite:///dev.db", revisions=())
    files["alembic/versions/postgresql/a1_x.py"] = migration("a1")
    files["alembic/versions/mysql/a1_x.py"] = migration("a1")
    root = make_repo(files)
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert re.search(r"SQL dialect\s+mysql, from the name of its folder, alembic/versions/mysql", result.stdout)
    assert re.search(r"SQL dialect\s+postgres, from the name of its folder, alembic/versions/postgresql", result.stdout)
    written = (root / "govsite.toml").read_text()
    assert '\nsql_dialect = "mysql"\n' in written  # the first one is the default
    assert '[environments."alembic (postgresql)"]\nsql_dialect = "postgres"' in written


# --------------------------------------------------------------------------- idempotence


def test_second_run_keeps_every_file_and_changes_no_byte(make_repo):
    root = make_repo(LAYOUTS["backend/ layout"][0])
    first = init(root, "--write")
    assert first.returncode == 0, first.stderr
    written = snapshot(root)
    assert {"govsite.toml", ".github/workflows/governance.yml", ".pre-commit-config.yaml",
            "docs/adr/0000-template.md", "db/schema/EXCEPTIONS.md"} <= set(written)
    second = init(root, "--write")
    assert second.returncode == 0, second.stderr
    assert snapshot(root) == written
    files = second.stdout.split("Files:")[1].split("\n\n")[0].strip().splitlines()
    assert files and all(line.split()[0] == "kept" for line in files), second.stdout
    assert "already has the metadata header" in second.stdout


def test_without_write_only_the_configuration_is_written_and_the_rest_is_printed(make_repo):
    root = make_repo(LAYOUTS["top-level alembic"][0])
    before = snapshot(root)
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert set(snapshot(root)) - set(before) == {"govsite.toml"}
    assert snapshot(root)["alembic/script.py.mako"] == before["alembic/script.py.mako"]
    assert "----- .github/workflows/governance.yml" in result.stdout
    assert "----- .pre-commit-config.yaml" in result.stdout
    assert "MIGRATION_ID: ${create_date" in result.stdout
    assert "--write" in result.stdout


def test_next_steps_name_the_repository_and_line_up(make_repo, tmp_path):
    root = make_repo(LAYOUTS["top-level alembic"][0])
    spaced = root.rename(tmp_path / "the service")
    result = init(spaced)
    assert result.returncode == 0, result.stderr
    steps = result.stdout.split("\nNext:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    quoted = shlex.quote(str(spaced))
    assert steps[0].startswith(f"  govsite init {quoted} --write ")
    assert any(step.startswith(f"  git -C {quoted} add -A && git -C {quoted} commit ") for step in steps)
    # the descriptions start in one column
    assert len({re.search(r"\S   +(?=\S)", step).end() for step in steps}) == 1, steps


def test_existing_configuration_is_kept_and_force_replaces_it(make_repo):
    own = 'fail_on = "warning"\n'
    root = make_repo({**LAYOUTS["top-level alembic"][0], "govsite.toml": own})
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert "kept      govsite.toml" in result.stdout
    assert (root / "govsite.toml").read_text() == own
    forced = init(root, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced  govsite.toml" in forced.stdout
    assert "written by `govsite init`" in (root / "govsite.toml").read_text()


def test_tool_govsite_table_in_pyproject_is_kept(make_repo):
    files = {**LAYOUTS["top-level alembic"][0], "pyproject.toml": '[tool.govsite]\nfail_on = "warning"\n'}
    root = make_repo(files)
    result = init(root)
    assert result.returncode == 0, result.stderr
    assert "kept      [tool.govsite] in pyproject.toml" in result.stdout
    assert not (root / "govsite.toml").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ("fail_on = [", "cannot read TOML"),
        ('fial_on = "error"\n', "unknown option 'fial_on'"),
        (b"\xff\xfe\x00", "cannot read TOML"),
    ],
)
def test_invalid_existing_configuration_is_a_clear_error(content, message, make_repo):
    root = make_repo({**LAYOUTS["top-level alembic"][0], "govsite.toml": content})
    before = snapshot(root)
    result = init(root, "--write")
    assert result.returncode == 2
    assert message in result.stderr and "govsite.toml" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before


def test_repository_without_migrations_says_so_and_validate_reports_gov805(make_repo):
    root = make_repo({"README.md": "# app\n", "app/models.py": "x = 1\n"})
    result = init(root, "--write")
    assert result.returncode == 0, result.stderr
    assert "none found" in result.stdout
    validate = govsite("validate", str(root), "--no-history")
    assert validate.returncode == 1
    assert "GOV805" in validate.stdout


def test_written_configuration_loads_and_validate_runs_with_it(make_repo):
    root = make_repo(LAYOUTS["top-level alembic"][0])
    assert init(root, "--write").returncode == 0
    from generator.config import load_config

    load_config(root)
    validate = govsite("validate", str(root), "--no-history")
    assert validate.returncode in (0, 1), validate.stderr
    assert "in 2 migrations" in validate.stdout


# --------------------------------------------------------------------------- script.py.mako


def test_header_added_to_script_mako_makes_new_revisions_carry_it(make_repo):
    from datetime import datetime

    from mako.template import Template

    from generator.sources.header import parse_header

    root = make_repo(LAYOUTS["top-level alembic"][0])
    assert init(root, "--write").returncode == 0
    template = (root / "alembic/script.py.mako").read_text()
    source = Template(template).render(
        message="Add invoices", up_revision="c3", down_revision="b2", branch_labels=None,
        depends_on=None, create_date=datetime(2026, 1, 2, 3, 4), imports="", upgrades=None,
        downgrades=None, comma=lambda value: ", ".join(value) if isinstance(value, tuple) else str(value),
    )
    compile(source, "c3_add_invoices.py", "exec")
    docstring = source.split('"""')[1]
    header = parse_header(docstring, 1)
    fields = {f.key: f.value for f in header.fields}
    assert fields["MIGRATION_ID"] == "202601020304"
    assert fields["TITLE"] == "Add invoices"
    assert "Revision ID: c3" in source


# --------------------------------------------------------------------------- the pre-commit hook


def test_example_workflow_is_what_init_writes_for_the_default_layout():
    """The example copies what `init` writes for `alembic/versions` and the default paths, then
    adds the policy 7 jobs, which need a database and a secret a team sets up later."""
    from generator.commands.init import watched_globs, workflow_text
    from generator.config import Config
    from generator.sources.discovery import MigrationEnvironment

    env = MigrationEnvironment("", "alembic", ("alembic/versions",), False, "alembic.ini:2", None)
    expected = workflow_text(watched_globs(Config(), [env]))
    example = (ROOT / "examples/ci/governance.yml").read_text(encoding="utf-8")
    assert example.startswith(expected)
    assert example[len(expected):].lstrip("\n").startswith("  # Policy 7:")


def test_written_pre_commit_configuration_passes_pre_commits_own_check(make_repo):
    root = make_repo(LAYOUTS["backend/ layout"][0])
    assert init(root, "--write").returncode == 0
    check = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(root / ".pre-commit-config.yaml")],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def checkout_snapshot(destination: Path) -> Path:
    """This checkout's files as they are now, committed in a repository of their own: pre-commit
    installs a hook per commit, so both runs below share one installation."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (destination / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, destination / rel)
    _git(destination, "init", "-q")
    _git(destination, "add", "-A")
    _git(destination, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "snapshot")
    return destination


@pytest.mark.slow
def test_pre_commit_hook_runs_on_a_staged_migration_in_a_nested_layout(make_git_repo, tmp_path):
    """The real pre-commit, installing this checkout as the hook (needs the package index)."""
    root = make_git_repo([("2026-01-05T10:00:00", LAYOUTS["backend/ layout"][0])])
    hooks = checkout_snapshot(tmp_path / "govsite")
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    environment.pop("GOVSITE_DEBUG", None)

    def try_repo() -> str:
        run = subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "govsite-validate", "--verbose"],
            cwd=root, env=environment, capture_output=True, text=True, timeout=900,
        )
        return run.stdout + run.stderr

    (root / "README.md").write_text("# app\n")
    _git(root, "add", "README.md")
    assert re.search(r"govsite validate \(migration policy\)\.+\(no files to check\)Skipped", try_repo())
    _git(root, "commit", "-qm", "readme")

    new = root / "backend/app/db/migrations/versions/c3_change.py"
    new.write_text(migration("c3", "b2"))
    _git(root, "add", str(new))
    output = try_repo()
    assert "(no files to check)Skipped" not in output, output
    assert re.search(r"govsite validate \(migration policy\)\.+(Passed|Failed)", output), output
    assert "in 3 migrations" in output, output


def test_the_hook_init_writes_runs_the_installed_govsite_on_a_staged_migration(make_git_repo, tmp_path):
    """The written `.pre-commit-config.yaml` must work without a package index: its local hook
    runs the govsite of the environment that commits, and only when a migration changes."""
    root = make_git_repo([("2026-01-05T10:00:00", LAYOUTS["backend/ layout"][0])])
    assert init(root, "--write").returncode == 0
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "adopt govsite")
    bin_dir = str(Path(sys.executable).parent)
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                   "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--verbose"], cwd=root,
                              env=environment, capture_output=True, text=True, timeout=300)
        return done.stdout + done.stderr

    (root / "README.md").write_text("# app\n")
    _git(root, "add", "README.md")
    assert re.search(r"govsite validate \(migration policy\)\.+\(no files to check\)Skipped", run())
    new = root / "backend/app/db/migrations/versions/c3_change.py"
    new.write_text(migration("c3", "b2"))
    _git(root, "add", str(new))
    output = run()
    assert re.search(r"govsite validate \(migration policy\)\.+Passed", output), output
    assert "in 3 migrations" in output, output


# --------------------------------------------------------------------------- baseline


def test_baseline_option_accepts_todays_findings_once(make_repo):
    files = env_files("alembic", revisions=())
    files["alembic/versions/a1_legacy.py"] = migration("a1", header="")  # no header: findings
    root = make_repo(files)
    offered = init(root)
    assert re.search(r"Findings: [1-9]\d* at or above error", offered.stdout), offered.stdout
    assert "govsite baseline" in offered.stdout
    assert not (root / "govsite-baseline.json").exists()
    first = init(root, "--baseline")
    assert "created   govsite-baseline.json" in first.stdout, first.stdout
    assert "Findings: 0 at or above error" in first.stdout
    recorded = (root / "govsite-baseline.json").read_bytes()
    second = init(root, "--baseline")
    assert "kept      govsite-baseline.json" in second.stdout
    assert (root / "govsite-baseline.json").read_bytes() == recorded
    assert govsite("validate", str(root), "--no-history").returncode == 0


def test_existing_pre_commit_configuration_is_kept_and_the_hook_to_add_is_printed(make_repo):
    theirs = "repos:\n  - repo: https://github.com/psf/black\n    rev: 24.1.0\n    hooks: [{id: black}]\n"
    root = make_repo({**LAYOUTS["top-level alembic"][0], ".pre-commit-config.yaml": theirs})
    result = init(root, "--write")
    assert "without govsite's hook: add the one below" in result.stdout, result.stdout
    assert "----- .pre-commit-config.yaml: the hook to add" in result.stdout
    assert (root / ".pre-commit-config.yaml").read_text() == theirs
