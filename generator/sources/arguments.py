"""Operation arguments as expression trees, shared by the reader that met them and the rules.

An `Operation` keeps its arguments as source text (that is what the cache stores and the site
shows). Rules that look inside an argument (the columns of a `create_table`, a `ForeignKey`)
need its tree again; the reader hands over the nodes it already built, so a rule parses an
argument only when the migration came from the cache or another process.
"""

from __future__ import annotations

import ast
from typing import Optional

MAX_REMEMBERED = 1 << 16  # trees kept at most; beyond, the memo starts afresh (long `serve` runs)

_trees: dict[str, Optional[ast.expr]] = {}


def remember_expression(source: str, node: ast.expr) -> None:
    """Record the tree the reader built for an argument whose text is `source`."""
    if len(_trees) >= MAX_REMEMBERED:
        _trees.clear()
    _trees.setdefault(source, node)


def parse_expression(source: Optional[str]) -> Optional[ast.expr]:
    """The expression tree of an argument's source text, or None when it does not parse.

    Memoised: migrations repeat the same argument texts (`sa.Integer()`, `nullable=False`), and
    the trees are only read, never changed.
    """
    if not source:
        return None
    try:
        return _trees[source]
    except KeyError:
        pass
    try:
        # in brackets, as it stood in the call: a text running over several lines still parses
        tree: Optional[ast.expr] = ast.parse(f"(\n{source}\n)", mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    remember_expression(source, tree)  # type: ignore[arg-type]
    return tree
