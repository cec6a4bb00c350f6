"""GoCardless Bank Account Data's linking records: institutions, agreements, requisitions.

Why a module of its own: these are what linking reads (``/institutions/``,
``/agreements/enduser/``, ``/requisitions/``; docs/banking.md, "GoCardless
Bank Account Data"), apart from the account data a sync reads, which
:mod:`gocardless_wire` parses with the same strict helpers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from booksync.providers.base import Institution
from booksync.providers.gocardless_wire import (
    PROVIDER,
    _identity,
    _list,
    _object,
    _required_id,
    _text,
    load,
    malformed,
)
from booksync.providers.simplefin_values import sanitize_message

__all__ = [
    "Agreement",
    "InstitutionInfo",
    "Requisition",
    "parse_agreement",
    "parse_institution",
    "parse_institutions",
    "parse_requisition",
]


@dataclass(frozen=True, slots=True)
class InstitutionInfo:
    """An institution and its limits: days of history and of access it grants at most."""

    institution: Institution
    history_days: int | None
    access_days: int | None


def _days_field(value: Any) -> int | None:
    """The API sends these counts as strings of digits (or numbers)."""
    if type(value) is int and value > 0:
        return value
    if type(value) is str and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


def parse_institution(value: Any, country: str | None = None) -> InstitutionInfo:
    """One institution; its country is ``country`` when it serves several including it."""
    obj = _object(value, "an institution")
    ident = _required_id(obj, "id", "an institution")
    name = _text(obj.get("name")) or ident
    countries = [c.upper() for c in _list(obj.get("countries"), "'countries'") if type(c) is str]
    wanted = country.upper() if country else None
    chosen = wanted if wanted in countries else (countries[0] if countries else None)
    bic = _text(obj.get("bic"))
    institution = Institution(
        id=ident, name=sanitize_message(name), bic=bic, country=chosen, provider=PROVIDER
    )
    return InstitutionInfo(
        institution,
        _days_field(obj.get("transaction_total_days")),
        _days_field(obj.get("max_access_valid_for_days")),
    )


def parse_institutions(body: bytes, country: str | None) -> list[InstitutionInfo]:
    values = _list(load(body), "the institutions answer")
    return [parse_institution(v, country) for v in values]


@dataclass(frozen=True, slots=True)
class Agreement:
    """An End User Agreement: how far back, and how long, the user lets booksync read."""

    id: str
    institution_id: str | None
    max_historical_days: int
    access_valid_for_days: int
    created: dt.datetime | None
    accepted: dt.datetime | None

    def expires_at(self, now: dt.datetime) -> dt.datetime:
        """When access ends: its days counted from acceptance (or from now if not yet)."""
        start = self.accepted or now
        return start + dt.timedelta(days=self.access_valid_for_days)


def _moment(value: Any, where: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise malformed(f"a date-time of {where} is not one")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise malformed(f"a date-time of {where} is not one") from None
    return moment.replace(tzinfo=dt.UTC) if moment.utcoffset() is None else moment


def parse_agreement(body: bytes) -> Agreement:
    obj = _object(load(body), "the agreement")
    where = "the agreement"
    history = _days_field(obj.get("max_historical_days"))
    access = _days_field(obj.get("access_valid_for_days"))
    if history is None or access is None:
        raise malformed("the agreement has no day counts")
    return Agreement(
        id=_required_id(obj, "id", where),
        institution_id=_identity(obj.get("institution_id"), where),
        max_historical_days=history,
        access_valid_for_days=access,
        created=_moment(obj.get("created"), where),
        accepted=_moment(obj.get("accepted"), where),
    )


@dataclass(frozen=True, slots=True)
class Requisition:
    """A requisition: the link the user opens, its status, and the accounts it gave."""

    id: str
    status: str
    link: str | None
    institution_id: str | None
    agreement: str | None
    reference: str | None
    accounts: tuple[str, ...]


def parse_requisition(body: bytes) -> Requisition:
    obj = _object(load(body), "the requisition")
    where = "the requisition"
    status = obj.get("status")
    if type(status) is not str or not status.strip():
        raise malformed("the requisition has no status")
    accounts = tuple(
        a for a in (_identity(v, where) for v in _list(obj.get("accounts"), "'accounts'")) if a
    )
    link = obj.get("link")
    return Requisition(
        id=_required_id(obj, "id", where),
        status=status.strip().upper(),
        link=link if type(link) is str and link.strip() else None,
        institution_id=_identity(obj.get("institution_id"), where),
        agreement=_identity(obj.get("agreement"), where),
        reference=_identity(obj.get("reference"), where),
        accounts=accounts,
    )

