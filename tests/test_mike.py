"""`mike deploy` on the project's own site: the governance plugin builds under mike as it does
under `mkdocs build`, and the deployed version gets mkdocs-material's version selector."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import git
import pytest

from browser_support import ROOT, make_example_history, run_python
from generator.site.plugin import _select_versions_under_mike

IDENTITY = {
    "GIT_AUTHOR_NAME": "Docs Publisher",
    "GIT_AUTHOR_EMAIL": "docs@example.com",
    "GIT_COMMITTER_NAME": "Docs Publisher",
    "GIT_COMMITTER_EMAIL": "docs@example.com",
}

#: `mike` as its console script runs it (mike 2 has no `python -m mike`).
MIKE = ("-c", "import sys; from mike.driver import main; sys.exit(main())")


def project_copy(dest: Path) -> Path:
    """The project's mkdocs.yml and docs/, unchanged, committed in a new git repository."""
    dest.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", dest / "docs")
    repo = git.Repo.init(dest, initial_branch="main")
    repo.index.add(["mkdocs.yml", "docs"])
    actor = git.Actor(IDENTITY["GIT_AUTHOR_NAME"], IDENTITY["GIT_AUTHOR_EMAIL"])
    repo.index.commit("The project's site", author=actor, committer=actor)
    repo.close()
    return dest


def show(repo: Path, spec: str) -> str:
    return subprocess.run(
        ["git", "show", spec], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.slow  # mike reads the configuration (running the plugin), then builds the site
def test_mike_deploys_the_project_site_with_its_version_selector(tmp_path):
    example = make_example_history(tmp_path / "example-repo")
    project = project_copy(tmp_path / "project")
    bin_dir = str(Path(sys.executable).parent)  # mike runs the `mkdocs` command
    env = {
        **IDENTITY,
        "GOVSITE_EXAMPLE_REPO": str(example),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }
    result = run_python(*MIKE, "deploy", "0.1", "latest", "--update-aliases", cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    versions = json.loads(show(project, "gh-pages:versions.json"))
    assert versions == [{"version": "0.1", "title": "0.1", "aliases": ["latest"]}]
    files = set(
        subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", "gh-pages"], cwd=project,
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
    )
    assert {"0.1/index.html", "0.1/governance/index.html", "latest"} <= files
    assert "0.1/governance/migrations/15788671358b/index.html" in files
    home = show(project, "gh-pages:0.1/index.html")
    assert '"version": {"provider": "mike"}' in home
    assert git.Repo(project).active_branch.name == "main"


def test_version_selector_is_set_only_under_mike(monkeypatch):
    monkeypatch.delenv("MIKE_DOCS_VERSION", raising=False)
    plain = SimpleNamespace(extra={})
    _select_versions_under_mike(plain)
    assert plain.extra == {}  # a plain build must not fetch a versions.json it does not have

    monkeypatch.setenv("MIKE_DOCS_VERSION", "0.1")
    deployed = SimpleNamespace(extra={})
    _select_versions_under_mike(deployed)
    assert deployed.extra == {"version": {"provider": "mike"}}

    own = SimpleNamespace(extra={"version": {"provider": "mike", "default": "stable"}})
    _select_versions_under_mike(own)
    assert own.extra["version"]["default"] == "stable"  # mkdocs.yml's own setting wins
