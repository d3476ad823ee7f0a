"""The MkDocs plugin `governance`: adds the generated governance pages to a MkDocs site.

```yaml
plugins:
  - search
  - governance:
      repository: .             # the team repository, relative to mkdocs.yml (default: .)
      config_file: govsite.toml # optional; default: the repository's govsite.toml / pyproject
      nav_section: Governance   # title of the section the index pages get in an explicit nav
      home: true                # add a home page when docs/ has no index.md
      fail_on: error            # ...and any govsite.toml key, overriding that file
      p0_indexes: [ix_events_created_at]
```

The plugin is a thin shell over `build.analyse`: it reads the repository once per build, fails
the build with every failing finding listed, and adds the pages in memory (nothing is written
into `docs/`). Only index-level pages go into the navigation: a nav listing every migration is
rendered into every page and would make the site quadratic in size.

The site is self-contained: the mermaid and tablesort bundles (carried by the wheel, or installed
in a checkout by `scripts/setup_assets.sh`) are served from the site itself, so no page fetches a
script from a CDN.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import posixpath
import re
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

from markupsafe import Markup, escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from ..cache import ParseCache
from ..config import Config, ConfigError
from .reuse import SharedRenders
from ..model import History
from ..paths import inside
from . import markup
from .build import Analysis, analyse, failure_message, resolve_config
from .front_end import OWN_ASSETS, SCRIPTS, STYLESHEETS, locate_assets, vendor_directory  # noqa: F401
from .output import static_prefix, tally_text

log = logging.getLogger("mkdocs.plugins.governance")

MIKE_VERSION_VARIABLE = "MIKE_DOCS_VERSION"  # set by `mike deploy` while it builds a version


class _PluginOptions(base.Config):
    """Options of the plugin itself; every govsite.toml key is accepted beside them."""

    repository = c.Type(str, default=".")
    config_file = c.Optional(c.Type(str))
    nav_section = c.Type(str, default="Governance")
    home = c.Type(bool, default=True)
    # set by `govsite build` and `serve`: the site is govsite's own, so the plugin publishes the
    # policy documents and makes the whole navigation (governance pages, policy documents, then
    # the docs folder's pages)
    standalone = c.Type(bool, default=False)


#: The govsite.toml keys, accepted as plugin options with the same names and meanings.
SETTINGS = tuple(f.name for f in dataclasses.fields(Config))


def _settings(self) -> dict[str, Any]:
    """The govsite.toml keys given in mkdocs.yml, for `config_from_mapping`."""
    return {name: self[name] for name in SETTINGS if self[name] is not None}


def _unknown(self) -> list[str]:
    """Keys that are neither plugin options nor govsite.toml keys (typos, mostly)."""
    known = {name for name, _ in type(self)._schema}
    return sorted(key for key in self.keys() if key not in known)


# One optional option per govsite.toml key, so an option means the same in mkdocs.yml as in
# govsite.toml. MkDocs only checks that a value is a string, list, table, boolean or number;
# `config_from_mapping` checks the rest. (Built with `type` because the names come from Config.)
GovernanceConfig = type(
    "GovernanceConfig",
    (_PluginOptions,),
    {
        "__doc__": "The plugin's own options plus every govsite.toml key.",
        "__module__": __name__,
        **{name: c.Optional(c.Type((str, list, dict, bool, int))) for name in SETTINGS},
        "settings": _settings,
        "unknown": _unknown,
    },
)


class GovernancePlugin(BasePlugin[GovernanceConfig]):
    """Check the repository, fail on findings, and publish the governance pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.preloaded: Optional[Analysis] = None  # set by `govsite build`, used once
        self.analysis: Optional[Analysis] = None
        self.root: Optional[Path] = None
        self.serving = False
        self.enforce = True  # False for a past release in a versioned build: shown, not enforced
        self.assets: dict[str, Path] = {}
        self.cache: Optional[ParseCache] = None  # kept across `mkdocs serve` rebuilds
        self.pinned_date = False
        self.site_name = ""  # as written; the theme gets an HTML-escaped copy
        self.shared: Optional[SharedRenders] = None  # set by a versioned build: pages it shares
        self.configuration_error: Optional[str] = None  # a page the theme cannot serve

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup also keeps this instance across `mkdocs serve` rebuilds.
        self.serving = command == "serve"

    def on_config(self, config):
        self._check_options()
        self._escape_site_name(config)
        self.root = self._repository_root(config)
        self._refuse_docs_outside(config)
        self.analysis = self.preloaded or self._analyse(config)
        self.preloaded = None
        self._fail_on_findings(self.analysis)
        self._extend_nav(config, list(self.analysis.nav))
        _select_versions_under_mike(config)
        self.assets = self._locate_assets(config)
        config.extra_css.extend(a.uri for a in STYLESHEETS if a.uri in self.assets)
        config.extra_javascript.extend(a.uri for a in SCRIPTS if a.uri in self.assets)
        self._pin_build_date(self.analysis.repo.history)
        return config

    def on_files(self, files: Files, *, config) -> Files:
        analysis = self.analysis
        dropped = _drop_files_outside(files, Path(config.docs_dir))
        if dropped:
            message = (
                f"governance: {', '.join(dropped)} in {config.docs_dir}: "
                f"{'a link' if len(dropped) == 1 else 'links'} leading outside the docs folder; "
                "not published"
            )
            if not self.serving:
                raise PluginError(message)
            log.warning(message)  # under serve the site stays up while it is fixed
        for page in analysis.pages:
            self._add(files, config, page.uri, content=page.content, in_nav=page.in_nav)
        if self.config.standalone:
            policies = self._add_policy_documents(files, config)
            config.nav = site_nav(analysis, policies, files)
        if self.config.home and not _has_home_page(files):
            self._add(files, config, "index.md", content=home_page(self.site_name, analysis))
        for uri, source in self.assets.items():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(source)))
        log.info(
            "governance: %d pages from %s (%s)", len(analysis.pages), self.root,
            tally_text(analysis.findings),
        )
        return files

    def on_pre_page(self, page, *, config, files):
        if self.shared is not None:
            self.shared.attach(page, config)
        return page

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:
        """The theme inserts a page's front matter title and description as HTML: on the
        repository's own pages they are escaped as on the generated ones."""
        if page.file.generated_by is None:
            for key in ("title", "description"):
                if isinstance(page.meta.get(key), str):
                    page.meta[key] = markup.safe_title(page.meta[key])
            self._check_template(page, config)
        return markdown

    def _check_template(self, page, config) -> None:
        """A page asking for a template the theme lacks (one from a team's own `custom_dir`)
        would stop the build with a bare `TemplateNotFound`; name the page instead."""
        from jinja2 import TemplateNotFound

        name = page.meta.get("template")
        if name is None:
            return
        try:
            config.theme.get_env().get_template(str(name))
        except TemplateNotFound:
            self.configuration_error = (
                f"{page.file.abs_src_path or page.file.src_uri}: front matter 'template: {name}' "
                f"names a template the '{config.theme.name}' theme does not have (a theme "
                "override of the docs' own site); remove the key, or build those docs with "
                "their own mkdocs.yml"
            )
            raise PluginError(f"governance: {self.configuration_error}") from None

    def on_page_content(self, html: str, *, page, config, files) -> str:
        """The repository's own pages (policy documents, runbooks) are sanitised like ADR text;
        links in the generated pages' team HTML, which MkDocs does not rewrite, are."""
        if page.file.generated_by is None:
            return markup.sanitise_html(html, images=True)
        return link_team_html(html, page.file, files)

    def on_post_build(self, *, config) -> None:
        self._unpin_build_date()

    def on_build_error(self, *, error) -> None:
        self._unpin_build_date()

    def on_serve(self, server, *, config, builder):
        for path in watched_paths(self.root, self.analysis, Path(config.site_dir)):
            server.watch(str(path))
        return server

    # ----------------------------------------------------------------------- helpers

    def _escape_site_name(self, config) -> None:
        """The theme inserts `site_name` as HTML in some places and escapes it in others; an
        escaped Markup value reads right in both."""
        if not isinstance(config.site_name, Markup):
            self.site_name = str(config.site_name)
            config.site_name = escape(self.site_name)

    def _check_options(self) -> None:
        """A misspelt option would silently do nothing (MkDocs only warns), so it is an error."""
        unknown = self.config.unknown()
        if unknown:
            known = ", ".join(name for name, _ in GovernanceConfig._schema)
            raise PluginError(
                f"governance: unknown option(s) {', '.join(map(repr, unknown))} (known: {known})"
            )

    def _repository_root(self, config) -> Path:
        root = (_config_dir(config) / self.config.repository).resolve()
        if not root.is_dir():
            raise PluginError(
                f"governance: repository not found: {root} "
                f"(the plugin's 'repository' option, relative to {_config_dir(config)})"
            )
        return root

    def _refuse_docs_outside(self, config) -> None:
        """A docs folder in the repository that is a link leading out of it would publish
        whatever it points at (MkDocs follows the link), so the build stops and names it."""
        docs = Path(config.docs_dir)
        named_root = Path(os.path.abspath(_config_dir(config) / self.config.repository))
        in_repository = _within(docs, named_root) or _within(docs, self.root)
        if in_repository and docs.is_dir() and not inside(self.root, docs):
            shown = os.path.relpath(docs, named_root if _within(docs, named_root) else self.root)
            raise PluginError(
                f"governance: the docs folder '{shown}' is a link leading outside the repository "
                f"{self.root}; nothing from it is published"
            )

    def _analyse(self, config) -> Analysis:
        explicit = self.config.config_file
        try:
            settings = resolve_config(
                self.root,
                (_config_dir(config) / explicit) if explicit else None,
                self.config.settings(),
                source=f"{config.config_file_path or 'mkdocs.yml'}: plugins.governance",
            )
        except ConfigError as exc:
            raise PluginError(f"governance: configuration error: {exc}") from None
        if self.cache is None:
            # info, not warning: a stale or unwritable cache must not fail `mkdocs build --strict`
            self.cache = ParseCache.for_repository(self.root, warn=log.info)
        try:
            analysis = analyse(self.root, settings, cache=self.cache)
        except ConfigError as exc:  # $GOVSITE_JOBS, read when the migrations are
            raise PluginError(f"governance: configuration error: {exc}") from None
        self.cache.save()
        return analysis

    def _pin_build_date(self, history: History) -> None:
        """Date this build by the repository's last commit instead of the clock.

        MkDocs stamps the sitemap (and its gzip header) with the build date unless
        SOURCE_DATE_EPOCH is set; taking the date from git makes two builds of one commit
        byte-identical. A SOURCE_DATE_EPOCH set by the caller is left alone.
        """
        epoch = last_commit_epoch(history)
        if epoch is not None and "SOURCE_DATE_EPOCH" not in os.environ:
            os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
            self.pinned_date = True

    def _unpin_build_date(self) -> None:
        if self.pinned_date:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
            self.pinned_date = False

    def _fail_on_findings(self, analysis: Analysis) -> None:
        """Fail `mkdocs build`; under `mkdocs serve` log instead, so the site stays up to fix it.

        A past release in a versioned build neither fails nor logs: its findings are on its
        validation report page, and the release cannot be changed any more.
        """
        failing = analysis.failing
        if not failing:
            return
        message = "governance: " + failure_message(failing, analysis.config)
        if not self.enforce:
            log.info(message)
            return
        if self.serving:
            log.error(message)
            return
        raise PluginError(message)

    def _extend_nav(self, config, fragment: list) -> None:
        """Add the index pages to an explicit `nav:` (an automatic nav finds them by itself)."""
        if config.nav is None or not fragment or _mentions_governance(config.nav):
            return
        entries = _section_entries(fragment)
        section = self.config.nav_section
        config.nav.extend([{section: entries}] if section else entries)

    def _add(self, files: Files, config, uri: str, *, content: str, in_nav: bool = False) -> None:
        if files.get_file_from_path(uri) is not None:
            log.warning("governance: docs/%s exists; keeping it instead of the generated page", uri)
            return
        inclusion = InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV
        files.append(File.generated(config, uri, content=content, inclusion=inclusion))

    def _add_policy_documents(self, files: Files, config) -> list[File]:
        """The policy documents read, as pages at their paths in the repository, so the links
        between them resolve; those a published docs folder holds are there already."""
        docs = Path(os.path.abspath(config.docs_dir))
        pages = []
        for document in sorted(self.analysis.repo.policies, key=lambda d: d.path):
            source = Path(os.path.abspath(self.root / document.path))
            published = _within(source, docs) and files.get_file_from_path(
                source.relative_to(docs).as_posix()
            )
            if published:
                pages.append(published)
            elif files.get_file_from_path(document.path) is None and source.is_file() \
                    and inside(self.root, source):
                file = File(document.path, str(self.root), config.site_dir, config.use_directory_urls)
                files.append(file)
                pages.append(file)
        return pages

    def _locate_assets(self, config) -> dict[str, Path]:
        return locate_assets(
            _config_dir(config) if config.config_file_path else None,
            lambda message: log.warning("governance: %s", message),
        )


