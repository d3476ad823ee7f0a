"""A cache folder someone else wrote to: nothing in it runs, and nothing in it hides a finding.

Each test plants what an attacker or a broken tool could leave in the cache folder, then runs
`govsite validate` as a user would and compares it with a run that uses no cache at all.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from conftest import govsite, migration
from generator.cache import ParseCache, content_digest, content_key
from generator.config import Config
from generator.sources.migrations import parse_fingerprint

CLEAN = "alembic/versions/a1_clean.py"
DROPPER = "alembic/versions/b2_drop.py"


@pytest.fixture
def repository(make_repo):
    return make_repo({
        CLEAN: migration("a1"),
        DROPPER: migration("b2", "a1", upgrade='op.drop_column("events", "legacy")'),
    })


def validate(root: Path, cache: Path, *options: str):
    return govsite("validate", str(root), "--no-history", "--format", "json", *options,
                   env={"GOVSITE_CACHE_DIR": str(cache)})


def cold(root: Path, tmp_path: Path):
    return validate(root, tmp_path / "unused", "--no-cache")


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning" in line]


def store(root: Path, cache: Path) -> Path:
    return ParseCache.for_repository(root, cache, warn=lambda message: None).path


def key_of(root: Path, rel: str) -> str:
    digest = content_digest((root / rel).read_bytes())
    return content_key("migration", rel, digest, parse_fingerprint(Config()))


class Payload:
    """Unpickling this creates `marker`: what any code a pickle can carry could do instead."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def test_a_pickle_that_runs_code_is_never_loaded_from_the_cache_folder(repository, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    marker = tmp_path / "the-payload-ran"
    path = store(repository, cache)
    # every name the store could have: this one, the one pickles had, and the default store's
    for name in {path.name, path.with_suffix(".pickle").name, "parse-cache.json", "parse-cache.pickle"}:
        (cache / name).write_bytes(pickle.dumps({"version": "any", "entries": Payload(marker)}))
    assert not marker.exists()

    planted = validate(repository, cache)

    assert not marker.exists(), "the cache ran code"
    expected = cold(repository, tmp_path)
    assert (planted.returncode, planted.stdout) == (expected.returncode, expected.stdout)
    assert len(warnings(planted.stderr)) == 1 and "ignoring unreadable cache" in planted.stderr
    assert "Traceback" not in planted.stderr
    assert json.loads(path.read_text())["entries"]  # replaced by a store of data
    assert not marker.exists()


@pytest.mark.parametrize("damage", [
    "value is a number",
    "migration has a field too many",
    "revision is not a string",
    "severity is no severity",
    "entry is not a list",
    "entry names no path",
])
def test_an_entry_of_the_wrong_shape_is_parsed_again_with_one_warning(repository, tmp_path, damage):
    cache = tmp_path / "cache"
    assert validate(repository, cache).returncode == 1
    path = store(repository, cache)
    stored = json.loads(path.read_text())
    for rel in (CLEAN, DROPPER):
        entry = stored["entries"][key_of(repository, rel)]
        migration_data, findings = entry[3]
        if damage == "value is a number":
            entry[3] = 42
        elif damage == "migration has a field too many":
            migration_data["approved"] = True
        elif damage == "revision is not a string":
            migration_data["revision"] = ["b2"]
        elif damage == "severity is no severity" and findings:
            findings[0]["severity"] = "fine"
        elif damage == "severity is no severity":
            entry[3] = [None, [{"rule": "GOV000"}]]
        elif damage == "entry is not a list":
            stored["entries"][key_of(repository, rel)] = {"value": entry[3]}
        elif damage == "entry names no path":
            entry[0] = 7
    path.write_text(json.dumps(stored))

    damaged = validate(repository, cache)

    expected = cold(repository, tmp_path)
    assert (damaged.returncode, damaged.stdout) == (expected.returncode, expected.stdout)
    assert expected.returncode == 1 and "GOV201" in expected.stdout
    assert len(warnings(damaged.stderr)) == 1 and "ignoring unusable entries" in damaged.stderr
    assert "Traceback" not in damaged.stderr


def test_a_clean_entry_copied_under_the_key_of_an_unapproved_drop_does_not_pass(repository, tmp_path):
    cache = tmp_path / "cache"
    first = validate(repository, cache)
    assert first.returncode == 1 and "GOV201" in first.stdout
    path = store(repository, cache)
    stored = json.loads(path.read_text())
    clean = stored["entries"][key_of(repository, CLEAN)]
    for entry in (clean, [DROPPER, *clean[1:]]):  # as it was, and claiming the dropper's path
        stored["entries"][key_of(repository, DROPPER)] = entry
        path.write_text(json.dumps(stored))

        copied = validate(repository, cache)

        assert (copied.returncode, copied.stdout) == (1, first.stdout)
        assert "GOV201" in [f["rule"] for f in json.loads(copied.stdout)["findings"]]
        assert len(warnings(copied.stderr)) == 1 and "ignoring unusable entries" in copied.stderr
