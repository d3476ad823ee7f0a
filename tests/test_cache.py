"""The parse cache: unchanged migrations are never parsed twice, and a bad store is never trusted.

Stores planted to run code or change results are in test_hostile_cache.py."""

from __future__ import annotations

import enum
import json
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

import pytest

import generator.sources.migrations as migrations_module
from conftest import EXAMPLE, migration
from generator.cache import (
    KEEP_SESSIONS, ParseCache, Unusable, content_digest, content_key, decode, encode, tool_version,
)
from generator.cli import main as govsite
from generator.config import Config
from generator.sources import load_repository
from generator.sources.migrations import PARSE_SETTINGS, Parsed, parse_fingerprint, parse_migration, read_migrations


def three_migrations() -> dict[str, str]:
    return {
        "alembic/versions/a1.py": migration("a1"),
        "alembic/versions/b2.py": migration("b2", "a1", upgrade='op.drop_table("old")  # CI:DESTRUCTIVE_OK - ADR-015 retired'),
        "alembic/versions/c3.py": migration("c3", "b2"),
    }


def quiet_cache(directory: Path, **options) -> tuple[ParseCache, list[str]]:
    warnings: list[str] = []
    return ParseCache(directory, warn=warnings.append, **options), warnings


@pytest.fixture
def count_parses(monkeypatch):
    """The files the migration reader parsed (the real parser still runs)."""
    calls: list[str] = []
    real = migrations_module.parse_migration

    def counting(rel, data, config):
        calls.append(rel)
        return real(rel, data, config)

    monkeypatch.setattr(migrations_module, "parse_migration", counting)
    return calls


# --------------------------------------------------------------------------- reuse


def test_unchanged_repository_is_not_parsed_again(make_repo, tmp_path):
    root = make_repo(three_migrations())
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    first = read_migrations(root, Config(), cache)
    assert (cache.hits, cache.misses) == (0, 3)
    second = read_migrations(root, Config(), cache)
    assert second == first == read_migrations(root, Config())
    assert cache.misses == 3  # no new parse


def test_saved_cache_serves_the_next_process(make_repo, tmp_path):
    root = make_repo(three_migrations())
    first, warnings = quiet_cache(tmp_path / "cache")
    expected = read_migrations(root, Config(), first)
    first.save()
    second, warnings = quiet_cache(tmp_path / "cache")
    assert read_migrations(root, Config(), second) == expected
    assert (second.hits, second.misses, warnings) == (3, 0, [])


def test_versions_in_other_folders_share_results(make_repo, tmp_path):
    """A versioned build extracts each release elsewhere; identical files still hit."""
    release = make_repo(three_migrations())
    head = tmp_path / "head"
    shutil.copytree(release, head)
    (head / "alembic/versions/d4.py").write_text(migration("d4", "c3"))
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    load_repository(release, Config(), with_history=False, cache=cache)
    repo = load_repository(head, Config(), with_history=False, cache=cache)
    assert (cache.hits, cache.misses) == (3, 4)
    assert [m.revision for m in repo.migrations] == ["a1", "b2", "c3", "d4"]


def test_a_changed_file_is_parsed_again_and_the_rest_are_not(make_repo, tmp_path, count_parses):
    """What `mkdocs serve` needs: after one edit, only that file is parsed."""
    root = make_repo(three_migrations())
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    read_migrations(root, Config(), cache)
    count_parses.clear()
    (root / "alembic/versions/b2.py").write_text(migration("b2", "a1", upgrade='op.drop_table("newer")'))
    migrations, _ = read_migrations(root, Config(), cache)
    assert count_parses == ["alembic/versions/b2.py"]
    assert [op.table for op in migrations[1].operations if op.function == "upgrade"] == ["newer"]


def test_different_parse_settings_do_not_share_results(make_repo, tmp_path):
    source = migration("a1", upgrade='op.drop_table("t")  # CI:DESTRUCTIVE_OK - SEC-12 approved drop')
    root = make_repo({"alembic/versions/a1.py": source})
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    default, _ = read_migrations(root, Config(), cache)
    custom, _ = read_migrations(root, Config(ticket_pattern=r"\bSEC-\d+\b"), cache)
    assert default[0].bypasses[0].tickets == ()
    assert custom[0].bypasses[0].tickets == ("SEC-12",)


