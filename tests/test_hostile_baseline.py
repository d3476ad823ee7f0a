"""Baseline files and `legacy_until` values that are wrong, hostile or odd: each test reproduces
one way they broke, and checks the answer is a clear error or finding, never a traceback."""

from __future__ import annotations

import json
import os

import pytest

from conftest import govsite
from test_baseline import VERSIONS, alembic_file, legacy_files

pytestmark = pytest.mark.usefixtures("no_outer_repository")

GOOD_ENTRY = {"rule": "GOV501", "path": f"{VERSIONS}/r0000_change_0.py", "fingerprint": "0123456789abcdef"}


def baseline_text(*entries) -> str:
    lines = ",\n".join("    " + json.dumps(e) for e in entries)
    return '{\n  "version": 1,\n  "entries": [\n' + lines + "\n  ]\n}\n"


def assert_config_error(done, *words: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("govsite: error: ")
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"version": 1, "entries": [\n  {"rule": "GOV501",}\n]}', ("govsite-baseline.json:2:", "not valid JSON")),
        ("", ("govsite-baseline.json:1:", "not valid JSON")),
        ("[1, 2]\n", ("govsite-baseline.json:1:", 'an "entries" list')),
        ('{"version": 1, "entries": {}}', ("govsite-baseline.json:1:", 'an "entries" list')),
        ('{"version": 2, "entries": []}', ("govsite-baseline.json:1:", '"version" must be 1')),
        (baseline_text(GOOD_ENTRY, {**GOOD_ENTRY, "rule": "GOV999"}), ("govsite-baseline.json:5:", "unknown rule 'GOV999'")),
        (baseline_text({**GOOD_ENTRY, "fingerprint": "12"}), ("govsite-baseline.json:4:", "not 16 hexadecimal digits")),
        (baseline_text({**GOOD_ENTRY, "line": 3}), ("govsite-baseline.json:4:", "unknown key 'line'")),
        (baseline_text({"rule": "GOV501", "path": "x.py"}), ("govsite-baseline.json:4:", 'no "fingerprint"')),
        (baseline_text(GOOD_ENTRY, "GOV501"), ("govsite-baseline.json:5:", "must be an object")),
        (baseline_text({**GOOD_ENTRY, "what": 7}), ('"what" must be a string',)),
        ("[" * 100_000 + "]" * 100_000, ("govsite-baseline.json", "nested too deeply")),
    ],
    ids=["bad-json", "empty", "list", "entries-object", "version", "unknown-rule", "fingerprint",
         "unknown-key", "missing-key", "entry-string", "what-number", "deep-nesting"],
)
def test_a_corrupt_baseline_is_a_configuration_error_naming_file_and_line(make_repo, text, words):
    root = make_repo({**legacy_files(2), "govsite-baseline.json": text})
    assert_config_error(govsite("validate", str(root), "--no-history"), *words, "govsite baseline")
    assert_config_error(govsite("baseline", str(root), "--update"), *words)


def test_a_baseline_that_is_not_utf8_says_so(make_repo):
    root = make_repo({**legacy_files(2), "govsite-baseline.json": b'{"version": 1, "entries": ["\xff"]}'})
    assert_config_error(govsite("validate", str(root), "--no-history"), "govsite-baseline.json", "not UTF-8")


def test_a_baseline_that_is_a_folder_is_refused(make_repo):
    root = make_repo(legacy_files(2))
    (root / "govsite-baseline.json").mkdir()
    assert_config_error(govsite("validate", str(root), "--no-history"), "is not a file")
    assert_config_error(govsite("baseline", str(root)), "exists")


