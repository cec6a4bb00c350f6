"""Signing in and out, sessions and tokens on requests, CSRF, headers and errors."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update

from booksync.db.engine import session_factory
from booksync.users.accounts import disable_user
from booksync.users.models import ApiToken, LoginAttempt
from booksync.users.tokens import create_token
from booksync.web.auth import COOKIE
from booksync.web.security import CONTENT_SECURITY_POLICY
from tests.web.conftest import ACCOUNTANT, PASSWORD, VIEWER, Client, Web


def test_the_login_page_has_its_fields_and_a_page_needing_a_user_sends_there(web: Web) -> None:
    client = web.client()
    form = client.get("/login")
    assert form.status_code == 200
    for label in ("Email", "Password", "Log in"):
        assert label in form.text
    away = client.get("/api/docs?x=1")
    assert away.status_code == 200  # the reference is public
    needs = client.post("/logout")
    assert needs.status_code == 303
    assert needs.headers["location"] == "/login?next=%2Flogout"


def test_a_wrong_password_is_refused_with_one_sentence_and_sets_no_cookie(web: Web) -> None:
    client = web.client()
    for email in (ACCOUNTANT, "nobody@example.com"):
        answer = client.post("/login", data={"email": email, "password": "wrong password"})
        assert answer.status_code == 401
        assert "Wrong email or password." in answer.text
        assert COOKIE not in answer.cookies
        assert "wrong password" not in answer.text


def test_signing_in_sets_a_secure_httponly_cookie_and_signing_out_ends_it(web: Web) -> None:
    client = web.client()
    answer = client.post("/login", data={"email": ACCOUNTANT, "password": PASSWORD,
                                         "next": "https://evil.example/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    token = client.cookies.get(COOKIE)
    assert token
    by_hand = {"cookie": f"{COOKIE}={token}"}
    assert ACCOUNTANT in web.client().get("/api/docs", headers=by_hand).text
    page = client.get("/api/docs")
    assert ACCOUNTANT in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    refused = client.post("/logout", data={"csrf": "not the token"})
    assert refused.status_code == 403 and "did not come from booksync" in refused.text
    out = client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert ACCOUNTANT not in web.client().get("/api/docs", headers=by_hand).text


def test_too_many_failures_make_the_next_attempt_wait_without_checking(web: Web) -> None:
    client = web.client()
    for _ in range(5):
        assert client.post("/login", data={"email": VIEWER, "password": "nope nope"}
                           ).status_code == 401
    waiting = client.post("/login", data={"email": VIEWER, "password": PASSWORD})
    assert waiting.status_code == 429 and "try again in" in waiting.text
    with session_factory(web.engine)() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_every_answer_carries_the_security_headers(web: Web,
                                                   sign_in: Callable[[str], Client]) -> None:
    for answer in (web.client().get("/login"), sign_in(VIEWER).get("/api/docs"),
                   web.client().get("/api/v1/nothing")):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
    static = web.client().get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers["cache-control"]


def test_api_errors_are_json_with_a_code_and_never_a_traceback(web: Web) -> None:
    answer = web.client().get("/api/v1/nothing")
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": answer.json()["error"]
                                       ["message"]}}
    assert "Traceback" not in answer.text


def test_a_bearer_token_signs_a_program_in_without_csrf(web: Web) -> None:
    with session_factory(web.engine).begin() as session:
        _row, token = create_token(session, VIEWER, "script")
    client = web.client()
    page = client.get("/api/docs", headers={"Authorization": f"Bearer {token}"})
    assert VIEWER in page.text
    wrong = client.post("/logout", headers={"Authorization": "Bearer bks_wrong"})
    assert wrong.status_code == 303 and wrong.headers["location"].startswith("/login")
    out = client.post("/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert token not in page.text


def test_every_answer_says_how_long_the_server_took(web: Web) -> None:
    timing = web.client().get("/login").headers["server-timing"]
    name, _, duration = timing.partition(";dur=")
    assert name == "app" and float(duration) >= 0


def test_a_revoked_token_or_a_disabled_user_fails_on_the_very_next_request(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    with session_factory(web.engine).begin() as session:
        _row, token = create_token(session, VIEWER, "script")
    program = web.client()
    program.headers["Authorization"] = f"Bearer {token}"
    browser = sign_in(ACCOUNTANT)
    for client in (program, browser):
        assert client.get("/api/v1/statement-lines", params={"journal": "NOPE"}
                          ).status_code == 404  # signed in: the journal is what is missing
    with session_factory(web.engine).begin() as session:
        session.execute(update(ApiToken).values(revoked=True))
        disable_user(session, ACCOUNTANT)
    for client in (program, browser):
        answer = client.get("/api/v1/statement-lines", params={"journal": "NOPE"})
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"
