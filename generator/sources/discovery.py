"""Where a repository's migrations are: the one place that decides it.

Alembic finds revision files through its configuration, so discovery reads that configuration
the way Alembic does: `script_location`, `version_locations` (split on `path_separator`, else
`version_path_separator`, else Alembic's legacy spaces-or-commas) and
`recursive_version_locations`, from every `alembic.ini` in the repository (an `alembic`
command run beside it reads it; `%(here)s` is its folder) and from `[tool.alembic]` in
`pyproject.toml` (Alembic 1.16+). When nothing configures them, folders whose `.py` files
assign `revision` and `down_revision` at module level are migration folders.

A governance check that passes on nothing is worse than none, so the outcome is never a
silent "0 migrations": no migrations anywhere is GOV805, and revision files the configuration
does not reach are GOV806, naming the option that would read them. `migrations` globs in
govsite.toml win over all of this. Nothing here raises for what a repository holds.
"""

from __future__ import annotations

import configparser
import os
import posixpath
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Optional

from ..catalog import finding
from ..config import SQL_DIALECT_ALIASES, SQLALCHEMY_DIALECTS, Config, canonical_dialect
from ..model import Finding, Location, record
from ..paths import inside
from .files import find_files, left_to_report, read_bytes, read_text

# Folders a walk never enters: other people's code and build output, not the team's migrations.
SKIPPED_FOLDERS = frozenset(
    {"node_modules", "site-packages", "dist-packages", "build", "dist", "__pycache__", ".tox", ".nox"}
)
MAX_WALKED_FOLDERS = 20_000  # a bounded walk: a monorepo has a few thousand folders
MAX_SCANNED_BYTES = 2 * 1024 * 1024  # larger .py files are not revision files (see migrations)
UNREADABLE = "GOV802"

# A revision file assigns both names at module level (Alembic's template writes them that way,
# optionally annotated: `revision: str = "ae1027a6acf"`).
_ASSIGNS_REVISION = re.compile(rb"^revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_ASSIGNS_DOWN_REVISION = re.compile(rb"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)
# A value filled in by a program (`{alembic_dir}`, `${DIR}`, `%(name)s` other than `here`).
_HERE = "\x00here\x00"  # stands for %(here)s while the parser fills in the other names
_TEMPLATED = re.compile(r"\{[^}]*\}|\$\{?\w|%\((?!here\))\w+\)s")
# The placeholder of Alembic's alembic.ini template, `driver://user:pass@localhost/dbname`,
# left as it is when env.py sets the URL: no dialect.
ALEMBIC_TEMPLATE_DRIVER = "driver"


@record
class MigrationEnvironment:
    """One Alembic migration environment: its own revision graph, read from its own folders."""

    name: str  # "" when the repository has one environment; else its script_location
    script_location: Optional[str]  # relative to the root, posix
    version_locations: tuple[str, ...]  # folders (or govsite.toml globs) relative to the root
    recursive: bool  # recursive_version_locations: sub-folders of each location are read too
    source: str  # where it was configured: "backend/alembic.ini:7", "found by content", ...
    sql_dialect: Optional[str]  # from a literal sqlalchemy.url, normalised like config.sql_dialect
    # the database it certainly runs on: a folder per dialect names it, a developer's URL does not
    database: Optional[str] = None


@record
class Discovery:
    environments: tuple[MigrationEnvironment, ...]
    findings: tuple[Finding, ...]  # GOV805 / GOV806, and GOV802 for unreadable configuration
    files: tuple[tuple[str, ...], ...]  # each environment's revision files, in its order


def discover(root: Path, config: Config) -> Discovery:
    """The migration environments of the repository at `root`, and what is wrong with them."""
    root = Path(root)
    walk = _walk(root)
    findings: list[Finding] = []
    declared = _declared_environments(config)
    if config.migrations:
        environments = [_configured_environment(config)]
    elif declared:
        environments = declared
    else:
        environments = _alembic_environments(root, walk, findings)
        if not environments:
            environments = _content_environments(root, walk)
        environments = [split for env in environments for split in _per_dialect(root, walk, env) or [env]]
    environments = _named(environments)
    environments = [_with_dialect(env, config) for env in environments]
    files = tuple(tuple(environment_files(root, env)) for env in environments)
    read = {rel for listed in files for rel in listed}
    findings += _unreached(root, walk, environments, read, config)
    findings += _unmatched_settings(root, environments, config)
    if not read and config.expect_migrations:
        findings.append(_nothing_found(root, environments, walk, config))
    return Discovery(tuple(environments), tuple(findings), files)


