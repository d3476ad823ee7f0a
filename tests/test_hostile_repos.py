"""Hostile repositories: whatever a repository holds, govsite reports it and carries on.

DESIGN.md section 5: syntax errors, undecodable bytes, empty and huge files, deep nesting,
broken revision graphs, malformed headers, ADRs and emergency records all become a finding with
a path and a line; nothing crashes, nothing outside the repository is read, and a failed build
leaves the previous site as it was.

Each hostile input is checked three ways: in this process (`load_repository` + `run_rules`: the
finding's code, path and line), through the site (`build_pages` renders without raising), and
through the real command line (`python -m generator validate --format json` in a fresh
interpreter: exit 0 or 1, never 2 or a traceback, and a report that parses).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Optional, Union

import pytest
import yaml
from conftest import ROOT, govsite, migration, write_files

from generator.config import Config, ConfigError, load_config
from generator.graph import RevisionGraph
from generator.model import Finding
from generator.rules import run_rules
from generator.site import build_pages
from generator.site.build import markdown_extensions
from generator.sources import load_repository

MARKER = "OUTSIDE-THE-REPOSITORY-7f3c9a"  # text that only ever lives outside the repositories
DEPTH = 10_000

VERSIONS = "alembic/versions"
A1 = f"{VERSIONS}/a1.py"
B2 = f"{VERSIONS}/b2.py"
ADR = "docs/adr/ADR-001-hostile.md"
REGISTER = "db/schema/EXCEPTIONS.md"
RUNBOOK = "docs/RUNBOOK-MIGRATIONS.md"
WORKFLOW = ".github/workflows/deploy.yml"

Content = Union[str, bytes]
Prepare = Callable[[Path, Path], None]  # (repository, a folder outside it)


# --------------------------------------------------------------------------- running govsite


def python_run(*args: str) -> subprocess.CompletedProcess:
    """`python ARGS...` in a fresh interpreter with govsite's environment (for a measuring wrapper)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GOVSITE_DEBUG")}
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True,
        text=True, encoding="utf-8", errors="backslashreplace", timeout=300,
    )


def assert_handled(result: subprocess.CompletedProcess, allowed: tuple[int, ...] = (0, 1)) -> None:
    """The run ended as the contract says: an expected status, no traceback, no bug report."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "internal error" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in allowed, (result.returncode, result.stderr[-3000:])


def validate_json(repo: Path) -> dict:
    result = govsite("validate", str(repo), "--format", "json")
    assert_handled(result)
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert result.returncode == (1 if report["summary"]["errors"] else 0)
    return report


def reported(report: dict) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"]}


def check(repo: Path, config: Optional[Config] = None) -> list[Finding]:
    """Read and check `repo` in this process, and render its site pages (which must not raise)."""
    config = config or load_config(repo)
    loaded = load_repository(repo, config)
    findings = run_rules(loaded, config)
    build_pages(loaded, findings, config)
    return findings


def located(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule, f.location.path, f.location.line) for f in findings}


def messages_at(findings: list[Finding], code: str, path: str, line: int) -> list[str]:
    where = (code, path, line)
    return [f.message for f in findings if (f.rule, f.location.path, f.location.line) == where]


def line_of(text: Content, needle: str) -> int:
    """The first line (1-based) of `text` holding `needle`; bytes are searched as Latin-1."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` with the hash of its bytes: equal digests mean identical trees."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def files_containing(root: Path, text: str, pattern: str = "*") -> list[str]:
    needle = text.encode()
    found = (p for p in root.rglob(pattern) if p.is_file() and needle in p.read_bytes())
    return sorted(p.relative_to(root).as_posix() for p in found)


# --------------------------------------------------------------------------- building blocks


GOOD_ROOT = migration("a1")
BOM = b"\xef\xbb\xbf"
LATIN1_PAGE = b"# Notes\n\ncaf\xe9\n"
CLIMBING_SETTINGS = 'adrs = ["../*", "/etc/*.md"]\npolicies = ["docs/../../*.md"]\n'
DROP = 'op.drop_table("events")'
ADR_TEMPLATE = "# ADR-001: Hostile\n\n## Status\n\nAccepted\n\n## Context\n\nText.\n"
SYNTAX_ERROR = "revision = 'b2'\ndown_revision = 'a1'\n\n\ndef upgrade(:\n    pass\n"


def with_root(**files: Content) -> dict[str, Content]:
    """A repository with one good root revision `a1` plus the given files."""
    return {A1: GOOD_ROOT, **files}


def at(rel: str) -> Callable[[Content], dict[str, Content]]:
    """`at(B2)(content)`: the good root revision plus one file at `rel`."""
    return lambda content: with_root(**{rel: content})


in_b2, in_adr, in_register = at(B2), at(ADR), at(REGISTER)
in_runbook, in_workflow = at(RUNBOOK), at(WORKFLOW)


def child(revision: str = "b2", **options) -> str:
    """A complete migration whose parent is `a1`."""
    return migration(revision, "a1", **options)


def header(*lines: str) -> str:
    """A complete Low-risk header in which `lines` replace (or add to) the fields they name."""
    base = [
        "MIGRATION_ID: 202601019999", "TITLE: Hostile", "CHANGE_TYPE: Column",
        "RISK_LEVEL: Low", "FORWARD_ONLY: No", "ROLLBACK_STRATEGY: Run the downgrade.",
    ]
    replaced = {line.split(":")[0].split()[0] for line in lines}
    return "\n".join([b for b in base if b.split(":")[0] not in replaced] + list(lines)) + "\n"


def nested(opening: str, closing: str, core: str = "1") -> str:
    return opening * DEPTH + core + closing * DEPTH


