"""`govsite` end to end on real repositories, judged by exit status and output.

The main paths run in a real process (`python -m generator ...`) exactly as CI runs them; the
many variations of options and errors call the same `main()` in this process, which is the same
code without the cost of a new interpreter per case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, govsite, migration

from generator.cli import main
from generator.rules import CATALOG

VERSIONS = "alembic/versions"

HIGH_RISK_TABLE = (
    "MIGRATION_ID: 202601010001\n"
    "TITLE: Retire the legacy click table\n"
    "CHANGE_TYPE: Table\n"
    "RISK_LEVEL: High\n"
    "FORWARD_ONLY: No\n"
    "ROLLBACK_STRATEGY: Recreate the table from the nightly snapshot.\n"
)

ACCEPTED_ADR = """\
    # ADR-015: Retire the legacy click tables

    ## Status

    Accepted

    ## Context

    The click tables were replaced by the event stream in v3.

    ## Decision

    Drop them once the last reader is gone.
    """


def drop_table_migration(comment: str = "") -> str:
    return migration(
        "a1",
        header=HIGH_RISK_TABLE,
        upgrade=f'op.drop_table("legacy_clicks"){comment}',
        downgrade='op.create_table("legacy_clicks", sa.Column("id", sa.Integer()))',
    )


def line_of(source: str, needle: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if needle in line)


@pytest.fixture
def govsite_here(capsys, monkeypatch):
    """`govsite ...` through `main()` in this process; same result type as `govsite()`."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["govsite", *args], code, out, err)

    return run


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


@pytest.fixture
def destructive_repo(make_repo):
    source = drop_table_migration()
    root = make_repo({f"{VERSIONS}/a1_drop_legacy_clicks.py": source})
    return root, line_of(source, "op.drop_table")


@pytest.fixture
def clean_repo(make_repo):
    return make_repo({f"{VERSIONS}/a1_add_note.py": migration("a1")})


# --------------------------------------------------------------------------- validate


def test_destructive_drop_without_bypass_fails_and_names_rule_and_line(destructive_repo):
    root, line = destructive_repo
    result = govsite("validate", str(root))
    assert result.returncode == 1, result.stderr
    assert f"{VERSIONS}/a1_drop_legacy_clicks.py:{line}:" in result.stdout
    (gov201,) = [l for l in result.stdout.splitlines() if " GOV201 " in l]
    assert gov201.startswith(f"{VERSIONS}/a1_drop_legacy_clicks.py:{line}:")
    assert " GOV201 destructive-without-bypass " in gov201
    assert result.stdout.splitlines()[-1].startswith(("1 error", "2 error", "3 error"))
    assert_no_traceback(result)


