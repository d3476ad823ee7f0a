"""One typed configuration, read from `govsite.toml`, `[tool.govsite]` or the MkDocs plugin block.

Only configuration problems raise (`ConfigError`, exit code 2); everything about the repository's
content is a finding.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from dataclasses import field
from pathlib import Path
from typing import Any, Mapping, Optional

from .catalog import CATALOG
from .model import Severity, record
from .paths import inside

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


@record
class VersionsConfig:
    """The `[versions]` table: which release tags `govsite build --versions` publishes."""

    tag_pattern: Optional[str] = None  # None: the top-level `tag_pattern`, its older name
    prereleases: bool = False  # also pre-release and build tags (v2.0.0rc1, v0.3.5+b201)
    max_versions: int = 10  # the newest releases by version order; `dev` comes on top


_VERSIONS_KEYS = tuple(f.name for f in dataclasses.fields(VersionsConfig))


class ConfigError(Exception):
    """A configuration problem: bad file, unknown key, wrong type. Maps to exit code 2."""

    def __init__(self, message: str, path: Optional[str] = None, line: Optional[int] = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


@record
class Config:
    """Every option of the tool. Field names are the keys of `govsite.toml`."""

    # where inputs live (globs relative to the repository root)
    migrations: tuple[str, ...] = ()  # empty: found as Alembic finds them (sources.discovery)
    # discovery: a run that reads no migration fails (GOV805) unless this says none exist yet;
    # `[environments."backend/alembic"] sql_dialect = "mysql"` sets one environment's dialect;
    # `[environments.sqlite] migrations = ["db/versions/sqlite/*.py"]` declares an environment
    # (a revision graph of its own) that no Alembic configuration names
    expect_migrations: bool = True
    environments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
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
    large_tables: tuple[str, ...] = ()  # safety gate: lock-heavy changes to these imply Medium risk
    protected_environments: tuple[str, ...] = ("staging", "stage", "stg", "production", "prod")
    allow_multiple_heads: bool = False
    sql_dialect: str = "postgres"

    # reporting
    disable: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # code -> "error"|"warning"|"off"
    fail_on: Severity = Severity.ERROR

    # accepting the past: findings recorded by `govsite baseline` (a file inside the repository)
    # and the revisions up to `legacy_until` (with their ancestors) are suppressed, not failed
    baseline: str = "govsite-baseline.json"
    legacy_until: tuple[str, ...] = ()  # one revision, or one per migration environment

    # site and history
    history: str = "auto"  # "auto": the git repository holding the root; "own": only when the
    #                        root is itself a repository's top level; "off": no git history
    tag_pattern: str = "v*"  # the older name of versions.tag_pattern, still read
    versions: VersionsConfig = field(default_factory=VersionsConfig)  # the `[versions]` table
    site_url: Optional[str] = None  # where the site is published; else the team's mkdocs.yml
    graph_recent: int = 60  # revisions drawn in full on the revision graph page
    site_name: str = "Migration governance"
    # the repository's own docs folder, published beside the governance pages by `govsite
    # build`/`serve` (like --with-docs); unset: only the governance pages and policy documents
    docs_dir: Optional[str] = None

    # policy 7: the committed schema snapshot (`govsite snapshot`) and the latest drift report
    # (`govsite drift --format json --output`) the site shows
    schema_snapshot: str = "db/schema/snapshot.json"
    drift_report: Optional[str] = None

    def __post_init__(self) -> None:
        if self.ticket_pattern != Config.ticket_pattern:  # however the Config was made
            _check_pattern("ticket_pattern", self.ticket_pattern, "configuration")

    @property
    def release_pattern(self) -> str:
        """The glob of release tags: `[versions] tag_pattern`, else the top-level one."""
        return self.versions.tag_pattern or self.tag_pattern

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

#: Other names of SQL dialects, as people write them.
SQL_DIALECT_ALIASES = {
    "postgresql": "postgres",
    "pg": "postgres",
    "psql": "postgres",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "mariadb": "mysql",
}

# SQLAlchemy's own dialects, under the names above; sqlglot reads each of them.
SQLALCHEMY_DIALECTS = frozenset({"postgres", "mysql", "sqlite", "oracle", "tsql"})

_CHOICES = {"history": ("auto", "own", "off"), "fail_on": ("error", "warning")}
_SEVERITIES = ("error", "warning", "off")


def config_from_mapping(data: Mapping[str, Any], source: str = "configuration") -> Config:
    """Build a Config from a plain mapping (TOML table or MkDocs plugin options)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"must be a table of options, not {_shown(data)}", source)
    known = {f.name: f for f in dataclasses.fields(Config)}
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in known:
            raise ConfigError(f"unknown option '{raw_key}'{_suggestion(key, known, 'known options')}", source)
        if key in values:
            raise ConfigError(f"option '{key}' is given twice (as '{key}' and with dashes)", source)
        values[key] = _coerce(key, value, source)
    versions = values.get("versions")
    if versions and versions.tag_pattern and values.get("tag_pattern", versions.tag_pattern) != versions.tag_pattern:
        raise ConfigError("options 'tag_pattern' and 'versions.tag_pattern' disagree; "
                          "keep versions.tag_pattern only", source)
    declared = [name for name, options in values.get("environments", {}).items() if "migrations" in options]
    if declared and values.get("migrations"):
        raise ConfigError(f"options 'migrations' and 'environments.{declared[0]}.migrations' both say where "
                          "migrations are; keep one (an environment each, or one list for them all)", source)
    return Config(**values)


