"""One reader per input; `load_repository` runs them all and gathers their findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from ..cache import ParseCache
from ..config import Config
from ..model import History, Repository, record

if TYPE_CHECKING:
    from .history import HistoryReading


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
    they were read from, and the git walk of an earlier run from the same commit: pass one
    object to every version of a versioned build, and keep it across the rebuilds of `mkdocs
    serve`. It is not saved here; call `cache.save()`. `jobs` sets the number of parsing
    processes (default: $GOVSITE_JOBS, else 1: parsing in this process).

    Git's history walk does not depend on which files are read, so it runs in its own process
    while the files are read here: it starts between two migrations, as soon as git has said
    where the repository is, and at the latest once the migrations are read. The history of
    exactly the files read is picked out of its output at the end.
    """
    from .adrs import read_adrs
    from .ci_configs import read_ci_jobs
    from .exceptions import read_exceptions
    from .migrations import read_migrations
    from .policies import read_policies

    root = Path(root)
    config = config or Config()
    history = _start_history(root, config, with_history, history_from, cache)
    try:
        migrations, f1 = read_migrations(root, config, cache, jobs, between=history.advance)
        history.advance(wait=True)
        adrs, f2 = read_adrs(root, config)
        exceptions, f3 = read_exceptions(root, config)
        policies, f4 = read_policies(root, config)
        ci_jobs, f5 = read_ci_jobs(root, config)
    except BaseException:  # a bad setting, Ctrl-C: no git is left walking for nobody
        history.close()
        raise
    paths = [m.path for m in migrations] + [a.path for a in adrs] + [p.path for p in policies]
    paths += [e.path for e in exceptions[:1]]
    walked = history.result(paths)
    if walked.status == "unavailable" and with_history and config.history != "off":
        from .git_access import outside_includes  # why git may not have run

        f5 = [*f5, *outside_includes(history_from[0] if history_from else root)]
    return Repository(
        root=str(root),
        migrations=tuple(migrations),
        adrs=tuple(adrs),
        exceptions=tuple(exceptions),
        exceptions_path=config.exceptions,
        policies=tuple(policies),
        ci_jobs=tuple(ci_jobs),
        history=walked,
        reader_findings=tuple(f1 + f2 + f3 + f4 + f5),
    )


def _start_history(
    root: Path,
    config: Config,
    with_history: bool,
    history_from: Optional[tuple[Path, str]],
    cache: Optional[ParseCache],
) -> Union["HistoryReading", "KnownHistory"]:
    """Start reading git history as the configuration and `history_from` ask for it; the
    object returned gives the history of the paths it is given (`result`)."""
    history_root, history_rev = history_from or (root, "HEAD")
    if not with_history or config.history == "off":
        return KnownHistory(History(status="unavailable"))
    if config.history == "own" and not (history_root / ".git").exists():
        return KnownHistory(History(status="not-a-repository"))
    from .history import start_history

    return start_history(history_root, history_rev, cache)


@record
class KnownHistory:
    """History known without asking git (switched off, or no repository): nothing to start."""

    history: History

    def advance(self, wait: bool = False) -> None:
        """Nothing to follow up."""

    def close(self) -> None:
        """Nothing to stop."""

    def result(self, paths: list[str]) -> History:
        return self.history


__all__ = ["load_repository"]
