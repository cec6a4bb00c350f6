"""Headers every answer carries: what a browser may run, frame, cache and send on.

The pages run only booksync's own script and style files (no inline script,
no CDN), may not be framed by another site, and are never stored by a
browser or a proxy, since they show financial data; the static files may be
cached (docs/web.md, "Security").  Written as plain ASGI middleware: it
adds headers to each answer as it starts, with no per-request objects.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_ALWAYS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")
_STATIC_CACHE = (b"cache-control", b"public, max-age=3600")

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers += _ALWAYS
                headers.append(_STATIC_CACHE if static else _NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
