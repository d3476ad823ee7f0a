"""`govsite rules`: the rule catalogue, or one rule's documentation."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .common import EXIT_OK, CommandError, emit

if TYPE_CHECKING:
    from ..rules import Rule


DESCRIPTION = """\
List every policy rule with its code, name, default severity, runbook policy and summary, or,
given a CODE (or a rule name), print that rule's full documentation."""

EPILOG = """\
examples:
  govsite rules
  govsite rules GOV201
  govsite rules destructive-without-bypass --format markdown
  govsite rules --format json"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="?", metavar="CODE", help="a rule code or name")
    parser.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text",
        help="output format (default: text)",
    )


def run(args: argparse.Namespace) -> int:
    from ..report import catalogue

    rules = catalogue()
    if args.code:
        emit(RULE_VIEWS[args.format](find_rule(rules, args.code)))
    else:
        emit(CATALOGUE_VIEWS[args.format](rules))
    return EXIT_OK


def find_rule(rules: Sequence[Rule], wanted: str) -> Rule:
    for r in rules:
        if wanted.upper() == r.code or wanted.lower() == r.spec.name:
            return r
    raise CommandError(f"unknown rule {wanted!r} (run 'govsite rules' for the list)")


def _policy_label(policy: Optional[int]) -> str:
    return f"P{policy}" if policy is not None else "-"


def _rule_data(r: Rule) -> dict[str, Any]:
    s = r.spec
    return {
        "code": s.code,
        "name": s.name,
        "severity": s.severity.value,
        "policy": s.policy,
        "summary": s.summary,
    }


def catalogue_text(rules: Sequence[Rule]) -> str:
    rows = [("code", "name", "severity", "policy", "summary")]
    rows += [
        (r.code, r.spec.name, r.spec.severity.value, _policy_label(r.spec.policy), r.spec.summary)
        for r in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    padded = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows)
    lines = [f"{columns}  {row[4]}" for columns, row in zip(padded, rows)]
    return "\n".join(lines) + "\n"


def catalogue_markdown(rules: Sequence[Rule]) -> str:
    lines = ["| Code | Name | Severity | Policy | Summary |", "| --- | --- | --- | --- | --- |"]
    for r in rules:
        s = r.spec
        cells = (s.code, f"`{s.name}`", s.severity.value, _policy_label(s.policy), s.summary)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def catalogue_json(rules: Sequence[Rule]) -> str:
    return json.dumps([_rule_data(r) for r in rules], ensure_ascii=False, indent=2) + "\n"


def rule_text(r: Rule) -> str:
    s = r.spec
    policy = f", policy {s.policy}" if s.policy is not None else ""
    head = f"{s.code} {s.name} ({s.severity.value}{policy})\n\n{s.summary}\n"
    return head + (f"\n{r.doc.strip()}\n" if r.doc else "")


def rule_markdown(r: Rule) -> str:
    s = r.spec
    policy = f" · policy {s.policy}" if s.policy is not None else ""
    head = f"# {s.code}: {s.name}\n\n*{s.severity.value}{policy}*\n\n{s.summary}\n"
    return head + (f"\n{r.doc.strip()}\n" if r.doc else "")


def rule_json(r: Rule) -> str:
    data = _rule_data(r) | {"doc": r.doc}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


CATALOGUE_VIEWS: dict[str, Callable[[Sequence["Rule"]], str]] = {
    "text": catalogue_text,
    "markdown": catalogue_markdown,
    "json": catalogue_json,
}
RULE_VIEWS: dict[str, Callable[["Rule"], str]] = {
    "text": rule_text,
    "markdown": rule_markdown,
    "json": rule_json,
}
