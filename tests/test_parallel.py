"""Parsing in worker processes gives exactly what parsing in one process gives, in the same order."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from conftest import EXAMPLE, migration
from generator.config import Config
from generator.sources import load_repository
from generator.sources.migrations import (
    MIN_PARALLEL_FILES,
    _parse_in_pool,
    parse_many,
    parse_workers,
    read_migrations,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synth import write_repository  # noqa: E402

HOSTILE = {
    "alembic/versions/syntax.py": "def upgrade(:\n",
    "alembic/versions/latin1.py": b"revision = 'x'\n# caf\xe9\n",
    "alembic/versions/nul.py": b"revision = 'y'\x00\n",
    "alembic/versions/empty.py": "",
    "alembic/versions/no_revision.py": "def upgrade():\n    pass\n",
}


def example_items() -> list[tuple[str, bytes]]:
    return [
        (f"alembic/versions/{path.name}", path.read_bytes())
        for path in sorted((EXAMPLE / "alembic" / "versions").glob("*.py"))
    ]


def test_pool_gives_the_same_results_in_the_same_order():
    items = example_items()
    items += [(rel, data if isinstance(data, bytes) else data.encode()) for rel, data in HOSTILE.items()]
    items.reverse()  # an order that is not sorted: the pool must keep it
    # the pool itself, even where `parse_many` would stay in process (a test runner's threads)
    assert _parse_in_pool(items, Config(), workers=2) == parse_many(items, Config(), jobs=1)


def test_repository_read_in_workers_equals_one_read_in_process(make_repo):
    files = {f"alembic/versions/r{i:03d}.py": migration(f"r{i:03d}", f"r{i - 1:03d}" if i else None) for i in range(60)}
    files.update(HOSTILE)
    root = make_repo(files)
    migrations, findings = read_migrations(root, Config(), jobs=3)
    assert (migrations, findings) == read_migrations(root, Config(), jobs=1)
    assert [m.revision for m in migrations][:3] == ["r000", "r001", "r002"]
    assert {f.location.path for f in findings} >= {"alembic/versions/syntax.py", "alembic/versions/nul.py"}


def test_large_repository_read_by_the_pool_equals_one_read_in_process(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 4)
    root = write_repository(MIN_PARALLEL_FILES + 20, tmp_path / "synth", with_git=False)
    automatic = load_repository(root, Config(), with_history=False)
    sequential = load_repository(root, Config(), with_history=False, jobs=1)
    assert automatic == sequential
    assert len(automatic.migrations) >= MIN_PARALLEL_FILES


def test_small_repositories_are_parsed_in_process(monkeypatch):
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 8)
    assert parse_workers(MIN_PARALLEL_FILES - 1) == 1


def test_two_cores_parse_in_process_by_default(monkeypatch):
    """Measured: on two cores the pool's overhead costs what it saves (benchmarks/run.py)."""
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 2)
    assert parse_workers(5000) == 1


def test_many_files_on_several_cores_use_workers(monkeypatch):
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 4)
    assert parse_workers(5000) == 4


def test_govsite_jobs_forces_one_process(monkeypatch):
    monkeypatch.setenv("GOVSITE_JOBS", "1")
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 4)
    assert parse_workers(5000) == 1


def test_govsite_jobs_sets_the_number_of_workers(monkeypatch):
    monkeypatch.setenv("GOVSITE_JOBS", "3")
    assert parse_workers(10) == 3
    assert parse_workers(2) == 2  # never more workers than files


def test_an_explicit_jobs_argument_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("GOVSITE_JOBS", "4")
    assert parse_workers(5000, jobs=1) == 1


def test_no_workers_are_forked_while_other_threads_run(monkeypatch):
    """A fork copies locks other threads hold; with a server thread running, parse in process."""
    monkeypatch.delenv("GOVSITE_JOBS", raising=False)
    monkeypatch.setattr("generator.sources.migrations._available_cores", lambda: 4)
    stop = threading.Event()
    server = threading.Thread(target=stop.wait)
    server.start()
    try:
        assert parse_workers(5000) == 1
    finally:
        stop.set()
        server.join()


# --------------------------------------------------------------------------- the other half beside


def test_reading_the_rest_beside_gives_what_reading_it_here_gives(make_git_repo):
    root = make_git_repo([
        ("2026-01-01T09:00:00Z", {"alembic/versions/a1.py": migration("a1")}),
        ("2026-01-02T09:00:00Z", {
            "alembic/versions/b2.py": migration("b2", "a1"),
            "alembic/versions/broken.py": "def upgrade(:\n",
            "docs/adr/ADR-015-retire.md": "# ADR-015: Retire\n\n## Status\n\nAccepted\n",
            "db/schema/CHANGE_CONTROL.md": "# Change control\n\n**Next Review:** 2099-01-01\n",
        }),
    ])
    beside = load_repository(root, Config())
    with_a_thread_running = _with_thread(lambda: load_repository(root, Config()))
    assert beside == with_a_thread_running
    assert beside.history.status == "ok"
    assert sorted(beside.history.files) == [
        "alembic/versions/a1.py", "alembic/versions/b2.py", "db/schema/CHANGE_CONTROL.md",
        "docs/adr/ADR-015-retire.md",
    ]  # the file that is not a migration is not asked about in the end


def test_a_child_that_dies_is_replaced_by_computing_here():
    from generator.sources import Beside

    parent = os.getpid()

    def dies_in_the_child() -> int:
        if os.getpid() != parent:
            os._exit(3)
        return 42

    assert Beside(dies_in_the_child).result() == 42


def _with_thread(work):
    """Run `work` while another thread runs, which keeps everything in this process."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        return work()
    finally:
        stop.set()
        other.join()
