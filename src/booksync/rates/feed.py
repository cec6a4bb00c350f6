"""Fetching the ECB's daily rate feed over HTTP (``booksync currency rate fetch``).

The request goes out the way a bank provider's does (docs/banking.md,
"Outbound requests"): through the pinned client of
:mod:`booksync.providers.pinned_transport`, so the process's outbound policy
decides where it may go (``https://``; plain ``http://`` to loopback only,
which is how the tests and the sandbox bank serve the same XML), no
redirects, no proxies.  The answer is read up to :data:`MAX_FEED_BYTES` and
parsed by :func:`booksync.rates.ecb.parse_feed`, which refuses a day after
today; httpx's errors become the provider error tree's, so a failure is one
sentence naming the server.
"""

from __future__ import annotations

import datetime as dt

import httpx

from booksync.providers.errors import ProviderError, ProviderProtocolError, TransientError
from booksync.providers.pinned_transport import pinned_client
from booksync.providers.url_policy import OutboundPolicy, public_origin, require_secure_url
from booksync.rates.ecb import EcbRates, parse_feed

__all__ = ["ECB_DAILY_URL", "MAX_FEED_BYTES", "fetch_feed"]

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
MAX_FEED_BYTES = 16 * 1024 * 1024
"""The ECB's full history as XML is a few megabytes; its daily feed a couple of kilobytes."""


def _read(client: httpx.Client, url: str, origin: str) -> bytes:
    try:
        with client.stream("GET", url, headers={"Accept": "application/xml"}) as response:
            if response.status_code != 200:
                error = TransientError if response.status_code >= 500 else ProviderError
                raise error(f"The ECB rate feed at {origin} answered HTTP {response.status_code}.")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise ProviderProtocolError(
                        f"The ECB rate feed at {origin} sent more than {MAX_FEED_BYTES} bytes."
                    )
            return bytes(body)
    except httpx.TimeoutException:
        raise TransientError(f"The ECB rate feed at {origin} did not answer in time.") from None
    except (httpx.NetworkError, httpx.ProtocolError, httpx.ProxyError) as exc:
        raise TransientError(
            f"Could not reach the ECB rate feed at {origin} ({type(exc).__name__})."
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(
            f"The request to the ECB rate feed at {origin} failed ({type(exc).__name__})."
        ) from None


def fetch_feed(
    url: str = ECB_DAILY_URL,
    *,
    policy: OutboundPolicy | None = None,
    timeout: float = 30.0,
) -> EcbRates:
    """The days of rates the feed at ``url`` gives; nothing is written here.

    ``policy``: where requests may go (default: the process's).  Raises the
    provider errors: :class:`InsecureURL` for a refused address,
    :class:`TransientError` when the server cannot be reached, and
    :class:`ProviderProtocolError` for an answer that is not the ECB's XML.
    """
    clean = require_secure_url(url)
    origin = public_origin(clean)
    with pinned_client(policy, timeout) as client:
        body = _read(client, clean, origin)
    return parse_feed(body, origin, today=_today())


def _today() -> dt.date:
    """The latest date it is anywhere this machine's clock can tell: the local one or
    UTC's.  The ECB dates its rates in Frankfurt and publishes them mid-afternoon,
    when that date has begun in UTC as well, so a feed's day is never later."""
    return max(dt.date.today(), dt.datetime.now(dt.UTC).date())
