"""Style (a): the Indonesian-style REST systems of Kota Mojokerto's agencies (Dispendukcapil,
Bakesbangpol, Disdikbud, Disnaker), all on one loopback server (the hub rewrites each package's
``base_url`` to the server's URL).

- ``POST /permohonan`` — body as the package's submit mapping builds it (``jenis_layanan`` names the
  service); bearer auth; 201 ``{"status": "sukses", "pesan": ..., "data": {"nomor_registrasi": ...}}``;
  HONOURS ``Idempotency-Key``: a repeated key answers the first response again (header
  ``Idempotent-Replayed: true``) and creates nothing; the same key with another body is a 422;
  inline attachments in ``lampiran`` (``[{"nama_berkas", "jenis", "sha256", "isi_base64"}]``);
- ``GET /permohonan/perubahan-status?jenis_layanan=&sejak=&halaman=&per_halaman=`` — status changes
  (``id_riwayat``, ``nomor_registrasi``, ``id_permohonan_nasional``, ``kode_status``, ``diperbarui_pada``,
  ``keterangan``), ``sejak`` inclusive, pages from 1, ``{"data": [...], "meta": {...}}``;
- ``GET /permohonan?jenis_layanan=&kanal=LOKET&dibuat_sejak=&halaman=&per_halaman=`` — applications
  (walk-ins with ``kanal=LOKET``), in the nested shape of the submit body;
- errors are ``application/problem+json``: 401 without a valid token, 422 for an invalid request.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.faults import FaultInjector
from sandbox.http import bearer_ok, unauthorized
from sandbox.local.catalogue import load_packages, services_for
from sandbox.local.families import INDONESIAN
from sandbox.local.server import assemble
from sandbox.local.store import LocalStore


def create_app(
    token: str = "sandbox-local-token",  # noqa: S107 - the sandbox's documented loopback credential
    seed: int = 0,
    fault_config: dict[str, Any] | None = None,
    officer_interval_s: float | None = None,
    packages: list[dict[str, Any]] | None = None,
) -> FaultInjector:
    """The style (a) server for ``packages`` (default: the sample registry's packages of this style)."""
    services = services_for(INDONESIAN, load_packages() if packages is None else packages)
    store = LocalStore(services, seed)

    def authorize(request: Request) -> set[str] | Response:
        return set(services) if bearer_ok(request, token) else unauthorized("Bearer")

    return assemble([INDONESIAN], store, authorize, fault_config, officer_interval_s)
