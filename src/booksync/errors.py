"""The one error type a user meets, with a stable ``code`` per kind.

Every refusal the product explains to a person (a bad amount, an unknown
account, a locked period, a bank that wants a new consent) is a
:class:`BooksyncError`.  Its ``code`` is part of the interface: scripts read
it from the CLI's exit code and, later, API clients from the HTTP status and
the body ``{"error": {"code": ..., "message": ...}}``.  Both mappings live in
:data:`KINDS`, the one list of codes (docs/architecture.md, "Errors").

This module sits below everything else (like :mod:`booksync.money`) so that
every layer can raise it without importing the ones above.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple


class Kind(NamedTuple):
    """How one kind of error reaches a caller: the CLI's exit code, the API's status."""

    exit_code: int
    http_status: int
    meaning: str


# Exit codes: 1 the request was refused (fix the input and try again); 2 is
# the command line's own usage error (click); 3 the database could not be
# used; 4 the bank failed or is busy (try again later); 5 the bank wants the
# user to renew the consent.
KINDS: dict[str, Kind] = {
    "invalid": Kind(1, 422, "the input cannot be used as given"),
    "invalid_amount": Kind(1, 422, "an amount or currency the books cannot hold exactly"),
    "not_found": Kind(1, 404, "a named thing does not exist"),
    "unbalanced": Kind(1, 422, "debits and credits differ"),
    "locked_period": Kind(1, 409, "the date is on or before the company's lock date"),
    "immutable": Kind(1, 409, "posted books cannot be changed"),
    "conflict": Kind(1, 409, "the request contradicts the current state"),
    "refused_by_database": Kind(1, 409, "a rule of the database refused the change"),
    "interrupted": Kind(1, 500, "an import's reading process stopped before it finished"),
    "secret_key": Kind(1, 500, "the encryption key is missing or wrong"),
    "file_error": Kind(1, 422, "a file could not be read or written"),
    "database_unavailable": Kind(3, 503, "the database cannot be used as named"),
    "database_busy": Kind(3, 503, "another process is writing to the database"),
    "provider_error": Kind(4, 502, "the bank's provider refused or failed"),
    "provider_unavailable": Kind(4, 503, "the provider is unreachable for now"),
    "rate_limited": Kind(4, 429, "the provider's quota is used up for now"),
    "provider_protocol_error": Kind(4, 502, "the provider's answer is malformed"),
    "payment_required": Kind(4, 402, "the provider wants a renewed subscription"),
    "reauth_required": Kind(5, 401, "the bank consent must be renewed"),
    "setup_token_rejected": Kind(1, 400, "the setup token was already used or never existed"),
    "insecure_url": Kind(1, 400, "the address is not one booksync may call"),
    "unauthenticated": Kind(1, 401, "sign in, or send a valid API token"),
    "forbidden": Kind(1, 403, "the user's role or companies do not allow it"),
    "too_many_attempts": Kind(1, 429, "too many failed sign-ins; wait before trying again"),
}


class BooksyncError(Exception):
    """A refusal explained in one sentence; nothing was written.

    Subclasses set a class-wide ``code``; a raise site may pass a more
    precise one (``code="conflict"``).
    """

    code: ClassVar[str] = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            if code not in KINDS:
                raise ValueError(f"unknown error code {code!r}")
            self.__dict__["code"] = code  # per instance, shadowing the class's

    @property
    def kind(self) -> Kind:
        return KINDS[self.code]

    @property
    def exit_code(self) -> int:
        return self.kind.exit_code

    @property
    def http_status(self) -> int:
        return self.kind.http_status


__all__ = ["KINDS", "BooksyncError", "Kind"]
