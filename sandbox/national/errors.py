"""Domain errors of the national layer; ``app`` turns each into an RFC 9457 problem response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One validation problem: where (``in`` and a JSON path) and what, never the submitted value."""

    location: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The ``ValidationIssue`` of the contract."""
        return {"in": self.location, "path": self.path, "message": self.message}


class NationalError(Exception):
    """Base of the errors a request can end with."""

    status = 500
    title = "Internal Server Error"
    problem_type = "about:blank"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(NationalError):
    """No such resource (404)."""

    status = 404
    title = "Not Found"


class Conflict(NationalError):
    """The write contradicts what is stored (409); ``extra['conflict']`` says what is there."""

    status = 409
    title = "Conflict"
    problem_type = "https://mpphub.go.id/problems/conflict"


@dataclass
class Invalid(Exception):
    """The request does not match the contract: 400 for parameters and unreadable bodies, 422 for bodies."""

    status: int
    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{i.path}: {i.message}" for i in self.issues)
