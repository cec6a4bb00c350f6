"""A company's posted books as a Beancount v3 file that ``bean-check`` accepts.

Beancount is the plain-text ledger many accountants and their tools read, so
an export is both an archive and a way out.  Only posted entries are written:
drafts are not books yet.  Each entry becomes one ``*`` transaction whose
postings carry the line's signed amount (debit positive) in company currency,
converted from integer minor units by :mod:`booksync.money`, never a float.

Beancount account names are ``Root:Component`` where the root follows the
account type and the component comes from the booksync code and name
(``1200`` "Bank" -> ``Assets:1200-Bank``).  Components may hold only ASCII
letters, digits and ``-`` here, so names are transliterated; the mapping is
kept injective by a numeric suffix on the rare clash, and the ``open``
directive carries the exact ``code`` and ``name`` so an import restores them.
An inactive account is closed on the day of its last posting.

A benchmark exports a million lines, so lines are read by one streamed Core
query (``yield_per``: a server-side cursor on PostgreSQL) and accounts and
partners are resolved from small dictionaries loaded up front.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import Any, TextIO

from sqlalchemy import String, func, select, true, type_coerce
from sqlalchemy.orm import Session

from booksync.ledger.models import Account, AccountType, Company, Entry, Line, Partner
from booksync.money import format_minor

__all__ = ["ROOTS", "account_component", "export_beancount"]

ROOTS: dict[AccountType, str] = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9]+")
_BATCH = 5000


def _ascii(text: str) -> str:
    """Letters and digits of ``text`` (accents dropped), runs of others as one ``-``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub("-", plain).strip("-")


def account_component(code: str, name: str) -> str:
    """The Beancount component for an account, before clashes are resolved.

    Beancount wants a component to start with an uppercase letter or a digit
    (``ACCOUNTNAME`` in its lexer), so a leading lowercase letter is raised.
    """
    text = "-".join(part for part in (_ascii(code), _ascii(name)) if part) or "Account"
    if not (text[0].isdigit() or text[0].isupper()):
        text = text[0].upper() + text[1:] if text[0].isalpha() else "X" + text
    return text


_ESCAPES = {**{n: " " for n in (*range(32), 127)}, ord("\\"): "\\\\", ord('"'): '\\"'}


_PLAIN = re.compile(r'[^\x00-\x1f\x7f"\\]*')


def _quote(text: str) -> str:
    """A Beancount string literal; control characters (newlines too) become spaces."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    return '"' + text.translate(_ESCAPES) + '"'


def _uid_text(value: Any) -> str:
    """A uid as the driver gives it (``UUID`` or SQLite's 32 hex digits), canonical."""
    if isinstance(value, str) and len(value) == 32:
        h = value.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


_AccountRow = tuple[int, str, str, str, dt.date, dt.date, bool]


def _accounts(session: Session, company: Company) -> list[_AccountRow]:
    """Every account used by a posted line: id, code, name, type, first and last date, active."""
    used = (
        select(
            Line.account_id,
            func.min(Line.date).label("first"),
            func.max(Line.date).label("last"),
        )
        .where(Line.company_id == company.id, Line.posted == true())
        .group_by(Line.account_id)
        .subquery()
    )
    query = (
        select(
            Account.id, Account.code, Account.name, Account.type, used.c.first, used.c.last,
            Account.active,
        )
        .join(used, used.c.account_id == Account.id)
        .where(Account.company_id == company.id)
        .order_by(Account.code)
    )
    return [(i, c, n, str(t), f, la, a) for i, c, n, t, f, la, a in session.execute(query)]


def _write_closes(out: TextIO, accounts: list[_AccountRow], names: dict[int, str]) -> None:
    """``close`` directives for inactive accounts, on the day of their last posting."""
    closed = sorted((last, names[i]) for i, _, _, _, _, last, active in accounts if not active)
    if closed:
        out.write("\n" + "".join(f"{last.isoformat()} close {name}\n" for last, name in closed))


def _write_header(out: TextIO, company: Company, accounts: list[_AccountRow]) -> dict[int, str]:
    """Options and ``open`` directives; returns account id -> Beancount name."""
    out.write("; posted entries exported by booksync\n")
    out.write(f"option \"title\" {_quote(company.name)}\n")
    out.write(f"option \"operating_currency\" \"{company.currency_code}\"\n\n")
    names: dict[int, str] = {}
    used: set[str] = set()
    for account_id, code, name, kind, *_ in accounts:
        base = f"{ROOTS[AccountType(kind)]}:{account_component(code, name)}"
        full, n = base, 1
        while full in used:
            n += 1
            full = f"{base}-{n}"
        used.add(full)
        names[account_id] = full
    for account_id, code, name, _kind, first, *_ in sorted(accounts, key=lambda a: (a[4], a[1])):
        out.write(f"{first.isoformat()} open {names[account_id]}\n")
        out.write(f"  code: {_quote(code)}\n  name: {_quote(name)}\n")
    out.write("\n")
    return names


def _transaction(
    rows: list[Any], names: dict[int, str], partners: dict[int, str], exp: int, cur: str
) -> str:
    """One entry's lines (same entry, line order) as a Beancount transaction."""
    _, date, number, ref, uid = rows[0][:5]
    payee = next((partners[r[6]] for r in rows if r[6] is not None), None)
    parts = [
        str(date), " * ", payee + " " if payee else "", _quote(ref or number), "\n",
        "  number: ", _quote(number), "\n",
        "  booksync_uid: \"", _uid_text(uid), "\"\n",
    ]
    for row in rows:
        parts += ["  ", names[row[5]], "  ", format_minor(row[7] - row[8], exp), " ", cur, "\n"]
        if row[9]:
            parts += ["    label: ", _quote(row[9]), "\n"]
    parts.append("\n")
    return "".join(parts)


def export_beancount(session: Session, company: Company, out: TextIO) -> int:
    """Write the company's posted books to ``out``; returns the transactions written."""
    exp = company.currency.exponent
    cur = company.currency_code
    accounts = _accounts(session, company)
    names = _write_header(out, company, accounts)
    partners: dict[int, str] = {
        id_: _quote(name)
        for id_, name in session.execute(
            select(Partner.id, Partner.name).where(Partner.company_id == company.id)
        )
    }
    # The date and uid are read raw: their type processors would run for every
    # line, while only the first line of each entry needs them.
    query = (
        select(
            Entry.id, type_coerce(Entry.date, String), Entry.number, Entry.ref,
            type_coerce(Entry.uid, String),
            Line.account_id, Line.partner_id, Line.debit, Line.credit, Line.label,
        )
        .join(Entry, Entry.id == Line.entry_id)
        .where(Line.company_id == company.id, Line.posted == true(), Entry.state == "posted")
        .order_by(Entry.date, Entry.id, Line.id)
    )
    count = 0
    pending: list[Any] = []
    chunk: list[str] = []
    rows = session.connection().execute(query.execution_options(yield_per=_BATCH))
    for row in rows:
        if pending and row[0] != pending[0][0]:
            chunk.append(_transaction(pending, names, partners, exp, cur))
            count += 1
            pending = []
            if len(chunk) >= _BATCH:
                out.write("".join(chunk))
                chunk.clear()
        pending.append(row)
    if pending:
        chunk.append(_transaction(pending, names, partners, exp, cur))
        count += 1
    out.write("".join(chunk))
    _write_closes(out, accounts, names)
    return count
