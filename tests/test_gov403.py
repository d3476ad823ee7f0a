"""GOV403: the retroactive migration must be committed within 24 hours of the emergency change.

The times come from real git repositories built in temporary directories; the first tests build
the records and migrations as model objects, the end-to-end tests read them from files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import git
import pytest

from conftest import migration
from generator.config import Config
from generator.model import (
    EmergencyRecord,
    HeaderField,
    History,
    MetadataHeader,
    Migration,
    Repository,
)
from generator.rules import REGISTRY, run_rules
from generator.rules.history_rules import retroactive_migration_late
from generator.sources import load_repository
from generator.sources.history import read_history

UTC = timezone.utc
CHANGE = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
REGISTER = "db/schema/EXCEPTIONS.md"
FIX = "alembic/versions/b7_orders_index.py"
OTHER = "alembic/versions/c9_follow_up.py"

pytestmark = pytest.mark.usefixtures("no_outer_repository")


# --------------------------------------------------------------------------- model-object checks


def record(
    changed_at: Optional[datetime] = CHANGE,
    incident: Optional[str] = "INC-2041",
    refs: tuple[str, ...] = (),
    line: int = 7,
) -> EmergencyRecord:
    return EmergencyRecord(
        path=REGISTER, line=line, heading=f"Emergency Change: {changed_at}",
        changed_at=changed_at, incident=incident, migration_refs=refs,
    )


def retroactive(path: str = FIX, incident: Optional[str] = "INC-2041", migration_id: str = "202604011200") -> Migration:
    fields = [("MIGRATION_ID", migration_id), ("TITLE", "Retroactive index")]
    if incident:
        fields.append(("INCIDENT", incident))
    header = MetadataHeader(tuple(HeaderField(k, v, 2 + i) for i, (k, v) in enumerate(fields)), line=1)
    return Migration(path=path, revision=Path(path).stem.split("_")[0] + "f00d", down_revisions=(), header=header)


def committed(make_git_repo, *steps: tuple[datetime, list[str]]) -> History:
    """Real git history in which each step's files were added at the given time."""
    commits = [(CHANGE - timedelta(days=30), {REGISTER: "# Exceptions\n"})]
    commits += [(when, {p: f"# {p}\n" for p in paths}) for when, paths in steps]
    root = make_git_repo(commits)
    return read_history(root, [REGISTER, FIX, OTHER])


def gov403(rec: EmergencyRecord, migrations: list[Migration], history: History) -> list:
    repo = Repository(root=".", migrations=tuple(migrations), exceptions=(rec,), history=history)
    return [f for f in run_rules(repo, Config()) if f.rule == "GOV403"]


def test_migration_committed_23_hours_later_is_on_time(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(hours=23), [FIX]))
    assert gov403(record(), [retroactive()], history) == []


def test_migration_committed_25_hours_later_is_late_at_the_record_heading(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(hours=25), [FIX]))

    [found] = gov403(record(line=7), [retroactive()], history)

    assert (found.rule, found.name, found.severity.value, found.policy) == (
        "GOV403", "retroactive-migration-late", "error", 4)
    assert (found.location.path, found.location.line) == (REGISTER, 7)
    assert FIX in found.message and "202604011200" in found.message
    assert "2026-04-01T10:00:00Z" in found.message  # the change
    assert "2026-04-02T11:00:00Z" in found.message  # the commit
    assert "25.0 hours" in found.message


def test_exactly_24_hours_is_still_on_time(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(hours=24), [FIX]))
    assert gov403(record(), [retroactive()], history) == []


def test_commit_time_is_compared_in_utc_whatever_the_author_zone(make_git_repo):
    # 2026-04-02T12:30+02:00 is 10:30 UTC: 24.5 hours after the change
    history = committed(make_git_repo, (datetime(2026, 4, 2, 12, 30, tzinfo=timezone(timedelta(hours=2))), [FIX]))
    [found] = gov403(record(), [retroactive()], history)
    assert "2026-04-02T10:30:00Z" in found.message and "24.5 hours" in found.message


def test_record_naming_the_migration_id_links_it_without_an_incident_field(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(hours=30), [FIX]))
    rec = record(incident="INC-9", refs=("202604011200",))
    [found] = gov403(rec, [retroactive(incident=None)], history)
    assert FIX in found.message


def test_an_on_time_migration_satisfies_the_record_even_if_a_follow_up_came_later(make_git_repo):
    history = committed(
        make_git_repo,
        (CHANGE + timedelta(hours=5), [FIX]),
        (CHANGE + timedelta(days=9), [OTHER]),
    )
    migrations = [retroactive(), retroactive(OTHER, migration_id="202604101200")]
    assert gov403(record(), migrations, history) == []


def test_when_every_linked_migration_is_late_the_earliest_is_named(make_git_repo):
    history = committed(
        make_git_repo,
        (CHANGE + timedelta(hours=40), [OTHER]),
        (CHANGE + timedelta(hours=50), [FIX]),
    )
    migrations = [retroactive(), retroactive(OTHER, migration_id="202604101200")]
    [found] = gov403(record(), migrations, history)
    assert OTHER in found.message and "40.0 hours" in found.message


