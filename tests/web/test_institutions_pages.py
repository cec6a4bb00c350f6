"""The "Add a bank account" pages: the catalogue and its search, Connect (the sandbox
bank in one click, SimpleFIN with a setup token) and Create it, for every role.

The sandbox bank runs over real loopback HTTP, which the server's outbound
policy allows for its one port, as ``booksync serve --sandbox`` sets it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.sandbox_catalogue import seed_sandbox_catalogue
from booksync.banking.institutions import upsert_institutions
from booksync.banking.models import BankAccount, Connection, Institution, ProviderAccount
from booksync.db.engine import session_factory
from booksync.ledger.models import Journal, JournalType
from booksync.providers.base import Institution as ProviderInstitution
from booksync.sandbox import SandboxHandle
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

CONNECT_BUTTON = re.compile(r">\s*Connect\s*</(button|a)>")
GOOD_IBAN = "DE89370400440532013000"


pytest_plugins = ("tests.web.bank_fixtures",)


def count(web: Web, model: type[object], **where: object) -> int:
    with session_factory(web.engine)() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def rows_of(web: Web) -> tuple[int, int, int, int]:
    """Connections, linked accounts, bank journals and hand-made accounts, in all companies."""
    return (count(web, Connection), count(web, ProviderAccount),
            count(web, Journal, type=JournalType.BANK), count(web, BankAccount))


def names(html: str) -> list[str]:
    """The institutions listed, in order."""
    return re.findall(r'<tr data-text="[^"]*" data-institution="[^"]*" data-provider="[^"]*">'
                      r'\s*<td>([^<]+)', html)


def input_then_error(html: str, field: str) -> str:
    """The field-error element right after ``field``'s input (an AssertionError if none)."""
    found = re.search(rf'<input id="{field}" name="{field}"[^>]*>\s*'
                      r'<span class="field-error"[^>]*>([^<]+)</span>', html)
    assert found, f"no field-error right after {field}"
    return found.group(1)


