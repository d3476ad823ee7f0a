"""Give the bundled example repository a git history, so that every history-based feature has
something real to show: who added each migration and when, the 24-hour rule for emergency
changes, one site version per release tag, quarterly reviews.

The example is kept in the project as plain files (`examples/attribution-platform/`). This
script copies them into a new git repository (by default `build/example-repo` under the
project root) and commits them in the order a team would have written them:

- each migration at its MIGRATION_ID time (UTC), so the adding commit and the header agree;
- each ADR at its `Date:` / `date:`, by its first decider;
- policy documents and contracts at the dates of their earlier versions, then their final one;
- each exceptions register record shortly after its emergency (and after its retroactive
  migration), so the example passes the 24-hour rule;
- release tags at fixed dates, each tagging the last commit before it.

Identities and dates are fixed, so the same input always gives the same commit SHAs.

    python examples/make_history.py [--source DIR] [--dest DIR] [--force]
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Optional

import git

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT / "examples" / "attribution-platform"
DEFAULT_DEST = PROJECT_ROOT / "build" / "example-repo"

IGNORED_PARTS = {"__pycache__", ".git"}
IGNORED_SUFFIXES = {".pyc", ".db", ".sqlite"}

TEAM = {
    "marta": ("Marta Kowalczyk", "marta.kowalczyk@attribution.example"),
    "tomas": ("Tomás Herrera", "tomas.herrera@attribution.example"),
    "priya": ("Priya Raman", "priya.raman@attribution.example"),
    "samuel": ("Samuel Okafor", "samuel.okafor@attribution.example"),
    "jonas": ("Jonas Lindqvist", "jonas.lindqvist@attribution.example"),
    "aiko": ("Aiko Tanaka", "aiko.tanaka@attribution.example"),
}

# Who writes migrations, in turn (by revision id); a few are written by a named person.
MIGRATION_ROTATION = ("tomas", "priya", "samuel", "marta", "jonas")
MIGRATION_AUTHORS = {
    "0726cd02b4fa": "aiko",  # row-level security
    "ad47e810aca3": "aiko",
    "d5c127ee4aa3": "aiko",  # retention
    "e6d2c6eba557": "jonas",  # INC-2026-0412, by the engineer on call
    "25125dca20ef": "tomas",  # INC-2026-0587
}

# How long after an emergency its exceptions register record is committed: after the
# retroactive migration, well inside the 24 hours the policy allows.
RECORD_DELAY = timedelta(hours=12)
RECORD_AUTHOR = "jonas"
REGISTER_STARTED = ("2025-10-03T10:30:00", "marta", "Start the exceptions register")
EMERGENCY_HEADING = re.compile(r"^## Emergency Change:\s*(.+?)\s*$", re.M)


@dataclass(frozen=True)
class Version:
    """An earlier version of a document: the final text with `replacements` (old, new) applied."""

    when: str
    author: str
    message: str
    replacements: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Document:
    """A file that is not a migration, ADR or register record, with its versions, oldest first.

    The last version's replacements must be empty: it is the file as it is in the example.
    """

    path: str
    versions: tuple[Version, ...]


def _review(version: str, date: str, next_review: str) -> tuple[tuple[str, str], ...]:
    return (("**Version:** ", f"**Version:** {version}"), ("**Date:** ", f"**Date:** {date}"),
            ("**Next Review:** ", f"**Next Review:** {next_review}"))


RLS_V1 = (
    ("Version 2, agreed on 2026-06-10", "Version 1, agreed on 2025-10-28"),
    ("current_setting('app.current_tenant_id', true)", "current_setting('app.current_tenant_id')"),
    (" Since version 2, an unset tenant matches no rows (the `true` argument makes\n"
     "`current_setting` return NULL instead of raising).", ""),
    (" Views over protected tables are created with\n"
     "`security_invoker = true` so that they cannot bypass the policy.", ""),
    ("| 2 | 2026-06-10 | Unset tenant matches no rows; views must use `security_invoker`. |\n", ""),
)

DOCUMENTS = (
    Document("README.md", (Version("2025-10-01T09:00:00", "marta", "Start the attribution schema repository"),)),
    Document(".gitignore", (Version("2025-10-01T09:00:00", "marta", "Start the attribution schema repository"),)),
    Document("alembic.ini", (Version("2025-10-01T09:00:00", "marta", "Start the attribution schema repository"),)),
    Document("alembic/env.py", (Version("2025-10-01T09:00:00", "marta", "Start the attribution schema repository"),)),
    Document("alembic/script.py.mako", (
        Version("2025-10-01T09:00:00", "marta", "Start the attribution schema repository"),
    )),
    Document(".github/workflows/migrations.yml", (
        Version("2025-10-01T11:30:00", "jonas", "CI: policy checks, rollback rehearsal, upgrade-only deploys"),
    )),
    Document("govsite.toml", (Version("2025-10-02T10:00:00", "marta", "Configure the governance checks"),)),
    Document("docs/database/RUNBOOK-MIGRATION-POLICY.md", (
        Version("2025-10-02T14:00:00", "marta", "Adopt the migration policy runbook",
                _review("1.0", "2025-10-02", "2026-01-15")),
        Version("2026-01-14T15:00:00", "marta", "Quarterly review of the migration policy (Q4 2025)",
                _review("1.1", "2026-01-14", "2026-04-15")),
        Version("2026-04-14T15:00:00", "marta", "Quarterly review of the migration policy (Q1 2026)",
                _review("1.2", "2026-04-14", "2026-07-15")),
        Version("2026-07-14T15:00:00", "marta", "Quarterly review of the migration policy (Q2 2026)",
                _review("1.3", "2026-07-14", "2026-10-15")),
        Version("2026-10-14T15:00:00", "marta", "Quarterly review of the migration policy (Q3 2026)"),
    )),
    Document("db/schema/CHANGE_CONTROL.md", (
        Version("2025-10-03T10:00:00", "marta", "Describe the schema change control process",
                _review("1.0", "2025-10-03", "2026-02-01")),
        Version("2026-02-02T11:00:00", "marta", "Review change control: deploy approvals per environment",
                _review("1.1", "2026-02-02", "2026-08-01")),
        Version("2026-08-03T11:00:00", "marta", "Review change control: roles after the spring reorganisation"),
    )),
    Document("docs/ingestion/event-contract.md", (
        Version("2025-10-17T15:00:00", "tomas", "Write down the ingestion contract"),
    )),
    Document("docs/database/rls-contract.md", (
        Version("2025-10-28T16:00:00", "aiko", "Row-level security contract, version 1", RLS_V1),
        Version("2026-06-10T12:00:00", "aiko", "Row-level security contract, version 2"),
    )),
    Document("docs/privacy/retention.md", (
        Version("2026-04-14T16:00:00", "aiko", "Document retention of raw attribution data"),
    )),
)

# ADRs whose status changed after they were written: (path, when, author, earlier status).
ADR_STATUS_CHANGES = (
    ("docs/adr/ADR-012-record-ad-spend-as-decimal-amounts.md", "2026-04-28T14:00:00", "priya",
     "Accepted"),
    ("docs/adr/ADR-016-refresh-reporting-views-from-the-scheduler.md", "2026-09-08T10:00:00",
     "priya", "Accepted"),
)
ADR_TIME = timedelta(hours=14)  # ADRs carry a date only; they are committed at 14:00 UTC

TAGS = (
    ("v1.0.0", "2025-12-05T17:00:00", "marta",
     "First production release: ingestion tables, tenant isolation, default channels."),
    ("v1.1.0", "2026-02-27T17:00:00", "marta",
     "Idempotent ingestion, attribution results, channel reporting."),
    ("v2.0.0", "2026-06-30T17:00:00", "marta",
     "Touchpoints retired (ADR-015), money in minor units (ADR-021), retention (ADR-019)."),
)


@dataclass(frozen=True)
class Step:
    """One commit: when, by whom, why, and the content each touched path has afterwards."""

    when: datetime
    author: str
    message: str
    files: dict[str, bytes] = field(default_factory=dict)


class HistoryError(Exception):
    """The example cannot be turned into a history as planned (a plan entry no longer fits)."""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- reading the example


def source_files(source: Path) -> dict[str, bytes]:
    """Every file of the example, by POSIX path, without caches and local databases."""
    files = {}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or IGNORED_PARTS & set(rel.parts) or path.suffix in IGNORED_SUFFIXES:
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def header_field(docstring: str, key: str) -> Optional[str]:
    match = re.search(rf"^{key}:[ \t]*(.+)$", docstring, re.M)
    return match.group(1).strip() if match else None


def migration_step(path: str, content: bytes) -> Step:
    """The commit adding a migration, dated at its MIGRATION_ID (read without importing it)."""
    module = ast.parse(content, filename=path)
    docstring = ast.get_docstring(module) or ""
    migration_id = header_field(docstring, "MIGRATION_ID")
    title = header_field(docstring, "TITLE") or Path(path).stem
    if not migration_id or not re.fullmatch(r"\d{12}", migration_id):
        raise HistoryError(f"{path}: no MIGRATION_ID of 12 digits to date its commit by")
    when = datetime.strptime(migration_id, "%Y%m%d%H%M").replace(tzinfo=timezone.utc)
    revision = Path(path).name.split("_", 1)[0]
    author = MIGRATION_AUTHORS.get(revision) or MIGRATION_ROTATION[
        int(revision, 16) % len(MIGRATION_ROTATION)
    ]
    message = f"{title}\n\nMigration {revision} (MIGRATION_ID {migration_id})."
    return Step(when, author, message, {path: content})


def adr_steps(path: str, content: bytes) -> list[Step]:
    """The commit adding an ADR at its date, plus a later one if its status changed since."""
    text = content.decode("utf-8")
    date = re.search(r"^date:\s*(\d{4}-\d{2}-\d{2})", text, re.M | re.I)
    if not date:
        raise HistoryError(f"{path}: no 'Date:' line or 'date:' front matter to date its commit by")
    decider = re.search(r"^deciders:\s*\[?\s*([^,\]\n]+)", text, re.M | re.I)
    author = _team_key(decider.group(1).strip()) if decider else "marta"
    subject = _adr_subject(path, text)
    added = utc(date.group(1)) + ADR_TIME
    for changed_path, when, changer, earlier in ADR_STATUS_CHANGES:
        if changed_path == path:
            status = re.search(r"^## Status\n\n(.*?)\n(?=## )", text, re.M | re.S)
            if not status:
                raise HistoryError(f"{path}: no '## Status' section to give an earlier status")
            first = text.replace(status.group(0), f"## Status\n\n{earlier}\n\n", 1)
            final_status = status.group(1).splitlines()[0]
            number = subject.split(":", 1)[0]
            return [
                Step(added, author, subject, {path: first.encode("utf-8")}),
                Step(utc(when), changer, f"{number}: {final_status}", {path: content}),
            ]
    return [Step(added, author, subject, {path: content})]


def _adr_subject(path: str, text: str) -> str:
    """'ADR-015: Retire the legacy touchpoints model', whichever form the ADR is in."""
    title_match = re.search(r"^# (.+)$", text, re.M)
    title = title_match.group(1).strip() if title_match else Path(path).stem
    if re.match(r"ADR-\d+", title):
        return title
    number = re.match(r"(?:ADR-)?(\d+)", Path(path).name)
    return f"ADR-{int(number.group(1)):03d}: {title}" if number else title


def _team_key(name: str) -> str:
    for key, (full_name, _) in TEAM.items():
        if full_name == name:
            return key
    return "marta"


def register_steps(path: str, content: bytes) -> list[Step]:
    """The register's first, empty version, then one commit per emergency record."""
    text = content.decode("utf-8")
    headings = list(EMERGENCY_HEADING.finditer(text))
    if not headings:
        return []
    when, author, message = REGISTER_STARTED
    intro = text[: headings[0].start()].rstrip("\n") + "\n"
    steps = [Step(utc(when), author, message, {path: intro.encode("utf-8")})]
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        changed_at = _emergency_time(path, heading.group(1))
        incident = re.search(r"\*\*Incident\*\*:\s*(\S+)", text[heading.start():end])
        name = incident.group(1) if incident else heading.group(1)
        steps.append(Step(changed_at + RECORD_DELAY, RECORD_AUTHOR,
                          f"Exceptions register: record {name}",
                          {path: text[:end].rstrip("\n").encode("utf-8") + b"\n"}))
    return steps


