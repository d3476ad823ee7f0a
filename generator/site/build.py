"""The engine behind `govsite generate`, `build` and `serve` and the MkDocs plugin.

The same engine serves every builder. `analyse` reads the repository, runs the rules and renders
the pages once; the MkDocs plugin adds those pages to a site, `generate` writes them as plain
Markdown files (for builders that run no MkDocs plugins), and `build`/`serve` drive MkDocs
in-process with a default configuration for a repository that has no `mkdocs.yml` of its own.

A build writes into a fresh directory beside the target and swaps it in only when everything
succeeded, so a failed build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import yaml

from ..cache import ParseCache
from ..config import Config, ConfigError, config_from_mapping, load_config
from ..model import Finding, Repository, record
from .front_end import SCRIPTS, SITE_ASSETS, STYLESHEETS, locate_assets
from .reuse import SharedRenders
from .output import (
    check_site_dir,
    owned_temporary_directory,
    start_staging,
    swap_in,
)
from ..terminal import Progress, clear_progress

NAV_FILE = "governance/nav.yml"
GENERATED_ASSETS = "governance/assets"  # the CSS and scripts `generate` writes beside the pages
PLUGIN_NAME = "governance"


# --------------------------------------------------------------------------- the shared engine


@record
class Analysis:
    """Everything one build needs: what was read, what the rules found, the pages to publish."""

    repo: Repository
    config: Config
    findings: tuple[Finding, ...]
    pages: tuple[Any, ...]  # generator.site.pages.GeneratedPage
    nav: tuple[Any, ...]  # MkDocs nav entries of the index-level pages

    @property
    def failing(self) -> list[Finding]:
        from ..rules import failing

        return failing(self.findings, self.config)


def resolve_config(
    root: Path,
    config_file: Optional[Path] = None,
    options: Optional[Mapping[str, Any]] = None,
    fail_on: Optional[str] = None,
    source: str = "options",
) -> Config:
    """The repository's configuration: a file (or its own govsite.toml), then overrides.

    Overrides (`options`, `fail_on`) replace only the keys they name, so a plugin block can
    tighten one setting of a team's govsite.toml without repeating the rest.
    """
    config = load_config(root, config_file)
    overrides = dict(options or {})
    if fail_on is not None:
        overrides["fail_on"] = fail_on
    if not overrides:
        return config
    parsed = config_from_mapping(overrides, source)
    names = {key.replace("-", "_") for key in overrides}
    return dataclasses.replace(config, **{name: getattr(parsed, name) for name in names})


def analyse(
    root: Path,
    config: Config,
    progress: Optional[Progress] = None,
    *,
    history_from: Optional[tuple[Path, str]] = None,
    cache: Optional[ParseCache] = None,
) -> Analysis:
    """Read, check and render: the one pipeline behind the plugin and every subcommand.

    `history_from` and `cache` serve versioned builds: a release read from a folder of git
    objects takes its dates from the repository walked from its tag, and one parse cache
    shared by every version parses a file that several versions hold only once.
    """
    from ..rules import run_rules
    from ..sources import load_repository
    from .pages import build_pages, nav_fragment

    say = progress or (lambda message: None)
    say("reading repository…")
    repo = load_repository(
        root, config, with_history=True, history_from=history_from, cache=cache
    )
    say(f"checking {len(repo.migrations)} migrations…")
    findings = tuple(run_rules(repo, config))
    say("rendering pages…")
    pages = build_pages(repo, list(findings), config)
    return Analysis(repo, config, findings, tuple(pages), tuple(nav_fragment(pages)))


def finding_line(f: Finding) -> str:
    """`path:line: CODE name message`, on one line whatever the message quotes."""
    from ..report import printable

    loc = f.location
    return printable(f"{loc.path}:{loc.line}: {f.rule} {f.name} {f.message}")


def failure_message(failing: Sequence[Finding], config: Config) -> str:
    """The text a failed build shows: a count, then every failing finding on its own line."""
    level = config.fail_on.value
    head = f"{len(failing)} finding(s) at or above the fail level '{level}':"
    return "\n".join([head, *(f"  {finding_line(f)}" for f in failing)])


# --------------------------------------------------------------------------- govsite generate


def write_pages(
    analysis: Analysis, out: Path, warn: Callable[[str], None] = lambda message: None
) -> list[Path]:
    """Write every page under `out`, the CSS and scripts they need under `governance/assets/`
    and the navigation fragment as `governance/nav.yml`.

    `out/governance/` is generated output: it is replaced as a whole, but only when an earlier
    run wrote it (its `nav.yml` is there); a folder of that name holding anything else is the
    team's own and is refused (`ValueError`), never deleted.

    The result is plain Markdown that any MkDocs-compatible builder (MkDocs, Zensical) can
    publish: the fragment's comment says what to add to the site's own configuration.
    """
    generated = out / Path(NAV_FILE).parent
    if generated.is_symlink() or (generated.exists() and not generated.is_dir()):
        raise ValueError(f"{generated} is not a folder govsite generated; remove it or choose another --out")
    if generated.is_dir():
        if any(generated.iterdir()) and not (out / NAV_FILE).is_file():
            raise ValueError(
                f"{generated} holds files govsite did not generate (no {NAV_FILE}); "
                "remove it or choose another --out"
            )
        shutil.rmtree(generated)  # pages of removed migrations must not linger
    written = []
    for page in analysis.pages:
        target = out / page.uri
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.content, encoding="utf-8")
        written.append(target)
    settings = page_settings()
    for uri, source in generated_assets(warn).items():
        target = out / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    nav_path = out / NAV_FILE
    nav_path.parent.mkdir(parents=True, exist_ok=True)
    nav_path.write_text(
        nav_instructions(settings)
        + yaml.safe_dump(list(analysis.nav), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    written.append(nav_path)
    return written


def generated_assets(warn: Callable[[str], None] = lambda message: None) -> dict[str, Path]:
    """The files `generate` writes beside the pages (badge CSS, mermaid, tablesort), by their
    path under OUT, and where each comes from."""
    return {_generated_uri(uri): source for uri, source in locate_assets(None, warn).items()}


def _generated_uri(uri: str) -> str:
    """`assets/govsite/govsite.css` (as the plugin serves it) -> `governance/assets/govsite.css`."""
    return GENERATED_ASSETS + uri[len(SITE_ASSETS):]


def page_settings() -> dict[str, Any]:
    """What a site's configuration needs so the generated pages render as in `govsite build`:
    the assets as `extra_css`/`extra_javascript` (paths relative to the docs folder holding
    OUT's content) and the Markdown extensions the pages are written for."""
    return {
        "extra_css": [_generated_uri(a.uri) for a in STYLESHEETS],
        "extra_javascript": [_generated_uri(a.uri) for a in SCRIPTS],
        "markdown_extensions": markdown_extensions(),
    }


def nav_instructions(settings: Mapping[str, Any]) -> str:
    """The comment heading nav.yml: where its entries go and what else the pages need."""
    lines = [
        "The governance pages govsite generated. Add the entries below to the `nav:` of your",
        "site's configuration (mkdocs.yml, which Zensical reads too), and these settings, so the",
        "pages render with their badges, sortable tables and diagrams and make no outside",
        "request (paths are relative to the docs folder that holds governance/; mkdocs-material",
        "and Zensical also need `font: false` under `theme:`, or they load Google Fonts):",
        "",
        # a function is dumped as `!!python/name:module.name ''`; MkDocs writes it bare
        *(line.removesuffix(" ''") for line in yaml.dump(dict(settings), sort_keys=False).splitlines()),
    ]
    return "".join(f"# {line}".rstrip() + "\n" for line in lines) + "\n"


# --------------------------------------------------------------------------- the default site


def default_site_config(
    root: Path,
    docs_dir: Path,
    site_dir: Path,
    config: Config,
    config_file: Optional[Path] = None,
    fail_on: Optional[str] = None,
) -> dict[str, Any]:
    """The MkDocs configuration `govsite build` and `serve` use for a repository without one."""
    plugin: dict[str, Any] = {"repository": str(root.resolve()), "standalone": True}
    if config_file is not None:
        plugin["config_file"] = str(Path(config_file).resolve())
    if fail_on is not None:
        plugin["fail_on"] = fail_on
    return {
        "site_name": config.site_name,
        "docs_dir": os.path.abspath(docs_dir),  # as named: the plugin refuses one linked outside
        "site_dir": str(site_dir.resolve()),
        "theme": {
            "name": "material",
            "font": False,
            "features": [
                "navigation.indexes",
                "navigation.top",
                "search.highlight",
                "content.code.copy",
                "content.tabs.link",
            ],
        },
        "plugins": ["search", "tags", {PLUGIN_NAME: plugin}],
        "markdown_extensions": markdown_extensions(),
        "exclude_docs": "\n".join(
            [*OTHER_SITE_CONFIGURATION, adr_sources_in_docs(root, docs_dir, config)]
        ),
        **({"site_url": config.site_url} if config.site_url else {}),  # sitemap, canonical links
    }


#: A docs folder's configuration for its own site builders: not pages of this one.
OTHER_SITE_CONFIGURATION = ("mkdocs.yml", "mkdocs.yaml", "mkdocs-*.yml", "mkdocs-*.yaml", "mkdocs.*.yml")


def adr_sources_in_docs(root: Path, docs_dir: Path, config: Config) -> str:
    """`exclude_docs` patterns for the ADR files under the repository's own docs folder.

    The generated ADR pages show every decision with its status and backlinks; publishing the
    source files as well would put one navigation entry per ADR on every page, which makes the
    site grow with the square of the number of decisions.
    """
    try:
        prefix = docs_dir.resolve().relative_to(root.resolve()).as_posix() + "/"
    except ValueError:
        return ""
    patterns = [p[len(prefix):] for p in config.adrs if p.startswith(prefix)]
    return "\n".join("/" + p for p in patterns)


def markdown_extensions() -> list[Any]:
    """The Markdown extensions the generated pages are written for, with their options.

    Taken from `markup`, which renders with the same list when it checks its escaping, so the
    default site and the escaping cannot disagree about what the Markdown means.
    """
    from .markup import SITE_MARKDOWN_EXTENSIONS, site_markdown_configs

    configs = site_markdown_configs()
    return [
        {name: configs[name]} if name in configs else name for name in SITE_MARKDOWN_EXTENSIONS
    ]


@contextlib.contextmanager
def site_config_file(settings: Mapping[str, Any]) -> Iterator[Path]:
    """A temporary `mkdocs.yml` holding `settings` (MkDocs' serve re-reads it on every rebuild).

    The full YAML dumper writes functions as `!!python/name:` tags, which MkDocs' loader reads.
    """
    with owned_temporary_directory("govsite-mkdocs-") as tmp:
        path = Path(tmp) / "mkdocs.yml"
        path.write_text(yaml.dump(dict(settings), sort_keys=False), encoding="utf-8")
        yield path


@contextlib.contextmanager
def docs_directory(root: Path, config: Config) -> Iterator[Path]:
    """The repository's docs folder when `docs_dir` (or `--with-docs`) asks for it, else an
    empty temporary one: by default a site holds only what govsite owns, the governance pages
    and the policy documents it read, never a team's unrelated pages."""
    if config.docs_dir is not None:
        yield own_docs_folder(root, config.docs_dir)
        return
    with owned_temporary_directory("govsite-docs-") as tmp:
        yield Path(tmp)


def own_docs_folder(root: Path, name: str) -> Path:
    """`root/name`, which must be a folder of the repository (`ConfigError` otherwise)."""
    folder = Path(os.path.abspath(root / name))  # as named: the plugin refuses one linked outside
    if not folder.is_relative_to(os.path.abspath(root)):
        raise ConfigError(
            f"docs_dir '{name}' lies outside the repository {root}; only the repository's own "
            "folders are published"
        )
    if not folder.is_dir():
        raise ConfigError(
            f"docs_dir '{name}': no such folder in {root} (it names the docs published with "
            "the governance pages; leave it unset to publish only those)"
        )
    return folder


# --------------------------------------------------------------------------- govsite build


class SiteBuildError(Exception):
    """MkDocs could not build the site; `configuration` says whether configuration was to blame."""

    def __init__(self, message: str, configuration: bool = False):
        super().__init__(message)
        self.configuration = configuration


def build_site(
    root: Path,
    target: Path,
    analysis: Optional[Analysis] = None,
    *,
    config_file: Optional[Path] = None,
    fail_on: Optional[str] = None,
    extra: Optional[Mapping[str, Any]] = None,
    enforce: bool = True,
    force: bool = False,
    shared: Optional[SharedRenders] = None,
) -> None:
    """Build the default site of `root` into `target`, atomically.

    The site is built into a sibling directory and swapped in afterwards; on any failure the
    sibling is removed and `target` is not touched. A `target` that is not a site govsite
    built raises `SiteDirError` (see `output.check_site_dir`; `force` replaces a non-empty
    folder anyway). A ready `analysis` is handed to the plugin
    so the repository is not read twice. `extra` becomes the MkDocs `extra` section (a
    versioned build sets the version selector there); `enforce=False` publishes findings at
    the fail level instead of failing (a past release in a versioned build); `shared` lets the
    versions of one versioned build take each other's rendered pages (`reuse`).
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config as load_mkdocs_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config = analysis.config if analysis else resolve_config(root, config_file, fail_on=fail_on)
    target = Path(target).resolve()
    check_site_dir(root, target, config, config_file=config_file, force=force)
    staging = start_staging(target)
    try:
        with docs_directory(root, config) as docs_dir, mkdocs_logging():
            settings = default_site_config(
                root, docs_dir, staging.path, config, config_file, fail_on
            )
            if extra:
                settings["extra"] = dict(extra)
            with site_config_file(settings) as mkdocs_yml:
                try:
                    mkdocs_config = load_mkdocs_config(str(mkdocs_yml))
                except (ConfigurationError, Abort) as exc:
                    raise SiteBuildError(f"MkDocs configuration: {exc}", True) from None
                plugin = mkdocs_config.plugins[PLUGIN_NAME]
                plugin.enforce = enforce
                if analysis is not None:
                    plugin.preloaded = analysis
                plugin.shared = shared
                try:
                    build(mkdocs_config)
                except Abort as exc:
                    if plugin.configuration_error:
                        raise SiteBuildError(plugin.configuration_error, True) from None
                    raise SiteBuildError(str(exc) or "MkDocs aborted the build") from None
                except (OSError, UnicodeError, ValueError, RecursionError) as exc:
                    # a page MkDocs itself cannot read (MkDocs logs which one just before)
                    raise SiteBuildError(
                        f"MkDocs could not build the site: {type(exc).__name__}: {exc}"
                    ) from None
        swap_in(staging, target)
    except BaseException:
        staging.remove()
        raise


class _ProgressAwareHandler(logging.StreamHandler):
    """Clears the progress line before a message, so the two never share a line."""

    def emit(self, record: logging.LogRecord) -> None:
        clear_progress()
        super().emit(record)


@contextlib.contextmanager
def mkdocs_logging(level: int = logging.WARNING) -> Iterator[None]:
    """Show MkDocs' own warnings on stderr while it runs in-process, as its command line would."""
    logger = logging.getLogger("mkdocs")
    handler = _ProgressAwareHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    handler.setLevel(level)
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(min(level, previous_level or level))
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate


__all__ = [
    "Analysis",
    "SiteBuildError",
    "analyse",
    "build_site",
    "default_site_config",
    "failure_message",
    "finding_line",
    "markdown_extensions",
    "mkdocs_logging",
    "resolve_config",
    "write_pages",
]
