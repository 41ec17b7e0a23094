"""The deadline parser reads French as well as English: each French form gives the same
window as the English form it says (tracker.deadlines.FRENCH_FORMS)."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.deadlines import FRENCH_FORMS, DeadlineError, parse_deadline

SAID_ON = date(2026, 12, 7)

SAME_AS_ENGLISH = [
    ("d'ici fin 2027", "by the end of 2027"),
    ("d’ici fin 2027", "end of 2027"),
    ("fin 2027", "end of 2027"),
    ("T1 2027", "Q1 2027"),
    ("t2-2027", "Q2 2027"),
    ("premier trimestre 2027", "first quarter of 2027"),
    ("fin du T1 2027", "end of Q1 2027"),
    ("fin du premier trimestre 2027", "end of Q1 2027"),
    ("au premier semestre 2027", "first half of 2027"),
    ("S2 2027", "H2 2027"),
    ("second semestre 2027", "second half of 2027"),
    ("8 juillet 2025", "July 8, 2025"),
    ("le 1er juillet 2025", "July 1, 2025"),
    ("au plus tard le 31 mars 2027", "no later than 31 March 2027"),
    ("en juillet 2027", "in July 2027"),
    ("fin mars 2027", "end of March 2027"),
    ("mi-janvier 2027", "mid-January 2027"),
    ("début 2026", "early 2026"),
    ("mi-2026", "mid-2026"),
    ("à l'automne 2027", "autumn 2027"),
    ("hiver 2026", "winter 2026"),
    ("d'ici la fin de l'année", "by the end of the year"),
    ("exercice 2026-27", "FY2026-27"),
    ("d'ici 90 jours", "within 90 days"),
    ("dans 3 mois", "in 3 months"),
    ("la semaine prochaine", "next week"),
    ("le mois prochain", "next month"),
    ("l'année prochaine", "next year"),
    ("aujourd'hui", "today"),
    ("demain", "tomorrow"),
]


@pytest.mark.parametrize(("french", "english"), SAME_AS_ENGLISH)
def test_a_french_deadline_reads_as_the_english_form_it_says(french: str, english: str) -> None:
    read, expected = parse_deadline(french, SAID_ON), parse_deadline(english, SAID_ON)
    assert (read.earliest, read.latest, read.precision) == (
        expected.earliest,
        expected.latest,
        expected.precision,
    )
    assert read.said_on == expected.said_on  # relative in French when relative in English
    assert read.text == french


@pytest.mark.parametrize("form", FRENCH_FORMS)
def test_every_listed_french_form_is_read(form: str) -> None:
    assert parse_deadline(form, SAID_ON).earliest >= date(2025, 1, 1)


def test_the_french_quarter_and_half_read_their_months() -> None:
    quarter = parse_deadline("T1 2027", SAID_ON)
    assert (quarter.earliest, quarter.latest) == (date(2027, 1, 1), date(2027, 3, 31))
    half = parse_deadline("au premier semestre 2027", SAID_ON)
    assert (half.earliest, half.latest) == (date(2027, 1, 1), date(2027, 6, 30))
    end = parse_deadline("d'ici fin 2027", SAID_ON)
    assert (end.earliest, end.latest) == (date(2027, 12, 1), date(2027, 12, 31))


@pytest.mark.parametrize("text", ["T5 2027", "fin de rien", "trentième trimestre 2027", "S3 2027"])
def test_french_that_names_no_deadline_is_refused_as_english_is(text: str) -> None:
    with pytest.raises(DeadlineError):
        parse_deadline(text, SAID_ON)


def test_english_is_read_as_before_where_a_word_is_also_french() -> None:
    # "mars" and "mai" are French months, but "March" and "May" stay English.
    may = parse_deadline("May 2027", SAID_ON)
    assert (may.earliest, may.latest) == (date(2027, 5, 1), date(2027, 5, 31))
