"""Security headers on every answer of the hub API and dashboard: a strict Content-Security-Policy
(the dashboard loads only its own files; no frame may embed it), no MIME sniffing, no referrer, and
``Cache-Control: no-store`` on API answers (they hold region health and dead letters, never cached by a
proxy or the browser). A plain ASGI middleware: it only adds headers, so streaming stays streaming."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
COMMON = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds ``COMMON`` to every HTTP answer, and ``no-store`` to answers under /api/ and /metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        no_store = path.startswith("/api/") or path == "/metrics" or path == "/openapi.json"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control" or not no_store
                ]
                headers += COMMON
                if no_store:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
