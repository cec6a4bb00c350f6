"""Posted books hold against raw SQL on ANY connection (migration 0005).

On SQLite every statement here goes through Python's ``sqlite3`` module with
its default settings, as a ``sqlite3`` shell would: foreign keys off,
recursive triggers off, so ``OR REPLACE`` deletes what it collides with
without firing delete triggers and no reference is checked.  On PostgreSQL
the same changes go through a plain connection.  Each refusal is checked
twice: the statement fails with booksync's message, and every table the books
rest on, and the trial balance, read back afterwards are exactly as before.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booksync.banking.models import (
    Connection,
    ProviderAccount,
    SourceKind,
    StatementLine,
    StatementSource,
    TransactionAlias,
)
from booksync.db.engine import session_factory
from booksync.ledger.companies import create_company
from booksync.ledger.entries import get_entry, reverse_entry
from booksync.ledger.models import Account, Company, Journal, Partner, Sequence
from booksync.ledger.partners import add_partner
from booksync.ledger.reports import trial_balance
from tests.helpers import book, entry, entry_rows, line_rows, simple

TABLES = ["entry", "line", "sequence", "account", "journal", "partner", "company", "currency",
          "statement_source", "statement_line", "transaction_alias"]

POSTED = "posted entries and lines cannot be changed or deleted"
NUMBERING = "numbering of a journal only moves forward"
NO_ENTRY = "a line must belong to an existing entry"
FOREIGN = "must belong to the company of their entry"
REFERENCES = "journal and reversed entry of a posted entry"
BANK = "booked statement lines and their transaction ids"
SOURCE = "the source of booked statement lines cannot be changed or deleted"


def in_use(noun: str) -> str:
    return f"{noun} in use by the books cannot be"


@pytest.fixture
def books(session: Session, company: Company) -> dict[str, Any]:
    """Posted entries (one with a partner, one reversed), a draft, booked bank lines.

    One bank line is an online source's, with its transaction id; one a
    manual source's, naming a partner and the bank's reference.
    """
    used_partner = add_partner(session, company, "Customer A")
    unused_partner = add_partner(session, company, "Nobody Ltd")
    other = create_company(session, "Other GmbH", "EUR", "DE")
    # so that moving an account or a journal there meets no unique key first
    session.execute(update(Account).where(Account.company_id == other.id, Account.code == "1100")
                    .values(code="1101"))
    session.execute(update(Journal).where(Journal.company_id == other.id, Journal.code == "MISC")
                    .values(code="GEN"))
    session.commit()
    sale = book(session, company, entry(
        "SAL", "2026-01-15", ("1100", "119", "0", "Customer A"), ("4000", "0", "119")))
    misc = simple(session, company, "6100", "1000", "50", "2026-01-10")
    reversal = reverse_entry(session, company, get_entry(session, company, misc)).id
    session.commit()
    draft = simple(session, company, "6100", "1200", "80", "2026-01-20", post=False)

    def one(query: Any) -> Any:
        return session.execute(query).scalar_one()

    journal = {code: one(select(Journal.id).where(Journal.company_id == company.id,
                                                  Journal.code == code))
               for code in ("SAL", "MISC", "PUR")}
    used_account = one(select(Account.id).where(Account.company_id == company.id,
                                                Account.code == "1100"))
    # 2200 Payroll Liabilities: no line, and no tax either (the default taxes use 2100, 1600).
    unused_account = one(select(Account.id).where(Account.company_id == company.id,
                                                  Account.code == "2200"))
    connection = Connection(company_id=company.id, provider="simplefin", label="Bank")
    account = ProviderAccount(company_id=company.id, connection=connection,
                              provider_account_id="acc-1", name="Checking",
                              currency_code="EUR", journal_id=journal["MISC"])
    session.add_all([connection, account])
    session.flush()
    source = StatementSource(company_id=company.id, journal_id=journal["MISC"],
                             kind=SourceKind.ONLINE, provider_account_id=account.id,
                             name="Checking")
    manual = StatementSource(company_id=company.id, journal_id=journal["MISC"],
                             kind=SourceKind.MANUAL, name="Entered by hand")
    session.add_all([source, manual])
    session.flush()
    statement = StatementLine(company_id=company.id, journal_id=journal["MISC"],
                              source_id=source.id, provider_account_id=account.id,
                              entry_id=misc, date=dt.date(2026, 1, 10), amount=-5000,
                              currency_code="EUR", label="Coffee", provider_transaction_id="tx-1")
    by_hand = StatementLine(company_id=company.id, journal_id=journal["MISC"],
                            source_id=manual.id, entry_id=misc, date=dt.date(2026, 1, 10),
                            amount=-5000, currency_code="EUR", label="Coffee beans",
                            partner_id=used_partner.id, reference="RF18 5390 0754 7034")
    session.add_all([statement, by_hand])
    session.flush()
    alias = TransactionAlias(company_id=company.id, source_id=source.id,
                             statement_line_id=statement.id, transaction_id="tx-1")
    session.add(alias)
    session.commit()
    ids = {
        "company": company.id, "other": other.id, "sale": sale, "misc": misc,
        "reversal": reversal, "draft": draft,
        "sale_line": get_entry(session, company, sale).lines[0].id,
        "draft_line": get_entry(session, company, draft).lines[0].id,
        "misc_number": get_entry(session, company, misc).number,
        "sal_journal": journal["SAL"], "misc_journal": journal["MISC"],
        "pur_journal": journal["PUR"],
        "misc_sequence": one(select(Sequence.id).where(Sequence.journal_id == journal["MISC"])),
        "used_account": used_account, "unused_account": unused_account,
        "used_partner": one(select(Partner.id).where(Partner.name == "Customer A")),
        "unused_partner": unused_partner.id,
        "statement": statement.id, "alias": alias.id, "by_hand": by_hand.id,
        "source": source.id, "manual_source": manual.id, "provider_account": account.id,
    }
    session.rollback()  # end the read transaction: its locks would block the attacks
    return ids


def state(engine: Engine, company_id: int) -> dict[str, Any]:
    """Every row the books rest on, and the trial balance, read on a fresh connection."""
    with engine.connect() as conn:
        tables = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                  for t in TABLES}
    with session_factory(engine)() as session:
        company = session.get(Company, company_id)
        assert company is not None
        report = trial_balance(session, company).as_dict()
        tables["entries"] = [entry_rows(session, company_id)]
        tables["lines"] = [line_rows(session, company_id)]
    return {**tables, "trial balance": report}


def _sqlite_path(engine: Engine) -> str:
    path = make_url(str(engine.url)).database
    assert path
    return path


def run_raw(engine: Engine, sql: str, params: dict[str, Any]) -> None:
    """``sql`` through a connection with the backend's plainest settings, committed."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(_sqlite_path(engine))
        try:
            settings = [conn.execute(f"PRAGMA {p}").fetchone()[0]
                        for p in ("foreign_keys", "recursive_triggers")]
            assert settings == [0, 0]  # what a sqlite3 shell gets
            conn.execute(sql, params)
            conn.commit()
        finally:
            conn.close()
        return
    with engine.connect() as conn:
        conn.execute(text("SET lock_timeout = '5s'"))  # a lock wait must fail, not hang
        conn.execute(text(sql), params)
        conn.commit()