def environment_files(root: Path, environment: MigrationEnvironment) -> list[str]:
    """The revision files Alembic reads for `environment`, sorted (paths relative to the root)."""
    suffix = "**/*.py" if environment.recursive else "*.py"
    patterns = [_as_pattern(location, suffix) for location in environment.version_locations]
    return [rel for rel in find_files(root, patterns) if _revision_file(root, rel)]


def _as_pattern(entry: str, suffix: str = "*.py") -> str:
    """A location may be a glob, a single file or a folder of revisions."""
    if any(ch in entry for ch in "*?[") or entry.endswith(".py"):
        return entry
    return f"{entry.rstrip('/')}/{suffix}"


def _revision_file(root: Path, rel: str) -> bool:
    """A `.py` file Alembic would load (not `__init__*`, not an editor's `.#` lock), or a path
    found only to be reported (a folder linked outside the repository)."""
    name = rel.rsplit("/", 1)[-1]
    if rel.endswith(".py"):
        return not name.startswith(("__init__", ".#")) and "/__pycache__/" not in f"/{rel}"
    return left_to_report(root, rel)


# --------------------------------------------------------------------------- the walk


@record
class _Walk:
    """What one bounded walk of the repository saw."""

    ini_files: tuple[str, ...]  # alembic.ini, and other .ini files naming a script_location
    pyprojects: tuple[str, ...]
    python_files: tuple[str, ...]
    truncated: bool

    def revision_files(self, root: Path, known: frozenset[str] = frozenset()) -> Iterator[str]:
        """The `.py` files that assign `revision` and `down_revision`, besides those `known` to
        be revision files already: the files an environment reads are not opened twice."""
        for rel in self.python_files:
            if rel not in known and _assigns_revision(root, rel):
                yield rel


def _walk(root: Path) -> _Walk:
    """One walk of the repository's own folders (not virtualenvs, dependencies, build output
    or hidden folders; never through a symlinked folder). `.py` files are only listed here;
    `_Walk.revision_files` reads them when asked (a byte search first, a module-level regular
    expression only on the few that pass)."""
    ini_files: list[str] = []
    pyprojects: list[str] = []
    python: list[str] = []
    stack, walked = [""], 0
    while stack and walked < MAX_WALKED_FOLDERS:
        folder = stack.pop()
        walked += 1
        files, folders = _listing(root, folder)
        if "pyvenv.cfg" in files and folder:
            continue  # a virtualenv
        for name in files:
            rel = f"{folder}/{name}" if folder else name
            if name.endswith(".py"):
                python.append(rel)
            elif name == "pyproject.toml":
                pyprojects.append(rel)
            elif name.endswith(".ini") and (name == "alembic.ini" or _names_script_location(root, rel)):
                ini_files.append(rel)
        stack.extend(f"{folder}/{name}" if folder else name for name in reversed(folders))
    return _Walk(tuple(sorted(ini_files)), tuple(sorted(pyprojects)), tuple(sorted(python)), bool(stack))


def _listing(root: Path, folder: str) -> tuple[list[str], list[str]]:
    """(file names, folder names to walk) of one folder, sorted; links are not followed."""
    files: list[str] = []
    folders: list[str] = []
    try:
        with os.scandir(root / folder if folder else root) as entries:
            for entry in entries:
                name = entry.name
                if entry.is_symlink():  # a linked file is read (and reported when it leads out)
                    if not entry.is_dir():
                        files.append(name)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if not name.startswith(".") and name not in SKIPPED_FOLDERS:
                        folders.append(name)
                elif entry.is_file(follow_symlinks=False):
                    files.append(name)
    except OSError:
        pass
    return sorted(files), sorted(folders)


def _assigns_revision(root: Path, rel: str) -> bool:
    data, _ = read_bytes(root, rel, UNREADABLE, MAX_SCANNED_BYTES)
    if data is None or b"down_revision" not in data:
        return False
    return bool(_ASSIGNS_DOWN_REVISION.search(data) and _ASSIGNS_REVISION.search(data))


def _names_script_location(root: Path, rel: str) -> bool:
    data, _ = read_bytes(root, rel, UNREADABLE, MAX_SCANNED_BYTES)
    return data is not None and b"script_location" in data


