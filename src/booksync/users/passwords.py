"""Passwords, hashed with Argon2id; a password itself is never stored or shown.

Argon2id (the argon2-cffi defaults, RFC 9106's second recommended profile)
makes each guess at a stolen hash cost time and memory.  The parameters may
grow with a later release: :func:`needs_rehash` says when a hash was made
with older ones, so it can be replaced at the next successful sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from booksync.errors import BooksyncError

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "check_new_password",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD = 8  # characters
# Hashing reads every character, and a sign-in form takes any text: a limit
# keeps one request from costing more than a password ever needs.
MAX_PASSWORD = 1024

_HASHER = PasswordHasher()


def check_new_password(password: str) -> None:
    """Refuse a password too short (or too long) to be set; the message never shows it."""
    if len(password) < MIN_PASSWORD:
        raise BooksyncError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BooksyncError(f"a password may have at most {MAX_PASSWORD} characters")
    if not _encodable(password):
        raise BooksyncError("a password must be UTF-8 text (it holds an undecodable byte)")


def _encodable(password: str) -> bool:
    """Whether the hasher can read it: bytes a terminal or pipe could not decode
    arrive as lone surrogates, which UTF-8 cannot encode."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hash_password(password: str) -> str:
    """The Argon2id hash to store (salted: the same password hashes differently each time)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from.

    A malformed hash, an over-long password or one that is no text is a
    plain no: a sign-in answers the same to every wrong password.
    """
    if len(password) > MAX_PASSWORD or not _encodable(password):
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