def refused(engine: Engine, books: dict[str, Any], sql: str) -> str:
    """Run ``sql``; it must fail and leave the books as they were. Returns the error text."""
    before = state(engine, books["company"])
    params = {k: v for k, v in books.items() if f":{k}" in sql}
    with pytest.raises((sqlite3.DatabaseError, DBAPIError)) as info:
        run_raw(engine, sql, params)
    assert state(engine, books["company"]) == before
    return str(info.value)


NEW_UID = "lower(hex(randomblob(16)))"
POST_DRAFT = "UPDATE entry SET state = 'posted', number = 'MISC/2026/00003' WHERE id = :draft"

# SQLite: OR REPLACE deletes the row it collides with; without recursive
# triggers no delete trigger fires, so each key must be guarded before the write.
REPLACE = [
    ("UPDATE OR REPLACE entry SET number = :misc_number WHERE id = :draft", POSTED),
    ("UPDATE OR REPLACE entry SET reversal_of_id = :misc WHERE id = :draft", POSTED),
    ("INSERT OR REPLACE INTO entry (uid, version, created_at, company_id, journal_id, date, "
     f"state, number) SELECT {NEW_UID}, 1, created_at, company_id, journal_id, date, 'draft', "
     ":misc_number FROM entry WHERE id = :draft", POSTED),
    ("INSERT OR REPLACE INTO entry (uid, version, created_at, company_id, journal_id, date, "
     f"state, reversal_of_id) SELECT {NEW_UID}, 1, created_at, company_id, journal_id, date, "
     "'draft', :misc FROM entry WHERE id = :draft", POSTED),
    ("INSERT OR REPLACE INTO line (uid, version, created_at, company_id, entry_id, account_id, "
     "debit, credit, date, posted) SELECT uid, 1, created_at, company_id, :draft, account_id, "
     "0, 0, date, 0 FROM line WHERE id = :sale_line", POSTED),
    ("INSERT OR REPLACE INTO sequence (company_id, journal_id, year, last_number) "
     "VALUES (:company, :misc_journal, 2026, 1)", NUMBERING),
    ("INSERT OR REPLACE INTO sequence (id, company_id, journal_id, year, last_number) "
     "VALUES (:misc_sequence, :company, :misc_journal, 2030, 0)", NUMBERING),
    ("UPDATE OR REPLACE sequence SET journal_id = :misc_journal "
     "WHERE journal_id = :sal_journal", NUMBERING),
    ("UPDATE OR REPLACE account SET code = '1100' WHERE id = :unused_account",
     in_use("an account")),
    ("INSERT OR REPLACE INTO account (uid, version, created_at, company_id, code, name, type, "
     f"reconcile, active) SELECT {NEW_UID}, 1, created_at, company_id, code, 'Twin', type, "
     "reconcile, active FROM account WHERE id = :used_account", in_use("an account")),
    ("UPDATE OR REPLACE journal SET code = 'MISC' WHERE id = :pur_journal", in_use("a journal")),
    ("UPDATE OR REPLACE partner SET name = 'Customer A' WHERE id = :unused_partner",
     in_use("a partner")),
    ("UPDATE OR REPLACE company SET name = 'Acme Ltd' WHERE id = :other", in_use("a company")),
    ("INSERT OR REPLACE INTO currency (uid, version, created_at, code, name, exponent) "
     f"SELECT {NEW_UID}, 1, created_at, code, name, 3 FROM currency WHERE code = 'EUR'",
     in_use("a currency")),
    ("INSERT OR REPLACE INTO transaction_alias (uid, version, created_at, company_id, "
     f"source_id, statement_line_id, transaction_id) SELECT {NEW_UID}, 1, created_at, "
     "company_id, source_id, statement_line_id, transaction_id "
     "FROM transaction_alias WHERE id = :alias", BANK),
    ("INSERT OR REPLACE INTO statement_line SELECT * FROM statement_line WHERE id = :statement",
     BANK),
    ("INSERT OR REPLACE INTO statement_line SELECT * FROM statement_line WHERE id = :by_hand",
     BANK),
    # a source's keys: its provider account, and a journal's one manual source
    ("INSERT OR REPLACE INTO statement_source (uid, version, created_at, company_id, "
     f"journal_id, kind, provider_account_id, name) SELECT {NEW_UID}, 1, created_at, "
     "company_id, journal_id, kind, provider_account_id, 'Twin' FROM statement_source "
     "WHERE id = :source", SOURCE),
    ("INSERT OR REPLACE INTO statement_source (uid, version, created_at, company_id, "
     f"journal_id, kind, provider_account_id, name) SELECT {NEW_UID}, 1, created_at, "
     "company_id, journal_id, kind, NULL, 'Twin' FROM statement_source "
     "WHERE id = :manual_source", SOURCE),
    ("INSERT OR REPLACE INTO statement_source SELECT * FROM statement_source WHERE id = :source",
     SOURCE),
    ("DELETE FROM statement_source WHERE id = :manual_source", SOURCE),
    # without foreign keys nothing checks a reference: the triggers do
    ("INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, debit, "
     f"credit, date, posted) SELECT {NEW_UID}, 1, created_at, company_id, 999, account_id, "
     "debit, credit, date, 1 FROM line WHERE entry_id = :misc", NO_ENTRY),
    ("INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, debit, "
     f"credit, date, posted) SELECT {NEW_UID}, 1, created_at, company_id, 999, account_id, "
     "debit, credit, date, 0 FROM line WHERE entry_id = :misc", NO_ENTRY),
    ("DELETE FROM account WHERE id = :used_account", in_use("an account")),
    ("DELETE FROM journal WHERE id = :misc_journal", in_use("a journal")),
    ("DELETE FROM partner WHERE id = :used_partner", in_use("a partner")),
    ("DELETE FROM company WHERE id = :company", in_use("a company")),
    ("DELETE FROM currency WHERE code = 'EUR'", in_use("a currency")),
]


