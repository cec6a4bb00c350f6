"""Which URLs a provider may talk to, and how to name one without its secrets.

The rules (docs/banking.md, "Outbound requests"):

- Scheme: ``https://``; plain ``http://`` only to loopback (the sandbox bank,
  tests), as the SimpleFIN checklist asks ("Only makes requests to SSL/TLS
  URLs").
- Host: a DNS name or an IP address written the standard way. Other numeric
  spellings (``2130706433``, ``0x7f.1``, ``127.1``, ``0177.0.0.1``) are
  refused: resolvers read them as addresses, so they only ever serve to hide
  one.
- Addresses: the host name is resolved and *every* address it resolves to is
  checked. In ``cli`` mode (the command line on the user's own machine)
  public and loopback addresses are allowed; private, link-local, multicast,
  reserved and unspecified ones (``10.0.0.1``, ``169.254.169.254``,
  ``fe80::1``, ``fc00::1``, ``0.0.0.0``) never are. In ``server`` mode (a
  web app, reachable by other people) only public addresses are, plus an
  explicit allow-list of ``address:port`` pairs for its in-process sandbox.
  An IPv6 address that embeds an IPv4 one (mapped, 6to4, Teredo, NAT64) is
  judged by the IPv4 address it carries.

:meth:`OutboundPolicy.resolve` does the checking and returns the addresses;
:mod:`booksync.providers.pinned_transport` connects only to those, so a DNS
answer cannot change between the check and the connection.

Provider URLs carry secrets in their user-info (SimpleFIN access URLs) or in
their path (claim URLs hold a one-time token), so messages name a URL by
scheme and host only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from booksync.providers.errors import InsecureURL, TransientError

__all__ = [
    "OutboundPolicy",
    "Target",
    "default_policy",
    "is_loopback_host",
    "public_origin",
    "require_secure_url",
    "set_default_policy",
]

Mode = Literal["cli", "server"]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

_LOOPBACK_NAMES = frozenset({"localhost"})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also IPv4-mapped 127.x)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES:
        return True
    address = _literal(name)
    return address is not None and _kind(address) == "loopback"


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: Address) -> Literal["public", "loopback", "private"]:
    """``private`` covers everything neither public nor loopback (link-local, ...)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            # A mapped ::ffff:127.0.0.1 is loopback; a tunnel to one is not a bank.
            kind = _kind(inner)
            return kind if address.ipv4_mapped is not None or kind == "public" else "private"
    if address.is_loopback:
        return "loopback"
    if address.is_multicast or not address.is_global:
        return "private"
    return "public"


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - validates the port
        parts.hostname  # noqa: B018 - validates the brackets of an IPv6 host
    except ValueError:
        raise InsecureURL("The provider URL is not a valid URL.") from None
    return parts


def public_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: safe to show, no user-info or path."""
    parts = _split(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}"


def _numeric_alias(host: str) -> bool:
    """True for a host the C resolver reads as IPv4 but that is not a dotted quad."""
    if _literal(host) is not None:
        return False
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def require_secure_url(url: str) -> str:
    """Return ``url`` stripped of surrounding blanks if it may be used, else raise.

    The checks that need no DNS: raises :class:`InsecureURL` for a scheme
    other than https (http is allowed for loopback hosts only), a URL without
    a host, a numeric host not written as a standard address, or an IP
    address that is private, link-local, multicast, reserved or unspecified
    (refused in every mode). The message names the scheme and host, never
    the user-info or path.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not host:
        raise InsecureURL("The provider URL has no host name.")
    if scheme not in ("http", "https"):
        raise InsecureURL(
            f"Refusing to use a {scheme or 'scheme-less'} URL: provider URLs must be "
            "https:// (or http:// on a loopback host)."
        )
    origin = public_origin(url)
    if _numeric_alias(host):
        raise InsecureURL(
            f"Refusing to connect to {origin}: a numeric host must be written as a "
            "standard IP address."
        )
    address = _literal(host)
    if address is not None and _kind(address) == "private":
        raise InsecureURL(_refusal(origin, address, "private"))
    if scheme == "http" and not is_loopback_host(host):
        raise InsecureURL(
            f"Refusing to use the plain http:// URL of {origin}: "
            "only https:// is allowed, except for loopback hosts "
            "(127.0.0.1, ::1, localhost)."
        )
    return url.strip()


def _refusal(origin: str, address: Address, kind: str) -> str:
    what = "a loopback" if kind == "loopback" else "a private, link-local or reserved"
    return (
        f"Refusing to connect to {origin}: its address {address} is {what} address, "
        "and requests go to public addresses only."
    )


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect (``addresses``, in resolver order) and as whom."""

    scheme: str
    host: str
    port: int
    origin: str
    addresses: tuple[str, ...]


def _getaddrinfo(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Where requests may go: ``cli`` (loopback allowed) or ``server`` (public only).

    ``allow`` lists ``(address, port)`` pairs a server may reach besides
    public addresses: its in-process sandbox bank. ``resolver`` is
    ``getaddrinfo``-shaped (tests pass a fake one).
    """

    mode: Mode = "cli"
    allow: frozenset[tuple[str, int]] = frozenset()
    resolver: Resolver = field(default=_getaddrinfo, compare=False, repr=False)

    @classmethod
    def cli(cls) -> OutboundPolicy:
        return cls("cli")

    @classmethod
    def server(cls, allow: Iterable[tuple[str, int]] = ()) -> OutboundPolicy:
        """Public addresses only, plus ``allow`` (IP address literal, port) pairs."""
        pairs = set()
        for host, port in allow:
            address = _literal(host.strip("[]"))
            if address is None:
                raise ValueError(f"the allow-list takes IP addresses, not {host!r}")
            pairs.add((str(address), int(port)))
        return cls("server", frozenset(pairs))

    def resolve(self, url: str) -> Target:
        """Check ``url`` and every address its host resolves to; raise if any is refused.

        Raises :class:`InsecureURL` for a refused URL or address and
        :class:`TransientError` when the name does not resolve.
        """
        clean = require_secure_url(url)
        parts = _split(clean)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = public_origin(clean)
        try:
            infos = self.resolver(host, port)
            found = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
        except (OSError, UnicodeError, ValueError):
            raise TransientError(f"Could not resolve the host name of {origin}.") from None
        if not found:
            raise TransientError(f"Could not resolve the host name of {origin}.")
        for text in found:
            address = _literal(text)
            if address is None:
                raise TransientError(f"Could not resolve the host name of {origin}.")
            kind = _kind(address)
            allowed = (str(address), port) in self.allow
            if kind == "private" and not allowed:
                raise InsecureURL(_refusal(origin, address, kind))
            if kind == "loopback" and self.mode == "server" and not allowed:
                raise InsecureURL(_refusal(origin, address, kind))
            if scheme == "http" and kind == "public":
                raise InsecureURL(
                    f"Refusing to use the plain http:// URL of {origin}: its host resolves "
                    "to a public address, and only https:// may go there."
                )
        return Target(scheme, host, port, origin, tuple(found))


_default = OutboundPolicy.cli()


def default_policy() -> OutboundPolicy:
    """The policy providers use unless given one: ``cli`` until a server sets its own."""
    return _default


def set_default_policy(policy: OutboundPolicy) -> None:
    """A server process calls this once at start: ``OutboundPolicy.server(allow=...)``."""
    global _default
    _default = policy
