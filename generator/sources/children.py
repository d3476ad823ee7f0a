"""Child processes that end with this one.

A `govsite validate` killed with SIGKILL cannot clean up after itself, so each child it starts
(git, parsing workers) asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`,
Linux). Elsewhere a git child writes to a file, never a pipe, so it finishes and exits on its own.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from typing import Callable, Optional

_PR_SET_PDEATHSIG = 1


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


__all__ = ["die_with_parent", "tie_to_parent"]
