"""Style (d): the regional PHP style — form posts, every answer HTTP 200 with a ``status`` envelope, local
``dd-mm-yyyy HH:MM:SS`` times, the API key in the query, one status feed for every service of the region
(SIPINTER, DPMPTSP Kabupaten Jember). One loopback server serves every package of this shape (the hub
rewrites each package's ``base_url`` to the server's URL).

Every answer is ``{"status": true|false, "message": ..., "data": ...}`` with HTTP 200, errors included:

- ``POST /permohonan/simpan?api_key=`` — ``application/x-www-form-urlencoded`` with bracket names
  (``kode_layanan``, ``id_permohonan``, ``pemohon[nik]``, ``pemohon[nama]``, ``pemohon[hp]``, ``data[...]``);
  ``{"status": true, "message": "Berhasil", "data": {"no_registrasi": ...}}``. It IGNORES idempotency keys
  (a resend creates a second application). Refusals, in this order: "API key tidak valid"; "Server sibuk,
  coba lagi" (``POST /_sandbox/busy``); "Data pemohon tidak lengkap: <names>" (a JSON body reads as an
  empty ``$_POST``); "Kode layanan tidak dikenal"; "No. HP pemohon harus diawali 08" (``pemohon[hp]``
  such as ``+62812...``: the national form allows it, this system does not);
- ``GET /permohonan/cari?api_key=&id_permohonan=`` — found: ``data.no_registrasi``; not found:
  ``{"status": true, "message": "Data tidak ditemukan", "data": null}``; busy: ``status`` false, never
  the shape of "not found";
- ``GET /permohonan/riwayat?api_key=&sejak=dd-mm-yyyy HH:MM:SS&page=N[&limit=][&layanan=]`` — status
  changes (``id_log``, ``kode_layanan``, ``no_registrasi``, ``id_permohonan``, ``status``, ``waktu``,
  ``keterangan``), times in WIB to the second, ``sejak`` inclusive; ``data: {"rows", "total_page"}``.
  With ``layanan`` one service's changes; without it ONE feed for every service of the region, each row
  naming its service code.

No walk-ins. Faults, officers, pace and ``GET /_sandbox/truth`` are the shared machinery
(``server.assemble_routes``); ``POST /_sandbox/busy`` ``{"n": 1, "operation": "submit"|"lookup"|"feed"|null}``
makes the next ``n`` such requests answer busy.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import FaultInjector
from sandbox.http import problem
from sandbox.local.catalogue import Service, load_packages, services_for
from sandbox.local.clock import WIB
from sandbox.local.families import Family
from sandbox.local.paging import Listings, by_page_number
from sandbox.local.server import assemble_routes
from sandbox.local.store import LocalStore, StatusChange

DATE_FORMAT = "%d-%m-%Y %H:%M:%S"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 25, 100
BUSY, WRONG_KEY = "Server sibuk, coba lagi", "API key tidak valid"
PHONE_FIELD, PHONE_PREFIX = "pemohon[hp]", "08"
OPERATIONS = ("submit", "lookup", "feed")
FORM_TYPE = "application/x-www-form-urlencoded"

# The shape the store and the catalogue need (reference prefix, zone, submit path, discriminator); the
# answers themselves are written below, not by rest_responses.
FORM = Family(
    name="form",
    collection="/permohonan/simpan",
    history="/permohonan/riwayat",
    attachments=None,
    inline_attachments=None,
    records_key="data",
    discriminator="kode_layanan",
    reference="no_registrasi",
    national_id="id_permohonan",
    channel="kanal",
    status="status",
    created_at="waktu",
    changed_at="waktu",
    event_id="id_log",
    note="keterangan",
    since_param="sejak",
    created_since_param="sejak",
    since_inclusive=True,
    pagination="page",
    page_param="page",
    size_param="limit",
    invalid_status=200,
    zone=WIB,
    reference_prefix="JBR",
)


def local_time(moment: datetime) -> str:
    """``moment`` as this style writes it: dd-mm-yyyy HH:MM:SS on the WIB clock."""
    return moment.astimezone(FORM.zone).strftime(DATE_FORMAT)


def _answer(status: bool, message: str, data: Any = None) -> JSONResponse:
    """Every answer of this style: HTTP 200 and the envelope."""
    return JSONResponse({"status": status, "message": message, "data": data})


class FormApi:
    """The three endpoints over a shared store, and the busy switch."""

    def __init__(self, store: LocalStore, listings: Listings, api_key: str, key_params: list[str]) -> None:
        self.store, self.listings = store, listings
        self.api_key, self.key_params = api_key, key_params
        self.busy: dict[str | None, int] = {}  # operation (None: any) -> busy answers still to give
        self._busy_lock = threading.Lock()

    def routes(self) -> list[BaseRoute]:
        """The API's routes."""
        return [
            Route(FORM.collection, self.submit, methods=["POST"]),
            Route("/permohonan/cari", self.lookup, methods=["GET"]),
            Route(FORM.history, self.feed, methods=["GET"]),
        ]

    def control(self) -> list[BaseRoute]:
        """``POST /_sandbox/busy``."""
        return [Route("/_sandbox/busy", self.set_busy, methods=["POST"])]

    def _refusal(self, request: Request, operation: str) -> Response | None:
        """The wrong-key or busy answer this request gets, if any (the key is checked first, as PHP does)."""
        given = [request.query_params.get(p, "") for p in self.key_params]
        if not any(hmac.compare_digest(g.encode(), self.api_key.encode()) for g in given):
            return _answer(False, WRONG_KEY)
        with self._busy_lock:
            for key in (operation, None):
                if self.busy.get(key, 0) > 0:
                    self.busy[key] -= 1
                    return _answer(False, BUSY)
        return None

    async def submit(self, request: Request) -> Response:
        """Create an application from a form post."""
        refused = self._refusal(request, "submit")
        if refused is not None:
            return refused
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        # PHP fills $_POST only from a form: any other body reads as no fields at all
        fields = dict(parse_qsl(raw.decode("utf-8", "replace"))) if content_type == FORM_TYPE else {}
        service = self.store.services.get(fields.get(FORM.discriminator, ""))
        if service is None:
            if not fields:
                return _answer(False, f"Data pemohon tidak lengkap: {FORM.discriminator}")
            return _answer(False, "Kode layanan tidak dikenal")
        missing = [name for name in service.required if not fields.get(name)]
        if missing:
            return _answer(False, f"Data pemohon tidak lengkap: {', '.join(missing)}")
        if PHONE_FIELD in fields and not fields[PHONE_FIELD].startswith(PHONE_PREFIX):
            return _answer(False, "No. HP pemohon harus diawali 08")
        national_id = fields.get(FORM.national_id) or None
        with self.store.lock:
            if national_id is not None:
                self.store.received[national_id] += 1
            created = self.store.create(service, fields, national_id, fields.get(FORM.channel))
        return _answer(True, "Berhasil", {FORM.reference: created.reference})

    async def lookup(self, request: Request) -> Response:
        """Find an application by its national id."""
        refused = self._refusal(request, "lookup")
        if refused is not None:
            return refused
        national_id = request.query_params.get(FORM.national_id, "")
        if not national_id:
            return _answer(False, f"Parameter {FORM.national_id} wajib diisi")
        with self.store.lock:
            found = [a for a in self.store.applications if a.national_id == national_id]
        if not found:
            return _answer(True, "Data tidak ditemukan")
        first = found[0]
        data = {FORM.reference: first.reference, FORM.status: first.status, "kode_layanan": first.service.code}
        return _answer(True, "Data ditemukan", data)

    async def feed(self, request: Request) -> Response:
        """Status changes since ``sejak``: one service's (``layanan``) or the whole region's."""
        refused = self._refusal(request, "feed")
        if refused is not None:
            return refused
        query = request.query_params
        code = query.get("layanan")
        if code is not None and code not in self.store.services:
            return _answer(False, "Kode layanan tidak dikenal")
        try:
            since = (
                datetime.strptime(query["sejak"], DATE_FORMAT).replace(tzinfo=FORM.zone) if "sejak" in query else None
            )
            page = _whole(query.get(FORM.page_param), 1)
            size = min(_whole(query.get(FORM.size_param), DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        except ValueError:
            return _answer(False, "Parameter tidak valid: sejak dd-mm-yyyy HH:MM:SS, page dan limit angka")
        with self.store.lock:
            # inclusive, and to the second: the feed writes seconds, so a cursor read back must not skip the
            # rest of its second (the hub drops what it has already seen)
            found = [
                c
                for c in self.store.changes
                if (code is None or c.service.code == code)
                and (since is None or c.changed_at.replace(microsecond=0) >= since)
            ]
        listing = f"{request.url.path}?{sorted((k, v) for k, v in query.multi_items() if k != FORM.page_param)}"
        rows, total = by_page_number(self.listings, listing, found, page - 1, size, page == 1)
        data = {"rows": [_row(c) for c in rows], "total_page": math.ceil(total / size)}
        return _answer(True, "OK", data)

    async def set_busy(self, request: Request) -> Response:
        """The next ``n`` requests of ``operation`` (any, when null) answer busy."""
        try:
            body = json.loads(await request.body() or b"{}")
            n, operation = body.get("n", 1), body.get("operation")
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 10_000:
                raise ValueError("n must be a whole number from 0 to 10000")
            if operation is not None and operation not in OPERATIONS:
                raise ValueError(f"operation must be one of {', '.join(OPERATIONS)} or null")
        except (ValueError, AttributeError) as exc:
            return problem(400, "Bad control request", str(exc))
        with self._busy_lock:
            self.busy[operation] = n
            pending = {str(k): v for k, v in self.busy.items()}
        return JSONResponse({"busy": pending})


def _row(change: StatusChange) -> dict[str, Any]:
    return {
        FORM.event_id: change.key,
        "kode_layanan": change.service.code,
        FORM.reference: change.reference,
        FORM.national_id: change.national_id,
        FORM.status: change.status,
        "waktu": local_time(change.changed_at),
        FORM.note: change.note,
    }


def _whole(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(value)
    return int(value)


def form_services(packages: list[dict[str, Any]]) -> dict[str, Service]:
    """The packages of this style (submit to ``/permohonan/simpan`` with a literal ``kode_layanan``)."""
    return services_for(FORM, packages)


def create_app(
    api_key: str = "sandbox-api-key",
    seed: int = 0,
    fault_config: dict[str, Any] | None = None,
    officer_interval_s: float | None = None,
    packages: list[dict[str, Any]] | None = None,
) -> FaultInjector:
    """The style (d) server for ``packages`` (default: the sample registry's packages of this style)."""
    services = form_services(load_packages() if packages is None else packages)
    auths = [s.package["local_system"]["auth"] for s in services.values()]
    key_params = sorted({a["name"] for a in auths if a["type"] == "api_key" and a.get("in") == "query"}) or ["api_key"]
    store = LocalStore(services, seed)

    def build(listings: Listings) -> list[BaseRoute]:
        api = FormApi(store, listings, api_key, key_params)
        return [*api.routes(), *api.control()]

    return assemble_routes(build, store, fault_config, officer_interval_s)
