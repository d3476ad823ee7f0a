"""`govsite init`: the first day in a repository.

It finds the migration environments the way validate does (`sources.discovery`), guesses the
SQL dialect, writes a commented `govsite.toml`, and prints, or with `--write` creates, what
makes every later change checked: the CI workflow and pre-commit entry whose path patterns
match the folders found, the metadata header in each `script.py.mako`, and empty ADR and
register skeletons. A file that is already there is never changed (`--force` replaces only
`govsite.toml`), so a second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from ..config import DEFAULT_ALLOWED_VALUES, Config, ConfigError, config_from_mapping, load_config
from ..model import record
from ..sources.discovery import discover, environment_files
from ..terminal import Status
from .common import EXIT_OK, CommandError, add_repository_argument, emit, repository_root

TEMPLATES = Path(__file__).with_name("templates")
REFUSED = "refused"  # a file init would not write; the run then exits 2
WORKFLOW = ".github/workflows/governance.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
ADR_TEMPLATE = "0000-template.md"

DESCRIPTION = """\
Set a repository up for govsite: detect its migration folders and SQL dialect, write a commented
govsite.toml, and print the CI workflow, the pre-commit entry and the metadata header for
script.py.mako (with --write: add them, with docs/adr/ and the exceptions register). Files that
exist are kept; running it again changes nothing."""

EPILOG = """\
examples:
  govsite init                  detect, write govsite.toml, print the rest
  govsite init --write          also write the workflow, pre-commit entry, header and skeletons
  govsite init --baseline       also record today's findings in govsite-baseline.json
  govsite init --force          replace an existing govsite.toml"""

#: The dialects a migration branches on: `dialect.name == "mysql"` (or `!=`, either side), and
#: `url.startswith("mysql")` on a database URL or driver name.
_DIALECT_BRANCH = re.compile(
    r"""dialect\.name\s*[!=]=\s*['"](\w+)['"]"""
    r"""|['"](\w+)['"]\s*[!=]=\s*\w+(?:\.\w+)*\.dialect\.name"""
    r"""|\w*(?:url|driver\w*|dialect|name)\s*\.startswith\(\s*['"](\w+)""",
    re.IGNORECASE,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repository_argument(parser, "to set up")
    parser.add_argument(
        "--write", action="store_true",
        help="also write the CI workflow, the pre-commit configuration, the header in each "
        "script.py.mako, docs/adr/ with a template and the exceptions register (files that "
        "exist are kept)",
    )
    parser.add_argument(
        "--baseline", action="store_true",
        help="record the current findings in the baseline file (govsite-baseline.json), so "
        "only new ones fail; an existing baseline is kept",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing govsite.toml"
    )


# --------------------------------------------------------------------------- what is found


@record
class Dialect:
    name: Optional[str]  # None: none detected, the default applies
    source: str


@record
class Planned:
    """A file init writes: created when missing, never changed when present."""

    path: str
    text: str
    what: str
    needs_write: bool  # only with --write (govsite.toml is always written)
    shown: bool  # printed in full when not written


def run(args: argparse.Namespace) -> int:
    root = repository_root(args.repo)
    kept, config = _starting_configuration(root, args.force)
    discovery = discover(root, config)
    environments = list(discovery.environments)
    dialects = _detect_dialects(root, environments)
    out: list[str] = [f"govsite init {root}", "", "Detected:"]
    out += _detected_lines(root, environments, dialects)
    out += [f"  {f.rule}       {f.location.path}:{f.location.line}: {f.message}" for f in discovery.findings]
    plans = [_config_plan(environments, dialects, config)] if kept is None else []
    plans += _plans(root, config, environments)
    out += ["", "Files:"]
    if kept is not None:
        out.append(f"  kept      {kept} (already present; --force replaces govsite.toml)")
    printed: list[tuple[str, str]] = []  # (title, text) shown at the end
    for plan in plans:
        out.append(_apply(root, plan, args.write, args.force, printed))
    out += _mako_lines(root, config, environments, args.write, printed)
    refused = [line.split()[1] for line in out if line.startswith(f"  {REFUSED} ")]
    if refused:
        emit("\n".join(out) + "\n")
        raise CommandError(f"not written: {', '.join(refused)} (see above)")
    final = load_config(root)  # what validate will read: it must load
    count, lines = _findings(root, final, args.baseline)
    out += lines
    out += _next_steps(root, final, args.write, printed, count)
    for title, text in printed:
        out += ["", f"----- {title} -----", text.rstrip("\n")]
    emit("\n".join(out) + "\n")
    return EXIT_OK


def _starting_configuration(root: Path, force: bool) -> tuple[Optional[str], Config]:
    """The configuration kept (its name) and the one to detect with.

    An existing govsite.toml or `[tool.govsite]` is kept and must load (a broken one is a
    configuration error, exit 2); with --force a govsite.toml is replaced without being read.
    """
    toml = root / "govsite.toml"
    if toml.exists() or toml.is_symlink():
        if force:
            return None, Config()
        return "govsite.toml", load_config(root)
    config = load_config(root)
    return ("[tool.govsite] in pyproject.toml" if _has_tool_table(root) else None), config


def _has_tool_table(root: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data.get("tool"), dict) and "govsite" in data["tool"]


def _detect_dialects(root: Path, environments: Sequence) -> list[Dialect]:
    """Each environment's dialect: the one its folder is named for (a folder per database), else
    a literal `sqlalchemy.url` (discovery reads both), else the dialects its migrations branch
    on (`if bind.dialect.name == "mysql":`)."""
    dialects = []
    for env in environments:
        if env.database:
            dialects.append(Dialect(env.database, f"the name of its folder, {env.version_locations[0]}"))
            continue
        if env.sql_dialect:
            dialects.append(Dialect(env.sql_dialect, f"sqlalchemy.url in {env.source}"))
            continue
        seen: Counter[str] = Counter()
        for rel in environment_files(root, env):
            names = {"".join(groups) for groups in _DIALECT_BRANCH.findall(_text(root, rel))}
            seen.update(n for n in (_known_dialect(name) for name in names) if n)
        if not seen:
            dialects.append(Dialect(None, "no sqlalchemy.url and no dialect branches in the migrations"))
            continue
        ranked = seen.most_common()
        listed = ", ".join(f"{name} in {count}" for name, count in ranked)
        dialects.append(Dialect(ranked[0][0], f"dialect branches in the migrations ({listed} files)"))
    return dialects


def _known_dialect(name: str) -> Optional[str]:
    try:
        return config_from_mapping({"sql_dialect": name}).sql_dialect
    except ConfigError:
        return None


def _text(root: Path, rel: str) -> str:
    from ..sources.files import read_text

    text, _ = read_text(root, rel, "GOV802")
    return text.text if text is not None else ""


def _detected_lines(root: Path, environments: Sequence, dialects: Sequence[Dialect]) -> list[str]:
    lines = []
    for env, dialect in zip(environments, dialects):
        folders = ", ".join(env.version_locations) + (" (and sub-folders)" if env.recursive else "")
        count = len(environment_files(root, env))
        lines.append(f"  migrations   {folders}: {count} file{'' if count == 1 else 's'}, from {env.source}")
        shown = dialect.name or f"{Config.sql_dialect} (the default)"
        lines.append(f"  SQL dialect  {shown}, from {dialect.source}")
    if not environments:
        lines.append(
            "  migrations   none found: no Alembic configuration and no files that assign "
            "revision and down_revision (validate reports GOV805 until there are)"
        )
    return lines


# --------------------------------------------------------------------------- govsite.toml


def _config_plan(environments: Sequence, dialects: Sequence[Dialect], config: Config) -> Planned:
    text = config_text(environments, dialects, config)
    return Planned("govsite.toml", text, "configuration", False, False)


def config_text(environments: Sequence, dialects: Sequence[Dialect], config: Config) -> str:
    """A commented govsite.toml: what was found and where from, and the defaults to change."""
    lines = [
        "# govsite configuration, written by `govsite init`. Every key is optional; commented",
        "# lines show the default. The options are described in govsite's docs/adopting.md.",
        "",
    ]
    lines += _migrations_block(environments)
    default, per_environment = _dialect_settings(environments, dialects)
    lines += ["", "# SQL dialect of raw SQL in op.execute() (dialect branches are read as their own)."]
    if default:
        lines += [f"# Detected from {default.source}.", f"sql_dialect = {_toml(default.name)}"]
    else:
        lines += [f"# Not detected: {_first(dialects, 'no migrations')}.", f"# sql_dialect = {_toml(Config.sql_dialect)}"]
    lines += [
        "",
        "# ADRs, the emergency-change register and the policy documents",
        f"adrs = {_toml(config.adrs)}",
        f"exceptions = {_toml(config.exceptions)}",
        f"policies = {_toml(config.policies)}",
        "",
        "# The metadata header every migration carries (`govsite init` prints the template",
        "# for script.py.mako); allowed values per field go in an [allowed_values] table.",
        f"required_fields = {_toml(config.required_fields)}",
        "",
        "# Only these index and constraint drops are destructive when set (default: all).",
        "# p0_indexes = []",
        "# critical_constraints = []",
        "",
        '# The run fails on findings of this severity or worse ("error" or "warning").',
        f"fail_on = {_toml(config.fail_on.value)}",
        '# disable = []              # rule codes to switch off, like "GOV505"',
        "",
        "# Findings accepted on the first day are listed in this file (`govsite baseline .`);",
        "# later runs fail only on new ones. Or suppress a revision and its ancestors:",
        f"# baseline = {_toml(config.baseline)}",
        '# legacy_until = "<revision>"',
    ]
    for name, dialect in per_environment:
        lines += ["", f"# {dialect.source}", f"[environments.{_toml(name)}]", f"sql_dialect = {_toml(dialect.name)}"]
    return "\n".join(lines) + "\n"


def _first(dialects: Sequence[Dialect], otherwise: str) -> str:
    return dialects[0].source if dialects else otherwise


def _dialect_settings(environments: Sequence, dialects: Sequence[Dialect]):
    """The most common detected dialect is the default; an environment that differs gets its
    own `[environments."<name>"]` table."""
    detected = [(env, d) for env, d in zip(environments, dialects) if d.name]
    if not detected:
        return None, []
    counts = Counter(d.name for _, d in detected)
    name = sorted(counts, key=lambda n: (-counts[n], n))[0]
    default = next(d for _, d in detected if d.name == name)
    others = [(env.name or env.script_location or "", d) for env, d in detected if d.name != name]
    return default, [(key, d) for key, d in others if key]


def _migrations_block(environments: Sequence) -> list[str]:
    """Discovery finds the same folders on every run, so they are named in a comment: a
    `migrations` list here would replace discovery (and merge a monorepo's environments)."""
    lines = ["# Migration folders: found on every run as Alembic finds them."]
    for env in environments:
        lines.append(f"#   {', '.join(env.version_locations)}  ({env.source})")
    if environments:
        lines.append("# To read other folders instead, list them (globs allowed):")
        lines.append(f"# migrations = {_toml(tuple(environments[0].version_locations))}")
    else:
        lines += [
            "# None found yet, so validate fails with GOV805. Name them here if Alembic's",
            "# configuration does not, or say that there are none yet on purpose:",
            '# migrations = ["alembic/versions"]',
            "# expect_migrations = false",
        ]
    return lines


def _toml(value) -> str:
    """A TOML value: JSON strings and arrays of strings are TOML as they are."""
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


# --------------------------------------------------------------------------- workflow and hooks


def watched_globs(config: Config, environments: Sequence) -> list[str]:
    """Every path whose change can change govsite's verdict, as globs from the repository root."""
    globs: list[str] = []
    for env in environments:
        globs += [f"{location}/**" for location in env.version_locations]
    if not environments:
        globs += list(config.migrations) or ["**/versions/**"]
    globs += [*config.adrs, config.exceptions, *config.policies, *config.ci]
    globs += ["govsite.toml", "pyproject.toml", "**/alembic.ini", config.baseline]
    return list(dict.fromkeys(globs))


def glob_regex(glob: str) -> str:
    """A root-relative glob as the regular expression pre-commit's `files:` takes."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = glob[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, "\\" + char if char in ".^$+(){}|[]\\" else char))
            i += 1
    return "".join(out)


def workflow_text(globs: Sequence[str]) -> str:
    template = (TEMPLATES / "governance.yml").read_text(encoding="utf-8")
    paths = "\n".join(f"      - {json.dumps(glob, ensure_ascii=False)}" for glob in globs)
    return template.replace("@PATHS@", paths)


def pre_commit_text(globs: Sequence[str]) -> str:
    template = (TEMPLATES / "pre-commit-config.yaml").read_text(encoding="utf-8")
    pattern = "^(?:" + "|".join(glob_regex(g) for g in globs) + ")$"
    return template.replace("@FILES@", pattern.replace("'", "''"))


def _plans(root: Path, config: Config, environments: Sequence) -> list[Planned]:
    globs = watched_globs(config, environments)
    adr_folder = _folder_of(config.adrs[0]) if config.adrs else "docs/adr"
    return [
        Planned(WORKFLOW, workflow_text(globs), "CI workflow", True, True),
        Planned(PRE_COMMIT, pre_commit_text(globs), "pre-commit configuration", True, True),
        Planned(
            f"{adr_folder}/{ADR_TEMPLATE}", (TEMPLATES / "adr-template.md").read_text(encoding="utf-8"),
            "ADR template", True, False,
        ),
        Planned(
            config.exceptions, (TEMPLATES / "exceptions-register.md").read_text(encoding="utf-8"),
            "exceptions register", True, False,
        ),
    ]


def _folder_of(glob: str) -> str:
    """The fixed folder a glob starts with (`docs/adr/*.md` -> `docs/adr`)."""
    parts = []
    for part in glob.split("/")[:-1]:
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts) or "."


def _lacks_hook(path: Path) -> bool:
    try:
        return "govsite-validate" not in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _apply(root: Path, plan: Planned, write: bool, force: bool, printed: list[tuple[str, str]]) -> str:
    target = root / plan.path
    replace = force and plan.path == "govsite.toml"
    if (target.exists() or target.is_symlink()) and not replace:
        if plan.path == PRE_COMMIT and _lacks_hook(target):
            printed.append((f"{plan.path}: the hook to add to its repos:", plan.text))
            return f"  kept      {plan.path} (already present, without govsite's hook: add the one below)"
        if plan.shown and target.read_bytes() != plan.text.encode("utf-8"):
            printed.append((f"{plan.path} ({plan.what})", plan.text))
            return f"  kept      {plan.path} (already present; what init would write is below)"
        return f"  kept      {plan.path} (already present)"
    if plan.needs_write and not write:
        if plan.shown:
            printed.append((f"{plan.path} ({plan.what})", plan.text))
            return f"  printed   {plan.path} ({plan.what}, below; --write creates it)"
        return f"  skipped   {plan.path} ({plan.what}; --write creates it)"
    problem = _write(root, plan.path, plan.text)
    if problem:
        return f"  {REFUSED:<9} {plan.path} ({problem})"
    return f"  {'replaced' if replace else 'created':<9} {plan.path} ({plan.what})"


def _write(root: Path, rel: str, text: str) -> Optional[str]:
    """Write one file inside the repository; the reason it was not written, else None.

    A path that is a link, or leads outside the repository through `..` or a linked folder,
    is refused: init must not write where the repository's own files point."""
    from ..paths import inside

    target = root / rel
    if target.is_symlink():
        return "is a link; not written"
    if not inside(root, target):
        return "leads outside the repository; not written"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as stream:
            stream.write(text.encode("utf-8"))
    except OSError as exc:
        return f"cannot be written: {exc.strerror or exc}"
    return None


# --------------------------------------------------------------------------- script.py.mako


def header_template(config: Config) -> str:
    """The header lines for script.py.mako: every required field, with what it takes."""
    allowed = {**DEFAULT_ALLOWED_VALUES, **config.allowed_values}
    lines = []
    for field in config.required_fields:
        if field == "MIGRATION_ID":
            value = '${create_date.strftime("%Y%m%d%H%M")}'
        elif field == "TITLE":
            value = "${message}"
        else:
            choices = allowed.get(field) or (allowed.get("TOUCHES_*") if field.startswith("TOUCHES_") else None)
            value = f"TODO ({' | '.join(choices)})" if choices else "TODO"
        lines.append(f"{field}: {value}")
    return "\n".join(lines) + "\n"


def _mako_lines(
    root: Path, config: Config, environments: Sequence, write: bool, printed: list[tuple[str, str]]
) -> list[str]:
    header = header_template(config)
    lines: list[str] = []
    templates = sorted({f"{env.script_location}/script.py.mako" for env in environments if env.script_location})
    for rel in templates:
        lines.append("  " + _add_header(root, rel, header, config, write))
    if not templates or any(not line.startswith(("  kept", "  changed")) for line in lines):
        printed.append(("metadata header for script.py.mako, after the docstring's first line", header))
    return lines


def _add_header(root: Path, rel: str, header: str, config: Config, write: bool) -> str:
    from ..paths import inside

    path = root / rel
    if path.is_symlink() or not inside(root, path):
        return f"{REFUSED if write else 'skipped':<9} {rel} (a link, or outside the repository; not read)"
    if not path.is_file():
        return f"skipped   {rel} (no such file; add the header below to your template)"
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"skipped   {rel} (cannot read it as UTF-8 text: {exc}; add the header by hand)"
    fields = "|".join(re.escape(f) for f in config.required_fields)
    if re.search(rf"^[ \t]*(?:{fields})[ \t]*:", text, re.M):
        return f"kept      {rel} (already has the metadata header)"
    lines = text.split("\n")
    opening = next((i for i, line in enumerate(lines) if line.lstrip().startswith(('"""', 'r"""'))), None)
    if opening is None:
        return f"skipped   {rel} (no docstring to add the header to; add it by hand)"
    if not write:
        return f"skipped   {rel} (--write adds the header below to its docstring)"
    after = lines[opening + 1 :]
    added = ["", *header.rstrip("\n").split("\n")] + ([""] if after and after[0].strip() else [])
    new = "\n".join([*lines[: opening + 1], *added, *after])
    problem = _write(root, rel, new)
    if problem:
        return f"{REFUSED:<9} {rel} ({problem})"
    return f"changed   {rel} (metadata header added to the docstring)"


# --------------------------------------------------------------------------- baseline, next steps


def _findings(root: Path, config: Config, baseline: bool) -> tuple[int, list[str]]:
    """The findings that would fail validate now; with `baseline`, they are recorded first
    (an existing baseline file is kept, so a second run changes nothing)."""
    from ..cache import ParseCache
    from ..rules import failing, run_rules
    from ..sources import load_repository
    from .baseline import write_baseline

    with Status(sys.stderr) as status:
        status.show(f"checking {root} with this configuration ...")
        repo = load_repository(root, config, cache=ParseCache.for_repository(root))
        open_findings = failing(run_rules(repo, config), config)
        present = (root / config.baseline).exists() or (root / config.baseline).is_symlink()
        lines = []
        if baseline and present:
            lines.append(f"  kept      {config.baseline} (already present; `govsite baseline --update` prunes it)")
        elif baseline:
            _, recorded = write_baseline(root, config, repo=repo)
            lines.append(f"  created   {config.baseline} ({recorded} findings recorded; later runs fail only on new ones)")
            open_findings = failing(run_rules(repo, config), config)
    summary = f"{len(open_findings)} at or above {config.fail_on.value} in {len(repo.migrations)} migrations"
    return len(open_findings), [*lines, "", f"Findings: {summary}."]


def _next_steps(root: Path, config: Config, write: bool, printed: Sequence, count: int) -> list[str]:
    """The commands to run next, each with what it does, in aligned columns."""
    here = "" if root == Path(".") else f" {shlex.quote(str(root))}"
    git = "git" if root == Path(".") else f"git -C {shlex.quote(str(root))}"
    commands = []
    if printed and not write:
        commands.append((f"govsite init{here} --write", "create the files shown below"))
    if count:
        commands.append((f"govsite baseline{here}", f"accept today's {count} findings in {config.baseline}"))
    commands += [
        (f"govsite validate{here}", "check the repository (exit 0 when clean)"),
        (f"govsite build{here} --site-dir site", "build the governance site"),
        (f"{git} add -A && {git} commit", "commit the configuration and the files above"),
    ]
    width = max(len(command) for command, _ in commands)
    return ["", "Next:", *(f"  {command.ljust(width)}   {what}" for command, what in commands)]
