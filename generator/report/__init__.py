"""Report formatters: the findings of one validation run rendered as text, JSON, SARIF or
GitHub workflow commands.

Every format shows the same facts. Suppressed findings (a bypass comment, a `govsite: disable`
comment, configuration) never count as errors or warnings; the machine formats still list them,
so a reader can see who approved what.
"""

from __future__ import annotations

import importlib
from typing import Iterable, Sequence

from ..config import Config
from ..model import Finding, Repository, Severity, record
from ..rules import CATALOG, Rule, all_rules

# format name -> module of this package that has `format_report(findings, repo, config, **options)`
FORMATTERS = {"text": "text", "json": "json_report", "sarif": "sarif", "github": "github"}
FORMATS = tuple(FORMATTERS)


@record
class Tally:
    """What a summary line says: unsuppressed errors and warnings, and how many were suppressed."""

    errors: int
    warnings: int
    suppressed: int


def render(
    findings: Iterable[Finding],
    repo: Repository,
    config: Config,
    fmt: str,
    *,
    color: bool = False,
) -> str:
    """The report in format `fmt`; `color` only affects the text format."""
    try:
        module_name = FORMATTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})") from None
    formatter = importlib.import_module(f".{module_name}", __name__)
    options = {"color": color} if fmt == "text" else {}
    return formatter.format_report(ordered(findings), repo, config, **options)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order (path, line, column, rule, message) so output is deterministic."""
    return sorted(findings, key=Finding.sort_key)


def visible(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that count: those no suppression covers."""
    return [f for f in findings if not f.suppressed]


def hidden(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.suppressed]


def tally(findings: Sequence[Finding]) -> Tally:
    shown = visible(findings)
    return Tally(
        errors=sum(1 for f in shown if f.severity is Severity.ERROR),
        warnings=sum(1 for f in shown if f.severity is Severity.WARNING),
        suppressed=len(findings) - len(shown),
    )


def catalogue() -> list[Rule]:
    """Every catalogued rule, in code order, with its documentation when a family provides it.

    The catalogue, not the registry, decides what exists: a code whose check is documented
    elsewhere (or not at all yet) is still named in reports and in `govsite rules`.
    """
    documented = {r.code: r for r in all_rules()}
    return [documented.get(code) or Rule(spec, None, "") for code, spec in CATALOG.items()]


def printable(text: str) -> str:
    """`text` with control characters (other than tab) shown as escapes, never sent raw.

    Messages quote the repository's own text; a title holding a newline or a terminal escape
    sequence must not break the one-line-per-finding layout or repaint the reader's terminal.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\t" or not (code < 0x20 or 0x7F <= code < 0xA0):
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(f"\\x{code:02x}")
    return "".join(out)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def summary_text(findings: Sequence[Finding], repo: Repository) -> str:
    """`2 errors, 1 warning in 42 migrations, 9 ADRs, 3 exception records (5 suppressed)`."""
    counts = tally(findings)
    text = (
        f"{plural(counts.errors, 'error')}, {plural(counts.warnings, 'warning')} in "
        f"{plural(len(repo.migrations), 'migration')}, {plural(len(repo.adrs), 'ADR')}, "
        f"{plural(len(repo.exceptions), 'exception record')}"
    )
    if counts.suppressed:
        text += f" ({counts.suppressed} suppressed)"
    return text


__all__ = [
    "FORMATS",
    "Tally",
    "catalogue",
    "hidden",
    "ordered",
    "printable",
    "render",
    "summary_text",
    "tally",
    "visible",
]