COMMENT_HEADER = (
    "# Migration Metadata\n#\n# MIGRATION_ID: 202601010002\n# TITLE: Header in comments\n"
    "# CHANGE_TYPE: Column\n# RISK_LEVEL: Low\n# FORWARD_ONLY: No\n"
    "# ROLLBACK_STRATEGY: Downgrade.\n" + child().split('"""', 2)[2]
)

RECORD = """\
## Emergency Change: 2026-{month:02d}-{day:02d}

**Incident**: INC-{number}
**Urgency**: High

## Immediate Action Taken

Restarted the writer.

## Retroactive Canonical Spec Update

https://git.example.com/pr/{number}

## Post-Incident Review

https://wiki.example.com/pir/{number}
"""
ONE_RECORD = "# Exceptions register\n\n" + RECORD.format(month=1, day=5, number=77)
NO_SPEC_UPDATE = ONE_RECORD.replace(
    "## Retroactive Canonical Spec Update\n\nhttps://git.example.com/pr/77\n\n", ""
)


def symlink_out(rel: str, target: str = "secret.md") -> Prepare:
    """Make `rel` a symlink to `target` in the folder outside the repository."""

    def prepare(repo: Path, outside: Path) -> None:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(outside / target, repo / rel)

    return prepare


def symlink_loop(repo: Path, outside: Path) -> None:
    (repo / "docs" / "adr").mkdir(parents=True)
    os.symlink("0007-loop.md", repo / "docs" / "adr" / "0007-loop.md")


def fifo(repo: Path, outside: Path) -> None:
    os.mkfifo(repo / VERSIONS / "pipe.py")  # opening it for reading would wait forever


def undecodable_name(repo: Path, outside: Path) -> None:
    (repo / VERSIONS / os.fsdecode(b"caf\xe9.py")).write_text(child(), encoding="utf-8")


def sparse_adr(repo: Path, outside: Path) -> None:
    """A 9 MB ADR made instantly (a hole, not data): only its size matters."""
    (repo / "docs" / "adr").mkdir(parents=True)
    with open(repo / ADR, "wb") as handle:
        handle.truncate(9 * 1024 * 1024)


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Expect:
    """A finding a case must produce: code, path, line (a number, or text searched for in the
    file's content) and a piece of the message."""

    code: str
    path: str
    at: Union[int, str]
    says: str = ""


@dataclass(frozen=True)
class Hostile:
    name: str
    files: Mapping[str, Content]
    expect: tuple[Expect, ...]
    prepare: Optional[Prepare] = None

    def line(self, expect: Expect) -> int:
        if isinstance(expect.at, int):
            return expect.at
        return line_of(self.files[expect.path], expect.at)


def case(
    name: str,
    files: Mapping[str, Content],
    *expect: Expect,
    prepare: Optional[Prepare] = None,
):
    return pytest.param(Hostile(name, files, expect, prepare), id=name)


