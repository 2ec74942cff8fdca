"""Style (e): an older regional web service speaking SOAP 1.1 (an ``.asmx`` on IIS, or a Java JAX-WS
service) — SIMPATI, DPMPTSP Kabupaten Lumajang. One loopback server serves every ``soap`` package (the
hub rewrites each package's ``base_url`` to the server's URL).

``POST <path>`` (each package's ``local_system.path``), ``Content-Type: text/xml``, HTTP basic auth
(a wrong one: HTTP 401, as IIS answers), the operation named by ``SOAPAction`` and by the Body's element,
in the namespace ``http://simpati.lumajangkab.go.id/ws``:

- ``AjukanPermohonan`` — ``KodeLayanan``, ``IdNasional``, ``TanggalPengajuan``, ``Kanal``, ``Pemohon/NIK``,
  ``Pemohon/Nama``, ``Pemohon/Telepon``, ``Pemohon/Alamat``, ``Usaha/...``; answers
  ``AjukanPermohonanResult/NomorRegistrasi``. It does NOT honour idempotency keys (a resend creates a
  second application) but finds one by its national id. Missing fields or an unknown service: HTTP 500
  with a ``soap:Client`` fault (the record's fault); ``POST /_sandbox/busy`` makes the next answers a
  ``soap:Server`` fault "Server sibuk";
- ``CariPermohonan`` — ``IdNasional``; ``CariPermohonanResult/NomorRegistrasi``, an empty result when none;
- ``AmbilStatus`` — ``KodeLayanan``, ``SetelahUrutan`` (exclusive), ``Jumlah``: the service's
  status changes after that sequence number, in order, as ``AmbilStatusResult/Perubahan``
  (``Urutan``, ``NomorRegistrasi``, ``IdNasional``, ``KodeStatus``, ``Waktu`` ISO 8601 in WIB,
  ``Keterangan``);
- ``AmbilLoket`` — the same paging over the counter (walk-in) applications, as
  ``AmbilLoketResult/Permohonan`` (``Urutan``, ``NomorRegistrasi``, the submitted fields).

Requests are parsed with ``defusedxml`` (a DTD or entity: a ``soap:Client`` fault). Faults, officers,
pace and ``GET /_sandbox/truth`` are the shared machinery (``server.assemble_routes``).
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET  # only to BUILD answers: requests are parsed by defusedxml
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.faults import FaultInjector
from sandbox.http import basic_ok, problem
from sandbox.local.catalogue import Service, _required_fields, load_packages
from sandbox.local.clock import WIB, format_time
from sandbox.local.families import Family
from sandbox.local.mapping import get_dotted, literal
from sandbox.local.officers import StatusLadder
from sandbox.local.paging import Listings
from sandbox.local.server import assemble_routes
from sandbox.local.store import LocalApplication, LocalStore, StatusChange

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NAMESPACE = "http://simpati.lumajangkab.go.id/ws"
MAX_PAGE = 500

# The shape the store and the truth need (reference prefix, zone, discriminator); the answers are below.
SOAP = Family(
    name="soap",
    collection="",
    history="",
    attachments=None,
    inline_attachments=None,
    records_key="",
    discriminator="KodeLayanan",
    reference="NomorRegistrasi",
    national_id="IdNasional",
    channel="Kanal",
    status="KodeStatus",
    created_at="TanggalPengajuan",
    changed_at="Waktu",
    event_id="Urutan",
    note="Keterangan",
    since_param="SetelahUrutan",
    created_since_param="SetelahUrutan",
    since_inclusive=False,
    pagination="cursor",
    size_param="Jumlah",
    zone=WIB,
    reference_prefix="LMJ",
)


def soap_services(packages: list[dict[str, Any]]) -> dict[str, Service]:
    """The ``soap`` packages, by the service code their submit body sends as a literal ``KodeLayanan``."""
    services: dict[str, Service] = {}
    for package in packages:
        local = package.get("local_system", {})
        if local.get("kind") != "soap":
            continue
        code = literal(local["operations"]["submit"]["body"].get(SOAP.discriminator, ""))
        if code is None:
            continue
        if code in services:
            raise ValueError(f"{package['id']} and {services[code].package_id} both use {SOAP.discriminator} {code}")
        services[code] = Service(
            code=code,
            family=SOAP,
            package=package,
            ladder=StatusLadder(local["status_map"]),
            required=_required_fields(package),
            auth_type=str(local["auth"]["type"]),
            walk_in_channel="LOKET" if "walk_ins" in local["operations"] else None,
        )
    return services


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _fields(element: ET.Element) -> dict[str, Any]:
    """A request element's children as nested data by local name (leaves: text)."""
    return {_local(c.tag): (_fields(c) if len(c) else (c.text or "").strip()) for c in element}


