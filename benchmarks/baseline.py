"""What a baseline file costs: `govsite validate` with a baseline of 2,000 entries against the
same run without it.

The repository is N header-less migrations as `alembic revision` writes them, each with two
findings (no metadata header; a table dropped without a bypass comment), so N = 1,000 gives a
2,000-entry baseline. Each measurement is a fresh `govsite validate --no-history --format json`
process with a warm parse cache (so parsing, which the baseline does not touch, weighs least and
the baseline's share shows most), best of `--repeats`. Only the ratio means anything on a shared
machine.

    python benchmarks/baseline.py                # N = 1000: 2,000 entries
    python benchmarks/baseline.py --sizes 500,2500 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def migration(i: int) -> str:
    down = f"{i - 1:012x}" if i else None
    return (
        f'"""change {i}\n\nRevision ID: {i:012x}\nRevises: {down or ""}\n'
        f'Create Date: 2020-01-02 10:11:12.000000\n\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = {f'{i:012x}'!r}\ndown_revision = {down!r}\n\n\n"
        f'def upgrade():\n    op.drop_table("old_{i}")\n\n\n'
        f'def downgrade():\n    op.create_table("old_{i}")\n'
    )


def write_repository(n: int, root: Path) -> None:
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    for i in range(n):
        (versions / f"{i:012x}_change_{i}.py").write_text(migration(i), encoding="utf-8")


def govsite(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], env=env, capture_output=True, text=True)


def best_validate(root: Path, env: dict, repeats: int) -> tuple[float, dict]:
    best, summary = float("inf"), {}
    out = root.parent / "report.json"
    for _ in range(repeats):
        start = time.perf_counter()
        govsite("validate", str(root), "--no-history", "--format", "json", "--output", str(out), env=env)
        best = min(best, time.perf_counter() - start)
        report = json.loads(out.read_text(encoding="utf-8"))
        summary = {"open": len(report["findings"]), "suppressed": len(report["suppressed"])}
    return best, summary


def measure(n: int, work: Path, repeats: int) -> dict:
    root = work / f"repo{n}"
    write_repository(n, root)
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "GOVSITE_CACHE_DIR": str(work / f"cache{n}")}
    done = govsite("baseline", str(root), env=env)  # also warms the parse cache
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    entries = len(json.loads((root / "govsite-baseline.json").read_text(encoding="utf-8"))["entries"])
    with_file, summary_with = best_validate(root, env, repeats)
    (root / "govsite-baseline.json").rename(work / f"baseline{n}.json")
    without, summary_without = best_validate(root, env, repeats)
    return {
        "n": n, "entries": entries, "with": with_file, "without": without,
        "summary_with": summary_with, "summary_without": summary_without,
    }


def render(rows: list[dict]) -> str:
    lines = [
        "| migrations | baseline entries | validate with baseline (s) | without (s) | with / without | findings with (open / suppressed) | without |",
        "| ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        w, wo = r["summary_with"], r["summary_without"]
        lines.append(
            f"| {r['n']:,} | {r['entries']:,} | {r['with']:.2f} | {r['without']:.2f} | "
            f"{r['with'] / r['without']:.2f} | {w['open']} / {w['suppressed']} | {wo['open']} / {wo['suppressed']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="comma-separated numbers of migrations")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govsite-baseline-bench-") as tmp:
        rows = [measure(int(n), Path(tmp), args.repeats) for n in args.sizes.split(",")]
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
