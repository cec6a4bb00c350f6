"""The generic chart of accounts and default journals a new company starts with.

Four-digit codes grouped by type (1 assets, 2 liabilities, 3 equity,
4 income, 5-7 expenses), close to what small-company accountants expect.
"""

from __future__ import annotations

from typing import NamedTuple

from booksync.ledger.models import AccountRole, AccountType, JournalType


class AccountSpec(NamedTuple):
    code: str
    name: str
    type: AccountType
    role: AccountRole | None = None
    reconcile: bool = False


class JournalSpec(NamedTuple):
    code: str
    name: str
    type: JournalType
    default_account: str | None


A, L, E, INC, X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.INCOME,
    AccountType.EXPENSE,
)

GENERIC_CHART: tuple[AccountSpec, ...] = (
    AccountSpec("1000", "Cash", A),
    AccountSpec("1100", "Accounts Receivable", A, AccountRole.RECEIVABLE, True),
    AccountSpec("1200", "Bank", A, AccountRole.BANK),
    AccountSpec("1250", "Outstanding Receipts", A, AccountRole.OUTSTANDING_IN, True),
    AccountSpec("1260", "Outstanding Payments", A, AccountRole.OUTSTANDING_OUT, True),
    AccountSpec("1290", "Bank Suspense", A, AccountRole.SUSPENSE, True),
    AccountSpec("1300", "Inventory", A),
    AccountSpec("1400", "Prepaid Expenses", A),
    AccountSpec("1500", "Equipment", A),
    AccountSpec("1510", "Accumulated Depreciation", A),
    AccountSpec("1600", "VAT Receivable", A, AccountRole.TAX_PURCHASE),
    AccountSpec("2000", "Accounts Payable", L, AccountRole.PAYABLE, True),
    AccountSpec("2100", "VAT Payable", L, AccountRole.TAX_SALE),
    AccountSpec("2200", "Payroll Liabilities", L),
    AccountSpec("2300", "Accrued Liabilities", L),
    AccountSpec("2500", "Loans", L),
    AccountSpec("3000", "Share Capital", E),
    AccountSpec("3100", "Retained Earnings", E),
    AccountSpec("3900", "Opening Balance Equity", E),
    AccountSpec("4000", "Sales", INC),
    AccountSpec("4100", "Services Revenue", INC),
    AccountSpec("4900", "Other Income", INC),
    AccountSpec("4950", "Exchange Gains", INC, AccountRole.EXCHANGE_GAIN),
    AccountSpec("5000", "Cost of Goods Sold", X),
    AccountSpec("6000", "Salaries", X),
    AccountSpec("6100", "Rent", X),
    AccountSpec("6200", "Utilities", X),
    AccountSpec("6300", "Office Supplies", X),
    AccountSpec("6400", "Software Subscriptions", X),
    AccountSpec("6500", "Bank Fees", X),
    AccountSpec("6600", "Travel", X),
    AccountSpec("6700", "Professional Fees", X),
    AccountSpec("6800", "Insurance", X),
    AccountSpec("6900", "Depreciation", X),
    AccountSpec("7000", "Interest Expense", X),
    AccountSpec("7100", "Exchange Losses", X, AccountRole.EXCHANGE_LOSS),
)

# The account a company uses for each role, by code in this chart: a company
# created before a role existed gets its account on first use.
ROLE_ACCOUNTS: dict[AccountRole, AccountSpec] = {
    spec.role: spec for spec in GENERIC_CHART if spec.role is not None
}

DEFAULT_JOURNALS: tuple[JournalSpec, ...] = (
    JournalSpec("SAL", "Sales", JournalType.SALE, "4000"),
    JournalSpec("PUR", "Purchases", JournalType.PURCHASE, "5000"),
    JournalSpec("MISC", "Miscellaneous Operations", JournalType.GENERAL, None),
)
