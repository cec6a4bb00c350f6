"""``/api/v1/company`` and ``/api/v1/company/lock``: the lock date through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web


def put(client: Client, json: Any) -> Any:
    return client.put("/api/v1/company/lock", json=json, headers={"X-CSRF-Token": client.csrf})


def test_an_admin_closes_and_reopens_the_books_and_others_only_read(web: Web) -> None:
    admin = web.sign_in(ADMIN)
    assert admin.get("/api/v1/company").json() == {
        "name": "Acme Ltd", "currency": "EUR", "country": "DE", "lock_date": None}
    closed = put(admin, {"date": "2026-03-31"})
    assert closed.status_code == 200 and closed.json()["lock_date"] == "2026-03-31"
    back = put(admin, {"date": "2026-02-28"})
    assert back.status_code == 422, back.text
    assert "reopens a closed period" in back.json()["error"]["message"]
    assert put(admin, {"date": None}).status_code == 422
    assert put(admin, {"date": "2026-02-28", "reopen": True}).json()["lock_date"] == (
        "2026-02-28")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert put(admin, {"date": tomorrow}).status_code == 422
    assert put(admin, {"date": "31.03.2026"}).status_code == 422
    for reader in (VIEWER, ACCOUNTANT):
        client = web.sign_in(reader)
        assert client.get("/api/v1/company").json()["lock_date"] == "2026-02-28"
        assert put(client, {"date": "2026-03-31"}).status_code == 403
    assert web.sign_in(OUTSIDER).get("/api/v1/company").json()["name"] == "Globex GmbH"
    assert put(admin, {"date": None, "reopen": True}).json()["lock_date"] is None
