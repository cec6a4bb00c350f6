"""The tables of the people who use booksync through the web app.

Users span companies, so none of these rows is company-owned: a user sees
every company (``all_companies``) or the ones granted in
``app_user_company``.  No secret is stored as given: a password as its
Argon2id hash, a session's cookie value and an API token as their SHA-256
(docs/users.md, "Users and roles").  The CSRF token is kept as it is: the
page needs it back, and it is worth nothing without the session's cookie.

None of these rows travels between booksync instances, so they carry a
plain integer ``id`` and no ``uid`` or ``version``; each ``__repr__`` names
the row and leaves every hash and token out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.db.base import Base, UTCDateTime, utcnow
from booksync.ledger.models import Company

MAX_EMAIL = 254  # characters of an address (RFC 5321's path limit, less the brackets)
MAX_REMOTE = 100  # characters of a client's address as the web server gives it
HASH_HEX = 64  # a SHA-256 in hex
TOKEN_PREFIX_LENGTH = 8

# A user's company grants: the plain association of a many-to-many, written
# through AppUser.companies; either side's deletion takes the grant with it.
app_user_company = Table(
    "app_user_company",
    Base.metadata,
    Column(
        "user_id",
        ForeignKey("app_user.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "company_id",
        ForeignKey("company.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class AppUser(Base):
    """A person who signs in; ``email`` is kept stripped and lower-cased."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'accountant', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    all_companies: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    companies: Mapped[list[Company]] = relationship(
        secondary=app_user_company, order_by=Company.name
    )

    def __repr__(self) -> str:
        return (
            f"AppUser(id={self.id!r}, email={self.email!r}, role={self.role!r}, "
            f"all_companies={self.all_companies!r}, disabled={self.disabled!r})"
        )


class WebSession(Base):
    """A signed-in browser; ``id`` is the SHA-256 (hex) of its cookie's value.

    ``expires_at`` is the earlier of the idle limit from ``last_seen_at`` and
    the absolute limit from ``created_at`` (docs/users.md, "Sessions").
    """

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(HASH_HEX), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return (
            f"WebSession(user_id={self.user_id!r}, created_at={self.created_at!r}, "
            f"expires_at={self.expires_at!r})"
        )


class ApiToken(Base):
    """A bearer token of a user for the API; only its SHA-256 (hex) is kept.

    ``prefix`` (the token's first characters) lets a person tell tokens apart
    in a listing without the token being stored (docs/users.md, "API tokens").
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(HASH_HEX), unique=True)
    prefix: Mapped[str] = mapped_column(String(TOKEN_PREFIX_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return (
            f"ApiToken(id={self.id!r}, user_id={self.user_id!r}, name={self.name!r}, "
            f"prefix={self.prefix!r}, revoked={self.revoked!r})"
        )


class LoginAttempt(Base):
    """One password check at sign-in, kept a day for throttling (docs/users.md,
    "Login throttling"); ``email`` is as typed, normalized, whether or not a user has it."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_remote_at", "remote", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    remote: Mapped[str] = mapped_column(String(MAX_REMOTE))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean)

    def __repr__(self) -> str:
        return (
            f"LoginAttempt(email={self.email!r}, remote={self.remote!r}, at={self.at!r}, "
            f"succeeded={self.succeeded!r})"
        )
