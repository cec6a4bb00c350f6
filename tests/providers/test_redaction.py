"""Every spelling of a credential is masked in text a server sent back."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import quote, quote_plus

import httpx
import pytest

from booksync.providers.base import Credentials, Window
from booksync.providers.errors import ProviderError, RateLimited, ReauthRequired
from booksync.providers.redaction import MASK, Redactor, redact_secret
from booksync.providers.simplefin_http import AccessURL
from tests.providers.fake_simplefin import FakeServer, account, account_set

USER = "bank-user@home"
PASSWORD = "p@ss/w:rd+ 9%Zq~"
ACCESS_URL = f"https://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@sfin.example/simplefin"
PAIR = f"{USER}:{PASSWORD}".encode()


def spellings() -> list[str]:
    encoded = quote(PASSWORD, safe="")
    return [
        PASSWORD,
        USER,
        encoded,
        encoded.lower(),
        quote(PASSWORD),
        quote_plus(PASSWORD),
        quote(USER, safe=""),
        base64.b64encode(PAIR).decode(),
        base64.b64encode(PAIR).decode().rstrip("="),
        base64.urlsafe_b64encode(PAIR).decode(),
        ACCESS_URL,
        f"{quote(USER, safe='')}:{encoded}",
    ]


def test_every_spelling_is_masked() -> None:
    redact = AccessURL.parse(ACCESS_URL).redact
    for spelling in spellings():
        text = redact(f"Denied for [{spelling}] at the bank.")
        assert spelling not in text and MASK in text, spelling
        assert text.startswith("Denied for [") and text.endswith("] at the bank.")


def test_authorization_headers_are_masked_whatever_they_hold() -> None:
    redact = Redactor.for_url(ACCESS_URL)
    for header in (
        "Authorization: Basic dXNlcjpwYXNz",
        "authorization=Bearer abc.def.ghi",
        '"Authorization": "Token 12345"',
        "Proxy-Authorization: Basic Zm9vOmJhcg==",
    ):
        text = redact(f"echo {header}; done")
        for value in ("dXNlcjpwYXNz", "abc.def.ghi", "12345", "Zm9vOmJhcg"):
            assert value not in text
        assert text.startswith("echo ") and text.endswith("; done")


def test_plain_text_is_left_alone() -> None:
    redact = Redactor.for_url(ACCESS_URL)
    text = "The bank is down for maintenance until 10:00 (code 503)."
    assert redact(text) == text
    assert Redactor(["ab"])("a cab and a crab") == "a cab and a crab"  # too short to mask


def test_a_secret_cut_at_the_end_of_a_message_is_masked() -> None:
    redact = Redactor.for_url(ACCESS_URL)
    for size in range(3, len(PASSWORD)):
        text = redact("x" * 40 + PASSWORD[:size] + "…")
        assert PASSWORD[:size] not in text and text.endswith(MASK + "…")


def test_redact_secret_for_url_and_opaque_secrets() -> None:
    assert PASSWORD not in redact_secret(f"echo {PASSWORD}", Credentials("simplefin", ACCESS_URL))
    tokens = '{"access": "tok-123456"}'
    masked = redact_secret(f"bad {tokens} and tok-123456", Credentials("x", tokens))
    assert masked == f"bad {MASK} and {MASK}"  # a value of a JSON secret echoed alone too


def test_a_json_secret_masks_each_of_its_values_but_not_its_address_or_codes() -> None:
    """A sealed JSON secret (GoCardless's pair, Plaid's keys and access token) holding a
    URL: the values are masked wherever they appear, the API's address and short codes
    (a currency) are left for the reader."""
    secret = ('{"base_url": "https://bank.example/api/v2", "secret_key": "sk-live-98765", '
              '"nested": {"access_token": "access-sandbox-abcdef"}, "currency": "EUR"}')
    text = ("refused sk-live-98765 for access-sandbox-abcdef in EUR at "
            "https://bank.example/api/v2")
    masked = redact_secret(text, Credentials("gocardless", secret))
    assert masked == f"refused {MASK} for {MASK} in EUR at https://bank.example/api/v2"


def test_provider_error_redaction_keeps_the_class_and_details() -> None:
    error = RateLimited(f"slow down {PASSWORD}.", 12.0)
    error.redact(Redactor.for_url(ACCESS_URL))
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    assert error.retry_after == 12.0 and error.args == (str(error),)


WINDOW = Window(dt.date(2026, 3, 1), dt.date(2026, 3, 8))


@pytest.mark.parametrize("where", ["errlist", "errors", "auth", "duplicate"])
def test_answers_echoing_the_credentials_are_redacted(where: str) -> None:
    """Errors and problems built from a 200 answer pass through the redactor too."""
    echo = " ".join(spellings())
    tx = {"id": echo[:200], "posted": 1772668800, "amount": "1.00", "description": "x"}
    if where == "errlist":
        body = account_set(account("A"), errlist=[{"code": "act.", "msg": echo}])
    elif where == "auth":
        body = account_set(account("A"), errlist=[{"code": "gen.auth", "msg": echo}])
    elif where == "duplicate":
        body = account_set(account("A", tx, tx))
    else:
        body = json.dumps({"errors": [echo], "accounts": [account("A")]}).encode()
    server = FakeServer(lambda request: httpx.Response(200, content=body))
    credentials = Credentials("simplefin", ACCESS_URL)
    texts: list[str] = []
    try:
        batches = server.provider().fetch(credentials, None, WINDOW)
        texts += [p.message for b in batches for p in b.problems]
    except ProviderError as exc:
        assert isinstance(exc, ReauthRequired)
        texts += [str(exc), repr(exc), str(exc.args)]
    assert texts
    for text in texts:
        for spelling in spellings():
            assert spelling not in text
