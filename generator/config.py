"""One typed configuration, read from `govsite.toml`, `[tool.govsite]` or the MkDocs plugin block.

Only configuration problems raise (`ConfigError`, exit code 2); everything about the repository's
content is a finding.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from .model import Severity

DEFAULT_REQUIRED_FIELDS = (
    "MIGRATION_ID",
    "TITLE",
    "CHANGE_TYPE",
    "RISK_LEVEL",
    "FORWARD_ONLY",
    "ROLLBACK_STRATEGY",
)

DEFAULT_ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "CHANGE_TYPE": (
        "Table",
        "Column",
        "Index",
        "Constraint",
        "RLS",
        "Matview",
        "View",
        "Data",
        "Function",
        "Trigger",
        "Enum",
        "Sequence",
        "Extension",
        "Merge",
    ),
    "RISK_LEVEL": ("Low", "Medium", "High"),
    "FORWARD_ONLY": ("Yes", "No"),
    "TOUCHES_*": ("Yes", "No"),
}


class ConfigError(Exception):
    """A configuration problem: bad file, unknown key, wrong type. Maps to exit code 2."""

    def __init__(self, message: str, path: Optional[str] = None, line: Optional[int] = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Config:
    """Every option of the tool. Field names are the keys of `govsite.toml`."""

    # where inputs live (globs relative to the repository root)
    migrations: tuple[str, ...] = ()  # empty: alembic.ini's script_location, else alembic/versions
    adrs: tuple[str, ...] = ("docs/adr/*.md",)
    exceptions: str = "db/schema/EXCEPTIONS.md"
    policies: tuple[str, ...] = ("docs/**/RUNBOOK-*.md", "db/schema/CHANGE_CONTROL.md")
    ci: tuple[str, ...] = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")

    # the metadata header
    required_fields: tuple[str, ...] = DEFAULT_REQUIRED_FIELDS
    allowed_values: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_ALLOWED_VALUES)
    )

    # destructive operations
    p0_indexes: tuple[str, ...] = ()  # when set, only these index drops are destructive
    critical_constraints: tuple[str, ...] = ()  # when set, only these constraint drops are
    ticket_pattern: str = r"\b(?:ARCH|REVIEW)-\d+\b"
    ingestion_tables: tuple[str, ...] = ()  # new tables used by ingestion imply Medium risk
    protected_environments: tuple[str, ...] = ("staging", "stage", "stg", "production", "prod")
    allow_multiple_heads: bool = False
    sql_dialect: str = "postgres"

    # reporting
    disable: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code -> "error"|"warning"|"off"
    fail_on: Severity = Severity.ERROR

    # site and history
    history: str = "auto"  # "auto": the git repository holding the root; "own": only when the
    #                        root is itself a repository's top level; "off": no git history
    tag_pattern: str = "v*"
    graph_recent: int = 60  # revisions drawn in full on the revision graph page
    site_name: str = "Migration governance"

    def severity_for(self, code: str, default: Severity) -> Optional[Severity]:
        """The effective severity of a rule, or None when the rule is switched off."""
        if code in self.disable:
            return None
        override = self.severity.get(code)
        if override is None:
            return default
        if override == "off":
            return None
        return Severity(override)


_TUPLE_FIELDS = {
    f.name
    for f in dataclasses.fields(Config)
    if str(f.type).startswith("tuple")
}


def config_from_mapping(data: Mapping[str, Any], source: str = "configuration") -> Config:
    """Build a Config from a plain mapping (TOML table or MkDocs plugin options)."""
    known = {f.name: f for f in dataclasses.fields(Config)}
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise ConfigError(
                f"unknown option '{raw_key}' (known: {', '.join(sorted(known))})", source
            )
        values[key] = _coerce(key, value, source)
    return Config(**values)


def _coerce(key: str, value: Any, source: str) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"option '{key}' must be {expected}, not {value!r}", source)

    if key in _TUPLE_FIELDS:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return tuple(value)
    if key == "allowed_values":
        if not isinstance(value, Mapping):
            raise fail("a table of field = [values]")
        merged = dict(DEFAULT_ALLOWED_VALUES)
        for k, v in value.items():
            if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
                raise fail("a table of field = [values]")
            merged[str(k)] = tuple(v)
        return merged
    if key == "severity":
        if not isinstance(value, Mapping):
            raise fail("a table of CODE = \"error\" | \"warning\" | \"off\"")
        for k, v in value.items():
            if v not in ("error", "warning", "off"):
                raise ConfigError(
                    f"severity for {k} must be error, warning or off, not {v!r}", source
                )
        return dict(value)
    if key == "fail_on":
        try:
            return Severity(value)
        except ValueError:
            raise fail("'error' or 'warning'") from None
    if key == "allow_multiple_heads":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if key == "graph_recent":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail("a whole number of at least 1")
        return value
    if not isinstance(value, str):
        raise fail("a string")
    if key == "history" and value not in ("auto", "own", "off"):
        raise fail("'auto', 'own' or 'off'")
    if key == "ticket_pattern":
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"ticket_pattern is not a valid regular expression: {exc}", source)
    return value


def load_config(root: Path, explicit: Optional[Path] = None) -> Config:
    """Read `govsite.toml` (or an explicit file), else `[tool.govsite]` in pyproject.toml."""
    from .sources.files import inside  # here: the readers import this module

    candidates = [explicit] if explicit else [root / "govsite.toml", root / "pyproject.toml"]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit:
                raise ConfigError("configuration file not found", str(explicit))
            continue
        if not explicit and not inside(root, path):  # its own settings must not lead elsewhere
            raise ConfigError("is a link to a file outside the repository; not read", str(path))
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read TOML: {exc}", str(path)) from None
        if path.name == "pyproject.toml":
            table = data.get("tool", {}).get("govsite")
            if table is None:
                continue
            return config_from_mapping(table, f"{path}[tool.govsite]")
        return config_from_mapping(data.get("govsite", data), str(path))
    return Config()