def _select_versions_under_mike(config) -> None:
    """Under `mike deploy`, show mkdocs-material's version selector (unless mkdocs.yml sets one).

    mike builds each version with `MIKE_DOCS_VERSION` set and publishes a `versions.json`
    beside it; the theme reads that file only when `extra.version.provider` is `mike`. Setting
    it only then keeps a plain `mkdocs build` from asking for a file it does not have.
    """
    if os.environ.get(MIKE_VERSION_VARIABLE) and "version" not in config.extra:
        config.extra["version"] = {"provider": "mike"}


def last_commit_epoch(history: History) -> Optional[int]:
    """Seconds since the epoch of the newest commit that changed a file the site is built from."""
    dates = [f.last_changed.date for f in history.files.values() if f.last_changed is not None]
    return int(max(dates).timestamp()) if dates else None


def _drop_files_outside(files: Files, docs_dir: Path) -> list[str]:
    """Unpublish docs files that are links leading out of the docs folder; returns their names.

    MkDocs follows symlinks; a repository's `docs/notes.md -> /etc/...` must not put a file from
    elsewhere on the machine into the site.
    """
    dropped: list[str] = []
    root = docs_dir.resolve()
    for file in list(files):
        source = getattr(file, "abs_src_path", None)
        if not source or file.generated_by or not _within(Path(os.path.abspath(source)), docs_dir):
            continue  # generated, or a theme file: not one of the repository's docs
        try:
            Path(source).resolve().relative_to(root)
        except (ValueError, OSError, RuntimeError):
            files.remove(file)
            dropped.append(file.src_uri)
    return dropped


