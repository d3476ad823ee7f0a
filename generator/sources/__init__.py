"""One reader per input; `load_repository` runs them all and gathers their findings."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..config import Config
from ..model import History, Repository


def load_repository(
    root: Path | str,
    config: Optional[Config] = None,
    *,
    with_history: bool = True,
    history_from: Optional[tuple[Path, str]] = None,
) -> Repository:
    """Read every input of the repository at `root` statically. Never raises for bad content.

    `history_from` = (repository, revision) takes the dates from another place than `root`: a
    release's files are read from a folder extracted from git objects, while their history is
    the repository's own, walked from the release tag.
    """
    from .adrs import read_adrs
    from .ci_configs import read_ci_jobs
    from .exceptions import read_exceptions
    from .migrations import read_migrations
    from .policies import read_policies

    root = Path(root)
    config = config or Config()
    migrations, f1 = read_migrations(root, config)
    adrs, f2 = read_adrs(root, config)
    exceptions, f3 = read_exceptions(root, config)
    policies, f4 = read_policies(root, config)
    ci_jobs, f5 = read_ci_jobs(root, config)
    history = History(status="unavailable")
    history_root, history_rev = history_from or (root, "HEAD")
    if with_history and config.history == "own" and not (history_root / ".git").exists():
        history = History(status="not-a-repository")
    elif with_history and config.history != "off":
        from .history import read_history

        paths = [m.path for m in migrations] + [a.path for a in adrs] + [p.path for p in policies]
        if exceptions:
            paths.append(exceptions[0].path)
        history = read_history(history_root, paths, history_rev)
    return Repository(
        root=str(root),
        migrations=tuple(migrations),
        adrs=tuple(adrs),
        exceptions=tuple(exceptions),
        exceptions_path=config.exceptions,
        policies=tuple(policies),
        ci_jobs=tuple(ci_jobs),
        history=history,
        reader_findings=tuple(f1 + f2 + f3 + f4 + f5),
    )


__all__ = ["load_repository"]
