"""Where booksync's requests may go (docs/banking.md, "Outbound requests").

Setup tokens decoding to private, link-local, unspecified or oddly written
addresses are refused in every mode with one sentence; loopback is refused in
server mode unless allow-listed. Refusals that could have reached this
machine are proved connection-free by a real loopback listener.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from booksync.providers.errors import InsecureURL, ProviderError, TransientError
from booksync.providers.simplefin import SimpleFINProvider
from booksync.providers.url_policy import OutboundPolicy, default_policy
from tests.providers.listener import Answer, listening
from tests.sandbox.conftest import needs_ipv6

CLI = OutboundPolicy.cli()
SERVER = OutboundPolicy.server()


def token(url: str) -> str:
    return base64.b64encode(url.encode()).decode()


def _one_sentence(exc: BaseException, *hidden: str) -> str:
    message = str(exc)
    assert message.endswith(".") and "\n" not in message
    assert message.count(". ") == 0, message
    for secret in hidden:
        assert secret not in message
    return message


@pytest.mark.parametrize("policy", [CLI, SERVER], ids=["cli", "server"])
@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "0.0.0.0",
        "[::]",
        "[fe80::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[2002:a00:1::]",  # 6to4 of 10.0.0.1
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "2130706433",  # 127.0.0.1 as one number
        "0x7f.1",
        "0177.0.0.1",
        "127.1",
        "3232235777",  # 192.168.1.1
    ],
)
def test_refused_everywhere_without_a_request(
    policy: OutboundPolicy, scheme: str, host: str
) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="https://u:p@bank.example/simplefin")

    setup_token = token(f"{scheme}://{host}/simplefin/claim/TOKEN-SECRET")
    recording = SimpleFINProvider(client=httpx.Client(transport=httpx.MockTransport(record)))
    with pytest.raises(InsecureURL) as caught:
        recording.claim(setup_token)
    _one_sentence(caught.value, "TOKEN-SECRET")
    assert sent == []  # refused before any request was made
    with SimpleFINProvider(policy=policy) as pinned, pytest.raises(InsecureURL):
        pinned.claim(setup_token)
    with pytest.raises(InsecureURL):
        policy.resolve(f"{scheme}://{host}:8443/x")


def _claim_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/simplefin/claim/TOKEN-SECRET"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "LocalHost", "127.9.8.7", "[::ffff:127.0.0.1]"]
)
def test_server_mode_refuses_loopback_and_never_connects(host: str) -> None:
    with listening("127.0.0.1") as listener:
        port = listener.server_address[1]
        with SimpleFINProvider(policy=SERVER) as provider, pytest.raises(InsecureURL) as caught:
            provider.claim(token(_claim_url(host, port)))
        assert listener.accepted == []
    message = _one_sentence(caught.value, "TOKEN-SECRET")
    assert "loopback" in message


@needs_ipv6
def test_server_mode_refuses_ipv6_loopback_and_never_connects() -> None:
    with listening("::1") as listener:
        port = listener.server_address[1]
        with SimpleFINProvider(policy=SERVER) as provider, pytest.raises(InsecureURL):
            provider.claim(token(_claim_url("[::1]", port)))
        assert listener.accepted == []


def test_server_mode_allows_its_own_sandbox_only() -> None:
    answer = Answer(200, b"http://user:pass-word@127.0.0.1:1/simplefin")
    with listening("127.0.0.1", answer) as listener, listening("127.0.0.1") as other:
        port = listener.server_address[1]
        policy = OutboundPolicy.server(allow=[("127.0.0.1", port)])
        with SimpleFINProvider(policy=policy) as provider:
            credentials = provider.claim(token(_claim_url("127.0.0.1", port)))
            assert credentials.label == "http://127.0.0.1:1"
            with pytest.raises(InsecureURL):
                provider.claim(token(_claim_url("127.0.0.1", other.server_address[1])))
        assert len(listener.accepted) == 1 and other.accepted == []
    with pytest.raises(ValueError, match="IP addresses"):
        OutboundPolicy.server(allow=[("localhost", 80)])


def test_cli_mode_reaches_loopback() -> None:
    assert default_policy().mode == "cli"
    with listening("127.0.0.1", Answer(403)) as listener:
        with SimpleFINProvider() as provider, pytest.raises(ProviderError, match="refused"):
            provider.claim(token(_claim_url("localhost", listener.server_address[1])))
        assert len(listener.accepted) == 1


def _resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int) -> Sequence[tuple[Any, ...]]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_every_resolved_address_is_checked() -> None:
    mixed = OutboundPolicy("server", resolver=_resolver("93.184.216.34", "10.1.2.3"))
    with pytest.raises(InsecureURL, match=r"10\.1\.2\.3"):
        mixed.resolve("https://bank.example/simplefin")
    public = OutboundPolicy("server", resolver=_resolver("93.184.216.34", "2606:2800::1"))
    target = public.resolve("https://bank.example:8443/simplefin")
    assert target.addresses == ("93.184.216.34", "2606:2800::1") and target.port == 8443
    rebound = OutboundPolicy("server", resolver=_resolver("127.0.0.1"))
    with pytest.raises(InsecureURL, match="loopback"):
        rebound.resolve("https://bank.example/simplefin")
    with pytest.raises(InsecureURL, match="public address"):
        OutboundPolicy("cli", resolver=_resolver("93.184.216.34")).resolve("http://localhost/")


def test_an_unresolvable_name_is_transient() -> None:
    def fail(host: str, port: int) -> Sequence[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(TransientError, match="resolve"):
        OutboundPolicy("cli", resolver=fail).resolve("https://bank.example/simplefin")


def test_the_connection_goes_to_the_checked_address() -> None:
    """DNS rebinding: the address checked is the one connected to, whatever DNS says later.

    The policy's resolver says ``localhost`` is 127.0.0.2, where the system
    says 127.0.0.1: the request reaches the listener on 127.0.0.2, with the
    name kept in the Host header.
    """
    with listening("127.0.0.2", Answer(403)) as pinned, listening("127.0.0.1") as system:
        port = pinned.server_address[1]
        policy = OutboundPolicy("cli", resolver=_resolver("127.0.0.2"))
        with SimpleFINProvider(policy=policy) as provider, pytest.raises(ProviderError):
            provider.claim(token(_claim_url("localhost", port)))
        assert len(pinned.accepted) == 1 and system.accepted == []
        assert pinned.hosts == [f"localhost:{port}"]


def test_redirects_are_not_followed() -> None:
    redirect = Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with listening("127.0.0.1", redirect) as listener:
        with SimpleFINProvider() as provider, pytest.raises(ProviderError) as caught:
            provider.claim(token(_claim_url("127.0.0.1", listener.server_address[1])))
        assert len(listener.accepted) == 1
    assert "HTTP 302" in str(caught.value) and "169.254" not in str(caught.value)


BODY = b"BODY-MARKER root:x:0:0:root:/root:/bin/bash " + b"secret-internal-data " * 20


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, TransientError), (503, TransientError), (400, ProviderError), (404, ProviderError)],
)
def test_a_failed_claim_shows_the_status_and_no_byte_of_the_body(
    status: int, error: type[ProviderError]
) -> None:
    with (
        listening("127.0.0.1", Answer(status, BODY)) as listener,
        SimpleFINProvider() as provider,
        pytest.raises(error) as caught,
    ):
        provider.claim(token(_claim_url("127.0.0.1", listener.server_address[1])))
    message = _one_sentence(caught.value, "TOKEN-SECRET")
    assert f"HTTP {status}" in message and "did not accept the setup token" in message
    for word in (b"BODY-MARKER", b"root", b"secret-internal-data", b"bash"):
        assert word.decode() not in message


def test_a_claim_answered_with_something_else_shows_none_of_it() -> None:
    with (
        listening("127.0.0.1", Answer(200, BODY)) as listener,
        SimpleFINProvider() as provider,
        pytest.raises(ProviderError) as caught,
    ):
        provider.claim(token(_claim_url("127.0.0.1", listener.server_address[1])))
    assert "did not answer the claim with an access URL" in str(caught.value)
    assert "BODY-MARKER" not in str(caught.value) and "root" not in str(caught.value)


def test_a_huge_claim_answer_is_not_read_whole() -> None:
    huge = Answer(200, b"https://u:p@bank.example/simplefin" + b"A" * (2 * 1024 * 1024))
    with (
        listening("127.0.0.1", huge) as listener,
        SimpleFINProvider() as provider,
        pytest.raises(ProviderError, match="larger than") as caught,
    ):
        provider.claim(token(_claim_url("127.0.0.1", listener.server_address[1])))
    assert "AAAA" not in str(caught.value) and "u:p@" not in str(caught.value)