def _coerce(key: str, value: Any, source: str) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"option '{key}' must be {expected}, not {_shown(value)}", source)

    if key == "legacy_until" and isinstance(value, str):
        value = [value]  # the usual case: one revision
    if key in _TUPLE_FIELDS:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            example = f"{key} = [{_shown(value)}]" if isinstance(value, str) else f'{key} = ["..."]'
            raise fail(f"a list of non-empty strings (like {example})")
        if key == "disable":
            for code in value:
                _check_rule_code(code, key, source)
        return tuple(value)
    if key == "allowed_values":
        return _allowed_values(value, fail)
    if key == "versions":
        return _versions(value, source, fail)
    if key == "severity":
        return _severities(value, source, fail)
    if key == "environments":
        return _environments(value, source, fail)
    if key in ("allow_multiple_heads", "expect_migrations"):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if key == "graph_recent":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail("a whole number of at least 1")
        return value
    if not isinstance(value, str) or not value.strip():
        hint = " (YAML reads a bare off as false: quote it)" if value is False else ""
        raise fail(f"a non-empty string{hint}")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise fail(" or ".join(repr(c) for c in _CHOICES[key]))
    if key == "fail_on":
        return Severity(value)
    if key == "sql_dialect":
        return _sql_dialect(value, fail)
    if key == "ticket_pattern":
        _check_pattern(key, value, source)
    if key == "baseline":
        _check_relative_path(key, value, fail)
    if key == "tag_pattern" and "\\" in value:
        raise fail("a glob such as 'v*' or 'v[0-9]*' (git tag names cannot hold '\\', so it matches no tag)")
    if key == "site_url" and not re.match(r"https?://[^/\s]+(/\S*)?$", value):
        raise fail("an http:// or https:// address such as 'https://docs.example.com/governance/'")
    return value