def test_settings_outside_the_parse_share_results(make_repo, tmp_path):
    root = make_repo(three_migrations())
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    read_migrations(root, Config(), cache)
    read_migrations(root, replace(Config(), disable=("GOV505",), graph_recent=5), cache)
    assert (cache.hits, cache.misses) == (3, 3)


def test_parse_reads_only_the_settings_in_its_fingerprint():
    """The cache key names PARSE_SETTINGS; a parse that read another setting would go stale."""

    class Recording:
        def __init__(self):
            self.read: set[str] = set()

        def __getattr__(self, name):
            self.read.add(name)
            return getattr(Config(), name)

    config = Recording()
    for path in sorted((EXAMPLE / "alembic" / "versions").glob("*.py")):
        parse_migration(f"alembic/versions/{path.name}", path.read_bytes(), config)
    assert config.read and config.read <= set(PARSE_SETTINGS)


def test_reader_findings_are_cached_too(make_repo, tmp_path):
    root = make_repo({"alembic/versions/bad.py": "def upgrade(:\n", "alembic/versions/a1.py": migration("a1")})
    cache, _ = quiet_cache(tmp_path / "cache", persistent=False)
    first = read_migrations(root, Config(), cache)
    second = read_migrations(root, Config(), cache)
    assert second == first
    assert [(f.rule, f.location.path, f.location.line) for f in second[1]] == [
        ("GOV802", "alembic/versions/bad.py", 1)
    ]


def test_a_warm_read_of_the_example_equals_a_cold_one(tmp_path):
    cold = load_repository(EXAMPLE, Config(), with_history=False)
    first, _ = quiet_cache(tmp_path / "cache")
    load_repository(EXAMPLE, Config(), with_history=False, cache=first)
    first.save()
    warm, _ = quiet_cache(tmp_path / "cache")
    assert load_repository(EXAMPLE, Config(), with_history=False, cache=warm) == cold
    assert warm.misses == 0 and warm.hits == len(cold.migrations)


def test_migrations_survive_the_store_encoding():
    repo = load_repository(EXAMPLE, Config(), with_history=False)
    assert len(repo.migrations) > 30
    parsed = [(m, ()) for m in repo.migrations] + [(None, repo.reader_findings)]
    stored = json.loads(json.dumps(encode(parsed)))
    assert [decode(entry, Parsed) for entry in stored] == parsed


# --------------------------------------------------------------------------- the codec


class Colour(str, enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    when: datetime
    day: Optional[date] = None


@dataclass(frozen=True)
class Outer:
    """A model type the codec has never seen: it is covered from its type hints alone."""

    name: str
    count: int
    colour: Colour
    inner: Optional[Inner]
    pairs: tuple[tuple[str, int], ...] = ()
    raw: bytes = b""
    flag: bool = False


OUTER = Outer("x", 3, Colour.RED, Inner(datetime(2026, 1, 5, 9, tzinfo=timezone.utc), date(2026, 2, 1)),
              (("a", 1), ("b", 2)), b"\x00\xff", True)


def test_a_new_model_type_round_trips_without_teaching_the_codec():
    assert decode(json.loads(json.dumps(encode(OUTER))), Outer) == OUTER
    assert decode(json.loads(json.dumps(encode(replace(OUTER, inner=None)))), Outer).inner is None


@pytest.mark.parametrize("change", [
    {"surprise": 1},  # a field the model does not have
    {"count": "3"},  # a string where an int belongs
    {"count": True},  # a bool is no int here
    {"flag": 1},
    {"colour": "green"},  # no such member
    {"pairs": [["a", 1, 2]]},  # a pair of three
    {"pairs": {"a": 1}},
    {"raw": "not base64!"},
    {"inner": {"when": "yesterday", "day": None}},
    {"inner": {"when": "2026-01-05T09:00:00+00:00"}},  # a field missing
])
def test_data_that_is_not_the_model_is_unusable(change):
    data = {**encode(OUTER), **change}
    with pytest.raises(Unusable):
        decode(data, Outer)
    with pytest.raises(Unusable):
        decode([1, 2], Outer)


# --------------------------------------------------------------------------- a store never trusted


def test_corrupt_store_is_ignored_with_a_warning(make_repo, tmp_path):
    root = make_repo(three_migrations())
    store = ParseCache(tmp_path / "cache", warn=lambda m: None)
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'{"version": "this is not JSON')
    cache, warnings = quiet_cache(tmp_path / "cache")
    assert read_migrations(root, Config(), cache) == read_migrations(root, Config())
    assert len(warnings) == 1 and "ignoring unreadable cache" in warnings[0]
    cache.save()  # and a good store replaces the bad one
    again, warnings = quiet_cache(tmp_path / "cache")
    assert (again.entries.keys() == cache.entries.keys(), warnings) == (True, [])


