"""Which pages the governance site has and what they say, rendered from Jinja2 templates.

`build_pages` returns every page as Markdown in memory; the MkDocs plugin adds them to a site
and `govsite generate` writes them as files. Index pages (dashboard, migrations, graph, ADRs,
exceptions, reviews, rules, report) go into the navigation; the per-migration, per-ADR and
per-quarter pages do not, because a navigation of thousands of pages is rendered into every
page and makes the site quadratic in size.

The templates write Markdown, so Jinja's HTML autoescape is off; every value taken from the
repository passes through a filter of `markup` instead. Output depends on the inputs only (no
clock, sorted everywhere), so two builds of the same repository are byte-identical.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from typing import Any, Optional

import jinja2

from ..config import Config
from ..model import Commit, Finding, Migration, Repository, record
from ..rules.helpers import replaced
from . import markup
from .charts import LOW, HIGH, Bar, bar_chart, donut_chart, risk_fill
from .facts import RISK_ORDER, ROOT, UNKNOWN_RISK, SiteFacts, relative_link, slug
from .graph_view import DEFAULT_RECENT, build_graph_view, to_mermaid
from .review import pack_for
from ..rules.safety import RECIPES

MAX_SOURCE_CHARS = 400_000  # a larger migration file is shown truncated
MAX_CHART_QUARTERS = 24  # more quarters than this are charted per year
MAX_LISTED = 50  # heads, merges and the like listed on the graph page


@record
class GeneratedPage:
    uri: str  # POSIX path of the Markdown file inside docs, always under "governance/"
    title: str  # plain text; the page's front matter carries an HTML-escaped copy
    content: str  # Markdown
    in_nav: bool  # index-level pages True; per-migration / per-ADR / per-quarter pages False


#: The index pages, in navigation order: (title, uri).
INDEX_PAGES: tuple[tuple[str, str], ...] = (
    ("Dashboard", f"{ROOT}/index.md"),
    ("Migrations", f"{ROOT}/migrations/index.md"),
    ("Revision graph", f"{ROOT}/graph.md"),
    ("ADRs", f"{ROOT}/adrs/index.md"),
    ("Exceptions register", f"{ROOT}/exceptions.md"),
    ("Schema", f"{ROOT}/schema/index.md"),
    ("Drift", f"{ROOT}/drift.md"),
    ("Quarterly reviews", f"{ROOT}/reviews/index.md"),
    ("Rules", f"{ROOT}/rules.md"),
    ("Validation report", f"{ROOT}/report.md"),
)
_INDEX_TITLES = {uri: title for title, uri in INDEX_PAGES}


def build_pages(repo: Repository, findings: list[Finding], config: Config) -> list[GeneratedPage]:
    """Every page of the governance site, sorted by address."""
    facts = SiteFacts(repo, findings, config)
    renderer = _Renderer(facts)
    pages = [
        renderer.dashboard(),
        renderer.migration_index(),
        *(renderer.migration(m) for m in facts.migrations),
        renderer.graph(),
        renderer.adr_index(),
        *(renderer.adr(a) for a in facts.adrs),
        renderer.exceptions(),
        *renderer.schema(),
        renderer.review_index(),
        *(renderer.review(q) for q in facts.all_quarters),
        renderer.rules(),
        renderer.report(),
    ]
    return sorted(pages, key=lambda p: p.uri)


def nav_fragment(pages: list[GeneratedPage]) -> list:
    """MkDocs nav entries for the index-level pages, in a fixed reading order."""
    present = {p.uri: p for p in pages if p.in_nav}
    order = {uri: index for index, (_, uri) in enumerate(INDEX_PAGES)}
    ranked = sorted(present.values(), key=lambda p: (order.get(p.uri, len(order)), p.uri))
    return [{"Governance": [{p.title: p.uri} for p in ranked]}]


# --------------------------------------------------------------------------- templates


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment, created (and each template compiled) once per process."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.site", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown output: the markup filters do the escaping
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(markup.FILTERS)
    env.filters.update(
        badge=risk_badge,
        day=day,
        moment=moment,
        short_sha=short_sha,
        hours=hours,
        rule_anchor=rule_anchor,
    )
    env.globals.update(
        RISK_ORDER=RISK_ORDER,
        EMPTY=markup.EMPTY,
        commit_line=commit_line,
        review_uri=review_uri,
        migration_heading=migration_heading,
        admonition_kind=admonition_kind,
    )
    return env


def risk_badge(risk: Optional[str]) -> str:
    """A coloured badge for a risk level; unknown values are shown as plain escaped text."""
    value = (risk or "").strip()
    if value in RISK_ORDER:
        return f'<span class="govsite-badge govsite-risk-{value.lower()}">{value}</span>'
    return markup.md_text(value) or markup.EMPTY


def admonition_kind(findings: list[Finding], *rules: str, mentioning: str = "") -> str:
    """The admonition for what `rules` flag (in findings whose message names `mentioning`),
    coloured by severity after configuration: red "failure" only for an open error, "warning"
    for a warning, else "note" (a rule downgraded or switched off never shows red)."""
    severities = {
        f.severity.value for f in findings
        if f.rule in rules and not f.suppressed and mentioning in f.message
    }
    if "error" in severities:
        return "failure"
    return "warning" if severities else "note"


def day(value: Any) -> str:
    """YYYY-MM-DD of a date or datetime (UTC for datetimes); an em dash for None."""
    if value is None:
        return markup.EMPTY
    if isinstance(value, datetime):
        value = _utc(value)
    return value.strftime("%Y-%m-%d")


def moment(value: Optional[datetime]) -> str:
    """A datetime as "2026-04-01 10:00 UTC"."""
    if value is None:
        return markup.EMPTY
    return _utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def short_sha(value: Optional[str]) -> str:
    return markup.md_text((value or "")[:10]) or markup.EMPTY


def hours(value: Optional[float]) -> str:
    return markup.EMPTY if value is None else f"{value:.1f} h"


def rule_anchor(code: Optional[str]) -> str:
    """The rules reference anchor of a rule code ("GOV201" -> "gov201"); '' for anything else."""
    text = (code or "").strip()
    return text.lower() if re.fullmatch(r"GOV\d{3}", text) else ""


# --------------------------------------------------------------------------- pages


class _Renderer:
    """Renders each page from the shared facts; holds nothing that grows per page."""

    def __init__(self, facts: SiteFacts):
        self.facts = facts
        self.env = environment()

    def _page(self, template: str, uri: str, title: str, in_nav: bool, **context) -> GeneratedPage:
        content = self.env.get_template(template).render(
            page=uri,
            link=functools.partial(relative_link, uri),
            facts=self.facts,
            repo=self.facts.repo,
            config=self.facts.config,
            title=title,
            **context,
        )
        return GeneratedPage(uri, title, content, in_nav)

    def _index(self, template: str, uri: str, **context) -> GeneratedPage:
        return self._page(template, uri, _INDEX_TITLES[uri], True, **context)

    # ----------------------------------------------------------------- dashboard

    def dashboard(self) -> GeneratedPage:
        facts = self.facts
        total = len(facts.migrations)
        checked = len(facts.checked)
        compliant = sum(1 for m in facts.checked if facts.compliant(m))
        percent = f"{100.0 * compliant / checked:.1f} %" if checked else markup.EMPTY
        period, periods = self._period_bars()
        charts = [
            bar_chart(
                "govsite-risk", "Migrations by declared risk level", self._risk_bars(),
                "migrations", "Declared risk level",
            ),
            bar_chart(
                "govsite-quarters", f"Migrations per {period}", periods, "migrations",
                period.capitalize(),
            ),
            donut_chart(
                "govsite-compliance",
                "Compliance of migrations",
                [Bar("Compliant", compliant, LOW), Bar("With findings", checked - compliant, HIGH)],
                centre=percent if checked else "0",
            ),
        ]
        overdue = {f.location.path for f in facts.findings if f.rule == "GOV901" and not f.suppressed}
        return self._index(
            "dashboard.md.j2",
            f"{ROOT}/index.md",
            total=total,
            checked=checked,
            legacy=len(facts.legacy),
            baselined=len(facts.baselined),
            compliant=compliant,
            percent=percent,
            charts=charts,
            counts=facts.counts,
            overdue=overdue,
            latest_quarter=facts.all_quarters[-1] if facts.all_quarters else None,
            statuses=facts.exception_statuses,
        )

    def _risk_bars(self) -> list[Bar]:
        counts: dict[str, int] = {}
        for m in self.facts.migrations:
            risk = (m.risk_level or "").strip()
            key = risk if risk in RISK_ORDER else (UNKNOWN_RISK if not risk else "Other")
            counts[key] = counts.get(key, 0) + 1
        order = [*RISK_ORDER, "Other", UNKNOWN_RISK]
        return [Bar(r, counts[r], risk_fill(r)) for r in order if r in counts]

    def _period_bars(self) -> tuple[str, list[Bar]]:
        """Migrations per quarter over the whole history, empty quarters included; per year
        when that would be more than `MAX_CHART_QUARTERS` bars."""
        counts = {q: len(ms) for q, ms in self.facts.migrations_by_quarter.items()}
        if not counts:
            return "quarter", []
        first, last = min(counts), max(counts)
        quarters = [
            f"{year}Q{q}"
            for year in range(int(first[:4]), int(last[:4]) + 1)
            for q in range(1, 5)
            if first <= f"{year}Q{q}" <= last
        ]
        if len(quarters) <= MAX_CHART_QUARTERS:
            return "quarter", [Bar(q, counts.get(q, 0)) for q in quarters]
        years: dict[str, int] = {str(y): 0 for y in range(int(first[:4]), int(last[:4]) + 1)}
        for quarter, count in counts.items():
            years[quarter[:4]] += count
        return "year", [Bar(year, count) for year, count in years.items()]

    # ----------------------------------------------------------------- migrations

    def migration_index(self) -> GeneratedPage:
        return self._index("migration_index.md.j2", f"{ROOT}/migrations/index.md")

    def migration(self, m: Migration) -> GeneratedPage:
        facts = self.facts
        uri = facts.migration_uri(m)
        heading = migration_heading(m)
        source = m.source
        truncated = len(source) > MAX_SOURCE_CHARS
        if truncated:
            source = source[:MAX_SOURCE_CHARS].rsplit("\n", 1)[0]
        source = markup.clean(source).rstrip("\n")
        history = facts.repo.history
        return self._page(
            "migration.md.j2",
            uri,
            heading,
            False,
            m=m,
            heading=heading,
            destructive=set(facts.destructive(m)),
            replaced={op for op in m.operations if replaced(op, m)},
            safety=facts.safety_findings_for(m.path),
            recipes=RECIPES,
            hl_lines=" ".join(str(n) for n in facts.destructive_lines(m)),
            source=source,
            truncated=truncated,
            fence=markup.fence_for(source),
            file_history=history.of(m.path),
            history_status=history.status,
            history_renames=history.renames,
            history_partial_clone=history.partial_clone,
            findings=facts.findings_for(m.path),
            exceptions=facts.exceptions_by_migration.get(m.path, []),
            parents=facts.parents(m),
            children=facts.children(m),
            quarter=facts.quarters.get(m.path),
            when=facts.dates[m.path][0],
            date_source=facts.dates[m.path][1],
        )

    # ----------------------------------------------------------------- graph

    def graph(self) -> GeneratedPage:
        """One diagram per migration environment: each is a revision graph of its own, and two
        may use the same revision ids."""
        recent = int(getattr(self.facts.config, "graph_recent", DEFAULT_RECENT) or DEFAULT_RECENT)
        environments = self.facts.environments
        named = sorted(environments.items()) if len(environments) > 1 else [("", self.facts.graph)]
        graphs, taken = [], set()
        for name, graph in named:
            view = build_graph_view(self.facts, recent, graph)
            graphs.append({"name": name, "anchor": slug("environment-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-"), taken), "view": view,
                           "mermaid": to_mermaid(view), "graph": graph, "heads": view.heads[:MAX_LISTED]})
        return self._index("graph.md.j2", f"{ROOT}/graph.md", graphs=graphs, max_listed=MAX_LISTED)

    # ----------------------------------------------------------------- ADRs

    def adr_index(self) -> GeneratedPage:
        return self._index("adr_index.md.j2", f"{ROOT}/adrs/index.md")

    def adr(self, adr) -> GeneratedPage:
        facts = self.facts
        return self._page(
            "adr.md.j2",
            facts.adr_uri(adr),
            f"{adr.id} {adr.title}".strip(),
            False,
            adr=adr,
            citations=facts.citations.get(adr.path, []),
            superseded_by=[(ref, facts.resolve_adr(ref)) for ref in adr.superseded_by],
            supersedes=[(ref, facts.resolve_adr(ref)) for ref in adr.supersedes],
            findings=facts.findings_for(adr.path),
            file_history=facts.repo.history.of(adr.path),
            resolve=facts.link_resolver(adr.path, facts.adr_uri(adr)),
        )

    # ----------------------------------------------------------------- exceptions

    def exceptions(self) -> GeneratedPage:
        return self._index(
            "exceptions.md.j2",
            f"{ROOT}/exceptions.md",
            statuses=self.facts.exception_statuses,
            history_status=self.facts.repo.history.status,
            resolver=self.facts.link_resolver,
        )

    # ----------------------------------------------------------------- schema and drift

    def schema(self) -> list[GeneratedPage]:
        """The Schema page (with a page per table when a snapshot is committed) and the Drift
        page (the report `drift_report` names); each says how to make its file when there is none."""
        from .schema_view import SchemaView

        view = SchemaView(self.facts)
        return [
            self._index("schema_index.md.j2", f"{ROOT}/schema/index.md", view=view),
            *(
                self._page("schema_table.md.j2", view.table_uri(t), f"Table {t}", False, view=view, name=t)
                for t in view.tables
            ),
            self._index("drift.md.j2", f"{ROOT}/drift.md", view=view, report=view.drift),
        ]

    # ----------------------------------------------------------------- reviews

    def review_index(self) -> GeneratedPage:
        packs = [pack_for(self.facts, q) for q in reversed(self.facts.all_quarters)]
        return self._index("review_index.md.j2", f"{ROOT}/reviews/index.md", packs=packs)

    def review(self, quarter: str) -> GeneratedPage:
        return self._page(
            "review.md.j2",
            review_uri(quarter),
            f"Quarterly review {quarter}",
            False,
            pack=pack_for(self.facts, quarter),
        )

    # ----------------------------------------------------------------- rules and report

    def rules(self) -> GeneratedPage:
        open_counts: dict[str, int] = {}
        for f in self.facts.findings:
            if not f.suppressed:
                open_counts[f.rule] = open_counts.get(f.rule, 0) + 1
        return self._index("rules.md.j2", f"{ROOT}/rules.md", rules=rule_entries(), open_counts=open_counts)

    def report(self) -> GeneratedPage:
        findings = self.facts.findings
        return self._index(
            "report.md.j2",
            f"{ROOT}/report.md",
            open_findings=[f for f in findings if not f.suppressed],
            suppressed=[f for f in findings if f.suppressed],
            known_rules=set(_catalog()),
        )


def review_uri(quarter: str) -> str:
    return f"{ROOT}/reviews/{quarter}.md"


def migration_heading(m: Migration) -> str:
    """`202601191400 Add is_paid flag`: the migration's id, then its title unless that is the id."""
    key, title = m.migration_id or m.revision or m.path, m.display_title
    return key if title == key else f"{key} {title}"