def test_destructive_drop_in_json_report(destructive_repo):
    root, line = destructive_repo
    result = govsite("validate", str(root), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["migrations"] == 1
    assert report["summary"]["errors"] >= 1
    hits = [f for f in report["findings"] if f["rule"] == "GOV201"]
    assert [(f["path"], f["line"], f["severity"], f["policy"]) for f in hits] == [
        (f"{VERSIONS}/a1_drop_legacy_clicks.py", line, "error", 2)
    ]
    assert result.stderr == ""


def test_bypassed_drop_passes_and_is_listed_as_suppressed(govsite_here, make_repo):
    comment = "  # CI:DESTRUCTIVE_OK ADR-015 table unused since the v3 event stream"
    source = drop_table_migration(comment)
    root = make_repo({
        f"{VERSIONS}/a1_drop_legacy_clicks.py": source,
        "docs/adr/ADR-015-retire-legacy-clicks.md": ACCEPTED_ADR,
    })
    result = govsite_here("validate", str(root), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["findings"] == []
    (entry,) = [s for s in report["suppressed"] if s["rule"] == "GOV201"]
    assert entry["line"] == line_of(source, "op.drop_table")
    assert entry["suppression"]["kind"] == "bypass"
    assert "ADR-015" in entry["suppression"]["justification"]


def test_clean_repository_exits_zero(clean_repo):
    result = govsite("validate", str(clean_repo))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "0 errors, 0 warnings in 1 migration, 0 ADRs, 0 exception records"
    ]


def test_repository_defaults_to_the_current_directory(govsite_here, clean_repo, destructive_repo):
    assert govsite_here("validate", cwd=clean_repo).returncode == 0
    assert govsite_here("validate", cwd=destructive_repo[0]).returncode == 1


def test_git_repository_is_checked_with_its_history(govsite_here, make_git_repo):
    source = drop_table_migration()
    root = make_git_repo([("2026-03-01T10:00:00Z", {f"{VERSIONS}/a1_drop.py": source})])
    with_history = govsite_here("validate", str(root), "--format", "json")
    without = govsite_here("validate", str(root), "--format", "json", "--no-history")
    assert with_history.returncode == without.returncode == 1
    findings = json.loads(with_history.stdout)["findings"]
    drops = [f["line"] for f in findings if f["rule"] == "GOV201"]
    assert drops == [line_of(source, "op.drop_table")]


def test_warnings_fail_only_at_fail_level_warning(make_repo):
    root = make_repo({
        f"{VERSIONS}/a1_drop_legacy_clicks.py": drop_table_migration(),
        "govsite.toml": '[severity]\nGOV201 = "warning"\n',
    })
    relaxed = govsite("validate", str(root), "--format", "json")
    report = json.loads(relaxed.stdout)
    assert report["summary"]["errors"] == 0, report
    assert report["summary"]["warnings"] >= 1
    assert relaxed.returncode == 0
    assert govsite("validate", str(root), "--fail-on", "warning").returncode == 1


def test_fail_on_flag_overrides_the_configuration(govsite_here, make_repo):
    root = make_repo({
        f"{VERSIONS}/a1_drop_legacy_clicks.py": drop_table_migration(),
        "govsite.toml": 'fail_on = "warning"\n[severity]\nGOV201 = "warning"\n',
    })
    assert govsite_here("validate", str(root)).returncode == 1
    assert govsite_here("validate", str(root), "--fail-on", "error").returncode == 0


def test_unparseable_migration_is_a_finding_not_a_traceback(govsite_here, make_repo):
    root = make_repo({f"{VERSIONS}/a1_broken.py": "def upgrade(:\n    pass\n"})
    result = govsite_here("validate", str(root))
    assert result.returncode == 1
    assert f"{VERSIONS}/a1_broken.py:1:" in result.stdout
    assert " GOV802 migration-unparseable " in result.stdout
    assert_no_traceback(result)


def test_sarif_output_file_is_valid_and_stdout_stays_empty(
    govsite_here, destructive_repo, tmp_path
):
    from test_report_formats import validate_sarif

    root, line = destructive_repo
    out = tmp_path / "govsite.sarif"
    result = govsite_here(
        "validate", str(root), "--format", "sarif", "--output", str(out), "--no-history"
    )
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr == ""
    log = json.loads(out.read_text(encoding="utf-8"))
    validate_sarif(log)
    regions = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in log["runs"][0]["results"] if r["ruleId"] == "GOV201"
    ]
    assert regions == [line]


def test_github_format_annotates_the_drop(govsite_here, destructive_repo):
    root, line = destructive_repo
    result = govsite_here("validate", str(root), "--format", "github")
    assert result.returncode == 1
    assert (
        f"::error file={VERSIONS}/a1_drop_legacy_clicks.py,line={line},col="
    ) in result.stdout
    assert "title=GOV201 destructive-without-bypass::" in result.stdout


# --------------------------------------------------------------------------- usage errors


def test_bad_configuration_exits_two_naming_the_file(make_repo):
    root = make_repo({
        f"{VERSIONS}/a1.py": migration("a1"),
        "govsite.toml": "fail_on = 'sometimes'\n",
    })
    result = govsite("validate", str(root))
    assert result.returncode == 2
    assert result.stderr.startswith("govsite: error: ")
    assert "govsite.toml" in result.stderr and "fail_on" in result.stderr
    assert result.stdout == ""
    assert_no_traceback(result)


def test_unreadable_toml_exits_two(govsite_here, make_repo):
    root = make_repo({"govsite.toml": "fail_on = \n"})
    result = govsite_here("validate", str(root))
    assert result.returncode == 2
    assert "govsite.toml" in result.stderr
    assert_no_traceback(result)


def test_missing_explicit_config_exits_two(govsite_here, clean_repo, tmp_path):
    missing = tmp_path / "nowhere.toml"
    result = govsite_here("validate", str(clean_repo), "--config", str(missing))
    assert result.returncode == 2
    assert "nowhere.toml" in result.stderr


def test_missing_repository_exits_two(tmp_path):
    result = govsite("validate", str(tmp_path / "no-such-repo"))
    assert result.returncode == 2
    assert result.stderr == f"govsite: error: {tmp_path / 'no-such-repo'}: no such directory\n"


