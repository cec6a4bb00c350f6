"""What each role may do, as one table the web app asks.

- a *viewer* reads: the books, reports, bank lines, connections' state;
- an *accountant* also books: invoices, bills, payments, reconciliation,
  and "Fetch now" on a connection;
- an *admin* also manages connections, reconciliation rules, users and
  settings.

Each role holds the permissions of the one before it, so a page asks for the
one permission its action needs and never for a role (docs/users.md,
"Users and roles").
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLES", "Permission", "Role", "allows"]


class Role(StrEnum):
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # see the books, reports and bank lines
    BOOK = "book"  # invoices, payments, reconciliation, Fetch now
    ADMIN = "admin"  # connections, rules, users and settings


_GRANTED: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.ACCOUNTANT: frozenset({Permission.READ, Permission.BOOK}),
    Role.ADMIN: frozenset(Permission),
}

ROLES = tuple(Role)  # in the order they are offered: most to least


def allows(role: Role | str, permission: Permission | str) -> bool:
    """Whether ``role`` may do what ``permission`` names; an unknown role may do nothing."""
    try:
        return Permission(permission) in _GRANTED[Role(role)]
    except ValueError:
        return False
