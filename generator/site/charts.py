"""SVG charts drawn at build time, so the dashboard needs no chart script and makes no request.

Each chart is one `<svg role="img">` element with a `<title>` and a `<desc>` that states the
data in words (screen readers, and readers without SVG, get the numbers), and the same title
and its axis labels written visibly. Every text in a chart
goes through `html_text`, so a label taken from the repository cannot become markup. Colours
use the site's CSS variables with a fixed fallback, and text uses `currentColor`, so both light
and dark schemes work.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..model import record
from .markup import html_attr, html_text

SVG_NS = "http://www.w3.org/2000/svg"
DEFAULT_FILL = "var(--md-primary-fg-color, #3f51b5)"
HIGH = "var(--govsite-high, #c62828)"
MEDIUM = "var(--govsite-medium, #ef6c00)"
LOW = "var(--govsite-low, #2e7d32)"
NEUTRAL = "var(--md-default-fg-color--lighter, #9e9e9e)"


@record
class Bar:
    label: str
    value: int
    fill: str = DEFAULT_FILL


TITLE_HEIGHT = 28  # the visible title above every chart


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    """The `<svg>` element with its accessible title and description, and the same title
    written visibly at the top (a chart without one is a picture nobody can name)."""
    ident = html_attr(chart_id)
    return [
        f'<svg xmlns="{SVG_NS}" class="govsite-chart" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" style="max-width:100%;height:auto"'
        f' aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{html_text(title)}</title>',
        f'<desc id="{ident}-desc">{html_text(description)}</desc>',
        f'<text class="govsite-chart-title" x="0" y="17" font-size="14" font-weight="700"'
        f' fill="currentColor" aria-hidden="true">{html_text(title)}</text>',
    ]


def _describe(bars: Sequence[Bar], unit: str) -> str:
    if not bars:
        return f"No {unit}."
    return "; ".join(f"{bar.label}: {bar.value}" for bar in bars) + "."


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    unit: str = "items",
    x_label: str = "",
) -> str:
    """A vertical bar chart, one bar per entry, its value written above it; the y axis is
    labelled with `unit` and the x axis with `x_label`."""
    bar_width, gap, plot, bottom, axis = 44, 14, 150, 52, 26
    top = TITLE_HEIGHT + 18
    left = axis + 6
    width = max(240, left + 10 + len(bars) * (bar_width + gap))
    height = top + plot + bottom
    peak = max((bar.value for bar in bars), default=0) or 1
    parts = _open(chart_id, title, _describe(bars, unit), width, height)
    baseline = top + plot
    parts.append(
        f'<line x1="{left}" y1="{baseline}" x2="{width - 4}" y2="{baseline}"'
        ' stroke="currentColor" stroke-opacity="0.4" />'
    )
    parts.append(
        f'<line x1="{left}" y1="{top - 8}" x2="{left}" y2="{baseline}"'
        ' stroke="currentColor" stroke-opacity="0.4" />'
    )
    parts.append(
        f'<text class="govsite-axis-label" transform="translate(14 {top + plot // 2}) rotate(-90)"'
        f' text-anchor="middle" font-size="12" fill="currentColor" aria-hidden="true">'
        f"{html_text(unit.capitalize())}</text>"
    )
    if x_label:
        parts.append(
            f'<text class="govsite-axis-label" x="{left + (width - left) // 2}" y="{height - 6}"'
            f' text-anchor="middle" font-size="12" fill="currentColor" aria-hidden="true">'
            f"{html_text(x_label)}</text>"
        )
    for index, bar in enumerate(bars):
        x = left + gap // 2 + index * (bar_width + gap)
        size = round(plot * bar.value / peak)
        centre = x + bar_width // 2
        parts.append(
            f'<rect x="{x}" y="{baseline - size}" width="{bar_width}" height="{size}"'
            f' style="fill:{bar.fill}"><title>{html_text(f"{bar.label}: {bar.value}")}</title></rect>'
        )
        parts.append(
            f'<text x="{centre}" y="{baseline - size - 6}" text-anchor="middle" font-size="12"'
            f' fill="currentColor">{bar.value}</text>'
        )
        parts.append(
            f'<text x="{centre}" y="{baseline + 18}" text-anchor="middle" font-size="11"'
            f' fill="currentColor">{html_text(bar.label)}</text>'
        )
    if not bars:
        parts.append(
            f'<text x="{left + (width - left) // 2}" y="{top + plot // 2}" text-anchor="middle"'
            f' font-size="13" fill="currentColor">{html_text(f"No {unit} yet")}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def donut_chart(
    chart_id: str, title: str, parts_: Sequence[Bar], centre: Optional[str] = None
) -> str:
    """A ring divided in proportion to the values, with a legend and a figure in the middle.

    The ring is a circle of circumference 100 whose dash pattern draws each share, which needs
    no path arithmetic.
    """
    width, height, radius = 320, 170 + TITLE_HEIGHT, 15.91549430918954
    total = sum(p.value for p in parts_)
    svg = _open(chart_id, title, _describe(parts_, "items"), width, height)
    svg.append(f'<g transform="translate(0 {TITLE_HEIGHT})">')
    svg.append('<g transform="translate(85 85) scale(4.4)">')
    svg.append(
        f'<circle r="{radius:.4f}" fill="none" stroke-width="6" style="stroke:{NEUTRAL}"'
        ' stroke-opacity="0.3" />'
    )
    offset = 25.0  # start at twelve o'clock
    for part in parts_:
        share = 100.0 * part.value / total if total else 0.0
        if share <= 0:
            continue
        svg.append(
            f'<circle r="{radius:.4f}" fill="none" stroke-width="6" style="stroke:{part.fill}"'
            f' stroke-dasharray="{share:.3f} {100 - share:.3f}" stroke-dashoffset="{offset:.3f}"'
            f'><title>{html_text(f"{part.label}: {part.value}")}</title>'
            "</circle>"
        )
        offset -= share
    svg.append("</g>")
    svg.append(
        f'<text x="85" y="90" text-anchor="middle" font-size="20" font-weight="700"'
        f' fill="currentColor">{html_text(centre or str(total))}</text>'
    )
    for index, part in enumerate(parts_):
        y = 60 + index * 26
        svg.append(f'<rect x="180" y="{y - 11}" width="14" height="14" style="fill:{part.fill}" />')
        svg.append(
            f'<text x="200" y="{y}" font-size="13" fill="currentColor">'
            f"{html_text(f'{part.label}: {part.value}')}</text>"
        )
    svg.append("</g>")
    svg.append("</svg>")
    return "\n".join(svg)


def risk_fill(risk: str) -> str:
    """The colour of a risk level's bar."""
    return {"High": HIGH, "Medium": MEDIUM, "Low": LOW}.get(risk, NEUTRAL)
