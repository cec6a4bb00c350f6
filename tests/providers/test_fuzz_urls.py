"""Fuzz: setup tokens, access URLs and the outbound policy take any text calmly.

Arbitrary text, arbitrary Base64 of arbitrary text, and URL-shaped text end
in a value or a :class:`ProviderError` (one sentence for the user), never in
another exception, and in bounded time (hypothesis's deadline); so do the
bodies of failed answers.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
from collections.abc import Sequence
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.providers.errors import ProviderError
from booksync.providers.redaction import Redactor
from booksync.providers.simplefin_http import AccessURL, check_status, decode_setup_token
from booksync.providers.url_policy import OutboundPolicy, public_origin, require_secure_url

FUZZ = settings(deadline=dt.timedelta(seconds=2))

HOSTS = st.sampled_from(
    ["bank.example", "127.0.0.1", "[::1]", "10.0.0.1", "0x7f.1", "[fe80::1%25eth0]", "", "[::"]
)
URLISH = st.builds(
    lambda scheme, user, host, port, path: f"{scheme}{user}{host}{port}{path}",
    st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "", "https:/"]),
    st.sampled_from(["", "u:p@", "u@", ":@", "a%zz:b@", "user:p%40ss@", "@@"])
    | st.text(max_size=8),
    HOSTS | st.text(max_size=20),
    st.sampled_from(["", ":443", ":0", ":99999", ":-1", ":x", ":"]),
    st.text(max_size=30),
)
TEXT = st.text(max_size=200) | URLISH


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def _resolver(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    """A resolver that needs no network: names are public, unless they look local."""
    if "local" in host:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    if "fail" in host:
        raise socket.gaierror(socket.EAI_NONAME, "unknown")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]


POLICIES = [
    OutboundPolicy("cli", resolver=_resolver),
    OutboundPolicy("server", resolver=_resolver),
]


def _calm(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except ProviderError as exc:
        assert str(exc) and "\n" not in str(exc)


@FUZZ
@given(TEXT)
def test_setup_tokens_of_any_text(text: str) -> None:
    _calm(decode_setup_token, text)
    _calm(decode_setup_token, _b64(text))
    _calm(decode_setup_token, base64.urlsafe_b64encode(text.encode("utf-8", "replace")).decode())


@FUZZ
@given(TEXT)
def test_access_urls_and_policy_of_any_text(text: str) -> None:
    _calm(AccessURL.parse, text)
    _calm(require_secure_url, text)
    _calm(public_origin, text)
    for policy in POLICIES:
        _calm(policy.resolve, text)
    assert isinstance(Redactor.for_url(text)(f"echo {text} echo"), str)


@FUZZ
@given(URLISH)
def test_claim_urls_inside_setup_tokens(url: str) -> None:
    try:
        claim_url = decode_setup_token(_b64(url))
    except ProviderError:
        return
    for policy in POLICIES:
        _calm(policy.resolve, claim_url)


@FUZZ
@given(
    st.sampled_from([400, 402, 403, 404, 429, 500]),
    st.binary(max_size=300)
    | st.builds(
        lambda items: json.dumps({"errors": items}).encode(),
        st.lists(st.text(max_size=80) | st.integers(), max_size=4),
    ),
)
def test_failed_answers_of_any_body(status: int, body: bytes) -> None:
    """A failed answer's body never escapes as another exception, nor whole."""
    access = AccessURL.parse("https://user-1:pass-word-2@bank.example/simplefin")
    response = httpx.Response(status, content=body)
    try:
        check_status(response, access.origin, access)
    except ProviderError as exc:
        assert len(str(exc)) <= 400 and "pass-word-2" not in str(exc)
