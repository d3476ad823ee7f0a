"""Accepting the past: `govsite baseline`, the GOV807 stale entries, `legacy_until`, and legacy
migrations titled and dated from what Alembic wrote into them."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from conftest import govsite

from generator.config import Config
from generator.rules import run_rules
from generator.rules.baseline import accept_past, baseline_text, fingerprints
from generator.sources import load_repository

pytestmark = pytest.mark.usefixtures("no_outer_repository")

VERSIONS = "alembic/versions"
ADD_NOTE = 'op.add_column("accounts", sa.Column("note", sa.Text()))'


def alembic_file(
    rev: str,
    down: str | None,
    message: str = "add note",
    *,
    upgrade: str = ADD_NOTE,
    downgrade: str = 'op.drop_column("accounts", "note")',
    created: str = "2020-01-02 10:11:12.000000",
    top: str = "",
) -> str:
    """A migration as `alembic revision -m MESSAGE` writes it: no metadata header."""
    return (
        f'"""{message}\n\nRevision ID: {rev}\nRevises: {down or ""}\nCreate Date: {created}\n\n"""\n'
        f"{top}"
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        "# revision identifiers, used by Alembic.\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n    {upgrade}\n\n\ndef downgrade():\n    {downgrade}\n"
    )


def rev(i: int) -> str:
    return f"r{i:04d}"


def legacy_files(count: int) -> dict[str, str]:
    """`count` header-less migrations in one chain; every tenth drops a table without a bypass."""
    files = {}
    for i in range(count):
        drop = i % 10 == 9
        files[f"{VERSIONS}/{rev(i)}_change_{i}.py"] = alembic_file(
            rev(i),
            rev(i - 1) if i else None,
            f"change {i}",
            upgrade=f'op.drop_table("old_{i}")' if drop else ADD_NOTE,
            downgrade=f'op.create_table("old_{i}")' if drop else 'op.drop_column("accounts", "note")',
        )
    return files


def validate_json(root, *args: str) -> tuple[int, dict]:
    done = govsite("validate", str(root), "--no-history", "--format", "json", *args)
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def baseline(root, *args: str):
    done = govsite("baseline", str(root), *args)
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def legacy_repo(make_repo):
    """200 legacy migrations with about 220 findings, and their baseline."""
    root = make_repo(legacy_files(200))
    done = baseline(root)
    assert done.returncode == 0, done.stderr
    return root


def entries(root, name: str = "govsite-baseline.json") -> list[dict]:
    return json.loads((root / name).read_text(encoding="utf-8"))["entries"]


# --------------------------------------------------------------------------- the baseline


def test_baseline_accepts_hundreds_of_legacy_findings_and_fails_only_the_new_migration(legacy_repo):
    recorded = entries(legacy_repo)
    assert len(recorded) == 220  # a GOV501 per file, a GOV201 per tenth file
    code, report = validate_json(legacy_repo)
    assert code == 0
    assert report["findings"] == []
    assert len(report["suppressed"]) == 220
    assert {f["suppression"]["kind"] for f in report["suppressed"]} == {"baseline"}
    assert {f["suppression"]["path"] for f in report["suppressed"]} == {"govsite-baseline.json"}

    new = f"{VERSIONS}/{rev(200)}_drop_events.py"
    (legacy_repo / new).write_text(
        alembic_file(rev(200), rev(199), "drop events", upgrade='op.drop_table("events")'), encoding="utf-8"
    )
    code, report = validate_json(legacy_repo)
    assert code == 1
    assert {(f["rule"], f["path"]) for f in report["findings"]} == {("GOV201", new), ("GOV501", new)}
    text = govsite("validate", str(legacy_repo), "--no-history")
    assert text.returncode == 1
    assert "2 errors, 0 warnings in 201 migrations" in text.stdout
    assert "(220 suppressed)" in text.stdout


def test_inserting_lines_above_findings_and_editing_other_statements_changes_nothing(legacy_repo):
    path = legacy_repo / VERSIONS / f"{rev(9)}_change_9.py"
    text = path.read_text(encoding="utf-8")
    text = text.replace("from alembic import op\n", "import logging\n\n# moved\nfrom alembic import op\n")
    text = text.replace(
        '    op.drop_table("old_9")',
        '    log = logging.getLogger(__name__)\n    log.info("dropping")\n'
        '    # the table is gone since 2019\n    op.drop_table(  "old_9"  )  # noqa',
    )
    text = text.replace('    op.create_table("old_9")', '    op.create_table("old_9")\n    op.execute("SELECT 1")')
    path.write_text(text, encoding="utf-8")
    code, report = validate_json(legacy_repo)
    assert code == 0
    assert report["findings"] == []
    assert len(report["suppressed"]) == 220


def test_changing_the_statement_of_a_finding_makes_it_new(legacy_repo):
    path = legacy_repo / VERSIONS / f"{rev(9)}_change_9.py"
    path.write_text(path.read_text(encoding="utf-8").replace('drop_table("old_9")', 'drop_table("users")'), encoding="utf-8")
    code, report = validate_json(legacy_repo)
    assert code == 1
    found = {(f["rule"], f["path"]) for f in report["findings"]}
    assert found == {("GOV201", f"{VERSIONS}/{rev(9)}_change_9.py"), ("GOV807", "govsite-baseline.json")}


def test_fixed_finding_leaves_a_stale_entry_that_update_drops(legacy_repo):
    path = legacy_repo / VERSIONS / f"{rev(19)}_change_19.py"
    path.write_text(
        path.read_text(encoding="utf-8").replace('    op.drop_table("old_19")', '    op.drop_table("old_19")  # CI:DESTRUCTIVE_OK REVIEW-12 emptied in 2019'),
        encoding="utf-8",
    )
    code, report = validate_json(legacy_repo)
    assert code == 0  # GOV807 is a warning
    [stale] = report["findings"]
    assert stale["rule"] == "GOV807"
    assert stale["path"] == "govsite-baseline.json"
    assert f"{VERSIONS}/{rev(19)}_change_19.py" in stale["message"]
    lines = (legacy_repo / "govsite-baseline.json").read_text(encoding="utf-8").splitlines()
    named = lines[stale["line"] - 1]
    assert '"GOV201"' in named and f"{rev(19)}_change_19.py" in named

    done = baseline(legacy_repo, "--update")
    assert done.returncode == 0, done.stderr
    assert "219 entries kept or added, 1 stale dropped" in done.stdout
    assert len(entries(legacy_repo)) == 219
    code, report = validate_json(legacy_repo)
    assert (code, report["findings"]) == (0, [])


def _reworded(f):
    return replace(f, message=f.message.replace("drops", "removes").replace("has no", "lacks a"))


def test_a_finding_on_a_statement_stays_accepted_when_its_message_is_put_differently(make_repo):
    """A later version of govsite may word a finding differently; the statement is what counts."""
    root = make_repo({f"{VERSIONS}/a1.py": alembic_file("a1", None, upgrade='op.drop_table("old_events")')})
    config = Config()
    repo = load_repository(root, config, with_history=False)
    found = run_rules(repo, config, baseline=False)
    assert sorted(f.rule for f in found) == ["GOV201", "GOV501"]
    (root / config.baseline).write_text(baseline_text(found, repo), encoding="utf-8")

    accepted = accept_past([_reworded(f) for f in found], repo, config)
    by_rule = {f.rule: f for f in accepted}
    assert "removes table" in by_rule["GOV201"].message
    assert by_rule["GOV201"].suppression.kind == "baseline"
    # a finding on no statement is known by its message: reworded, it is a new finding
    assert by_rule["GOV501"].suppression is None
    assert "GOV807" in by_rule


def test_a_baseline_of_message_prints_still_matches_and_update_rewrites_it(legacy_repo):
    """Files written when every print hashed the message in are still read."""
    config = Config()
    repo = load_repository(legacy_repo, config, with_history=False)
    found = [f for f in run_rules(repo, config, baseline=False) if not f.suppressed]
    older = fingerprints(found, repo, by_message=True)
    data = json.loads((legacy_repo / config.baseline).read_text(encoding="utf-8"))
    by_key = {(f.rule, f.location.path, f.message): p for f, p in zip(found, older)}
    for entry in data["entries"]:
        entry["fingerprint"] = by_key[(entry["rule"], entry["path"], entry["what"])]
    path = legacy_repo / config.baseline
    path.write_text(json.dumps(data), encoding="utf-8")
    rewritten = {e["fingerprint"] for e in entries(legacy_repo)}
    assert len(rewritten) == 220 and rewritten == set(older)  # every entry has an older print now

    code, report = validate_json(legacy_repo)
    assert (code, report["findings"], len(report["suppressed"])) == (0, [], 220)
    assert baseline(legacy_repo, "--update").returncode == 0
    assert {e["fingerprint"] for e in entries(legacy_repo)} == set(fingerprints(found, repo))
    code, report = validate_json(legacy_repo)
    assert (code, report["findings"], len(report["suppressed"])) == (0, [], 220)


def test_update_adds_no_new_finding_unless_asked(legacy_repo):
    new = f"{VERSIONS}/{rev(200)}_more.py"
    (legacy_repo / new).write_text(alembic_file(rev(200), rev(199)), encoding="utf-8")
    assert baseline(legacy_repo, "--update").returncode == 0
    assert len(entries(legacy_repo)) == 220
    assert validate_json(legacy_repo)[0] == 1
    assert baseline(legacy_repo, "--update", "--add-new").returncode == 0
    assert len(entries(legacy_repo)) == 221
    assert validate_json(legacy_repo)[0] == 0


def test_baseline_file_is_sorted_one_entry_a_line_and_the_same_bytes_each_time(legacy_repo):
    path = legacy_repo / "govsite-baseline.json"
    first = path.read_bytes()
    path.unlink()
    assert baseline(legacy_repo).returncode == 0
    assert path.read_bytes() == first
    recorded = entries(legacy_repo)
    assert recorded == sorted(recorded, key=lambda e: (e["path"], e["rule"], e["fingerprint"], e["what"]))
    assert set(recorded[0]) == {"rule", "path", "fingerprint", "what"}
    assert recorded[0]["what"].startswith("migration has no metadata header")
    entry_lines = [line for line in first.decode().splitlines() if line.startswith("    {")]
    assert len(entry_lines) == 220
    assert not any(re.search(r'"line"', line) for line in entry_lines)


def test_an_existing_baseline_is_not_overwritten_by_a_plain_run(legacy_repo):
    before = (legacy_repo / "govsite-baseline.json").read_bytes()
    done = baseline(legacy_repo)
    assert done.returncode == 2
    assert "govsite-baseline.json exists" in done.stderr and "--update" in done.stderr
    assert (legacy_repo / "govsite-baseline.json").read_bytes() == before
    done = baseline(legacy_repo, "--add-new")
    assert done.returncode == 2 and "--add-new only goes with --update" in done.stderr


def test_update_without_a_baseline_says_to_write_one_first(make_repo):
    root = make_repo(legacy_files(2))
    done = baseline(root, "--update")
    assert done.returncode == 2
    assert "no baseline to update" in done.stderr


def test_the_baseline_option_moves_the_file(make_repo):
    root = make_repo({**legacy_files(3), "govsite.toml": 'baseline = "db/accepted.json"\n'})
    done = baseline(root)
    assert done.returncode == 0, done.stderr
    assert "db/accepted.json: 3 findings recorded" in done.stdout
    assert not (root / "govsite-baseline.json").exists()
    code, report = validate_json(root)
    assert code == 0
    assert {f["suppression"]["path"] for f in report["suppressed"]} == {"db/accepted.json"}


def test_every_report_format_lists_baselined_findings_as_suppressed(legacy_repo):
    sarif = json.loads(govsite("validate", str(legacy_repo), "--no-history", "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert len(results) == 220
    assert all(r["suppressions"][0]["kind"] == "external" for r in results)
    assert all("govsite-baseline.json" in r["suppressions"][0]["justification"] for r in results)
    github = govsite("validate", str(legacy_repo), "--no-history", "--format", "github")
    assert github.returncode == 0 and "::error" not in github.stdout


def test_a_disabled_rule_turns_its_entries_stale_and_gov807_can_be_switched_off(legacy_repo):
    (legacy_repo / "govsite.toml").write_text('disable = ["GOV201"]\n', encoding="utf-8")
    code, report = validate_json(legacy_repo)
    assert code == 0
    assert [f["rule"] for f in report["findings"]] == ["GOV807"] * 20
    (legacy_repo / "govsite.toml").write_text('disable = ["GOV201", "GOV807"]\n', encoding="utf-8")
    assert validate_json(legacy_repo)[1]["findings"] == []


# --------------------------------------------------------------------------- legacy_until


def test_legacy_until_suppresses_the_revision_and_its_ancestors_only(make_repo):
    files = legacy_files(30)
    files["govsite.toml"] = f'legacy_until = "{rev(19)}"\n'
    root = make_repo(files)
    code, report = validate_json(root)
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {
        f"{VERSIONS}/{rev(i)}_change_{i}.py" for i in range(20, 30)
    }
    legacy = {f["path"] for f in report["suppressed"]}
    assert legacy == {f"{VERSIONS}/{rev(i)}_change_{i}.py" for i in range(20)}
    kinds = {f["suppression"]["kind"] for f in report["suppressed"]}
    assert kinds == {"legacy"}
    assert f"legacy_until = {rev(19)}" in report["suppressed"][0]["suppression"]["justification"]


def test_legacy_until_accepts_a_unique_prefix_of_a_revision(make_repo):
    root = make_repo({**legacy_files(3), "govsite.toml": 'legacy_until = "r000"\n'})
    done = govsite("validate", str(root), "--no-history")
    assert done.returncode == 2
    assert "'r000' is the start of several revisions" in done.stderr
    (root / "govsite.toml").write_text('legacy_until = "r0002"\n', encoding="utf-8")
    assert validate_json(root)[0] == 0


def test_legacy_until_cuts_off_each_migration_environment_of_a_monorepo_on_its_own(make_repo):
    """Two services reuse the revision ids `a1`, `b2`; `legacy_until = "a1"` makes each
    service's own `a1` legacy and leaves both `b2` checked. One graph over both would mix them
    up (b2 of one service would look like a child of the other's a1)."""
    from conftest import migration

    files = {"govsite.toml": 'legacy_until = ["a1", "c3"]\n'}
    for service in ("billing", "users"):
        files[f"services/{service}/alembic.ini"] = "[alembic]\nscript_location = alembic\n"
        files[f"services/{service}/alembic/versions/a1.py"] = migration("a1", header="")
        files[f"services/{service}/alembic/versions/b2.py"] = migration("b2", "a1", header="")
    files["services/users/alembic/versions/c3.py"] = migration("c3", "b2", header="")
    root = make_repo(files)
    code, report = validate_json(root)
    assert code == 1
    open_paths = {f["path"] for f in report["findings"]}
    assert open_paths == {"services/billing/alembic/versions/b2.py"}
    legacy = {f["path"] for f in report["suppressed"] if f["suppression"]["kind"] == "legacy"}
    assert legacy == {
        "services/billing/alembic/versions/a1.py",
        "services/users/alembic/versions/a1.py",
        "services/users/alembic/versions/b2.py",
        "services/users/alembic/versions/c3.py",
    }


def test_legacy_until_naming_an_unknown_revision_is_a_configuration_error(make_repo):
    root = make_repo({**legacy_files(3), "govsite.toml": 'legacy_until = "deadbeef"\n'})
    for command in (("validate", "--no-history"), ("baseline",), ("review", "--quarter", "2020Q1")):
        done = govsite(command[0], str(root), *command[1:])
        assert done.returncode == 2, command
        assert "option 'legacy_until'" in done.stderr and "'deadbeef'" in done.stderr
        assert "Traceback" not in done.stderr


def test_baseline_does_not_record_what_legacy_until_already_accepts(make_repo):
    root = make_repo({**legacy_files(10), "govsite.toml": f'legacy_until = "{rev(4)}"\n'})
    assert baseline(root).returncode == 0
    assert {e["path"] for e in entries(root)} == {f"{VERSIONS}/{rev(i)}_change_{i}.py" for i in range(5, 10)}


# --------------------------------------------------------------------------- the site


def adopted_files(half_header: bool) -> dict[str, str]:
    """Nine legacy migrations cut off at the sixth (the other three to be baselined), then
    three checked ones; with `half_header` the last of them lacks most header fields."""
    from conftest import migration

    last = "MIGRATION_ID: 202601011200\nTITLE: Half a header\n" if half_header else None
    return {
        **legacy_files(9),
        "govsite.toml": f'legacy_until = "{rev(5)}"\n',
        f"{VERSIONS}/r0009_checked.py": migration(rev(9), rev(8)),
        f"{VERSIONS}/r0010_checked.py": migration(rev(10), rev(9)),
        f"{VERSIONS}/r0011_checked.py": migration(rev(11), rev(10), header=last),
    }


@pytest.fixture(scope="module")
def adopted_site(tmp_path_factory):
    """A real `govsite build` of the adopted repository, baseline written before the checked
    migrations arrived."""
    from conftest import write_files

    root = tmp_path_factory.mktemp("adopted") / "repo"
    files = adopted_files(half_header=False)
    write_files(root, {k: v for k, v in files.items() if "checked" not in k})
    assert govsite("baseline", str(root)).returncode == 0
    write_files(root, files)
    site = root.parent / "site"
    env = {"GIT_CEILING_DIRECTORIES": str(root.parent.parent)}
    done = govsite("build", str(root), "--site-dir", str(site), env=env)
    assert done.returncode == 0, done.stderr
    return site


def test_site_shows_a_legacy_badge_on_the_index_and_legacy_pages_only(adopted_site):
    index = (adopted_site / "governance" / "migrations" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>.*?</tr>", index, re.S)
    legacy_rows = [r for r in rows if "govsite-legacy" in r]
    assert len(rows) == 13 and len(legacy_rows) == 6
    assert all(re.search(r"r000[0-5]", r) for r in legacy_rows)
    page = (adopted_site / "governance" / "migrations" / rev(2) / "index.html").read_text(encoding="utf-8")
    assert '<span class="govsite-badge govsite-legacy">legacy</span>' in page
    assert "Legacy migration" in page
    for checked in (rev(7), rev(9)):  # baselined, checked
        text = (adopted_site / "governance" / "migrations" / checked / "index.html").read_text(encoding="utf-8")
        assert "govsite-legacy" not in text


def test_site_dashboard_counts_legacy_baselined_and_checked_migrations(adopted_site):
    dashboard = (adopted_site / "governance" / "index.html").read_text(encoding="utf-8")
    after = dashboard.split("Checked migrations", 1)[1]
    assert re.findall(r"<td[^>]*>(\d+)</td>", after)[:3] == ["3", "3", "6"]
    assert "Compliance is computed over the checked migrations" in dashboard
    assert "100.0 %" in dashboard


def test_compliance_is_computed_over_checked_migrations_only(make_repo, tmp_path):
    files = adopted_files(half_header=True)
    root = make_repo({k: v for k, v in files.items() if "checked" not in k})
    assert baseline(root).returncode == 0
    from conftest import write_files

    write_files(root, files)
    out = tmp_path / "generated"
    govsite("generate", str(root), "--out", str(out))
    dashboard = (out / "governance" / "index.md").read_text(encoding="utf-8")
    assert "| 3 | 3 | 6 |" in dashboard
    assert "66.7 %" in dashboard  # 2 of the 3 checked, not 11 of 12
    assert "2 of\n3 have no open" in dashboard
    assert "6 legacy migrations (at or before `legacy_until`) and 3 migrations whose findings" in dashboard


# --------------------------------------------------------------------------- titles and dates


def titled_repo(make_repo):
    return make_repo(
        {
            f"{VERSIONS}/3f2a9c1d_add_users_table.py": alembic_file(
                "3f2a9c1d", None, "empty message", created="2021-02-03 04:05:06.789012"
            ),
            f"{VERSIONS}/4b5c6d7e_.py": alembic_file(
                "4b5c6d7e", "3f2a9c1d", "Add email to users", created="2021-05-06 07:08:09+00:00"
            ),
            f"{VERSIONS}/5c6d7e8f_.py": (
                'revision = "5c6d7e8f"\ndown_revision = "4b5c6d7e"\n\n'
                "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
            ),
        }
    )


def test_titles_come_from_the_message_line_else_the_file_name(make_repo):
    from generator.config import Config
    from generator.sources import load_repository

    repo = load_repository(titled_repo(make_repo), Config(), with_history=False)
    by_rev = {m.revision: m for m in repo.migrations}
    assert by_rev["3f2a9c1d"].display_title == "add users table"  # "empty message" does not count
    assert by_rev["4b5c6d7e"].display_title == "Add email to users"
    assert by_rev["5c6d7e8f"].display_title == "5c6d7e8f"
    assert str(by_rev["4b5c6d7e"].created) == "2021-05-06"
    assert by_rev["5c6d7e8f"].created is None


def test_pages_and_index_use_the_fallback_title_and_create_date(make_repo, tmp_path):
    root = titled_repo(make_repo)
    out = tmp_path / "generated"
    done = govsite("generate", str(root), "--out", str(out))
    assert "Traceback" not in done.stderr
    index = (out / "governance" / "migrations" / "index.md").read_text(encoding="utf-8")
    rows = [line for line in index.splitlines() if line.startswith("| ") and ".md)" in line]
    assert [re.search(r"\[(.*?)\]", r).group(1) for r in rows] == [
        "Add email to users", "add users table", "5c6d7e8f"  # newest first, undated last
    ]
    assert "2021-05-06 (from the file)" in rows[0]
    page = (out / "governance" / "migrations" / "4b5c6d7e.md").read_text(encoding="utf-8")
    assert page.splitlines()[0:3] == ["---", 'title: "4b5c6d7e Add email to users"', "tags:"]
    assert "**Date:** 2021-05-06 (from the file's Create Date: git has no commit that adds it)" in page
    assert "**Quarter:** [2021Q2]" in page


def test_a_migration_with_nothing_but_revision_ids_has_no_stray_separators(make_repo, tmp_path):
    root = titled_repo(make_repo)
    out = tmp_path / "generated"
    govsite("generate", str(root), "--out", str(out))
    page = (out / "governance" / "migrations" / "5c6d7e8f.md").read_text(encoding="utf-8")
    assert "# 5c6d7e8f\n" in page
    assert "\nrevision 5c6d7e8f · `alembic/versions/5c6d7e8f_.py`" in page or "revision 5c6d7e8f · <code>" in page
    for stray in (" ·  ·", "· ·", "MIGRATION_ID —", " ()", "—  —", "5c6d7e8f 5c6d7e8f"):
        assert stray not in page, stray
    assert "**Date:** unknown (no commit, no date in MIGRATION_ID, no `Create Date:` line)" in page


def test_review_names_legacy_migrations_by_their_message_not_no_title(make_repo):
    root = titled_repo(make_repo)
    done = govsite("review", str(root), "--quarter", "2021Q1")
    assert done.returncode == 0, done.stderr
    assert "3f2a9c1d  add users table" in done.stdout
    assert "(no TITLE)" not in done.stdout
    markdown = govsite("review", str(root), "--quarter", "2021Q2", "--format", "markdown").stdout
    assert "Add email to users" in markdown and "(no TITLE)" not in markdown
    data = json.loads(govsite("review", str(root), "--quarter", "2021Q2", "--format", "json").stdout)
    titles = [m["title"] for ms in data["migrations_by_risk"].values() for m in ms]
    assert titles == ["Add email to users"]
