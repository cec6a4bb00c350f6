"""Lines that also state their amount in a foreign currency."""

import datetime as dt
from decimal import Decimal

import pytest

from booksync.cli.main import run
from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry, reverse_entry
from booksync.ledger.errors import InvalidEntry

D = Decimal


def _usd_payment(amount_usd: str = "-100.00") -> EntryInput:
    return EntryInput(
        "MISC",
        dt.date(2026, 3, 2),
        (
            LineInput("6400", debit=D("92.00")),
            LineInput("1200", credit=D("92.00"), currency="usd", amount_currency=D(amount_usd)),
        ),
        "Hosting, paid in USD",
    )


def test_foreign_amount_is_stored_and_mirrored_by_reversal(session, company):
    (entry_id,) = add_entries(session, company, [_usd_payment()], post=True)
    entry = get_entry(session, company, entry_id)
    bank = next(ln for ln in entry.lines if ln.account.code == "1200")
    assert (bank.currency_code, bank.amount_currency, bank.credit) == ("USD", -10000, 9200)
    reversal = reverse_entry(session, company, entry)
    mirrored = next(ln for ln in reversal.lines if ln.account.code == "1200")
    mirrored_values = (mirrored.currency_code, mirrored.amount_currency, mirrored.debit)
    assert mirrored_values == ("USD", 10000, 9200)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LineInput("1200", credit=D("1"), currency="USD", amount_currency=D("5")), "sign"),
        (LineInput("1200", credit=D("1"), currency="USD"), "needs both"),
        (LineInput("1200", credit=D("1"), currency="XYZ", amount_currency=D("-1")), "needs both"),
        (LineInput("1200", credit=D("1"), currency="JPY", amount_currency=D("-1.5")), "decimal"),
    ],
)
def test_bad_foreign_amounts_are_refused(session, company, line, message):
    entry = EntryInput("MISC", dt.date(2026, 3, 2), (LineInput("6400", debit=D("1")), line))
    with pytest.raises(InvalidEntry, match=message):
        add_entries(session, company, [entry], post=True)


def test_jsonl_foreign_amount_reaches_entry_show(db_url, company, tmp_path, capsys):
    path = tmp_path / "usd.jsonl"
    path.write_text(
        '{"journal": "MISC", "date": "2026-03-02", "lines": ['
        '{"account": "6400", "debit": "92.00"},'
        '{"account": "1200", "credit": "92.00", "currency": "USD", "amount_currency": "-100"}]}\n'
    )
    assert run(["--db", db_url, "entry", "import", str(path), "--post"]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "entry", "show", "MISC/2026/00001", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"currency": "USD"' in out and '"amount_currency": "-100.00"' in out
