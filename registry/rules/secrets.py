"""No literal secrets: a package is public and versioned, so credentials live in a secret store and the
package names them with ``secret_ref`` (or ``*_ref``).

A ``soap`` package's operation names (``action``, ``element``, ``cursor.param``, ``size_param``) are
XML names such as ``GetPermohonanStatusByNomor``: long, mixed-case, and so as "random" as a token by
entropy alone. There the identifier-like parts (CamelCase words, letters only) are set aside and only
the rest is judged: a token with digits, base64 or hex in such a field is still a secret."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from registry.rules.access import as_dict, strings
from registry.rules.context import Finding, PackageContext

CREDENTIAL_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|apikey|client[_-]?secret|access[_-]?key|private[_-]?key"
    r"|authorization|credential|bearer|cookie",
    re.IGNORECASE,
)
_REF_KEY = re.compile(r"(^|_)ref$")
# ``token_url``, ``auth_url``: the key names an endpoint, not a credential (its URL is still checked below)
_URL_KEY = re.compile(r"(^|_)url$", re.IGNORECASE)
_MIN_SECRET_LENGTH = 20
_MIN_ENTROPY_BITS = 3.5
# JMESPath literals: 'raw string' and `json literal`.
_JMESPATH_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`")
_SEARCHED = ("auth", "operations", "base_url", "tables", "connection_ref")
# Keys whose values (or whose children's values) are JMESPath expressions, not literal strings.
_EXPRESSION_KEYS = {
    "body",
    "columns",
    "form",
    "fields",
    "records_path",
    "reference_path",
    "next_cursor_path",
    "field",
    "body_path",
}
# Where a soap operation names an XML element or its SOAPAction (below local_system.operations.<op>).
_SOAP_NAME_FIELDS = {("action",), ("element",), ("size_param",), ("cursor", "param")}
# The parts of a SOAPAction or an element name judged one by one: a URI's segments (a name is one).
_NAME_SEGMENT = re.compile(r"[^:/#.?=&]+")
# One word of an identifier: an acronym before a Capitalised word or the end (``NIK`` in ``NIKStatus``),
# or a (Capitalised) lowercase word.
_IDENTIFIER = re.compile(r"(?:[A-Z]{2,8}(?=[A-Z][a-z]|[_-]|$)|[A-Z]?[a-z]++|[_-])+")
_WORD = re.compile(r"[A-Z]{2,8}(?=[A-Z][a-z]|[_-]|$)|[A-Z]?[a-z]++")
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
_MIN_MEAN_WORD = 3  # letters per word: a random mixed-case string splits into one- and two-letter "words"
_ADVICE = "store it in Airflow Connections or an environment variable and name it with secret_ref"


def shannon_entropy(text: str) -> float:
    """Bits per character: ~4+ for random tokens, under 3.5 for words and paths."""
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(text: str) -> bool:
    """A long, high-entropy string without spaces: the shape of an API key or token."""
    token = text.strip()
    if len(token) < _MIN_SECRET_LENGTH or " " in token or "{" in token:
        return False
    classes = sum(bool(re.search(p, token)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 2 and shannon_entropy(token) >= _MIN_ENTROPY_BITS


def identifier_like(text: str) -> bool:
    """Whether ``text`` reads as a CamelCase (or snake_case) identifier made of words, letters only:
    ``GetPermohonanStatusByNomor``, ``getNIKStatus``, ``Ambil_Status``; not ``hTqXbVzPwLrKsMnJdFgA``
    (words of one or two letters, without vowels) nor anything with a digit."""
    if not _IDENTIFIER.fullmatch(text):
        return False
    words = _WORD.findall(text)
    if not words or sum(map(len, words)) < _MIN_MEAN_WORD * len(words):
        return False
    # an acronym (all capitals) need not have a vowel; a word does
    return all(word.isupper() or _VOWEL.search(word) for word in words)


def _without_identifiers(value: str) -> str:
    """``value`` with its identifier-like segments taken out: what is left is judged as before."""
    return _NAME_SEGMENT.sub(lambda m: "" if identifier_like(m.group(0)) else m.group(0), value)


def _is_soap_name(path: tuple[str | int, ...]) -> bool:
    """Whether ``path`` is a soap operation's ``action``, ``element``, ``size_param`` or ``cursor.param``."""
    return len(path) >= 4 and path[:2] == ("local_system", "operations") and tuple(path[3:]) in _SOAP_NAME_FIELDS


def check_no_literal_secrets(ctx: PackageContext) -> Iterator[Finding]:
    """Credential-like keys with values, high-entropy strings and credentials inside URLs."""
    local = as_dict(ctx.doc.get("local_system"))
    soap = local.get("kind") == "soap"
    for key in _SEARCHED:
        if key not in local:
            continue
        base = ("local_system", key)
        items = (
            [(base, key, local[key])]
            if isinstance(local[key], str)
            else [((*base, *sub), k, v) for sub, k, v in strings(local[key])]
        )
        for path, name, value in items:
            if path == ("local_system", "auth", "type") and value in _auth_types():
                continue  # a documented auth kind (``oauth2_client_credentials``), not a token
            is_expression = any(part in _EXPRESSION_KEYS for part in path[:-1]) or name in _EXPRESSION_KEYS
            message = secret_problem(str(name), value, is_expression, soap and _is_soap_name(path))
            if message:
                yield Finding(path, message)


@lru_cache(maxsize=1)
def _auth_types() -> frozenset[str]:
    """The auth kinds the package schema documents (``none``... ``oauth2_client_credentials``)."""
    from registry.schemas import package_schema

    auth = package_schema()["$defs"]["auth"]["properties"]["type"]["enum"]
    return frozenset(str(kind) for kind in auth)


@lru_cache(maxsize=4096)
def is_credential_key(key: str) -> bool:
    """A key whose value would be a credential (``password``, ``api_key``...), not a ``*_ref`` name nor
    an endpoint's ``*_url`` (``token_url``)."""
    return bool(key) and not _REF_KEY.search(key) and not _URL_KEY.search(key) and bool(CREDENTIAL_KEY.search(key))


@lru_cache(maxsize=16384)
def secret_problem(key: str, value: str, is_expression: bool = False, is_soap_name: bool = False) -> str | None:
    """Why ``value`` under ``key`` looks like a literal credential, or None. Cached: values recur.

    A JMESPath expression (``is_expression``) is judged by its quoted literals only: field paths such
    as ``data[0].application_no`` are names, not secrets. A soap operation's XML name or SOAPAction
    (``is_soap_name``) is judged without its identifier-like segments (``GetPermohonanStatusByNomor``)."""
    if is_credential_key(key) and value.strip():
        return f"'{key}' holds a literal credential; {_ADVICE}"
    if len(value) < _MIN_SECRET_LENGTH or _REF_KEY.search(key):  # too short for a token; or a secret's name
        return None
    if "://" in value:
        try:
            parts = urlsplit(value.strip())
        except ValueError:  # not a URL after all; the schema and endpoint rules say so
            return None
        if parts.username or parts.password:
            return f"the URL carries a user name or password; {_ADVICE}"
        for name, param in parse_qsl(parts.query):
            if CREDENTIAL_KEY.search(name) or looks_random(param):
                return f"the URL's query parameter '{name}' looks like a credential; {_ADVICE}"
        return None
    if is_soap_name:
        value = _without_identifiers(value)
    literals = [a or b for a, b in _JMESPATH_LITERAL.findall(value)]
    if not is_expression:
        literals = literals or [value]
    if any(looks_random(text) for text in literals):
        return f"this value looks like a secret (a long random string); {_ADVICE}"
    return None
