"""The double-entry ledger: companies, accounts, journals, partners, entries, reports.

The ledger knows nothing of banks; everything above it books through
:mod:`booksync.ledger.entries`.
"""
