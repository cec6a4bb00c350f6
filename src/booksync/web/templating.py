"""Pages drawn on the server with Jinja2: one environment, the filters, the layout's context.

Every page extends ``base.html`` (the menu, the company switcher, the
signed-in user and the Log out form) and gets what it needs for that from
:func:`page`.  Templates are autoescaped; amounts come in as ``Decimal`` and
leave through the ``money`` filter, never as floats (docs/web.md, "Pages").
Pages hold financial data, so none is cached (the security headers say
``no-store``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from booksync.users.roles import Permission
from booksync.web.auth import CSRF_FIELD, Caller
from booksync.web.companies import chosen, visible

__all__ = ["MENU", "environment", "money", "page", "utc_text"]

MENU = (
    ("dashboard", "Dashboard", "/"),
    ("connections", "Online Synchronization", "/connections"),
    ("institutions", "Add a bank account", "/institutions"),
    ("statements", "Bank statement lines", "/statements"),
    ("invoices", "Invoices", "/invoices"),
    ("bills", "Bills", "/bills"),
    ("partners", "Partners", "/partners"),
    ("reports", "Reports", "/reports"),
    ("entries", "Journal entries", "/entries"),
)


def money(amount: Decimal | int | None, currency: str | None = None) -> str:
    """``1,234.50 EUR``: thousands separated, the amount's own decimals kept."""
    if amount is None:
        return ""
    text = f"{Decimal(amount):,}"
    return f"{text} {currency}" if currency else text


def utc_text(value: dt.datetime) -> str:
    """An instant as UTC: PostgreSQL hands one back in its session's time zone, which
    may be any (naive values, from SQLite, are UTC already)."""
    shown = value.astimezone(dt.UTC) if value.tzinfo is not None else value
    return shown.strftime("%Y-%m-%d %H:%M UTC")


def instant(text: str | None) -> str:
    """An instant written in ISO 8601 (a JSON shape's), as ``YYYY-MM-DD HH:MM`` in UTC:
    the shapes keep the offset the database handed back, which need not be UTC."""
    if not text:
        return ""
    return utc_text(dt.datetime.fromisoformat(text)).removesuffix(" UTC")


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return utc_text(value)
    return value.isoformat()


_environment: Environment | None = None


def environment() -> Environment:
    global _environment
    if _environment is None:
        env = Environment(
            loader=PackageLoader("booksync.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["money"] = money
        env.filters["date"] = date
        env.filters["instant"] = instant
        _environment = env
    return _environment


def page(
    request: Request,
    caller: Caller | None,
    template: str,
    *,
    active: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` drawn with the layout's context (user, company, menu, CSRF token)."""
    layout: dict[str, Any] = {
        "request": request,
        "menu": MENU,
        "active": active,
        "caller": caller,
        "csrf_field": CSRF_FIELD,
        "csrf": caller.csrf if caller else "",
        "can_book": bool(caller and caller.principal.allows(Permission.BOOK)),
        "can_admin": bool(caller and caller.principal.allows(Permission.ADMIN)),
        "companies": [],
        "company": None,
    }
    if caller is not None and "company" not in context:
        companies = visible(request, caller)
        layout["companies"] = companies
        layout["company"] = chosen(request, caller) if companies else None
    layout.update(context)
    html = environment().get_template(template).render(layout)
    return HTMLResponse(html, status_code=status_code)
