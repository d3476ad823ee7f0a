"""Child processes that end with this one.

A `govsite validate` killed with SIGKILL cannot clean up after itself, so each child it starts
(git, parsing workers) asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`,
Linux). Elsewhere a git child writes to a file, never a pipe, so it finishes and exits on its own.

A command is tied by util-linux's `setpriv --pdeathsig KILL`, which makes the request in the
child itself, so the child is spawned without copying this process. A `preexec_fn` would make it
a fork: page tables copied, then a fault on every page this process writes afterwards, which
costs a small repository's run about a sixth of its time. Where setpriv is missing, or too old
to know the option, the `preexec_fn` does it.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import sys
from typing import Callable, Optional

_PR_SET_PDEATHSIG = 1


#: What setpriv says before exiting when it cannot run the command (an unknown option included).
SETPRIV_ERROR = "setpriv:"


def tied_command(command: list[str]) -> Optional[list[str]]:
    """`command` run through setpriv so the kernel kills it when this process dies; None where
    setpriv is not there (then `die_with_parent` ties it).

    Between the spawn and setpriv's request lies a moment in which the death of this process
    would leave the command running; the `preexec_fn` closes it by checking its parent, which a
    spawned child cannot do before it runs.

    The kernel sends the signal when the *thread* that started the child ends, not the process:
    a tied command must be started by a thread that outlives it (the main one): a history walk
    started from a helper thread would be killed as soon as that thread returns.
    """
    if _setpriv_refused or not sys.platform.startswith("linux"):
        return None
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else None


_setpriv_refused = False  # setpriv exited without running a command once: too old to tie


def refuse_setpriv() -> None:
    """Tie children by `die_with_parent` from now on: setpriv could not run a command."""
    global _setpriv_refused
    _setpriv_refused = True


def die_with_parent() -> Optional[Callable[[], None]]:
    """A `preexec_fn` that ties a new child's life to this process; None where it cannot be."""
    if _prctl() is None:
        return None
    return functools.partial(tie_to_parent, os.getpid())


def tie_to_parent(parent: int) -> None:
    """Run first in a child of `parent` (before exec, or as a pool's `initializer`)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the tie was made
        os._exit(1)


@functools.cache
def _prctl() -> Optional[Callable[..., int]]:
    """libc's prctl, looked up once here (a forked child should only call it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, ImportError):
        return None


__all__ = ["SETPRIV_ERROR", "die_with_parent", "refuse_setpriv", "tie_to_parent", "tied_command"]
