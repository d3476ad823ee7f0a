"""Reading many files through folders kept open: the same bytes and the same refusals as reading
each path on its own, and no descriptor left open afterwards."""

import os
from pathlib import Path

import pytest

from generator.config import Config
from generator.sources.adrs import read_adrs
from generator.sources.files import OpenFolders, read_bytes


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "repo"
    for rel in ("a/versions/one.py", "a/versions/two.py", "b/c/three.py", "top.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# {rel}\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("secret = 1\n")
    os.symlink(outside, root / "a" / "linked")  # a folder leading out of the repository
    os.symlink(root / "b", root / "a" / "inner")  # a folder link that stays inside
    (root / "a" / "versions" / "folder.py").mkdir()  # a directory with a file's name
    return root


PATHS = ["a/versions/one.py", "a/versions/two.py", "b/c/three.py", "top.py", "a/linked/secret.py",
         "a/inner/c/three.py", "a/versions/folder.py", "a/versions/missing.py", "../outside/secret.py"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_the_same_result_as_reading_each_path_alone_and_nothing_left_open(tree):
    before = _open_descriptors()
    alone = [read_bytes(tree, rel, "GOV802") for rel in PATHS]
    assert _open_descriptors() == before
    with OpenFolders(tree) as folders:
        shared = [read_bytes(tree, rel, "GOV802", folders=folders) for rel in PATHS]
    assert _open_descriptors() == before
    assert shared == alone
    assert shared[0] == (b"# a/versions/one.py\n", None)
    refused = {rel: problem.message for rel, (data, problem) in zip(PATHS, shared) if data is None}
    assert "outside the repository" in refused["a/linked/secret.py"]
    assert "outside the repository" in refused["../outside/secret.py"]
    assert set(refused) == {"a/linked/secret.py", "a/versions/folder.py", "a/versions/missing.py",
                            "../outside/secret.py"}


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_more_folders_than_are_kept_open_are_all_read(tmp_path):
    root = tmp_path / "repo"
    count = OpenFolders.MAX_OPEN * 2 + 3
    for index in range(count):
        (root / f"f{index}").mkdir(parents=True)
        (root / f"f{index}" / "m.py").write_text(str(index))
    before = _open_descriptors()
    with OpenFolders(root) as folders:
        read = [read_bytes(root, f"f{index}/m.py", folders=folders)[0] for index in range(count)]
        assert _open_descriptors() - before <= OpenFolders.MAX_OPEN + 1
    assert read == [str(index).encode() for index in range(count)]
    assert _open_descriptors() == before


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_adrs_are_read_through_open_folders_with_the_same_refusals(tmp_path):
    root = tmp_path / "repo"
    adr_dir = root / "docs" / "adr"
    adr_dir.mkdir(parents=True)
    for number in (1, 2):
        (adr_dir / f"ADR-00{number}-x.md").write_text(f"# ADR-00{number}: Decision {number}\n\n## Status\n\nAccepted\n")
    (adr_dir / "ADR-003-bad.md").write_bytes(b"# ADR-003: Bad\n\n\xff\n")
    outside = tmp_path / "elsewhere.md"
    outside.write_text("# ADR-004: Not ours\n")
    os.symlink(outside, adr_dir / "ADR-004-linked.md")
    before = _open_descriptors()
    adrs, findings = read_adrs(root, Config())
    assert _open_descriptors() == before
    assert [adr.id for adr in adrs] == ["ADR-001", "ADR-002"]
    assert sorted((f.location.path, f.location.line) for f in findings) == [
        ("docs/adr/ADR-003-bad.md", 3), ("docs/adr/ADR-004-linked.md", 1)]
    assert "outside the repository" in next(f.message for f in findings if "linked" in f.location.path)