# --------------------------------------------------------------------------- Alembic's configuration


def _alembic_environments(root: Path, walk: _Walk, findings: list[Finding]) -> list[MigrationEnvironment]:
    """Every environment an `alembic` command run beside a configuration file would read."""
    tomls = {posixpath.dirname(rel): table for rel in walk.pyprojects if (table := _tool_alembic(root, rel, findings))}
    environments: list[MigrationEnvironment] = []
    for rel in walk.ini_files:
        here = posixpath.dirname(rel)
        parser = _ini(root, rel, findings)
        if parser is None:
            continue
        text = read_text(root, rel, UNREADABLE)[0]
        for section in _main_sections(parser, rel):
            options = _Options(parser, section, rel, text.text if text else "", tomls.get(here))
            env = _environment(root, here, options, findings)
            if env is not None:
                environments.append(env)
    ini_folders = {posixpath.dirname(rel) for rel in walk.ini_files}
    for here, table in sorted(tomls.items()):
        if here not in ini_folders:
            alone = _Options(configparser.ConfigParser(), "alembic", _join(here, "pyproject.toml"), "", table)
            env = _environment(root, here, alone, findings)
            if env is not None:
                environments.append(env)
    return _unique(environments)


def _main_sections(parser: configparser.ConfigParser, rel: str) -> list[str]:
    """`[alembic]`, and other sections a team selects with `alembic -n NAME` (those that name a
    script_location); an `alembic.ini` without any is still read through its `[alembic]`."""
    sections = [s for s in parser.sections() if parser.has_option(s, "script_location")]
    if "alembic" not in sections and posixpath.basename(rel) == "alembic.ini":
        sections.insert(0, "alembic")
    return sections


class _Options:
    """The options of one ini section, with `[tool.alembic]` beside it as Alembic's fallback
    (an empty parser for a `[tool.alembic]` alone)."""

    def __init__(self, parser, section: str, rel: str, text: str, toml: Optional[dict]):
        self.parser, self.section, self.rel, self.text, self.toml = parser, section, rel, text, toml

    def get(self, name: str) -> tuple[Optional[Any], str]:
        """(value, where it is written); a `[tool.alembic]` value is returned as TOML gave it."""
        if self.parser.has_option(self.section, name):
            line = _option_line(self.text, self.section, name)
            return _interpolated(self.parser, self.section, name), f"{self.rel}:{line}"
        if self.toml is not None and name in self.toml:
            return self.toml[name], f"{posixpath.join(posixpath.dirname(self.rel), 'pyproject.toml')} [tool.alembic]"
        return None, self.rel

    def flag(self, name: str, findings: list[Finding]) -> bool:
        value, source = self.get(name)
        from_toml = "[tool.alembic]" in source
        if value is not None and not isinstance(value, bool if from_toml else str):
            message = f"{name} must be true or false, not {value!r}; read as false"
            findings.append(finding(UNREADABLE, _location(source), message))
        return value is True or value == "true"  # Alembic compares the ini text with "true"


def _interpolated(parser: configparser.ConfigParser, section: str, name: str) -> str:
    """An option with `%(name)s` filled in as Alembic's ConfigParser fills it, `%(here)s` and a
    literal `%` kept as written (`_resolve` reads them); the raw text when it cannot be."""
    try:
        value = parser.get(section, name).replace("%", "%%")
    except configparser.Error:
        return parser.get(section, name, raw=True)
    return value.replace(_HERE, "%(here)s")


def _environment(root: Path, here: str, options: _Options, findings: list[Finding]) -> Optional[MigrationEnvironment]:
    """The environment one configuration describes, or None (with a finding when it points
    nowhere readable)."""
    script, script_source = options.get("script_location")
    locations, source = _version_locations(root, here, options, findings)
    quiet: list[Finding] = []  # with version_locations set, the script folder only names it
    script_folder = _script_folder(root, here, script, script_source, findings if locations is None else quiet)
    if locations is None:
        if script_folder is None:
            return None
        locations, source = (_join(script_folder, "versions"),), script_source
    elif not locations:
        return None  # every folder refused, with a finding each
    url, _ = options.get("sqlalchemy.url")
    return MigrationEnvironment(
        name="",
        script_location=script_folder,
        version_locations=locations,
        recursive=options.flag("recursive_version_locations", findings),
        source=source,
        sql_dialect=dialect_of_url(url if isinstance(url, str) else None),
    )