def _within(path: Path, folder: Path) -> bool:
    return path.is_relative_to(Path(os.path.abspath(folder)))


def _config_dir(config) -> Path:
    """Where relative paths in mkdocs.yml start: its own directory (else the working one)."""
    return Path(config.config_file_path).parent if config.config_file_path else Path.cwd()


def watched_paths(root: Path, analysis: Analysis, site_dir: Path) -> list[Path]:
    """The inputs `mkdocs serve` must rebuild on: migration folders, ADRs, register, policies.

    Directories are derived from the configured globs (the part before the first wildcard) and
    from where migrations were actually found; a path that would contain the built site is left
    out, or every rebuild would trigger the next one.
    """
    config = analysis.config
    patterns = list(config.adrs) + list(config.policies) + list(config.ci) + [config.exceptions]
    candidates = {root / static_prefix(p) for p in patterns}
    candidates |= {(root / m.path).parent for m in analysis.repo.migrations}
    candidates |= {root / name for name in ("alembic.ini", "govsite.toml", "pyproject.toml")}
    site_dir = site_dir.resolve()
    keep: list[Path] = []
    for path in sorted(p.resolve() for p in candidates):
        if not path.exists() or path == root or site_dir.is_relative_to(path):
            continue
        if any(path.is_relative_to(parent) for parent in keep):
            continue  # already watched through its directory (sorted: parents come first)
        keep.append(path)
    return keep


