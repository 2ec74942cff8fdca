"""Reading JSON request bodies safely, and the problem response for contract violations."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.http import problem
from sandbox.national.errors import Invalid, Issue

MAX_BODY_BYTES = 8 * 1024 * 1024
VALIDATION_PROBLEM = "https://mpphub.go.id/problems/validation"
_TITLES = {400: "Bad Request", 413: "Content Too Large", 422: "Unprocessable Content"}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unreadable(message: str) -> Invalid:
    return Invalid(400, [Issue("body", "$", message)])


async def read_json(request: Request) -> Any:
    """The body as JSON: 413 when too large, 400 when it is not (strict) JSON in UTF-8."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Invalid(413, [Issue("body", "$", f"is larger than {MAX_BODY_BYTES} bytes")])
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise Invalid(413, [Issue("body", "$", f"is larger than {MAX_BODY_BYTES} bytes")])
    if not raw.strip():
        raise _unreadable("is empty; a JSON body is required")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # refuses unpaired surrogates before SQLite sees them
    except RecursionError:
        raise _unreadable("is nested too deeply") from None
    except UnicodeError:
        raise _unreadable("is not valid UTF-8 text") from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _unreadable(f"is not valid JSON{where}") from None
    return body


def validation_problem(exc: Invalid) -> JSONResponse:
    """400/413/422 problem with every issue (paths, value-free messages)."""
    issues = exc.issues[:50]
    summary = "; ".join(f"{i.path}: {i.message}" for i in issues[:5])
    more = f" (and {len(exc.issues) - 5} more)" if len(exc.issues) > 5 else ""
    return problem(
        exc.status,
        _TITLES.get(exc.status, "Bad Request"),
        f"{len(exc.issues)} problem(s): {summary}{more}",
        type=VALIDATION_PROBLEM,
        errors=[i.to_dict() for i in issues],
    )