def _script_folder(root: Path, here: str, script: Any, source: str, findings: list[Finding]) -> Optional[str]:
    """script_location relative to the root; for a configuration without one (Flask-Migrate
    sets it in Python), or with one a program fills in, the folder beside the file that holds
    `versions/`."""
    if isinstance(script, str) and script.strip() and not _TEMPLATED.search(script):
        return _resolve(root, here, script, source, "script_location", findings)
    for candidate in (here, *(_join(here, name) for name in _listing(root, here)[1])):
        if (root / candidate / "versions").is_dir():
            return candidate
    return None


def _version_locations(root: Path, here: str, options, findings) -> tuple[Optional[tuple[str, ...]], str]:
    """The configured version_locations relative to the root, or None when not set."""
    value, source = options.get("version_locations")
    if value is None or value == "" or value == []:
        return None, source
    if isinstance(value, list):
        entries = [v for v in value if isinstance(v, str)]
        if len(entries) < len(value):
            message = "version_locations must be a list of folders (strings); the others are not read"
            findings.append(finding(UNREADABLE, _location(source), message))
    elif isinstance(value, str):
        entries = split_locations(value, options.get("path_separator")[0] or options.get("version_path_separator")[0])
    else:
        return None, source
    folders = [_resolve(root, here, entry, source, "version_locations", findings) for entry in entries]
    return tuple(dict.fromkeys(f for f in folders if f is not None)), source


def split_locations(value: str, separator: Any) -> list[str]:
    """`version_locations` split as Alembic splits it: on `path_separator` (space, newline, os,
    `:` or `;`; colon, semicolon and comma spelled out are read too), else on commas and spaces."""
    chars = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";",
             "colon": ":", "semicolon": ";", "comma": ","}
    char = chars.get(str(separator).strip().lower()) if isinstance(separator, str) else None
    parts = value.split(char) if char else re.split(r"[,\s]+", value)
    return [part.strip() for part in parts if part.strip()]


def _resolve(root: Path, here: str, value: str, source: str, option: str, findings: list[Finding]) -> Optional[str]:
    """A configured folder relative to the root: `%(here)s` and relative paths are the
    configuration file's folder (an `alembic` command runs there), `package:path` is looked up
    as a package inside the repository. None, with a GOV802 finding, when it leads outside."""
    text = value.strip().replace("%%", "%")
    if "%(here)s" in text:
        text = text.replace("%(here)s", here or ".")
    elif re.match(r"^[A-Za-z]:[\\/]", text) or text.startswith(("/", "\\")):
        pass  # absolute: reported below
    elif ":" in text:
        text = _package_folder(root, here, *text.split(":", 1))
        if text is None:
            return None  # a package installed elsewhere: not the repository's to read
    else:
        text = _join(here, text)
    normal = posixpath.normpath(text.replace("\\", "/"))
    if re.match(r"^[A-Za-z]:/", normal):
        normal = "/" + normal
    if normal.startswith("/") or normal == ".." or normal.startswith("../"):
        where = _location(source)
        message = f"{option} '{value.strip()}' is outside the repository; not read"
        findings.append(finding(UNREADABLE, where, message))
        return None
    if inside(root, root / normal) and not (root / normal).is_dir():  # a link out: read, reported
        where = _location(source)
        findings.append(finding(UNREADABLE, where, f"migration directory '{normal}' does not exist"))
        return None
    return "" if normal == "." else normal


def _package_folder(root: Path, here: str, package: str, rest: str) -> Optional[str]:
    """`myapp.db:migrations` as a folder of the repository: the package beside the configuration,
    at the root or under `src/`."""
    package_path = package.strip().replace(".", "/")
    for base in dict.fromkeys((here, "", "src", _join(here, "src"))):
        candidate = _join(base, package_path)
        if (root / candidate).is_dir():
            return _join(candidate, rest.strip().replace(":", "/"))
    return None


# --------------------------------------------------------------------------- files that configure


def _ini(root: Path, rel: str, findings: list[Finding]) -> Optional[configparser.ConfigParser]:
    text, problem = read_text(root, rel, UNREADABLE)
    if text is None:
        findings.append(problem)
        return None
    parser = configparser.ConfigParser(defaults={"here": _HERE}, strict=False)
    try:
        parser.read_string(text.text, source=rel)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None) or 1
        message = f"cannot read {posixpath.basename(rel)}: {exc.message}"
        findings.append(finding(UNREADABLE, Location(rel, line), message))
        return None
    return parser


