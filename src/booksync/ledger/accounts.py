"""Accounts of the chart: listing, adding, and the account of a role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.chart import ROLE_ACCOUNTS
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import MAX_CODE, MAX_NAME, check_text
from booksync.ledger.models import Account, AccountRole, AccountType, Company


def list_accounts(session: Session, company: Company) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(Account.company_id == company.id).order_by(Account.code)
        )
    )


def add_account(
    session: Session,
    company: Company,
    code: str,
    name: str,
    type: str,
    *,
    reconcile: bool = False,
    role: str | None = None,
) -> Account:
    """A new account; the code must be new in the company and the type known."""
    code = check_text(code.strip(), "account code", MAX_CODE) or ""
    if not code or ":" in code:
        raise LedgerError(f"account code {code!r} must be non-empty and contain no ':'")
    name = check_text(name.strip(), "account name", MAX_NAME) or ""
    try:
        account_type = AccountType(type.lower())
    except ValueError:
        kinds = ", ".join(t.value for t in AccountType)
        raise LedgerError(f"account type {type!r} is not one of {kinds}") from None
    try:
        account_role = AccountRole(role) if role else None
    except ValueError:
        roles = ", ".join(r.value for r in AccountRole)
        raise LedgerError(f"account role {role!r} is not one of {roles}") from None
    exists = session.scalar(
        select(Account.id).where(Account.company_id == company.id, Account.code == code)
    )
    if exists:
        raise LedgerError(f"account {code} already exists")
    account = Account(
        company_id=company.id,
        code=code,
        name=name or code,
        type=account_type,
        role=account_role,
        reconcile=reconcile,
    )
    session.add(account)
    session.flush()
    return account


def role_account(session: Session, company: Company, role: AccountRole) -> Account:
    """The company's account for ``role`` (the first by code), made from the chart if none.

    Companies created before a role existed (outstanding payments, exchange
    differences) have no account for it; the generic chart's is added then,
    under its code when free.
    """
    account = session.scalar(
        select(Account)
        .where(Account.company_id == company.id, Account.role == role.value, Account.active)
        .order_by(Account.code)
        .limit(1)
    )
    if account is not None:
        return account
    spec = ROLE_ACCOUNTS[role]
    code, taken = spec.code, {a.code for a in list_accounts(session, company)}
    while code in taken:
        code = f"{code}0"
    return add_account(
        session, company, code, spec.name, spec.type.value, reconcile=spec.reconcile, role=role
    )
