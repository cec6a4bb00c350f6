"""Bank statement lines, whatever their source: a connection, a file, or a hand.

A bank journal's lines come from its *statement sources* (docs/banking.md,
"Statement sources"): a provider account's online source, statement files,
or the journal's manual source.  This package holds what every source
shares, so each gets the same guarantees:

- :mod:`.dedupe`: the exactly-once rules, pure (no database);
- :mod:`.sources`: a journal's sources, made on first use;
- :mod:`.known`: what a source already booked, as dedupe needs it;
- :mod:`.booking` and :mod:`.writing`: each new line's posted entry (bank
  against suspense) and the rows of the line and its aliases, one path for
  every source;
- :mod:`.importer`: a provider account's fetched batch, booked;
- :mod:`.manual`: a line entered by hand;
- :mod:`.listing`: a journal's lines as ``statement list`` shows them.

It sits above ``banking`` (the tables) and ``ledger`` (entries and their
writer); ``sync`` and ``cli`` call it.
"""