def _tool_alembic(root: Path, rel: str, findings: list[Finding]) -> Optional[dict]:
    """`[tool.alembic]` of a pyproject.toml, or None. A pyproject.toml that is not TOML is the
    configuration reader's to report when it is govsite's own; here it only configures nothing."""
    text, _ = read_text(root, rel, UNREADABLE)
    if text is None or "alembic" not in text.text:
        return None
    try:
        table = tomllib.loads(text.text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return None
    table = table.get("alembic") if isinstance(table, dict) else None
    if table is not None and not isinstance(table, dict):
        findings.append(finding(UNREADABLE, Location(rel), "[tool.alembic] must be a table; not read"))
        return None
    return table


def _option_line(text: str, section: str, option: str) -> int:
    """The line of `option` inside `[section]` of an INI text (1 when it cannot be found)."""
    in_section = False
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped == f"[{section}]"
        elif in_section and re.match(rf"{re.escape(option)}\s*[=:]", stripped):
            return number
    return 1


def _location(source: str) -> Location:
    """The Location of a source such as "backend/alembic.ini:7" or "pyproject.toml [tool.alembic]"."""
    path = source.split(" [", 1)[0]
    match = re.fullmatch(r"(.*):(\d+)", path)
    return Location(match.group(1), int(match.group(2))) if match else Location(path)


# --------------------------------------------------------------------------- found by content


def _content_environments(root: Path, walk: _Walk) -> list[MigrationEnvironment]:
    """Environments for the revision files found when nothing configures them: each folder
    named `versions` above such files is one (read recursively when files sit in its
    sub-folders), else each folder holding them."""
    groups: dict[str, bool] = {}
    for rel in walk.revision_files(root):
        folder = posixpath.dirname(rel)
        top = _versions_ancestor(folder)
        groups[top] = groups.get(top, False) or top != folder
    if (root / "alembic" / "versions").is_dir():  # `alembic init alembic`'s place, read as before
        groups.setdefault("alembic/versions", False)
    environments, seen = [], set()
    for folder, recursive in sorted(groups.items()):
        if (real := os.path.realpath(root / folder)) in seen:
            continue  # the same folder through a link
        seen.add(real)
        parent = posixpath.dirname(folder)
        script = parent if posixpath.basename(folder) == "versions" and (root / parent / "env.py").is_file() else None
        environments.append(MigrationEnvironment("", script, (folder,), recursive, "found by content", None))
    return environments


def _versions_ancestor(folder: str) -> str:
    parts = folder.split("/")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] == "versions":
            return "/".join(parts[: index + 1])
    return folder


# --------------------------------------------------------------------------- the whole picture


def _configured_environment(config: Config) -> MigrationEnvironment:
    return MigrationEnvironment("", None, tuple(config.migrations), False, "govsite.toml migrations", None)


_DECLARED = "govsite.toml environments."


def _names_a_dialect(name: str) -> bool:
    """`postgresql`, `sqlite`, `mysql`, `pg`: a folder named for the database it serves."""
    lowered = name.lower()
    return lowered in SQLALCHEMY_DIALECTS or lowered in SQL_DIALECT_ALIASES


def _per_dialect(root: Path, walk: _Walk, env: MigrationEnvironment) -> Optional[list[MigrationEnvironment]]:
    """A versions folder that holds no revision file itself, only a sub-folder per database
    (`versions/postgresql`, `versions/sqlite`), is that many revision graphs: env.py picks one
    at run time by the database it runs on. One environment each, read in its folder's dialect;
    None when the folder is anything else (a sub-folder per release is one graph)."""
    if len(env.version_locations) != 1 or any(ch in env.version_locations[0] for ch in "*?["):
        return None
    location = env.version_locations[0]
    prefix = f"{location}/" if location not in ("", ".") else ""
    folders: dict[str, list[str]] = {}
    for rel in walk.python_files:
        if not rel.startswith(prefix):
            continue
        inner = rel[len(prefix):].split("/")
        if len(inner) == 1 and _revision_file(root, rel) and _assigns_revision(root, rel):
            return None  # revisions of its own: the folder is read as Alembic reads it
        if len(inner) == 2:
            folders.setdefault(inner[0], []).append(rel)
    graphs = {name: files for name, files in folders.items()
              if any(_revision_file(root, rel) and _assigns_revision(root, rel) for rel in files)}
    if not graphs or not all(_names_a_dialect(name) for name in graphs):
        return None
    base = env.script_location or location
    return [
        MigrationEnvironment(f"{base} ({name})", env.script_location, (f"{prefix}{name}",), False,
                             f"{env.source}, a folder per dialect", canonical_dialect(name), canonical_dialect(name))
        for name in sorted(graphs)
    ]


