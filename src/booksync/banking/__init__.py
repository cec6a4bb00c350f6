"""Banks, bank accounts, connections and the tables of what they bring.

Institutions and banks are shared catalogues; everything else belongs to a
company.  The statement tables live here (sources, lines, aliases); turning
a provider's normalized transactions, a file or a hand's input into
statement lines and their posted entries is :mod:`booksync.statements`'
work, and the sync engine (``booksync.sync``) decides when and what to
fetch.
"""
