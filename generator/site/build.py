"""Building the governance site from the command line: `govsite generate`, `build` and `serve`.

The same engine serves every builder. `analyse` reads the repository, runs the rules and renders
the pages once; the MkDocs plugin adds those pages to a site, `generate` writes them as plain
Markdown files (for builders that run no MkDocs plugins), and `build`/`serve` drive MkDocs
in-process with a default configuration for a repository that has no `mkdocs.yml` of its own.

A build writes into a fresh directory beside the target and swaps it in only when everything
succeeded, so a failed build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import yaml

from ..cache import ParseCache
from ..config import Config, ConfigError, config_from_mapping, load_config
from ..model import Finding, Repository, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG = 0, 1, 2

NAV_FILE = "governance/nav.yml"
PLUGIN_NAME = "governance"


# --------------------------------------------------------------------------- the shared engine


@dataclass(frozen=True)
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


Progress = Callable[[str], None]


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


def write_pages(analysis: Analysis, out: Path) -> list[Path]:
    """Write every page under `out` and the navigation fragment as `governance/nav.yml`.

    `out/governance/` is generated output: it is replaced as a whole.

    The result is plain Markdown that any MkDocs-compatible builder can publish: add the
    fragment's entries to the `nav:` of the site's own configuration.
    """
    generated = out / Path(NAV_FILE).parent
    if generated.is_dir():
        shutil.rmtree(generated)  # pages of removed migrations must not linger
    written = []
    for page in analysis.pages:
        target = out / page.uri
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.content, encoding="utf-8")
        written.append(target)
    nav_path = out / NAV_FILE
    nav_path.parent.mkdir(parents=True, exist_ok=True)
    nav_path.write_text(
        yaml.safe_dump(list(analysis.nav), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    written.append(nav_path)
    return written


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="repository to read (default: .)")
    parser.add_argument(
        "--out", required=True, type=Path,
        help="directory to write the Markdown pages into (pages go under OUT/governance/)",
    )
    _add_config_arguments(parser)


def run_generate(args: argparse.Namespace) -> int:
    """`govsite generate REPO --out DIR`: the site's pages as plain files; never fails on findings.

    Writing pages is how a reader looks at findings, so findings do not stop it; `govsite
    validate` and the site build are the gates.
    """
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    root, config = prepared
    analysis = analyse(root, config, _progress_printer())
    write_pages(analysis, Path(args.out))
    _clear_progress()
    print(
        f"wrote {len(analysis.pages)} pages and {NAV_FILE} under {args.out} "
        f"({_tally_text(analysis.findings)})",
        file=sys.stderr,
    )
    return EXIT_OK


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
    plugin: dict[str, Any] = {"repository": str(root.resolve())}
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
        "exclude_docs": adr_sources_in_docs(root, docs_dir, config),
    }


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
    with tempfile.TemporaryDirectory(prefix="govsite-mkdocs-") as tmp:
        path = Path(tmp) / "mkdocs.yml"
        path.write_text(yaml.dump(dict(settings), sort_keys=False), encoding="utf-8")
        yield path


@contextlib.contextmanager
def docs_directory(root: Path) -> Iterator[Path]:
    """The repository's own `docs/` when it has one, else an empty temporary directory."""
    own = root / "docs"
    if own.is_dir():
        yield own
        return
    with tempfile.TemporaryDirectory(prefix="govsite-docs-") as tmp:
        yield Path(tmp)


# --------------------------------------------------------------------------- govsite build


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="repository to read (default: .)")
    parser.add_argument(
        "--site-dir", type=Path, default=None,
        help="where the site goes (default: REPO/site); replaced only when the build succeeds",
    )
    parser.add_argument(
        "--versions", action="store_true",
        help="one site version per release tag plus the working tree as 'dev', with mike's "
        "versions.json and a 'latest' alias; only 'dev' can fail the build",
    )
    parser.add_argument(
        "--tag-pattern", default=None, metavar="GLOB",
        help="release tags that become versions (default: tag_pattern from the "
        "configuration, v*); needs --versions",
    )
    _add_config_arguments(parser)


