"""`govsite generate`, `build` and `serve`: the governance site from the command line.

The engine is `generator.site`: `build.analyse` reads, checks and renders once, `build.build_site`
publishes one site and `versions.build_versions` a folder of versions. These commands pick the
engine call, show progress and turn the outcome into an exit status.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from pathlib import Path

from ..cache import ParseCache
from ..config import Config, config_from_mapping
from ..model import Severity
from ..site.build import (
    NAV_FILE,
    SiteBuildError,
    analyse,
    build_site,
    default_site_config,
    docs_directory,
    failure_message,
    mkdocs_logging,
    resolve_config,
    site_config_file,
    write_pages,
)
from ..site.output import (
    SiteDirError,
    check_site_dir,
    owned_temporary_directory,
    tally_text,
)
from ..terminal import clear_progress, progress_printer
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CommandError,
    add_config_option,
    add_fail_on_option,
    add_repository_argument,
    repository_root,
)


def _add_site_options(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    add_fail_on_option(parser, "build")


def _add_docs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--with-docs", action="store_true",
        help="publish the repository's own docs/ beside the governance pages (default: only "
        "the governance pages and the policy documents; docs_dir in the configuration names "
        "another folder)",
    )


def _prepare(args: argparse.Namespace) -> tuple[Path, Config]:
    """The repository root and its configuration (a usage error raises)."""
    root = repository_root(args.repo)
    config = resolve_config(root, args.config, fail_on=args.fail_on)
    if getattr(args, "with_docs", False) and config.docs_dir is None:
        config = dataclasses.replace(config, docs_dir="docs")
    return root, config


def _build_failed(exc: SiteBuildError, target: Path) -> int:
    """MkDocs failed: exit 1 as for findings, or 2 through the one error printer when its
    configuration was to blame."""
    message = f"build failed: {exc}; {target} left unchanged"
    clear_progress()
    if exc.configuration:
        raise CommandError(message)
    print(message, file=sys.stderr)
    return EXIT_FINDINGS


# --------------------------------------------------------------------------- govsite generate


class GENERATE:
    """`govsite generate`: the governance pages as plain Markdown files."""

    DESCRIPTION = """\
Write the generated governance pages (dashboard, migrations, revision graph, ADRs, exceptions,
quarterly reviews, rules reference, validation report) as Markdown files under OUT/governance/,
the CSS and scripts they need under OUT/governance/assets/, and a navigation fragment
OUT/governance/nav.yml to paste into a mkdocs.yml `nav:` (its comment lists the extra_css,
extra_javascript and markdown_extensions to add). Any MkDocs-compatible builder can publish
them, including builders that run no MkDocs plugins, such as Zensical."""

    EPILOG = """\
exit status:
  0  pages written (whatever the findings, unless --fail-on is given)
  1  pages written, and findings at or above --fail-on
  2  usage or configuration error

examples:
  govsite generate . --out docs-generated
  govsite generate path/to/repo --out build/pages"""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_repository_argument(parser)
        parser.add_argument(
            "--out", required=True, type=Path,
            help="directory to write the Markdown pages into (pages go under OUT/governance/)",
        )
        add_config_option(parser)
        parser.add_argument(
            "--fail-on", choices=[s.value for s in Severity], default=None,
            help="exit 1 when findings reach this severity (the pages are written either way); "
            "without it, generate exits 0 whatever it finds",
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """The site's pages as plain files; fails on findings only with --fail-on.

        Writing pages is how a reader looks at findings, so they are written either way; with
        --fail-on the exit status gates a pipeline as `govsite build` does.
        """
        root, config = _prepare(args)
        analysis = analyse(root, config, progress_printer())
        try:
            write_pages(analysis, Path(args.out), warn=_warn)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            clear_progress()
        print(
            f"wrote {len(analysis.pages)} pages and {NAV_FILE} under {args.out} "
            f"({tally_text(analysis.findings)})",
            file=sys.stderr,
        )
        failing = analysis.failing if args.fail_on else []
        if failing:
            print(failure_message(failing, config), file=sys.stderr)
            return EXIT_FINDINGS
        return EXIT_OK


def _warn(message: str) -> None:
    clear_progress()
    print(f"warning: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- govsite build


class BUILD:
    """`govsite build`: the whole site for a repository without a mkdocs.yml of its own."""

    DESCRIPTION = """\
Check the repository and build its governance site with a default MkDocs configuration
(mkdocs-material): the generated pages and the policy documents, plus the repository's own
docs/ with --with-docs (or docs_dir in the configuration). The site
is built beside SITE_DIR and swapped in only when the build succeeds: a failed build leaves the
previous site exactly as it was.

SITE_DIR is replaced as a whole, so it must be a folder govsite built before, an empty folder or
a new one; the repository itself, its inputs (docs, migrations, ADRs, the register, policy
documents, CI files) and folders holding them are refused.

