"""The ``soap`` connector kind: a SOAP 1.1 local system (XML over HTTP), the shape of many older regional
.NET (``.asmx``) and Java web services.

Every operation is one ``POST base_url + path`` with ``Content-Type: text/xml`` and its ``SOAPAction``
header; the request is ``<Envelope><Body><element xmlns=namespace>`` holding the fields of the operation's
``body`` mapping (JMESPath, ``connectors/mapping.py``). An answer's Body is read as plain data — each
element by its local name, repeated elements as a list, leaves as text — and the package's paths
(``reference_path``, ``records_path``, ``fields``) are JMESPath below the response element
(``AjukanPermohonanResponse``). The HTTP side is the REST kind's ``HttpClient`` (auth, host policy,
retries and classification, ``errors`` rules, size limit). A SOAP ``Fault`` is classified by the
package's ``errors`` rules first — ``fault_code: Client`` matches the fault's ``faultcode`` whatever
namespace prefix the system writes (``soap:Client``, ``SOAP-ENV:Client``) and its dotted subcodes
(``Client.Duplicate``) —; else one inside a 2xx answer is a refusal (a write's record error, a read's
fatal error) and one with HTTP 500 (as SOAP 1.1 sends them) is busy, as any 5xx. Either way the error
says the fault's ``faultcode`` and ``faultstring`` (``SOAP fault soap:Server: Server sibuk``), NIK- and
phone-like numbers masked: a faultstring may echo the request.

Answers are parsed with ``defusedxml``: a DTD, an entity declaration or an external reference is
refused before anything is expanded (no XXE, no billion laughs). Feeds page by cursor: each request asks
for the records after the last cursor value seen, ``page_size`` at a time, in cursor order (as the
``sql`` kind reads its tables), so a sequence number is the cursor to declare.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only to BUILD requests: answers are parsed by defusedxml
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Self

import defusedxml.ElementTree as SafeET
import requests
from defusedxml import DefusedXmlException

from connectors.errors import FatalError, LostReply, RecordError, UnusableAnswer
from connectors.http import AnswerDetail, UrlPolicy
from connectors.local_connector import Files, UploadLog, WiringInputs
from connectors.mapping import build_object, search
from connectors.masking import scrub_text
from connectors.operations_connector import OperationsConnector
from connectors.records import BadRecord, ChangeRecord, local_cursor
from connectors.secrets import SecretResolver
from registry.starter import STARTER_STATUS_MAP, StarterKind, StarterOptions, starter_auth

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_DEPTH = 32  # of an answer's elements: deeper is hostile, never a local system's record
# An error answer bigger than this is not read for its Fault (a fault is a few hundred bytes; the error
# then says only its HTTP status), and a faultstring is shown up to this many characters.
MAX_FAULT_BYTES = 64 * 1024
MAX_FAULT_CHARS = 200
# characters XML 1.0 cannot carry at all (a form value holding one cannot be sent, only refused)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def starter_local_system(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    """The ``soap`` section of ``mpphub init``'s starter package: an ``.asmx``-style service."""
    ns = "http://tempuri.org/"
    return {
        "kind": "soap",
        "base_url": opts.base_url,
        "path": "/PelayananService.asmx",
        "namespace": ns,
        "auth": starter_auth(opts, secret_ref),
        # SOAP 1.1: a Client fault says the request itself was wrong, so retrying it cannot help
        "errors": [{"status": "500", "fault_code": "Client", "action": "record"}],
        "operations": {
            "submit": {
                "action": f"{ns}AjukanPermohonan",
                "element": "AjukanPermohonan",
                "body": {
                    "IdNasional": "application.id",
                    "TanggalPengajuan": "application.submitted_at",
                    "Pemohon.NIK": "form.nik",
                    "Pemohon.Nama": "form.nama_lengkap",
                    "Pemohon.Telepon": "form.no_hp",
                    "Pemohon.Alamat": "form.alamat",
                },
                "reference_path": "AjukanPermohonanResult.NomorRegistrasi",
            },
            "lookup": {
                "action": f"{ns}CariPermohonan",
                "element": "CariPermohonan",
                "body": {"IdNasional": "application.id"},
                "reference_path": "CariPermohonanResult.NomorRegistrasi",
            },
            "status_changes": {
                "action": f"{ns}AmbilStatus",
                "element": "AmbilStatus",
                "records_path": "AmbilStatusResult.Perubahan",
                "cursor": {"param": "SetelahUrutan", "field": "Urutan"},
                "size_param": "Jumlah",
                "page_size": 100,
                "fields": {
                    "reference": "NomorRegistrasi",
                    "status": "KodeStatus",
                    "changed_at": "Waktu",
                    "event_id": "Urutan",
                },
            },
        },
        "status_map": dict(STARTER_STATUS_MAP),
        "idempotency": {"strategy": "lookup_by_reference"},
    }