# --------------------------------------------------------------------------- rules reference


@record
class RuleEntry:
    code: str
    name: str
    severity: str
    policy: Optional[int]
    summary: str
    doc: str  # Markdown, headings moved below the rule's own heading


def _catalog():
    from ..catalog import CATALOG

    return CATALOG


def rule_entries() -> list[RuleEntry]:
    """Every rule of the catalogue with its documentation (an empty doc when none is written)."""
    from ..rules import all_rules

    documented = {r.code: r.doc for r in all_rules()}
    return [
        RuleEntry(
            spec.code,
            spec.name,
            spec.severity.value,
            spec.policy,
            spec.summary,
            demote_headings(documented.get(code, ""), 1),
        )
        for code, spec in _catalog().items()
    ]


def demote_headings(text: str, levels: int) -> str:
    """Move every ATX heading of `text` `levels` deeper (capped at h6), leaving code untouched.

    markdown-it finds the headings, so a `# comment` inside a fenced Python example stays put.
    """
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "heading_open" and token.map and token.markup.startswith("#"):
            row = token.map[0]
            depth = min(6, len(token.markup) + levels)
            lines[row] = re.sub(r"^(\s*)#+", lambda m: m.group(1) + "#" * depth, lines[row], count=1)
    return "\n".join(lines)


def commit_line(commit: Optional[Commit]) -> str:
    """`abc1234567 by Dana Reviewer on 2026-04-01`, escaped, for text outside tables."""
    if commit is None:
        return markup.EMPTY
    return f"{short_sha(commit.sha)} by {markup.md_text(commit.author)} on {day(commit.date)}"


__all__ = ["GeneratedPage", "INDEX_PAGES", "build_pages", "environment", "nav_fragment"]

