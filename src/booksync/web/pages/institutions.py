""""Add a bank account": the institutions catalogue, **Connect** and **Create it**.

Anyone who reads the books sees the catalogue (the banks booksync can
connect to) and the company's bank accounts entered by hand; connecting and
creating are an admin's, so only admins get the buttons and the forms.
**Connect** starts the flow of the row's provider, named beside the button:
a SimpleFIN setup token pasted into a form, GoCardless's consent at the
bank, a Plaid public token, or, for the sandbox bank's banks when the
server runs ``--sandbox``, one click (GoCardless and Plaid live in
``connect_flows``, included here).  **Create it** enters an account by hand,
each mistake shown next to its field with nothing saved (docs/web.md,
"Add a bank account").  Every form is a plain POST answered by a redirect,
so the page works without its script, which only filters the rows shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app.banking import InstitutionView, add_bank_account
from booksync.app.institutions import (
    BankJournalView,
    bank_account_problems,
    bank_accounts,
    bank_journals,
    institution_page,
)
from booksync.app.sandbox_catalogue import sandbox_ids
from booksync.errors import BooksyncError
from booksync.ledger.limits import text_ok
from booksync.users.roles import Permission
from booksync.web.api.common import after_id, cursor_of
from booksync.web.api.connecting import (
    GOCARDLESS,
    PLAID,
    PROVIDER,
    PROVIDER_NAMES,
    connect_sandbox,
    connect_simplefin,
    missing_keys,
    sandbox_url,
)
from booksync.web.api.institutions import account_currency
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import opened
from booksync.web.pages import connect_flows
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)
router.include_router(connect_flows.router)  # its routes are this page's (web/app.py, ROUTERS)

PAGE_SIZE = 50
ACCOUNTS_SHOWN = 100
BRIDGE_NAME = "SimpleFIN Bridge"
FIELDS = ("account_number", "bank", "bic", "journal", "currency")
CONTROL = "holds a control character; only printable text is accepted"

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
Flow = Literal["sandbox", "simplefin", "gocardless", "plaid_sandbox", "plaid", "create"]


@dataclass(frozen=True, slots=True)
class Row:
    """An institution as the page lists it; ``flow`` is what its button starts, and
    ``missing`` what the server lacks for it (said beside a disabled button)."""

    id: str
    name: str
    bic: str | None
    country: str | None
    provider: str
    online_sync: bool
    flow: Flow
    missing: str | None = None

    @property
    def text(self) -> str:
        """What the script's live filter looks in (the server's search is ``?q=``)."""
        return " ".join(p for p in (self.name, self.bic, self.country) if p).lower()

    @property
    def via(self) -> str:
        """The provider **Connect** goes through, as a person reads its name."""
        return PROVIDER_NAMES.get(self.provider, self.provider)


BRIDGE = Row("simplefin-bridge", BRIDGE_NAME, None, None, PROVIDER, True, "simplefin")


def _flow(found: InstitutionView, sandbox: bool) -> tuple[Flow, str | None]:
    """What **Connect** does for ``found``: the sandbox's banks connect at the sandbox
    when it runs; GoCardless and Plaid otherwise need the server's own keys."""
    ours = sandbox and found.id in sandbox_ids(found.provider)
    if not found.online_sync:
        return "create", None
    if found.provider == PROVIDER:
        return ("sandbox" if ours else "simplefin"), None
    if found.provider == GOCARDLESS:
        return "gocardless", None if ours else missing_keys(GOCARDLESS)
    if found.provider == PLAID:
        return ("plaid_sandbox", None) if ours else ("plaid", missing_keys(PLAID))
    return "create", None


def _row(found: InstitutionView, sandbox: bool) -> Row:
    flow, missing = _flow(found, sandbox)
    return Row(found.id, found.name, found.bic, found.country, found.provider,
               found.online_sync, flow, missing)


def _bridge_matches(search: str) -> bool:
    return not search or search.casefold() in BRIDGE_NAME.casefold()


