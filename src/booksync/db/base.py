"""The declarative base and the columns every business row carries.

``uid`` is the identity that travels between booksync instances; the integer
``id`` never leaves the instance.  ``version`` counts changes and doubles as
SQLAlchemy's optimistic-lock column, so two writers cannot silently overwrite
each other's draft.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, ForeignKey, Integer, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from booksync.db.uuid7 import uuid7

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always read back as an aware UTC datetime.

    PostgreSQL's ``timestamptz`` returns aware values, but SQLite keeps no
    offset and hands back naive ones; booksync writes only UTC, so naive
    values read from SQLite are UTC. Fixing it here means no caller has to
    remember which database it is talking to.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BusinessRow:
    """Mixin: local ``id``, travelling ``uid``, change counter ``version``."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid7)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class CompanyOwned(BusinessRow):
    """Mixin for rows that belong to one company: every query filters on it."""

    @declared_attr
    def company_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("company.id"), nullable=False, index=True)
