"""One reader per input; `load_repository` runs them all and gathers their findings."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from ..cache import ParseCache, gc_paused
from ..config import Config
from ..model import History, Repository


def load_repository(
    root: Path | str,
    config: Optional[Config] = None,
    *,
    with_history: bool = True,
    history_from: Optional[tuple[Path, str]] = None,
    cache: Optional[ParseCache] = None,
    jobs: Optional[int] = None,
) -> Repository:
    """Read every input of the repository at `root` statically. Never raises for bad content.

    `history_from` = (repository, revision) takes the dates from another place than `root`: a
    release's files are read from a folder extracted from git objects, while their history is
    the repository's own, walked from the release tag.

    `cache` reuses migrations parsed before (same bytes, path and settings), whichever folder
    they were read from: pass one object to every version of a versioned build, and keep it
    across the rebuilds of `mkdocs serve`. It is not saved here; call `cache.save()`. `jobs`
    sets the number of parsing processes (default: $GOVSITE_JOBS, else every core for large
    repositories; 1 parses in this process).
    """
    from .adrs import read_adrs
    from .ci_configs import read_ci_jobs
    from .exceptions import read_exceptions
    from .files import find_files
    from .migrations import MigrationReading
    from .policies import read_policies

    root = Path(root)
    config = config or Config()
    with gc_paused(), ThreadPoolExecutor(1, thread_name_prefix="govsite-history") as background:
        reading = MigrationReading(root, config, cache, jobs)
        reading.start_workers()  # before any thread: workers are forked
        # git walks the history in its own process while the files are read and parsed here;
        # it is asked about every file a reader may use (the exact list is not known yet)
        candidates = reading.files + find_files(root, list(config.adrs) + list(config.policies))
        walk = background.submit(_history, root, config, candidates + [config.exceptions], with_history, history_from)
        try:
            reading.read_all()
            adrs, f2 = read_adrs(root, config)
            exceptions, f3 = read_exceptions(root, config)
            policies, f4 = read_policies(root, config)
            ci_jobs, f5 = read_ci_jobs(root, config)
        finally:
            migrations, f1 = reading.result()
        history = walk.result()
    documents = [a.path for a in adrs] + [p.path for p in policies] + [e.path for e in exceptions[:1]]
    paths = [m.path for m in migrations] + documents
    if not set(paths) <= set(candidates + [config.exceptions]):  # a reader found a file elsewhere
        history = _history(root, config, paths, with_history, history_from)
    return Repository(
        root=str(root),
        migrations=tuple(migrations),
        adrs=tuple(adrs),
        exceptions=tuple(exceptions),
        exceptions_path=config.exceptions,
        policies=tuple(policies),
        ci_jobs=tuple(ci_jobs),
        history=_only(history, paths),
        reader_findings=tuple(f1 + f2 + f3 + f4 + f5),
    )


def _history(
    root: Path,
    config: Config,
    paths: list[str],
    with_history: bool,
    history_from: Optional[tuple[Path, str]],
) -> History:
    """Git history of `paths`, as the configuration and `history_from` ask for it."""
    history_root, history_rev = history_from or (root, "HEAD")
    if not with_history or config.history == "off":
        return History(status="unavailable")
    if config.history == "own" and not (history_root / ".git").exists():
        return History(status="not-a-repository")
    from .history import read_history

    return read_history(history_root, paths, history_rev)


def _only(history: History, paths: list[str]) -> History:
    """`history` restricted to `paths`, in their order.

    History is walked while the files are still being read, so it is asked about every file a
    reader may use; the files that turned out not to be inputs are left out again here.
    """
    files = {path: history.files[path] for path in paths if path in history.files}
    if list(files) == list(history.files):
        return history
    return dataclasses.replace(history, files=files)


__all__ = ["load_repository"]
