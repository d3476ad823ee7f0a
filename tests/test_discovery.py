"""Where migrations are found: the layouts teams really have, each in a real git repository.

Every test checks the exact set of migration files read, since a governance check that reads
the wrong files, or none, passes in silence.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, govsite, migration
from generator.config import Config, ConfigError, config_from_mapping
from generator.rules.engine import run_rules
from generator.sources import load_repository
from generator.sources.discovery import dialect_of_url, discover, split_locations
from generator.sources.migrations import read_migrations

ALEMBIC = [sys.executable, "-m", "alembic"]


@pytest.fixture
def git_repo(make_git_repo):
    """A git repository with one commit holding `files`."""
    return lambda files: make_git_repo([("2026-01-05T10:00:00", files)])


def read(root: Path, config: Config = Config()):
    """(sorted paths read, [(rule, path)] of the findings) of a repository."""
    migrations, findings = read_migrations(root, config)
    return sorted(m.path for m in migrations), sorted((f.rule, f.location.path) for f in findings)


def alembic(ini: Path, command: str) -> str:
    """The output of a real `alembic` command, run beside the configuration as a team runs it."""
    result = subprocess.run(
        [*ALEMBIC, "-c", ini.name, command], cwd=ini.parent, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def alembic_revisions(ini: Path) -> set[str]:
    """Every revision id `alembic history` lists."""
    return set(re.findall(r"-> (\w+)", alembic(ini, "history")))


def alembic_heads(ini: Path) -> set[str]:
    return {line.split()[0] for line in alembic(ini, "heads").splitlines() if line.strip()}


ENV_PY = "from alembic import context\n"  # never run: the layout only needs the file


# --------------------------------------------------------------------------- found by content


def test_script_location_set_in_python_only_is_found_by_content(git_repo):
    root = git_repo({
        "app/db/migrations/env.py": ENV_PY,
        "app/db/migrations/versions/a1_create.py": migration("a1"),
        "app/db/migrations/versions/b2_note.py": migration("b2", "a1"),
        "app/models.py": "revision = 3\n",  # assigns revision only: not a revision file
    })
    found = discover(root, Config())
    assert [(e.script_location, e.version_locations, e.source) for e in found.environments] == [
        ("app/db/migrations", ("app/db/migrations/versions",), "found by content")]
    assert read(root) == (["app/db/migrations/versions/a1_create.py", "app/db/migrations/versions/b2_note.py"], [])


def test_folder_of_revision_files_not_named_versions_is_found(git_repo):
    root = git_repo({"schema_changes/a1.py": migration("a1"), "schema_changes/__init__.py": ""})
    assert read(root) == (["schema_changes/a1.py"], [])


def test_release_folders_under_versions_found_by_content_are_read_recursively(git_repo):
    root = git_repo({
        "db/versions/2024/a1.py": migration("a1"),
        "db/versions/2025/b2.py": migration("b2", "a1"),
    })
    [env] = discover(root, Config()).environments
    assert env.version_locations == ("db/versions",) and env.recursive
    assert read(root) == (["db/versions/2024/a1.py", "db/versions/2025/b2.py"], [])


def test_revision_files_in_virtualenvs_dependencies_and_hidden_folders_are_ignored(git_repo):
    root = git_repo({
        "alembic/versions/a1.py": migration("a1"),
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/site-packages/pkg/versions/x1.py": migration("x1"),
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/python3.11/site-packages/other/versions/x2.py": migration("x2"),
        "frontend/node_modules/thing/versions/x3.py": migration("x3"),
        "build/lib/app/versions/x4.py": migration("x4"),
        ".tox/py311/x5.py": migration("x5"),
    })
    assert read(root) == (["alembic/versions/a1.py"], [])


# --------------------------------------------------------------------------- alembic.ini


def test_flask_migrate_alembic_ini_without_script_location_reads_the_folder_beside_it(git_repo):
    root = git_repo({
        "migrations/alembic.ini": "[alembic]\n# template used to generate migration files\n\n[loggers]\nkeys = root\n",
        "migrations/env.py": ENV_PY,
        "migrations/versions/a1.py": migration("a1"),
        "migrations/versions/b2.py": migration("b2", "a1"),
    })
    [env] = discover(root, Config()).environments
    assert (env.script_location, env.source) == ("migrations", "migrations/alembic.ini")
    assert read(root) == (["migrations/versions/a1.py", "migrations/versions/b2.py"], [])


def test_alembic_ini_inside_backend_resolves_script_location_beside_it(git_repo):
    root = git_repo({
        "backend/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = postgresql+psycopg://u@db/app\n",
        "backend/alembic/env.py": ENV_PY,
        "backend/alembic/versions/a1.py": migration("a1"),
        "backend/alembic/versions/b2.py": migration("b2", "a1"),
    })
    [env] = discover(root, Config()).environments
    assert (env.name, env.script_location, env.source, env.sql_dialect) == (
        "", "backend/alembic", "backend/alembic.ini:2", "postgres")
    assert read(root) == (["backend/alembic/versions/a1.py", "backend/alembic/versions/b2.py"], [])
    assert alembic_revisions(root / "backend" / "alembic.ini") == {"a1", "b2"}


def test_template_script_location_filled_in_by_a_program_reads_the_folder_beside_it(git_repo):
    root = git_repo({
        "pkg/alembic.ini": "[alembic]\nscript_location = {alembic_dir}\nsqlalchemy.url = {db_url}\n",
        "pkg/alembic/versions/a1.py": migration("a1"),
    })
    assert read(root) == (["pkg/alembic/versions/a1.py"], [])


def test_release_folders_with_recursive_version_locations_are_all_read(git_repo):
    files = {
        "alembic.ini": "[alembic]\nscript_location = %(here)s/alembic\nrecursive_version_locations = true\n",
        "alembic/env.py": ENV_PY,
        "alembic/script.py.mako": "",
        "alembic/versions/a1.py": migration("a1"),
        "alembic/versions/release_1/b2.py": migration("b2", "a1"),
        "alembic/versions/release_2/deep/c3.py": migration("c3", "b2"),
    }
    root = git_repo(files)
    assert read(root) == (
        ["alembic/versions/a1.py", "alembic/versions/release_1/b2.py", "alembic/versions/release_2/deep/c3.py"], [])
    assert alembic_revisions(root / "alembic.ini") == {"a1", "b2", "c3"}
    assert alembic_heads(root / "alembic.ini") == {"c3"}


def test_release_folders_without_recursive_version_locations_are_gov806_naming_the_option(git_repo):
    root = git_repo({
        "backend/alembic.ini": "[alembic]\nscript_location = alembic\n",
        "backend/alembic/versions/a1.py": migration("a1"),
        "backend/alembic/versions/2025/b2.py": migration("b2", "a1"),
        "backend/alembic/versions/2025/c3.py": migration("c3", "b2"),
    })
    migrations, findings = read_migrations(root, Config())
    assert [m.path for m in migrations] == ["backend/alembic/versions/a1.py"]
    [stray] = findings
    assert (stray.rule, stray.location.path) == ("GOV806", "backend/alembic/versions/2025/b2.py")
    assert "2 revision files in 'backend/alembic/versions/2025'" in stray.message
    assert "set recursive_version_locations = true in backend/alembic.ini" in stray.message


def test_stray_revision_folder_outside_every_location_names_version_locations(git_repo):
    root = git_repo({
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/versions/a1.py": migration("a1"),
        "old/migrations/z9.py": migration("z9"),
    })
    paths, findings = read(root)
    assert paths == ["alembic/versions/a1.py"] and findings == [("GOV806", "old/migrations/z9.py")]
    message = read_migrations(root, Config())[1][0].message
    assert "'old/migrations'" in message and "add it to version_locations in alembic.ini" in message


@pytest.mark.parametrize("separator, joined", [
    (None, "%(here)s/svc_a/versions, %(here)s/svc_b/versions %(here)s/svc_c/versions"),
    ("space", "%(here)s/svc_a/versions %(here)s/svc_b/versions %(here)s/svc_c/versions"),
    ("newline", "\n    %(here)s/svc_a/versions\n    %(here)s/svc_b/versions\n    %(here)s/svc_c/versions"),
    ("os", os.pathsep.join(["%(here)s/svc_a/versions", "%(here)s/svc_b/versions", "%(here)s/svc_c/versions"])),
    (":", "%(here)s/svc_a/versions:%(here)s/svc_b/versions:%(here)s/svc_c/versions"),
    (";", "%(here)s/svc_a/versions;%(here)s/svc_b/versions;%(here)s/svc_c/versions"),
    ("colon", "svc_a/versions:svc_b/versions:svc_c/versions"),
    ("semicolon", "svc_a/versions; svc_b/versions; svc_c/versions"),
    ("comma", "svc_a/versions,svc_b/versions,svc_c/versions"),
])
@pytest.mark.parametrize("option", ["path_separator", "version_path_separator"])
def test_version_locations_with_every_separator(git_repo, separator, joined, option):
    setting = f"{option} = {separator}\n" if separator else ""
    root = git_repo({
        "db/alembic.ini": f"[alembic]\nscript_location = alembic\n{setting}version_locations = {joined}\n",
        "db/alembic/env.py": ENV_PY,
        "db/svc_a/versions/a1.py": migration("a1"),
        "db/svc_b/versions/b2.py": migration("b2", "a1"),
        "db/svc_c/versions/c3.py": migration("c3", "b2"),
        "db/alembic/versions/unused.py": "# not a revision file\n",
    })
    assert read(root) == (["db/svc_a/versions/a1.py", "db/svc_b/versions/b2.py", "db/svc_c/versions/c3.py"], [])
    if separator in (None, "space", "newline", "os", ":", ";") and option == "path_separator":
        assert alembic_revisions(root / "db" / "alembic.ini") == {"a1", "b2", "c3"}


def test_split_locations_follows_alembic():
    assert split_locations("a, b  c", None) == ["a", "b", "c"]
    assert split_locations("a b;c", ";") == ["a b", "c"]
    assert split_locations("a\nb c", "newline") == ["a", "b c"]


def test_package_script_location_resolves_inside_the_repository(git_repo):
    root = git_repo({
        "alembic.ini": "[alembic]\nscript_location = myapp:db_migrations\n",
        "src/myapp/__init__.py": "",
        "src/myapp/db_migrations/versions/a1.py": migration("a1"),
    })
    assert read(root) == (["src/myapp/db_migrations/versions/a1.py"], [])


# --------------------------------------------------------------------------- pyproject.toml


def test_tool_alembic_in_pyproject_toml(git_repo):
    root = git_repo({
        "pyproject.toml": (
            '[project]\nname = "svc"\n\n[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
            'version_locations = ["%(here)s/migrations/versions", "%(here)s/extra"]\n'
            "recursive_version_locations = true\n"
        ),
        "alembic.ini": "[alembic]\nsqlalchemy.url = mysql+pymysql://u@db/app\n",
        "migrations/env.py": ENV_PY,
        "migrations/versions/a1.py": migration("a1"),
        "migrations/versions/2025/b2.py": migration("b2", "a1"),
        "extra/c3.py": migration("c3", "b2"),
    })
    [env] = discover(root, Config()).environments
    assert (env.version_locations, env.recursive, env.source, env.sql_dialect) == (
        ("migrations/versions", "extra"), True, "pyproject.toml [tool.alembic]", "mysql")
    assert read(root) == (["extra/c3.py", "migrations/versions/2025/b2.py", "migrations/versions/a1.py"], [])
    assert alembic_revisions(root / "alembic.ini") == {"a1", "b2", "c3"}


# --------------------------------------------------------------------------- a monorepo


MONOREPO = {
    "services/billing/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = mysql://u@db/billing\n",
    "services/billing/alembic/versions/a1.py": migration("a1"),
    "services/billing/alembic/versions/b2.py": migration("b2", "a1"),
    "services/users/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///users.db\n",
    "services/users/alembic/versions/a1.py": migration("a1"),  # the same id: its own graph
}


def test_monorepo_environments_are_read_side_by_side_each_its_own_graph(git_repo):
    root = git_repo(MONOREPO)
    found = discover(root, Config())
    assert [(e.name, e.sql_dialect) for e in found.environments] == [
        ("services/billing/alembic", "mysql"), ("services/users/alembic", "sqlite")]
    repo = load_repository(root, Config(), with_history=False)
    assert sorted((m.environment, m.path) for m in repo.migrations) == [
        ("services/billing/alembic", "services/billing/alembic/versions/a1.py"),
        ("services/billing/alembic", "services/billing/alembic/versions/b2.py"),
        ("services/users/alembic", "services/users/alembic/versions/a1.py"),
    ]
    assert [f for f in run_rules(repo, Config()) if f.rule == "GOV801"] == []
    assert alembic_heads(root / "services/billing/alembic.ini") == {"b2"}
    assert alembic_heads(root / "services/users/alembic.ini") == {"a1"}


def test_monorepo_second_head_is_reported_in_its_environment_only(git_repo):
    root = git_repo({**MONOREPO, "services/users/alembic/versions/c3.py": migration("c3", "a1"),
                     "services/users/alembic/versions/d4.py": migration("d4", "a1")})
    repo = load_repository(root, Config(), with_history=False)
    [heads] = [f for f in run_rules(repo, Config()) if f.rule == "GOV801"]
    assert "the revision graph of 'services/users/alembic' has 2 heads" in heads.message
    assert heads.location.path.startswith("services/users/")


def test_environment_dialect_from_configuration_wins_over_the_url(git_repo):
    root = git_repo(MONOREPO)
    config = config_from_mapping({"sql_dialect": "tsql", "environments": {"services/users/alembic": {"sql_dialect": "postgresql"}}})
    assert [(e.name, e.sql_dialect) for e in discover(root, config).environments] == [
        ("services/billing/alembic", "mysql"), ("services/users/alembic", "postgres")]


@pytest.mark.parametrize("url, dialect", [
    ("postgresql+psycopg://u@db/app", "postgres"), ("postgres://u@db/app", "postgres"),
    ("mysql+pymysql://u@db/app", "mysql"), ("mariadb://u@db/app", "mysql"), ("sqlite:///app.db", "sqlite"),
    ("mssql+pyodbc://u@db/app", "tsql"), ("driver://user:pass@localhost/dbname", None),
    ("nosuchdb://u@db/app", None), ("%(DATABASE_URL)s", None), ("", None),
])
def test_the_dialect_of_an_alembic_ini_url(url, dialect):
    assert dialect_of_url(url) == dialect


def test_urls_of_sqlalchemys_dialects_and_the_template_url_import_no_sql_parser(git_repo):
    """Alembic's template URL (`driver://`) and the URLs of SQLAlchemy's own dialects are
    answered without sqlglot, whose import is about 80 ms of every command."""
    root = git_repo({
        "alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = driver://user:pass@localhost/dbname\n",
        "alembic/versions/a1.py": migration("a1"),
        "services/pg/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = postgresql://u@db/app\n",
        "services/pg/alembic/versions/a1.py": migration("a1"),
        "services/lite/alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///app.db\n",
        "services/lite/alembic/versions/a1.py": migration("a1"),
    })
    script = (
        "import sys\nfrom pathlib import Path\nfrom generator.config import Config\n"
        "from generator.sources.discovery import discover\n"
        f"found = discover(Path({str(root)!r}), Config())\n"
        "print(sorted(str(e.sql_dialect) for e in found.environments), 'sqlglot' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.stdout.strip() == "['None', 'postgres', 'sqlite'] False", done.stderr[-2000:]


def test_environments_setting_is_checked():
    with pytest.raises(ConfigError, match="unknown setting 'dialect'"):
        config_from_mapping({"environments": {"backend/alembic": {"dialect": "mysql"}}})
    with pytest.raises(ConfigError, match="a SQL dialect"):
        config_from_mapping({"environments": {"backend/alembic": {"sql_dialect": "oracel9"}}})
    with pytest.raises(ConfigError, match="true or false"):
        config_from_mapping({"expect_migrations": "no"})


# --------------------------------------------------------------------------- never a silent clean


def validate(root: Path) -> tuple[int, dict]:
    result = govsite("validate", str(root), "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.returncode, json.loads(result.stdout)


def test_nothing_at_all_is_gov805_and_fails(git_repo, no_outer_repository):
    root = git_repo({"README.md": "# A service\n", "app/main.py": "print('hello')\n"})
    status, report = validate(root)
    assert status == 1 and report["summary"]["migrations"] == 0
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("GOV805", ".")]
    assert "expect_migrations = false" in report["findings"][0]["message"]


def test_configured_globs_matching_nothing_are_gov805_on_the_configuration(git_repo, no_outer_repository):
    root = git_repo({"govsite.toml": 'migrations = ["db/version/*.py"]\n', "db/versions/a1.py": migration("a1")})
    status, report = validate(root)
    assert status == 1
    assert sorted((f["rule"], f["path"]) for f in report["findings"]) == [
        ("GOV805", "govsite.toml"), ("GOV806", "db/versions/a1.py")]
    assert any("add 'db/versions' to migrations in govsite.toml" in f["message"] for f in report["findings"])


def test_expect_migrations_false_lets_a_repository_without_migrations_pass(git_repo, no_outer_repository):
    root = git_repo({"govsite.toml": "expect_migrations = false\n", "README.md": "# New service\n"})
    status, report = validate(root)
    assert status == 0, report["findings"]
    assert report["summary"]["migrations"] == 0 and report["findings"] == []


def test_configured_globs_win_over_alembic_ini(git_repo):
    root = git_repo({
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/versions/a1.py": migration("a1"),
        "govsite.toml": 'migrations = ["alembic/versions/a1.py"]\n',
    })
    [env] = discover(root, Config(migrations=("alembic/versions/a1.py",))).environments
    assert env.source == "govsite.toml migrations"
    assert read(root, Config(migrations=("alembic/versions/a1.py",))) == (["alembic/versions/a1.py"], [])


def test_migration_index_names_the_environment_only_when_there_are_several(git_repo, tmp_path):
    def index(files) -> str:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        result = govsite("generate", str(git_repo(files)), "--out", str(out))
        assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
        return (out / "governance" / "migrations" / "index.md").read_text(encoding="utf-8")

    several = index(MONOREPO)
    assert "| ID | Environment | Title |" in several
    assert several.count("| services/billing/alembic |") == 2 and several.count("| services/users/alembic |") == 1
    assert "Environment" not in index({"alembic/versions/a1.py": migration("a1")})


# --------------------------------------------------------------------------- a folder per dialect

# env.py picks the folder of the database it runs on: each is a revision graph of its own, which
# no Alembic configuration file names (the same id may stand in both).
PER_DIALECT_ENV_PY = '''\
from alembic import context

config = context.config
dialect = config.get_main_option("sqlalchemy.url").split(":", 1)[0].split("+", 1)[0]
config.set_main_option("version_locations", f"%(here)s/server/migrations/versions/{dialect}")
'''
INDEX = 'op.create_index("ix_flows_name", "flows", ["name"])'
PER_DIALECT = {
    "server/alembic.ini": "[alembic]\nscript_location = migrations\npath_separator = os\n",
    "server/migrations/env.py": PER_DIALECT_ENV_PY,
    "server/migrations/versions/postgresql/a1_initial.py": migration("a1"),
    "server/migrations/versions/postgresql/b2_index.py": migration("b2", "a1", upgrade=INDEX),
    "server/migrations/versions/sqlite/a1_initial.py": migration("a1", header=(
        "MIGRATION_ID: 202601010001\nTITLE: Initial schema on SQLite\nCHANGE_TYPE: Table\n"
        "RISK_LEVEL: Low\nFORWARD_ONLY: No\nROLLBACK_STRATEGY: Run the downgrade.\n")),
    "server/migrations/versions/sqlite/c3_index.py": migration("c3", "a1", upgrade=INDEX),
}
DECLARED = """\
[environments.postgresql]
migrations = ["server/migrations/versions/postgresql/*.py"]
[environments.sqlite]
migrations = ["server/migrations/versions/sqlite/*.py"]
sql_dialect = "sqlite"
"""


def alembic_heads_of(root: Path, ini: str, folder: str, monkeypatch) -> list[str]:
    """The heads Alembic reads when env.py gives it `folder` as its only version location."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    monkeypatch.chdir((root / ini).parent)  # where the team runs alembic
    alembic_config = AlembicConfig(str(root / ini))
    alembic_config.set_main_option("version_locations", str(root / folder))
    return ScriptDirectory.from_config(alembic_config).get_heads()