CASES = [
    # ---- Python that cannot be read
    case("syntax_error", in_b2(SYNTAX_ERROR),
         Expect("GOV802", B2, "def upgrade(:", "syntax error")),
    case("non_utf8_migration", in_b2(child().encode().replace(b"Change b2", b"Caf\xe9")),
         Expect("GOV802", B2, "TITLE: Caf", "not valid UTF-8")),
    case("empty_migration", in_b2(b""), Expect("GOV802", B2, 1, "empty")),
    case("whitespace_only_migration", in_b2(b"\n\n   \n"), Expect("GOV802", B2, 1, "empty")),
    case("binary_file_named_py", in_b2(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40),
         Expect("GOV802", B2, 1, "NUL")),
    case("nul_byte_late_in_migration", in_b2(child(extra="x = 1\x00\n").encode()),
         Expect("GOV802", B2, "x = 1", "NUL")),
    case("revision_known_only_at_run_time",
         in_b2(child().replace("revision = 'b2'", "revision = make_id()")),
         Expect("GOV802", B2, "revision = make_id()", "literally")),
    # ---- nesting deeper than any parser allows
    case("deep_parentheses", in_b2(child(extra=f"x = {nested('(', ')')}\n")),
         Expect("GOV802", B2, "x = (((", "nested")),
    case("deep_lists", in_b2(child(extra=f"x = {nested('[', ']')}\n")),
         Expect("GOV802", B2, "x = [[[", "nested")),
    case("deep_calls_in_upgrade", in_b2(child(upgrade=f"op.execute({nested('f(', ')')})")),
         Expect("GOV802", B2, "op.execute(f(f(", "nested")),
    case("deep_dicts_in_upgrade",
         in_b2(child(upgrade=f"op.bulk_insert(t, [{nested('{1: ', '}')}])")),
         Expect("GOV802", B2, "op.bulk_insert", "nested")),
    case("long_operator_chain",
         in_b2(child(upgrade="op.execute(" + " + ".join(["'DROP TABLE x;'"] * DEPTH) + ")")),
         Expect("GOV802", B2, "op.execute('DROP", "nested too deeply")),
    case("long_unary_chain", in_b2(child(upgrade="x = " + "-" * DEPTH + "1")),
         Expect("GOV802", B2, "x = ---", "nested too deeply")),
    case("deeply_nested_yaml", in_workflow(f"jobs: {nested('[', ']', '')}\n"),
         Expect("GOV804", WORKFLOW, 1, "nested too deeply")),
    case("deeply_nested_front_matter",
         in_adr(f"---\nstatus: {nested('{a: ', '}')}\n---\n# ADR-001: X\n"),
         Expect("GOV804", ADR, 2, "nested too deeply")),
    # ---- the revision graph
    case("cycle", {A1: migration("a1", "b2"), B2: migration("b2", "a1")},
         Expect("GOV801", A1, "down_revision =", "cycle")),
    case("revision_is_its_own_parent", {A1: migration("a1", "a1")},
         Expect("GOV801", A1, "down_revision =", "cycle")),
    case("duplicate_revision", with_root(**{f"{VERSIONS}/a1_copy.py": GOOD_ROOT}),
         Expect("GOV801", f"{VERSIONS}/a1_copy.py", "revision = 'a1'", "already declared")),
    case("missing_parent", in_b2(migration("b2", "zz9")),
         Expect("GOV801", B2, "down_revision =", "'zz9'")),
    case("revision_id_alembic_refuses", in_b2(child("b-2")),
         Expect("GOV801", B2, "revision = 'b-2'", "alembic refuses")),
    # ---- malformed headers
    case("header_line_without_colon", in_b2(child(header=header("RISK_LEVEL High"))),
         Expect("GOV503", B2, "RISK_LEVEL High", "not KEY: value")),
    case("header_key_given_twice",
         in_b2(child(header=header("RISK_LEVEL: Low", "RISK_LEVEL: High"))),
         Expect("GOV503", B2, "RISK_LEVEL: High", "given again")),
    case("header_in_comments", in_b2(COMMENT_HEADER),
         Expect("GOV501", B2, "# Migration Metadata", "comments, not in the module docstring")),
    case("no_header_at_all", in_b2("revision = 'b2'\ndown_revision = 'a1'\n"),
         Expect("GOV501", B2, 1, "no metadata header")),
    case("doc_refs_outside_the_repository",
         in_b2(child(header=header("TOUCHES_PRIVACY: Yes", "DOC_REFS: ../../etc/passwd"))),
         Expect("GOV503", B2, "DOC_REFS", "outside the repository"),
         Expect("GOV602", B2, "TOUCHES_PRIVACY", "cites no documentation")),
    # ---- ADRs
    case("adr_without_status", in_adr("# ADR-001: No status\n\nJust text.\n"),
         Expect("GOV804", ADR, "# ADR-001", "no status")),
    case("adr_front_matter_not_yaml",
         in_adr("---\nstatus: [accepted\ndate: 2026-01-01\n---\n# ADR-001: X\n"),
         Expect("GOV804", ADR, "date: 2026", "YAML")),  # the line where YAML notices
    case("adr_front_matter_never_closed", in_adr("---\nstatus: accepted\n# ADR-001: X\n"),
         Expect("GOV804", ADR, 1, "never closed")),
    case("adr_front_matter_a_list", in_adr("---\n- accepted\n---\n# ADR-001: X\n"),
         Expect("GOV804", ADR, 2, "not a mapping")),
    case("empty_adr", in_adr(b""), Expect("GOV804", ADR, 1, "empty")),
    case("non_utf8_adr", in_adr("# ADR-001: Caf\xe9\n".encode("latin-1")),
         Expect("GOV804", ADR, 1, "not valid UTF-8")),
    case("nul_byte_in_adr", in_adr(ADR_TEMPLATE.replace("Text.", "Te\x00xt.").encode()),
         Expect("GOV804", ADR, "Te\x00xt", "NUL")),
    case("oversized_adr", with_root(), Expect("GOV804", ADR, 1, "byte limit"), prepare=sparse_adr),
    # ---- the exceptions register
    case("record_section_missing", in_register(NO_SPEC_UPDATE),
         Expect("GOV401", REGISTER, "## Emergency Change", "Retroactive Canonical Spec Update")),
    case("record_heading_without_date",
         in_register(ONE_RECORD.replace("Change: 2026-01-05", "Change: last Tuesday")),
         Expect("GOV401", REGISTER, "## Emergency Change", "no valid date")),
    case("nul_byte_in_register", in_register(ONE_RECORD.replace(" the ", " the\x00").encode()),
         Expect("GOV804", REGISTER, "Restarted", "NUL")),
    # ---- policy documents and CI files
    case("empty_policy_document", in_runbook(b""), Expect("GOV804", RUNBOOK, 1, "empty")),
    case("nul_byte_in_policy_document",
         in_runbook(b"# Runbook\n\n**Next Review**: 2026-01-01\x00\n"),
         Expect("GOV804", RUNBOOK, 3, "NUL")),
    case("policy_date_not_a_date", in_runbook("# Runbook\n\n**Next Review**: soon-ish\n"),
         Expect("GOV804", RUNBOOK, 3, "not a date")),
    case("empty_ci_file", in_workflow(b""), Expect("GOV804", WORKFLOW, 1, "empty")),
    case("ci_file_not_yaml", in_workflow("jobs:\n  deploy:\n    steps: [\n"),
         Expect("GOV804", WORKFLOW, 4, "YAML")),
    # ---- files that are not files, or not the repository's
    case("directory_named_like_a_migration", with_root(**{f"{VERSIONS}/x.py/keep.txt": "x"}),
         Expect("GOV802", f"{VERSIONS}/x.py", 1, "directory")),
    case("fifo_named_like_a_migration", with_root(),
         Expect("GOV802", f"{VERSIONS}/pipe.py", 1, "not a regular file"), prepare=fifo),
    case("file_name_not_utf8", with_root(),
         Expect("GOV802", f"{VERSIONS}/caf\\xe9.py", 1, "not valid UTF-8"),
         prepare=undecodable_name),
    case("migration_symlinked_outside", with_root(),
         Expect("GOV802", B2, 1, "outside the repository"), prepare=symlink_out(B2)),
    case("adr_symlinked_outside", with_root(),
         Expect("GOV804", ADR, 1, "outside the repository"), prepare=symlink_out(ADR)),
    case("register_symlinked_outside", with_root(),
         Expect("GOV804", REGISTER, 1, "outside the repository"), prepare=symlink_out(REGISTER)),
    case("runbook_symlinked_outside", with_root(),
         Expect("GOV804", RUNBOOK, 1, "outside the repository"), prepare=symlink_out(RUNBOOK)),
    case("workflow_symlinked_outside", with_root(),
         Expect("GOV804", WORKFLOW, 1, "outside the repository"), prepare=symlink_out(WORKFLOW)),
    case("docs_folder_symlinked_outside", with_root(),
         Expect("GOV804", "docs/shared", 1, "outside the repository"),
         prepare=symlink_out("docs/shared", ".")),
    case("symlink_loop", with_root(),
         Expect("GOV804", "docs/adr/0007-loop.md", 1, "loop"), prepare=symlink_loop),
    case("alembic_ini_pointing_outside",
         with_root(**{"alembic.ini": "[alembic]\nscript_location = ../../elsewhere\n"}),
         Expect("GOV802", "alembic.ini", "script_location", "outside the repository")),
    case("configured_globs_climbing_out",
         with_root(**{"govsite.toml": CLIMBING_SETTINGS}),
         Expect("GOV804", "../*", 1, "'adrs' setting points outside"),
         Expect("GOV804", "/etc/*.md", 1, "'adrs' setting points outside"),
         Expect("GOV804", "docs/../../*.md", 1, "'policies' setting points outside")),
    # ---- encodings, line endings and line lengths that must read like a plain file
    case("crlf_line_endings", in_b2(child(upgrade=DROP).replace("\n", "\r\n").encode()),
         Expect("GOV201", B2, DROP, "events")),
    case("utf8_bom", in_b2(BOM + child(upgrade=DROP).encode()),
         Expect("GOV201", B2, DROP, "events")),
    case("bom_and_crlf", in_b2(BOM + child(upgrade=DROP).replace("\n", "\r\n").encode()),
         Expect("GOV201", B2, DROP, "events")),
    case("old_mac_line_endings", in_b2(child(upgrade=DROP).replace("\n", "\r").encode()),
         Expect("GOV201", B2, DROP, "events")),
    case("megabyte_line", in_b2(child(upgrade=f'op.execute("{"x" * 1_000_000}"); {DROP}')),
         Expect("GOV201", B2, DROP, "events")),
]
READ_LIKE_PLAIN = [p for p in CASES if p.values[0].expect[0].code == "GOV201"]


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the repositories whose files hold MARKER: nothing may ever read them."""
    folder = tmp_path / "outside"
    folder.mkdir()
    write_files(folder, {
        "secret.md": f"# ADR-099: {MARKER}\n\n## Status\n\nAccepted\n",
        "RUNBOOK-SECRET.md": f"# {MARKER}\n\n**Next Review**: 2000-01-01\n",
    })
    return folder


def build_case(hostile: Hostile, make_repo, outside: Path) -> Path:
    repo = make_repo(hostile.files)
    if hostile.prepare is not None:
        hostile.prepare(repo, outside)
    return repo


@pytest.mark.parametrize("hostile", CASES)
def test_hostile_input_is_a_finding_with_path_and_line(hostile: Hostile, make_repo, outside):
    repo = build_case(hostile, make_repo, outside)
    findings = check(repo)
    report = validate_json(repo)
    for expect in hostile.expect:
        where = (expect.code, expect.path, hostile.line(expect))
        assert where in located(findings), [f"{f.location} {f.rule} {f.message}" for f in findings]
        said = messages_at(findings, *where)
        assert any(expect.says in m for m in said), said
        assert where in reported(report)
    assert all(f.message.strip() and not f.message.rstrip().endswith(":") for f in findings)
    assert MARKER not in json.dumps(report)


@pytest.mark.parametrize("hostile", READ_LIKE_PLAIN)
def test_line_endings_bom_and_long_lines_read_like_a_plain_file(hostile, make_repo, outside):
    """CRLF, a BOM or a megabyte line change nothing: header, parents and operations are read
    at the very lines of the plain file, and no message grows with the line."""
    repo = build_case(hostile, make_repo, outside)
    config = Config()
    loaded = load_repository(repo, config, with_history=False)
    [b2] = [m for m in loaded.migrations if m.revision == "b2"]
    plain = child(upgrade=DROP)
    assert b2.title == "Change b2" and b2.down_revisions == ("a1",)
    assert b2.upgrade_line == line_of(plain, "def upgrade():")
    last = b2.upgrade_operations()[-1]
    assert (last.kind, last.line) == ("drop_table", line_of(plain, DROP))
    assert all(len(f.message) < 1000 for f in check(repo, config))


# --------------------------------------------------------------------------- permissions


def test_unreadable_migration_is_reported_not_skipped(make_repo):
    repo = make_repo(in_b2(child()))
    (repo / B2).chmod(0)
    try:
        with contextlib.suppress(PermissionError), open(repo / B2, "rb"):
            pytest.skip("privileged run (root) reads any file: chmod 000 cannot stop it")
        findings = check(repo)
        assert messages_at(findings, "GOV802", B2, 1) == ["permission denied"]
        assert ("GOV802", B2, 1) in reported(validate_json(repo))
    finally:
        (repo / B2).chmod(0o644)


def test_unlistable_adr_folder_is_reported_not_skipped(make_repo):
    repo = make_repo(in_adr(ADR_TEMPLATE))
    folder = repo / "docs" / "adr"
    folder.chmod(0)
    try:
        with contextlib.suppress(PermissionError):
            os.listdir(folder)
            pytest.skip("privileged run (root) lists any folder: chmod 000 cannot hide one")
        findings = run_rules(load_repository(repo, Config()), Config())
        assert ("GOV804", "docs/adr", 1) in located(findings)
    finally:
        folder.chmod(0o755)


# --------------------------------------------------------------------------- big inputs


@pytest.fixture(scope="module")
def huge_repo(tmp_path_factory) -> Path:
    """A 50 MB migration: a valid header and revision, then a giant comment."""
    repo = tmp_path_factory.mktemp("huge")
    write_files(repo, with_root())
    with open(repo / B2, "w", encoding="utf-8") as handle:
        handle.write(child(upgrade=DROP))
        handle.write(("# " + "x" * 1021 + "\n") * (50 * 1024))
    assert (repo / B2).stat().st_size > 50 * 1024 * 1024
    return repo


# The peak resident size of this process image: VmHWM starts afresh at exec, unlike ru_maxrss,
# which keeps the size of the forking parent.
PEAK_MEMORY = """\
import sys
from generator.cli import main
status = main(sys.argv[1:])
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
sys.stderr.write("peak-rss-kb=%s\\n" % peak[0])
sys.exit(status)
"""


def test_fifty_megabyte_migration_is_reported_within_bounded_memory(huge_repo):
    """Decided: 50 MB is under files.MAX_BYTES, so the bytes are read once, but a migration far
    beyond any hand-written one is refused (GOV802) instead of decoded and parsed. The run stays
    within a small multiple of the file's size."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("measuring peak memory needs Linux's /proc")
    findings = check(huge_repo)
    assert "bytes" in messages_at(findings, "GOV802", B2, 1)[0]
    result = python_run("-c", PEAK_MEMORY, "validate", str(huge_repo), "--format", "json")
    assert_handled(result)
    assert ("GOV802", B2, 1) in reported(json.loads(result.stdout))
    peak = int(result.stderr.rsplit("peak-rss-kb=", 1)[1].split()[0]) * 1024
    assert peak < 3 * (huge_repo / B2).stat().st_size, f"peak memory {peak >> 20} MB"


