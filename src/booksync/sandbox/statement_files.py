"""The sandbox bank's statement exports: an account's history as the files banks hand out.

A bank without an API still lets its customer download statements: CAMT.053,
MT940, OFX or CSV.  The sandbox writes them from the same world it serves
online, so the demo can import one file of each format next to the online
connections (and see the exactly-once rules across them), and the benchmarks
can make files of any size (docs/banking.md, "The sandbox bank").

Each writer takes one account's booked transactions of ``first``..``last``
(booking dates, both included) with the balances before and after, and uses the
bank's transaction id as its reference (CAMT.053 ``AcctSvcrRef``, the MT940
bank reference, OFX ``FITID``).  The CSV export, like many banks', carries no
id and writes German-style numbers with a running balance: the import
fingerprints its rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from xml.sax.saxutils import escape

from booksync.money import to_decimal
from booksync.sandbox.model import Account, Transaction

__all__ = ["CSV_PROFILE", "EXPORTS", "camt053", "csv_export", "mt940", "ofx"]

ONE_DAY = dt.timedelta(days=1)
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"

CSV_PROFILE = {
    "date": "Buchungstag", "value_date": "Valuta", "label": ["Verwendungszweck"],
    "amount": "Betrag", "balance": "Saldo", "delimiter": ";", "encoding": "cp1252",
    "skip_rows": 1, "header": True, "date_format": "%d.%m.%Y", "decimal": ",",
    "thousands": ".",
}
"""How :func:`csv_export`'s files read, as ``csv-profile add`` options by field."""


def _booked(account: Account, first: dt.date, last: dt.date) -> list[Transaction]:
    return account.booked_between(first, last)


def _text(txn: Transaction) -> str:
    return " ".join(part for part in (txn.payee, txn.description, txn.memo) if part)


def _amount(account: Account, minor: int) -> str:
    return str(to_decimal(abs(minor), account.exponent))


def camt053(account: Account, first: dt.date, last: dt.date) -> bytes:
    """One ISO 20022 BankToCustomerStatement (camt.053.001.02) of the period."""
    opening, closing = account.balance(first - ONE_DAY), account.balance(last)

    def balance(code: str, minor: int, day: dt.date) -> str:
        side = "CRDT" if minor >= 0 else "DBIT"
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                f'<Amt Ccy="{account.currency}">{_amount(account, minor)}</Amt>'
                f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")

    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{CAMT_NS}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(account.id)}-{last:%Y%m%d}</MsgId>"
        f"<CreDtTm>{last.isoformat()}T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(account.id)}-{first:%Y%m%d}-{last:%Y%m%d}</Id>"
        f"<CreDtTm>{last.isoformat()}T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account.iban}</IBAN></Id><Ccy>{account.currency}</Ccy></Acct>",
        balance("OPBD", opening, first - ONE_DAY), balance("CLBD", closing, last),
    ]
    for txn in _booked(account, first, last):
        assert txn.posted is not None
        side = "CRDT" if txn.amount >= 0 else "DBIT"
        party = "Dbtr" if txn.amount >= 0 else "Cdtr"
        related = (f"<RltdPties><{party}><Nm>{escape(txn.payee)}</Nm></{party}></RltdPties>"
                   if txn.payee else "")
        parts.append(
            f'<Ntry><Amt Ccy="{account.currency}">{_amount(account, txn.amount)}</Amt>'
            f"<CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{txn.posted.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{txn.transacted.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(txn.id)}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls>{related}<RmtInf><Ustrd>{escape(_text(txn))}</Ustrd></RmtInf>"
            f"</TxDtls></NtryDtls></Ntry>")
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(parts).encode()


def mt940(account: Account, first: dt.date, last: dt.date) -> bytes:
    """One MT940 statement of the period, with the :86: text in free form."""
    opening, closing = account.balance(first - ONE_DAY), account.balance(last)

    def balance(tag: str, minor: int, day: dt.date) -> str:
        mark = "C" if minor >= 0 else "D"
        return f":{tag}:{mark}{day:%y%m%d}{account.currency}{_comma(account, minor)}"

    lines = [f":20:{account.id[-16:]}", f":25:{account.iban}", f":28C:{last:%j}/1",
             balance("60F", opening, first - ONE_DAY)]
    for txn in _booked(account, first, last):
        assert txn.posted is not None
        mark = "C" if txn.amount >= 0 else "D"
        lines.append(f":61:{txn.transacted:%y%m%d}{txn.posted:%m%d}{mark}"
                     f"{_comma(account, txn.amount)}NTRFNONREF//{txn.id}")
        text = _text(txn).replace(":", " ")
        lines.append(":86:" + text[:65])
        lines += [text[n:n + 65] for n in range(65, min(len(text), 390), 65)]
    lines += [balance("62F", closing, last), "-"]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1", "replace")