def test_a_folder_per_dialect_is_a_graph_per_database_with_no_configuration(git_repo, no_outer_repository,
                                                                          monkeypatch):
    root = git_repo(PER_DIALECT)
    found = discover(root, Config())
    assert [(e.name, e.version_locations, e.database) for e in found.environments] == [
        ("server/migrations (postgresql)", ("server/migrations/versions/postgresql",), "postgres"),
        ("server/migrations (sqlite)", ("server/migrations/versions/sqlite",), "sqlite")]
    assert found.findings == ()
    repo = load_repository(root, Config(), with_history=False)
    assert sorted((m.revision, m.database) for m in repo.migrations) == [
        ("a1", "postgres"), ("a1", "sqlite"), ("b2", "postgres"), ("c3", "sqlite")]

    status, report = validate(root)
    # one head per graph, and CONCURRENTLY is advice for the PostgreSQL graph only
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [
        ("GOV612", "server/migrations/versions/postgresql/b2_index.py")], report["findings"]
    assert status == 0 and report["summary"]["migrations"] == 4

    # Alembic itself, given each folder as env.py gives it, reads the same two graphs
    for dialect, head in (("postgresql", "b2"), ("sqlite", "c3")):
        assert alembic_heads_of(root, "server/alembic.ini", f"server/migrations/versions/{dialect}", monkeypatch) == [head]


