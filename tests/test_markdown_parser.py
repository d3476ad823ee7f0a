"""The Markdown parser as the readers configure it reads exactly what plain CommonMark reads.

The readers' parser tries a line as an ATX heading before the rules that cannot match a `#` line;
these tests hold it to markdown-it's own rule order, token for token and reader result for
reader result, on the example repository, the hostile constructs and the corners of `#` lines.
"""

from __future__ import annotations

import pytest
from test_hostile_markup import BEFORE_THE_RECORD, long_adr

from generator.config import Config
from generator.sources import markdown
from generator.sources.adrs import parse_adr
from generator.sources.exceptions import read_exceptions
from generator.sources.policies import parse_policy

from conftest import EXAMPLE

IN_MARKDOWN_ORDER = markdown._parser(headings_early=False)

#: Lines starting with `#` that are not headings, and headings next to every other block.
HASH_CORNERS = {
    "not headings": "#hashtag\n####### seven\n#\tx\n#\n# \n\\# escaped\n",
    "indented": "    # code\n   # three spaces\n\t# tab\n",
    "table header": "# a | b\n--|--\n| x | y |\n\n| # | b |\n|---|---|\n| # c | d |\n",
    "interrupting": "para\n# heading\n> quote\n# heading\n- item\n# heading\n[r]: /u\n# heading\n",
    "inside containers": "> # quoted\n> **Status**: x\n\n- # listed\n  ## deeper\n1. # ordered\n",
    "setext and breaks": "Title\n===\n\nSub\n---\n\n* * *\n#\n---\n",
    "fences and html": "```\n# in fence\n```\n<div>\n# in html\n</div>\n\n<!--\n# in comment\n-->\n",
    "closing hashes": "## Status ##\n### Date #######\n# ADR-1: x #not closing\n",
    "register": "## Emergency Change: 2026-04-01\n\n**Incident**: INC-1\n\n### Immediate Action\n\ndone\n",
}


def example_documents() -> dict[str, str]:
    return {
        path.relative_to(EXAMPLE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(EXAMPLE.rglob("*.md"))
    }


def every_text() -> dict[str, str]:
    texts = dict(example_documents())
    texts.update({f"hostile: {name}": text for name, text in BEFORE_THE_RECORD.items()})
    texts.update({f"corner: {name}": text for name, text in HASH_CORNERS.items()})
    texts["long ADR"] = long_adr(400)
    return texts


TEXTS = every_text()


def test_the_example_repository_has_adrs_a_register_and_policies():
    names = set(TEXTS)
    assert any(name.startswith("docs/adr/") for name in names)
    assert {"db/schema/EXCEPTIONS.md", "db/schema/CHANGE_CONTROL.md"} <= names


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_tokens_are_those_of_markdown_its_own_rule_order(name):
    text = TEXTS[name]
    assert markdown._PARSER.parse(text) == IN_MARKDOWN_ORDER.parse(text)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_reader_reads_what_markdown_its_own_rule_order_reads(name, make_repo, monkeypatch):
    text = TEXTS[name]
    root = make_repo({"db/schema/EXCEPTIONS.md": text})

    def read_all():
        return (
            parse_adr("docs/adr/0007-x.md", text),
            parse_policy("docs/RUNBOOK-x.md", text),
            read_exceptions(root, Config()),
        )

    tuned = read_all()
    monkeypatch.setattr(markdown, "_PARSER", IN_MARKDOWN_ORDER)
    assert read_all() == tuned
