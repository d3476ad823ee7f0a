"""Accepting the past: the baseline file and the `legacy_until` cut-off.

A team adopting govsite on a repository with years of migrations records today's findings in a
baseline file (`govsite baseline`), or names the last legacy revision in `legacy_until`. Later
runs report those findings as suppressed (kind "baseline" or "legacy") and fail only on new ones.

A baseline entry is a rule, a path and a fingerprint: a hash of the rule, the path and the
statement the finding points at, without its comments, spacing, quote style and trailing
commas. The line number is not part of it, so inserting lines above a finding, reformatting it
or editing another statement leaves it accepted; nor are the words of the message, which a later
version of govsite may put differently. A finding on no statement (a header field, the file as a
whole) has its message, numbers taken out, hashed in instead. Files written before statements
were enough still match: a finding is also looked up by that older print, message and all.
Entries that match no finding any more are reported as GOV807, so the file only shrinks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from ..catalog import CATALOG, finding
from ..config import Config, ConfigError
from ..graph import RevisionGraph, environment_graphs
from ..model import Finding, Location, Migration, Repository, Suppression, record
from ..paths import inside
from .base import document

VERSION = 1
STALE = "GOV807"
ABOUT = (
    "Findings accepted when govsite was adopted: they are reported as suppressed, not failed. "
    "Fix them and run `govsite baseline --update` to drop their entries; never add entries by hand."
)
REWRITE = "; remove it and run `govsite baseline` to write it again"
_ENTRY_KEYS = ("rule", "path", "fingerprint", "what")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_TRAILING_COMMA = re.compile(r",(?=[)\]}])")


@record
class BaselineEntry:
    rule: str
    path: str
    fingerprint: str
    what: str = ""
    line: int = 1  # of the entry in the baseline file

    def data(self) -> dict[str, str]:
        return {"rule": self.rule, "path": self.path, "fingerprint": self.fingerprint, "what": self.what}


@record
class Baseline:
    path: str  # relative to the repository root, as configured
    entries: tuple[BaselineEntry, ...]


# --------------------------------------------------------------------------- fingerprints


def fingerprints(findings: Sequence[Finding], repo: Repository, *, by_message: bool = False,
                 statements: Optional[list[str]] = None) -> list[str]:
    """One fingerprint per finding, in the same order: of rule, path and statement, with the
    message only for a finding on no statement (or for every finding with `by_message`: the
    prints of older baseline files). Equal findings in one file get their ordinal (by line)
    hashed in, so each has an entry of its own."""
    if statements is None:
        statements = _statements(findings, repo)
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: dict[str, int] = {}
    result = [""] * len(findings)
    for i in order:
        f, statement = findings[i], statements[i]
        said = _NUMBER.sub("#", f.message) if by_message or not statement else ""
        key = "\0".join((f.rule, f.location.path, said, statement))
        count = seen[key] = seen.get(key, 0) + 1
        if count > 1:
            key += f"\0{count}"
        result[i] = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return result


def _statements(findings: Sequence[Finding], repo: Repository) -> list[str]:
    migrations = {m.path: m for m in repo.migrations}
    return [_statement(migrations.get(f.location.path), f.location.line) for f in findings]


def _statement(migration: Optional[Migration], line: int) -> str:
    """The operation statement holding `line`, without its comments and layout ('' if none)."""
    if migration is None:
        return ""
    inner = [(a, b) for a, b in migration.statement_spans if a <= line <= b]
    if not inner:
        return ""
    first, last = max(inner)  # the innermost statement starts last
    cuts = {c.line: c.column for c in migration.comments_between(first, last)}
    lines = migration.source.splitlines()[first - 1 : last]
    kept = [
        text[: cuts[number] - 1] if number in cuts else text
        for number, text in enumerate(lines, start=first)
    ]
    compact = _SPACE.sub("", "".join(kept)).replace("'", '"')  # what a formatter changes
    return _TRAILING_COMMA.sub("", compact)


# --------------------------------------------------------------------------- the file


def baseline_text(findings: Sequence[Finding], repo: Repository) -> str:
    """The baseline file recording `findings`: sorted, one entry a line, the same bytes for
    the same findings, so a review sees exactly which entries went."""
    prints = fingerprints(findings, repo)
    entries = {BaselineEntry(f.rule, f.location.path, fp, f.message) for f, fp in zip(findings, prints)}
    ordered = sorted(entries, key=lambda e: (e.path, e.rule, e.fingerprint, e.what))
    lines = ["    " + _entry_json(e) for e in ordered]
    body = ",\n".join(lines)
    return (
        "{\n"
        f'  "version": {VERSION},\n'
        f'  "about": {json.dumps(ABOUT)},\n'
        f'  "entries": [{chr(10) + body + chr(10) + "  " if lines else ""}]\n'
        "}\n"
    )


def _entry_json(entry: BaselineEntry) -> str:
    """One entry on one line; text UTF-8 cannot hold (an undecodable file name) as `\\u` escapes."""
    text = json.dumps(entry.data(), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(entry.data())
    return text


def baseline_path(root: Path, config: Config) -> Path:
    return root / config.baseline


def read_baseline(root: Path, config: Config) -> Optional[Baseline]:
    """The configured baseline file, or None when there is none.

    A file that cannot be used is a configuration error naming the file and line: running as
    if it were empty would fail every accepted finding, and ignoring a bad entry would hide it.
    """
    path = baseline_path(root, config)
    if not os.path.lexists(path):
        return None
    shown = config.baseline
    if not inside(root, path):
        raise ConfigError("is a link to a file outside the repository; not read", shown)
    if not path.is_file():
        raise ConfigError("is not a file; the baseline must be a JSON file", shown)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"is not UTF-8 text{REWRITE}", shown) from None
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON: {exc.msg} (column {exc.colno}){REWRITE}"
        raise ConfigError(problem, shown, exc.lineno) from None
    except RecursionError:
        raise ConfigError(f"is nested too deeply to be a baseline file{REWRITE}", shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", shown) from None
    return Baseline(shown, _entries(data, text, shown))


def _entries(data: Any, text: str, shown: str) -> tuple[BaselineEntry, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f'must be a JSON object with an "entries" list{REWRITE}', shown, 1)
    if data.get("version") != VERSION:
        raise ConfigError(f'"version" must be {VERSION}, not {data.get("version")!r}{REWRITE}', shown, 1)
    lines = _entry_lines(text, len(data["entries"]))
    entries = []
    for item, line in zip(data["entries"], lines):
        problem = _entry_problem(item)
        if problem:
            raise ConfigError(f"baseline entry {problem}{REWRITE}", shown, line)
        what = item.get("what", "")
        entries.append(BaselineEntry(item["rule"], item["path"], item["fingerprint"], what, line))
    return tuple(entries)


def _entry_problem(item: Any) -> Optional[str]:
    if not isinstance(item, dict):
        return f"must be an object, not {json.dumps(item)[:60]}"
    unknown = sorted(set(item) - set(_ENTRY_KEYS))
    if unknown:
        return f"has unknown key {unknown[0]!r} (known: {', '.join(_ENTRY_KEYS)})"
    for key in _ENTRY_KEYS[:3]:
        if not isinstance(item.get(key), str) or not item[key]:
            return f'has no "{key}" string'
    if not isinstance(item.get("what", ""), str):
        return '"what" must be a string'
    if item["rule"] not in CATALOG:
        return f"names unknown rule {item['rule']!r}"
    if not _FINGERPRINT.fullmatch(item["fingerprint"]):
        return f"fingerprint {item['fingerprint']!r} is not 16 hexadecimal digits"
    return None


def _entry_lines(text: str, count: int) -> list[int]:
    """The line each entry starts on, read with the JSON decoder from the `entries` list on."""
    decoder = json.JSONDecoder()
    found = re.search(r'"entries"\s*:\s*\[', text)
    lines: list[int] = []
    pos = found.end() if found else len(text)
    line, counted = 1, 0
    try:
        while len(lines) < count:
            pos = _skip(text, pos, " \t\r\n,")
            _, end = decoder.raw_decode(text, pos)
            line += text.count("\n", counted, pos)
            lines.append(line)
            pos = counted = end
    except (ValueError, IndexError):
        pass
    return lines + [1] * (count - len(lines))


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


# --------------------------------------------------------------------------- applying them


def accept_past(
    findings: Iterable[Finding], repo: Repository, config: Config, *, baseline: bool = True
) -> list[Finding]:
    """Suppress the findings of legacy migrations and those the baseline records; report the
    baseline entries that matched nothing."""
    legacy = legacy_revisions(repo, config)
    result = [_as_legacy(f, legacy, config) for f in findings]
    if baseline:
        loaded = read_baseline(Path(repo.root), config)
        if loaded is not None:
            result = _apply(result, repo, loaded, config)
    return result


def _as_legacy(f: Finding, legacy: dict[str, str], config: Config) -> Finding:
    if f.suppressed or f.location.path not in legacy:
        return f
    cut = ", ".join(config.legacy_until)
    why = f"revision {legacy[f.location.path]} is legacy (legacy_until = {cut})"
    return replace(f, suppression=Suppression("legacy", why))


def _apply(findings: list[Finding], repo: Repository, baseline: Baseline, config: Config) -> list[Finding]:
    open_ = [i for i, f in enumerate(findings) if not f.suppressed]
    checked = [findings[i] for i in open_]
    statements = _statements(checked, repo)
    prints = fingerprints(checked, repo, statements=statements)
    older = fingerprints(checked, repo, by_message=True, statements=statements)
    waiting: dict[tuple[str, str, str], list[BaselineEntry]] = {}
    for entry in baseline.entries:
        waiting.setdefault((entry.rule, entry.path, entry.fingerprint), []).append(entry)
    result = list(findings)
    for i, fp, old in zip(open_, prints, older):
        f = findings[i]
        matches = waiting.get((f.rule, f.location.path, fp)) or waiting.get((f.rule, f.location.path, old))
        if matches:
            entry = matches.pop(0)
            where = Location(baseline.path, entry.line)
            result[i] = replace(f, suppression=Suppression("baseline", f"recorded in {baseline.path}", where))
    severity = config.severity_for(STALE, CATALOG[STALE].severity)
    if severity is not None:
        for entry in sorted((e for left in waiting.values() for e in left), key=lambda e: e.line):
            message = (
                f"baseline entry {entry.rule} on {entry.path} matches no finding any more "
                f"({entry.what or entry.fingerprint}); run `govsite baseline --update` to drop it"
            )
            stale = finding(STALE, Location(baseline.path, entry.line), message)
            result.append(replace(stale, severity=severity))
    return result


def legacy_revisions(repo: Repository, config: Config) -> dict[str, str]:
    """Path -> revision of every migration at or before a `legacy_until` revision.

    An unknown revision is a configuration error: a typo would otherwise check every legacy
    migration, or, worse, a cut-off that names nothing would look like it worked.
    """
    if not config.legacy_until:
        return {}
    graphs = list(environment_graphs(repo.migrations).values())
    legacy: dict[str, str] = {}
    for wanted in config.legacy_until:
        starts = [(g, rev) for g in graphs if (rev := _known_revision(g, wanted)) is not None]
        if not starts:
            raise ConfigError(f"option 'legacy_until': no migration has the revision {wanted!r}")
        for graph, revision in starts:  # the same id in two environments cuts off both
            todo = [revision]
            while todo:
                node = graph.get(todo.pop())
                if node is None or node.path in legacy:
                    continue
                legacy[node.path] = node.revision or ""
                todo.extend(node.down_revisions)
    return legacy


def _known_revision(graph: RevisionGraph, revision: str) -> Optional[str]:
    """`revision`, or the one revision it is a prefix of (as Alembic accepts); None when the
    graph has neither."""
    if graph.get(revision) is not None:
        return revision
    candidates = sorted(r for r in graph.by_revision if r.startswith(revision))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ConfigError(
            f"option 'legacy_until': {revision!r} is the start of several revisions "
            f"({', '.join(candidates[:5])}); write the whole revision id"
        )
    return None


document(
    STALE,
    """
    ## What it does
    Reports an entry of the baseline file (`govsite-baseline.json`, or the `baseline` option)
    that matches no finding any more: the finding it recorded was fixed, its file was removed,
    or the statement it pointed at was changed.

    ## Why is this bad?
    The baseline accepts findings that were there when govsite was adopted. An entry that
    matches nothing accepts nothing today, but would silently accept the same finding if it
    came back. Dropping such entries keeps the file shrinking towards empty.

    ## Example
    ```json
    {"rule": "GOV501", "path": "alembic/versions/3f2a_add_users.py",
     "fingerprint": "5d41402abc4b2a76", "what": "migration has no metadata header"}
    ```
    (the header has since been added to `3f2a_add_users.py`)

    ## Use instead
    ```sh
    govsite baseline --update   # rewrites the file without the entries that match nothing
    ```
    """,
)