def test_a_folder_per_dialect_found_by_content_is_split_the_same_way(git_repo, no_outer_repository):
    files = {path.replace("server/migrations/", "db/"): text for path, text in PER_DIALECT.items()
             if path.startswith("server/migrations/versions/")}
    found = discover(git_repo(files), Config())
    assert [(e.name, e.database) for e in found.environments] == [
        ("db/versions (postgresql)", "postgres"), ("db/versions (sqlite)", "sqlite")]


def test_a_folder_per_dialect_under_configured_version_locations_is_split_as_well(git_repo, no_outer_repository):
    ini = "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/migrations/versions/\npath_separator = os\n"
    found = discover(git_repo({**PER_DIALECT, "server/alembic.ini": ini}), Config())
    assert [(e.version_locations, e.database) for e in found.environments] == [
        (("server/migrations/versions/postgresql",), "postgres"), (("server/migrations/versions/sqlite",), "sqlite")]
    assert found.findings == ()


def test_sub_folders_not_all_named_for_a_database_are_not_split(git_repo, no_outer_repository):
    """`versions/2024` beside `versions/postgresql`: not a folder per dialect, so nothing is guessed."""
    files = {**PER_DIALECT, "server/migrations/versions/2024/d4_more.py": migration("d4", "b2")}
    status, report = validate(git_repo(files))
    stray = {f["path"].rsplit("/", 2)[1]: f["message"] for f in report["findings"] if f["rule"] == "GOV806"}
    assert sorted(stray) == ["2024", "postgresql", "sqlite"]
    assert "set recursive_version_locations = true in server/alembic.ini" in stray["2024"]
    # a dialect's folder is a graph of its own: merging it into one would be wrong
    assert ('a folder per dialect is a revision graph of its own: declare each, like '
            '[environments.sqlite] migrations = ["server/migrations/versions/sqlite/*.py"]') in stray["sqlite"]


