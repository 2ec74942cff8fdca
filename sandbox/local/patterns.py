"""A string that matches a form field's ``pattern``: a tiny sampler for the regular expressions packages
use for NIKs, phone numbers, region codes, plates and times (literals, escapes, ``[...]`` classes,
``(a|b)`` groups, ``? * + {n} {m,n}``). Anything richer raises ValueError, never a wrong value silently."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

_CLASS_ESCAPES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_MAX_EXTRA_REPEATS = 3  # '*' and '+' are open-ended: keep samples short


@dataclass(frozen=True)
class _Node:
    kind: str  # "chars" (one of), "seq", "alt", "rep"
    chars: str = ""
    children: tuple[_Node, ...] = ()
    low: int = 1
    high: int = 1


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern.removeprefix("^").removesuffix("$")
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _take(self) -> str:
        char = self._peek()
        if not char:
            raise ValueError("unexpected end of pattern")
        self.pos += 1
        return char

    def parse(self) -> _Node:
        node = self._alternation()
        if self.pos != len(self.text):
            raise ValueError(f"unsupported pattern syntax at {self.pos}")
        return node

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else _Node("alt", children=tuple(branches))

    def _sequence(self) -> _Node:
        items: list[_Node] = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return _Node("seq", children=tuple(items))

    def _atom(self) -> _Node:
        char = self._take()
        if char == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            inner = self._alternation()
            if self._take() != ")":
                raise ValueError("unbalanced group")
            return inner
        if char == "[":
            return _Node("chars", chars=self._char_class())
        if char == "\\":
            escaped = self._take()
            return _Node("chars", chars=_CLASS_ESCAPES.get(escaped, escaped))
        if char == ".":
            return _Node("chars", chars=string.ascii_letters)
        if char in "*+?{":
            raise ValueError("quantifier without a target")
        return _Node("chars", chars=char)

    def _char_class(self) -> str:
        if self._peek() == "^":
            raise ValueError("negated classes are not supported")
        chars: list[str] = []
        while (char := self._take()) != "]":
            if char == "\\":
                escaped = self._take()
                chars.append(_CLASS_ESCAPES.get(escaped, escaped))
            elif self._peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("", "]"):
                self.pos += 1
                end = self._take()
                chars.append("".join(chr(c) for c in range(ord(char), ord(end) + 1)))
            else:
                chars.append(char)
        return "".join(chars)

    def _quantified(self, node: _Node) -> _Node:
        char = self._peek()
        if char == "?":
            low, high = 0, 1
        elif char == "*":
            low, high = 0, _MAX_EXTRA_REPEATS
        elif char == "+":
            low, high = 1, 1 + _MAX_EXTRA_REPEATS
        elif char == "{":
            end = self.text.index("}", self.pos)
            low_text, comma, high_text = self.text[self.pos + 1 : end].partition(",")
            low = int(low_text)
            high = int(high_text) if high_text else (low + _MAX_EXTRA_REPEATS if comma else low)
            self.pos = end
        else:
            return node
        self.pos += 1
        return _Node("rep", children=(node,), low=low, high=high)


def _render(node: _Node, rng: random.Random, out: list[str]) -> None:
    if node.kind == "chars":
        out.append(rng.choice(node.chars))
    elif node.kind == "seq":
        for child in node.children:
            _render(child, rng, out)
    elif node.kind == "alt":
        _render(rng.choice(node.children), rng, out)
    else:
        for _ in range(rng.randint(node.low, node.high)):
            _render(node.children[0], rng, out)


def sample(pattern: str, rng: random.Random) -> str:
    """A random string matching ``pattern`` (anchored at both ends)."""
    out: list[str] = []
    _render(_Parser(pattern).parse(), rng, out)
    return "".join(out)
