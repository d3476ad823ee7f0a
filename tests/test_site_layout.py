"""What the generated pages look like at scale: colours after configuration, charts over the
whole history with visible titles, review counts that say what they count."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import govsite, migration

NO_HEADER = '"""Add a note column."""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n    op.add_column("accounts", sa.Column("note", sa.Text()))\n\n\ndef downgrade():\n    op.drop_column("accounts", "note")\n'


def _generate(repo: Path, out: Path, *args: str) -> None:
    result = govsite("generate", str(repo), "--out", str(out), *args)
    assert result.returncode == 0, result.stderr


def test_a_finding_downgraded_to_warning_is_never_a_red_failure(make_repo, no_outer_repository, tmp_path):
    repo = make_repo({
        "alembic/versions/a1.py": NO_HEADER,
        "govsite.toml": '[severity]\nGOV501 = "warning"\nGOV502 = "warning"\n',
    })
    out = tmp_path / "out"
    _generate(repo, out)
    page = (out / "governance" / "migrations" / "a1.md").read_text(encoding="utf-8")
    assert "GOV501" in page, "the downgraded finding is not shown at all"
    assert "!!! failure" not in page, page
    assert "govsite-severity-error" not in page
    assert '!!! warning "No metadata header"' in page
    assert "govsite-severity-warning" in page


def test_an_error_is_still_a_red_failure(make_repo, no_outer_repository, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": NO_HEADER})
    out = tmp_path / "out"
    govsite("generate", str(repo), "--out", str(out))
    page = (out / "governance" / "migrations" / "a1.md").read_text(encoding="utf-8")
    assert '!!! failure "No metadata header"' in page
    assert "govsite-severity-error" in page


def _quarterly_history(make_git_repo, years: int) -> Path:
    steps = []
    previous = None
    for index in range(years * 4):
        revision = f"q{index:03d}"
        year, quarter = 2010 + index // 4, index % 4
        steps.append((f"{year}-{quarter * 3 + 1:02d}-15T12:00:00",
                      {f"alembic/versions/{revision}.py": migration(revision, previous)}))
        previous = revision
    return make_git_repo(steps)


def _chart(dashboard: str, chart_id: str) -> ET.Element:
    svg = re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title.*?</svg>', dashboard, re.S)
    assert svg, f"no chart {chart_id}"
    return ET.fromstring(svg.group(0))


def _texts(chart: ET.Element) -> list[str]:
    return [t.text or "" for t in chart.iter("{http://www.w3.org/2000/svg}text")]


def test_quarter_chart_covers_the_whole_history_by_year_when_quarters_are_many(make_git_repo, no_outer_repository, tmp_path):
    repo = _quarterly_history(make_git_repo, years=8)  # 32 quarters
    out = tmp_path / "out"
    _generate(repo, out)
    dashboard = (out / "governance" / "index.md").read_text(encoding="utf-8")
    chart = _chart(dashboard, "govsite-quarters")
    texts = _texts(chart)
    assert "Migrations per year" in texts, "no visible title"
    assert "Year" in texts and "Migrations" in texts, "axis labels missing"
    years = [t for t in texts if re.fullmatch(r"\d{4}", t)]
    assert years == [str(y) for y in range(2010, 2018)], "history was cut"
    assert chart.find("{http://www.w3.org/2000/svg}desc").text.startswith("2010: 4;")


def test_quarter_chart_shows_quarters_with_empty_ones_between(make_git_repo, no_outer_repository, tmp_path):
    repo = make_git_repo([
        ("2025-01-15T12:00:00", {"alembic/versions/a1.py": migration("a1")}),
        ("2025-10-15T12:00:00", {"alembic/versions/a2.py": migration("a2", "a1")}),
    ])
    out = tmp_path / "out"
    _generate(repo, out)
    chart = _chart((out / "governance" / "index.md").read_text(encoding="utf-8"), "govsite-quarters")
    texts = _texts(chart)
    assert "Migrations per quarter" in texts and "Quarter" in texts
    assert [t for t in texts if re.fullmatch(r"\d{4}Q\d", t)] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def test_reviews_index_says_which_columns_count_operations(make_repo, no_outer_repository, tmp_path):
    repo = make_repo({"alembic/versions/a1.py": migration("a1")})
    out = tmp_path / "out"
    _generate(repo, out)
    index = (out / "governance" / "reviews" / "index.md").read_text(encoding="utf-8")
    header = next(line for line in index.splitlines() if line.startswith("| Quarter"))
    assert "Destructive operations" in header and "High-risk migrations" in header
    assert "| Destructive |" not in header
