"""Bank accounts entered by hand ("Create it"): number, bank, journal.

IBANs and BICs are checked with ``schwifty`` (ISO 13616 check digits, the
country's length and format; ISO 9362 for BICs).  An account number that
is not an IBAN (a US or Japanese account, say) is kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.banking.models import Bank, BankAccount
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import create_bank_journal, get_journal
from booksync.ledger.limits import MAX_NAME, check_text, shown
from booksync.ledger.models import Company, JournalType
from booksync.money import CURRENCIES


def _looks_like_iban(number: str) -> bool:
    compact = number.replace(" ", "")
    return len(compact) > 4 and compact[:2].isalpha() and compact[2:4].isdigit()


def normalize_iban(text: str) -> str:
    """An IBAN in its compact form, checked: ISO 13616 check digits, the country's
    length and format; anything else is one sentence."""
    try:
        return str(IBAN(text.strip()).compact)
    except SchwiftyException as exc:
        raise LedgerError(f"{shown(text.strip())} is not a valid IBAN: {exc}") from None


def normalize_account_number(number: str) -> str:
    """An IBAN in its compact form (validated); anything else stripped, as is."""
    text = number.strip()
    if not text:
        raise LedgerError("an account number is needed")
    if not _looks_like_iban(text):
        return text
    return normalize_iban(text)


def normalize_bic(bic: str) -> str:
    try:
        checked = BIC(bic.strip())
    except SchwiftyException as exc:
        raise LedgerError(f"{bic!r} is not a valid Bank Identifier Code: {exc}") from None
    return str(checked.compact)


@dataclass(frozen=True, slots=True)
class CreatedBankAccount:
    account: BankAccount
    new_journal: bool
    new_bank: bool


def create_bank_account(
    session: Session,
    company: Company,
    account_number: str,
    bank_name: str,
    *,
    bic: str | None = None,
    journal_code: str | None = None,
    currency: str | None = None,
) -> CreatedBankAccount:
    """A manual bank account, its bank (found or new) and journal (given or new)."""
    number = normalize_account_number(account_number)
    code = (currency or company.currency_code).upper()
    if code not in CURRENCIES:
        raise LedgerError(f"unknown currency {code!r}")
    bic_code = normalize_bic(bic) if bic else None
    if not bank_name.strip():
        raise LedgerError("a bank name is needed")
    bank_name = check_text(bank_name.strip(), "bank name", MAX_NAME) or ""
    exists = session.scalar(
        select(BankAccount.id).where(
            BankAccount.company_id == company.id, BankAccount.account_number == number
        )
    )
    if exists:
        raise LedgerError(f"bank account {number} already exists")
    bank = session.scalar(
        select(Bank).where(
            Bank.name == bank_name.strip(),
            Bank.bic.is_(None) if bic_code is None else Bank.bic == bic_code,
        )
    )
    new_bank = bank is None
    if bank is None:
        bank = Bank(name=bank_name.strip(), bic=bic_code)
        session.add(bank)
        session.flush()
    if journal_code:
        journal = get_journal(session, company, journal_code)
        if journal.type != JournalType.BANK:
            raise LedgerError(f"journal {journal.code} is not a bank journal")
        journal_currency = journal.currency_code or company.currency_code
        if journal_currency != code:
            raise LedgerError(
                f"journal {journal.code} is in {journal_currency}, the account in {code}"
            )
    else:
        journal = create_bank_journal(session, company, f"{bank.name} {number[-4:]}", code)
    account = BankAccount(
        company_id=company.id,
        account_number=number,
        bank_id=bank.id,
        journal_id=journal.id,
        currency_code=code,
    )
    session.add(account)
    session.flush()
    return CreatedBankAccount(account, journal_code is None, new_bank)