def _declared_environments(config: Config) -> list[MigrationEnvironment]:
    """The environments govsite.toml declares with their own `migrations`: revision graphs that
    no Alembic configuration names, such as a folder per dialect that env.py picks at run time."""
    return [
        MigrationEnvironment(name, None, options["migrations"], False, f"{_DECLARED}{name}",
                             options.get("sql_dialect"))
        for name, options in sorted(config.environments.items()) if "migrations" in options
    ]


def _unique(environments: list[MigrationEnvironment]) -> list[MigrationEnvironment]:
    """One environment per set of folders (an alembic.ini and a test copy of it read the same)."""
    seen: dict[tuple, MigrationEnvironment] = {}
    for env in environments:
        seen.setdefault((env.version_locations, env.recursive), env)
    return list(seen.values())


def _named(environments: list[MigrationEnvironment]) -> list[MigrationEnvironment]:
    """Name each environment by its script location (else its first folder) when there are
    several; a single environment has the empty name, unless govsite.toml named it."""
    if len(environments) < 2:
        return environments
    named: dict[str, MigrationEnvironment] = {}
    for env in environments:
        name = env.name or env.script_location or env.version_locations[0] or "."
        if name in named:
            name = f"{name} ({env.source})"
        named[name] = replace(env, name=name)
    return [named[name] for name in sorted(named)]


def _with_dialect(env: MigrationEnvironment, config: Config) -> MigrationEnvironment:
    """The dialect govsite.toml sets for this environment wins over the one of its URL."""
    chosen = _configured_dialect(env, config)
    return env if chosen is None else replace(env, sql_dialect=chosen)


def _configured_dialect(env: MigrationEnvironment, config: Config) -> Optional[str]:
    return config.environments.get(env.name or env.script_location or "", {}).get("sql_dialect")


def environment_dialect(env: MigrationEnvironment, config: Config) -> str:
    """The SQL dialect raw SQL of this environment is read in by default."""
    return env.sql_dialect or config.sql_dialect


def declared_database(env: MigrationEnvironment, config: Config) -> str:
    """The database this environment runs on: its own `sql_dialect` in govsite.toml, else the
    one its folder is named for, else the global `sql_dialect`. Unlike `environment_dialect`, a
    literal `sqlalchemy.url` does not count: it is as often a developer's SQLite as production."""
    return _configured_dialect(env, config) or env.database or config.sql_dialect


def dialect_of_url(url: Optional[str]) -> Optional[str]:
    """`postgresql+psycopg://...` -> "postgres"; None for a URL filled in at run time or a
    dialect no SQL reader knows (Alembic's template `driver://`, answered without asking
    sqlglot)."""
    match = re.match(r"\s*([A-Za-z][\w]*)(?:\+[\w.]+)?://", url or "")
    if not match or match.group(1).lower() == ALEMBIC_TEMPLATE_DRIVER:
        return None
    return canonical_dialect(match.group(1))


def _unreached(root: Path, walk: _Walk, environments, read: set[str], config: Config) -> Iterator[Finding]:
    """GOV806 once per folder of revision files that no environment reads, naming the option
    that would read it."""
    stray: dict[str, list[str]] = {}
    real: Optional[set[str]] = None
    for rel in walk.revision_files(root, frozenset(read)):
        if rel not in read:
            real = real if real is not None else {os.path.realpath(root / r) for r in read}
            if os.path.realpath(root / rel) in real:
                continue  # read through a link inside the repository
            stray.setdefault(posixpath.dirname(rel), []).append(rel)
    for folder, files in sorted(stray.items()):
        yield finding(
            "GOV806",
            Location(files[0]),
            f"{len(files)} revision file{'s' if len(files) > 1 else ''} in '{folder or '.'}' "
            f"{'are' if len(files) > 1 else 'is'} not read: {_remedy(folder, environments, config)}",
        )