@router.get("/institutions")
def institutions(
    request: Request,
    caller: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    after: Annotated[str | None, Query(max_length=100)] = None,
    created: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """The catalogue a page at a time (keyset by name), and the company's accounts."""
    search = q.strip()
    sandbox = sandbox_url(request) is not None
    listed = institution_page(engine_of(request), search, after=after_id(after),
                              limit=PAGE_SIZE)
    rows = [_row(found, sandbox) for found in listed.found]
    if after is None and _bridge_matches(search):
        rows.insert(0, BRIDGE)
    with opened(request, caller) as books:
        accounts = [row for _, row in bank_accounts(books, limit=ACCOUNTS_SHOWN + 1)]
    later = None
    if listed.after is not None:
        later = "/institutions?" + urlencode(
            {"q": search, "after": cursor_of(listed.after)} if search
            else {"after": cursor_of(listed.after)})
    return page(
        request, caller, "institutions.html", active="institutions",
        title="Add a bank account", q=search, rows=rows, later=later,
        paged=after is not None, catalogue_empty=listed.catalogue_empty,
        sandbox=sandbox, accounts=accounts[:ACCOUNTS_SHOWN],
        more_accounts=len(accounts) > ACCOUNTS_SHOWN,
        created=next((a for a in accounts if created and a.journal == created), None),
    )


@router.post("/institutions/sandbox/{institution}")
def connect_sandbox_bank(
    request: Request,
    caller: Admin,
    institution: Annotated[str, Path(max_length=200)],
) -> Response:
    """One click: the server's sandbox bank gives a token, and it is claimed at once."""
    view = connect_sandbox(request, caller, institution)
    return RedirectResponse(f"/connections/{view.id}", status_code=303)


def _simplefin_form(request: Request, caller: Caller, error: str | None = None,
                    status_code: int = 200) -> Response:
    """The form, never holding a token typed before: a setup token is a secret."""
    return page(request, caller, "institution_simplefin.html", active="institutions",
                title=f"Connect through {BRIDGE_NAME}", error=error, status_code=status_code)


@router.get("/institutions/simplefin")
def simplefin_form(request: Request, caller: Admin) -> Response:
    return _simplefin_form(request, caller)


@router.post("/institutions/simplefin")
def simplefin_connect(request: Request, caller: Admin,
                      setup_token: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Claim the pasted token and go to the new connection; a refusal keeps the form."""
    return connect_flows.claim_pasted(
        request, caller, setup_token, _simplefin_form,
        "Paste the setup token your SimpleFIN Bridge gave you.",
        lambda token: connect_simplefin(request, caller, token))


def _account_form(
    request: Request,
    caller: Caller,
    values: dict[str, str],
    journals: tuple[BankJournalView, ...],
    *,
    problems: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(request, caller, "bank_account_form.html", active="institutions",
                title="Create a bank account", values=values, journals=journals,
                problems=problems or {}, error=error, status_code=status_code)


@router.get("/institutions/create")
def bank_account_form(
    request: Request,
    caller: Admin,
    bank: Annotated[str, Query(max_length=200)] = "",
    bic: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The **Create it** form; a catalogue row that cannot connect fills bank and BIC."""
    with opened(request, caller) as books:
        journals = bank_journals(books)
    values = dict.fromkeys(FIELDS, "") | {"bank": bank, "bic": bic}
    return _account_form(request, caller, values, journals)


@router.post("/institutions/create")
def bank_account_create(
    request: Request,
    caller: Admin,
    account_number: Annotated[str, Form(max_length=200)] = "",
    bank: Annotated[str, Form(max_length=400)] = "",
    bic: Annotated[str, Form(max_length=40)] = "",
    journal: Annotated[str, Form(max_length=128)] = "",
    currency: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Each field checked on its own first, so that each mistake shows next to its
    field; then the account and its journal are made in one transaction."""
    values = {"account_number": account_number, "bank": bank, "bic": bic,
              "journal": journal, "currency": currency}
    journals: tuple[BankJournalView, ...] = ()
    problems: dict[str, str] = {}
    try:
        with opened(request, caller) as books:
            journals = bank_journals(books)
            # A number holding a control character is never looked up (PostgreSQL
            # refuses NUL in a query): the other fields are checked without it.
            printable = text_ok(account_number, len(account_number))
            problems = bank_account_problems(
                books, account_number if printable else "", bank, bic=bic or None,
                journal=journal or None, currency=currency or None)
            if not printable:
                problems["account_number"] = CONTROL
            if not problems:
                made = add_bank_account(
                    books, account_number, bank, bic=bic or None, journal=journal or None,
                    currency=account_currency(books, journal or None, currency))
    except BooksyncError as exc:  # the transaction is rolled back: nothing was kept
        return _account_form(request, caller, values, journals, error=str(exc),
                             status_code=exc.http_status)
    if problems:
        return _account_form(request, caller, values, journals, problems=problems,
                             status_code=422)
    return RedirectResponse("/institutions?" + urlencode({"created": made.journal}),
                            status_code=303)
