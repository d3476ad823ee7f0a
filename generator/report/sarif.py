"""The SARIF 2.1.0 report, for code scanning (GitHub, Azure DevOps, IDE viewers).

One run whose driver lists every rule of the catalogue with its documentation, so a viewer can
explain a result without the site. Suppressed findings stay in the log as results carrying a
`suppressions` entry (`inSource` for comments in the repository, `external` for configuration)
with its justification: code scanning then shows them as dismissed instead of forgetting them.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence
from urllib.parse import quote

from .. import __version__
from ..config import Config
from ..model import Finding, Location, Repository, Severity, Suppression
from ..rules import Rule, RuleSpec
from . import catalogue

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "govsite"
INFORMATION_URI = "https://pypi.org/project/govsite/"
SOURCE_ROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def format_report(findings: Sequence[Finding], repo: Repository, config: Config) -> str:
    return json.dumps(sarif_log(findings, config), ensure_ascii=False, indent=2) + "\n"


def sarif_log(findings: Sequence[Finding], config: Config) -> dict[str, Any]:
    rules = catalogue()
    known = {r.code for r in rules}
    # a code outside the catalogue is a programmer error, but its result must still resolve
    rules += [_uncatalogued(f) for f in _first_of_each_unknown(findings, known)]
    index = {r.code: i for i, r in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(r, config) for r in rules],
                    }
                },
                "results": [result(f, index[f.rule]) for f in findings],
            }
        ],
    }


def rule_descriptor(r: Rule, config: Config) -> dict[str, Any]:
    """A `reportingDescriptor`: what the rule is, its documentation and its configured level."""
    spec = r.spec
    doc = r.doc or spec.summary
    described = r.doc_section("What it does") or doc
    return {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": described, "markdown": described},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": _configuration(spec.code, spec.severity, config),
        "properties": {"policy": spec.policy, "tags": _tags(spec.policy)},
    }


def _configuration(code: str, default: Severity, config: Config) -> dict[str, Any]:
    effective = config.severity_for(code, default)
    if effective is None:
        return {"enabled": False, "level": LEVELS[default]}
    return {"level": LEVELS[effective]}


def _tags(policy: Optional[int]) -> list[str]:
    return ["migration-governance"] + ([f"policy-{policy}"] if policy is not None else [])


def result(f: Finding, rule_index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [physical_location(f.location)],
    }
    if f.suppression is not None:
        data["suppressions"] = [suppression(f.suppression)]
    return data


def physical_location(loc: Location) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(loc.line, 1), "startColumn": max(loc.column, 1)}
    if loc.end_line is not None and loc.end_line > loc.line:
        region["endLine"] = loc.end_line
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(loc.path), "uriBaseId": SOURCE_ROOT},
            "region": region,
        }
    }


def artifact_uri(path: str) -> str:
    """A relative URI reference: percent-encode what a URI cannot hold (spaces, `#`, `%`...)."""
    return quote(path, safe="/-._~!$&'()*+,;=@")


def suppression(s: Suppression) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "inSource" if s.kind in ("bypass", "file", "line") else "external",
        "justification": s.justification,
    }
    if s.location is not None:
        data["location"] = physical_location(s.location)
    return data


def _first_of_each_unknown(findings: Sequence[Finding], known: set[str]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        if f.rule not in known:
            seen.setdefault(f.rule, f)
    return list(seen.values())


def _uncatalogued(f: Finding) -> Rule:
    return Rule(RuleSpec(f.rule, f.name, f.severity, f.policy, f.name), None, "")