def value_of(html: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" name="{field}" value="([^"]*)"', html)
    assert found
    return found.group(1)


def post_form(client: Client, url: str, **fields: str) -> httpx.Response:
    answer: httpx.Response = client.post(url, data={**fields, "csrf": client.csrf})
    return answer


# -- the catalogue ------------------------------------------------------------


def test_the_list_searches_name_bic_and_country_and_works_for_every_reader(
    web: Web, session: Session, sign_in: Callable[[str], Client]
) -> None:
    seed_sandbox_catalogue(session)
    session.commit()
    viewer = sign_in(VIEWER)
    page = viewer.get("/institutions")
    assert page.status_code == 200
    assert "Add a bank account" in page.text
    assert names(page.text) == ["SimpleFIN Bridge", "Banque du Lac", "Nordwerk Bank",
                                "Sakura Shinyo Bank"]
    assert "NWBKDEFF" in page.text
    assert names(viewer.get("/institutions?q=lac").text) == ["Banque du Lac"]
    assert names(viewer.get("/institutions?q=nwbkdeff").text) == ["Nordwerk Bank"]
    assert names(viewer.get("/institutions?q=JP").text) == ["Sakura Shinyo Bank"]
    assert names(viewer.get("/institutions?q=bridge").text) == ["SimpleFIN Bridge"]
    none = viewer.get("/institutions?q=Atlantis")
    assert names(none.text) == [] and "No institution matches" in none.text
    assert 'value="Atlantis"' in none.text  # the search box keeps what was searched


def test_the_list_is_paged_by_a_keyset_cursor(web: Web, session: Session,
                                              sign_in: Callable[[str], Client]) -> None:
    upsert_institutions(session, [
        ProviderInstitution(f"b{n:03d}", f"Bank {n:03d}", None, "DE", "simplefin", True)
        for n in range(60)
    ])
    session.commit()
    client = sign_in(VIEWER)
    first = client.get("/institutions?q=bank 0")
    shown = names(first.text)
    assert shown == [f"Bank {n:03d}" for n in range(50)]
    later = re.search(r'<a href="([^"]+)" rel="next">Next</a>', first.text)
    assert later, "a Next link to the following page"
    second = client.get(later.group(1).replace("&amp;", "&"))
    assert names(second.text) == [f"Bank {n:03d}" for n in range(50, 60)]
    assert 'rel="next"' not in second.text and "First page" in second.text
    assert client.get("/institutions?after=bogus").status_code == 422


def test_buttons_show_only_to_admins(web: Web, session: Session,
                                     sign_in: Callable[[str], Client]) -> None:
    seed_sandbox_catalogue(session)
    upsert_institutions(session, [ProviderInstitution("x", "Offline Sparkasse", "COBADEFFXXX",
                                                      "DE", "simplefin", False)])
    session.commit()
    for email in (VIEWER, ACCOUNTANT, OUTSIDER):
        page = sign_in(email).get("/institutions")
        assert page.status_code == 200 and "Nordwerk Bank" in page.text
        assert not CONNECT_BUTTON.search(page.text), email
        assert "Create it" not in page.text, email
    admin = sign_in(ADMIN).get("/institutions").text
    # Without the sandbox running, its banks connect with a setup token like any other.
    assert admin.count('<a class="button primary" href="/institutions/simplefin">Connect</a>'
                       ) == 4
    assert "/institutions/sandbox/" not in admin
    assert "/institutions/create?bank=Offline+Sparkasse&amp;bic=COBADEFFXXX" in admin
    assert '<a class="button" href="/institutions/create">Create it</a>' in admin


# -- connecting ---------------------------------------------------------------


def test_a_sandbox_bank_connects_in_one_click_with_linked_journals(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    page = admin.get("/institutions")
    # Each sandbox bank once per protocol the sandbox speaks, by name.
    assert names(page.text)[1:] == [name for name in (
        "Banque du Lac", "Nordwerk Bank", "Sakura Shinyo Bank") for _ in range(3)]
    assert 'action="/institutions/sandbox/nordwerk"' in page.text
    assert admin.post("/institutions/sandbox/nordwerk").status_code == 403  # no CSRF token
    assert rows_of(sandboxed) == (0, 0, 0, 0)
    done = post_form(admin, "/institutions/sandbox/nordwerk")
    assert done.status_code == 303
    location = done.headers["location"]
    assert re.fullmatch(r"/connections/\d+", location)
    ident = int(location.rsplit("/", 1)[1])
    with session_factory(sandboxed.engine)() as session:
        connection = session.get(Connection, ident)
        assert connection is not None and connection.company_id == sandboxed.company.id
        assert connection.state == "connected"
        assert connection.institution is not None
        assert connection.institution.bic in {"NWBKDEFF", "BDLCFRPP", "SKSYJPJT"}
        accounts = connection.accounts
        assert len(accounts) == len(bank.world.accounts) == 6
        journals = [a.journal for a in accounts]
        assert all(j is not None and j.type == JournalType.BANK for j in journals)
        assert len({j.code for j in journals if j}) == 6
        assert {a.currency_code for a in accounts} == {"EUR", "USD", "JPY"}
    assert count(sandboxed, Institution) == 9  # the sandbox's banks by protocol, no bare copies
    unknown = post_form(admin, "/institutions/sandbox/atlantis")
    assert unknown.status_code == 404
    assert "no institution" in unknown.text


def test_simplefin_connects_with_a_setup_token_and_never_shows_it(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    form = admin.get("/institutions/simplefin")
    assert form.status_code == 200
    assert "Setup token" in form.text and CONNECT_BUTTON.search(form.text)
    token = bank.setup_token()
    done = post_form(admin, "/institutions/simplefin", setup_token=token)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/connections/")
    made = rows_of(sandboxed)
    assert made[:3] == (1, 6, 6)

    again = post_form(admin, "/institutions/simplefin", setup_token=token)
    assert again.status_code == 400
    assert "already claimed" in again.text
    assert token not in again.text
    assert 'class="error"' in again.text
    assert rows_of(sandboxed) == made

    invalid = "not a token, but secret-ish 1234"
    wrong = post_form(admin, "/institutions/simplefin", setup_token=invalid)
    assert wrong.status_code == 422
    assert "not valid Base64" in wrong.text
    assert invalid not in wrong.text
    assert rows_of(sandboxed) == made
    empty = post_form(admin, "/institutions/simplefin", setup_token="  ")
    assert empty.status_code == 422
    assert rows_of(sandboxed) == made


# -- Create it ------------------------------------------------------------------


def test_a_wrong_iban_is_shown_next_to_account_number_and_nothing_is_saved(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    admin = sign_in(ADMIN)
    form = admin.get("/institutions/create")
    assert form.status_code == 200
    for label in ("Account Number", "Bank", "Bank Identifier Code", "Journal", ">Create<"):
        assert label in form.text
    before = rows_of(web)
    answer = post_form(admin, "/institutions/create", account_number="DE89370400440532013001",
                       bank="Hausbank", bic="COBADEFFXXX", journal="", currency="")
    html = answer.text
    assert answer.status_code == 422
    assert "not a valid IBAN" in input_then_error(html, "account_number")
    assert value_of(html, "account_number") == "DE89370400440532013001"
    assert value_of(html, "bank") == "Hausbank" and value_of(html, "bic") == "COBADEFFXXX"
    assert "field-error" not in html.split('id="bank"')[1].split("<label")[0]
    assert rows_of(web) == before


def test_a_wrong_bic_is_shown_next_to_its_field_and_nothing_is_saved(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    admin = sign_in(ADMIN)
    before = rows_of(web)
    answer = post_form(admin, "/institutions/create", account_number=GOOD_IBAN,
                       bank="Hausbank", bic="NOTABIC!", journal="")
    html = answer.text
    assert answer.status_code == 422
    assert "not a valid Bank Identifier Code" in input_then_error(html, "bic")
    assert value_of(html, "account_number") == GOOD_IBAN and value_of(html, "bank") == "Hausbank"
    assert 'id="account_number-error"' not in html
    assert rows_of(web) == before


def test_a_good_account_creates_the_account_and_its_bank_journal(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    admin = sign_in(ADMIN)
    done = post_form(admin, "/institutions/create", account_number="DE89 3704 0044 0532 0130 00",
                     bank="Hausbank", bic="COBADEFFXXX", journal="", currency="")
    assert done.status_code == 303
    location = done.headers["location"]
    with session_factory(web.engine)() as session:
        account = session.scalars(select(BankAccount)).one()
        assert account.company_id == web.company.id
        assert account.account_number == GOOD_IBAN
        assert account.bank is not None and account.bank.bic == "COBADEFFXXX"
        assert account.journal.type == JournalType.BANK and account.currency_code == "EUR"
        code = account.journal.code
    assert location == f"/institutions?created={code}"
    page = admin.get(location)
    assert f"Created bank account {GOOD_IBAN} at Hausbank, booked in journal {code}" in page.text
    # The new journal is offered to the next account; the same number twice is refused.
    form = admin.get("/institutions/create").text
    assert f'<option value="{code}">' in form
    twice = post_form(admin, "/institutions/create", account_number=GOOD_IBAN, bank="Other",
                      journal=code)
    assert twice.status_code == 422
    assert "already exists" in input_then_error(twice.text, "account_number")
    assert count(web, BankAccount) == 1


def test_an_account_can_join_an_existing_journal_in_its_currency(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        first = add_bank_account(books, "000123456789", "First Prairie", currency="USD")
    admin = sign_in(ADMIN)
    journals = count(web, Journal, type=JournalType.BANK)
    done = post_form(admin, "/institutions/create", account_number="000987654321",
                     bank="First Prairie", journal=first.journal)
    assert done.status_code == 303
    assert count(web, Journal, type=JournalType.BANK) == journals
    with session_factory(web.engine)() as session:
        joined = session.scalars(select(BankAccount).where(
            BankAccount.account_number == "000987654321")).one()
        assert joined.currency_code == "USD" and joined.journal.code == first.journal
    missing = post_form(admin, "/institutions/create", account_number="1", bank="B",
                        journal="NOPE")
    assert missing.status_code == 422
    assert "unknown journal" in missing.text


# -- roles ------------------------------------------------------------------------


def test_only_admins_may_connect_or_create(web: Web, sign_in: Callable[[str], Client]) -> None:
    for email in (VIEWER, ACCOUNTANT, OUTSIDER):
        client = sign_in(email)
        assert client.get("/institutions/simplefin").status_code == 403
        assert client.get("/institutions/create").status_code == 403
        for url, fields in (
            ("/institutions/simplefin", {"setup_token": "abc"}),
            ("/institutions/sandbox/nordwerk", {}),
            ("/institutions/create", {"account_number": GOOD_IBAN, "bank": "Hausbank"}),
        ):
            answer = post_form(client, url, **fields)
            assert answer.status_code == 403, (email, url)
    assert rows_of(web) == (0, 0, 0, 0)


def test_the_outsider_never_sees_acmes_accounts_or_journals(
    web: Web, sign_in: Callable[[str], Client]
) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        acme = add_bank_account(books, GOOD_IBAN, "Acme Hausbank")
    with open_books(web.engine, "Globex GmbH") as books:
        globex = add_bank_account(books, "FR1420041010050500013M02606", "Globex Banque")
    outsider = sign_in(OUTSIDER)
    page = outsider.get("/institutions")
    assert page.status_code == 200
    assert "FR1420041010050500013M02606" in page.text and "Globex Banque" in page.text
    assert GOOD_IBAN not in page.text and "Acme Hausbank" not in page.text
    assert outsider.get("/institutions?company=Acme Ltd").status_code == 404
    viewer = sign_in(VIEWER).get("/institutions").text
    assert GOOD_IBAN in viewer and acme.journal in viewer
    assert "Globex Banque" not in viewer
    admin = sign_in(ADMIN)
    form = admin.get("/institutions/create?company=Globex GmbH").text
    assert f'<option value="{globex.journal}">' in form and "Acme Hausbank" not in form
    assert count(web, BankAccount, company_id=web.other.id) == 1