def _comma(account: Account, minor: int) -> str:
    """MT940's amount: always a decimal comma, even without decimals (``1234,``)."""
    text = _amount(account, minor)
    return text.replace(".", ",") if "." in text else text + ","


def ofx(account: Account, first: dt.date, last: dt.date) -> bytes:
    """An OFX 2.2 bank statement of the period."""
    closing = account.balance(last)
    rows = []
    for txn in _booked(account, first, last):
        assert txn.posted is not None
        kind = "CREDIT" if txn.amount >= 0 else "DEBIT"
        name = f"<NAME>{escape(txn.payee[:32])}</NAME>" if txn.payee else ""
        rows.append(
            f"<STMTTRN><TRNTYPE>{kind}</TRNTYPE><DTPOSTED>{txn.posted:%Y%m%d}</DTPOSTED>"
            f"<DTUSER>{txn.transacted:%Y%m%d}</DTUSER>"
            f"<TRNAMT>{to_decimal(txn.amount, account.exponent)}</TRNAMT>"
            f"<FITID>{escape(txn.id)}</FITID>{name}<MEMO>{escape(_text(txn)[:255])}</MEMO>"
            f"</STMTTRN>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" '
        'NEWFILEUID="NONE"?>\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE>'
        f"<SEVERITY>INFO</SEVERITY></STATUS><DTSERVER>{last:%Y%m%d}060000</DTSERVER>"
        "<LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS>"
        "<TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        f"<STMTRS><CURDEF>{account.currency}</CURDEF><BANKACCTFROM>"
        f"<BANKID>{account.institution.bic}</BANKID><ACCTID>{account.iban}</ACCTID>"
        "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>{first:%Y%m%d}</DTSTART><DTEND>{last:%Y%m%d}</DTEND>"
        + "".join(rows)
        + f"</BANKTRANLIST><LEDGERBAL><BALAMT>{to_decimal(closing, account.exponent)}"
        f"</BALAMT><DTASOF>{last:%Y%m%d}</DTASOF></LEDGERBAL></STMTRS></STMTTRNRS>"
        "</BANKMSGSRSV1></OFX>\n"
    ).encode()


def csv_export(account: Account, first: dt.date, last: dt.date) -> bytes:
    """A German bank's CSV export: a title line, `;`, comma decimals, a running balance,
    newest first, Windows-1252; read with :data:`CSV_PROFILE`."""
    running = account.balance(first - ONE_DAY)
    rows: list[str] = []
    for txn in _booked(account, first, last):
        assert txn.posted is not None
        running += txn.amount
        text = _text(txn).replace(";", ",").replace('"', "'")
        rows.append(f"{txn.posted:%d.%m.%Y};{txn.transacted:%d.%m.%Y};\"{text}\";"
                    f"{_german(account, txn.amount)};{_german(account, running)}")
    title = f"Umsaetze {account.iban} {first:%d.%m.%Y} - {last:%d.%m.%Y}"
    lines = [title, "Buchungstag;Valuta;Verwendungszweck;Betrag;Saldo", *reversed(rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", "replace")


def _german(account: Account, minor: int) -> str:
    """``-1.234,56``: a point every three digits, a decimal comma."""
    text = f"{to_decimal(abs(minor), account.exponent):,}".replace(",", "_")
    return ("-" if minor < 0 else "") + text.replace(".", ",").replace("_", ".")


EXPORTS: dict[str, tuple[str, Callable[[Account, dt.date, dt.date], bytes]]] = {
    "camt053": ("xml", camt053),
    "mt940": ("sta", mt940),
    "ofx": ("ofx", ofx),
    "csv": ("csv", csv_export),
}
"""Format -> (file extension, writer)."""
