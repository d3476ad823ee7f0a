"""One reader per input; `load_repository` runs them all and gathers their findings."""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from ..cache import ParseCache, gc_paused, keep_from_collector
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
    they were read from, and the git walk of an earlier run from the same commit: pass one object to every version of a versioned build, and keep it
    across the rebuilds of `mkdocs serve`. It is not saved here; call `cache.save()`. `jobs`
    sets the number of parsing processes (default: $GOVSITE_JOBS, else every core on machines
    with four or more; 1 parses in this process).

    The migrations are read here while the other inputs and the git history are read in a
    forked process beside (when the platform and a single-threaded caller allow it): the two
    halves take similar time, and git's own process is the slowest part of the second.

    Everything alive when reading ends is frozen out of the cyclic garbage collector
    (`gc.freeze`, see `keep_from_collector`): a process that loads repositories again and again
    can call `generator.cache.release_to_collector()` in between, as `mkdocs serve` does.
    """
    from .files import find_files
    from .migrations import MigrationReading

    root = Path(root)
    config = config or Config()
    with gc_paused():
        reading = MigrationReading(root, config, cache, jobs)
        # the exact files the readers use are only known once they ran: history is asked
        # about every file they may use, and trimmed to the ones they did use below
        candidates = reading.files + find_files(root, list(config.adrs) + list(config.policies))
        candidates.append(config.exceptions)
        walks = _Walks(cache)
        rest = Beside(_read_the_rest, root, config, candidates, with_history, history_from, walks)
        reading.start_workers()
        reading.read_all()
        migrations, f1 = reading.result()
        documents, history, walks.added = rest.result()
        # all of it acyclic and long-lived: frozen before collection resumes, the collector
        # never scans it (the first collection would otherwise go through every object)
        keep_from_collector()
    adrs, f2, exceptions, f3, policies, f4, ci_jobs, f5 = documents
    paths = [m.path for m in migrations] + [a.path for a in adrs] + [p.path for p in policies]
    paths += [e.path for e in exceptions[:1]]
    if not set(paths) <= set(candidates):  # a reader found a file elsewhere: ask git again
        history = _history(root, config, paths, with_history, history_from, walks)
    walks.store()
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


def _read_the_rest(
    root: Path,
    config: Config,
    candidates: list[str],
    with_history: bool,
    history_from: Optional[tuple[Path, str]],
    walks: "_Walks",
) -> tuple[tuple, History, dict[str, bytes]]:
    """ADRs, exceptions register, policy documents, CI configs and the history of `candidates`,
    plus the git walks made for it (to be kept by the caller: this may run in another process)."""
    from .adrs import read_adrs
    from .ci_configs import read_ci_jobs
    from .exceptions import read_exceptions
    from .policies import read_policies

    with gc_paused():
        adrs, f2 = read_adrs(root, config)
        exceptions, f3 = read_exceptions(root, config)
        policies, f4 = read_policies(root, config)
        ci_jobs, f5 = read_ci_jobs(root, config)
        history = _history(root, config, candidates, with_history, history_from, walks)
        if history.status == "unavailable" and with_history and config.history != "off":
            from .git_access import outside_includes  # why git may not have run

            f5 = [*f5, *outside_includes(history_from[0] if history_from else root)]
    return (adrs, f2, exceptions, f3, policies, f4, ci_jobs, f5), history, walks.added


def _history(
    root: Path,
    config: Config,
    paths: list[str],
    with_history: bool,
    history_from: Optional[tuple[Path, str]],
    walks: "_Walks",
) -> History:
    """Git history of `paths`, as the configuration and `history_from` ask for it."""
    history_root, history_rev = history_from or (root, "HEAD")
    if not with_history or config.history == "off":
        return History(status="unavailable")
    if config.history == "own" and not (history_root / ".git").exists():
        return History(status="not-a-repository")
    from .history import read_history

    return read_history(history_root, paths, history_rev, walks if walks.cache is not None else None)


def _only(history: History, paths: list[str]) -> History:
    """`history` restricted to `paths`, in their order.

    History is walked while the files are still being read, so it is asked about every file a
    reader may use; the files that turned out not to be inputs are left out again here.
    """
    files = {path: history.files[path] for path in paths if path in history.files}
    if list(files) == list(history.files):
        return history
    return dataclasses.replace(history, files=files)


class _Walks:
    """The parse cache as a store of git walks, collecting what a run adds.

    History is read in a forked process, where an addition to the cache would be lost with the
    process: additions are sent back with the history and stored here by `store()`.
    """

    def __init__(self, cache: Optional[ParseCache]):
        self.cache = cache
        self.added: dict[str, bytes] = {}

    def recall(self, key: str) -> Optional[bytes]:
        return self.added.get(key) or (self.cache.recall(key) if self.cache is not None else None)

    def keep(self, key: str, value: bytes) -> None:
        self.added[key] = value

    def store(self) -> None:
        if self.cache is not None:
            for key, value in self.added.items():
                self.cache.keep(key, value)


class Beside:
    """`function(*args)` computed in a forked process while this one goes on; `.result()` waits.

    A thread would not do: the work is Python code holding the interpreter lock, and the git
    process it waits on stalls whenever its output pipe is not drained. Forking is only safe
    while this process runs a single thread (a lock another thread held would stay held in the
    child), so with other threads running, or without `fork`, or if the child fails in any
    way, the function simply runs here when the result is asked for: the result is the same.
    """

    def __init__(self, function: Callable[..., Any], *args: Any):
        self.function, self.args = function, args
        self.process: Optional[multiprocessing.process.BaseProcess] = None
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return
        try:
            context = multiprocessing.get_context("fork")
            self.receiver, sender = context.Pipe(duplex=False)
            self.process = context.Process(target=_send, args=(sender, function, args), daemon=True)
            self.process.start()
            sender.close()
        except Exception:  # no process to be had (resources, a daemonic caller): compute here
            self.process = None

    def result(self) -> Any:
        if self.process is not None:
            try:
                return self.receiver.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                pass  # the child died or could not send: compute it here
            finally:
                self.receiver.close()
                self.process.join()
        return self.function(*self.args)


def _send(sender: Any, function: Callable[..., Any], args: tuple) -> None:
    """In the forked child: compute and send the result; on any failure send nothing."""
    try:
        sender.send(function(*args))
    except BaseException:  # noqa: BLE001 - the parent computes it again; nothing to report here
        pass
    finally:
        sender.close()


__all__ = ["load_repository"]