@pytest.fixture(scope="module")
def ten_thousand_operations(tmp_path_factory) -> Path:
    add = 'op.add_column("t{}", sa.Column("c", sa.Text()))'
    operations = "\n".join(add.format(i) for i in range(DEPTH))
    repo = tmp_path_factory.mktemp("operations")
    write_files(repo, in_b2(child(upgrade=operations + "\n" + DROP)))
    return repo


def test_ten_thousand_operations_are_all_read_and_messages_stay_short(ten_thousand_operations):
    repo = ten_thousand_operations
    source = (repo / B2).read_text(encoding="utf-8")
    findings = check(repo)
    assert ("GOV201", B2, line_of(source, DROP)) in located(findings)
    assert ("GOV505", B2, line_of(source, "def upgrade")) in located(findings)  # 10,001 tables
    assert max(len(f.message) for f in findings) < 2000
    assert ("GOV201", B2, line_of(source, DROP)) in reported(validate_json(repo))


@pytest.fixture(scope="module")
def two_thousand_records(tmp_path_factory) -> tuple[Path, int]:
    """An exceptions register of 2,000 records, and the heading line of number 1234, which lacks
    its Urgency line."""
    records = [RECORD.format(month=i % 12 + 1, day=i % 28 + 1, number=i) for i in range(2000)]
    records[1234] = records[1234].replace("**Urgency**: High\n", "")
    text = "# Exceptions register\n\n" + "\n".join(records)
    repo = tmp_path_factory.mktemp("records")
    write_files(repo, in_register(text))
    return repo, line_of(text, "**Incident**: INC-1234") - 2


