"""The same repository always builds the same site, byte for byte.

A governance site is published from CI and compared between runs; any byte that depends on the
moment of the build, the folder it was built in, or the process's hash seed makes every build
look like a change. Dates must come from git (or `SOURCE_DATE_EPOCH`), never from the clock.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import git
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # two full site builds of the example


@pytest.fixture(scope="module")
def example_repo(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("determinism") / "example-repo"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_history.py"), "--dest", str(dest), "--force"],
        check=True, capture_output=True, cwd=ROOT,
    )
    return dest


def build(repo: Path, site: Path, hash_seed: str) -> Path:
    """`govsite build` in its own process, with its own hash seed and working directory."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env.update(PYTHONHASHSEED=hash_seed, PYTHONPATH=str(ROOT), GOVSITE_CACHE_DIR=str(site.parent / f"cache-{hash_seed}"))
    done = subprocess.run(
        [sys.executable, "-m", "generator", "build", str(repo), "--site-dir", str(site)],
        capture_output=True, text=True, env=env, cwd=site.parent,
    )
    assert done.returncode == 0, done.stderr
    return site


def contents(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_sites(example_repo, tmp_path_factory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    return build(example_repo, first / "site", "1"), build(example_repo, second / "public", "2")


def test_two_builds_of_one_commit_are_byte_identical(two_sites):
    first, second = (contents(site) for site in two_sites)
    assert sorted(first) == sorted(second)
    differing = [path for path in first if first[path] != second[path]]
    assert differing == []
    assert len(first) > 50


def test_sitemap_timestamp_comes_from_git_not_the_clock(example_repo, two_sites):
    """mkdocs stamps sitemap.xml.gz with the build date unless SOURCE_DATE_EPOCH says otherwise."""
    head = git.Repo(example_repo).head.commit
    committed = datetime.fromtimestamp(head.committed_date, timezone.utc)
    midnight = datetime(committed.year, committed.month, committed.day, tzinfo=timezone.utc)
    stamp = (two_sites[0] / "sitemap.xml.gz").read_bytes()[4:8]
    assert int.from_bytes(stamp, "little") == int(midnight.timestamp())
    with gzip.open(two_sites[0] / "sitemap.xml.gz") as handle:
        assert handle.read() == (two_sites[0] / "sitemap.xml").read_bytes()