def site_nav(analysis: Analysis, policies: list[File], files: Files) -> list:
    """The navigation of a site govsite owns: the governance index pages in their one reading
    order (`pages.INDEX_PAGES`), the policy documents, then the docs' own pages.

    Pages of the repository are listed without titles: MkDocs takes each from the page, through
    the same escaping as everywhere else (the theme inserts a nav title as HTML).
    """
    nav = list(_section_entries(list(analysis.nav)))
    nav += [file.src_uri for file in policies]
    listed = {file.src_uri for file in policies}
    own = sorted(
        f.src_uri for f in files.documentation_pages()
        if f.generated_by is None and f.src_uri not in listed
    )
    if own:
        nav.append({"Documentation": _folder_nav(own)})
    return nav


def _folder_nav(uris: list[str], prefix: str = "") -> list:
    """Pages grouped by folder (titled by its name), a folder's `index.md` first."""
    pages: list = []
    folders: dict[str, list[str]] = {}
    for uri in uris:
        head, _, rest = uri.partition("/")
        if rest:
            folders.setdefault(head, []).append(rest)
        else:
            pages.append(prefix + uri)
    pages.sort(key=lambda uri: (not uri.endswith("index.md"), uri))
    for folder, inner in sorted(folders.items()):
        title = markup.safe_title(folder.replace("-", " ").replace("_", " ").capitalize())
        pages.append({title: _folder_nav(inner, f"{prefix}{folder}/")})
    return pages