def test_two_thousand_records_are_all_read_and_the_incomplete_one_is_found(two_thousand_records):
    repo, heading_line = two_thousand_records
    config = Config()
    loaded = load_repository(repo, config, with_history=False)
    assert len(loaded.exceptions) == 2000
    findings = run_rules(loaded, config)
    assert [(f.location.path, f.location.line) for f in findings if f.rule == "GOV401"] == [
        (REGISTER, heading_line)
    ]
    report = validate_json(repo)
    assert report["summary"]["exceptions"] == 2000
    assert ("GOV401", REGISTER, heading_line) in reported(report)


@pytest.mark.slow
def test_site_renders_a_two_thousand_record_register(two_thousand_records):
    repo, _ = two_thousand_records
    config = Config()
    loaded = load_repository(repo, config, with_history=False)
    pages = {p.uri: p for p in build_pages(loaded, run_rules(loaded, config), config)}
    register = pages["governance/exceptions.md"].content
    assert "INC-1999" in register and "INC-1234" in register


DEEP_EMPHASIS = "*" * DEPTH + "x" + "*" * DEPTH
DEEP_LIST = "".join("  " * level + "- item\n" for level in range(600))
DEEP_RECORD = ONE_RECORD.replace("Restarted the writer.", DEEP_EMPHASIS)


@pytest.mark.parametrize("files", [
    pytest.param(in_adr(f"{ADR_TEMPLATE}\n{DEEP_EMPHASIS}\n"), id="adr_emphasis"),
    pytest.param(in_adr(f"{ADR_TEMPLATE}\n{DEEP_LIST}"), id="adr_nested_list",
                 marks=pytest.mark.slow),  # several seconds before it fails
    pytest.param(in_register(DEEP_RECORD), id="record_emphasis"),
    pytest.param(in_adr(ADR_TEMPLATE + ">" * DEPTH + " quoted\n"), id="adr_blockquotes"),
])
def test_site_renders_deeply_nested_markdown(files, make_repo):
    """Markdown nests without limit: the readers cap it (markdown-it's maxNesting), and so must
    the pages that render ADR bodies and record parts."""
    repo = make_repo(files)
    config = Config()
    loaded = load_repository(repo, config, with_history=False)
    findings = run_rules(loaded, config)
    assert not [f for f in findings if f.rule in ("GOV804", "GOV401")]
    assert build_pages(loaded, findings, config)


# --------------------------------------------------------------------------- nothing outside read


def allowed_roots(repo: Path) -> list[str]:
    """Where the tool may legitimately open files: the repository, the Python installation and
    every folder Python imports from (modules, their data, package metadata), govsite's parse
    cache and the null device (git's stdin)."""
    from generator.cache import default_directory

    roots = {repo, Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             default_directory(), Path(os.devnull)}
    roots.update(Path(p) for p in sys.path if p and Path(p).is_dir())
    return sorted({os.path.realpath(r) for r in roots})


