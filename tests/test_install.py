"""Installs that work offline: the wheel built from a checkout carries the mermaid and tablesort
files the site serves, and a site built by that install makes no request outside 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from browser_support import ROOT, make_example_history, serve_directory
from test_browser import browser, page, visit  # noqa: F401 - the same browser and page

from generator.site.front_end import SCRIPTS

PACKAGED = "generator/site/assets/vendor/"


def _checkout_copy(dest: Path) -> Path:
    """The files git tracks (with this change's files), as `pip install git+URL` would see."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
        check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def _pip_wheel(source: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(out), str(source)],
        cwd=source, capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = _checkout_copy(work / "checkout")
    assert not (source / ".cache").exists(), "the copy must not hold the npm files"
    result = _pip_wheel(source, work / "dist", {"GOVSITE_VENDOR_DIR": str(ROOT / ".cache" / "npm")})
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("govsite-*.whl")
    return built


def test_the_wheel_carries_the_front_end_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    vendor = [PACKAGED + a.name for a in SCRIPTS if a.vendor]
    assert vendor and not [n for n in vendor if n not in names], sorted(names)
    assert "generator/site/assets/govsite.css" in names


def test_a_wheel_build_without_the_front_end_files_says_how_to_get_them(tmp_path):
    source = _checkout_copy(tmp_path / "checkout")
    tools = tmp_path / "bin"  # bash without npm: scripts/setup_assets.sh cannot fetch anything
    tools.mkdir()
    for tool in ("bash", "dirname"):
        (tools / tool).symlink_to(shutil.which(tool))
    empty = tmp_path / "no-assets"
    empty.mkdir()
    result = _pip_wheel(source, tmp_path / "dist", {"GOVSITE_VENDOR_DIR": str(empty), "PATH": str(tools)})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "the wheel must carry mermaid and tablesort" in output, output[-3000:]
    assert "scripts/setup_assets.sh" in output and "npm" in output
    assert not list((tmp_path / "dist").glob("*.whl"))


@pytest.mark.slow
@pytest.mark.browser
def test_a_site_built_by_the_installed_wheel_makes_no_outside_request(wheel, tmp_path, page):
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel)], check=True, capture_output=True,
    )
    # the dependencies come from this environment's site-packages, read without its .pth files,
    # so govsite itself is the installed wheel and not this checkout
    env = {k: v for k, v in os.environ.items() if k not in ("GOVSITE_VENDOR_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    imported = subprocess.run(
        [str(python), "-c", "import generator; print(generator.__file__)"], cwd=tmp_path,
        env=env, capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    where = imported.stdout.strip()
    assert Path(where).is_relative_to(fresh), f"govsite imported from {where}"
    repo = make_example_history(tmp_path / "example-repo")
    site = tmp_path / "site"
    result = subprocess.run(
        [str(python), "-m", "generator", "build", str(repo), "--site-dir", str(site)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "not installed" not in result.stderr
    assert (site / "assets" / "govsite" / "mermaid" / "mermaid.min.js").is_file()
    with serve_directory(site) as url:
        graph = visit(page, url + "governance/graph/")
        page.locator("div.mermaid svg").first.wait_for(state="attached")
        table = visit(page, url + "governance/migrations/")
        page.wait_for_timeout(300)  # table sorting loads late
    assert graph.outside_requests() == [] and table.outside_requests() == []
    assert any(u.endswith("mermaid/mermaid.min.js") for u in graph.requests)
    assert any(u.endswith("tablesort/tablesort.min.js") for u in table.requests)