def _versions(value: Any, source: str, fail) -> VersionsConfig:
    """The `[versions]` table, each key checked as a top-level one would be."""
    if not isinstance(value, Mapping):
        raise fail("a table such as [versions] with tag_pattern, prereleases and max_versions")
    values: dict[str, Any] = {}
    for raw_key, item in value.items():
        key = str(raw_key).replace("-", "_")
        name = f"versions.{raw_key}"
        if key not in _VERSIONS_KEYS:
            raise ConfigError(f"unknown option '{name}'{_suggestion(key, _VERSIONS_KEYS, 'known options')}", source)
        if key == "tag_pattern":
            try:
                values[key] = _coerce(key, item, source)
            except ConfigError as exc:
                raise ConfigError(str(exc).replace("'tag_pattern'", f"'{name}'")) from None
        elif key == "prereleases" and isinstance(item, bool):
            values[key] = item
        elif key == "max_versions" and isinstance(item, int) and not isinstance(item, bool) and item >= 1:
            values[key] = item
        else:
            expected = "true or false" if key == "prereleases" else "a whole number of at least 1"
            raise ConfigError(f"option '{name}' must be {expected}, not {_shown(item)}", source)
    return VersionsConfig(**values)


def _allowed_values(value: Any, fail) -> dict[str, tuple[str, ...]]:
    expected = "a table of field = [values], each list non-empty"
    if not isinstance(value, Mapping):
        raise fail(expected)
    merged = dict(DEFAULT_ALLOWED_VALUES)
    for k, v in value.items():
        if not isinstance(v, (list, tuple)) or not v or not all(isinstance(x, str) for x in v):
            raise fail(expected)
        merged[str(k)] = tuple(v)
    return merged


def _environments(value: Any, source: str, fail) -> dict[str, dict[str, Any]]:
    """Per migration environment settings, keyed by its name (its script_location, or the name
    of an environment declared here with its own `migrations`)."""
    expected = 'a table of environments, like [environments."backend/alembic"] sql_dialect = "mysql"'
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise fail(expected)
    settings: dict[str, dict[str, Any]] = {}
    for name, options in value.items():
        where = f"option 'environments': {name!r}"
        unknown = sorted(set(options) - {"sql_dialect", "migrations"})
        if unknown:
            raise ConfigError(f"{where} has unknown setting '{unknown[0]}' (known: migrations, sql_dialect)", source)
        chosen: dict[str, Any] = {}
        dialect = options.get("sql_dialect")
        if dialect is not None:
            if not isinstance(dialect, str) or not dialect.strip():
                raise ConfigError(f"{where} sql_dialect must be a non-empty string", source)
            chosen["sql_dialect"] = _sql_dialect(dialect, fail)
        globs = options.get("migrations")
        if globs is not None:
            if isinstance(globs, str):
                globs = [globs]
            if not isinstance(globs, (list, tuple)) or not globs or not all(isinstance(g, str) and g.strip() for g in globs):
                raise ConfigError(f"{where} migrations must be a list of non-empty globs, like "
                                  '["db/versions/sqlite/*.py"]', source)
            chosen["migrations"] = tuple(globs)
        settings[str(name).strip("/")] = chosen
    return settings


def _severities(value: Any, source: str, fail) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise fail('a table of CODE = "error" | "warning" | "off"')
    for code, level in value.items():
        _check_rule_code(code, "severity", source)
        if level not in _SEVERITIES:
            hint = " (YAML reads a bare off as false: quote it)" if level is False else ""
            raise ConfigError(
                f"option 'severity': {code} must be error, warning or off, not {_shown(level)}{hint}", source
            )
    return {str(code): level for code, level in value.items()}


def _check_rule_code(code: Any, key: str, source: str) -> None:
    """An unknown code would switch nothing off, in silence."""
    if code not in CATALOG:
        raise ConfigError(
            f"option '{key}': unknown rule code {_shown(code)}"
            f"{_suggestion(str(code).upper(), CATALOG, 'known codes')}", source
        )


def _check_relative_path(key: str, value: str, fail) -> None:
    """A file the tool writes must stay inside the repository."""
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or ".." in parts:
        raise fail("a path relative to the repository root, inside it (like 'govsite-baseline.json')")


