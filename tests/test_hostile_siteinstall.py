"""Breaks of `govsite build` on repositories whose docs are written for another site, each test
the reproduction of one."""

from __future__ import annotations

from conftest import govsite, migration


def test_docs_page_asking_for_a_custom_theme_template_is_a_clear_error(make_repo, no_outer_repository, tmp_path):
    """A docs folder made for a site with a theme override (`custom_dir`) asked for
    `home.html`, and `govsite build` died with `TemplateNotFound: 'home.html'`."""
    repo = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "docs/index.md": "---\ntemplate: home.html\ntitle: Welcome\n---\n\n# Welcome\n",
    })
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "TemplateNotFound" not in result.stderr
    assert "index.md" in result.stderr and "home.html" in result.stderr
    assert not site.exists()


def test_custom_theme_template_is_not_read_without_with_docs(make_repo, no_outer_repository, tmp_path):
    """The same repository builds by default: its docs folder is not published at all."""
    repo = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "docs/index.md": "---\ntemplate: home.html\n---\n\n# Welcome\n",
    })
    result = govsite("build", str(repo), "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr


def test_with_docs_and_no_docs_folder_is_a_configuration_error(make_repo, no_outer_repository, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": migration("a1")})
    result = govsite("build", str(repo), "--site-dir", str(tmp_path / "site"), "--with-docs")
    assert result.returncode == 2
    assert "docs_dir 'docs'" in result.stderr and "Traceback" not in result.stderr


def test_docs_folder_named_as_markup_is_shown_as_text_in_the_navigation(make_repo, no_outer_repository, tmp_path):
    """The navigation titles a docs section by its folder's name, and the theme inserts nav
    titles as HTML: a folder named `<img src=x onerror=...>` became an element on every page."""
    folder = "<img src=x onerror=alert(1)>"
    repo = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        f"docs/{folder}/notes.md": "# Notes\n",
    })
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site), "--with-docs")
    assert result.returncode == 0, result.stderr
    dashboard = (site / "governance" / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in dashboard, "the section is not in the navigation"
    assert "<img src=x onerror" not in dashboard


def test_docs_dir_leading_out_of_the_repository_is_refused(make_repo, no_outer_repository, tmp_path):
    """`docs_dir = "../elsewhere"` published a folder outside the repository."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.md").write_text("# OUTSIDE-SECRET\n", encoding="utf-8")
    repo = make_repo({
        "alembic/versions/a1.py": migration("a1"),
        "govsite.toml": 'docs_dir = "../elsewhere"\n',
    })
    site = tmp_path / "site"
    result = govsite("build", str(repo), "--site-dir", str(site))
    assert result.returncode == 2, result.stderr
    assert "docs_dir '../elsewhere' lies outside the repository" in result.stderr
    assert "Traceback" not in result.stderr and not site.exists()
