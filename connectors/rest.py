"""The ``rest`` connector kind: everything it does is declared by the package's ``local_system``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Self

import requests

from connectors.encodings import EncodedBody, FilePart, encode_body, file_field, request_headers
from connectors.errors import ConnectorError, FatalError, RecordError, RetriableError, UnusableAnswer
from connectors.http import HttpClient, ResponseTooLarge, UrlPolicy, json_body
from connectors.local_connector import Files, UploadLog, WiringInputs
from connectors.mapping import build_object, fill, search
from connectors.operations_connector import OperationsConnector
from connectors.pagination import pages
from connectors.records import BadRecord, ChangeRecord, local_cursor
from connectors.secrets import SecretResolver
from registry.starter import STARTER_STATUS_MAP, StarterKind, StarterOptions, starter_auth

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def starter_local_system(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    """The ``rest`` section of ``mpphub init``'s starter package: JSON, page numbers, Idempotency-Key."""
    return {
        "kind": "rest",
        "base_url": opts.base_url,
        "auth": starter_auth(opts, secret_ref),
        "operations": {
            "submit": {
                "method": "POST",
                "path": "/permohonan",
                "body": {
                    "id_permohonan_nasional": "application.id",
                    "tanggal_pengajuan": "application.submitted_at",
                    "nik": "form.nik",
                    "nama": "form.nama_lengkap",
                    "telepon": "form.no_hp",
                    "alamat": "form.alamat",
                },
                "reference_path": "data.nomor_registrasi",
            },
            "status_changes": {
                "method": "GET",
                "path": "/permohonan/perubahan-status",
                "records_path": "data",
                "pagination": {
                    "style": "page_number",
                    "page_param": "halaman",
                    "size_param": "per_halaman",
                    "page_size": 100,
                },
                "cursor": {"param": "sejak", "field": "diperbarui_pada", "lookback_seconds": 300},
                "fields": {"reference": "nomor_registrasi", "status": "kode_status", "changed_at": "diperbarui_pada"},
            },
        },
        "status_map": dict(STARTER_STATUS_MAP),
        "idempotency": {"strategy": "key_header", "header": "Idempotency-Key"},
    }