@pytest.mark.parametrize(("sql", "message"), REPLACE)
def test_sqlite_replace_and_missing_references_are_refused(
    engine: Engine, books: dict[str, Any], sql: str, message: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("OR REPLACE and switching foreign keys off are SQLite's")
    assert message in refused(engine, books, sql)


# Both databases: what foreign keys and unique keys do not cover.
CHANGES = [
    ("UPDATE sequence SET last_number = last_number - 1 WHERE id = :misc_sequence", NUMBERING),
    ("UPDATE sequence SET last_number = last_number + 1 WHERE id = :misc_sequence", NUMBERING),
    ("UPDATE sequence SET last_number = last_number + 5 WHERE id = :misc_sequence", NUMBERING),
    ("UPDATE sequence SET last_number = 0 WHERE id = :misc_sequence", NUMBERING),
    ("UPDATE sequence SET year = 2027 WHERE id = :misc_sequence", NUMBERING),
    ("UPDATE sequence SET journal_id = :pur_journal WHERE id = :misc_sequence", NUMBERING),
    ("DELETE FROM sequence WHERE id = :misc_sequence", NUMBERING),
    ("DELETE FROM sequence", NUMBERING),
    ("UPDATE account SET type = 'income' WHERE id = :used_account", in_use("an account")),
    ("UPDATE account SET company_id = :other WHERE id = :used_account", in_use("an account")),
    ("UPDATE company SET currency_code = 'USD' WHERE id = :company", in_use("a company")),
    ("UPDATE journal SET company_id = :other WHERE id = :misc_journal", in_use("a journal")),
    ("UPDATE journal SET code = 'OPS' WHERE id = :misc_journal", in_use("a journal")),
    ("UPDATE partner SET company_id = :other WHERE id = :used_partner", in_use("a partner")),
    ("UPDATE currency SET exponent = 3 WHERE code = 'EUR'", in_use("a currency")),
    ("UPDATE statement_line SET amount = amount + 1 WHERE id = :statement", BANK),
    ("UPDATE statement_line SET provider_transaction_id = 'tx-9' WHERE id = :statement", BANK),
    ("DELETE FROM statement_line WHERE id = :statement", BANK),
    ("UPDATE transaction_alias SET transaction_id = 'tx-9' WHERE id = :alias", BANK),
    ("DELETE FROM transaction_alias WHERE id = :alias", BANK),
    # where a booked line came from, who it names and what it says
    ("UPDATE statement_line SET source_id = :manual_source WHERE id = :statement", BANK),
    ("UPDATE statement_line SET partner_id = :unused_partner WHERE id = :statement", BANK),
    ("UPDATE statement_line SET partner_id = :unused_partner WHERE id = :by_hand", BANK),
    ("UPDATE statement_line SET partner_id = NULL WHERE id = :by_hand", BANK),
    ("UPDATE statement_line SET reference = 'INV/2026/0001' WHERE id = :statement", BANK),
    ("UPDATE statement_line SET reference = NULL WHERE id = :by_hand", BANK),
    ("UPDATE transaction_alias SET source_id = :manual_source WHERE id = :alias", BANK),
    # the source the aliases are keyed on
    ("UPDATE statement_source SET journal_id = :sal_journal WHERE id = :source", SOURCE),
    ("UPDATE statement_source SET provider_account_id = NULL, kind = 'file' "
     "WHERE id = :source", SOURCE),
    ("UPDATE statement_source SET company_id = :other WHERE id = :manual_source", SOURCE),
    ("DELETE FROM statement_source WHERE id = :source", SOURCE),
]


@pytest.mark.parametrize(("sql", "message"), CHANGES)
def test_raw_sql_cannot_move_what_posted_books_rest_on(
    engine: Engine, books: dict[str, Any], sql: str, message: str
) -> None:
    assert message in refused(engine, books, sql)


@pytest.mark.parametrize("table", ["account", "journal", "partner", "company", "currency"])
def test_postgresql_foreign_keys_refuse_deleting_master_data_in_use(
    engine: Engine, books: dict[str, Any], table: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is covered above, with foreign keys off")
    where = {"account": "id = :used_account", "journal": "id = :misc_journal",
             "partner": "id = :used_partner", "company": "id = :company",
             "currency": "code = 'EUR'"}[table]
    assert "foreign key" in refused(engine, books, f"DELETE FROM {table} WHERE {where}")


@pytest.mark.parametrize(
    "table",
    ["sequence", "statement_line CASCADE", "transaction_alias", "statement_source CASCADE"],
)
def test_postgresql_refuses_truncating_counters_and_bank_lines(
    engine: Engine, books: dict[str, Any], table: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    assert "cannot be truncated" in refused(engine, books, f"TRUNCATE {table}")


def _accepted(engine: Engine, books: dict[str, Any], sql: str) -> None:
    run_raw(engine, sql, {k: v for k, v in books.items() if f":{k}" in sql})


def test_sqlite_recreating_an_existing_counter_changes_nothing(
    engine: Engine, books: dict[str, Any]
) -> None:
    """A BEFORE trigger cannot tell OR REPLACE from the writer's ON CONFLICT DO NOTHING."""
    if engine.dialect.name != "sqlite":
        pytest.skip("OR REPLACE is SQLite syntax")
    before = state(engine, books["company"])
    for conflict in ("INSERT OR REPLACE INTO sequence", "INSERT INTO sequence"):
        suffix = "" if "REPLACE" in conflict else " ON CONFLICT DO NOTHING"
        _accepted(engine, books, f"{conflict} (company_id, journal_id, year, last_number) "
                                 f"VALUES (:company, :misc_journal, 2026, 0){suffix}")
    assert state(engine, books["company"]) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("UPDATE line SET account_id = 99999 WHERE id = :draft_line", FOREIGN),
        ("UPDATE entry SET journal_id = 99999 WHERE id = :draft", REFERENCES),
        ("UPDATE entry SET reversal_of_id = 99999 WHERE id = :draft", REFERENCES),
    ],
)
def test_sqlite_posting_checks_references_without_foreign_keys(
    engine: Engine, books: dict[str, Any], change: str, message: str
) -> None:
    """A draft may point anywhere while foreign keys are off; it cannot be posted so."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always checks foreign keys")
    _accepted(engine, books, change)
    assert message in refused(engine, books, POST_DRAFT)


def test_a_posted_entry_keeps_to_the_journals_of_its_company(
    engine: Engine, books: dict[str, Any]
) -> None:
    _accepted(engine, books, "UPDATE entry SET journal_id = (SELECT id FROM journal "
                             "WHERE company_id = :other AND code = 'GEN') WHERE id = :draft")
    assert REFERENCES in refused(engine, books, POST_DRAFT)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE account SET type = 'income' WHERE id = :unused_account",
        "UPDATE account SET name = 'Renamed', active = :false WHERE id = :used_account",
        "DELETE FROM account WHERE id = :unused_account",
        "UPDATE journal SET code = 'BUY' WHERE id = :pur_journal",
        "UPDATE journal SET name = 'General' WHERE id = :misc_journal",
        "DELETE FROM partner WHERE id = :unused_partner",
        "UPDATE partner SET email = 'a@example.com' WHERE id = :used_partner",
        "UPDATE company SET lock_date = '2025-12-31' WHERE id = :company",
        "UPDATE statement_source SET name = 'Main account' WHERE id = :source",
        "UPDATE sequence SET last_number = last_number WHERE id = :misc_sequence",
    ],
)
def test_what_the_books_do_not_rest_on_stays_editable(
    engine: Engine, books: dict[str, Any], sql: str
) -> None:
    """The guards are not blanket refusals, on either database and any connection."""
    _accepted(engine, books, sql.replace(":false", "0" if engine.dialect.name == "sqlite"
                                         else "false").replace(
        ":true", "1" if engine.dialect.name == "sqlite" else "true"))


def test_the_counter_follows_posting_on_a_plain_connection(
    engine: Engine, books: dict[str, Any]
) -> None:
    """Posting the next number by hand, then moving the counter onto it, is what posting does."""
    _accepted(engine, books, POST_DRAFT)
    _accepted(engine, books, "UPDATE sequence SET last_number = 3 WHERE id = :misc_sequence")
    with engine.connect() as conn:
        last = conn.execute(text("SELECT last_number FROM sequence WHERE id = :id"),
                            {"id": books["misc_sequence"]}).scalar()
    assert last == 3


def test_the_counter_cannot_step_over_a_number_nobody_holds(
    engine: Engine, books: dict[str, Any]
) -> None:
    """MISC/2026/00003 was never posted: the counter cannot reach 00004 past it."""
    _accepted(engine, books, POST_DRAFT.replace("00003", "00004"))
    assert NUMBERING in refused(
        engine, books, "UPDATE sequence SET last_number = 4 WHERE id = :misc_sequence")


def test_sqlite_without_trusted_schema_refuses_lines_instead_of_letting_them_through(
    engine: Engine, books: dict[str, Any]
) -> None:
    """The line check reads ``pragma_foreign_keys``, which such a connection forbids."""
    if engine.dialect.name != "sqlite":
        pytest.skip("trusted_schema is a SQLite setting")
    before = state(engine, books["company"])
    conn = sqlite3.connect(_sqlite_path(engine))
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        with pytest.raises(sqlite3.DatabaseError, match="unsafe use of virtual table"):
            conn.execute(
                "INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, "
                f"debit, credit, date, posted) SELECT {NEW_UID}, 1, created_at, company_id, 999, "
                "account_id, debit, credit, date, 1 FROM line WHERE entry_id = :misc",
                {"misc": books["misc"]})
        conn.commit()
    finally:
        conn.close()
    assert state(engine, books["company"]) == before