def _append(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(child, key, inner)
    elif value is not None:
        child.text = str(value)


def envelope(element: str, content: dict[str, Any]) -> bytes:
    """A SOAP answer: ``<element>`` (in the service's namespace) holding ``content``'s fields."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    answer = ET.SubElement(body, f"{{{NAMESPACE}}}{element}")
    for name, value in content.items():
        _append(answer, name, value)
    encoded: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return encoded


def fault(code: str, message: str) -> Response:
    """A SOAP 1.1 fault, with HTTP 500 as the protocol says."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    node = ET.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(node, "faultcode").text = f"soap:{code}"
    ET.SubElement(node, "faultstring").text = message
    encoded: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _xml(encoded, 500)


def _xml(content: bytes, status: int = 200) -> Response:
    return Response(content, status_code=status, media_type="text/xml; charset=utf-8")


class SoapApi:
    """The web service's one endpoint per path over a shared store, and the busy switch."""

    def __init__(self, store: LocalStore, username: str, password: str, paths: list[str]) -> None:
        self.store, self.username, self.password, self.paths = store, username, password, paths
        self.busy = 0
        self._busy_lock = threading.Lock()

    def routes(self) -> list[BaseRoute]:
        """The endpoint at every served path, and ``POST /_sandbox/busy``."""
        return [
            *(Route(path, self.call, methods=["POST"]) for path in self.paths),
            Route("/_sandbox/busy", self.set_busy, methods=["POST"]),
        ]

    async def call(self, request: Request) -> Response:
        """One SOAP call: authenticated, parsed safely, dispatched by its Body's element."""
        if not basic_ok(request, self.username, self.password):
            response = Response("401 - Unauthorized: Access is denied due to invalid credentials.", status_code=401)
            response.headers["WWW-Authenticate"] = 'Basic realm="simpati"'
            return response
        with self._busy_lock:
            if self.busy > 0:
                self.busy -= 1
                return fault("Server", "Server sibuk, coba lagi")
        try:
            root = SafeET.fromstring(await request.body())
        except (DefusedXmlException, ET.ParseError):
            return fault("Client", "Permintaan bukan XML yang sah")
        body = next((c for c in root if _local(c.tag) == "Body"), None)
        if _local(root.tag) != "Envelope" or body is None or not len(body):
            return fault("Client", "Permintaan bukan amplop SOAP")
        operation, fields = _local(body[0].tag), _fields(body[0])
        action = request.headers.get("soapaction", "").strip('"')
        if not action.endswith(operation):
            return fault("Client", f"SOAPAction tidak sesuai dengan operasi {operation}")
        handlers = {
            "AjukanPermohonan": self.submit,
            "CariPermohonan": self.lookup,
            "AmbilStatus": self.changes,
            "AmbilLoket": self.walk_ins,
        }
        handler = handlers.get(operation)
        if handler is None:
            return fault("Client", f"Operasi {operation} tidak dikenal")
        try:
            return handler(fields)
        except ValueError as exc:
            return fault("Client", str(exc))

    def _service(self, fields: dict[str, Any]) -> Service:
        service = self.store.services.get(str(fields.get(SOAP.discriminator, "")))
        if service is None:
            raise ValueError("Kode layanan tidak dikenal")
        return service

    def submit(self, fields: dict[str, Any]) -> Response:
        """Register an application (no idempotency key: a resend is a second application)."""
        service = self._service(fields)
        missing = [name for name in service.required if get_dotted(fields, name) in (None, "")]
        if missing:
            raise ValueError(f"Data pemohon tidak lengkap: {', '.join(missing)}")
        national_id = str(fields.get(SOAP.national_id) or "") or None
        with self.store.lock:
            if national_id is not None:
                self.store.received[national_id] += 1
            created = self.store.create(service, fields, national_id, fields.get(SOAP.channel) or None)
        result = {"AjukanPermohonanResult": {SOAP.reference: created.reference, "Pesan": "Berhasil"}}
        return _xml(envelope("AjukanPermohonanResponse", result))

    def lookup(self, fields: dict[str, Any]) -> Response:
        """The application with a national id, or an empty result."""
        national_id = str(fields.get(SOAP.national_id, ""))
        if not national_id:
            raise ValueError("IdNasional wajib diisi")
        with self.store.lock:
            found = next((a for a in self.store.applications if a.national_id == national_id), None)
        result = {} if found is None else {SOAP.reference: found.reference, SOAP.status: found.status}
        return _xml(envelope("CariPermohonanResponse", {"CariPermohonanResult": result}))

    def _window(self, fields: dict[str, Any]) -> tuple[int, int]:
        after, size = str(fields.get(SOAP.since_param) or "0"), str(fields.get(SOAP.size_param) or "100")
        if not after.isdigit() or not size.isdigit() or not 1 <= int(size) <= MAX_PAGE:
            raise ValueError(f"SetelahUrutan harus angka, Jumlah 1 sampai {MAX_PAGE}")
        return int(after), int(size)

    def changes(self, fields: dict[str, Any]) -> Response:
        """The service's status changes after a sequence number, in order."""
        service, (after, size) = self._service(fields), self._window(fields)
        with self.store.lock:
            found = [c for c in self.store.changes if c.service is service and c.key > after][:size]
        return _xml(_wrapped("AmbilStatus", [("Perubahan", _change(c)) for c in found]))

    def walk_ins(self, fields: dict[str, Any]) -> Response:
        """The service's counter applications after a sequence number, in order."""
        service, (after, size) = self._service(fields), self._window(fields)
        with self.store.lock:
            found = [a for a in self.store.applications if a.service is service and a.walk_in and a.key > after]
        items = [("Permohonan", _walk_in(a)) for a in found[:size]]
        return _xml(_wrapped("AmbilLoket", items))

    async def set_busy(self, request: Request) -> Response:
        """The next ``n`` calls answer a ``soap:Server`` busy fault."""
        try:
            n = json.loads(await request.body() or b"{}").get("n", 1)
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 10_000:
                raise ValueError("n must be a whole number from 0 to 10000")
        except (ValueError, AttributeError) as exc:
            return problem(400, "Bad control request", str(exc))
        with self._busy_lock:
            self.busy = n
        return JSONResponse({"busy": n})


def _wrapped(operation: str, items: list[tuple[str, Any]]) -> bytes:
    """``<operationResponse><operationResult>`` holding one element per item (an empty result: none)."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    answer = ET.SubElement(body, f"{{{NAMESPACE}}}{operation}Response")
    result = ET.SubElement(answer, f"{{{NAMESPACE}}}{operation}Result")
    for name, value in items:
        _append(result, name, value)
    encoded: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return encoded


def _change(change: StatusChange) -> dict[str, Any]:
    return {
        SOAP.event_id: change.key,
        SOAP.reference: change.reference,
        SOAP.national_id: change.national_id or "",
        SOAP.status: change.status,
        SOAP.changed_at: format_time(change.changed_at, WIB),
        SOAP.note: change.note,
    }


def _walk_in(application: LocalApplication) -> dict[str, Any]:
    return {SOAP.event_id: application.key, SOAP.reference: application.reference, **application.body}


def create_app(
    username: str = "sandbox",
    password: str = "sandbox-password",  # noqa: S107 - the sandbox's documented loopback credential
    seed: int = 0,
    fault_config: dict[str, Any] | None = None,
    officer_interval_s: float | None = None,
    packages: list[dict[str, Any]] | None = None,
) -> FaultInjector:
    """The style (e) server for ``packages`` (default: the sample registry's soap packages)."""
    services = soap_services(load_packages() if packages is None else packages)
    paths = sorted({s.package["local_system"]["path"] for s in services.values()}) or ["/ws/PelayananService.asmx"]
    store = LocalStore(services, seed)

    def build(listings: Listings) -> list[BaseRoute]:
        return SoapApi(store, username, password, paths).routes()

    return assemble_routes(build, store, fault_config, officer_interval_s)
