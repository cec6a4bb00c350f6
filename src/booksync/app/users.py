"""Use cases of users and API tokens: add, list, disable; create a token.

Users span companies, so these take the engine, not one company's
:class:`~booksync.app.context.Books`; each runs in one transaction,
committed only if it ends without error.  A result never holds a password
or a hash: a :class:`UserView` is the JSON shape of ``booksync user list``,
and the one secret a result holds, a new token, is left out of its repr
(docs/users.md, "API tokens").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from booksync.db.engine import session_factory
from booksync.users import accounts, tokens
from booksync.users.models import AppUser

__all__ = ["TokenCreated", "UserView", "add_user", "create_token", "disable_user", "users"]


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as listed: ``companies`` names the ones granted, sorted (none when
    ``all_companies``); sorted here, not by the database, whose collations differ."""

    id: int
    email: str
    role: str
    all_companies: bool
    companies: list[str]
    disabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TokenCreated:
    """A new API token, the one time it can be shown; ``user`` is its user's address."""

    id: int
    name: str
    user: str
    token: str = field(repr=False)
    created_at: dt.datetime


def _view(user: AppUser) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        role=user.role,
        all_companies=user.all_companies,
        companies=[] if user.all_companies else sorted(c.name for c in user.companies),
        disabled=user.disabled,
        created_at=user.created_at,
    )


def add_user(
    engine: Engine, email: str, role: str, companies: Sequence[str], password: str
) -> UserView:
    """Add an enabled user; no companies named means every company."""
    with session_factory(engine).begin() as session:
        return _view(accounts.add_user(session, email, role, companies, password))


def users(engine: Engine) -> list[UserView]:
    """Every user by address, disabled ones too."""
    with session_factory(engine).begin() as session:
        return [_view(user) for user in accounts.list_users(session)]


def disable_user(engine: Engine, email: str) -> UserView:
    """Disable a user, ending their web sessions and revoking their tokens."""
    with session_factory(engine).begin() as session:
        return _view(accounts.disable_user(session, email))


def create_token(engine: Engine, email: str, name: str) -> TokenCreated:
    """A new API token of an enabled user, returned this once."""
    with session_factory(engine).begin() as session:
        row, token = tokens.create_token(session, email, name)
        user = accounts.user_by_email(session, email)
        assert user is not None  # create_token found it
        return TokenCreated(
            id=row.id, name=row.name, user=user.email, token=token, created_at=row.created_at
        )