def _unmatched_settings(root: Path, environments, config: Config) -> Iterator[Finding]:
    """GOV802 for an `[environments."name"]` table that names no environment: a typo, or a
    folder that moved, would otherwise drop its settings (and the database the safety checks
    judge) in silence."""
    known = {env.name or env.script_location or "" for env in environments}
    shown = ", ".join(f"'{name}'" for name in sorted(known) if name) or "none with a name"
    for name in sorted(set(config.environments) - known):
        where = _config_file(root)
        yield finding("GOV802", Location(where, _line_naming(root, where, name)), (
            f"[environments.\"{name}\"] names no migration environment, so its settings apply to "
            f"nothing; the environments are: {shown}"
        ))


def _line_naming(root: Path, rel: str, name: str) -> int:
    """The line of a configuration file that names `name` in an `environments` table (1 if none)."""
    text, _ = read_text(root, rel, UNREADABLE)
    lines = text.text.splitlines() if text else []
    return next((n for n, line in enumerate(lines, 1) if "environments" in line and name in line), 1)


def _remedy(folder: str, environments, config: Config) -> str:
    if config.migrations:
        return f"add '{folder}' to migrations in govsite.toml"
    name = posixpath.basename(folder)
    declare = f'[environments.{name}] migrations = ["{folder}/*.py"] in govsite.toml'
    if any(env.source.startswith(_DECLARED) for env in environments):
        return f"add it to the migrations of an environment, or declare one: {declare}"
    if _names_a_dialect(name):
        # a folder per dialect is a revision graph per database, picked by env.py at run time
        return f"a folder per dialect is a revision graph of its own: declare each, like {declare}"
    for env in environments:
        for location in env.version_locations:
            if not env.recursive and folder.startswith(f"{location}/") and env.source != "found by content":
                return f"set recursive_version_locations = true in {_file_of(env.source)}"
    configured = [env for env in environments if env.source != "found by content"]
    if configured:
        where = _file_of(configured[0].source)
        return f"add it to version_locations in {where}, or list it in migrations in govsite.toml"
    return "list it in migrations in govsite.toml"


def _file_of(source: str) -> str:
    location = _location(source)
    return f"{location.path} [tool.alembic]" if "[tool.alembic]" in source else location.path


def _nothing_found(root: Path, environments, walk: _Walk, config: Config) -> Finding:
    """GOV805: nothing to check, said on the file that configures where migrations are."""
    if environments:
        env = environments[0]
        where = _location(env.source) if env.source != "found by content" else Location(env.version_locations[0])
        if env.source == "govsite.toml migrations" or env.source.startswith(_DECLARED):
            where = Location(_config_file(root))
        folders = [f"'{loc}'" for e in environments for loc in e.version_locations]
        message = f"no migrations found: {', '.join(folders)} hold{'s' if len(folders) == 1 else ''} no revision file"
    elif walk.ini_files:
        where = Location(walk.ini_files[0])
        names = ", ".join(walk.ini_files[:3]) + (" ..." if len(walk.ini_files) > 3 else "")
        message = (
            f"no migrations found: {names} name{'s' if len(walk.ini_files) == 1 else ''} no readable "
            "migration folder, and no .py file assigns revision and down_revision"
        )
    else:
        where = Location(_config_file(root))
        message = (
            "no migrations found: no alembic.ini, no [tool.alembic] in pyproject.toml and no .py "
            "file assigning revision and down_revision (virtualenvs, node_modules, build output "
            "and hidden folders are not searched)"
        )
    if walk.truncated:
        message += f"; only the first {MAX_WALKED_FOLDERS} folders were searched"
    declared = any(env.source.startswith(_DECLARED) for env in environments)
    remedy = ("correct the migrations of the environments in govsite.toml (globs relative to the "
              "repository root)" if declared else "set migrations in govsite.toml")
    return finding(
        "GOV805", where,
        f"{message}; {remedy}, or expect_migrations = false for a repository without migrations yet",
    )


def _config_file(root: Path) -> str:
    for name in ("govsite.toml", "pyproject.toml", "alembic.ini"):
        if (root / name).is_file():
            return name
    return "."


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


__all__ = [
    "Discovery",
    "MigrationEnvironment",
    "dialect_of_url",
    "discover",
    "environment_dialect",
    "environment_files",
    "split_locations",
]