With --versions, SITE_DIR gets one site per release tag (read from git objects, the working
tree untouched) plus the working tree as dev/, a latest/ alias of the newest release and mike's
versions.json, so mkdocs-material's version selector works when the folder is served as it
is. Findings in releases are shown on their validation report pages; only dev fails the build."""

    EPILOG = """\
exit status:
  0  site built
  1  findings at or above the fail level (listed as path:line: CODE name message)
  2  usage or configuration error, or a SITE_DIR that cannot be replaced safely

examples:
  govsite build
  govsite build path/to/repo --site-dir public --fail-on warning
  govsite build --versions --tag-pattern 'release-*'"""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_repository_argument(parser)
        parser.add_argument(
            "--site-dir", type=Path, default=None,
            help="where the site goes (default: REPO/site); replaced only when the build "
            "succeeds",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="replace SITE_DIR even when it is a non-empty folder govsite did not build",
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
        _add_docs_option(parser)
        _add_site_options(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Check, render and publish; exit 1 on failing findings, 2 on bad config."""
        if args.tag_pattern and not args.versions:
            raise CommandError("--tag-pattern needs --versions")
        if args.tag_pattern:
            config_from_mapping({"tag_pattern": args.tag_pattern}, "--tag-pattern")  # as in govsite.toml
        root, config = _prepare(args)
        target = Path(args.site_dir) if args.site_dir else root / "site"
        try:
            check_site_dir(root, target, config, config_file=args.config, force=args.force)
            if args.versions:
                return run_versioned_build(args, root, config, target)
            return run_build(args, root, config, target)
        except SiteDirError as exc:
            clear_progress()
            raise CommandError(str(exc)) from None


def run_build(args: argparse.Namespace, root: Path, config: Config, target: Path) -> int:
    """`govsite build`: one site of the working tree."""
    started = time.monotonic()
    progress = progress_printer()
    cache = ParseCache.for_repository(root)
    analysis = analyse(root, config, progress, cache=cache)
    cache.save()
    failing = analysis.failing
    if failing:
        clear_progress()
        print(failure_message(failing, config), file=sys.stderr)
        print(f"build failed ({tally_text(analysis.findings)}); {target} left unchanged",
              file=sys.stderr)
        return EXIT_FINDINGS
    progress(f"building site ({len(analysis.pages)} pages)…")
    try:
        build_site(root, target, analysis, config_file=args.config, fail_on=args.fail_on,
                   force=args.force)
    except SiteBuildError as exc:
        return _build_failed(exc, target)
    clear_progress()
    print(
        f"built {target}: {len(analysis.pages)} governance pages, "
        f"{tally_text(analysis.findings)}, {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


def run_versioned_build(
    args: argparse.Namespace, root: Path, config: Config, target: Path
) -> int:
    """`govsite build --versions`: every release plus dev; only dev can fail the build."""
    from ..site.versions import DEV, FailingFindings, build_versions, summary

    cache = ParseCache.for_repository(root)  # the store `govsite validate` and `build` use
    try:
        site = build_versions(
            root, target, config,
            tag_pattern=args.tag_pattern, config_file=args.config, fail_on=args.fail_on,
            progress=progress_printer(), cache=cache, force=args.force,
        )
    except FailingFindings as exc:
        clear_progress()
        print(exc, file=sys.stderr)
        print(f"build failed ({DEV}: {tally_text(exc.analysis.findings)}); "
              f"{target} left unchanged", file=sys.stderr)
        return EXIT_FINDINGS
    except SiteBuildError as exc:
        return _build_failed(exc, target)
    finally:
        cache.save()  # what was parsed stays useful whether or not the build succeeded
    clear_progress()
    print(summary(site), file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- govsite serve


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

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_repository_argument(parser)
        parser.add_argument(
            "--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
            help="address to serve on (default: 127.0.0.1:8000)",
        )
        _add_docs_option(parser)
        _add_site_options(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """The default site with live reload on every migration, ADR or policy edit.

        Findings do not stop the server: they are logged and shown on the validation report
        page, so a fix shows up in the browser as soon as the file is saved.
        """
        from mkdocs.commands.serve import serve
        from mkdocs.exceptions import Abort, ConfigurationError

        root, config = _prepare(args)
        with docs_directory(root, config) as docs_dir, \
                owned_temporary_directory("govsite-serve-") as unused_site:
            settings = default_site_config(
                root, docs_dir, unused_site, config, args.config, args.fail_on
            )
            with site_config_file(settings) as mkdocs_yml, mkdocs_logging(logging.INFO):
                try:
                    serve(config_file=str(mkdocs_yml), dev_addr=args.dev_addr, livereload=True)
                except (ConfigurationError, Abort) as exc:
                    raise CommandError(f"serve failed: {exc}") from None
        return EXIT_OK
