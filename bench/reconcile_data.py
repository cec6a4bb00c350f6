"""The reconciliation benchmark's world (partners, open invoices, bank lines), the truth,
and the judging of what the engine did against it.

Pure Python and deterministic (one seed, one world), no database; amounts
are integer cents.  The bank lines follow the issue's mix, each knowing the
invoice numbers it really pays (none for an unrelated line):

- 60 % exact reference: one invoice paid in full, its number as we wrote it,
  in the label or in the bank's structured reference;
- 15 % reference with noise: lower case, spaces or dashes for the slashes,
  leading zeros dropped, the letter O for a zero, extra words; a fifth of
  them beyond repair (a digit missing) but sent from the customer's IBAN;
- 10 % partner and amount: the customer's IBAN or exact name (sometimes in
  upper case, as banks print it), the amount of one of its invoices;
- 5 % paying 2 to 4 invoices of one customer (70 % two, 20 % three, 10 %
  four), the label naming all of them, the amount their sum;
- 5 % partial: one invoice named, part of it paid.  They come in pairs of
  instalments on one invoice (each 20-45 % of it), so that the mix pays
  0.995 invoices per line and 100,000 lines fit on 100,000 invoices;
- 5 % unrelated: card payments, direct debits, refunds, money in or out,
  from nobody we know; a third of the money-in ones carry the exact total
  of some invoice, to tempt matching by amount alone.

A line *carries enough information* (``informative``, the recall's
denominator) when a careful person could find its invoices from the line
alone: the numbers are written, exactly or in a repairable form (exact,
noisy, 2-4 invoices, partial); or, without a usable number (partner and
amount, noisy beyond repair), the customer is certain (its IBAN or exact
name is on the line) and exactly one of its invoices has that total.
Unrelated lines never do.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from booksync.documents.invoice_amounts import AmountLine, TaxRate, compute
from booksync.money import to_decimal

EXACT, NOISY, BROKEN = "exact reference", "noisy reference", "noisy, beyond repair"
PARTNER_AMOUNT, SEVERAL = "partner + amount", "2-4 invoices"
PARTIAL, UNRELATED = "partial", "unrelated"
CATEGORIES = (EXACT, NOISY, BROKEN, PARTNER_AMOUNT, SEVERAL, PARTIAL, UNRELATED)
SHARES = {EXACT: 60, NOISY: 15, PARTNER_AMOUNT: 10, SEVERAL: 5, PARTIAL: 5}  # percent; rest
BROKEN_SHARE = 0.2  # of the noisy references, when the customer has an IBAN
SEVERAL_SIZES = ((2, 70), (3, 20), (4, 10))  # invoices per transfer, percent of such lines
FIRST_DAY = dt.date(2025, 7, 1)
INVOICE_DAYS = 365
SHARED_PRICES = (4900, 9900, 10000, 15000, 25000, 49900, 100000)  # cents, untaxed

_PLAIN = re.compile(r"[\W_]+")
_FIRST = ("Alpine", "Baltic", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
          "Juniper", "Kestrel", "Lumen", "Meridian", "Nordic", "Orchid", "Pioneer", "Quartz",
          "Riverside", "Summit", "Tidewater", "Union", "Vertex", "Willow", "Yarrow", "Zenith",
          "Müller", "Åkesson", "Dubois", "Rossi", "Novak", "García", "O'Brien", "Schmidt")
_SECOND = ("Trading", "Logistics", "Foods", "Systems", "Labs", "Media", "Motors", "Textiles",
           "Dental", "Bakery", "Consulting", "Print", "Energy", "Garden", "Pharma", "Tools",
           "Travel", "Studio", "Robotics", "Optics", "Farms", "Builders", "Design", "Audio")
_FORM = ("GmbH", "Ltd", "& Co", "Inc.", "S.A.", "BV", "AG", "SARL", "")
_PEOPLE = ("Anna Berg", "Marco Vitale", "Julie Martin", "Tom Hughes", "Sara Lind", "Ivan Petrov",
           "Lea Fischer", "Omar Haddad", "Nina Kovacs", "Paul Durand")
_MERCHANTS = ("Card payment SUPERMARKT 24", "Direct debit Telecom", "Fuel station A7",
              "Insurance premium", "Office rent", "Bank charges", "Refund Amazon Marketplace",
              "Parking garage", "Interest credit", "Cash deposit branch")


@dataclass(frozen=True, slots=True)
class Partner:
    name: str
    iban: str | None


@dataclass(slots=True)
class Invoice:
    partner: int  # index in World.partners
    date: dt.date
    due: dt.date
    untaxed: int
    tax: int = 0
    total: int = 0
    number: str = ""


@dataclass(frozen=True, slots=True)
class BankLine:
    """One transaction as the bank sends it, and what it really pays."""

    tx_id: str
    category: str
    date: dt.date
    amount: int  # signed cents, positive: money in
    description: str
    reference: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    pays: frozenset[str]  # invoice numbers
    informative: bool


@dataclass(slots=True)
class World:
    partners: list[Partner]
    invoices: list[Invoice]
    lines: list[BankLine]


def iban(bank: int, account: int) -> str:
    """A valid German IBAN (ISO 13616 check digits) for a bank code and account number."""
    bban = f"{bank:08d}{account:010d}"
    return f"DE{98 - int(f'{bban}131400') % 97:02d}{bban}"


def _partners(rng: random.Random, count: int) -> list[Partner]:
    """Unique names (also once case and punctuation are set aside); 90 % with an IBAN."""
    combos = [" ".join(p for p in c if p) for c in itertools.product(_FIRST, _SECOND, _FORM)]
    rng.shuffle(combos)
    names: list[str] = []
    seen: set[str] = set()
    for n in itertools.count():
        name = combos[n] if n < len(combos) else f"{combos[n % len(combos)]} {n // len(combos)}"
        plain = _PLAIN.sub(" ", name.casefold()).strip()
        if plain not in seen:
            seen.add(plain)
            names.append(name)
        if len(names) == count:
            break
    banks = (37040044, 10070000, 50010517, 20041133, 70150000)
    return [
        Partner(name, iban(rng.choice(banks), 1_000_000 + 7919 * i) if rng.random() < 0.9 else None)
        for i, name in enumerate(names)
    ]


def _untaxed(rng: random.Random, plan: int) -> int:
    """Cents: a shared list price, the customer's plan, a round sum, or anything."""
    kind = rng.random()
    if kind < 0.10:
        return rng.choice(SHARED_PRICES)
    if kind < 0.25:
        return plan
    if kind < 0.45:
        return rng.randint(2, 400) * 500
    return int(math.exp(rng.uniform(math.log(1_000), math.log(2_500_000))))


