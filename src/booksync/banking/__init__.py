"""Banks, bank accounts, connections and what they fetch.

Institutions and banks are shared catalogues; everything else belongs to a
company.  The importer here turns a provider's normalized transactions into
statement lines and their posted entries; the sync engine (``booksync.sync``)
decides when and what to fetch.
"""