@contextlib.contextmanager
def file_access_log(monkeypatch) -> Iterator[list[str]]:
    """Every path this process opens or lists while the block runs, as a real path."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open
    real_scandir, real_listdir = os.scandir, os.listdir

    def note(path) -> None:
        if isinstance(path, (str, bytes, os.PathLike)):
            seen.append(os.path.realpath(os.path.abspath(os.fsdecode(os.fspath(path)))))

    def logged_open(file, *args, **kwargs):
        note(file)
        return real_open(file, *args, **kwargs)

    def logged_os_open(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is None:
            note(path)
        descriptor = real_os_open(path, flags, mode, dir_fd=dir_fd)
        if dir_fd is not None:  # opened relative to a folder: log what was really opened
            note(os.readlink(f"/proc/self/fd/{descriptor}"))
        return descriptor

    def logged_scandir(path="."):
        note(path)
        return real_scandir(path)

    def logged_listdir(path="."):
        note(path)
        return real_listdir(path)

    with monkeypatch.context() as patch:  # every reader runs in this process, where the log is
        for owner, name, replacement in (
            (builtins, "open", logged_open),
            (io, "open", logged_open),
            (os, "open", logged_os_open),
            (os, "scandir", logged_scandir),
            (os, "listdir", logged_listdir),
        ):
            patch.setattr(owner, name, replacement)
        yield seen


def outside_of(paths: list[str], roots: list[str]) -> list[str]:
    """The paths under none of `roots`. The temporary folder itself is allowed, nothing in it:
    git writes its output to an anonymous file made there (`O_TMPFILE` opens the folder)."""
    scratch = os.path.realpath(tempfile.gettempdir())

    def allowed(path: str) -> bool:
        return path == scratch or any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

    return sorted({p for p in paths if not allowed(p)})


LINKED_OUT = (
    B2, "docs/adr/ADR-099-secret.md", REGISTER, RUNBOOK, "db/schema/CHANGE_CONTROL.md", WORKFLOW,
)


@pytest.fixture
def escaping_repo(make_repo, outside) -> Path:
    """Every way a repository can point outside itself, all aimed at MARKER's folder."""
    adr = ADR_TEMPLATE + "\n[A secret](../../../outside/secret.md), [another](../../secret.md).\n"
    doc_refs = header("TOUCHES_PRIVACY: Yes", "DOC_REFS: ../outside/secret.md, ../../etc/passwd")
    repo = make_repo({
        **with_root(**{f"{VERSIONS}/c3.py": migration("c3", "a1", header=doc_refs), ADR: adr}),
        "alembic.ini": "[alembic]\nversion_locations = alembic/versions ../outside\n",
    })
    for rel in LINKED_OUT:
        symlink_out(rel)(repo, outside)
    os.symlink(outside, repo / "docs" / "shared")  # `docs/**/RUNBOOK-*.md` must not walk into it
    os.symlink("..", repo / "docs" / "loop")  # a loop inside the repository: never walked round
    return repo


ESCAPING_CONFIG = Config(
    adrs=("docs/adr/*.md", "../outside/*.md", "docs/shared/*.md"),
    policies=("docs/**/RUNBOOK-*.md", "db/schema/CHANGE_CONTROL.md", "../outside/RUNBOOK-*.md"),
)


def test_no_file_outside_the_repository_is_opened_or_listed(escaping_repo, outside, monkeypatch):
    roots = allowed_roots(escaping_repo)
    assert outside_of([os.path.realpath(outside / "secret.md")], roots), "the secret is not outside"
    with file_access_log(monkeypatch) as seen:
        repo = load_repository(escaping_repo, ESCAPING_CONFIG)
        findings = run_rules(repo, ESCAPING_CONFIG)
        pages = build_pages(repo, findings, ESCAPING_CONFIG)
    assert any(p.startswith(os.path.realpath(escaping_repo)) for p in seen), "nothing was logged"
    assert outside_of(seen, roots) == []
    assert MARKER not in "".join(p.content for p in pages)
    assert not [f for f in findings if MARKER in f.message]
    for rel in (*LINKED_OUT, "docs/shared"):
        reported_there = [f.message for f in findings if f.location.path == rel]
        assert any("outside the repository" in m for m in reported_there), rel


def test_reports_never_show_text_from_outside_the_repository(escaping_repo):
    for fmt in ("text", "sarif", "github"):
        result = govsite("validate", str(escaping_repo), "--format", fmt)
        assert_handled(result, allowed=(1,))
        assert MARKER not in result.stdout + result.stderr, fmt
    report = validate_json(escaping_repo)
    assert MARKER not in json.dumps(report)
    paths = {(f["rule"], f["path"]) for f in report["findings"]}
    expected = {("GOV802", B2), ("GOV804", REGISTER), ("GOV804", RUNBOOK)}
    expected.add(("GOV802", "alembic.ini"))
    assert expected <= paths


