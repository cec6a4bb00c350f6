"""Users are added, listed, found and disabled; every refusal is one clear sentence."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.users.accounts import (
    add_user,
    authenticate,
    disable_user,
    list_users,
    principal_for,
    user_by_email,
)
from booksync.users.models import ApiToken, AppUser, WebSession
from booksync.users.roles import Role
from booksync.users.sessions import resolve_session, start_session
from booksync.users.tokens import create_token, resolve_token
from tests.users.conftest import PASSWORD


def test_an_added_user_is_kept_lower_cased_with_a_hash(session: Session, owner: AppUser) -> None:
    session.expire_all()
    (user,) = list_users(session)
    assert (user.email, user.role, user.all_companies, user.disabled) == (
        "owner@example.com", "admin", True, False)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.created_at.tzinfo is not None
    assert user_by_email(session, "  OWNER@example.COM") is not None
    assert user_by_email(session, "nobody@example.com") is None
    assert user_by_email(session, "nul\x00@example.com") is None
    assert user_by_email(session, "\udcff@example.com") is None  # an undecodable argument


def test_the_repr_of_a_user_shows_no_hash(owner: AppUser) -> None:
    assert "argon2" not in repr(owner) and "owner@example.com" in repr(owner)


def test_a_user_limited_to_companies_sees_only_those(
    session: Session, companies: dict[str, int], clerk: AppUser
) -> None:
    both = add_user(session, "cy@example.com", "viewer", ["Globex GmbH", "Acme Ltd", "Acme Ltd"],
                    PASSWORD)
    session.commit()
    session.expire_all()
    listed = {u.email: [c.name for c in u.companies] for u in list_users(session)}
    assert listed == {"clerk@example.com": ["Acme Ltd"],
                      "cy@example.com": ["Acme Ltd", "Globex GmbH"]}
    principal = principal_for(session, clerk)
    assert principal.role is Role.ACCOUNTANT and not principal.all_companies
    assert principal.sees(companies["Acme Ltd"])
    assert not principal.sees(companies["Globex GmbH"])
    assert principal_for(session, both).company_ids == frozenset(companies.values())


def test_a_user_of_every_company_sees_companies_made_later(
    session: Session, owner: AppUser
) -> None:
    from booksync.app.companies import create_company

    later = create_company(session, "Initech", "EUR", "DE")
    assert principal_for(session, owner).sees(later.id)


@pytest.mark.parametrize(
    ("email", "role", "grants", "password", "code", "fragment"),
    [
        ("OWNER@example.com", "viewer", [], PASSWORD, "conflict", "already exists"),
        ("cy@example.com", "viewer", ["Nope Inc"], PASSWORD, "not_found",
         "no company named 'Nope Inc'"),
        ("cy@example.com", "viewer", ["Nul\x00"], PASSWORD, "not_found", "no company named"),
        ("cy@example.com", "viewer", [], "short12", "invalid", "at least 8 characters"),
        ("not-an-address", "viewer", [], PASSWORD, "invalid", "is not an email address"),
        ("a b@example.com", "viewer", [], PASSWORD, "invalid", "is not an email address"),
        ("\udcff@example.com", "viewer", [], PASSWORD, "invalid", "is not an email address"),
        ("cy@example.com", "viewer", ["\udcff"], PASSWORD, "not_found", "no company named"),
        ("cy@example.com", "owner", [], PASSWORD, "invalid",
         "role 'owner' is not one of admin, accountant, viewer"),
        ("cy@example.com", "admin", ["Acme Ltd"], PASSWORD, "invalid", "an admin sees every"),
    ],
)
def test_a_refused_user_is_not_added(
    session: Session, companies: dict[str, int], owner: AppUser, email: str, role: str,
    grants: list[str], password: str, code: str, fragment: str,
) -> None:
    with pytest.raises(BooksyncError) as caught:
        add_user(session, email, role, grants, password)
    session.rollback()
    assert caught.value.code == code
    assert fragment in str(caught.value)
    assert password not in str(caught.value)
    assert session.scalar(select(func.count()).select_from(AppUser)) == 1


def test_a_password_is_checked_against_the_enabled_user(session: Session, clerk: AppUser) -> None:
    assert authenticate(session, "CLERK@example.com", PASSWORD) is clerk
    assert authenticate(session, "clerk@example.com", PASSWORD + "x") is None
    assert authenticate(session, "nobody@example.com", PASSWORD) is None
    disable_user(session, "clerk@example.com")
    assert authenticate(session, "clerk@example.com", PASSWORD) is None


def test_an_old_hash_is_replaced_at_sign_in(session: Session, clerk: AppUser) -> None:
    from argon2 import PasswordHasher

    clerk.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    weak = clerk.password_hash
    assert authenticate(session, "clerk@example.com", PASSWORD) is clerk
    assert clerk.password_hash != weak
    assert authenticate(session, "clerk@example.com", PASSWORD) is clerk


def test_disabling_ends_sessions_and_revokes_tokens(
    session: Session, owner: AppUser, clerk: AppUser
) -> None:
    cookie, _ = start_session(session, clerk.id)
    kept_cookie, _ = start_session(session, owner.id)
    _, token = create_token(session, "clerk@example.com", "ci")
    _, kept_token = create_token(session, "owner@example.com", "ci")
    session.commit()
    assert resolve_session(session, cookie) is not None
    assert resolve_token(session, token) is not None

    disable_user(session, "Clerk@Example.com")
    session.commit()
    session.expire_all()
    assert user_by_email(session, "clerk@example.com").disabled  # type: ignore[union-attr]
    assert resolve_session(session, cookie) is None
    assert resolve_token(session, token) is None
    assert session.scalar(select(func.count()).select_from(WebSession)
                          .where(WebSession.user_id == clerk.id)) == 0
    assert session.scalars(select(ApiToken.revoked).where(ApiToken.user_id == clerk.id)).all() == [
        True]
    # Nobody else's.
    assert resolve_session(session, kept_cookie) is not None
    assert resolve_token(session, kept_token) is not None
    # Twice is once.
    assert disable_user(session, "clerk@example.com").disabled


def test_disabling_an_unknown_user_is_refused(session: Session) -> None:
    with pytest.raises(NotFound, match=r"no user with the email 'cy@example\.com'"):
        disable_user(session, " CY@example.com")