def test_a_baseline_linking_outside_the_repository_is_neither_read_nor_written(make_repo, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text('{"version": 1, "entries": []}', encoding="utf-8")
    root = make_repo(legacy_files(2))
    os.symlink(outside, root / "govsite-baseline.json")
    assert_config_error(govsite("validate", str(root), "--no-history"), "outside the repository")
    assert_config_error(govsite("baseline", str(root), "--update"), "outside the repository")
    assert outside.read_text(encoding="utf-8") == '{"version": 1, "entries": []}'


@pytest.mark.parametrize("value", ['"/etc/baseline.json"', '"../baseline.json"', '"db/../../x.json"', "3", '""'])
def test_a_baseline_option_leading_outside_the_repository_is_refused(make_repo, value):
    root = make_repo({**legacy_files(2), "govsite.toml": f"baseline = {value}\n"})
    assert_config_error(govsite("baseline", str(root)), "option 'baseline'")
    assert not (root.parent / "baseline.json").exists()


@pytest.mark.parametrize("value", ["5", "[]", '[""]', "true"])
def test_a_legacy_until_that_is_not_a_revision_is_refused(make_repo, value):
    root = make_repo({**legacy_files(2), "govsite.toml": f"legacy_until = {value}\n"})
    done = govsite("validate", str(root), "--no-history")
    if value == "[]":  # an empty list is no cut-off, as if the option were absent
        assert done.returncode == 1 and "Traceback" not in done.stderr
    else:
        assert_config_error(done, "option 'legacy_until'")


def test_legacy_until_follows_a_cycle_without_hanging(make_repo):
    files = {
        f"{VERSIONS}/a.py": alembic_file("aaaa", "bbbb"),
        f"{VERSIONS}/b.py": alembic_file("bbbb", "aaaa"),
        "govsite.toml": 'legacy_until = "aaaa"\n',
    }
    done = govsite("validate", str(make_repo(files)), "--no-history", "--format", "json", timeout=60)
    report = json.loads(done.stdout)
    assert {f["suppression"]["kind"] for f in report["suppressed"]} == {"legacy"}


def test_a_stale_entry_for_a_deleted_file_is_gov807_not_an_error(make_repo):
    root = make_repo(legacy_files(3))
    assert govsite("baseline", str(root)).returncode == 0
    (root / VERSIONS / "r0002_change_2.py").unlink()
    done = govsite("validate", str(root), "--no-history")
    assert done.returncode == 0
    assert "GOV807" in done.stdout and "r0002_change_2.py" in done.stdout


def test_an_undecodable_file_name_survives_a_round_trip_through_the_baseline(make_repo):
    root = make_repo(legacy_files(1))
    name = os.fsencode(str(root / VERSIONS)) + b"/r0001_caf\xe9.py"
    with open(name, "w", encoding="utf-8") as f:
        f.write(alembic_file("r0001", "r0000"))
    done = govsite("baseline", str(root))
    assert done.returncode == 0, done.stderr
    (root / "govsite-baseline.json").read_text(encoding="utf-8")  # strict UTF-8
    done = govsite("validate", str(root), "--no-history")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(2 suppressed)" in done.stdout


def test_hand_duplicated_entries_accept_one_finding_and_the_copy_goes_stale(make_repo):
    root = make_repo(legacy_files(1))
    assert govsite("baseline", str(root)).returncode == 0
    data = json.loads((root / "govsite-baseline.json").read_text(encoding="utf-8"))
    (root / "govsite-baseline.json").write_text(baseline_text(*data["entries"] * 2), encoding="utf-8")
    done = govsite("validate", str(root), "--no-history")
    assert done.returncode == 0
    assert done.stdout.count("GOV807") == 1


def test_a_corrupt_baseline_fails_the_mkdocs_plugin_with_a_message(make_repo, tmp_path):
    root = make_repo({**legacy_files(2), "govsite-baseline.json": "{"})
    done = govsite("build", str(root), "--site-dir", str(tmp_path / "site"))
    assert_config_error(done, "govsite-baseline.json:1:", "not valid JSON")
    assert not (tmp_path / "site").exists()


def test_a_release_with_a_corrupt_baseline_is_skipped_with_a_note(make_git_repo, tmp_path):
    root = make_git_repo(
        [
            ("2024-01-01T10:00:00", {**legacy_files(2), "govsite-baseline.json": "{oops"}),
            ("2024-02-01T10:00:00", {"govsite-baseline.json": None}),
        ],
        tags={"v1": 0},
    )
    (root / "govsite.toml").write_text('disable = ["GOV501"]\n', encoding="utf-8")
    done = govsite("build", str(root), "--versions", "--site-dir", str(tmp_path / "site"),
                   env={"GIT_CEILING_DIRECTORIES": str(root.parent)})
    assert done.returncode == 0, done.stderr
    assert "v1: skipped" in done.stderr and "govsite-baseline.json" in done.stderr
    assert "Traceback" not in done.stderr
