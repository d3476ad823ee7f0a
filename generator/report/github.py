"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

`::error file=PATH,line=N,col=C,title=GOV201 destructive-without-bypass::message`, warnings as
`::warning`. GitHub reads `%`, CR and LF as escapes in the message, and additionally `:` and `,`
in property values, so those are percent-encoded exactly as the Actions toolkit does. The last
line is the plain summary, which the job log shows as ordinary output.
"""

from __future__ import annotations

from typing import Sequence

from ..config import Config
from ..model import Finding, Repository, Severity
from . import printable, summary_text, visible

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def format_report(findings: Sequence[Finding], repo: Repository, config: Config) -> str:
    lines = [annotation(f) for f in visible(findings)]
    lines.append(printable(summary_text(findings, repo)))
    return "\n".join(lines) + "\n"


def annotation(f: Finding) -> str:
    loc = f.location
    properties = [("file", loc.path), ("line", str(loc.line)), ("col", str(loc.column))]
    if loc.end_line is not None and loc.end_line > loc.line:
        properties.append(("endLine", str(loc.end_line)))
    properties.append(("title", f"{f.rule} {f.name}"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[f.severity]} {rendered}::{escape_data(f.message)}"


def escape_data(text: str) -> str:
    """Escape a command's message (`%` first, so the escapes themselves survive).

    Other control characters are not GitHub escapes; they are shown, never sent to the log raw.
    """
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a property value: as a message, plus `:` and `,` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
