"""The https/loopback rule (docs/banking.md, "Outbound requests")."""

from __future__ import annotations

import pytest

from booksync.providers.errors import InsecureURL
from booksync.providers.url_policy import is_loopback_host, public_origin, require_secure_url


@pytest.mark.parametrize(
    "url",
    [
        "https://bank.example/simplefin",
        "https://user:pw@bank.example:8443/simplefin",
        "http://127.0.0.1:8765/simplefin",
        "http://127.8.9.10/x",
        "http://[::1]:9000/x",
        "http://localhost/x",
        "http://LOCALHOST./x",
        "http://u:p@[::ffff:127.0.0.1]:80/x",
    ],
)
def test_allowed(url: str) -> None:
    assert require_secure_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://bank.example/simplefin",
        "http://user:hunter2@10.0.0.5/claim/TOKEN-SECRET",
        "http://128.0.0.1/x",
        "http://localhost.evil.example/x",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "bank.example/simplefin",
        "https:///no-host",
    ],
)
def test_refused_without_leaking(url: str) -> None:
    with pytest.raises(InsecureURL) as caught:
        require_secure_url(url)
    message = str(caught.value)
    assert message.endswith(".")
    assert "hunter2" not in message and "TOKEN-SECRET" not in message and "user" not in message


def test_plain_http_message_names_the_host_and_rule() -> None:
    with pytest.raises(InsecureURL, match=r"http://bank\.example.*only https://"):
        require_secure_url("http://u:p@bank.example/claim/abc")


def test_helpers() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("example.com")
    assert public_origin("https://u:p@h.example:444/a/b?c") == "https://h.example:444"
    assert public_origin("http://[::1]:80/x") == "http://[::1]:80"