def test_truncated_store_is_ignored_with_a_warning(make_repo, tmp_path):
    root = make_repo(three_migrations())
    cache, _ = quiet_cache(tmp_path / "cache")
    read_migrations(root, Config(), cache)
    cache.save()
    cache.path.write_bytes(cache.path.read_bytes()[:200])
    again, warnings = quiet_cache(tmp_path / "cache")
    assert again.entries == {} and "ignoring unreadable cache" in warnings[0]


def test_store_of_another_version_is_ignored_with_a_warning(make_repo, tmp_path):
    root = make_repo(three_migrations())
    cache, _ = quiet_cache(tmp_path / "cache")
    expected = read_migrations(root, Config(), cache)
    key = next(iter(cache.entries))
    entry = cache.entries[key]
    poisoned = {key: [entry.path, entry.digest, 1, [None, []]]}  # what a stale reader might have stored
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    cache.path.write_text(json.dumps({"version": "0.0.1/1/py3.11/0000", "session": 1, "entries": poisoned}))
    again, warnings = quiet_cache(tmp_path / "cache")
    assert read_migrations(root, Config(), again) == expected
    assert "another version of govsite" in warnings[0]


def test_store_that_is_not_a_table_is_ignored(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    ParseCache(directory, persistent=False).path.write_text(
        json.dumps({"version": tool_version(), "session": "one", "entries": []})
    )
    cache, warnings = quiet_cache(directory)
    assert cache.entries == {} and "unexpected content" in warnings[0]


def test_unwritable_cache_directory_costs_a_warning_not_the_run(make_repo, tmp_path):
    root = make_repo(three_migrations())
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cache, warnings = quiet_cache(blocker / "cache")
    assert read_migrations(root, Config(), cache) == read_migrations(root, Config())
    cache.save()
    assert len(warnings) == 1 and "cannot write cache" in warnings[0]
    assert not cache.persistent
    cache.save()  # no second warning
    assert len(warnings) == 1


def test_cache_inside_the_repository_is_refused(make_repo):
    root = make_repo(three_migrations())
    warnings: list[str] = []
    cache = ParseCache.for_repository(root, root / ".cache" / "govsite", warn=warnings.append)
    read_migrations(root, Config(), cache)
    cache.save()
    assert not (root / ".cache").exists()
    assert "inside the repository" in warnings[0]


def test_each_repository_has_its_own_store(make_repo, tmp_path):
    one, two = make_repo(three_migrations()), make_repo(three_migrations())
    assert ParseCache.for_repository(one, tmp_path).path != ParseCache.for_repository(two, tmp_path).path


def test_results_unused_for_several_writes_are_dropped(make_repo, tmp_path):
    old = make_repo({"alembic/versions/a1.py": migration("a1")})
    directory = tmp_path / "cache"
    for session in range(KEEP_SESSIONS + 1):
        cache, _ = quiet_cache(directory)
        if session == 0:
            read_migrations(old, Config(), cache)
        new = make_repo({f"alembic/versions/n{session}.py": migration(f"n{session}")})
        read_migrations(new, Config(), cache)
        cache.save()
    digest = content_digest((old / "alembic/versions/a1.py").read_bytes())
    key = content_key("migration", "alembic/versions/a1.py", digest, parse_fingerprint(Config()))
    assert key not in quiet_cache(directory)[0].entries
    assert len(quiet_cache(directory)[0].entries) == KEEP_SESSIONS


# --------------------------------------------------------------------------- the command line


def test_validate_uses_the_persistent_cache_by_default(make_repo, tmp_path, monkeypatch, capsys):
    root = make_repo(three_migrations())
    monkeypatch.setenv("GOVSITE_CACHE_DIR", str(tmp_path / "cache"))
    assert govsite(["validate", str(root), "--no-history", "--format", "json"]) in (0, 1)
    first = capsys.readouterr().out
    stores = list((tmp_path / "cache").glob("*.json"))
    assert len(stores) == 1
    assert govsite(["validate", str(root), "--no-history", "--format", "json"]) in (0, 1)
    assert capsys.readouterr().out == first


def test_validate_no_cache_writes_nothing(make_repo, tmp_path, monkeypatch, capsys):
    root = make_repo(three_migrations())
    monkeypatch.setenv("GOVSITE_CACHE_DIR", str(tmp_path / "cache"))
    govsite(["validate", str(root), "--no-history", "--no-cache"])
    capsys.readouterr()
    assert not (tmp_path / "cache").exists()


def test_stores_of_repositories_unused_for_a_month_are_deleted(make_repo, tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    stale, recent = directory / "parse-gone-0123.json", directory / "parse-other-4567.json"
    for path in (stale, recent):
        path.write_bytes(b"")
    long_ago = time.time() - 40 * 24 * 3600
    os.utime(stale, (long_ago, long_ago))
    root = make_repo(three_migrations())
    cache = ParseCache.for_repository(root, directory, warn=lambda m: None)
    read_migrations(root, Config(), cache)
    cache.save()
    assert not stale.exists() and recent.exists() and cache.path.exists()


def test_mkdocs_serve_rebuilds_parse_only_the_changed_migration(tmp_path, monkeypatch, count_parses):
    """The plugin keeps one cache for the life of `mkdocs serve`: a rebuild parses one file."""
    import yaml
    from mkdocs.config import load_config

    monkeypatch.setenv("GOVSITE_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    (tmp_path / "docs").mkdir()
    mkdocs_yml = tmp_path / "mkdocs.yml"
    mkdocs_yml.write_text(yaml.safe_dump({
        "site_name": "Governance", "docs_dir": "docs", "site_dir": str(tmp_path / "site"),
        "plugins": [{"governance": {"repository": "repo", "history": "off"}}],
    }))
    config = load_config(str(mkdocs_yml))
    plugin = config.plugins["governance"]
    plugin.on_startup(command="serve", dirty=False)
    plugin.on_config(config)
    assert len(count_parses) == len(plugin.analysis.repo.migrations)
    changed = sorted((repo / "alembic" / "versions").glob("*.py"))[0]
    changed.write_text(changed.read_text() + "\n# reviewed again\n")
    count_parses.clear()
    plugin.on_config(config)  # what the next rebuild does
    assert count_parses == [f"alembic/versions/{changed.name}"]


def test_the_next_process_reuses_the_git_walk_of_the_same_commit(make_git_repo, tmp_path):
    """The walk made while the files were read reaches the store, and a later process reading
    the same commit starts no walk (one git process, not two)."""
    root = make_git_repo([("2026-01-05T09:00:00Z", three_migrations())])
    first_cache, _ = quiet_cache(tmp_path / "cache")
    first = load_repository(root, Config(), cache=first_cache)
    first_cache.save()

    second_cache, warnings = quiet_cache(tmp_path / "cache")
    second = load_repository(root, Config(), cache=second_cache)

    assert (first.history.git_processes, second.history.git_processes) == (2, 1)
    assert second.history.files == first.history.files and second.history.status == "ok"
    assert (second_cache.hits, second_cache.misses) == (3, 0)  # walks are not counted as parses
    assert warnings == []


def test_mkdocs_serve_rebuilds_before_the_next_commit_start_no_git_walk(make_git_repo, tmp_path, monkeypatch):
    """Saving a file under `mkdocs serve` rebuilds the site; until HEAD moves, the history walk
    of the first build is reused, and it still dates the migrations."""
    import yaml
    from mkdocs.config import load_config

    monkeypatch.setenv("GOVSITE_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_git_repo([("2026-01-05T09:00:00Z", three_migrations())])
    (repo / "docs").mkdir()
    mkdocs_yml = repo / "mkdocs.yml"
    mkdocs_yml.write_text(yaml.safe_dump({
        "site_name": "Governance", "site_dir": str(tmp_path / "site"), "plugins": ["governance"],
    }))
    config = load_config(str(mkdocs_yml))
    plugin = config.plugins["governance"]
    plugin.on_startup(command="serve", dirty=False)
    plugin.on_config(config)
    first = plugin.analysis.repo.history
    (repo / "alembic" / "versions" / "a1.py").write_text(migration("a1") + "\n# reviewed again\n")
    plugin.on_config(config)  # what the next rebuild does
    again = plugin.analysis.repo.history
    assert (first.git_processes, again.git_processes) == (2, 1)
    assert again.files["alembic/versions/a1.py"].added == first.files["alembic/versions/a1.py"].added
    assert again.files["alembic/versions/a1.py"].added is not None
