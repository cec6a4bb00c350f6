"""Which URLs a provider may talk to, and how to name one without its secrets.

DESIGN.md section 4: plain ``http://`` is accepted only for loopback hosts
(the sandbox bank, tests); anything else must be ``https://``. The SimpleFIN
checklist says the same ("Only makes requests to SSL/TLS URLs").

Provider URLs carry secrets in their user-info (SimpleFIN access URLs) or in
their path (SimpleFIN claim URLs hold a one-time token), so messages name a
URL by scheme and host only.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from booksync.providers.errors import InsecureURL

__all__ = ["is_loopback_host", "public_origin", "require_secure_url"]

_LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also IPv4-mapped 127.x)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - validates the port
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


def require_secure_url(url: str) -> str:
    """Return ``url`` stripped of surrounding blanks if it may be used, else raise.

    Raises :class:`InsecureURL` for a scheme other than https (http is allowed
    for loopback hosts only) or a URL without a host. The message names the
    scheme and host, never the user-info or path.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not host:
        raise InsecureURL("The provider URL has no host name.")
    if scheme == "https":
        return url.strip()
    if scheme == "http" and is_loopback_host(host):
        return url.strip()
    if scheme == "http":
        raise InsecureURL(
            f"Refusing to use the plain http:// URL of {public_origin(url)}: "
            "only https:// is allowed, except for loopback hosts "
            "(127.0.0.1, ::1, localhost)."
        )
    raise InsecureURL(
        f"Refusing to use a {scheme or 'scheme-less'} URL: provider URLs must be https:// "
        "(or http:// on a loopback host)."
    )
