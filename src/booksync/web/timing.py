"""``Server-Timing: app;dur=MS`` on every answer: how long the server took, for clients and benches.

A browser's developer tools show it beside the network time, and the web
benchmark reads it to tell the server's time from the load client's own
(docs/web.md, "Speed").  Measured from the request's arrival at the app
to the start of its answer; a streamed answer's body is not included.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ServerTiming"]


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={took:.1f}".encode()),
                ]
            await send(message)

        await self.app(scope, receive, timed)
