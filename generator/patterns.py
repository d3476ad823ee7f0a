"""Regular expressions from the configuration, checked for catastrophic backtracking.

Python's `re` backtracks, cannot be interrupted, and tries every way a pattern can match a text
before it gives up. When one piece of text can be matched in many ways (`(a+)+`, `(a|a)*`,
`\\d+\\d+`), a text that almost matches costs exponential or polynomial time: `(a+)+$` spends
a minute on 30 characters. A configured pattern runs over text from the repository, so such a
pattern is refused when the configuration is read.

The check is the textbook one (Weber and Seidl's degrees of ambiguity) on the position automaton
of the parsed pattern, with each way of reaching a position counted, as a backtracking matcher
counts them: exponential when two different paths lead from a position back to itself over the
same text, polynomial when a position can loop, move on to a second looping position, and loop
there, all over the same text. Anchors and lookarounds consume nothing and are left out (the
bodies of lookarounds are checked on their own), which can only find more ambiguity, never less.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Iterator, Optional

from .graph import strongly_connected

#: Characters outside Latin-1 are told apart only by class: a digit, another word character,
#: a space, anything else.
_CLASSES = ("\u0660", "\u0430", "\u2003", "\u2014")
_UNIVERSE = frozenset(range(256)) | frozenset(range(256, 256 + len(_CLASSES)))
_EXPANDED_REPEATS = 12  # `x{2,5}` is unrolled; above this many copies `x{n,m}` counts as `x{n,}`
_MOST_POSITIONS = 2000  # larger automata are not checked but refused: the check itself would be slow
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))


def backtracking_risk(pattern: str) -> Optional[str]:
    """Why matching `pattern` can take exponential or polynomial time, or None."""
    tree = sre_parse.parse(pattern)
    ignore_case = bool(tree.state.flags & re.IGNORECASE)
    for body in [tree, *_lookarounds(tree)]:
        automaton = _Automaton(ignore_case)
        try:
            automaton.build(body)
        except _TooLarge:
            return f"it is too large to check (over {_MOST_POSITIONS} characters with repetitions unrolled)"
        risk = automaton.exponential() or automaton.polynomial()
        if risk:
            return risk
    return None


def _lookarounds(items) -> Iterator:
    for op, av in items:
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            yield av[1]
        for child in _children(op, av):
            yield from _lookarounds(child)


def _children(op, av) -> list:
    if op == sre.SUBPATTERN:
        return [av[3]]
    if op in (sre.ASSERT, sre.ASSERT_NOT) or op in _REPEATS:
        return [av[-1]]
    if op == sre.ATOMIC_GROUP:
        return [av]
    if op == sre.BRANCH:
        return list(av[1])
    if op == sre.GROUPREF_EXISTS:
        return [b for b in av[1:] if b is not None]
    return []


# --------------------------------------------------------------------------- characters


def _latin1(regex: str) -> frozenset[int]:
    members = {i for i in range(256) if re.fullmatch(regex, chr(i))}
    return frozenset(members | {256 + k for k, c in enumerate(_CLASSES) if re.fullmatch(regex, c)})


_CATEGORIES = {
    sre.CATEGORY_DIGIT: _latin1(r"\d"), sre.CATEGORY_NOT_DIGIT: _latin1(r"\D"),
    sre.CATEGORY_WORD: _latin1(r"\w"), sre.CATEGORY_NOT_WORD: _latin1(r"\W"),
    sre.CATEGORY_SPACE: _latin1(r"\s"), sre.CATEGORY_NOT_SPACE: _latin1(r"\S"),
}


def _char(code: int) -> frozenset[int]:
    if code < 256:
        return frozenset({code})
    return frozenset(256 + k for k, c in enumerate(_CLASSES) if _same_class(chr(code), c))


def _same_class(a: str, b: str) -> bool:
    return all(bool(re.fullmatch(r, a)) == bool(re.fullmatch(r, b)) for r in (r"\d", r"\w", r"\s"))


def _char_set(op, av, ignore_case: bool) -> frozenset[int]:
    if op == sre.LITERAL:
        chars = _char(av)
    elif op == sre.NOT_LITERAL:
        chars = _UNIVERSE - _char(av) if av < 256 else _UNIVERSE
    elif op == sre.ANY:
        chars = _UNIVERSE
    else:  # IN
        chars, negate = frozenset(), False
        for item_op, item in av:
            if item_op == sre.NEGATE:
                negate = True
            elif item_op == sre.RANGE:
                low, high = item
                chars |= frozenset(range(low, min(high, 255) + 1))
                if high > 255:
                    chars |= _UNIVERSE - frozenset(range(256))
            elif item_op == sre.CATEGORY:
                chars |= _CATEGORIES.get(item, _UNIVERSE)
            else:
                chars |= _char_set(item_op, item, False)
        chars = _UNIVERSE - chars if negate else chars
    if ignore_case:
        chars |= {ord(c) for i in chars if i < 256 for c in (chr(i).lower(), chr(i).upper()) if ord(c) < 256}
    return frozenset(chars)


# --------------------------------------------------------------------------- the automaton


class _TooLarge(Exception):
    pass


@dataclass
class _Fragment:
    """A piece of the position automaton: where it can start and end, in how many ways."""

    first: Counter = field(default_factory=Counter)
    last: Counter = field(default_factory=Counter)
    empty: int = 0  # ways to match nothing


class _Automaton:
    """Positions (one per character-consuming atom) and the counted ways to go from one to the next."""

    def __init__(self, ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        self.chars: list[frozenset[int]] = []
        self.follow: dict[int, Counter] = defaultdict(Counter)

    # building

    def build(self, items) -> _Fragment:
        result = _Fragment(empty=1)
        for op, av in items:
            result = self._then(result, self._item(op, av))
        return result

    def _item(self, op, av) -> _Fragment:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return self._atom(_char_set(op, av, self.ignore_case))
        if op == sre.SUBPATTERN:
            return self.build(av[3])
        if op == sre.ATOMIC_GROUP:
            return self.build(av)
        if op == sre.BRANCH:
            return self._either([self.build(b) for b in av[1]])
        if op == sre.GROUPREF_EXISTS:
            return self._either([self.build(b) if b is not None else _Fragment(empty=1) for b in av[1:]])
        if op in _REPEATS:
            return self._repeat(*av)
        if op == sre.GROUPREF:  # a back reference matches any text: read it as `.*`
            return self._loop(self._atom(_UNIVERSE), empty=1)
        return _Fragment(empty=1)  # anchors and lookarounds consume nothing

    def _atom(self, chars: frozenset[int]) -> _Fragment:
        if len(self.chars) >= _MOST_POSITIONS:
            raise _TooLarge
        self.chars.append(chars)
        position = len(self.chars) - 1
        return _Fragment(Counter({position: 1}), Counter({position: 1}), 0)

    def _then(self, a: _Fragment, b: _Fragment) -> _Fragment:
        for end, ways in a.last.items():
            for start, more in b.first.items():
                self.follow[end][start] += ways * more
        return _Fragment(
            a.first + _times(b.first, a.empty), b.last + _times(a.last, b.empty), a.empty * b.empty
        )

    def _either(self, options: list[_Fragment]) -> _Fragment:
        result = _Fragment()
        for option in options:
            result = _Fragment(result.first + option.first, result.last + option.last,
                               result.empty + option.empty)
        return result

    def _loop(self, body: _Fragment, empty: int) -> _Fragment:
        for end, ways in body.last.items():
            for start, more in body.first.items():
                self.follow[end][start] += ways * more
        return _Fragment(body.first, body.last, empty)

    def _repeat(self, low: int, high: int, items) -> _Fragment:
        """`x{2,4}` as `xx(x(x)?)?`, `x{2,}` as `xx+`; each copy gets positions of its own."""
        if high == sre.MAXREPEAT or high > _EXPANDED_REPEATS:
            low = min(low, _EXPANDED_REPEATS)
            result = _Fragment(empty=1)
            for _ in range(low - 1):
                result = self._then(result, self.build(items))
            body = self.build(items)
            return self._then(result, self._loop(body, body.empty if low else 1))
        result = _Fragment(empty=1)
        for _ in range(low):
            result = self._then(result, self.build(items))
        copies = [self.build(items) for _ in range(high - low)]
        tail = _Fragment(empty=1)
        for copy in reversed(copies):
            joined = self._then(copy, tail)
            tail = _Fragment(joined.first, joined.last, joined.empty + 1)
        return self._then(result, tail)

    # the two degrees of ambiguity

    def exponential(self) -> Optional[str]:
        """Two different paths from a position back to itself over the same text."""
        for component in self._cycles():
            pairs = {(p, q): list(self._steps((p, q), component)) for p in component for q in component}
            graph = {pair: [target for target, _ in steps] for pair, steps in pairs.items()}
            for group in _strongly_connected(graph):
                if len(group) < 2 and not any(t in group for t in graph[next(iter(group))]):
                    continue
                diagonal = any(p == q for p, q in group)
                split = any(p == q and ways > 1 and target in group
                            for (p, q) in group for target, ways in pairs[(p, q)] if target[0] == target[1])
                if diagonal and (split or any(p != q for p, q in group)):
                    return (
                        "it can take exponential time: one text can be matched in many ways by a "
                        "repetition inside a repetition or by alternatives that overlap, as in "
                        "(a+)+ or (a|aa)*"
                    )
        return None

    def polynomial(self) -> Optional[str]:
        """A position that loops, moves on to a second looping position, and loops there, all
        over the same text: the text can be split between the two loops in many ways."""
        cycles = self._cycles()
        where = {p: i for i, component in enumerate(cycles) for p in component}
        for p in where:
            ahead = self._reachable(p)
            for q in where:
                if q not in ahead or where[p] == where[q]:
                    continue
                if self._loops_then_loops(p, q, cycles[where[p]], cycles[where[q]]):
                    return (
                        "it can take polynomial time: two repetitions can match the same text "
                        "one after the other, as in \\d+\\d+ or .*-.*"
                    )
        return None

    def _loops_then_loops(self, p: int, q: int, around_p: set[int], around_q: set[int]) -> bool:
        start, goal = (p, p, q), (p, q, q)
        seen, todo = {start}, [start]
        while todo:
            a, b, c = todo.pop()
            for a2 in self.follow[a]:
                if a2 not in around_p:
                    continue
                for b2 in self.follow[b]:
                    shared = self.chars[a2] & self.chars[b2]
                    if not shared:
                        continue
                    for c2 in self.follow[c]:
                        if c2 in around_q and shared & self.chars[c2] and (a2, b2, c2) not in seen:
                            if (a2, b2, c2) == goal:
                                return True
                            seen.add((a2, b2, c2))
                            todo.append((a2, b2, c2))
        return False

    def _reachable(self, start: int) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in self.follow[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def _steps(self, pair: tuple[int, int], allowed: set[int]):
        """Pairs of positions reachable from `pair` reading one character, with the ways."""
        p, q = pair
        for p2, ways in self.follow[p].items():
            for q2, more in self.follow[q].items():
                if p2 in allowed and q2 in allowed and self.chars[p2] & self.chars[q2]:
                    yield (p2, q2), ways * more if p2 != q2 or p != q else ways

    def _cycles(self) -> list[set[int]]:
        """The groups of positions that can lead back to themselves."""
        graph = {p: list(self.follow[p]) for p in range(len(self.chars))}
        return [g for g in _strongly_connected(graph) if len(g) > 1 or next(iter(g)) in graph[next(iter(g))]]


def _strongly_connected(graph: dict) -> list[set]:
    return [set(group) for group in strongly_connected(graph, lambda node: graph.get(node, ()))]


def _times(a: Counter, n: int) -> Counter:
    return Counter({k: v * n for k, v in a.items()}) if n else Counter()
