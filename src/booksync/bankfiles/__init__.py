"""Bank statement files: CAMT.053, MT940, OFX/QFX and CSV, read into the provider contract.

Each format's module reads one file into :class:`~booksync.bankfiles.records.FileStatement`
values, whose transactions are the same :class:`~booksync.providers.base.Transaction`
records an online provider returns, so that a file's lines go through the same
exactly-once rules as a sync's (docs/banking.md, "Statement files").  Nothing here
knows the database.
"""
