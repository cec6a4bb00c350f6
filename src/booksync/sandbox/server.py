"""The sandbox bank over real HTTP: SimpleFIN endpoints plus loopback control.

A stdlib ``ThreadingHTTPServer`` so booksync's tests and demo exercise the
same sockets, headers and status codes as against a real bridge, with no
dependency and no outside service.  Routes:

- ``GET  /simplefin/create``          a fresh setup token (text)
- ``POST /simplefin/claim/<token>``   the access URL, once; then 403
- ``GET  /simplefin/accounts``        the Account Set (HTTP Basic auth)
- ``GET  /simplefin/info``            the protocol versions served
- ``POST /_sandbox/advance|transactions|faults|events``, ``GET /_sandbox/state``
  (see ``control.py``, guarded by ``guard.py``): loopback clients only, ``Content-Type:
  application/json`` on a POST (415 otherwise), and no foreign ``Origin``
  or ``Host`` (403): a web page open in the user's browser can send a
  "simple" cross-origin ``text/plain`` POST to loopback, or reach it by DNS
  rebinding, but it cannot set a JSON content type without a CORS preflight
  the sandbox never grants.

Listens on IPv4 or IPv6, the address family chosen from ``host`` (``::1``,
``::``).

Queued faults apply to authenticated ``/accounts`` requests only.  The
default stderr request log is silenced: it would print the claim token in
the path.  A DEBUG line on the ``booksync.sandbox`` logger names the route
and status, never a token or an ``Authorization`` header.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from booksync.sandbox.access import AccessStore
from booksync.sandbox.control import handle_control
from booksync.sandbox.faults import Fault, FaultQueue
from booksync.sandbox.guard import control_refused, media_type
from booksync.sandbox.protocols import SandboxReply, SandboxRequest, handler_for
from booksync.sandbox.simplefin import QueryError, account_set, parse_query
from booksync.sandbox.world import World

__all__ = ["SandboxHTTPServer", "SandboxHandle", "start"]

log = logging.getLogger("booksync.sandbox")
MAX_BODY = 10 * 1024 * 1024


class SandboxHTTPServer(ThreadingHTTPServer):
    """The HTTP server and the bank it fronts (world, credentials, faults)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], world: World, public_host: str | None) -> None:
        self.address_family = _family(address[0])
        if self.address_family == socket.AF_INET6 and address[0] in ("", "::"):
            self.dual_stack = True
        super().__init__(address, _Handler)
        self.world = world
        self.access = AccessStore()
        self.faults = FaultQueue()
        self.public_host = public_host
        # What each protocol module remembers, by its name (protocols.py).
        self.protocol_state: dict[str, Any] = {}

    dual_stack = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a reset, a broken pipe) is no error of the
        bank's: only other failures are reported, as the standard server does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        if self.dual_stack and hasattr(socket, "IPV6_V6ONLY"):
            # ``--host ::`` answers IPv4 clients too, like ``0.0.0.0`` does.
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    @property
    def base_url(self) -> str:
        # A wildcard address is no place to connect to: name this machine's loopback.
        bound = str(self.server_address[0])
        loopback = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bound, bound)
        host = self.public_host or _url_host(loopback)
        return f"http://{host}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this a kept-open connection's
    # next request waits for the client's delayed acknowledgement (about 40 ms).
    disable_nagle_algorithm = True
    server_version = "booksync-sandbox/1"
    _route = "?"

    # -- plumbing --------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default line holds the request path (claim tokens)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self._route, code)

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _text(self, status: int, text: str, **headers: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", **headers)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, orjson.dumps(data), "application/json")

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "message": message}})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _base_url(self) -> str:
        if self.server.public_host is None and self.headers.get("Host"):
            return f"http://{self.headers['Host']}"
        return self.server.base_url

    def _request(self, body: bytes) -> SandboxRequest:
        """This request as a protocol module sees it, its client's address included."""
        url = urlsplit(self.path)
        return SandboxRequest(self.command, url.path, url.query, dict(self.headers.items()),
                              body, self._base_url(), str(self.client_address[0]))

    def _reply(self, reply: SandboxReply) -> None:
        self._send(reply.status, reply.body, reply.content_type, **reply.headers)

    def _control_refused(self) -> bool:
        """Answer 403 unless a loopback client sent no foreign Origin or Host (guard.py)."""
        refused = control_refused(self._request(b""), self.server.public_host)
        if refused is None:
            return False
        self._reply(refused)
        return True

    # -- dispatch --------------------------------------------------------

    def _protocol(self, body: bytes) -> bool:
        """Answer from the protocol module serving this path (protocols.py), if any."""
        handle = handler_for(urlsplit(self.path).path)
        if handle is None:
            return False
        request = self._request(body)
        self._route = request.path
        with self.server.world.lock:
            reply = handle(self.server, request)
        self._reply(reply)
        return True

    def do_GET(self) -> None:
        if self._protocol(b""):
            return
        url = urlsplit(self.path)
        self._route = url.path if not url.path.startswith("/simplefin/claim/") else "claim"
        if url.path == "/simplefin/create":
            self._text(200, self.server.access.new_setup_token(self._base_url()))
        elif url.path == "/simplefin/info":
            self._json(200, {"versions": ["1.0", "2.0"]})
        elif url.path == "/simplefin/accounts":
            self._accounts(url.query)
        elif url.path == "/_sandbox/state":
            self._state(url.query)
        else:
            self._error(404, "not_found", "no such endpoint")

    def _read_body(self) -> bytes | None:
        """The request's body, or None once a body too large is answered 400."""
        try:
            return self._body()
        except ValueError as exc:
            self.close_connection = True
            self._error(400, "bad_request", str(exc))
            return None

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            return
        if self._protocol(body):
            return
        if url.path.startswith("/simplefin/claim/"):
            self._route = "/simplefin/claim/<token>"
            access_url = self.server.access.claim(
                url.path.removeprefix("/simplefin/claim/"), self._base_url()
            )
            if access_url is None:
                self._text(403, "This setup token is unknown or was already claimed.")
            else:
                self._text(200, access_url)
            return
        self._route = url.path
        if not url.path.startswith("/_sandbox/"):
            self._error(404, "not_found", "no such endpoint")
        elif self._control_refused():
            return
        elif media_type(self.headers.get("Content-Type")) != "application/json":
            self._error(415, "unsupported_media_type", "control requests must be application/json")
        else:
            try:
                data = orjson.loads(body or b"{}")
            except orjson.JSONDecodeError:
                self._error(400, "bad_request", "the body is not JSON")
                return
            status, reply = handle_control(url.path, self.server.world, self.server.faults, data)
            self._json(status, reply)

    def do_DELETE(self) -> None:
        body = self._read_body()
        if body is not None and not self._protocol(body):
            self._route = urlsplit(self.path).path
            self._error(404, "not_found", "no such endpoint")

    # -- SimpleFIN -------------------------------------------------------

    def _accounts(self, query: str) -> None:
        user = self.server.access.check(self.headers.get("Authorization"))
        if user is None:
            self._text(403, "Access denied: unknown, wrong or revoked credentials.")
            return
        fault = self.server.faults.take()
        if fault is not None and self._fault(fault, user):
            return
        try:
            parsed = parse_query(query)
        except QueryError as exc:
            self._text(400, str(exc))
            return
        world = self.server.world
        with world.lock:
            data = account_set(world, parsed, f"{self._base_url()}/simplefin")
        self._json(200, data)

    def _fault(self, fault: Fault, user: str) -> bool:
        """Answer with ``fault``; False when the request should then proceed normally."""
        if fault.kind == "http_500":
            self._text(500, "Internal Server Error (sandbox fault)")
        elif fault.kind == "rate_limit":
            self._text(429, "Too many requests", Retry_After=str(fault.retry_after))
        elif fault.kind == "payment_required":
            message = "Payment required: the bridge subscription has lapsed."
            self._json(402, {"errors": [message]})
        elif fault.kind == "revoke":
            self.server.access.revoke(user)
            self._text(403, "Access revoked.")
        elif fault.kind == "echo":
            return self._echo(fault.variant)
        elif fault.kind == "malformed":
            if fault.variant == "not_json":
                self._send(200, b'{"errors": [], "accounts": [{"id": ', "application/json")
            else:
                self._json(200, {"errors": None, "accounts": {"id": 42}})
        else:  # timeout: answer, but only after the client has stopped waiting
            time.sleep(fault.delay)
            return False
        return True

    def _echo(self, variant: str) -> bool:
        """A bank that reflects the request, secrets and all, back in an error."""
        text = self._echo_text()
        if variant == "text":
            self._text(400, f"Bad request. You sent: {text}")
        elif variant == "errors":
            self._json(400, {"errors": [text]})
        elif variant == "auth":
            errlist = [{"code": "gen.auth", "msg": text}]
            self._json(200, {"errors": [text], "errlist": errlist, "accounts": []})
        else:
            return self._accounts_with_warning(text)
        return True

    def _echo_text(self) -> str:
        """The access URL in its spellings, the Authorization header, then the rest."""
        authorization = self.headers.get("Authorization") or ""
        try:
            pair = base64.b64decode(authorization.removeprefix("Basic "), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pair = ":"
        user, _, password = pair.partition(":")
        scheme, _, rest = self._base_url().partition("://")
        encoded = f"{quote(user, safe='')}:{quote(password, safe='')}"
        headers = "; ".join(f"{name}: {value}" for name, value in self.headers.items())
        return (
            f"access URL {scheme}://{encoded}@{rest}/simplefin refused; "
            f"Authorization: {authorization}; user {user} password {password}; "
            f"request {self.command} {self._base_url()}{self.path}; headers {headers}; "
            f"raw access URL {scheme}://{user}:{password}@{rest}/simplefin"
        )

    def _accounts_with_warning(self, text: str) -> bool:
        """The normal answer, plus a warning on every account holding ``text``."""
        query = urlsplit(self.path).query
        try:
            parsed = parse_query(query)
        except QueryError:
            return False
        world = self.server.world
        with world.lock:
            data = account_set(world, parsed, f"{self._base_url()}/simplefin")
        for account in data["accounts"]:
            data["errlist"].append({"code": "act.", "msg": text, "account_id": account["id"]})
            data["errors"].append(text)
        self._json(200, data)
        return True

    # -- control ---------------------------------------------------------

    def _state(self, query: str) -> None:
        if self._control_refused():
            return
        wanted = parse_query(query).accounts if query else ()
        try:
            data = self.server.world.state(wanted or None)
        except ValueError as exc:
            self._error(400, "bad_request", str(exc))
            return
        self._json(200, data)


@dataclass
class SandboxHandle:
    """A running sandbox bank: its base URL, its world, and how to stop it."""

    server: SandboxHTTPServer
    thread: threading.Thread
    _stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765`` (SimpleFIN under ``/simplefin``)."""
        return self.server.base_url

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def access(self) -> AccessStore:
        return self.server.access

    @property
    def faults(self) -> FaultQueue:
        return self.server.faults

    def setup_token(self) -> str:
        """A fresh setup token, as ``GET /simplefin/create`` would return it."""
        return self.server.access.new_setup_token(self.url)

    def inject(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue ``count`` faults of ``kind`` (options: delay, retry_after, variant)."""
        self.server.faults.add(Fault(kind, **options), count)

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        if not self._stopped.is_set():
            self._stopped.set()
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)

    def wait(self) -> None:
        """Block until stopped; Ctrl-C stops the server and returns."""
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    *,
    world: World | None = None,
    bulk_transactions: int = 0,
) -> SandboxHandle:
    """Serve a sandbox bank in a background thread (``port=0``: a free port).

    Pass ``world`` to serve an existing one; otherwise a world is built from
    ``seed`` with today's date.  Bound to a wildcard address, URLs handed out
    (setup tokens, access URLs) use the request's ``Host`` header.
    """
    bank = world or World(seed, bulk_transactions=bulk_transactions)
    host = host.strip("[]")
    wildcard = host in ("", "0.0.0.0", "::")
    server = SandboxHTTPServer((host, port), bank, None if wildcard else _url_host(host))
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="sandbox-bank", daemon=True
    )
    thread.start()
    return SandboxHandle(server, thread)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _family(host: str) -> socket.AddressFamily:
    """IPv6 for an IPv6 literal (``::1``, ``::``), else IPv4 (names resolve as IPv4)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return socket.AF_INET
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET
