"""Figures in a sentence: an amount of money with its unit, and the period it is for.

"$190 billion" is 190 in "USD billion"; "the current $190 billion" is for the year up to
the article's date; "$500 billion by 2030" is a value to reach by then; "$191 billion in
2024" is for calendar 2024.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta

from tracker.deadlines import Deadline
from tracker.reading.phrases import DEADLINE_LEADS, Phrase

_NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_SCALE = r"trillion|billion|million|bn|mn|tn|crore|lakh crore"
_CURRENCY_BEFORE = r"US\$|USD ?|\$|€|EUR ?|£|GBP ?|₹ ?|Rs\.? ?|INR ?"
_CURRENCY_AFTER = r"(?:US )?dollars|USD|euros?|EUR|rupees|INR|pounds|GBP"
_MONEY = re.compile(
    rf"(?P<cur>{_CURRENCY_BEFORE})(?P<num>{_NUMBER})\s?(?P<scale>{_SCALE})?(?![A-Za-z0-9])"
    rf"|(?<![A-Za-z0-9$])(?P<num2>{_NUMBER})\s?(?P<scale2>{_SCALE})\s(?P<cur2>{_CURRENCY_AFTER})\b"
)
_CURRENCIES = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "us dollars": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP",
    "₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "rupees": "INR",
}  # fmt: skip
_SCALES = {"bn": "billion", "mn": "million", "tn": "trillion"}
# "the current $190 billion", "now $190 billion": a value for the year up to the article.
_CURRENT = re.compile(r"\b(?:current(?:ly)?|now|at present|presently|today)\b[^$€£₹0-9]{0,25}$")
_PERIOD_LEADS = frozenset({"in", "for", "during", "of", "through", "last"})


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    value: Decimal
    unit: str  # "USD billion"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    target: Deadline | None  # set when the figure is a value to reach ("by 2030")
    words: str  # what said the period ("current", "in 2024", "by 2030")


def find_figures(text: str, start: int, end: int) -> list[Figure]:
    found = []
    for match in _MONEY.finditer(text, start, end):
        number = match["num"] or match["num2"]
        currency = (match["cur"] or match["cur2"] or "").strip().lower()
        scale = (match["scale"] or match["scale2"] or "").lower()
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation:
            continue
        code = _CURRENCIES.get(currency, currency.upper())
        unit = f"{code} {_SCALES.get(scale, scale)}".strip()
        found.append(Figure(match.start(), match.end(), match.group(), value, unit))
    return found


def period_of(
    text: str,
    figure: Figure,
    phrases: list[tuple[Phrase, Deadline]],
    *,
    said_on: date,
    floor: int,
) -> Period | None:
    """The period a figure is for: the date phrase just after it, "current" just before it,
    else the one period phrase of its clause (text[floor:] up to the figure's end)."""
    following = [
        (phrase, deadline)
        for phrase, deadline in phrases
        if 0 <= phrase.start - figure.end <= 12 and phrase.lead
    ]
    if following:
        phrase, deadline = following[0]
        if phrase.lead in DEADLINE_LEADS:
            return Period(
                deadline.earliest, deadline.latest, deadline, f"{phrase.lead} {phrase.text}"
            )
        if phrase.lead in _PERIOD_LEADS:
            return Period(deadline.earliest, deadline.latest, None, f"{phrase.lead} {phrase.text}")
    if _CURRENT.search(text[max(floor, figure.start - 40) : figure.start]):
        # The year up to the article: the figure is a yearly flow measured "now".
        return Period(said_on - relativedelta(years=1, days=-1), said_on, None, "current")
    periods = [
        (phrase, deadline)
        for phrase, deadline in phrases
        if phrase.lead in _PERIOD_LEADS and deadline.said_on is None
    ]
    if len(periods) == 1:
        phrase, deadline = periods[0]
        return Period(deadline.earliest, deadline.latest, None, f"{phrase.lead} {phrase.text}")
    return None
