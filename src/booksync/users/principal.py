"""Who a request acts for: the one object a page or an API call checks.

A session cookie and an API token both resolve to a :class:`Principal`, so
the checks are the same whichever way a request signed in: what the user's
role allows (:mod:`booksync.users.roles`) and which companies they see.
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.users.roles import Permission, Role, allows

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in, enabled user as of the request: role and the companies they see."""

    user_id: int
    email: str
    role: Role
    all_companies: bool
    company_ids: frozenset[int]

    def allows(self, permission: Permission | str) -> bool:
        """Whether the user's role may do what ``permission`` names."""
        return allows(self.role, permission)

    def sees(self, company_id: int) -> bool:
        """Whether the user may see the company with this id at all."""
        return self.all_companies or company_id in self.company_ids