def test_declared_environments_are_read_each_as_its_own_graph_on_its_own_database(git_repo, no_outer_repository):
    root = git_repo({**PER_DIALECT, "govsite.toml": DECLARED})
    config = config_from_mapping({"environments": {
        "postgresql": {"migrations": ["server/migrations/versions/postgresql/*.py"]},
        "sqlite": {"migrations": ["server/migrations/versions/sqlite/*.py"], "sql_dialect": "sqlite"}}})
    found = discover(root, config)
    assert [(e.name, e.sql_dialect) for e in found.environments] == [("postgresql", None), ("sqlite", "sqlite")]
    assert found.findings == ()
    repo = load_repository(root, config, with_history=False)
    assert sorted((m.environment, m.revision, m.database) for m in repo.migrations) == [
        ("postgresql", "a1", "postgres"), ("postgresql", "b2", "postgres"),
        ("sqlite", "a1", "sqlite"), ("sqlite", "c3", "sqlite")]
    status, report = validate(root)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [
        ("GOV612", "server/migrations/versions/postgresql/b2_index.py")], report["findings"]
    assert status == 0 and report["summary"]["migrations"] == 4


def test_a_folder_no_declared_environment_reads_is_named_with_the_way_to_read_it(git_repo, no_outer_repository):
    declared_one = DECLARED.split("[environments.sqlite]")[0]
    root = git_repo({**PER_DIALECT, "govsite.toml": declared_one})
    status, report = validate(root)
    [stray] = [f for f in report["findings"] if f["rule"] == "GOV806"]
    assert stray["path"].startswith("server/migrations/versions/sqlite/")
    assert "add it to the migrations of an environment, or declare one: [environments.sqlite]" in stray["message"]


