"""A stop asked for by a signal (SIGTERM, SIGHUP), kept until it is honoured.

The command line turns those signals into `Stopped`, raised wherever the program is, so a build
cleans up its staging and temporary folders as it does for Ctrl-C. Python drops an exception
raised while a destructor or a weak reference's callback runs (it prints "Exception ignored"),
and a signal that lands there would be lost: the build would go on and publish its site. So
the signal is also recorded here, and `raise_if_stopped` raises it again at the points of no
return (a site is swapped in only when no stop is pending; a command that ends is reported as
stopped). Outside the command line (the MkDocs plugin, a program using the library) nothing is
ever recorded and the checks do nothing.
"""

from __future__ import annotations

_pending: list[int] = []


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def stop_now(signum: int) -> None:
    """Record the stop, then raise it where the program is."""
    _pending.append(signum)
    raise Stopped(signum)


def raise_if_stopped() -> None:
    """Raise the recorded stop again, in case its first exception was dropped."""
    if _pending:
        raise Stopped(_pending[0])


def forget_stop() -> None:
    """A command starts, or has ended and been reported: no stop is pending any more."""
    _pending.clear()


__all__ = ["Stopped", "forget_stop", "raise_if_stopped", "stop_now"]