def _section_entries(fragment: list) -> list:
    """The entries of a fragment that is one titled section, else the fragment itself."""
    if len(fragment) == 1 and isinstance(fragment[0], dict) and len(fragment[0]) == 1:
        (entries,) = fragment[0].values()
        if isinstance(entries, list):
            return entries
    return fragment


def _mentions_governance(nav: Any) -> bool:
    """True when a hand-written nav already places the generated pages itself."""
    if isinstance(nav, str):
        return nav.startswith("governance/")
    if isinstance(nav, dict):
        return any(_mentions_governance(v) for v in nav.values())
    if isinstance(nav, list):
        return any(_mentions_governance(v) for v in nav)
    return False


_MARKDOWN_LINK = re.compile(r'\b(href|src)="([^"#:?]+\.md)(#[^"]*)?"')


def link_team_html(html: str, page_file: File, files: Files) -> str:
    """`html` with links to Markdown pages (`../adrs/ADR-015.md`) pointed at their URLs.

    Team-written text reaches a generated page as sanitised HTML, where MkDocs rewrites no link;
    links MkDocs did rewrite no longer end in `.md`, and a target with no page is left alone.
    """
    if ".md" not in html:
        return html

    def relink(match: re.Match) -> str:
        attribute, target, anchor = match.groups()
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page_file.src_uri), unquote(target)))
        linked = files.get_file_from_path(path)
        if linked is None:
            return match.group(0)
        return f'{attribute}="{markup.html_attr(linked.url_relative_to(page_file))}{anchor or ""}"'

    return _MARKDOWN_LINK.sub(relink, html)


def _has_home_page(files: Files) -> bool:
    """MkDocs takes `index.md`, else `README.md`, as the page at the site's root."""
    return any(files.get_file_from_path(name) is not None for name in ("index.md", "README.md"))


def home_page(site_name: str, analysis: Analysis) -> str:
    """A landing page for a site whose docs have no `index.md`: links to the index pages."""
    lines = [f"# {markup.md_text(site_name)}", "", "Governance pages of this repository:", ""]
    lines += _nav_links(list(analysis.nav), depth=0)
    return "\n".join(lines) + "\n"


def _nav_links(entries: list, depth: int) -> list[str]:
    lines = []
    indent = "    " * depth
    for entry in entries:
        if isinstance(entry, str):
            lines.append(f"{indent}- [{entry}]({entry})")
            continue
        for title, target in dict(entry).items():
            if isinstance(target, list):
                lines.append(f"{indent}- {_escape_markdown(title)}")
                lines += _nav_links(target, depth + 1)
            else:
                lines.append(f"{indent}- [{_escape_markdown(title)}]({target})")
    return lines


def _escape_markdown(text: str) -> str:
    from html import escape

    return escape(str(text)).replace("[", "&#91;").replace("]", "&#93;")


__all__ = ["GovernanceConfig", "GovernancePlugin", "vendor_directory", "watched_paths"]
