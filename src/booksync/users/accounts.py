"""Users: add, list, look up, disable, check a password; and who a user is for a request.

Every refusal is one sentence that never quotes a password.  An address is
kept stripped and lower-cased, so ``Owner@Example.com`` signs in as
``owner@example.com`` and cannot be added twice (docs/users.md, "Users and
roles").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_NAME, shown, text_ok
from booksync.ledger.models import Company
from booksync.users.models import MAX_EMAIL, ApiToken, AppUser, WebSession, app_user_company
from booksync.users.passwords import (
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from booksync.users.principal import Principal
from booksync.users.roles import ROLES, Role

__all__ = [
    "add_user",
    "authenticate",
    "disable_user",
    "list_users",
    "normalize_email",
    "principal_for",
    "principal_of",
    "storable",
    "user_by_email",
]

# Something, an @, something with a dot: enough to catch a name typed where an
# address belongs, without refusing any address a mail server would take.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@cache
def _nobody_hash() -> str:
    """Checked when no user has the address given, so that a wrong address costs
    as long as a wrong password and the time of a refusal does not tell which."""
    return hash_password("no user has this password")


def storable(text: str, limit: int) -> bool:
    """Whether ``text`` fits ``limit`` characters, holds no control character and can
    be written as UTF-8: a byte a shell argument could not decode arrives as a lone
    surrogate, which both databases' drivers refuse with an exception, not a sentence."""
    if not text_ok(text, limit):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_email(email: str) -> str:
    """An address as booksync keeps and compares it: stripped and lower-cased."""
    return email.strip().lower()


def _checked_email(email: str) -> str:
    address = normalize_email(email)
    if not storable(address, MAX_EMAIL) or not _EMAIL.fullmatch(address):
        raise BooksyncError(f"{shown(email)} is not an email address like name@example.com")
    return address


def _role(role: Role | str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in ROLES)
        raise BooksyncError(f"role {shown(role)} is not one of {names}") from None


def _companies(session: Session, names: Sequence[str]) -> list[Company]:
    wanted = list(dict.fromkeys(name.strip() for name in names))
    for name in wanted:
        if not storable(name, MAX_NAME):  # no company has it; the driver would refuse it
            raise NotFound(f"no company named {shown(name)}")
    found = {
        c.name: c for c in session.scalars(select(Company).where(Company.name.in_(wanted)))
    }
    for name in wanted:
        if name not in found:
            raise NotFound(f"no company named {shown(name)}")
    return [found[name] for name in wanted]


def add_user(
    session: Session,
    email: str,
    role: Role | str,
    companies: Sequence[str],
    password: str,
) -> AppUser:
    """A new enabled user; ``companies`` empty means every company, now and later.

    An admin manages users and settings of every company, so an admin is
    never limited to some.  Everything is checked before the password is
    hashed and the row added; the caller's transaction commits it.
    """
    address = _checked_email(email)
    chosen = _role(role)
    check_new_password(password)
    grants = _companies(session, companies)
    if chosen is Role.ADMIN and grants:
        raise BooksyncError("an admin sees every company: give an admin no companies")
    if user_by_email(session, address) is not None:
        raise BooksyncError(f"a user with the email {shown(address)} already exists",
                            code="conflict")
    user = AppUser(
        email=address,
        password_hash=hash_password(password),
        role=chosen.value,
        all_companies=not grants,
        disabled=False,
        companies=grants,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[AppUser]:
    """Every user, disabled ones too, by address; their companies loaded."""
    query = select(AppUser).options(selectinload(AppUser.companies)).order_by(AppUser.email)
    return list(session.scalars(query))


def user_by_email(session: Session, email: str) -> AppUser | None:
    """The user with this address (any case, any surrounding spaces), or None.

    Text no address can be (too long, control characters, a lone surrogate)
    is None without a query: PostgreSQL refuses a NUL in a parameter outright.
    """
    address = normalize_email(email)
    if not storable(address, MAX_EMAIL):
        return None
    return session.scalar(select(AppUser).where(AppUser.email == address))


def _existing(session: Session, email: str) -> AppUser:
    user = user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with the email {shown(normalize_email(email))}")
    return user


def disable_user(session: Session, email: str) -> AppUser:
    """Disable a user, end their web sessions and revoke their API tokens, at once.

    The row stays (who booked what may be asked later); disabling twice is
    the same as once.
    """
    user = _existing(session, email)
    user.disabled = True
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> AppUser | None:
    """The enabled user whose address and password these are, or None.

    An unknown address, a disabled user and a wrong password all answer None,
    after one hash check each, so neither the answer nor its time tells
    which.  A hash made with older parameters is replaced on success.
    Throttling is the caller's (:mod:`booksync.users.throttle`).
    """
    user = user_by_email(session, email)
    if user is None:
        verify_password(_nobody_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def principal_for(session: Session, user: AppUser) -> Principal:
    """What ``user`` may do and see, read now (grants change take effect at once)."""
    return principal_of(session, user.id, user.email, user.role, user.all_companies)


def principal_of(
    session: Session, user_id: int, email: str, role: str, all_companies: bool
) -> Principal:
    """:func:`principal_for` from the user's columns, for a caller that read them
    without loading the user (the API token's lookup, on every request)."""
    company_ids: frozenset[int] = frozenset()
    if not all_companies:
        company_ids = frozenset(session.scalars(
            select(app_user_company.c.company_id).where(app_user_company.c.user_id == user_id)
        ))
    return Principal(
        user_id=user_id,
        email=email,
        role=Role(role),
        all_companies=all_companies,
        company_ids=company_ids,
    )
