"""The HTTP API of one REST family (``families``), shared by the simulated REST systems: submit, list /
look up / walk-ins, status changes, attachments. Field names, pagination and error conventions come
from the ``Family``; which services exist (and their required fields) from the packages."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.http import problem
from sandbox.local.attachments import decode_inline, parse_multipart
from sandbox.local.catalogue import Service
from sandbox.local.clock import parse_time
from sandbox.local.families import Family
from sandbox.local.mapping import get_dotted
from sandbox.local.paging import BadToken, Listings
from sandbox.local.rest_responses import Forbidden, Invalid, application_record, change_record, page_response
from sandbox.local.store import LocalStore

# The service codes the caller's credentials may use, or the refusal to send (401).
Authorize = Callable[[Request], "set[str] | Response"]
IDEMPOTENCY_HEADER = "Idempotency-Key"


class FamilyApi:
    """Routes of one family over a shared store."""

    def __init__(self, family: Family, store: LocalStore, listings: Listings, authorize: Authorize) -> None:
        self.family = family
        self.store = store
        self.listings = listings
        self.authorize = authorize
        self.services = {code: s for code, s in store.services.items() if s.family is family}

    def routes(self) -> list[Route]:
        """The family's endpoints."""
        family = self.family
        routes = [
            Route(family.collection, self.submit, methods=["POST"]),
            Route(family.collection, self.list_applications, methods=["GET"]),
            Route(family.history, self.list_changes, methods=["GET"]),
        ]
        if family.attachments:
            routes.append(
                Route(f"{family.collection}/{{reference}}/{family.attachments}", self.upload, methods=["POST"])
            )
        return routes

    async def _guard(self, request: Request, handler: Callable[[set[str]], Any]) -> Response:
        allowed = self.authorize(request)
        if isinstance(allowed, Response):
            return allowed
        try:
            result: Response = await handler(allowed)
        except Invalid as exc:
            return problem(self.family.invalid_status, "Invalid request", str(exc), **exc.extra)
        except BadToken as exc:
            return problem(self.family.invalid_status, "Invalid cursor", str(exc))
        except Forbidden as exc:
            return problem(403, "Forbidden", str(exc))
        return result

    async def submit(self, request: Request) -> Response:
        """Create an application (POST collection)."""

        async def handle(allowed: set[str]) -> Response:
            try:
                body = await request.json()
            except ValueError:
                raise Invalid("the body is not JSON") from None
            if not isinstance(body, dict):
                raise Invalid("the body must be a JSON object")
            service = self._service(body.get(self.family.discriminator))
            if service.code not in allowed:
                raise Forbidden(f"these credentials may not use {service.code}")
            missing = [name for name in service.required if get_dotted(body, name) in (None, "", [], {})]
            if missing:
                raise Invalid(f"required fields missing: {', '.join(missing)}", fields=missing)
            fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            attachments = []
            field = self.family.inline_attachments
            if field:
                try:
                    attachments = decode_inline(body.pop(field, None), field)
                except ValueError as exc:
                    raise Invalid(str(exc)) from None
            return self._create(request, service, body, fingerprint, attachments)

        return await self._guard(request, handle)

    def _create(
        self, request: Request, service: Service, body: dict[str, Any], fingerprint: str, attachments: list[Any]
    ) -> Response:
        family, store = self.family, self.store
        national_id = _text(body.get(family.national_id))
        idempotency = service.package["local_system"]["idempotency"]
        honoured = family.idempotent and idempotency["strategy"] == "key_header"
        key = request.headers.get(idempotency.get("header", IDEMPOTENCY_HEADER)) if honoured else None
        with store.lock:  # check, create and remember atomically: a concurrent retry must not slip between
            if national_id is not None:
                store.received[national_id] += 1
            if key is not None and key in store.idempotency:
                seen_fingerprint, status, payload = store.idempotency[key]
                if seen_fingerprint != fingerprint:
                    raise Invalid("the idempotency key was already used for a different request")
                store.replayed += 1
                return JSONResponse(payload, status, headers={"Idempotent-Replayed": "true"})
            created = store.create(service, body, national_id, _text(body.get(family.channel)), attachments=attachments)
            payload = {family.records_key: application_record(family, created)}
            if family.acknowledgement:  # the Indonesian systems wrap answers in status/pesan
                payload = {"status": "sukses", "pesan": family.acknowledgement, **payload}
            if key is not None:
                store.idempotency[key] = (fingerprint, 201, payload)
        return JSONResponse(payload, 201)

    async def list_applications(self, request: Request) -> Response:
        """List applications: look-up by national id, walk-ins (channel filter), or everything."""

        async def handle(allowed: set[str]) -> Response:
            query, family = request.query_params, self.family
            codes = self._codes(query.get(family.discriminator), allowed)
            since = self._time(query.get(family.created_since_param))
            national_id, channel = query.get(family.national_id), query.get(family.channel)
            with self.store.lock:
                found = [
                    a
                    for a in self.store.applications
                    if a.service.code in codes
                    and (national_id is None or a.national_id == national_id)
                    and (channel is None or a.channel == channel)
                    and (since is None or a.created_at >= since)
                ]
            return page_response(request, self.family, self.listings, found, partial(application_record, self.family))

        return await self._guard(request, handle)

    async def list_changes(self, request: Request) -> Response:
        """Status changes since a time, in event order."""

        async def handle(allowed: set[str]) -> Response:
            query, family = request.query_params, self.family
            codes = self._codes(query.get(family.discriminator), allowed)
            since = self._time(query.get(family.since_param))
            with self.store.lock:
                found = [
                    c
                    for c in self.store.changes
                    if c.service.code in codes
                    and (since is None or c.changed_at > since or (family.since_inclusive and c.changed_at == since))
                ]
            return page_response(request, self.family, self.listings, found, partial(change_record, self.family))

        return await self._guard(request, handle)

    async def upload(self, request: Request) -> Response:
        """Receive one multipart file for an application (not idempotent: a resend is a second file)."""

        async def handle(allowed: set[str]) -> Response:
            application = self.store.by_reference.get(request.path_params["reference"])
            if application is None or application.service.code not in self.services:
                return problem(404, "Not Found", "no such application")
            if application.service.code not in allowed:
                raise Forbidden(f"these credentials may not use {application.service.code}")
            try:
                files = parse_multipart(request.headers.get("content-type", ""), await request.body())
            except ValueError as exc:
                raise Invalid(str(exc)) from None
            with self.store.lock:
                for _, meta in files:
                    meta["document_id"] = sum(len(a.attachments) for a in self.store.applications) + 1
                    application.attachments.append(meta)
            return JSONResponse({self.family.records_key: [meta for _, meta in files]}, 201)

        return await self._guard(request, handle)

    def _service(self, code: Any) -> Service:
        service = self.services.get(code) if isinstance(code, str) else None
        if service is None:
            raise Invalid(f"unknown or missing {self.family.discriminator}")
        return service

    def _codes(self, code: str | None, allowed: set[str]) -> set[str]:
        if code is None:
            return set(self.services) & allowed
        if code not in self.services:
            raise Invalid(f"unknown {self.family.discriminator}")
        if code not in allowed:
            raise Forbidden(f"these credentials may not use {code}")
        return {code}

    def _time(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_time(value, self.family.zone)
        except ValueError:
            raise Invalid("a time parameter is not an ISO 8601 timestamp") from None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
