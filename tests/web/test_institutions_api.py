"""The API of "Add a bank account": ``GET /api/v1/institutions``, ``POST
/api/v1/connections`` (SimpleFIN or the sandbox bank) and ``/api/v1/bank-accounts``,
for every role, with the sandbox bank over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.sandbox_catalogue import seed_sandbox_catalogue
from booksync.banking.institutions import upsert_institutions
from booksync.banking.models import BankAccount, Connection, ProviderAccount
from booksync.db.engine import session_factory
from booksync.ledger.models import Journal, JournalType
from booksync.providers.base import Institution as ProviderInstitution
from booksync.sandbox import SandboxHandle
from booksync.users.tokens import create_token
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

GOOD_IBAN = "DE89370400440532013000"
INSTITUTION_KEYS = {"id", "name", "bic", "country", "provider", "online_sync"}


pytest_plugins = ("tests.web.bank_fixtures",)


def rows_of(web: Web) -> tuple[int, int, int, int]:
    """Connections, linked accounts, bank journals and hand-made accounts."""
    with session_factory(web.engine)() as session:
        found = [
            int(session.scalar(query) or 0) for query in (
                select(func.count()).select_from(Connection),
                select(func.count()).select_from(ProviderAccount),
                select(func.count()).select_from(Journal).where(
                    Journal.type == JournalType.BANK),
                select(func.count()).select_from(BankAccount),
            )]
    return found[0], found[1], found[2], found[3]


def send(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": client.csrf})


# -- the catalogue --------------------------------------------------------------


def test_institutions_are_searched_and_paged_by_cursor(
    web: Web, session: Session, sign_in: Callable[[str], Client]
) -> None:
    seed_sandbox_catalogue(session)
    upsert_institutions(session, [
        ProviderInstitution(f"n{n}", f"Nordbank {n}", None, "DK", "simplefin", True)
        for n in range(5)
    ])
    session.commit()
    client = sign_in(VIEWER)
    everything = client.get("/api/v1/institutions").json()
    assert everything["next"] is None and len(everything["items"]) == 8
    assert set(everything["items"][0]) == INSTITUTION_KEYS
    lac = client.get("/api/v1/institutions", params={"q": "lac"}).json()
    assert lac == {"items": [{"id": "banque-du-lac", "name": "Banque du Lac", "bic": "BDLCFRPP",
                              "country": "FR", "provider": "simplefin", "online_sync": True}],
                   "next": None}
    assert [i["name"] for i in client.get("/api/v1/institutions?q=sksyjpjt").json()["items"]
            ] == ["Sakura Shinyo Bank"]
    assert [i["country"] for i in client.get("/api/v1/institutions?q=dk").json()["items"]
            ] == ["DK"] * 5
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params: dict[str, Any] = {"q": "nord", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        answer = client.get("/api/v1/institutions", params=params).json()
        seen += [i["name"] for i in answer["items"]]
        cursor = answer["next"]
        if cursor is None:
            break
    assert seen == [f"Nordbank {n}" for n in range(5)] + ["Nordwerk Bank"]
    bad = client.get("/api/v1/institutions?cursor=bogus")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    assert web.client().get("/api/v1/institutions").status_code == 401


def test_with_the_sandbox_its_banks_are_in_the_catalogue(sandboxed: Web) -> None:
    client = sandboxed.sign_in(VIEWER)
    items = client.get("/api/v1/institutions").json()["items"]
    # Each of its banks under each protocol the sandbox speaks.
    assert sorted((i["name"], i["provider"]) for i in items) == [
        (name, provider) for name in ("Banque du Lac", "Nordwerk Bank", "Sakura Shinyo Bank")
        for provider in ("gocardless", "plaid", "simplefin")]


# -- connecting -------------------------------------------------------------------


def test_a_sandbox_institution_connects_with_one_call(sandboxed: Web) -> None:
    admin = sandboxed.sign_in(ADMIN)
    answer = send(admin, "/api/v1/connections", {"sandbox_institution": "Banque du Lac"})
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert answer.headers["location"] == f"/api/v1/connections/{data['id']}"
    assert data["provider"] == "simplefin" and data["state"] == "connected"
    assert data["interval"] == "12h" and data["auto_sync"] is True
    assert len(data["accounts"]) == 6
    assert all(a["journal"] for a in data["accounts"])
    assert rows_of(sandboxed)[:3] == (1, 6, 6)
    unknown = send(admin, "/api/v1/connections", {"sandbox_institution": "Atlantis Bank"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert rows_of(sandboxed)[:3] == (1, 6, 6)


def test_a_setup_token_connects_once_and_never_comes_back(sandboxed: Web,
                                                          bank: SandboxHandle) -> None:
    admin = sandboxed.sign_in(ADMIN)
    token = bank.setup_token()
    answer = send(admin, "/api/v1/connections?company=Globex GmbH",
                  {"provider": "simplefin", "setup_token": token, "interval": "4h",
                   "history_days": 30, "include_pending": False})
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["interval"] == "4h" and token not in answer.text
    with session_factory(sandboxed.engine)() as session:
        made = session.get(Connection, data["id"])
        assert made is not None and made.company_id == sandboxed.other.id
        assert made.history_days == 30 and made.include_pending is False
    before = rows_of(sandboxed)
    again = send(admin, "/api/v1/connections", {"provider": "simplefin", "setup_token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "setup_token_rejected"
    assert "already claimed" in again.json()["error"]["message"]
    assert token not in again.text
    invalid = "definitely-not-a-token"
    wrong = send(admin, "/api/v1/connections", {"provider": "simplefin", "setup_token": invalid})
    assert wrong.status_code == 422 and invalid not in wrong.text
    assert rows_of(sandboxed) == before


def test_connection_requests_that_cannot_be_used_are_refused(web: Web,
                                                             sign_in: Callable[[str], Client]
                                                             ) -> None:
    admin = sign_in(ADMIN)
    for body, code in (
        ({"sandbox_institution": "nordwerk"}, "invalid"),  # no sandbox on this server
        ({"setup_token": "abc"}, "invalid"),  # no provider
        ({"provider": "plaid", "setup_token": "abc"}, "invalid"),
        ({"provider": "simplefin"}, "invalid"),
        ({"provider": "simplefin", "setup_token": "abc", "history_days": 0}, "invalid"),
        ({"provider": "simplefin", "setup_token": "abc", "interval": "1m"}, "invalid"),
        ({"provider": "simplefin", "setup_token": "abc", "password": "x"}, "invalid"),
        ({"setup_token": "abc", "sandbox_institution": "nordwerk"}, "invalid"),
    ):
        answer = send(admin, "/api/v1/connections", body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == code
        assert "abc" not in answer.json()["error"]["message"]
    assert rows_of(web) == (0, 0, 0, 0)


# -- bank accounts ----------------------------------------------------------------


def test_bank_accounts_are_created_checked_and_listed(web: Web,
                                                      sign_in: Callable[[str], Client]) -> None:
    admin = sign_in(ADMIN)
    made = send(admin, "/api/v1/bank-accounts",
                {"account_number": GOOD_IBAN, "bank": "Hausbank", "bic": "COBADEFFXXX"})
    assert made.status_code == 201, made.text
    assert made.json() == {"account_number": GOOD_IBAN, "bank": "Hausbank",
                           "bic": "COBADEFFXXX", "journal": "BNK1", "currency": "EUR",
                           "new_journal": True}
    before = rows_of(web)
    for body, words in (
        ({"account_number": "DE89370400440532013001", "bank": "Hausbank"}, "not a valid IBAN"),
        ({"account_number": "DE75512108001245126199", "bank": "Hausbank", "bic": "NOPE"},
         "not a valid Bank Identifier Code"),
        ({"account_number": "000111", "bank": "Hausbank", "journal": "NOPE"}, "unknown journal"),
    ):
        refused = send(admin, "/api/v1/bank-accounts", body)
        assert refused.status_code in (404, 422), refused.text
        assert words in refused.json()["error"]["message"]
    assert rows_of(web) == before
    usd = send(admin, "/api/v1/bank-accounts",
               {"account_number": "000123456789", "bank": "First Prairie", "currency": "USD"})
    assert usd.json()["journal"] == "BNK2" and usd.json()["currency"] == "USD"
    joined = send(admin, "/api/v1/bank-accounts",
                  {"account_number": "000987654321", "bank": "First Prairie", "journal": "BNK2"})
    assert joined.status_code == 201 and joined.json()["currency"] == "USD"
    assert joined.json()["new_journal"] is False
    first = admin.get("/api/v1/bank-accounts?limit=2").json()
    assert [a["account_number"] for a in first["items"]] == [GOOD_IBAN, "000123456789"]
    assert set(first["items"][0]) == {"account_number", "bank", "bic", "journal", "currency"}
    rest = admin.get("/api/v1/bank-accounts", params={"limit": 2, "cursor": first["next"]}).json()
    assert [a["account_number"] for a in rest["items"]] == ["000987654321"]
    assert rest["next"] is None


# -- roles ------------------------------------------------------------------------


def test_only_admins_may_post_and_the_outsider_sees_only_globex(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        add_bank_account(books, GOOD_IBAN, "Acme Hausbank")
    with open_books(web.engine, "Globex GmbH") as books:
        add_bank_account(books, "FR1420041010050500013M02606", "Globex Banque")
    before = rows_of(web)
    for email in (VIEWER, ACCOUNTANT, OUTSIDER):
        client = sign_in(email)
        assert client.get("/api/v1/institutions").status_code == 200
        for url, body in (
            ("/api/v1/connections", {"provider": "simplefin", "setup_token": "abc"}),
            ("/api/v1/bank-accounts", {"account_number": "000555", "bank": "X"}),
        ):
            answer = send(client, url, body)
            assert answer.status_code == 403, (email, url)
            assert answer.json()["error"]["code"] == "forbidden"
    assert rows_of(web) == before
    viewer = sign_in(VIEWER).get("/api/v1/bank-accounts").json()["items"]
    assert [a["bank"] for a in viewer] == ["Acme Hausbank"]
    outsider = sign_in(OUTSIDER)
    assert [a["bank"] for a in outsider.get("/api/v1/bank-accounts").json()["items"]
            ] == ["Globex Banque"]
    hidden = outsider.get("/api/v1/bank-accounts", params={"company": "Acme Ltd"})
    assert hidden.status_code == 404 and "Acme Hausbank" not in hidden.text


def test_a_bearer_token_needs_no_csrf_and_a_session_does(
    web: Web, session: Session, sign_in: Callable[[str], Client]
) -> None:
    _, token = create_token(session, ADMIN, "script")
    session.commit()
    body = {"account_number": GOOD_IBAN, "bank": "Hausbank"}
    without = sign_in(ADMIN).post("/api/v1/bank-accounts", json=body)
    assert without.status_code == 403
    assert rows_of(web) == (0, 0, 0, 0)
    program = web.client().post("/api/v1/bank-accounts", json=body,
                                headers={"Authorization": f"Bearer {token}"})
    assert program.status_code == 201 and program.json()["journal"] == "BNK1"
