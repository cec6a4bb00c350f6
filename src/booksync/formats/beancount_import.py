"""Reads a Beancount v3 ledger into a company's books as posted entries.

Beancount itself parses, books and checks the file (``loader.load_file``:
includes, plugins, padding, interpolation, balance assertions), so booksync
sees exactly the transactions Beancount's own reports would; a file with any
Beancount error is refused whole.  What Beancount computes is then booked
through :class:`~booksync.ledger.entries.EntryImporter`, so every ledger rule
(docs/ledger.md: exact balance, active accounts, lock date) applies.

- Accounts come from ``open`` directives.  The type follows the root (the
  file's own root names, via its options).  ``code``/``name`` metadata (what
  the export writes) win; else a last component like ``1200-Bank`` gives code
  ``1200`` and name ``Bank``; else the code is the name without its root with
  ``:`` as ``.`` (booksync codes hold no ``:``, which the command line uses as
  its line separator), so ``Assets:Bank:Checking`` is ``Bank.Checking``.
  An existing account with that code and type is reused.
- Each transaction (``*``, ``!`` and the ``P`` ones padding inserts) becomes
  a posted entry in journal MISC: the posting's weight (units, or cost or
  price times units) is its amount, positive as a debit.  Weights must be in
  company currency; anything else is refused rather than converted at a
  guessed rate.  The payee becomes the partner of every line.
- An account the file closes (``close``) is made inactive once every entry
  is booked, so nothing is posted to it afterwards, as in Beancount.
- Balance, price, note, document and other directives carry no amounts and
  are skipped, as are transactions whose postings all weigh zero.

The import runs in the caller's transaction and writes nothing before the
file has been read and its currencies checked; on a later error (a rule of
the books) the caller rolls back, as ``booksync import`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import convert, data
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.accounts import add_account
from booksync.ledger.entries import EntryImporter, EntryInput, LineInput
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import MAX_BEANCOUNT_BYTES, MAX_CODE, MAX_NAME, fit_text
from booksync.ledger.models import Account, AccountType, Company, Partner
from booksync.ledger.partners import add_partner

__all__ = ["JOURNAL", "ImportSummary", "import_beancount"]

JOURNAL = "MISC"
ZERO = Decimal(0)
_CODED = re.compile(r"(\d+)-(.+)")
_ROOT_OPTIONS = {
    "name_assets": AccountType.ASSET,
    "name_liabilities": AccountType.LIABILITY,
    "name_equity": AccountType.EQUITY,
    "name_income": AccountType.INCOME,
    "name_expenses": AccountType.EXPENSE,
}
_weight: Callable[[Any], Any] = convert.get_weight  # Beancount's own, untyped


@dataclass(frozen=True, slots=True)
class ImportSummary:
    accounts_created: int
    partners_created: int
    entries_imported: int
    accounts_closed: int = 0


@dataclass(frozen=True, slots=True)
class _AccountSpec:
    code: str
    name: str
    type: AccountType
    where: str


def _where(meta: dict[str, Any] | None, fallback: str) -> str:
    """``file:line`` from Beancount metadata, as its own error messages say it."""
    if not meta or not meta.get("lineno") or str(meta.get("filename", "<")).startswith("<"):
        return fallback
    return f"{meta['filename']}:{meta['lineno']}"


def _refuse_errors(errors: list[Any], path: str) -> None:
    if not errors:
        return
    first = errors[0]
    message = str(first.message).strip().splitlines()[0] if first.message else "error"
    which = "the only error" if len(errors) == 1 else f"the first of {len(errors)} errors"
    raise LedgerError(f"{_where(first.source, path)}: {message} ({which} Beancount found)")


def _account_spec(open_: data.Open, kind: AccountType) -> _AccountSpec:
    where = _where(open_.meta, open_.account)
    meta = open_.meta or {}
    code, name = meta.get("code"), meta.get("name")
    if not isinstance(code, str) or not code.strip():
        rest = open_.account.split(":", 1)[1]
        coded = _CODED.fullmatch(rest.rsplit(":", 1)[-1])
        if coded:
            code, default_name = coded[1], coded[2].replace("-", " ")
        else:
            code, default_name = rest.replace(":", "."), rest
        name = name if isinstance(name, str) and name.strip() else default_name
    elif not isinstance(name, str) or not name.strip():
        name = code
    code = code.strip()
    if len(code) > MAX_CODE:
        raise LedgerError(f"{where}: account code {code[:40]}... is longer than {MAX_CODE}")
    return _AccountSpec(code, fit_text(name.strip(), MAX_NAME), kind, where)


def _account_specs(entries: list[Any], options: dict[str, Any]) -> dict[str, _AccountSpec]:
    """Beancount account -> what booksync account it becomes; clashes are refused."""
    kinds = {options[key]: kind for key, kind in _ROOT_OPTIONS.items()}
    specs: dict[str, _AccountSpec] = {}
    by_code: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, data.Open):
            continue
        kind = kinds.get(entry.account.split(":", 1)[0])
        if kind is None:  # Beancount already refuses unknown roots
            raise LedgerError(f"{_where(entry.meta, entry.account)}: unknown root")
        spec = _account_spec(entry, kind)
        other = by_code.setdefault(spec.code, entry.account)
        if other != entry.account:
            raise LedgerError(
                f"{spec.where}: {entry.account} and {other} would both become booksync "
                f"account {spec.code}"
            )
        specs[entry.account] = spec
    return specs


def _entry_inputs(
    entries: list[Any], specs: dict[str, _AccountSpec], currency: str
) -> Iterator[tuple[str, EntryInput]]:
    """Each transaction as ``(file:line, entry)``, weights checked to be ``currency``."""
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        where = _where(entry.meta, "a transaction")
        partner = entry.payee.strip() if entry.payee else None
        lines = []
        for posting in entry.postings:
            weight = _weight(posting)
            if weight.currency != currency:
                raise LedgerError(
                    f"{_where(posting.meta, where)}: the posting on {posting.account} weighs "
                    f"{weight.number} {weight.currency}, but the company's books are in "
                    f"{currency}"
                )
            number: Decimal = weight.number
            label = (posting.meta or {}).get("label")
            lines.append(
                LineInput(
                    account=specs[posting.account].code,
                    debit=number if number > 0 else ZERO,
                    credit=-number if number < 0 else ZERO,
                    partner=partner or None,
                    label=fit_text(label) if isinstance(label, str) else None,
                )
            )
        if all(not line.debit and not line.credit for line in lines):
            continue
        ref = fit_text((entry.narration or "").strip()) or None
        yield where, EntryInput(JOURNAL, entry.date, tuple(lines), ref)


def _ensure_accounts(
    session: Session, company: Company, specs: dict[str, _AccountSpec]
) -> int:
    existing = {
        code: kind
        for code, kind in session.execute(
            select(Account.code, Account.type).where(Account.company_id == company.id)
        )
    }
    created = 0
    for account, spec in specs.items():
        kind = existing.get(spec.code)
        if kind is None:
            try:
                add_account(session, company, spec.code, spec.name, spec.type.value)
            except LedgerError as exc:
                raise LedgerError(f"{spec.where}: {exc}") from None
            created += 1
        elif AccountType(kind) != spec.type:
            raise LedgerError(
                f"{spec.where}: {account} is of type {spec.type.value} but booksync account "
                f"{spec.code} is of type {AccountType(kind).value}"
            )
    return created


def _close_accounts(
    session: Session, company: Company, entries: list[Any], specs: dict[str, _AccountSpec]
) -> int:
    """Make inactive the accounts the file closes; returns how many were active."""
    codes = {specs[e.account].code for e in entries if isinstance(e, data.Close)}
    if not codes:
        return 0
    closing = session.scalars(
        select(Account).where(
            Account.company_id == company.id, Account.code.in_(codes), Account.active
        )
    ).all()
    for account in closing:
        account.active = False
    session.flush()
    return len(closing)


def _ensure_partners(session: Session, company: Company, names: set[str]) -> int:
    existing = set(
        session.scalars(select(Partner.name).where(Partner.company_id == company.id))
    )
    missing = sorted(names - existing)
    for name in missing:
        if len(name) > MAX_NAME:
            raise LedgerError(f"payee {name[:40]}... is longer than {MAX_NAME} characters")
        add_partner(session, company, name)
    return len(missing)


def import_beancount(session: Session, company: Company, path: str | Path) -> ImportSummary:
    """Book the Beancount file at ``path`` into ``company`` as posted MISC entries."""
    if not Path(path).is_file():
        raise LedgerError(f"there is no Beancount file at {path}")
    if Path(path).stat().st_size > MAX_BEANCOUNT_BYTES:
        raise LedgerError(
            f"the Beancount file {path} is larger than {MAX_BEANCOUNT_BYTES >> 20} MiB: "
            "Beancount reads a file whole, so split it by year"
        )
    entries, errors, options = loader.load_file(str(path))
    _refuse_errors(errors, str(path))
    specs = _account_specs(entries, options)
    inputs = list(_entry_inputs(entries, specs, company.currency_code))
    accounts = _ensure_accounts(session, company, specs)
    payees = {line.partner for _, e in inputs for line in e.lines if line.partner}
    partners = _ensure_partners(session, company, payees)
    importer = EntryImporter(session, company, post=True)
    for where, entry in inputs:
        importer.add(entry, where)
    importer.finish()
    closed = _close_accounts(session, company, entries, specs)
    return ImportSummary(accounts, partners, importer.count, closed)