def test_a_declared_environment_reads_nothing_outside_the_repository(tmp_path, make_git_repo, no_outer_repository):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "a1.py").write_text(migration("a1"), encoding="utf-8")
    root = make_git_repo([("2026-01-05T10:00:00", {
        "govsite.toml": '[environments.pg]\nmigrations = ["../outside/*.py", "/etc/*.py", "db/*.py"]\n',
        "README.md": "# service\n"})])
    status, report = validate(root)
    assert status == 1 and report["summary"]["migrations"] == 0
    [nothing] = report["findings"]
    assert (nothing["rule"], nothing["path"]) == ("GOV805", "govsite.toml")
    assert "correct the migrations of the environments in govsite.toml" in nothing["message"]


@pytest.mark.parametrize("options, message", [
    ({"migrations": ["db/*.py"], "environments": {"pg": {"migrations": ["db/pg/*.py"]}}},
     "options 'migrations' and 'environments.pg.migrations' both say where migrations are"),
    ({"environments": {"pg": {"migrations": []}}}, "'pg' migrations must be a list of non-empty globs"),
    ({"environments": {"pg": {"migrations": [3]}}}, "'pg' migrations must be a list of non-empty globs"),
    ({"environments": {"pg": {"folders": ["db/pg"]}}}, "unknown setting 'folders' (known: migrations, sql_dialect)"),
])
def test_declared_environments_that_cannot_be_read_are_configuration_errors(options, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_mapping(options)


def test_one_glob_may_be_written_as_a_string():
    config = config_from_mapping({"environments": {"pg": {"migrations": "db/pg/*.py"}}})
    assert config.environments["pg"]["migrations"] == ("db/pg/*.py",)


def test_settings_of_an_environment_that_does_not_exist_are_a_finding_not_silence(git_repo, no_outer_repository):
    """A typo in an environment's name would drop its dialect, and the database the safety
    checks judge, without a word."""
    toml = 'sql_dialect = "postgres"\n\n[environments."services/biling/alembic"]\nsql_dialect = "mysql"\n'
    root = git_repo({**MONOREPO, "govsite.toml": toml})
    status, report = validate(root)
    [unmatched] = [f for f in report["findings"] if f["rule"] == "GOV802"]
    assert (unmatched["path"], unmatched["line"]) == ("govsite.toml", 3)
    assert unmatched["message"] == (
        '[environments."services/biling/alembic"] names no migration environment, so its settings '
        "apply to nothing; the environments are: 'services/billing/alembic', 'services/users/alembic'")
    assert status == 1
    fixed = toml.replace("biling", "billing")
    root = git_repo({**MONOREPO, "govsite.toml": fixed})
    assert [f for f in validate(root)[1]["findings"] if f["rule"] == "GOV802"] == []
