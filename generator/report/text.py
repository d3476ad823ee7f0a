"""The text report: one `path:line:col: CODE name message` line per finding, then a summary.

The line layout is the one compilers and linters use, so editors and terminals make the location
clickable. Colour is opt-in (the command line turns it on only for a terminal without NO_COLOR).
"""

from __future__ import annotations

from typing import Sequence

from ..config import Config
from ..model import Finding, Repository, Severity
from . import printable, summary_text, tally, visible

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"

SEVERITY_COLOURS = {Severity.ERROR: RED, Severity.WARNING: YELLOW}


class Palette:
    """Wraps text in ANSI styles, or leaves it alone when colour is off."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "".join(styles) + text + RESET


def format_report(
    findings: Sequence[Finding], repo: Repository, config: Config, *, color: bool = False
) -> str:
    paint = Palette(color)
    lines = [finding_line(f, paint) for f in visible(findings)]
    lines.append(summary_line(findings, repo, paint))
    return "\n".join(lines) + "\n"


def finding_line(f: Finding, paint: Palette = Palette(False)) -> str:
    loc = f.location
    where = paint(f"{printable(loc.path)}:{loc.line}:{loc.column}:", BOLD)
    code = paint(f.rule, BOLD, SEVERITY_COLOURS[f.severity])
    return f"{where} {code} {paint(f.name, DIM)} {printable(f.message)}"


def summary_line(findings: Sequence[Finding], repo: Repository, paint: Palette) -> str:
    counts = tally(findings)
    colour = RED if counts.errors else (YELLOW if counts.warnings else "")
    return paint(summary_text(findings, repo), *((BOLD, colour) if colour else ()))
