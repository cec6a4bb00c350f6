"""The ``booksync`` command line: one module per command group."""
