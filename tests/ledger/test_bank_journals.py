"""Bank journals each get their own bank and suspense accounts."""

from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, AccountRole, JournalType


def test_many_bank_journals_never_share_accounts(session, company):
    journals = [create_bank_journal(session, company, f"Bank {i}") for i in range(120)]
    assert [j.code for j in journals[:3]] == ["BNK1", "BNK2", "BNK3"]
    assert all(j.type == JournalType.BANK for j in journals)
    used = [j.default_account_id for j in journals] + [j.suspense_account_id for j in journals]
    assert len(set(used)) == 240
    roles = {a.id: a.role for a in session.query(Account).filter(Account.id.in_(used))}
    assert all(roles[j.default_account_id] == AccountRole.BANK for j in journals)
    assert all(roles[j.suspense_account_id] == AccountRole.SUSPENSE for j in journals)


def test_foreign_bank_journal_keeps_its_currency(session, company):
    usd = create_bank_journal(session, company, "Dollar account", "usd")
    eur = create_bank_journal(session, company, "Euro account", "EUR")
    assert usd.currency_code == "USD"
    assert eur.currency_code is None  # the company's own currency
