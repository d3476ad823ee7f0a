"""`govsite generate` for builders that run no MkDocs plugins: the pages, the CSS and scripts
they need and a nav fragment saying how to add them; built with Zensical, the revision graph is
a diagram and no request leaves 127.0.0.1. `--fail-on` gates like `govsite build`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from browser_support import make_example_history, serve_directory
from conftest import govsite, migration
from test_browser import browser, page, visit  # noqa: F401 - the same browser and page

from generator.site.build import GENERATED_ASSETS, NAV_FILE


def configuration_from_fragment(out: Path, site_dir: str = "site") -> str:
    """A mkdocs.yml beside `out` made only from what nav.yml tells a reader to add (folders
    relative to it: Zensical stops on absolute ones)."""
    text = (out / NAV_FILE).read_text(encoding="utf-8")
    comment = [line[2:] if line.startswith("# ") else "" for line in text.splitlines() if line.startswith("#")]
    settings = "\n".join(comment).split("\n\n", 1)[1]  # below the prose
    nav = yaml.safe_load(text)
    return (
        f"site_name: Generated pages\ndocs_dir: {out.name}\nsite_dir: {site_dir}\n"
        "theme:\n  name: material\n  font: false\n"
        f"nav: {yaml.safe_dump(nav, default_flow_style=True)}\n{settings}\n"
    )


def test_generate_writes_the_assets_the_nav_fragment_names(make_repo, no_outer_repository, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": migration("a1")})
    out = tmp_path / "out"
    result = govsite("generate", str(repo), "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = (out / NAV_FILE).read_text(encoding="utf-8")
    assert "extra_css:" in text and "extra_javascript:" in text
    settings = yaml.unsafe_load(configuration_from_fragment(out))
    named = settings["extra_css"] + settings["extra_javascript"]
    assert f"{GENERATED_ASSETS}/govsite.css" in named
    assert f"{GENERATED_ASSETS}/mermaid/mermaid.min.js" in named
    assert not [uri for uri in named if not (out / uri).is_file()]


def test_generate_fail_on_error_exits_1_with_the_findings(make_repo, no_outer_repository, tmp_path):
    bad = migration("a1", upgrade='op.drop_table("accounts")')
    repo = make_repo({"alembic/versions/a1.py": bad})
    out = tmp_path / "out"
    result = govsite("generate", str(repo), "--out", str(out), "--fail-on", "error")
    assert result.returncode == 1, result.stderr
    assert "GOV201" in result.stderr
    assert (out / "governance" / "report.md").is_file(), "pages are written either way"
    assert govsite("generate", str(repo), "--out", str(out)).returncode == 0


@pytest.mark.slow
@pytest.mark.browser
def test_generated_pages_built_with_zensical_draw_the_graph_offline(tmp_path, page):
    zensical = shutil.which("zensical", path=str(Path(sys.executable).parent))
    assert zensical, "zensical is a test dependency (pip install -e '.[test]')"
    repo = make_example_history(tmp_path / "example-repo")
    out = tmp_path / "docs"
    result = govsite("generate", str(repo), "--out", str(out))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    config = tmp_path / "mkdocs.yml"
    config.write_text(configuration_from_fragment(out), encoding="utf-8")
    built = subprocess.run([zensical, "build", "-f", str(config)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    with serve_directory(site) as url:
        graph = visit(page, url + "governance/graph/")
        page.locator(".mermaid svg").first.wait_for(state="attached")
        assert page.locator("pre.mermaid").count() == 0, "a diagram was left as text"
        dashboard = visit(page, url + "governance/")
        page.wait_for_timeout(300)
    assert graph.outside_requests() == [] and dashboard.outside_requests() == []
    assert any(u.endswith("mermaid/mermaid.min.js") for u in graph.requests)
    assert any(u.endswith(f"{GENERATED_ASSETS}/govsite.css") for u in dashboard.requests)
