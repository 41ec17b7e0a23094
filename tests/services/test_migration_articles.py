"""Migration 0016 turns today's sources into quotes of articles, finding every excerpt it can."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.migrations import migrate, migrated_back_to

BEFORE = ("tracker", "0015_milestone_keyset_order")
AFTER = ("tracker", "0016_sources_into_articles")
TEXTS = Path(__file__).resolve().parents[2] / "docs" / "sources"
NATIONPRESS = TEXTS / "001_954af5067e66b964.txt"
TITLE = "Will Foreign Secretary Vikram Misri's US Visit Strengthen Ties?"
EXACT = "Vikram Misri is set to embark on a three-day visit to the United States"


@pytest.fixture
def before_0016(transactional_db: None) -> Iterator[Any]:
    with migrated_back_to(BEFORE) as apps:
        yield apps


def a_source(apps: Any, slug: str, excerpt: str, **fields: Any) -> Any:
    fields.setdefault("title", TITLE)
    fields.setdefault("publisher", "NationPress")
    fields.setdefault("published_on", dt.date(2025, 5, 26))
    return apps.get_model("tracker", "Source").objects.create(slug=slug, excerpt=excerpt, **fields)


@pytest.mark.slow  # migrates the database back and forth
@pytest.mark.django_db(transaction=True)
def test_sources_of_one_article_become_its_quotes_found_as_spans_of_its_text(
    before_0016: Any, capsys: Any
) -> None:
    text = NATIONPRESS.read_text(encoding="utf-8")
    assert EXACT in text
    a_source(before_0016, "three-day-visit", EXACT)
    # Typed with straight quotes and doubled spaces: the same words, read loosely.
    loose = 'essentially entails  "no tariffs" on a variety'

    a_source(before_0016, "no-tariffs", loose)
    a_source(before_0016, "not-in-the-text", "The pact was signed in Geneva on 1 April 2031.")
    a_source(
        before_0016,
        "undated-other",
        "Vikram Misri's U.S. Visit Reinforces",
        title="Vikram Misri's U.S. Visit Reinforces India-U.S. Strategic Partnership",
        publisher="",
        published_on=None,
    )
    new = migrate(AFTER)
    Article = new.get_model("tracker", "Article")
    Source = new.get_model("tracker", "Source")
    nationpress = Article.objects.get(title=TITLE)
    assert nationpress.text == text
    assert (nationpress.publisher, nationpress.published_on) == (
        "NationPress",
        dt.date(2025, 5, 26),
    )
    exact = Source.objects.get(slug="three-day-visit")
    assert exact.article == nationpress
    assert text[exact.start : exact.end] == EXACT
    loosely = Source.objects.get(slug="no-tariffs")
    assert (
        text[loosely.start : loosely.end]
        == "essentially entails \u201cno tariffs\u201d on a variety"
    )
    assert loosely.excerpt == loose  # the quote keeps its words; the span points at the article's
    # One article per distinct published text.
    assert Article.objects.count() == 2
    other = Source.objects.get(slug="undated-other")
    assert other.article.title.startswith("Vikram Misri's U.S. Visit Reinforces")
    assert other.start is not None
    # What cannot be found is kept, without a span, and reported.
    lost = Source.objects.get(slug="not-in-the-text")
    assert (lost.article, lost.start, lost.end) == (nationpress, None, None)
    assert lost.excerpt == "The pact was signed in Geneva on 1 April 2031."
    printed = capsys.readouterr().out
    assert "'not-in-the-text': excerpt not found in 001_954af5067e66b964.txt" in printed
    assert "three-day-visit" not in printed
    editors = new.get_model("auth", "Group").objects.get(name="editors")
    granted = set(editors.permissions.values_list("codename", flat=True))
    assert {"add_article", "change_proposal", "view_proposal"} <= granted


@pytest.mark.slow  # migrates the database back and forth
@pytest.mark.django_db(transaction=True)
def test_going_back_keeps_every_source_as_it_was(before_0016: Any) -> None:
    a_source(before_0016, "three-day-visit", EXACT)
    migrate(AFTER)
    old = migrate(BEFORE)
    source = old.get_model("tracker", "Source").objects.get()
    assert (source.slug, source.title, source.excerpt) == ("three-day-visit", TITLE, EXACT)
