"""`govsite baseline`: record today's findings so that later runs fail only on new ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from ..config import Config, load_config
from ..model import Finding, Repository
from ..terminal import Status
from .common import EXIT_OK, CommandError, add_config_option, add_repository_argument, repository_root

DESCRIPTION = """\
Record every current finding in the baseline file (govsite-baseline.json at the repository
root, or the `baseline` option), so that a repository with years of migrations can adopt the
policy today: later runs of validate, build, review and the MkDocs plugin report the recorded
findings as suppressed (reason "baseline") and fail only on findings that are not in the file.

Entries are matched by rule, path and a fingerprint of the statement the finding points at
(of the message, for a finding on no statement), never by line number: inserting lines above a
finding, or a later govsite wording it differently, does not break it.
An entry that matches nothing any more is reported as GOV807 baseline-entry-stale, so the file
only shrinks. Commit the file; reviewers see every entry that goes."""

EPILOG = """\
examples:
  govsite baseline                   write govsite-baseline.json (refused when it exists)
  govsite baseline --update          drop the entries that match nothing; add nothing
  govsite baseline --update --add-new
                                     also accept today's new findings (a decision a review
                                     should see: the diff lists every added entry)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "to record")
    add_config_option(parser)
    parser.add_argument(
        "--update", action="store_true",
        help="rewrite an existing baseline without the entries that match no finding any more",
    )
    parser.add_argument(
        "--add-new", action="store_true",
        help="with --update: also record the findings the baseline does not hold yet",
    )


def run(args: argparse.Namespace) -> int:
    if args.add_new and not args.update:
        raise CommandError("--add-new only goes with --update (a first baseline records every finding)")
    root = repository_root(args.repo)
    config = load_config(root, args.config)
    path = root / config.baseline
    if args.update:
        if not path.exists():
            raise CommandError(f"{config.baseline}: no baseline to update; run `govsite baseline` first")
        _, count, dropped = update_baseline(root, config, add_new=args.add_new)
        print(f"{config.baseline}: {count} entries kept or added, {dropped} stale dropped")
        return EXIT_OK
    if path.exists() or path.is_symlink():
        raise CommandError(
            f"{config.baseline} exists; `govsite baseline --update` drops its stale entries "
            "(with --add-new it also records new findings)"
        )
    _, count = write_baseline(root, config)
    print(f"{config.baseline}: {count} findings recorded")
    return EXIT_OK


def write_baseline(
    root: Path, config: Config, *, repo: Optional[Repository] = None
) -> tuple[Path, int]:
    """Record every open finding of the repository in its baseline file (overwriting it).

    Returns the file's path and the number of entries. Callers that have already read the
    repository pass it as `repo`.
    """
    from ..rules import run_rules

    repo = repo or _read(root, config)
    findings = [f for f in run_rules(repo, config, baseline=False) if not f.suppressed]
    return _write(root, config, findings, repo), len(findings)


def update_baseline(root: Path, config: Config, *, add_new: bool = False) -> tuple[Path, int, int]:
    """Rewrite the baseline with only the entries that still match (and, with `add_new`, the
    findings it lacks). Returns the path, the number of entries written and of those dropped."""
    from ..rules import run_rules
    from ..rules.baseline import STALE

    repo = _read(root, config)
    findings = run_rules(repo, config)
    kept = [f for f in findings if f.suppression is not None and f.suppression.kind == "baseline"]
    if add_new:
        kept += [f for f in findings if not f.suppressed and f.rule != STALE]
    dropped = sum(1 for f in findings if f.rule == STALE)
    return _write(root, config, kept, repo), len(kept), dropped


def _read(root: Path, config: Config) -> Repository:
    from ..sources import load_repository

    with Status(sys.stderr) as status:
        status.show(f"reading {root} ...")
        return load_repository(root, config)


def _write(root: Path, config: Config, findings: list[Finding], repo: Repository) -> Path:
    from ..paths import inside
    from ..rules.baseline import STALE, baseline_text

    path = root / config.baseline
    if path.is_symlink() or (path.exists() and not inside(root, path)):
        raise CommandError(f"{config.baseline}: is a link; the baseline is written only as a plain file")
    text = baseline_text([f for f in findings if f.rule != STALE], repo)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {config.baseline}: {exc.strerror or exc}") from None
    return path
