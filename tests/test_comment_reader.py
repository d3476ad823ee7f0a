"""The comment reader skips tokenizing most of a file; what it finds must be exactly what
`tokenize` finds, on the example's migrations, on the hostile cases and on generated sources.

A bypass (`# CI:DESTRUCTIVE_OK`) or a `# govsite: disable=` comment that the reader missed, or a
`#` inside a string that it took for a comment, would change what the policy checks accept."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, migration
from test_hostile_repos import CASES

from generator.model import Comment
from generator.sources.migration_ops import Source
from generator.sources.migrations import CommentReader


def by_tokenize(text: str) -> list[Comment]:
    """Every comment token of `text`, as the reader reports comments."""
    return [
        Comment(token.start[0], token.start[1] + 1, token.string[1:].strip())
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type == tokenize.COMMENT
    ]


def by_reader(text: str) -> list[Comment]:
    return CommentReader(Source(text), ast.parse(text)).comments()


def assert_same_comments(text: str) -> None:
    assert by_reader(text) == by_tokenize(text)


EXAMPLE_MIGRATIONS = sorted((EXAMPLE / "alembic" / "versions").glob("*.py"))


def test_the_example_has_migrations_with_comments():
    assert len(EXAMPLE_MIGRATIONS) > 30
    assert sum(len(by_tokenize(p.read_text(encoding="utf-8"))) for p in EXAMPLE_MIGRATIONS) > 20


@pytest.mark.parametrize("path", EXAMPLE_MIGRATIONS, ids=lambda p: p.name)
def test_reader_finds_what_tokenize_finds_in_the_example(path: Path):
    assert_same_comments(path.read_text(encoding="utf-8"))


def _hostile_python_sources() -> list:
    """The hostile cases' migration files that Python can parse (the others never reach the
    comment reader: they are GOV802 findings)."""
    found = []
    for param in CASES:
        hostile = param.values[0]
        for rel, content in hostile.files.items():
            if not rel.endswith(".py"):
                continue
            try:
                text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                ast.parse(text)
            except (UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            found.append(pytest.param(text, id=f"{hostile.name}:{rel.rsplit('/', 1)[-1]}"))
    return found


@pytest.mark.parametrize("text", _hostile_python_sources())
def test_reader_finds_what_tokenize_finds_in_the_hostile_cases(text: str):
    assert_same_comments(text)


TRICKY = {
    "hash_in_strings": 'x = "# not a comment"  # a comment\ny = \'#\' + "#"  # two\n',
    "hash_in_triple_quoted_string": 'x = """\n# inside\n"""  # after\n',
    "hash_in_f_string": 'name = "t"\nx = f"{name}#{name}"  # real\n',
    "implicit_concatenation_with_comments": 'x = (\n    "a #"  # one\n    "b"  # two\n)\n',
    "backslash_continuation": 'x = 1 + \\\n    2  # after continuation\n',
    "comment_in_compound_header": 'if True:  # header\n    pass  # body\nelse:  # else\n    pass\n',
    "comment_between_decorator_and_def": '@dec  # on decorator\n# between\ndef f():\n    pass\n',
    "non_ascii_before_hash": 'x = "é"  # après\ny = "日本"  # 後\n',
    "tab_indentation": 'def f():\n\tx = 1\t# tab before\n\treturn x\n',
    "comment_only_lines_between_statements": 'x = 1\n# one\n\n    # indented\ny = 2\n',
    "bypass_on_multi_line_call": (
        'def upgrade():\n    op.drop_column(\n        "events",  # CI:DESTRUCTIVE_OK - ADR-015 gone\n'
        '        "legacy",\n    )\n'
    ),
    "string_spanning_lines_then_comment": 'op.execute("""\nDROP TABLE x -- # sql\n""")  # CI:DESTRUCTIVE_OK\n',
    "quote_in_comment": "x = 1  # it's a comment with a \" quote\ny = '#'\n",
    "nested_functions": 'def upgrade():\n    def helper():  # inner\n        return "#"  # s\n    helper()  # call\n',
    "class_body": 'class A:  # c\n    x = "#"  # d\n    def f(self):  # e\n        pass\n',
    "match_statement": 'match x:  # m\n    case "#":  # c\n        pass  # p\n',
    "comment_at_end_without_newline": 'x = 1  # last',
}


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_reader_finds_what_tokenize_finds_in_tricky_sources(text: str):
    assert_same_comments(text)


FRAGMENTS = [
    'x = "#"', "x = '#' # c", 'y = """\n#\n"""', "# alone", "    # indented alone", "",
    'op.drop_column("a", "b")  # CI:DESTRUCTIVE_OK - ADR-001 why', 'f"{1}#"  # f',
    'z = ("a"  # one\n     "#b")', "if x:  # h\n    pass", "def g():\n    return '#'  # r",
    'w = 1 + \\\n    2  # w', 'u = "é#"  # é',
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
def test_reader_finds_what_tokenize_finds_in_generated_sources(fragments: list[str]):
    text = "\n".join(fragments) + "\n"
    assert_same_comments(text)


def test_reader_agrees_on_a_migration_with_a_bypass():
    text = migration("a1", upgrade='op.drop_table("old")  # CI:DESTRUCTIVE_OK - ADR-001 retired')
    comments = by_reader(text)
    assert comments == by_tokenize(text)
    assert any("CI:DESTRUCTIVE_OK" in c.text for c in comments)
