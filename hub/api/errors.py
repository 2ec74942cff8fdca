"""Errors of the hub API: always ``{"error": "..."}`` with a fitting status, never the request's values."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.api.models import ErrorBody

log = logging.getLogger("mpphub.api")


class ApiError(Exception):
    """An error answer: HTTP status and message (and, for publish, the validator's problems)."""

    def __init__(self, status: int, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems


def _body(message: str, problems: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"error": message} if problems is None else {"error": message, "problems": problems}


def _validation_message(exc: RequestValidationError) -> str:
    """Where the input is wrong and which rule it breaks — the locations and pydantic's rule text only."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the JSON error body."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(_body(exc.message, exc.problems), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body(_validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "not found", 405: "method not allowed"}
        message = messages.get(exc.status_code, str(exc.detail) if exc.status_code < 500 else "internal error")
        return JSONResponse(_body(message), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s in the API", type(exc).__name__)  # the type only: messages may hold data
        return JSONResponse(_body("internal error"), status_code=500)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "the token's role or region may not do this"},
    422: {"model": ErrorBody, "description": "invalid input"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "not found"}}