def test_repository_that_is_a_file_exits_two(govsite_here, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    result = govsite_here("validate", str(tmp_path / "file.txt"))
    assert result.returncode == 2
    assert "not a directory" in result.stderr


def test_unknown_option_and_format_are_usage_errors(govsite_here, clean_repo):
    assert govsite_here("validate", str(clean_repo), "--format", "xml").returncode == 2
    assert govsite_here("validate", "--frobnicate").returncode == 2
    assert govsite_here().returncode == 2


def test_unwritable_output_exits_two(govsite_here, clean_repo, tmp_path):
    unwritable = tmp_path / "missing" / "report.txt"
    result = govsite_here("validate", str(clean_repo), "--output", str(unwritable))
    assert result.returncode == 2
    assert "cannot write" in result.stderr


# --------------------------------------------------------------------------- rules and help


def test_rules_lists_every_code_with_its_name():
    result = govsite("rules")
    assert result.returncode == 0, result.stderr
    for code, spec in CATALOG.items():
        (row,) = [l for l in result.stdout.splitlines() if l.startswith(code + " ")]
        assert spec.name in row and spec.severity.value in row and spec.summary in row


def test_rules_json_lists_every_rule(govsite_here):
    rules = json.loads(govsite_here("rules", "--format", "json").stdout)
    assert [r["code"] for r in rules] == list(CATALOG)
    assert rules[1] == {
        "code": "GOV201", "name": "destructive-without-bypass", "severity": "error",
        "policy": 2, "summary": CATALOG["GOV201"].summary,
    }


def test_rules_code_prints_its_documentation():
    from generator.report import catalogue

    doc = next(r.doc for r in catalogue() if r.code == "GOV201")
    result = govsite("rules", "GOV201")
    assert result.returncode == 0
    assert result.stdout.startswith("GOV201 destructive-without-bypass (error, policy 2)")
    assert doc and doc.strip() in result.stdout
    by_name = govsite("rules", "destructive-without-bypass", "--format", "markdown")
    assert by_name.stdout.startswith("# GOV201: destructive-without-bypass")


def test_unknown_rule_exits_two(govsite_here):
    result = govsite_here("rules", "GOV999")
    assert result.returncode == 2
    assert "unknown rule 'GOV999'" in result.stderr


@pytest.mark.parametrize("command", ["validate", "rules"])
def test_each_command_explains_itself(govsite_here, command):
    result = govsite_here(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: govsite {command}")
    assert "examples:" in result.stdout


def test_top_level_help_lists_the_commands(govsite_here):
    result = govsite_here("--help")
    assert result.returncode == 0
    for command in ("validate", "rules", "generate", "build", "serve", "review"):
        assert f"    {command} " in result.stdout


# --------------------------------------------------------------------------- terminals


def run_on_terminal(
    args: list[str], *, stdout_tty: bool, env: dict | None = None
) -> tuple[str, str]:
    """Run govsite with stderr (and optionally stdout) on a pseudo-terminal; return both outputs."""
    import pty

    primary, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(PYTHONPATH=str(ROOT), TERM="xterm", **(env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        stdout=secondary if stdout_tty else subprocess.PIPE, stderr=secondary,
        env=environment, cwd=ROOT,
    )
    os.close(secondary)
    captured = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        captured += chunk
    piped = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=60)
    os.close(primary)
    return piped, captured.decode()


def test_text_is_coloured_only_on_a_terminal_without_no_color(destructive_repo):
    root, _ = destructive_repo
    _, coloured = run_on_terminal(["validate", str(root)], stdout_tty=True)
    assert "\x1b[31m" in coloured and "GOV201" in coloured
    _, plain = run_on_terminal(["validate", str(root)], stdout_tty=True, env={"NO_COLOR": "1"})
    assert "GOV201" in plain and "\x1b[31m" not in plain


def test_progress_goes_to_the_terminal_and_never_into_the_report(destructive_repo):
    root, _ = destructive_repo
    args = ["validate", str(root), "--format", "json"]
    report, terminal = run_on_terminal(args, stdout_tty=False)
    assert "\x1b" not in report
    assert json.loads(report)["summary"]["migrations"] == 1
    assert "govsite: reading" in terminal
    assert terminal.endswith("\r\x1b[K")  # the progress line is erased when done


def test_build_progress_is_erased_before_the_summary_line(clean_repo, tmp_path):
    """Commands and the site engine share one status line: what a build shows on a terminal is
    blanked before its closing summary, so the two never share a line."""
    _, terminal = run_on_terminal(
        ["build", str(clean_repo), "--site-dir", str(tmp_path / "site")], stdout_tty=False
    )
    assert "govsite: building site" in terminal
    assert "\r\x1b[Kbuilt " in terminal.replace("\r\n", "\n")


def govsite_commands_in(text: str) -> list[list[str]]:
    """The argument lists of every `govsite ...` command line in a workflow's `run:` steps or
    a hook's `entry:` (shell tails such as `|| true` cut off)."""
    import shlex

    commands = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ")
        for key in ("run:", "entry:"):
            if line.startswith(key) and "govsite " in line:
                words = shlex.split(line[len(key):].split("||")[0])
                commands.append(words[words.index("govsite") + 1:])
    return commands


@pytest.mark.parametrize("ready_made", [".pre-commit-hooks.yaml", "examples/ci/governance.yml"])
def test_ready_made_ci_files_use_only_commands_and_options_govsite_has(ready_made):
    """Teams copy these files as they are: each govsite command in them must parse."""
    import yaml

    from generator.cli import build_parser

    text = (ROOT / ready_made).read_text(encoding="utf-8")
    yaml.safe_load(text)  # a file that is not YAML would break the team's CI at once
    commands = govsite_commands_in(text)
    assert commands
    for arguments in commands:
        args = build_parser(arguments).parse_args(arguments)
        assert args.command == arguments[0]


# --------------------------------------------------------------------------- interruption


def test_interrupted_command_exits_130_and_leaves_signal_handlers_as_they_were(monkeypatch):
    import signal

    import generator.commands.rules as rules

    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def interrupted(args):
        seen.append(signal.getsignal(signal.SIGTERM))
        raise KeyboardInterrupt

    monkeypatch.setattr(rules, "run", interrupted)
    assert main(["rules"]) == 130
    assert seen and seen[0] is not before  # while it ran, SIGTERM was turned into an interrupt
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_while_a_command_runs_exits_143(monkeypatch):
    import signal

    import generator.commands.rules as rules

    def terminated(args):
        signal.raise_signal(signal.SIGTERM)
        return 0

    monkeypatch.setattr(rules, "run", terminated)
    assert main(["rules"]) == 128 + signal.SIGTERM


def test_a_stop_whose_exception_python_drops_still_ends_the_command_as_stopped(monkeypatch):
    """A signal landing in a destructor or a weak reference's callback raises there, and Python
    drops that exception ("Exception ignored"); the stop must not be lost with it, nor printed
    as a traceback. Other dropped exceptions are reported as before."""
    import signal

    import generator.commands.rules as rules

    class SignalledWhileCollected:
        def __del__(self):
            signal.raise_signal(signal.SIGTERM)  # the handler's exception is dropped here

    def finishing(args):
        SignalledWhileCollected()  # collected at once, and the command goes on
        return 0

    class FailsWhileCollected:
        def __del__(self):
            raise ValueError("a destructor's own failure")

    def failing_too(args):
        FailsWhileCollected()
        return 0

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    monkeypatch.setattr(rules, "run", finishing)
    assert main(["rules"]) == 128 + signal.SIGTERM
    assert reported == []
    monkeypatch.setattr(rules, "run", failing_too)
    assert main(["rules"]) == 0  # the next command starts with no stop pending
    assert [type(r.exc_value) for r in reported] == [ValueError]
    assert sys.unraisablehook == reported.append  # given back


# --------------------------------------------------------------------------- the collector


def test_main_called_by_a_program_leaves_its_collector_as_it_was(clean_repo):
    """validate pauses the collector while it runs; a program that calls `main` with
    arguments gets it back enabled, with nothing frozen."""
    import gc

    frozen = gc.get_freeze_count()
    assert main(["validate", str(clean_repo), "--no-cache"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.parametrize("command, frozen", [("validate", True), ("rules", False)])
def test_govsite_as_the_program_freezes_what_is_left_only_after_validate(clean_repo, command, frozen):
    """Run as the program, validate freezes what is left when it ends, so the interpreter's
    collections at exit skip it; commands that keep the collector (builds, rules) do not."""
    arguments = ["validate", str(clean_repo), "--no-cache"] if command == "validate" else ["rules"]
    script = (
        "import gc, sys\nfrom generator.cli import main\n"
        f"sys.argv = ['govsite', *{arguments!r}]\nstatus = main()\n"
        "print(status, gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.stdout.split()[-3:] == ["0", "True", str(frozen)], result.stderr[-3000:]
