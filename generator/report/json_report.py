"""The JSON report, whose shape is a contract other tools build on.

```json
{"version": 1,
 "summary": {"migrations": 42, "adrs": 9, "exceptions": 3, "errors": 2, "warnings": 1},
 "findings": [{"rule": "GOV201", "name": "destructive-without-bypass", "severity": "error",
               "policy": 2, "path": "alembic/versions/3f2a_drop_legacy.py", "line": 27,
               "column": 5, "message": "..."}],
 "suppressed": [{"rule": ..., same keys as a finding ...,
                 "suppression": {"kind": "bypass", "justification": "# CI:DESTRUCTIVE_OK ...",
                                 "path": "alembic/versions/3f2a_drop_legacy.py", "line": 27}}]}
```

- `findings` holds only the findings that count; `summary.errors` / `summary.warnings` count them.
- `suppressed` (always present, possibly empty) holds the findings a suppression covers. Its
  `kind` is `bypass` (the `# CI:DESTRUCTIVE_OK` comment), `line` or `file` (a
  `# govsite: disable=CODE` comment), `config`, `baseline` (an entry of the baseline file) or
  `legacy` (a migration at or before `legacy_until`); `path`/`line` say where the suppression is
  written and are null when it has no place in the repository (configuration, `legacy`).
- `policy` is the runbook policy number, or null for rules that guard the tool's own inputs.
- Paths are relative to the repository root; lines and columns are 1-based.
- Keys keep this order, findings are sorted by path, line, column and rule, and text is UTF-8
  (not `\\u` escaped), so two runs on the same repository give identical bytes.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..config import Config
from ..model import Finding, Repository
from . import hidden, tally, visible

VERSION = 1


def format_report(findings: Sequence[Finding], repo: Repository, config: Config) -> str:
    return json.dumps(report_data(findings, repo), ensure_ascii=False, indent=2) + "\n"


def report_data(findings: Sequence[Finding], repo: Repository) -> dict[str, Any]:
    counts = tally(findings)
    return {
        "version": VERSION,
        "summary": {
            "migrations": len(repo.migrations),
            "adrs": len(repo.adrs),
            "exceptions": len(repo.exceptions),
            "errors": counts.errors,
            "warnings": counts.warnings,
        },
        "findings": [finding_data(f) for f in visible(findings)],
        "suppressed": [suppressed_data(f) for f in hidden(findings)],
    }


def finding_data(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "name": f.name,
        "severity": f.severity.value,
        "policy": f.policy,
        "path": f.location.path,
        "line": f.location.line,
        "column": f.location.column,
        "message": f.message,
    }


def suppressed_data(f: Finding) -> dict[str, Any]:
    s = f.suppression
    assert s is not None
    data = finding_data(f)
    data["suppression"] = {
        "kind": s.kind,
        "justification": s.justification,
        "path": s.location.path if s.location else None,
        "line": s.location.line if s.location else None,
    }
    return data