class RestConnector(OperationsConnector):
    """Talks to one package's REST local system."""

    kind = "rest"
    fetches_attachments = True
    starter = StarterKind(frozenset({"base_url", "auth_type", "token_url"}), starter_local_system)

    @classmethod
    def from_package(cls, package: dict[str, Any], inputs: WiringInputs) -> Self:
        """Its base URL overridden as the wiring says; attachments fetched with the national client."""
        return cls(
            package,
            inputs.secrets,
            base_url=inputs.base_url(package["local_system"]["base_url"]),
            url_policy=inputs.url_policy,
            attachment_fetcher=inputs.attachment_fetcher,
        )

    def __init__(
        self,
        package: dict[str, Any],
        secrets: SecretResolver,
        base_url: str | None = None,
        url_policy: UrlPolicy | None = None,
        attachment_fetcher: HttpClient | None = None,
    ) -> None:
        """``attachment_fetcher``: the national layer's client, which fetches the files a submit sends."""
        super().__init__(package, secrets, base_url, url_policy)
        self.attachment_fetcher = attachment_fetcher

    def refusal_shape(self, operation: str) -> dict[str, Any] | None:
        """The answer envelope an operation's 2xx answers are read with."""
        return self.answer_envelope(self.operations[operation])

    def _call(
        self,
        op: dict[str, Any],
        data: dict[str, Any],
        *,
        body: EncodedBody | None = None,
        write: bool = False,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One call of an operation: path and query filled from ``data``; ``body`` as encoded by
        ``encode_body``, its Content-Type replacing any fixed one that contradicts it. Auth, the idempotency
        header (in ``headers``), rate limit, URL policy, size limit and envelope are the same for every
        encoding: they are the client's and the caller's, not the body's."""
        params = {k: fill(v, data, url_encode=False) for k, v in op.get("query", {}).items()}
        fixed = request_headers(op, body) if body is not None else dict(op.get("headers", {}))
        return self.client.request(
            op["method"],
            fill(op["path"], data),
            params=params or None,
            json=body.json if body is not None else None,
            data=body.data if body is not None else None,
            headers={**fixed, **(headers or {})},
            write=write,
            envelope=self.answer_envelope(op),
        )

    def answer_envelope(self, op: dict[str, Any]) -> dict[str, Any] | None:
        """How an operation's 2xx answers say success or failure (the package's ``envelope``: not the
        national application envelope): its own, else the local system's; None when neither declares one
        (every 2xx answer succeeded)."""
        declared: dict[str, Any] | None = op.get("envelope", self.local.get("envelope"))
        return declared

    def fetch_files(self, envelope: dict[str, Any], fetcher: HttpClient | None = None) -> Files:
        """The application's files as ``submit`` sends them (sha256-checked); [] when none go along.
        ``fetcher``: another client for the national layer (a worker thread's own session)."""
        if not self.operations["submit"].get("attachments") or not envelope.get("attachments"):
            return []
        return [self._download(a, fetcher) for a in envelope["attachments"]]

    def submit(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        files: Files | None = None,
        uploads: UploadLog | None = None,
    ) -> str:
        """Deliver one application; returns the local reference. The national id is the idempotency key.
        ``files``: what ``fetch_files`` returned for it, if fetched ahead (else they are fetched here).
        ``uploads``: the per-file upload record (``attachments.mode: multipart``): files recorded there are
        not uploaded again, each new upload is recorded at once."""
        op = self.operations["submit"]
        data = {"application": envelope, "form": form}
        encoding = op.get("body_encoding", "json")
        try:
            # in a form body a bracket target is already the field name the local system reads
            body = build_object(op["body"], data, verbatim_brackets=encoding != "json")
        except ValueError as exc:
            raise FatalError(f"submit body mapping: {exc}") from None
        attachments = op.get("attachments")
        parts: list[FilePart] = []
        if attachments and attachments["mode"] == "form_files" and encoding != "multipart":
            # the validator refuses it (rule request-encoding); never drop the files silently
            raise FatalError(f"attachments.mode form_files needs body_encoding multipart, not {encoding!r}")
        if attachments and envelope.get("attachments"):
            files = self.fetch_files(envelope) if files is None else files
            if attachments["mode"] == "inline_base64":
                body[attachments.get("field", "lampiran")] = [
                    {
                        "nama_berkas": meta["filename"],
                        "jenis": meta["requirement_id"],
                        "sha256": meta["sha256"],
                        "isi_base64": base64.b64encode(content).decode(),
                    }
                    for meta, content in files
                ]
            elif attachments["mode"] == "form_files":
                parts = [
                    (
                        file_field(attachments.get("field"), meta["requirement_id"], i),
                        meta["filename"],
                        content,
                        meta["media_type"],
                    )
                    for i, (meta, content) in enumerate(files)
                ]
        headers = {}
        if self.honours_idempotency_keys:
            headers[self.idempotency_header()] = str(envelope["id"])
        response = self._call(op, data, body=encode_body(op, body, parts), write=True, headers=headers)
        reference = search(op["reference_path"], json_body(response, write=True))
        if reference in (None, ""):
            raise UnusableAnswer(  # a whole answer, just not the one declared: it counts towards the budget
                f"submit answered {response.status_code} without a reference at {op['reference_path']}", write=True
            )
        if attachments and attachments["mode"] == "multipart" and envelope.get("attachments"):
            try:
                self._upload(attachments, data, str(reference), files or [], uploads)
            except ConnectorError as exc:
                # the application itself exists now: never let a retry create it again
                raise RetriableError(f"attachments of {reference}: {exc}", outcome_unknown=True) from None
        return str(reference)

    def _download(self, meta: dict[str, Any], fetcher: HttpClient | None = None) -> tuple[dict[str, Any], bytes]:
        """Fetch an attachment from the national layer, streamed, and check its sha256."""
        fetcher = fetcher or self.attachment_fetcher
        if fetcher is None or not meta.get("url"):
            raise FatalError("the application has attachments but no way to fetch them")
        limit_mib = MAX_ATTACHMENT_BYTES // 1024 // 1024
        try:
            response = fetcher.request("GET", meta["url"], max_bytes=MAX_ATTACHMENT_BYTES)
        except ResponseTooLarge:
            raise RecordError(f"attachment {meta['requirement_id']} is over {limit_mib} MiB") from None
        digest, chunks, size = hashlib.sha256(), [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_ATTACHMENT_BYTES:
                raise RecordError(
                    f"attachment {meta['requirement_id']} is over {MAX_ATTACHMENT_BYTES // 1024 // 1024} MiB"
                )
            digest.update(chunk)
            chunks.append(chunk)
        if digest.hexdigest() != meta["sha256"]:
            raise RetriableError(f"attachment {meta['requirement_id']}: sha256 mismatch (corrupted transfer)")
        return meta, b"".join(chunks)

    def upload_missing(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        reference: str,
        files: list[tuple[dict[str, Any], bytes]] | None,
        uploads: UploadLog,
    ) -> int:
        """After a look-up found the application (its create arrived, its reply or the process was lost):
        upload the files ``uploads`` does not record yet; returns how many were uploaded. Nothing to do
        unless the package uploads files after the create (``attachments.mode: multipart``): the other
        modes sent them inside the create itself. A failed upload raises ``RetriableError`` with the
        outcome unknown (the application exists: the next attempt looks it up again, never creates it)."""
        spec = self.operations["submit"].get("attachments")
        if not spec or spec["mode"] != "multipart" or not envelope.get("attachments"):
            return 0
        done = uploads.uploaded()
        wanted = [a for i, a in enumerate(envelope["attachments"]) if done.get(i) != a.get("sha256")]
        if not wanted:
            return 0  # every file recorded: nothing fetched, nothing sent
        files = self.fetch_files(envelope) if files is None else files
        try:
            return self._upload(spec, {"application": envelope, "form": form}, reference, files, uploads)
        except ConnectorError as exc:
            raise RetriableError(f"attachments of {reference}: {exc}", outcome_unknown=True) from None

    def _upload(
        self,
        spec: dict[str, Any],
        data: dict[str, Any],
        reference: str,
        files: list[tuple[dict[str, Any], bytes]],
        uploads: UploadLog | None = None,
    ) -> int:
        """One multipart POST per file after the application exists (``attachments.mode: multipart``). Its
        answers are read by the submit operation's answer envelope: a 200 saying the upload failed is a
        failure, never a delivered file. Returns how many files were uploaded.

        With ``uploads``, a file already recorded there with the same sha256 is skipped, and each upload is
        recorded right after it succeeded — so an attempt after a lost reply or a crash sends exactly the
        files not yet recorded. The one window left: a crash between an upload's success and its record
        sends that one file again (a local system honouring ``Idempotency-Key`` gets the same per-file key
        again and can drop it)."""
        shape = self.answer_envelope(self.operations["submit"])
        done = uploads.uploaded() if uploads is not None else {}
        sent = 0
        for position, (meta, content) in enumerate(files):
            if done.get(position) == meta.get("sha256"):
                continue  # uploaded by an earlier attempt (recorded with this very digest)
            op = {"method": "POST", "path": spec["path"]}
            scoped = {**data, "application": {**data["application"], "local_reference": reference}}
            headers = {}
            if self.honours_idempotency_keys:  # one key per file: a resend of the same file is recognisable
                headers[self.idempotency_header()] = f"{data['application']['id']}:attachment:{position}"
            self.client.request(
                op["method"],
                fill(op["path"], scoped),
                files={"file": (meta["filename"], content, meta["media_type"])},
                headers=headers or None,
                write=True,
                envelope=shape,
            )
            if uploads is not None:
                uploads.record(position, meta, reference)
            sent += 1
        return sent

    def lookup(self, envelope: dict[str, Any]) -> str | None:
        """The local reference of an application, found by its national id; None if the local system has none.
        An answer that does not say success (by the package's answer envelope) raises, classified: it
        never reads as "none"."""
        op = self.lookup_operation()
        response = self._call(op, {"application": envelope})
        body = json_body(response)
        reference = search(op["reference_path"], body)
        return None if reference in (None, "", []) else str(reference)

    def _pages(self, operation: str, since: Any) -> Iterator[list[dict[str, Any]]]:
        """Pages of raw records of an incremental operation since a cursor value."""
        op = self.operations[operation]
        params = dict(op.get("query", {}))
        if since is not None:
            # the ledger keeps time cursors in ISO 8601: the local system gets them back in its own format
            params[op["cursor"]["param"]] = local_cursor(since, self.date_format, self.zone)

        shape = self.answer_envelope(op)

        def fetch(target: str, query: dict[str, Any]) -> requests.Response:
            return self.client.request(
                op["method"], target, params=query or None, headers=op.get("headers"), envelope=shape
            )

        yield from pages(fetch, op["path"], params, op["pagination"], op.get("records_path"), self.client.base_url)

    def _change(self, raw: Any, op: dict[str, Any]) -> ChangeRecord | BadRecord:
        """One raw status record as every HTTP kind reads it; in a region feed also the service it names."""
        record = super()._change(raw, op)
        code_path = op.get("feed", {}).get("service_code_path")  # a region feed: each row names its service
        if code_path and isinstance(record, ChangeRecord):
            code = search(code_path, raw)
            record = replace(record, service_code=None if code in (None, "") else str(code)[:64])
        return record