def _text(value: Any) -> str:
    """A mapped value as element text (true/false as XML Schema writes booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _NOT_XML.search(text):
        raise RecordError("a value holds a control character XML cannot carry: it cannot be sent")
    return text


def _fill(parent: ET.Element, namespace: str, data: dict[str, Any]) -> None:
    """Child elements of ``parent`` from a mapped object: objects nest, lists repeat the element."""
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            child = ET.SubElement(parent, f"{{{namespace}}}{name}")
            if isinstance(item, dict):
                _fill(child, namespace, item)
            elif item is not None:
                child.text = _text(item)


def request_xml(namespace: str, element: str, fields: dict[str, Any]) -> bytes:
    """The SOAP 1.1 envelope of one operation call, UTF-8 with its XML declaration."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = ET.SubElement(body, f"{{{namespace}}}{element}")
    _fill(call, namespace, fields)
    encoded: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return encoded


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def element_data(element: ET.Element, depth: int = 0) -> Any:
    """An element as plain data: a leaf is its text (``xsi:nil``: None), a parent an object of its
    children by local name (a repeated name: a list). Attributes and mixed text are not data here."""
    if depth > MAX_DEPTH:
        raise ValueError(f"the answer nests deeper than {MAX_DEPTH} elements")
    children = list(element)
    if not children:
        if element.get(XSI_NIL) in ("true", "1"):
            return None
        return (element.text or "").strip()
    grouped: dict[str, list[Any]] = {}
    for child in children:
        grouped.setdefault(_local(child.tag), []).append(element_data(child, depth + 1))
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def fault_text(data: Any) -> str:
    """A Fault element's data for an error: ``SOAP fault <faultcode>: <faultstring>``, on one line, cut to
    a sane length, NIK- and phone-like numbers masked (a faultstring may echo the request's values)."""
    fault = data if isinstance(data, dict) else {}
    code = " ".join(str(fault.get("faultcode") or "?").split())[:60]
    string = scrub_text(" ".join(str(fault.get("faultstring") or "").split()))  # masked before it is cut
    if len(string) > MAX_FAULT_CHARS:
        string = string[: MAX_FAULT_CHARS - 3] + "..."
    return scrub_text(f"SOAP fault {code}: {string}")


def _envelope_body(content: bytes) -> ET.Element | None:
    """The first element of a SOAP envelope's Body (parsed by defusedxml: raises as it does), or None."""
    root = SafeET.fromstring(content)
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    if _local(root.tag) != "Envelope" or body is None or not len(body):
        return None
    first: ET.Element = body[0]
    return first


def fault_code(data: Any) -> str | None:
    """A Fault element's ``faultcode`` as the answer writes it (``soap:Client``), or None."""
    code = data.get("faultcode") if isinstance(data, dict) else None
    if not isinstance(code, str):
        return None
    return " ".join(code.split()) or None


def fault_detail(response: requests.Response) -> AnswerDetail | None:
    """The SOAP Fault in an error answer (HTTP 500, as SOAP 1.1 sends one): ``fault_text`` and its code;
    None when the answer is not a SOAP fault, is too big to read for one, or is not safe to parse (DTD,
    entities)."""
    if len(response.content) > MAX_FAULT_BYTES:
        return None
    try:
        answer = _envelope_body(response.content)
        if answer is None or _local(answer.tag) != "Fault":
            return None
        data = element_data(answer)
        return AnswerDetail(fault_text(data), fault_code(data))
    except (DefusedXmlException, ET.ParseError, ValueError):  # an HTML error page, a hostile one: no detail
        return None


def _as_records(found: Any) -> list[Any]:
    """What ``records_path`` found as a list of records: XML has no arrays, so one record is an object."""
    if found in (None, ""):
        return []
    return found if isinstance(found, list) else [found]