def _invoices(rng: random.Random, count: int, partners: int, rate: int) -> list[Invoice]:
    """``count`` invoices over a year, a few customers holding many (a heavy tail)."""
    weights = [min(rng.paretovariate(1.16), 200.0) for _ in range(partners)]
    plans = [rng.randint(20, 500) * 100 - rng.choice((0, 10)) for _ in range(partners)]
    owners = rng.choices(range(partners), weights=weights, k=count)
    found = []
    for partner in owners:
        date = FIRST_DAY + dt.timedelta(days=rng.randrange(INVOICE_DAYS))
        due = date + dt.timedelta(days=rng.choice((14, 30, 30, 45, 60)))
        found.append(Invoice(partner, date, due, _untaxed(rng, plans[partner])))
    found.sort(key=lambda i: (i.date, i.partner))
    per_year: Counter[int] = Counter()
    for invoice in found:
        amounts = compute([AmountLine(1000, invoice.untaxed, TaxRate(0, rate))])
        invoice.tax, invoice.total = amounts.tax, amounts.total
        per_year[invoice.date.year] += 1
        invoice.number = f"INV/{invoice.date.year}/{per_year[invoice.date.year]:05d}"
    return found


def _noisy(rng: random.Random, number: str, broken: bool) -> str:
    """``number`` as a customer types it; ``broken``: a digit of it missing as well."""
    prefix, year, seq = number.split("/")
    if broken:
        digits = [i for i, c in enumerate(seq) if c != "0" or seq[:i].strip("0")]
        cut = rng.choice(digits)
        seq = seq[:cut] + seq[cut + 1 :]
    forms = ("lower", "spaces", "dashes", "zeros", "letter O", "words")
    kinds = rng.sample(forms, rng.randint(1, 3))
    if "zeros" in kinds:
        seq = seq.lstrip("0") or "0"
    if "letter O" in kinds:
        year, seq = year.replace("0", "O", 1), seq.replace("0", "O")
    sep = " " if "spaces" in kinds else "-" if "dashes" in kinds else "/"
    text = f"{prefix.lower() if 'lower' in kinds else prefix}{sep}{year}{sep}{seq}"
    if "words" in kinds or (not broken and text == number):
        text = rng.choice(("Payment for invoice {} thank you", "Rg. {} Kd.Nr. 4711",
                           "our ref ABC order {} see attached", "{} final"))
        text = text.format(f"{prefix}{sep}{year}{sep}{seq}")
    return text


