"""The ``national`` connector: the client of ``schemas/national-api.openapi.json``."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from requests.auth import AuthBase

from connectors.auth import HeaderAuth
from connectors.errors import FatalError, LostReply, RecordError
from connectors.http import HttpClient, UrlPolicy, json_body

MAX_EVENTS_PER_BATCH = 500


@dataclass(frozen=True)
class ApplicationPage:
    """One page of a region's feed of new applications."""

    items: list[dict[str, Any]]  # ApplicationRecord: {"application": envelope, "form": {...}}
    next_cursor: str
    has_more: bool


class NationalClient:
    """Talks to the national MPP Digital layer (or its sandbox) with a bearer token."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0, url_policy: UrlPolicy | None = None) -> None:
        auth: AuthBase = HeaderAuth("Authorization", f"Bearer {token}")
        self.http = HttpClient(base_url, auth=auth, timeout=timeout, url_policy=url_policy)

    def clone(self) -> NationalClient:
        """The same client on its own HTTP session (for a worker thread)."""
        twin = copy.copy(self)
        twin.http = self.http.clone()
        return twin

    def publish(self, package: dict[str, Any]) -> str:
        """Put one package version in the national catalogue (idempotent); returns 'created' or 'unchanged'.
        Only the citizen-facing parts leave the hub: never ``local_system``."""
        region, _, slug = package["id"].partition("/")
        body = {k: package[k] for k in ("id", "version", "region", "service", "form")}
        try:
            response = self.http.request(
                "PUT", f"/catalogue/{region}/{slug}/versions/{package['version']}", json=body, write=True
            )
        except RecordError as exc:
            raise FatalError(f"the national catalogue refused {package['id']} {package['version']}: {exc}") from None
        return "created" if response.status_code == 201 else "unchanged"

    def new_applications(
        self, region: str, service_id: str | None, cursor: str | None, limit: int = 100
    ) -> ApplicationPage:
        """The next page of new applications of one service, or of all the region's (``service_id`` None)."""
        params: dict[str, Any] = {"limit": limit}
        if service_id is not None:
            params["service_id"] = service_id
        if cursor:
            params["cursor"] = cursor
        body = json_body(self.http.request("GET", f"/regions/{region}/applications", params=params))
        return ApplicationPage(body["items"], body["next_cursor"], bool(body["has_more"]))

    def acknowledge(self, application_id: str, local_reference: str) -> None:
        """Tell the national layer where the application now lives (idempotent)."""
        self.http.request(
            "PUT",
            f"/applications/{application_id}/acknowledgement",
            json={"local_reference": local_reference},
            write=True,
        )

    def register_walk_in(self, registration: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Register a counter application nationally (idempotent); returns its national envelope."""
        response = self.http.request(
            "POST", "/walk-ins", json=registration, headers={"Idempotency-Key": idempotency_key}, write=True
        )
        body = json_body(response, write=True)
        envelope = body.get("application") if isinstance(body, dict) else None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("id"), str):
            # the write may have happened: retry with the same idempotency key, which the contract honours
            raise LostReply("national layer: walk-in answer without an application object", write=True)
        return envelope

    def push_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Push one batch of status events; returns one result per event, in order."""
        if len(events) > MAX_EVENTS_PER_BATCH:
            raise ValueError(f"at most {MAX_EVENTS_PER_BATCH} events per batch")
        body = json_body(self.http.request("POST", "/status-events", json={"events": events}, write=True), write=True)
        results = body.get("results") if isinstance(body, dict) else None
        if (
            not isinstance(results, list)
            or len(results) != len(events)
            or not all(isinstance(r, dict) for r in results)
        ):
            raise LostReply("national layer: status-event answer without one result per event", write=True)
        return results

    def application(self, application_id: str) -> dict[str, Any]:
        """One application with its status history."""
        body: dict[str, Any] = json_body(self.http.request("GET", f"/applications/{application_id}"))
        return body

    def waiting_counts(self, region: str | None = None) -> dict[str, Any]:
        """``WaitingCounts``: per service, citizens' applications not yet acknowledged (every region, or one)."""
        params = {"region": region} if region else None
        body: dict[str, Any] = json_body(self.http.request("GET", "/waiting-counts", params=params))
        return body

    def reconciliation(self, region: str, day_from: str, day_to: str, service_id: str | None = None) -> dict[str, Any]:
        """Per-(service, day) counts and checksums of a region."""
        params = {"region": region, "from": day_from, "to": day_to}
        if service_id:
            params["service_id"] = service_id
        body: dict[str, Any] = json_body(self.http.request("GET", "/reconciliation", params=params))
        return body