class SoapConnector(OperationsConnector):
    """Talks to one package's SOAP local system."""

    kind = "soap"
    starter = StarterKind(frozenset({"base_url", "auth_type", "token_url"}), starter_local_system)
    dry_run_skips: ClassVar[Mapping[str, str]] = {
        "submit encoding": "soap: the request is the operation's XML element, built from body (--write sends one)"
    }

    def __init__(
        self,
        package: dict[str, Any],
        secrets: SecretResolver,
        base_url: str | None = None,
        url_policy: UrlPolicy | None = None,
    ) -> None:
        """An error answer's detail is its SOAP Fault (``fault_detail``)."""
        super().__init__(package, secrets, base_url, url_policy, error_detail=fault_detail)
        self.namespace: str = self.local["namespace"]

    @classmethod
    def from_package(cls, package: dict[str, Any], inputs: WiringInputs) -> Self:
        """Its base URL overridden as the wiring says (a SOAP system takes no attachment files)."""
        base_url = inputs.base_url(package["local_system"]["base_url"])
        return cls(package, inputs.secrets, base_url=base_url, url_policy=inputs.url_policy)

    def _call(self, name: str, fields: dict[str, Any], *, write: bool = False, key: str | None = None) -> Any:
        """One operation call; the answer's response element as data (a Fault in it refused)."""
        op = self.operations[name]
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{op["action"]}"'}
        if key is not None:
            headers[self.idempotency_header()] = key
        body = request_xml(self.namespace, op["element"], fields)
        response = self.client.request("POST", self.local["path"], data=body, headers=headers, write=write)
        return self._answer(response, name, write)

    def _answer(self, response: requests.Response, name: str, write: bool) -> Any:
        where = f"{name} ({self.operations[name]['element']})"
        try:
            answer = _envelope_body(response.content)
        except DefusedXmlException:
            # a DTD or entity in an answer is hostile, never a transient fault (a write may still have arrived)
            if write:
                raise LostReply(f"{where}: the answer declares a DTD or entities: refused", write=True) from None
            raise FatalError(f"{where}: the answer declares a DTD or entities: refused") from None
        except ET.ParseError:
            raise LostReply(f"{where}: the answer is not well-formed XML", write) from None
        if answer is None:
            raise UnusableAnswer(f"{where}: the answer is not a SOAP envelope with a Body", write=write)
        try:
            data = element_data(answer)
        except ValueError as exc:
            raise FatalError(f"{where}: {exc}: refused") from None
        if _local(answer.tag) == "Fault":
            text = f"{where}: {fault_text(data)}"
            # the package's rules first (a Server fault in a 200 may be a busy system: retry), with the
            # answer's status: a rule for 200 or 2xx names a fault inside a successful HTTP answer
            self.client.apply_error_rules(response, text, write, body=response.text[:2000], fault_code=fault_code(data))
            if write:
                raise RecordError(text)  # answered and refused: nothing is unknown
            raise FatalError(f"{text} (a read that did not succeed is never taken as empty)")
        return data

    def submit(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        files: Files | None = None,
        uploads: UploadLog | None = None,
    ) -> str:
        """Call the submit operation; returns the reference at ``reference_path`` (no files: a SOAP
        system of this kind takes none)."""
        op = self.operations["submit"]
        try:
            fields = build_object(op["body"], {"application": envelope, "form": form})
        except ValueError as exc:
            raise FatalError(f"submit body mapping: {exc}") from None
        key = str(envelope["id"]) if self.honours_idempotency_keys else None
        data = self._call("submit", fields, write=True, key=key)
        reference = search(op["reference_path"], data)
        if reference in (None, "") or isinstance(reference, (dict, list)):
            raise UnusableAnswer(f"submit answered without a reference at {op['reference_path']}", write=True)
        return str(reference)

    def lookup(self, envelope: dict[str, Any]) -> str | None:
        """The reference of the application with this national id, or None (an empty result)."""
        op = self.lookup_operation()
        data = self._call("lookup", build_object(op["body"], {"application": envelope}))
        reference = search(op["reference_path"], data)
        if isinstance(reference, (dict, list)):
            raise FatalError(f"lookup: {op['reference_path']} is not a single value")
        return None if reference in (None, "") else str(reference)

    def _pages(self, name: str, since: Any) -> Iterator[list[Any]]:
        """Pages of raw records of a feed after a cursor value; each next page after the last record's."""
        op = self.operations[name]
        size = int(op["page_size"])
        after = local_cursor(since, self.date_format, self.zone) if since is not None else None
        while True:
            fields = build_object(op.get("body", {}), {}) if op.get("body") else {}
            if after is not None:
                fields[op["cursor"]["param"]] = after
            fields[op["size_param"]] = size
            records = _as_records(search(op["records_path"], self._call(name, fields)))
            yield records
            last = search(op["cursor"]["field"], records[-1]) if records and isinstance(records[-1], dict) else None
            if len(records) < size or last in (None, "") or last == after:
                return  # the end, or a cursor that does not move on: the next run reads on from what was kept
            after = last

    def _records(self, raw_page: list[Any]) -> list[Any]:
        """Only the records that are elements with fields: a text leaf at ``records_path`` is no record."""
        return [r for r in raw_page if isinstance(r, dict)]

    def _change(self, raw: Any, op: dict[str, Any]) -> ChangeRecord | BadRecord:
        """One raw status record; a text leaf is a bad record (walk-ins and the dry run pass it over)."""
        if not isinstance(raw, dict):
            return BadRecord("unreadable local record: not an element with fields", "unreadable", None)
        return super()._change(raw, op)
