"""Passwords hash with Argon2id and verify only themselves; roles nest as documented."""

from __future__ import annotations

import pytest

from booksync.errors import BooksyncError
from booksync.users.passwords import (
    MIN_PASSWORD,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from booksync.users.principal import Principal
from booksync.users.roles import Permission, Role, allows


def test_a_hash_verifies_its_password_and_no_other() -> None:
    hashed = hash_password("s3cret-enough")
    assert hashed.startswith("$argon2id$")
    assert "s3cret-enough" not in hashed
    assert verify_password(hashed, "s3cret-enough")
    assert not verify_password(hashed, "s3cret-enougH")
    assert not verify_password(hashed, "")
    assert not needs_rehash(hashed)


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("s3cret-enough") != hash_password("s3cret-enough")


def test_a_malformed_hash_is_a_plain_no() -> None:
    assert not verify_password("not a hash", "whatever1")
    assert needs_rehash("not a hash")


def test_a_password_that_is_no_text_is_refused_and_never_matches() -> None:
    with pytest.raises(BooksyncError, match="UTF-8"):
        check_new_password("undecodable \udcff")
    assert not verify_password(hash_password("s3cret-enough"), "s3cret-enough\udcff")


def test_a_weaker_hash_needs_rehashing() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("s3cret-enough")
    assert verify_password(weak, "s3cret-enough")
    assert needs_rehash(weak)


def test_a_short_password_is_refused_without_being_shown() -> None:
    with pytest.raises(BooksyncError, match=f"at least {MIN_PASSWORD} characters") as caught:
        check_new_password("pw12345")
    assert "pw12345" not in str(caught.value)
    check_new_password("pw123456")  # eight is enough


@pytest.mark.parametrize(
    ("role", "read", "book", "admin"),
    [("viewer", True, False, False), ("accountant", True, True, False),
     ("admin", True, True, True), ("owner", False, False, False)],
)
def test_each_role_allows_what_the_docs_say(role: str, read: bool, book: bool, admin: bool) -> None:
    assert (allows(role, Permission.READ), allows(role, Permission.BOOK),
            allows(role, Permission.ADMIN)) == (read, book, admin)
    assert not allows(role, "delete everything")


def test_a_principal_sees_its_companies_or_all() -> None:
    some = Principal(1, "clerk@example.com", Role.VIEWER, False, frozenset({3}))
    every = Principal(2, "owner@example.com", Role.ADMIN, True, frozenset())
    assert some.sees(3) and not some.sees(4)
    assert every.sees(3) and every.sees(4)
    assert some.allows("read") and not some.allows(Permission.BOOK)
    assert every.allows(Permission.ADMIN)
