"""Style (b): REST systems with cursor or Link-header pagination that do NOT honour idempotency keys
(a repeated POST creates a duplicate) but find an application by its national id. One loopback server
serves two API shapes (the hub rewrites each package's ``base_url`` to the server's URL):

SIMPEL Kota Mojokerto (basic auth) and e-Perizinan DPMPTSP Jawa Timur (``X-API-Key``):

- ``POST /applications`` (``permit_type`` names the service) -> 201 ``{"data": {"application_no": ...}}``;
- ``GET /applications?external_ref=&permit_type=&cursor=&limit=`` — look-up / list, ``{"data", "meta"}``;
- ``GET /applications/events?permit_type=&updated_since=&cursor=&limit=`` — status changes (``event_id``,
  ``application_no``, ``external_ref``, ``status``, ``updated_at`` in UTC, ``remarks``); the next page's
  token is ``meta.next_cursor`` (null on the last page);
- ``POST /applications/{application_no}/documents`` — one multipart file (field ``file``);

SSW Alfa and Klampid, Kota Surabaya (``X-API-Key``):

- ``POST /registrations`` (``service_code``) -> 201 ``{"result": {"registration_no": ...}}``;
- ``GET /registrations?external_id=&service_code=&limit=`` — look-up / list, ``{"result", "count"}``;
- ``GET /registrations/history?service_code=&modified_after=&limit=`` — (``history_id``,
  ``registration_no``, ``external_id``, ``status_code``, ``modified_at`` in WIB, ``remark``);
  ``modified_after`` is exclusive; the next page is the ``Link: <...>; rel="next"`` header;
- ``POST /registrations/{registration_no}/files`` — one multipart file.

401 without valid credentials; 403 when the credentials are valid but of another system (basic auth on a
Surabaya service); invalid requests are 422 (SIMPEL, Jatim) or 400 (Surabaya), as their packages declare.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.faults import FaultInjector
from sandbox.http import api_key_ok, basic_ok, unauthorized
from sandbox.local.catalogue import load_packages, services_for
from sandbox.local.families import APPLICATIONS, REGISTRATIONS
from sandbox.local.server import assemble
from sandbox.local.store import LocalStore


def create_app(
    username: str = "sandbox",
    password: str = "sandbox-password",  # noqa: S107 - the sandbox's documented loopback credential
    api_key: str = "sandbox-api-key",
    seed: int = 0,
    fault_config: dict[str, Any] | None = None,
    officer_interval_s: float | None = None,
    packages: list[dict[str, Any]] | None = None,
) -> FaultInjector:
    """The style (b) server for ``packages`` (default: the sample registry's packages of this style)."""
    documents = load_packages() if packages is None else packages
    services = services_for(APPLICATIONS, documents)
    for code, service in services_for(REGISTRATIONS, documents).items():
        if code in services:
            raise ValueError(f"service code {code} is used by two API shapes")
        services[code] = service
    auths = [s.package["local_system"]["auth"] for s in services.values()]
    key_headers = sorted({a["name"] for a in auths if a["type"] == "api_key" and a.get("in") == "header"})
    key_params = sorted({a["name"] for a in auths if a["type"] == "api_key" and a.get("in") == "query"})
    store = LocalStore(services, seed)

    def authorize(request: Request) -> set[str] | Response:
        kinds = set()
        if basic_ok(request, username, password):
            kinds.add("basic")
        if any(api_key_ok(request, h, api_key) for h in key_headers) or any(
            request.query_params.get(p) == api_key for p in key_params
        ):
            kinds.add("api_key")
        if not kinds:
            return unauthorized('Basic realm="sandbox"')
        return {code for code, s in services.items() if s.auth_type in kinds}

    return assemble([APPLICATIONS, REGISTRATIONS], store, authorize, fault_config, officer_interval_s)
