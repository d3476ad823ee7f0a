"""The scale benchmark runs end to end and prints every column (its numbers are not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # a synthetic repository and a dozen child processes

BENCHMARK = ROOT / "benchmarks" / "run.py"


def run_benchmark(tmp_path, *options: str) -> tuple[str, str]:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--sizes", "40", "--repeats", "1", "--output", str(out), *options],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, out.read_text(encoding="utf-8")


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """The rows (header first) of the Markdown table whose first column is `first_header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if set(cells) != {"---"}:
            rows.append(cells)
    return rows


def test_quick_run_prints_every_column_and_writes_the_same_table(tmp_path):
    printed, written = run_benchmark(tmp_path, "--no-site")
    assert written.strip() in printed
    header, row = table_rows(printed, "N")
    for column in (
        "ast.parse baseline (s)", "validate cold (s)", "git history walk alone (s)",
        "cold / (baseline + git walk) (target ≤ 1.5)", "cold, 2 parsing workers (s)", "validate warm (s)", "warm / cold", "site build (s)", "plain mkdocs (s)", "build / plain",
        "git processes (reported / counted)", "site bytes / migration", "peak MB validate / build",
        "`govsite validate` command (s)",
    ):
        assert any(cell.startswith(column) for cell in header), column
    cells = dict(zip(header, row))
    assert row[0] == "40"
    assert cells["site build (s)"] == "-"  # --no-site
    reported, counted = (int(x) for x in cells["git processes (reported / counted)"].split(" / "))
    assert reported == counted == 2
    example = dict(zip(*table_rows(printed, "repository")))
    assert example["repository"] == "examples/attribution-platform"
    assert int(example["migrations"]) > 30 and example["cold / (baseline + git walk)"].endswith("x")
    for measured in (cells, example):  # the whole command, above the interpreter's own start
        command, interpreter = command_seconds(measured["`govsite validate` command (s)"])
        assert command > interpreter > 0
    numbers = table_rows(printed.split("Where the cold")[1], "N")
    assert numbers[0][:5] == ["N", "migrations (s)", "other readers (s)", "git history (s)", "rules (s)"]
    assert numbers[1][-1] == "40"  # every migration came from the warm cache


def command_seconds(cell: str) -> tuple[float, float]:
    """(command, interpreter) of a cell such as `0.198 (interpreter 0.023)`."""
    match = re.fullmatch(r"(\d+\.\d{3}) \(interpreter (\d+\.\d{3})\)", cell)
    assert match, cell
    return float(match[1]), float(match[2])


def test_quick_run_with_the_site_fills_the_site_columns(tmp_path):
    printed, _ = run_benchmark(tmp_path)
    header, row = table_rows(printed, "N")
    cells = dict(zip(header, row))
    assert cells["site build (s)"] != "-" and cells["plain mkdocs (s)"] != "-"
    assert int(cells["site bytes / migration"].replace(",", "")) > 0
    assert cells[next(h for h in header if h.startswith("build / plain"))].endswith("x")
