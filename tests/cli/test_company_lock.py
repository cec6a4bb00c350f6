"""``booksync company``: showing the company, closing its books up to a day, reopening."""

from __future__ import annotations

import datetime as dt

from tests.cli.clitools import Cli, ok_json, one_error


def _post(cli: Cli, day: str) -> tuple[int, str, str]:
    return cli("entry", "add", "--journal", "MISC", "--date", day, "--line", "1000:10:0",
               "--line", "3000:0:10", "--post")


def test_closing_a_period_refuses_posting_in_it_and_only_reopening_moves_it_back(
        acme: Cli) -> None:
    assert ok_json(acme, "company", "show") == {
        "name": "Acme Ltd", "currency": "EUR", "country": "DE", "lock_date": None}
    assert ok_json(acme, "company", "lock", "2026-03-31")["lock_date"] == "2026-03-31"
    one_error(_post(acme, "2026-03-31"), "on or before the lock date 2026-03-31")
    assert _post(acme, "2026-04-01")[0] == 0
    assert ok_json(acme, "company", "lock", "2026-04-30")["lock_date"] == "2026-04-30"
    one_error(acme("company", "lock", "2026-03-31"),
              "closed up to 2026-04-30", "to 2026-03-31 reopens a closed period", "--reopen")
    one_error(acme("company", "unlock"), "closed up to 2026-04-30", "--reopen")
    assert ok_json(acme, "company", "show")["lock_date"] == "2026-04-30"
    reopened = ok_json(acme, "company", "lock", "2026-02-28", "--reopen")
    assert reopened["lock_date"] == "2026-02-28"
    assert _post(acme, "2026-03-15")[0] == 0
    assert ok_json(acme, "company", "unlock", "--reopen")["lock_date"] is None
    code, out, err = acme("company", "show")
    assert code == 0 and "no period closed" in out, err


def test_a_lock_date_is_a_past_day(acme: Cli) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    one_error(acme("company", "lock", tomorrow), f"{tomorrow} is after today")
    one_error(acme("company", "lock", "31.03.2026"), "DATE '31.03.2026' is not a date")
    assert ok_json(acme, "company", "show")["lock_date"] is None

