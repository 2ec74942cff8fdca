"""Generate a string that a regular expression matches in full (for form fields with a ``pattern``).

Covers the syntax JSON Schema patterns of service packages use: literals and escapes, ``.``, classes
(``[0-9A-Z]``, ``[^...]``, ``\\d \\w \\s``), groups with alternatives (``(\\+62|0)``, ``(?:...)``), the
quantifiers ``? * + {n} {n,} {n,m}`` (lazy too) and the anchors ``^ $``. Anything else (look-arounds,
back-references) raises ``ValueError``, never a wrong value silently; form generators check every value
with jsonschema-rs anyway. The one regex sampler of the project (the sandbox and `mpphub check` use it).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

_PRINTABLE = string.ascii_letters + string.digits + " .-_"
_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_NEGATED = {"D": string.ascii_letters, "W": " .-", "S": string.ascii_letters + string.digits}
_UNBOUNDED_EXTRA = 3  # how far past the minimum ``*``, ``+`` and ``{n,}`` go


@dataclass
class _Node:
    """A sequence of alternatives; each alternative is a list of (atom, min, max)."""

    alternatives: list[list[tuple[str | _Node, int, int]]] = field(default_factory=lambda: [[]])


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text, self.pos = pattern, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def parse(self, inside: bool = False) -> _Node:
        node = _Node()
        while self.pos < len(self.text):
            char = self.take()
            if char == ")" and inside:
                return node
            if char == "|":
                node.alternatives.append([])
                continue
            if char in "^$":
                continue
            atom: str | _Node
            if char == "(":
                if self.text.startswith("?:", self.pos):
                    self.pos += 2
                elif self.peek() == "?":
                    raise ValueError(f"unsupported group at {self.pos} in {self.text!r}")
                atom = self.parse(inside=True)
            elif char == "[":
                atom = self.char_class()
            elif char == "\\":
                atom = self.escape()
            elif char == ".":
                atom = _PRINTABLE
            else:
                atom = char if char not in "*+?{" else _raise(self.text)
            low, high = self.quantifier()
            node.alternatives[-1].append((atom if isinstance(atom, _Node) else atom or " ", low, high))
        if inside:
            raise ValueError(f"unclosed group in {self.text!r}")
        return node

    def escape(self) -> str:
        char = self.take()
        if char in _CLASSES:
            return _CLASSES[char]
        if char in _NEGATED:
            return _NEGATED[char]
        if char.isdigit() or char in "bBAZ":
            raise ValueError(f"unsupported escape \\{char} in {self.text!r}")
        return {"n": "\n", "t": "\t"}.get(char, char)

    def char_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chars: list[str] = []
        first = True
        while self.peek() and (self.peek() != "]" or first):
            first = False
            char = self.take()
            if char == "\\":
                chars.extend(self.escape())
            elif self.peek() == "-" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] != "]":
                self.pos += 1
                end = self.take()
                if end == "\\":
                    end = self.escape()
                chars.extend(chr(c) for c in range(ord(char), ord(end) + 1))
            else:
                chars.append(char)
        if self.take() != "]":
            raise ValueError(f"unclosed character class in {self.text!r}")
        if negate:
            return "".join(c for c in _PRINTABLE if c not in chars)
        return "".join(dict.fromkeys(chars))

    def quantifier(self) -> tuple[int, int]:
        char = self.peek()
        bounds = {"?": (0, 1), "*": (0, _UNBOUNDED_EXTRA), "+": (1, 1 + _UNBOUNDED_EXTRA)}
        if char in bounds:
            self.pos += 1
            low, high = bounds[char]
        elif char == "{" and "}" in self.text[self.pos :]:
            end = self.text.index("}", self.pos)
            body = self.text[self.pos + 1 : end]
            lo, comma, hi = body.partition(",")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                return 1, 1  # a literal brace
            self.pos = end + 1
            low = int(lo)
            high = int(hi) if hi else (low + _UNBOUNDED_EXTRA if comma else low)
        else:
            return 1, 1
        if self.peek() == "?":  # lazy: same language
            self.pos += 1
        return low, high


def _raise(pattern: str) -> str:
    raise ValueError(f"nothing to repeat in {pattern!r}")


def _emit(node: _Node, rng: random.Random, out: list[str]) -> None:
    for atom, low, high in rng.choice(node.alternatives):
        for _ in range(rng.randint(low, high)):
            if isinstance(atom, _Node):
                _emit(atom, rng, out)
            else:
                out.append(rng.choice(atom))


def sample(pattern: str, rng: random.Random) -> str:
    """A string matching ``pattern`` from start to end, drawn from ``rng``."""
    out: list[str] = []
    _emit(_Parser(pattern).parse(), rng, out)
    return "".join(out)
