"""SimpleFIN over HTTP: claim, accounts, window pieces and every error path.

Uses ``httpx.MockTransport`` for edge cases a real server can't easily
produce; the loopback sandbox test covers the ordinary path.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from booksync.providers.base import Credentials, Provider, TransactionStatus, Window
from booksync.providers.errors import (
    InsecureURL,
    PaymentRequired,
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    SetupTokenRejected,
    TransientError,
)
from booksync.providers.simplefin import SimpleFINProvider, decode_setup_token
from booksync.providers.simplefin_http import AccessURL
from booksync.providers.simplefin_wire import bank_date_to_epoch

from .fake_simplefin import (
    ACCESS_URL,
    CLAIM_URL,
    PASSWORD,
    SECRETS,
    SETUP_TOKEN,
    USERNAME,
    FakeServer,
    account,
    account_set,
)

D = dt.date
Call = Callable[[SimpleFINProvider], object]
CREDS = Credentials("simplefin", ACCESS_URL, "https://sfin.example")
WINDOW = Window(D(2026, 3, 1), D(2026, 3, 8))


def _ok(body: bytes) -> FakeServer:
    return FakeServer(lambda request: httpx.Response(200, content=body))


def _assert_no_secret(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), str(exc.args)):
        for secret in SECRETS:
            assert secret not in text
    assert exc.__cause__ is None or not any(s in str(exc.__cause__) for s in SECRETS)


# -- claim -----------------------------------------------------------------


def test_claim_posts_empty_body_and_returns_hidden_credentials() -> None:
    server = _ok(ACCESS_URL.encode() + b"\n")
    creds = server.provider().claim(f" {SETUP_TOKEN}\n")
    (request,) = server.requests
    assert request.method == "POST" and str(request.url) == CLAIM_URL
    assert request.headers["content-length"] == "0" and request.content == b""
    assert creds.secret == ACCESS_URL and creds.provider == "simplefin"
    assert creds.label == "https://sfin.example"
    assert PASSWORD not in repr(creds)


def test_claim_twice_is_refused_with_compromise_warning() -> None:
    server = FakeServer(lambda request: httpx.Response(403, text="Forbidden"))
    with pytest.raises(SetupTokenRejected, match="already claimed or does not exist") as caught:
        server.provider().claim(SETUP_TOKEN)
    assert "compromised" in str(caught.value)
    _assert_no_secret(caught.value)


def test_claim_token_must_decode_to_a_secure_url() -> None:
    provider = _ok(b"").provider()
    with pytest.raises(ProviderError, match="not valid Base64"):
        provider.claim("%%%not-base64%%%")
    with pytest.raises(ProviderError, match="does not contain a claim URL"):
        provider.claim(base64.b64encode(b"hello world").decode())
    plain = base64.b64encode(b"http://sfin.example/claim/SECRET-CLAIM").decode()
    with pytest.raises(InsecureURL) as caught:
        provider.claim(plain)
    assert "SECRET-CLAIM" not in str(caught.value)
    loopback = base64.b64encode(b"http://127.0.0.1:8765/simplefin/claim/abc").decode()
    assert decode_setup_token(loopback) == "http://127.0.0.1:8765/simplefin/claim/abc"
    # urlsafe alphabet and missing padding are accepted
    urlsafe = base64.urlsafe_b64encode(CLAIM_URL.encode()).decode().rstrip("=")
    assert decode_setup_token(urlsafe) == CLAIM_URL


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"not a url", ProviderProtocolError),
        (b"https://sfin.example/simplefin", ProviderProtocolError),
        (f"http://{USERNAME}:{PASSWORD}@sfin.example/simplefin".encode(), InsecureURL),
    ],
)
def test_claim_answer_must_be_a_secure_access_url(
    answer: bytes, error: type[ProviderError]
) -> None:
    with pytest.raises(error) as caught:
        _ok(answer).provider().claim(SETUP_TOKEN)
    _assert_no_secret(caught.value)


# -- accounts and fetch ----------------------------------------------------


def test_list_accounts_uses_basic_auth_not_the_url() -> None:
    server = _ok(account_set(account("A"), account("B", org={"name": "Harbor", "id": "H"})))
    accounts = server.provider().list_accounts(CREDS)
    assert [a.id for a in accounts] == ["A", "B"]
    assert accounts[1].institution == "Harbor" and accounts[1].balance is not None
    assert accounts[1].balance.amount == Decimal("100.00")
    (request,) = server.requests
    assert request.url.host == "sfin.example" and request.url.path == "/simplefin/accounts"
    assert request.url.userinfo == b"" and PASSWORD not in str(request.url)
    expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.url.params["balances-only"] == "1"


def test_fetch_200_days_makes_three_requests_end_exclusive() -> None:
    window = Window(D(2025, 9, 1), D(2025, 9, 1) + dt.timedelta(days=200))
    server = _ok(account_set(account("A")))
    server.provider().fetch(CREDS, ["A", "B"], window, include_pending=True)
    assert len(server.requests) == 3
    bounds = [
        (int(r.url.params["start-date"]), int(r.url.params["end-date"])) for r in server.requests
    ]
    assert bounds[0][0] == bank_date_to_epoch(window.start)
    assert bounds[-1][1] == bank_date_to_epoch(window.end)
    for (_, end), (start, _) in itertools.pairwise(bounds):
        assert end == start  # exclusive end = next inclusive start: no gap, no overlap
    assert all(end - start <= 90 * 86400 for start, end in bounds)
    for request in server.requests:
        assert request.url.params.get_list("account") == ["A", "B"]
        assert request.url.params["pending"] == "1"


def test_fetch_without_pending_does_not_ask_or_return_pending() -> None:
    pending = {"id": "P", "posted": 0, "amount": "-3.00", "description": "hold"}
    server = _ok(account_set(account("A", pending)))
    (batch,) = server.provider().fetch(CREDS, None, WINDOW)
    assert "pending" not in server.requests[0].url.params
    assert batch.pending == () and batch.booked == ()


def _tx(tx_id: str, day: int, amount: str = "-5.00", **extra: Any) -> dict[str, Any]:
    posted = bank_date_to_epoch(D(2026, 3, day)) + 43200
    return {"id": tx_id, "posted": posted, "amount": amount, "description": "x", **extra}


def test_fetch_batches_booked_pending_balance_and_watermark() -> None:
    body = account_set(
        account(
            "A",
            _tx("T1", 1),
            _tx("T2", 3, "-7.25"),
            _tx("T3", 3, "-7.25"),  # genuine same-day same-amount pair: both kept
            _tx(" ", 4),
            _tx("OLD", 1, posted=bank_date_to_epoch(D(2026, 2, 27))),  # outside the window
            _tx("P1", 7, pending=True),
        ),
        account("B"),
    )
    batches = _ok(body).provider().fetch(CREDS, None, WINDOW, include_pending=True)
    a, b = batches
    assert [t.provider_transaction_id for t in a.booked] == ["T1", "T2", "T3", None]
    assert [t.provider_transaction_id for t in a.pending] == ["P1"]
    assert a.pending[0].status is TransactionStatus.PENDING
    assert a.balance is not None and a.balance.as_of == D(2026, 3, 5)
    assert a.next_watermark == WINDOW.end and a.problems == ()
    assert b.account_id == "B" and b.booked == () and b.complete


def test_fetch_merges_pieces_without_doubles() -> None:
    window = Window(D(2026, 1, 1), D(2026, 4, 10))  # 99 days: two pieces
    repeated = _tx("T-LATE", 9, "1.00", posted=bank_date_to_epoch(D(2026, 3, 30)))
    blank = {**repeated, "id": ""}
    pending = _tx("P", 9, pending=True, posted=0)
    server = _ok(account_set(account("A", repeated, blank, pending)))
    (batch,) = server.provider().fetch(CREDS, ["A"], window, include_pending=True)
    assert len(server.requests) == 2
    assert [t.provider_transaction_id for t in batch.booked] == ["T-LATE", None]
    assert [t.provider_transaction_id for t in batch.pending] == ["P"]


def test_duplicate_id_in_one_answer_is_kept_once_with_a_problem() -> None:
    body = account_set(account("A", _tx("T1", 1), _tx("T1", 2)))
    (batch,) = _ok(body).provider().fetch(CREDS, None, WINDOW)
    assert len(batch.booked) == 1 and batch.problems[0].code == "duplicate-id"


def test_missing_requested_account_is_incomplete() -> None:
    batches = _ok(account_set(account("A"))).provider().fetch(CREDS, ["A", "GONE"], WINDOW)
    gone = next(b for b in batches if b.account_id == "GONE")
    assert gone.next_watermark is None and gone.problems[0].code == "missing-account"
    assert _ok(b"{}").provider().fetch(CREDS, [], WINDOW) == []


def test_errlist_account_and_connection_errors_become_problems() -> None:
    body = account_set(
        account("A", conn_id="C1"),
        account("B", conn_id="C1"),
        account("C", conn_id="C2"),
        errlist=[
            {"code": "act.missingdata", "msg": "Incomplete listing.", "account_id": "A"},
            {"code": "con.", "msg": f"Bank C2 is down for {USERNAME}.", "conn_id": "C2"},
            {"code": "gen.api", "msg": "Use version 2.", "conn_id": None},
            {"code": "con.auth", "msg": "Login needed.", "conn_id": "C9"},
        ],
    )
    a, b, c = _ok(body).provider().fetch(CREDS, ["A", "B", "C"], WINDOW)
    assert [p.code for p in a.problems] == ["act.missingdata", "gen.api"]
    assert a.next_watermark is None
    assert [p.code for p in b.problems] == ["gen.api"] and b.next_watermark == WINDOW.end
    assert [p.code for p in c.problems] == ["con.", "gen.api"] and c.next_watermark is None
    assert USERNAME not in c.problems[0].message


def test_v1_errors_become_problems_and_stop_the_watermark() -> None:
    body = b'{"errors": ["Connection may need attention."], "accounts": []}'
    (batch,) = _ok(body).provider().fetch(CREDS, ["A"], WINDOW)
    assert next(p.message for p in batch.problems) == "Connection may need attention."
    assert batch.next_watermark is None


@pytest.mark.parametrize(
    "errlist",
    [
        [{"code": "gen.auth", "msg": "No credentials provided"}],
        [{"code": "con.auth", "msg": "Authentication failed", "conn_id": "C1"}],
        [{"code": "con.auth", "msg": "Authentication failed"}],
    ],
)
def test_auth_codes_require_reauth(errlist: list[dict[str, Any]]) -> None:
    body = account_set(account("A", conn_id="C1"), errlist=errlist)
    with pytest.raises(ReauthRequired, match="sign in to your bank again") as caught:
        _ok(body).provider().fetch(CREDS, ["A"], WINDOW)
    _assert_no_secret(caught.value)


def test_con_auth_of_another_connection_does_not_stop_this_one() -> None:
    body = account_set(
        account("A", conn_id="C1"),
        errlist=[{"code": "con.auth", "msg": "x", "conn_id": "C2"}],
    )
    (batch,) = _ok(body).provider().fetch(CREDS, ["A"], WINDOW)
    assert batch.complete and batch.problems == ()


def test_unknown_subcode_falls_back_to_its_prefix() -> None:
    # spec "Error": "con.auth.mfa" is an unknown sub-code of "con.", not "con.auth"
    body = account_set(
        account("A", conn_id="C1"),
        errlist=[{"code": "con.auth.mfa", "msg": "Check your phone.", "conn_id": "C1"}],
    )
    (batch,) = _ok(body).provider().fetch(CREDS, ["A"], WINDOW)
    assert [p.code for p in batch.problems] == ["con.auth.mfa"]
    assert batch.next_watermark is None


# -- HTTP statuses and transport failures ----------------------------------


@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    [
        (httpx.Response(403), ReauthRequired, "HTTP 403"),
        (
            httpx.Response(402, json={"errors": ["Subscription lapsed"]}),
            PaymentRequired,
            "Subscription lapsed",
        ),
        (
            httpx.Response(400, json={"errlist": [{"code": "gen.", "msg": "Bad window"}]}),
            ProviderError,
            "HTTP 400: Bad window",
        ),
        (httpx.Response(402), PaymentRequired, "payment"),
        (httpx.Response(429, headers={"Retry-After": "120"}), RateLimited, "120 seconds"),
        (httpx.Response(429), RateLimited, "later"),
        (httpx.Response(500), TransientError, "HTTP 500"),
        (httpx.Response(503, text="maintenance"), TransientError, "HTTP 503"),
        (httpx.Response(404, text="no such path"), ProviderError, "HTTP 404"),
        (httpx.Response(302, headers={"Location": "https://x/"}), ProviderError, "HTTP 302"),
        (httpx.Response(200, text="<html>oops</html>"), ProviderProtocolError, "not JSON"),
        (httpx.Response(200, json={"accounts": [{"id": 3}]}), ProviderProtocolError, "currency"),
    ],
)
def test_status_mapping(
    response: httpx.Response, error: type[ProviderError], fragment: str
) -> None:
    server = FakeServer(lambda request: response)
    calls: list[Call] = [
        lambda p: p.list_accounts(CREDS),
        lambda p: p.fetch(CREDS, ["A"], WINDOW),
    ]
    for call in calls:
        with pytest.raises(error) as caught:
            call(server.provider())
        assert type(caught.value) is error
        assert fragment in str(caught.value)
        assert str(caught.value).endswith(".")
        _assert_no_secret(caught.value)


def test_rate_limit_retry_after_http_date() -> None:
    when = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    with pytest.raises(RateLimited) as caught:
        FakeServer(lambda request: when).provider().fetch(CREDS, None, WINDOW)
    assert caught.value.retry_after == 0.0


def test_server_echoing_the_password_is_redacted() -> None:
    echo = httpx.Response(402, json={"errors": [f"Account {USERNAME}:{PASSWORD} must pay"]})
    with pytest.raises(PaymentRequired, match="must pay") as caught:
        FakeServer(lambda request: echo).provider().fetch(CREDS, None, WINDOW)
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("status", [400, 402, 404, 409])
def test_a_failed_answer_shows_no_body_but_the_error_fields(status: int) -> None:
    """An HTML page or an echo of the request is neither shown nor stored."""
    body = "<html>BODY-MARKER Authorization: Basic abc</html>"
    server = FakeServer(lambda request: httpx.Response(status, text=body))
    with pytest.raises(ProviderError) as caught:
        server.provider().fetch(CREDS, None, WINDOW)
    assert f"HTTP {status}" in str(caught.value)
    assert "BODY-MARKER" not in str(caught.value) and "html" not in str(caught.value)


def test_error_fields_are_cut_after_redaction() -> None:
    """A long message whose cut would fall inside the password shows none of it."""
    for pad in range(180, 200):
        message = "x" * pad + PASSWORD + " tail"
        answer = httpx.Response(402, json={"errors": [message]})
        server = FakeServer(lambda request: answer)  # noqa: B023 - used before the next loop
        with pytest.raises(PaymentRequired) as caught:
            server.provider().fetch(CREDS, None, WINDOW)
        text = str(caught.value)
        assert len(text) < 320
        for size in range(4, len(PASSWORD) + 1):
            assert PASSWORD[:size] not in text


@pytest.mark.parametrize(
    ("exception", "error", "fragment"),
    [
        (httpx.ConnectTimeout, TransientError, "did not answer in time"),
        (httpx.ReadTimeout, TransientError, "did not answer in time"),
        (httpx.ConnectError, TransientError, "Could not reach"),
        (httpx.ReadError, TransientError, "Could not reach"),
        (httpx.RemoteProtocolError, TransientError, "Could not reach"),
        (httpx.DecodingError, ProviderProtocolError, "could not be decoded"),
        (httpx.UnsupportedProtocol, ProviderError, "unsupported scheme"),
    ],
)
def test_transport_errors_are_mapped(
    exception: type[Exception], error: type[ProviderError], fragment: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exception(f"failed for {request.url} with {PASSWORD}")

    calls: list[Call] = [
        lambda p: p.fetch(CREDS, ["A"], WINDOW),
        lambda p: p.claim(SETUP_TOKEN),
    ]
    for call in calls:
        with pytest.raises(error, match=fragment) as caught:
            call(FakeServer(fail).provider())
        assert type(caught.value) is error
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        _assert_no_secret(caught.value)


# -- credentials and contract ------------------------------------------------


def test_credentials_of_another_provider_or_insecure_url_are_refused() -> None:
    provider = _ok(b"{}").provider()
    with pytest.raises(ProviderError, match="gocardless"):
        provider.fetch(Credentials("gocardless", "{}"), None, WINDOW)
    plain = Credentials("simplefin", f"http://{USERNAME}:{PASSWORD}@sfin.example/x")
    with pytest.raises(InsecureURL) as caught:
        provider.list_accounts(plain)
    _assert_no_secret(caught.value)
    with pytest.raises(ProviderProtocolError, match="no credentials"):
        provider.list_accounts(Credentials("simplefin", "https://sfin.example/x"))


def test_provider_contract() -> None:
    with SimpleFINProvider() as provider:
        typed: Provider = provider
        assert isinstance(provider, Provider)
        assert typed.name == "simplefin"
        caps = typed.capabilities
        assert caps.pending and caps.end_exclusive and caps.max_window_days == 90
        assert caps.cursor_or_window == "window"
        assert typed.list_institutions("US") == []
        session = typed.start_link(None, None, 90, 90)
        assert session.link_url.endswith("/simplefin/create")
        typed.revoke(CREDS)  # SimpleFIN has no revoke call: nothing is sent
    with pytest.raises(InsecureURL):
        SimpleFINProvider(create_url="http://bank.example/create")


def test_complete_link_claims_the_pasted_token() -> None:
    server = _ok(ACCESS_URL.encode())
    provider = server.provider()
    session = provider.start_link(None, None, 90, 90)
    assert provider.complete_link(session, SETUP_TOKEN).secret == ACCESS_URL


def test_lingering_pending_twin_with_the_booked_id_is_kept_in_both_pieces() -> None:
    window = Window(D(2026, 1, 1), D(2026, 4, 10))  # two pieces
    booked = _tx("SAME", 9, posted=bank_date_to_epoch(D(2026, 3, 30)))
    pending = {**booked, "posted": 0, "pending": True}
    answers = iter([account_set(account("A", pending)), account_set(account("A", booked))])
    server = FakeServer(lambda request: httpx.Response(200, content=next(answers)))
    (batch,) = server.provider().fetch(CREDS, ["A"], window, include_pending=True)
    assert [t.provider_transaction_id for t in batch.booked] == ["SAME"]
    assert [t.provider_transaction_id for t in batch.pending] == ["SAME"]


def test_long_descriptions_are_kept_whole() -> None:
    text = "SEPA CREDIT " + "INV-2026-0042 " * 40
    body = account_set(account("A", _tx("T1", 2, description=text)))
    (batch,) = _ok(body).provider().fetch(CREDS, None, WINDOW)
    assert batch.booked[0].description == text.strip()


def test_one_problem_per_error_not_per_piece() -> None:
    window = Window(D(2026, 1, 1), D(2026, 7, 1))  # three pieces
    body = account_set(account("A"), errlist=[{"code": "gen.", "msg": "Bridge is slow."}])
    server = _ok(body)
    (batch,) = server.provider().fetch(CREDS, None, window)
    assert len(server.requests) == 3
    assert [p.message for p in batch.problems] == ["Bridge is slow."]


def test_access_url_repr_and_warnings_never_show_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    access = AccessURL.parse(ACCESS_URL)
    assert access.base_url == "https://sfin.example/simplefin"
    assert PASSWORD not in repr(access) and USERNAME not in repr(access)
    body = account_set(
        account("A"), errlist=[{"code": "gen.", "msg": f"Hello {USERNAME}, pw {PASSWORD}."}]
    )
    with caplog.at_level("WARNING", logger="booksync.providers.simplefin"):
        _ok(body).provider().list_accounts(CREDS)
    assert "Hello ***, pw ***." in caplog.text
    assert PASSWORD not in caplog.text and USERNAME not in caplog.text