def run_build(args: argparse.Namespace) -> int:
    """`govsite build`: check, render and publish; exit 1 on failing findings, 2 on bad config."""
    started = time.monotonic()
    if args.tag_pattern and not args.versions:
        return _usage_error("--tag-pattern needs --versions")
    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    root, config = prepared
    if args.versions:
        from .versions import run_versioned_build

        return run_versioned_build(args, root, config)
    target = Path(args.site_dir) if args.site_dir else root / "site"
    progress = _progress_printer()
    cache = ParseCache.for_repository(root)
    analysis = analyse(root, config, progress, cache=cache)
    cache.save()
    failing = analysis.failing
    if failing:
        _clear_progress()
        print(failure_message(failing, config), file=sys.stderr)
        print(f"build failed ({_tally_text(analysis.findings)}); {target} left unchanged",
              file=sys.stderr)
        return EXIT_FINDINGS
    progress(f"building site ({len(analysis.pages)} pages)…")
    try:
        build_site(root, target, analysis, config_file=args.config, fail_on=args.fail_on)
    except SiteBuildError as exc:
        _clear_progress()
        print(f"build failed: {exc}; {target} left unchanged", file=sys.stderr)
        return exc.exit_code
    _clear_progress()
    print(
        f"built {target}: {len(analysis.pages)} governance pages, "
        f"{_tally_text(analysis.findings)}, {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


class SiteBuildError(Exception):
    """MkDocs could not build the site; `exit_code` says whether configuration was to blame."""

    def __init__(self, message: str, exit_code: int = EXIT_FINDINGS):
        super().__init__(message)
        self.exit_code = exit_code


def build_site(
    root: Path,
    target: Path,
    analysis: Optional[Analysis] = None,
    *,
    config_file: Optional[Path] = None,
    fail_on: Optional[str] = None,
    extra: Optional[Mapping[str, Any]] = None,
    enforce: bool = True,
) -> None:
    """Build the default site of `root` into `target`, atomically.

    The site is built into a sibling directory and swapped in afterwards; on any failure the
    sibling is removed and `target` is not touched. A ready `analysis` is handed to the plugin
    so the repository is not read twice. `extra` becomes the MkDocs `extra` section (a
    versioned build sets the version selector there); `enforce=False` publishes findings at
    the fail level instead of failing (a past release in a versioned build).
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config as load_mkdocs_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config = analysis.config if analysis else resolve_config(root, config_file, fail_on=fail_on)
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        with docs_directory(root) as docs_dir, _mkdocs_logging():
            settings = default_site_config(root, docs_dir, staging, config, config_file, fail_on)
            if extra:
                settings["extra"] = dict(extra)
            with site_config_file(settings) as mkdocs_yml:
                try:
                    mkdocs_config = load_mkdocs_config(str(mkdocs_yml))
                except (ConfigurationError, Abort) as exc:
                    raise SiteBuildError(f"MkDocs configuration: {exc}", EXIT_CONFIG) from None
                plugin = mkdocs_config.plugins[PLUGIN_NAME]
                plugin.enforce = enforce
                if analysis is not None:
                    plugin.preloaded = analysis
                try:
                    build(mkdocs_config)
                except Abort as exc:
                    raise SiteBuildError(str(exc) or "MkDocs aborted the build") from None
                except (OSError, UnicodeError, ValueError, RecursionError) as exc:
                    # a page MkDocs itself cannot read (MkDocs logs which one just before)
                    raise SiteBuildError(
                        f"MkDocs could not build the site: {type(exc).__name__}: {exc}"
                    ) from None
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames, so no reader sees a half-built site."""
    if not target.exists():
        staging.rename(target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# --------------------------------------------------------------------------- govsite serve


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", nargs="?", default=".", help="repository to read (default: .)")
    parser.add_argument(
        "--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
        help="address to serve on (default: 127.0.0.1:8000)",
    )
    _add_config_arguments(parser)


def run_serve(args: argparse.Namespace) -> int:
    """`govsite serve`: the default site with live reload on every migration, ADR or policy edit.

    Findings do not stop the server: they are logged and shown on the validation report page,
    so a fix shows up in the browser as soon as the file is saved.
    """
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import Abort, ConfigurationError

    prepared = _prepare(args)
    if isinstance(prepared, int):
        return prepared
    root, config = prepared
    with docs_directory(root) as docs_dir, tempfile.TemporaryDirectory() as unused_site:
        settings = default_site_config(
            root, docs_dir, Path(unused_site), config, args.config, args.fail_on
        )
        with site_config_file(settings) as mkdocs_yml, _mkdocs_logging(logging.INFO):
            try:
                serve(config_file=str(mkdocs_yml), dev_addr=args.dev_addr, livereload=True)
            except (ConfigurationError, Abort) as exc:
                print(f"serve failed: {exc}", file=sys.stderr)
                return EXIT_CONFIG
    return EXIT_OK


# --------------------------------------------------------------------------- shared CLI bits


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, metavar="FILE",
        help="configuration file (default: REPO/govsite.toml, else [tool.govsite] in pyproject.toml)",
    )
    parser.add_argument(
        "--fail-on", choices=[s.value for s in Severity], default=None,
        help="lowest severity that fails the build (default: from the configuration, error)",
    )


def _prepare(args: argparse.Namespace) -> "tuple[Path, Config] | int":
    """The repository root and its configuration, or the exit status of a usage error."""
    root = Path(args.repo)
    if not root.is_dir():
        return _usage_error(f"{args.repo}: no such directory")
    try:
        return root, resolve_config(root, args.config, fail_on=args.fail_on)
    except ConfigError as exc:
        return _usage_error(str(exc))


def _usage_error(message: str) -> int:
    _clear_progress()
    print(f"govsite: error: {message}", file=sys.stderr)
    return EXIT_CONFIG


def _tally_text(findings: Sequence[Finding]) -> str:
    from ..report import plural, tally

    counts = tally(findings)
    return f"{plural(counts.errors, 'error')}, {plural(counts.warnings, 'warning')}"


def _progress_printer() -> Progress:
    """Progress on one terminal line of stderr; silent when stderr is not a terminal (CI logs)."""
    if not sys.stderr.isatty():
        return lambda message: None

    def show(message: str) -> None:
        sys.stderr.write(f"\r\033[Kgovsite: {message}")
        sys.stderr.flush()

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


class _ProgressAwareHandler(logging.StreamHandler):
    """Clears the progress line before a message, so the two never share a line."""

    def emit(self, record: logging.LogRecord) -> None:
        _clear_progress()
        super().emit(record)


@contextlib.contextmanager
def _mkdocs_logging(level: int = logging.WARNING) -> Iterator[None]:
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


class GENERATE:
    """`govsite generate`: the governance pages as plain Markdown files."""

    DESCRIPTION = """\
Write the generated governance pages (dashboard, migrations, revision graph, ADRs, exceptions,
quarterly reviews, rules reference, validation report) as Markdown files under OUT/governance/,
and a navigation fragment OUT/governance/nav.yml to paste into a mkdocs.yml `nav:`. Any
MkDocs-compatible builder can publish them, including builders that run no MkDocs plugins."""

    EPILOG = """\
examples:
  govsite generate . --out docs-generated
  govsite generate path/to/repo --out build/pages"""

    add_arguments = staticmethod(add_generate_arguments)
    run = staticmethod(run_generate)


class BUILD:
    """`govsite build`: the whole site for a repository without a mkdocs.yml of its own."""

    DESCRIPTION = """\
Check the repository and build its governance site with a default MkDocs configuration
(mkdocs-material, the repository's own docs/ if it has one, plus the generated pages). The site
is built beside SITE_DIR and swapped in only when the build succeeds: a failed build leaves the
previous site exactly as it was.

With --versions, SITE_DIR gets one site per release tag (read from git objects, the working
tree untouched) plus the working tree as dev/, a latest/ alias of the newest release and mike's
versions.json, so mkdocs-material's version selector works when the folder is served as it
is. Findings in releases are shown on their validation report pages; only dev fails the build."""

    EPILOG = """\
exit status:
  0  site built
  1  findings at or above the fail level (listed as path:line: CODE name message)
  2  usage or configuration error

examples:
  govsite build
  govsite build path/to/repo --site-dir public --fail-on warning
  govsite build --versions --tag-pattern 'release-*'"""

    add_arguments = staticmethod(add_build_arguments)
    run = staticmethod(run_build)


class SERVE:
    """`govsite serve`: the default site, rebuilt whenever an input changes."""

    DESCRIPTION = """\
Serve the governance site on a local address and rebuild it whenever a migration, ADR, the
exceptions register, a policy document or the configuration changes. Findings are logged and
shown on the validation report page instead of stopping the server."""

    EPILOG = """\
examples:
  govsite serve
  govsite serve path/to/repo --dev-addr 127.0.0.1:8001"""

    add_arguments = staticmethod(add_serve_arguments)
    run = staticmethod(run_serve)


SUBCOMMANDS = {"generate": GENERATE, "build": BUILD, "serve": SERVE}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run `generate`, `build` or `serve` without the rest of the `govsite` command line."""
    parser = argparse.ArgumentParser(prog="govsite")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, command in SUBCOMMANDS.items():
        sub = commands.add_parser(
            name,
            help=command.__doc__,
            description=command.DESCRIPTION,
            epilog=command.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = [
    "Analysis",
    "BUILD",
    "GENERATE",
    "SERVE",
    "SUBCOMMANDS",
    "SiteBuildError",
    "analyse",
    "build_site",
    "default_site_config",
    "failure_message",
    "finding_line",
    "markdown_extensions",
    "resolve_config",
    "write_pages",
]