def canonical_dialect(value: str) -> Optional[str]:
    """The canonical name of the SQL dialect `value` names (`PostgreSQL` -> `postgres`), which
    every SQL reader understands; None for a name no reader knows.

    The dialects SQLAlchemy itself ships are answered without importing sqlglot, whose import
    costs about 80 ms, a third of a small repository's `validate`: it is then imported only
    when SQL of a dialect other than PostgreSQL is read, not to check a name.
    """
    name = value.strip().lower()
    name = SQL_DIALECT_ALIASES.get(name, name)
    if name in SQLALCHEMY_DIALECTS:
        return name
    return name if name in _sqlglot_dialects() else None


def _sqlglot_dialects() -> set[str]:
    from sqlglot.dialects.dialect import Dialects

    return {d.value for d in Dialects if d.value}


def _sql_dialect(value: str, fail) -> str:
    """The dialect's canonical name, or the configuration error naming the closest known one."""
    name = canonical_dialect(value)
    if name is None:
        known = sorted(_sqlglot_dialects() | set(SQL_DIALECT_ALIASES))
        raise fail(f"a SQL dialect{_suggestion(value.strip().lower(), known, 'known')}")
    return name


def _check_pattern(key: str, value: str, source: str) -> None:
    """A configured regular expression must compile and must not backtrack catastrophically."""
    problem = _pattern_problem(value)
    if problem:
        raise ConfigError(f"option '{key}' {problem}", source)


@functools.lru_cache(maxsize=64)
def _pattern_problem(value: str) -> Optional[str]:
    from .patterns import backtracking_risk

    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    risk = backtracking_risk(value)
    if risk:
        return (
            f"is refused: {risk}; write it so that each text matches in one way only, "
            r"like '\b(?:ARCH|REVIEW)-\d+\b'"
        )
    return None


def _suggestion(name: str, known, what: str) -> str:
    import difflib  # only for a name that is wrong

    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" ({what}: {', '.join(sorted(known))})"


def _shown(value: Any) -> str:
    """A value as the message shows it: its repr, cut short when long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_config(root: Path, explicit: Optional[Path] = None) -> Config:
    """Read `govsite.toml` (or an explicit file), else `[tool.govsite]` in pyproject.toml."""
    if explicit:
        config = _read_config_file(explicit)
        if config is None:
            raise ConfigError("has no [tool.govsite] table", str(explicit))
        return config
    own = committed_config(root)
    return own if own is not None else Config()


def committed_config(root: Path) -> Optional[Config]:
    """The configuration `root` holds itself (`govsite.toml`, `[tool.govsite]`); None without.

    A release made before the team adopted govsite has none, and is read with another.
    """
    for path in (root / "govsite.toml", root / "pyproject.toml"):
        if not os.path.lexists(path):
            continue
        if not inside(root, path):  # its own settings must not lead elsewhere
            raise ConfigError("is a link to a file outside the repository; not read", str(path))
        config = _read_config_file(path)
        if config is not None:
            return config
    return None


def _read_config_file(path: Path) -> Optional[Config]:
    """The Config a file holds; None for a pyproject.toml without `[tool.govsite]`."""
    if not os.path.lexists(path):
        raise ConfigError("configuration file not found", str(path))
    if not path.is_file():
        what = "a directory" if path.is_dir() else "a link to nothing" if not path.exists() else "not a regular file"
        raise ConfigError(f"is {what}, not a configuration file", str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read TOML: {exc}", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"'tool' must be a table, not {_shown(tool)}", str(path))
        if "govsite" not in tool:
            return None
        return config_from_mapping(_table(tool["govsite"], "[tool.govsite]", path), f"{path}[tool.govsite]")
    if "govsite" in data:
        extra = sorted(k for k in data if k != "govsite")
        if extra:
            raise ConfigError(
                f"options outside the [govsite] table would be ignored: {', '.join(extra)}", str(path)
            )
        return config_from_mapping(_table(data["govsite"], "[govsite]", path), f"{path}[govsite]")
    return config_from_mapping(data, str(path))


def _table(value: Any, name: str, path: Path) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a table of options, not {_shown(value)}", str(path))
    return value