def test_uncommitted_migration_gives_no_finding(make_git_repo):
    history = committed(make_git_repo)
    assert history.of(FIX).added is None
    assert gov403(record(), [retroactive()], history) == []


def test_without_git_history_there_is_no_finding():
    for status in ("not-a-repository", "unavailable", "no-commits"):
        assert gov403(record(), [retroactive()], History(status=status)) == []


def test_record_without_a_readable_time_is_left_to_gov401(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(days=5), [FIX]))
    assert gov403(record(changed_at=None), [retroactive()], history) == []


def test_record_linked_to_nothing_is_left_to_gov402(make_git_repo):
    history = committed(make_git_repo, (CHANGE + timedelta(days=5), [FIX]))
    assert gov403(record(incident="INC-7"), [retroactive()], history) == []


def test_renaming_the_migration_later_does_not_make_it_late(make_git_repo):
    draft = "alembic/versions/b7_draft.py"
    root = make_git_repo([
        (CHANGE + timedelta(hours=2), {draft: "x = 1\n" * 20}),
        (CHANGE + timedelta(days=3), {("rename", draft, FIX): ""}),
    ])
    history = read_history(root, [FIX])
    assert gov403(record(), [retroactive()], history) == []


def test_shallow_clone_that_cut_off_the_adding_commit_gives_no_finding(make_git_repo, tmp_path):
    source = make_git_repo([
        (CHANGE + timedelta(days=3), {FIX: "late\n"}),
        (CHANGE + timedelta(days=4), {"README.md": "x\n"}),
    ])
    clone = tmp_path / "ci-checkout"
    git.Repo.clone_from(f"file://{source}", clone, depth=1).close()
    history = read_history(clone, [FIX])
    assert history.status == "shallow"
    assert gov403(record(), [retroactive()], history) == []
    assert history.problem.startswith("the clone is shallow: 1 of 1 files were added before its "
                                      f"oldest commit and have no date ({FIX})")


def test_rule_is_registered_with_its_documentation():
    registered = REGISTRY["GOV403"]
    assert registered.check is retroactive_migration_late
    for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert registered.doc_section(section), section
    assert "INCIDENT" in registered.doc_section("What it does")
    assert "MIGRATION_ID" in registered.doc_section("What it does")


# --------------------------------------------------------------------------- end to end


def register(heading: str) -> str:
    return f"""\
# Exceptions register

Emergency changes made directly in production.

## Emergency Change: {heading}

**Incident**: INC-2041
**Urgency**: CRITICAL (checkout down)

## Immediate Action Taken

Added index ix_orders_created_at directly in production.

## Retroactive Canonical Spec Update

https://git.example.com/db/pull/512

## Post-Incident Review

https://wiki.example.com/postmortems/INC-2041
"""


FIX_HEADER = (
    "MIGRATION_ID: 202604011200\n"
    "TITLE: Retroactive index on orders.created_at\n"
    "CHANGE_TYPE: Index\n"
    "RISK_LEVEL: Low\n"
    "FORWARD_ONLY: No\n"
    "ROLLBACK_STRATEGY: Run the downgrade.\n"
    "INCIDENT: INC-2041\n"
)


def end_to_end(make_git_repo, heading: str, landed: datetime) -> list:
    root = make_git_repo([
        (datetime(2026, 3, 1, tzinfo=UTC), {"alembic/versions/a1_base.py": migration("a1")}),
        (landed, {
            FIX: migration(
                "b7", "a1", header=FIX_HEADER,
                upgrade='op.create_index("ix_orders_created_at", "orders", ["created_at"])',
                downgrade='op.drop_index("ix_orders_created_at", table_name="orders")',
            ),
            REGISTER: register(heading),
        }),
    ])
    repo = load_repository(root, Config())
    assert repo.history.status == "ok"
    return [f for f in run_rules(repo, Config()) if f.rule == "GOV403"]


def test_end_to_end_23_hours_after_the_change_passes(make_git_repo):
    assert end_to_end(make_git_repo, "2026-04-01T10:00:00Z", CHANGE + timedelta(hours=23)) == []


def test_end_to_end_25_hours_after_the_change_fails_at_the_heading(make_git_repo):
    [found] = end_to_end(make_git_repo, "2026-04-01T10:00:00Z", CHANGE + timedelta(hours=25))
    assert (found.location.path, found.location.line) == (REGISTER, 5)
    assert FIX in found.message and "25.0 hours" in found.message


def test_end_to_end_date_only_heading_counts_from_the_end_of_the_day(make_git_repo):
    # 34 hours after the start of 2026-04-01, but 20 hours after its end
    assert end_to_end(make_git_repo, "2026-04-01", datetime(2026, 4, 2, 20, 0, tzinfo=UTC)) == []


def test_end_to_end_date_only_heading_late_the_day_after(make_git_repo):
    [found] = end_to_end(make_git_repo, "2026-04-01", datetime(2026, 4, 3, 1, 0, tzinfo=UTC))
    assert "2026-04-01T23:59:59Z" in found.message
