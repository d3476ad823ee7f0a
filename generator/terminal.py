"""The one transient status line on a terminal's stderr, for commands and the site engine alike.

Reading thousands of migrations or building a site takes a moment; a terminal user should see the
tool is working, while pipes, files and CI logs get nothing extra.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, TextIO

Progress = Callable[[str], None]


class Status:
    """A transient progress line on `stream`, erased when the work is done."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.enabled = is_terminal(stream) and os.environ.get("TERM") != "dumb"
        self.shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\x1b[Kgovsite: {text}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.erase()

    def erase(self) -> None:
        """Blank the line whoever wrote it (a log message must not share it)."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self.shown = False

    def __enter__(self) -> "Status":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.clear()


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_printer() -> Progress:
    """Progress on the status line of stderr (silent when stderr is no terminal)."""
    return Status(sys.stderr).show


def clear_progress() -> None:
    Status(sys.stderr).erase()


__all__ = ["Progress", "Status", "clear_progress", "is_terminal", "progress_printer"]
