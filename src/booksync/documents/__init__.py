"""Commercial documents over the ledger: taxes, invoices, bills and payments.

Posting a document writes an ordinary posted entry; what is still owed on it
is its receivable or payable line's open item (docs/documents.md).
"""