def _emergency_time(path: str, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        raise HistoryError(f"{path}: cannot read the emergency time {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if len(text) == 10:  # a date alone means the end of that day
        when += timedelta(days=1) - timedelta(seconds=1)
    return when


def document_steps(document: Document, content: bytes) -> list[Step]:
    text = content.decode("utf-8")
    if document.versions[-1].replacements:
        raise HistoryError(f"{document.path}: the last version must be the file as it is")
    steps = []
    for version in document.versions:
        steps.append(Step(utc(version.when), version.author, version.message,
                          {document.path: _earlier(document.path, text, version)}))
    return steps


def _earlier(path: str, text: str, version: Version) -> bytes:
    for old, new in version.replacements:
        if old.startswith("**") and old.endswith(":** "):  # a header field: replace its value
            text, count = re.subn(rf"^{re.escape(old)}.*$", new, text, count=1, flags=re.M)
        else:
            count = text.count(old)
            text = text.replace(old, new)
        if not count:
            raise HistoryError(f"{path}: text to rewrite for {version.when} not found: {old!r}")
    return text.encode("utf-8")


# --------------------------------------------------------------------------- the plan


def plan(files: dict[str, bytes]) -> list[Step]:
    """Every commit, oldest first. Files the plan does not name join the first commit."""
    steps: list[Step] = []
    planned: set[str] = set()
    for document in DOCUMENTS:
        if document.path in files:
            steps += document_steps(document, files[document.path])
            planned.add(document.path)
    for path, content in files.items():
        if path in planned:
            continue
        if re.fullmatch(r"alembic/versions/[^/]+\.py", path):
            steps.append(migration_step(path, content))
        elif re.fullmatch(r"docs/adr/[^/]+\.md", path):
            steps += adr_steps(path, content)
        elif path == "db/schema/EXCEPTIONS.md" and EMERGENCY_HEADING.search(content.decode()):
            steps += register_steps(path, content)
        else:
            continue
        planned.add(path)
    steps.sort(key=lambda s: (s.when, sorted(s.files)))
    steps = _merge_same_moment(steps)
    leftovers = {p: files[p] for p in sorted(files) if p not in planned}
    if leftovers:
        first = steps[0]
        steps[0] = Step(first.when, first.author, first.message, {**first.files, **leftovers})
    _check_order(steps)
    return steps


def _merge_same_moment(steps: list[Step]) -> list[Step]:
    """Steps at the same time by the same author with the same message are one commit."""
    merged: list[Step] = []
    for step in steps:
        last = merged[-1] if merged else None
        if last and (last.when, last.author, last.message) == (step.when, step.author, step.message):
            merged[-1] = Step(last.when, last.author, last.message, {**last.files, **step.files})
        else:
            merged.append(step)
    return merged


def _check_order(steps: list[Step]) -> None:
    seen: dict[str, datetime] = {}
    for step in steps:
        for path in step.files:
            if path in seen and seen[path] >= step.when:
                raise HistoryError(f"{path}: two versions at or out of order at {step.when}")
            seen[path] = step.when


# --------------------------------------------------------------------------- writing the repository


def write_history(steps: Iterable[Step], dest: Path, out=sys.stdout) -> git.Repo:
    repo = git.Repo.init(dest, initial_branch="main")
    with repo.config_writer() as config:  # keep the example's own identity, whatever the machine's
        config.set_value("user", "name", TEAM["marta"][0])
        config.set_value("user", "email", TEAM["marta"][1])
    shas: list[tuple[datetime, str]] = []
    for step in steps:
        for rel, content in sorted(step.files.items()):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            target.chmod(0o644)
        repo.index.add(sorted(step.files))
        actor = git.Actor(*TEAM[step.author])
        commit = repo.index.commit(
            step.message, author=actor, committer=actor,
            author_date=step.when, commit_date=step.when, skip_hooks=True,
        )
        shas.append((step.when, commit.hexsha))
        subject = step.message.splitlines()[0]
        print(f"{step.when:%Y-%m-%d %H:%M}  {commit.hexsha[:10]}  {TEAM[step.author][0]:<16}  "
              f"{subject}", file=out)
    for name, when, tagger, message in TAGS:
        tag_time = utc(when)
        candidates = [sha for at, sha in shas if at <= tag_time]
        if not candidates:
            raise HistoryError(f"tag {name}: no commit before {when}")
        full_name, email = TEAM[tagger]
        # An annotated tag takes its tagger and date from the committer variables; signing
        # is switched off so that a machine's git configuration cannot change the result.
        repo.git.execute(
            ["git", "-c", "tag.gpgSign=false", "tag", "-a", name, candidates[-1], "-m", message],
            env={
                "GIT_COMMITTER_NAME": full_name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_COMMITTER_DATE": f"{int(tag_time.timestamp())} +0000",
            },
        )
        print(f"tag {name} -> {candidates[-1][:10]} ({when[:10]})", file=out)
    return repo


def _check_result(expected: dict[str, bytes], dest: Path) -> None:
    """The last commit must hold the example exactly as it is: same files, same bytes."""
    written = source_files(dest)
    if written != expected:
        differing = sorted(set(written) ^ set(expected)) or sorted(
            p for p in expected if written.get(p) != expected[p]
        )
        raise HistoryError(f"the history does not end with the example as it is: {differing}")


def _safe_to_replace(dest: Path, source: Path) -> bool:
    dest, source = dest.resolve(), source.resolve()
    protected = {PROJECT_ROOT, Path.home().resolve(), Path(dest.anchor)}
    return dest not in protected and dest != source and dest not in source.parents \
        and source not in dest.parents


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make_history.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Create the example governance repository as a git repository with dated\n"
        "commits and release tags. The same input always gives the same commit SHAs.",
        epilog="By default the repository is created in build/example-repo under the project\n"
        "root, never inside examples/. Migrations are committed at their MIGRATION_ID time,\n"
        "ADRs at their date, emergency records within 24 hours of the emergency.",
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="the example's files (default: examples/attribution-platform)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help="where to create the git repository (default: build/example-repo "
                        "under the project root); must not exist unless --force is given")
    parser.add_argument("--force", action="store_true",
                        help="delete DEST first if it exists, then create it again")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    source, dest = args.source, args.dest
    if not source.is_dir():
        print(f"error: source {source} is not a directory", file=sys.stderr)
        return 2
    if dest.exists():
        if not args.force:
            print(f"error: {dest} exists; use --force to recreate it", file=sys.stderr)
            return 2
        if not _safe_to_replace(dest, source):
            print(f"error: refusing to delete {dest}", file=sys.stderr)
            return 2
        shutil.rmtree(dest)
    try:
        steps = plan(source_files(source))
        print(f"Creating {dest} from {source}: {len(steps)} commits")
        dest.mkdir(parents=True)
        repo = write_history(steps, dest)
        _check_result(source_files(source), dest)
    except (HistoryError, SyntaxError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Done: HEAD {repo.head.commit.hexsha}")
    repo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
