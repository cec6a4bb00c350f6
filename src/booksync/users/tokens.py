"""API tokens: a program's bearer credential, shown once and stored as its SHA-256.

A token is ``bks_`` and 43 random URL-safe characters: the prefix lets a
secret scanner (and a person) recognise one, and the randomness makes a
fast hash enough, where a password needs a slow one.  The table keeps the
hash and the first :data:`~booksync.users.models.TOKEN_PREFIX_LENGTH`
characters, to tell tokens apart in a listing (docs/users.md, "API tokens").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_NAME, check_text, shown
from booksync.users.accounts import normalize_email, principal_of, storable, user_by_email
from booksync.users.clock import instant
from booksync.users.models import TOKEN_PREFIX_LENGTH, ApiToken, AppUser
from booksync.users.principal import Principal

__all__ = ["TOKEN_PREFIX", "USE_INTERVAL", "create_token", "resolve_token"]

TOKEN_PREFIX = "bks_"
TOKEN_BYTES = 32
USE_INTERVAL = dt.timedelta(minutes=1)  # last_used_at is written at most this often
# Longer than any token create_token makes: hashing it is pointless.
_MAX_TOKEN = 200


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    session: Session, email: str, name: str, now: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token of the enabled user with this address: (its row, the token itself).

    The token is returned only here; the caller shows it once.
    """
    label = check_text(name.strip(), "a token's name", MAX_NAME) or ""
    if not label:
        raise BooksyncError("a token needs a name (what will use it)")
    if not storable(label, MAX_NAME):
        raise BooksyncError(f"a token's name {shown(label)} is not valid text")
    user = user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with the email {shown(normalize_email(email))}")
    if user.disabled:
        raise BooksyncError(f"user {shown(user.email)} is disabled", code="conflict")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=_digest(token),
        prefix=token[:TOKEN_PREFIX_LENGTH],
        created_at=instant(now),
        last_used_at=None,
        revoked=False,
    )
    session.add(row)
    session.flush()
    return row, token


_LOOKUP = (
    select(ApiToken.id, ApiToken.revoked, ApiToken.last_used_at, AppUser.id, AppUser.email,
           AppUser.role, AppUser.all_companies, AppUser.disabled)
    .join(AppUser, AppUser.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
"""The token's and its user's columns a request needs, by the token's hash: built once and
read as plain columns, since every API request looks its token up."""


def resolve_token(
    session: Session, bearer: str, now: dt.datetime | None = None
) -> Principal | None:
    """Who the bearer token acts for; None for an unknown or revoked token or a disabled user.

    Its ``last_used_at`` is moved to now when it is more than
    :data:`USE_INTERVAL` old, so a busy program does not write on every call.
    """
    token = bearer.strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN:
        return None
    found = session.execute(_LOOKUP, {"digest": _digest(token)}).one_or_none()
    if found is None:
        return None
    token_id, revoked, last_used_at, user_id, email, role, all_companies, disabled = found
    if revoked or disabled:
        return None
    moment = instant(now)
    if last_used_at is None or moment - last_used_at >= USE_INTERVAL:
        session.execute(update(ApiToken).where(ApiToken.id == token_id)
                        .values(last_used_at=moment))
    return principal_of(session, user_id, email, role, all_companies)
