"""What a versioned build costs against one plain build of the same repository.

Writes the synthetic repository of `synth.py` (N migrations, a dated history), tags its last
RELEASES commits a few migrations apart (`v1.1.0` ... `v1.10.0`, the last on HEAD, as a team
releasing every week or two would have them), then runs, each in a fresh process with an empty
parse cache:

* `govsite build` of the working tree, once;
* `govsite build --versions`: every release plus `dev`.

and prints both times and their ratio. Building every version on its own would cost about
RELEASES + 1 single builds; the versioned build shares parsed files, identical releases and
rendered pages between versions. CPU time (the children's user + system time) is printed beside
wall-clock time because the machine is shared: wall time depends on what else runs.

    python benchmarks/versions.py             # N = 300, 10 releases
    python benchmarks/versions.py --n 100 --releases 4
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

from synth import write_repository  # noqa: E402


def tag_releases(repo: Path, releases: int, spacing: int) -> list[str]:
    """Tag every `spacing`-th of the last commits, the newest on HEAD; returns the tags."""
    commits = subprocess.run(["git", "-C", str(repo), "rev-list", "--first-parent", "main"],
                             capture_output=True, text=True, check=True).stdout.split()
    for existing in subprocess.run(["git", "-C", str(repo), "tag"], capture_output=True,
                                   text=True, check=True).stdout.split():
        subprocess.run(["git", "-C", str(repo), "tag", "-d", existing], capture_output=True, check=True)
    tags = []
    for k in range(releases):
        tag = f"v1.{releases - k}.0"
        subprocess.run(["git", "-C", str(repo), "tag", tag, commits[k * spacing]], check=True)
        tags.append(tag)
    return tags


def timed_build(repo: Path, site: Path, cache: Path, *options: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `govsite build` in a fresh process."""
    environment = dict(os.environ, GOVSITE_CACHE_DIR=str(cache), PYTHONPATH=str(PROJECT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "generator", "build", str(repo), "--site-dir", str(site),
                    *options], env=environment, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="migrations (default 300)")
    parser.add_argument("--releases", type=int, default=10, help="release tags (default 10)")
    parser.add_argument("--spacing", type=int, default=4, help="commits between releases (default 4)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govsite-versions-bench-") as tmp:
        work = Path(tmp)
        repo = write_repository(args.n, work / "repo")
        tags = tag_releases(repo, args.releases, args.spacing)
        single = timed_build(repo, work / "single", work / "cache-single")
        versioned = timed_build(repo, work / "versioned", work / "cache-versioned", "--versions")
    print(f"{args.n} migrations, {len(tags)} releases ({tags[-1]} .. {tags[0]}) plus dev")
    print(f"  govsite build             {single[0]:7.1f} s wall  {single[1]:7.1f} s CPU")
    print(f"  govsite build --versions  {versioned[0]:7.1f} s wall  {versioned[1]:7.1f} s CPU")
    print(f"versioned / single: {versioned[0] / single[0]:.1f}x wall, {versioned[1] / single[1]:.1f}x CPU "
          f"(building each of the {len(tags) + 1} versions alone: about {len(tags) + 1}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