class _Pool:
    """Invoices not yet paid by a line, taken at random, or several of one customer."""

    def __init__(self, rng: random.Random, invoices: list[Invoice]) -> None:
        self.rng = rng
        self.order = list(range(len(invoices)))
        rng.shuffle(self.order)
        self.invoices = invoices
        self.free: dict[int, list[int]] = defaultdict(list)
        for index in self.order:
            self.free[invoices[index].partner].append(index)
        self.used = [False] * len(invoices)
        self.next = 0

    def _take(self, index: int) -> int:
        self.used[index] = True
        self.free[self.invoices[index].partner].remove(index)
        return index

    def one(self) -> int:
        """A free invoice, at random."""
        while self.used[self.order[self.next]]:
            self.next += 1
        return self._take(self.order[self.next])

    def group(self, size: int) -> list[int]:
        """``size`` free invoices of one customer."""
        for index in self.order[self.next :]:
            if not self.used[index] and len(self.free[self.invoices[index].partner]) >= size:
                others = self.rng.sample(self.free[self.invoices[index].partner], size)
                return [self._take(i) for i in others]
        raise SystemExit(f"no customer has {size} unpaid invoices left: give more --invoices")


def _counts(lines: int) -> dict[str, int]:
    counts = {category: lines * share // 100 for category, share in SHARES.items()}
    counts[PARTIAL] -= counts[PARTIAL] % 2
    counts[UNRELATED] = lines - sum(counts.values())
    return counts


def _sizes(several: int) -> list[int]:
    """Invoices per transfer of the ``several`` lines paying several at once."""
    sizes = [size for size, share in SEVERAL_SIZES for _ in range(several * share // 100)]
    return sizes + [2] * (several - len(sizes))


def needed(lines: int) -> int:
    """Invoices the mix of ``lines`` lines pays (each invoice is paid by at most one
    line, or by one pair of instalments)."""
    counts = _counts(lines)
    return (counts[EXACT] + counts[NOISY] + counts[PARTNER_AMOUNT] + sum(_sizes(counts[SEVERAL]))
            + counts[PARTIAL] // 2)


def build(invoices: int, partners: int, lines: int, seed: int, rate: int) -> World:
    """The world of the benchmark; ``rate``: the sales tax in ten-thousandths of a percent."""
    rng = random.Random(seed)
    if needed(lines) > invoices:
        raise SystemExit(f"{lines:,} lines pay {needed(lines):,} invoices: give --invoices "
                         f">= {needed(lines):,}")
    world = World(_partners(rng, partners), [], [])
    world.invoices = _invoices(rng, invoices, partners, rate)
    totals: dict[int, Counter[int]] = defaultdict(Counter)
    for invoice in world.invoices:
        totals[invoice.partner][invoice.total] += 1
    counts = _counts(lines)
    sizes = _sizes(counts[SEVERAL])
    jobs = [c for c in (EXACT, NOISY, PARTNER_AMOUNT) for _ in range(counts[c])]
    jobs += [SEVERAL] * counts[SEVERAL] + [PARTIAL] * (counts[PARTIAL] // 2)
    jobs += [UNRELATED] * counts[UNRELATED]
    rng.shuffle(jobs)
    rng.shuffle(sizes)
    pool = _Pool(rng, world.invoices)
    maker = _LineMaker(rng, world, totals)
    for job in jobs:
        if job == SEVERAL:
            maker.several(pool.group(sizes.pop()))
        elif job == PARTIAL:
            maker.instalments(pool.one())
        elif job == UNRELATED:
            maker.unrelated()
        elif job == NOISY:
            maker.noisy(pool.one())
        else:
            maker.single(job, pool.one())
    world.lines = sorted(maker.lines, key=lambda ln: (ln.date, ln.tx_id))
    return world


class _LineMaker:
    """Makes each kind of bank line, numbering them in the order made."""

    def __init__(self, rng: random.Random, world: World, totals: dict[int, Counter[int]]) -> None:
        self.rng, self.world, self.totals = rng, world, totals
        self.lines: list[BankLine] = []

    def _add(self, category: str, day: dt.date, amount: int, description: str,
             reference: str | None, who: tuple[str | None, str | None], pays: list[Invoice],
             informative: bool) -> None:
        self.lines.append(BankLine(
            f"TX{len(self.lines) + 1:07d}", category, day, amount, description, reference,
            who[0], who[1], frozenset(i.number for i in pays), informative,
        ))

    def _paid_on(self, invoices: list[Invoice]) -> dt.date:
        return max(i.date for i in invoices) + dt.timedelta(days=self.rng.randint(0, 75))

    def _who(self, partner: Partner, iban_share: float = 0.8) -> tuple[str | None, str | None]:
        """(counterparty name as the bank prints it, IBAN) of a customer's transfer."""
        name = partner.name.upper() if self.rng.random() < 0.3 else partner.name
        if partner.iban and self.rng.random() < iban_share:
            return (name if self.rng.random() < 0.7 else None), partner.iban
        return name, None

    def _unique(self, invoice: Invoice) -> bool:
        return self.totals[invoice.partner][invoice.total] == 1

    def single(self, category: str, index: int) -> None:
        invoice = self.world.invoices[index]
        partner = self.world.partners[invoice.partner]
        day = self._paid_on([invoice])
        if category == EXACT:
            who = self._who(partner)
            if self.rng.random() < 0.5:
                text, ref = "SEPA CREDIT TRANSFER", invoice.number
            else:
                form = self.rng.choice(("{n}", "Invoice {n}", "{p} {n}", "Payment {n} {p}"))
                text, ref = form.format(n=invoice.number, p=partner.name), None
            self._add(EXACT, day, invoice.total, text, ref, who, [invoice], True)
            return
        who = self._who(partner, 0.7)  # partner + amount: certain by IBAN or exact name
        text = self.rng.choice(("Transfer", "Payment", "SEPA credit transfer", "Monthly payment",
                                "Invoice payment"))
        self._add(PARTNER_AMOUNT, day, invoice.total, text, None, who, [invoice],
                  self._unique(invoice))

    def noisy(self, index: int) -> None:
        invoice = self.world.invoices[index]
        partner = self.world.partners[invoice.partner]
        broken = partner.iban is not None and self.rng.random() < BROKEN_SHARE
        text = _noisy(self.rng, invoice.number, broken)
        if broken:
            who: tuple[str | None, str | None] = (partner.name, partner.iban)
            self._add(BROKEN, self._paid_on([invoice]), invoice.total, text, None, who,
                      [invoice], self._unique(invoice))
            return
        reference = text if self.rng.random() < 0.2 else None
        self._add(NOISY, self._paid_on([invoice]), invoice.total,
                  "Transfer" if reference else text, reference, self._who(partner), [invoice],
                  True)

    def several(self, indexes: list[int]) -> None:
        invoices = [self.world.invoices[i] for i in indexes]
        numbers = [i.number for i in invoices]
        text = self.rng.choice((
            lambda: ", ".join(numbers[:-1]) + " and " + numbers[-1],
            lambda: "Invoices " + " ".join(numbers),
            lambda: " + ".join(numbers),
        ))()
        partner = self.world.partners[invoices[0].partner]
        self._add(SEVERAL, self._paid_on(invoices), sum(i.total for i in invoices), text, None,
                  self._who(partner), invoices, True)

    def instalments(self, index: int) -> None:
        """Two lines, each paying 20-45 % of one invoice and naming it."""
        invoice = self.world.invoices[index]
        partner, day = self.world.partners[invoice.partner], self._paid_on([invoice])
        for n in (1, 2):
            part = invoice.total * self.rng.randint(20, 45) // 100 or 1
            text = self.rng.choice(("Partial payment {}", "Instalment {k} of {}", "Anzahlung {}"))
            self._add(PARTIAL, day, part, text.format(invoice.number, k=n), None,
                      self._who(partner), [invoice], True)
            day += dt.timedelta(days=self.rng.randint(10, 40))

    def unrelated(self) -> None:
        rng = self.rng
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(INVOICE_DAYS + 75))
        money_in = rng.random() < 0.5
        if money_in and rng.random() < 1 / 3:  # the total of some invoice, from a stranger
            amount = rng.choice(self.world.invoices).total
        else:
            amount = int(math.exp(rng.uniform(math.log(100), math.log(500_000))))
        text = f"{rng.choice(_MERCHANTS)} {rng.randint(100, 99999)}"
        who = (rng.choice(_PEOPLE), iban(60050101, 7_000_000 + rng.randrange(10**6))
               if rng.random() < 0.3 else None)
        self._add(UNRELATED, day, amount if money_in else -amount, text, None, who, [], False)


# --- judging ------------------------------------------------------------------

RIGHT_AUTO, WRONG_AUTO = "reconciled right", "reconciled wrong"
RIGHT_FIRST, WRONG_FIRST, NOTHING = "suggested right", "suggested wrong", "nothing"
OUTCOMES = (RIGHT_AUTO, WRONG_AUTO, RIGHT_FIRST, WRONG_FIRST, NOTHING)


@dataclass(frozen=True)
class Outcome:
    kind: str  # one of OUTCOMES
    documents: frozenset[str]
    why: str  # how it was reconciled, or the first suggestion's reason


def _shown(line: BankLine) -> str:
    who = " ".join(x for x in (line.counterparty_name, line.counterparty_iban) if x)
    ref = f" ref {line.reference!r}" if line.reference else ""
    return f"{line.tx_id} {to_decimal(line.amount, 2)} {line.description!r}{ref} from {who or '-'}"


def show(outcomes: dict[str, Outcome], world: World) -> tuple[int, int, int]:
    """Print the outcomes by category, the wrong automatic matches and some misses;
    returns (wrong automatic matches, informative lines, of them right)."""
    heads = ("lines", "informative", *OUTCOMES)
    print(f"\n  {'category':<22}" + "".join(f"{h:>18}" for h in heads) + f"{'recall':>9}")
    wrong: list[BankLine] = []
    missed: dict[str, list[BankLine]] = {}
    total_informative = total_right = 0
    for category in (*CATEGORIES, "all"):
        lines = [ln for ln in world.lines if category in ("all", ln.category)]
        kinds = Counter(outcomes[ln.tx_id].kind for ln in lines)
        informative = [ln for ln in lines if ln.informative]
        right = sum(outcomes[ln.tx_id].kind in (RIGHT_AUTO, RIGHT_FIRST) for ln in informative)
        recall = f"{100 * right / len(informative):.1f} %" if informative else "-"
        cells = (len(lines), len(informative), *(kinds[k] for k in OUTCOMES))
        print(f"  {category:<22}" + "".join(f"{c:>18,}" for c in cells) + f"{recall:>9}")
        if category == "all":
            total_informative, total_right = len(informative), right
            continue
        wrong += [ln for ln in lines if outcomes[ln.tx_id].kind == WRONG_AUTO
                  and outcomes[ln.tx_id].why == "auto"]
        missed[category] = [ln for ln in informative
                            if outcomes[ln.tx_id].kind not in (RIGHT_AUTO, RIGHT_FIRST)]
    if wrong:
        print(f"\n  wrong automatic matches: {len(wrong)}, the first {min(len(wrong), 10)}:")
    for line in wrong[:10]:
        got = outcomes[line.tx_id]
        print(f"    {_shown(line)}\n      matched {sorted(got.documents)}, "
              f"pays {sorted(line.pays) or 'nothing'}")
    for category, lines in missed.items():
        if lines:
            print(f"  {category}: {len(lines):,} informative lines missed, e.g.")
        for line in lines[:3]:
            got = outcomes[line.tx_id]
            print(f"    {_shown(line)}\n      pays {sorted(line.pays)}; {got.kind} "
                  f"{sorted(got.documents)} {got.why}".rstrip())
    return len(wrong), total_informative, total_right


def raw(line: BankLine) -> str:
    """The provider's payload as canonical JSON text, as a provider keeps it."""
    return json.dumps({
        "id": line.tx_id, "posted": line.date.isoformat(), "amount": line.amount,
        "description": line.description, "payee": line.counterparty_name,
        "iban": line.counterparty_iban, "reference": line.reference,
    }, sort_keys=True)

