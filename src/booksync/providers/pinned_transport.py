"""An httpx transport that connects only to addresses the outbound policy checked.

Why pinning: checking a host name and then letting the HTTP library resolve
it again leaves a gap: a DNS server answering a public address to the check
and ``127.0.0.1`` to the connection ("DNS rebinding") would walk past the
check. So every request is checked here, just before it is sent: the policy
resolves the host once and checks every address (:mod:`url_policy`), and the
request's URL is rewritten to the first checked address, with the ``Host``
header kept and, for https, the original host name as TLS server name, so the
certificate is still verified against the name the user gave. The
connection pool is keyed by that address, so a pooled connection is always
one to a checked address. If the first address refuses the connection, the
next checked one is tried.

Redirects: the provider's client does not follow them (a 3xx is an error);
were one followed, its request would come through here and be checked too.
Proxies are not used: a client given a transport ignores the proxy
environment variables, and a proxy would connect where the check did not
look.
"""

from __future__ import annotations

import ipaddress

import httpx

from booksync.providers.url_policy import OutboundPolicy, default_policy

__all__ = ["PinnedTransport", "pinned_client"]


class PinnedTransport(httpx.BaseTransport):
    """Check each request's URL with ``policy`` and connect to a checked address."""

    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self._policy = policy or default_policy()
        self._inner = httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self._policy.resolve(str(request.url))
        original = request.url
        if target.scheme == "https" and _is_name(target.host):
            request.extensions = {**request.extensions, "sni_hostname": target.host}
        last: httpx.ConnectError | None = None
        for address in target.addresses:
            request.url = original.copy_with(host=address)
            try:
                return self._inner.handle_request(request)
            except httpx.ConnectError as exc:
                last = exc
            finally:
                request.url = original
        assert last is not None  # resolve() returns at least one address
        raise last

    def close(self) -> None:
        self._inner.close()


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def pinned_client(policy: OutboundPolicy | None, timeout: float) -> httpx.Client:
    """An httpx client for provider requests: pinned, no redirects, no proxies."""
    return httpx.Client(transport=PinnedTransport(policy), timeout=timeout, follow_redirects=False)