def test_every_report_format_survives_hostile_paths(make_repo, outside):
    """Paths that climb out, undecodable or multi-line file names and symlinks outside still give
    valid JSON, valid SARIF 2.1.0 and one GitHub annotation per finding."""
    from test_report_formats import validate_sarif

    repo = make_repo(with_root(**{"govsite.toml": CLIMBING_SETTINGS, f"{VERSIONS}/two\nlines.py": b""}))
    undecodable_name(repo, outside)
    symlink_out(B2)(repo, outside)
    report = validate_json(repo)
    paths = {f["path"] for f in report["findings"]}
    assert {"../*", f"{VERSIONS}/caf\\xe9.py", f"{VERSIONS}/two\nlines.py", B2} <= paths
    sarif = govsite("validate", str(repo), "--format", "sarif")
    assert_handled(sarif, allowed=(1,))
    validate_sarif(json.loads(sarif.stdout))
    github = govsite("validate", str(repo), "--format", "github")
    assert_handled(github, allowed=(1,))
    annotations = [line for line in github.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == len(report["findings"])


def test_links_and_doc_refs_climbing_out_are_text_never_followed(escaping_repo, monkeypatch):
    """Decided: a `../` link in an ADR is kept as text (its page shows it; nothing reads it, and
    the ADR reader's own tests pin that it is no finding); a DOC_REFS path outside the
    repository cannot document the change, so it is a finding (GOV503) and does not count as a
    documentation reference (GOV602)."""
    config = Config()
    with file_access_log(monkeypatch) as seen:
        repo = load_repository(escaping_repo, config, with_history=False)
    assert outside_of(seen, allowed_roots(escaping_repo)) == []
    adr = repo.adr("ADR-001")
    assert adr.status == "Accepted" and "(../../../outside/secret.md)" in adr.body
    findings = run_rules(repo, config)
    c3 = (escaping_repo / VERSIONS / "c3.py").read_text(encoding="utf-8")
    assert len(messages_at(findings, "GOV503", f"{VERSIONS}/c3.py", line_of(c3, "DOC_REFS"))) == 2
    assert ("GOV602", f"{VERSIONS}/c3.py", line_of(c3, "TOUCHES_PRIVACY")) in located(findings)


def test_configuration_file_linked_outside_is_not_read(make_repo, outside, monkeypatch):
    repo = make_repo(with_root())
    (outside / "govsite.toml").write_text(f'site_name = "{MARKER}"\n', encoding="utf-8")
    os.symlink(outside / "govsite.toml", repo / "govsite.toml")
    config = None
    with file_access_log(monkeypatch) as seen:
        with contextlib.suppress(ConfigError):  # refusing the file is as good as ignoring it
            config = load_config(repo)
    assert outside_of(seen, allowed_roots(repo)) == []
    assert config is None or config.site_name != MARKER


# --------------------------------------------------------------------------- revision ids


def test_revision_ids_sharing_a_prefix_stay_apart(make_repo):
    """Decided: alembic resolves a unique prefix on its command line but never in
    `down_revision` (its revision map fails with KeyError), so a shortened parent is a missing
    parent, named with the ids it starts; and two ids of which one starts the other are two
    revisions with two pages."""
    repo = make_repo({
        f"{VERSIONS}/long.py": migration("ae1027a6acf0"),
        f"{VERSIONS}/short.py": migration("ae1027a6acf", "ae1027a6acf0"),
        f"{VERSIONS}/prefix.py": migration("c3", "ae1027a6"),
    })
    config = Config()
    loaded = load_repository(repo, config, with_history=False)
    graph = RevisionGraph(loaded.migrations)
    assert graph.children("ae1027a6acf0") == ("ae1027a6acf",)
    assert graph.parents("ae1027a6acf") == ("ae1027a6acf0",)
    assert graph.get("ae1027a6") is None and graph.children("ae1027a6") == ("c3",)
    findings = run_rules(loaded, config)
    down_line = line_of((repo / VERSIONS / "prefix.py").read_text(), "down_revision =")
    [message] = messages_at(findings, "GOV801", f"{VERSIONS}/prefix.py", down_line)
    assert "'ae1027a6'" in message and "ae1027a6acf, ae1027a6acf0" in message
    pages = [p.uri for p in build_pages(loaded, findings, config) if "/migrations/" in p.uri]
    assert len(pages) == len({uri.lower() for uri in pages}) == 4  # the index and three pages
    assert validate_json(repo)["summary"]["migrations"] == 3


PATHLIKE_IDS = ("../../x", "a/b", "A/B", "a-b", "<script>alert(1)</script>", "..", "con", "a\\b")


@pytest.fixture(scope="module")
def pathlike_repo(tmp_path_factory) -> Path:
    """A chain of revisions whose ids look like paths, markup or reserved device names."""
    files, parent = {f"{VERSIONS}/m0.py": migration("m0")}, "m0"
    for number, revision in enumerate(PATHLIKE_IDS, 1):
        files[f"{VERSIONS}/m{number}.py"] = migration(revision, parent)
        parent = revision
    repo = tmp_path_factory.mktemp("pathlike") / "repo"
    repo.mkdir()
    write_files(repo, files)
    return repo


def test_revision_ids_with_path_characters_get_safe_distinct_pages(pathlike_repo):
    config = Config()
    loaded = load_repository(pathlike_repo, config, with_history=False)
    assert {m.revision for m in loaded.migrations} == {"m0", *PATHLIKE_IDS}
    findings = run_rules(loaded, config)
    assert [f.location.path for f in findings if f.rule == "GOV801"] == [f"{VERSIONS}/m4.py"]  # a-b
    uris = [p.uri for p in build_pages(loaded, findings, config)]
    pages = [u for u in uris if "/migrations/" in u and not u.endswith("/index.md")]
    assert len(pages) == len({u.lower() for u in pages}) == len(PATHLIKE_IDS) + 1
    for uri in uris:
        assert uri.split("/")[0] == "governance" and ".." not in uri.split("/"), uri
        assert "\\" not in uri and "<" not in uri, uri
    assert validate_json(pathlike_repo)["summary"]["migrations"] == len(PATHLIKE_IDS) + 1


def test_built_site_keeps_path_like_ids_inside_and_escaped(pathlike_repo, tmp_path):
    settings = tmp_path / "govsite.toml"
    settings.write_text('disable = ["GOV801"]\n', encoding="utf-8")  # "a-b" would fail the build
    site = tmp_path / "out" / "site"
    result = govsite("build", str(pathlike_repo), "--site-dir", str(site),
                     "--config", str(settings))
    assert_handled(result, allowed=(0,))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["site"]
    assert not (tmp_path / "x").exists() and not (pathlike_repo.parent / "x").exists()
    assert files_containing(site, "<script>alert(1)", "*.html") == []
    assert files_containing(site, "&lt;script&gt;alert(1)", "*.html")


# --------------------------------------------------------------------------- git history


def test_hostile_files_in_git_history_are_reported(make_git_repo):
    odd_name = f"{VERSIONS}/tab\tand\nnewline.py"
    repo = make_git_repo([
        ("2026-01-01T10:00:00Z", {A1: GOOD_ROOT}),
        ("2026-01-02T10:00:00Z", {B2: SYNTAX_ERROR, odd_name: child("c3", upgrade=DROP)}),
        ("2026-01-03T10:00:00Z", {f"{VERSIONS}/d4.py": child("d4").encode() + b"# caf\xe9\n"}),
    ])
    findings = check(repo)
    assert ("GOV802", B2, line_of(SYNTAX_ERROR, "def upgrade(:")) in located(findings)
    assert any(f.location.path == f"{VERSIONS}/d4.py" and "UTF-8" in f.message for f in findings)
    loaded = load_repository(repo, Config())
    assert loaded.history.status == "ok" and loaded.history.of(odd_name).added is not None
    assert odd_name in {f["path"] for f in validate_json(repo)["findings"]}
    text = govsite("validate", str(repo))
    assert_handled(text, allowed=(1,))
    assert "tab\tand\\nnewline.py:" in text.stdout  # still one line per finding


# --------------------------------------------------------------------------- failed builds


def build(repo: Path, site: Path, *options: str) -> subprocess.CompletedProcess:
    return govsite("build", str(repo), "--site-dir", str(site), *options)


@pytest.fixture
def built_site(make_repo, tmp_path) -> tuple[Path, Path, dict[str, str]]:
    """A repository whose good site is already built: (repository, site folder, its digest)."""
    repo = make_repo({A1: GOOD_ROOT})
    site = tmp_path / "published" / "site"
    assert_handled(build(repo, site), allowed=(0,))
    return repo, site, tree_digest(site)


def assert_untouched(site: Path, digest: dict[str, str]) -> None:
    assert tree_digest(site) == digest
    assert sorted(p.name for p in site.parent.iterdir()) == [site.name], "a temporary folder stayed"


def test_build_failing_on_findings_leaves_the_previous_site_exactly(built_site):
    repo, site, digest = built_site
    write_files(repo, {B2: SYNTAX_ERROR, f"{VERSIONS}/c3.py": migration("c3", "a1", upgrade=DROP)})
    result = build(repo, site)
    assert_handled(result, allowed=(1,))
    assert f"{B2}:" in result.stderr and "GOV802" in result.stderr
    assert_untouched(site, digest)


def test_build_that_mkdocs_cannot_finish_leaves_the_previous_site_exactly(built_site):
    repo, site, digest = built_site
    write_files(repo, {"docs/notes.md": LATIN1_PAGE})  # MkDocs itself fails on this page
    assert build(repo, site, "--with-docs").returncode != 0
    assert_untouched(site, digest)


def test_mkdocs_build_failing_on_findings_leaves_the_previous_site_exactly(make_repo, tmp_path):
    """The plugin stops `mkdocs build` while MkDocs reads its configuration, before MkDocs
    empties the site folder, so a plain `mkdocs build` keeps the last good site too."""
    settings = {
        "site_name": "Team site",
        "theme": {"name": "material", "font": False},
        "plugins": [{"governance": {"repository": "."}}],
        "markdown_extensions": markdown_extensions(),
    }
    repo = make_repo({A1: GOOD_ROOT, "mkdocs.yml": yaml.dump(settings), "docs/index.md": "# Team\n"})
    site = tmp_path / "published" / "site"
    mkdocs = ("-m", "mkdocs", "build", "-f", str(repo / "mkdocs.yml"), "-d", str(site))
    assert_handled(python_run(*mkdocs), allowed=(0,))
    digest = tree_digest(site)
    write_files(repo, {B2: SYNTAX_ERROR})
    result = python_run(*mkdocs)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{B2}:" in result.stderr
    assert_untouched(site, digest)


def test_build_that_mkdocs_cannot_finish_fails_with_a_message_not_a_bug_report(make_repo, tmp_path):
    repo = make_repo({A1: GOOD_ROOT, "docs/notes.md": LATIN1_PAGE})
    result = build(repo, tmp_path / "site", "--with-docs")
    assert_handled(result, allowed=(1,))
    assert "notes.md" in result.stderr
    assert not (tmp_path / "site").exists()


def test_built_site_never_holds_text_from_outside_the_repository(make_repo, outside, tmp_path):
    repo = make_repo({A1: GOOD_ROOT, "docs/index.md": "# Home\n"})
    os.symlink(outside / "secret.md", repo / "docs" / "notes.md")
    site = tmp_path / "site"
    assert_handled(build(repo, site))
    assert not site.exists() or files_containing(site, MARKER) == []


def test_symlinks_within_the_repository_are_still_read(make_repo):
    """Plain files are read without resolving their path; a symlink anywhere on the path takes
    the careful road instead, where a link inside the repository is still followed."""
    repo = make_repo({"db/revisions/a1.py": migration("a1"), "db/shared/b2.py": migration("b2", "a1")})
    os.symlink("db/revisions", repo / "alembic_versions")  # a linked folder, named literally
    os.symlink("../shared/b2.py", repo / "db" / "revisions" / "b2.py")  # a linked file
    config = Config(migrations=("alembic_versions",))
    repository = load_repository(repo, config)
    assert sorted(m.revision for m in repository.migrations) == ["a1", "b2"]
    assert not [f for f in repository.reader_findings if f.code == "GOV802"]
