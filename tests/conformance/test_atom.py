"""The Atom change feeds, read by feedparser and validated by jing against RFC 4287's
RELAX NG schema (schemas/atom.rnc), with the two rules the schema leaves to Schematron
checked here: an author, and summaries that are plain text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import feedparser
import pytest
from django.test import Client

from tests.conformance.tools import HERE, program
from tracker import services
from tracker.models import Milestone

SCHEMA = HERE / "schemas" / "atom.rnc"
FEEDS = ("/changes.atom", "/negotiations/india-us-bta/changes.atom")


def problems(feed: bytes, folder: Path) -> list[str]:
    """What is wrong with an Atom document, by jing, feedparser and RFC 4287 §4.1.1."""
    path = folder / "feed.atom"
    path.write_bytes(feed)
    jing = program("jing", "jing")
    found = []
    checked = subprocess.run(
        [jing, "-c", str(SCHEMA), str(path)], capture_output=True, text=True, timeout=120
    )
    if checked.returncode != 0:
        found.append(f"jing: {checked.stdout.strip()}")
    parsed = feedparser.parse(feed)
    if parsed.bozo:
        found.append(f"feedparser: {parsed.bozo_exception}")
    if not parsed.feed.get("author") and not all(e.get("author") for e in parsed.entries):
        found.append("no atom:author on the feed, nor on every entry (RFC 4287 §4.1.1)")
    for entry in parsed.entries:
        summary = entry.get("summary_detail")
        if summary is not None and summary.type != "text/plain":
            found.append(f"{entry.id}: summary is {summary.type}, not plain text")
    if not parsed.entries:
        found.append("no entries to check")
    return found


@pytest.fixture
def feeds(record: None) -> dict[str, bytes]:
    # One completion and one deadline move, so the feeds have entries of every kind.
    milestone = Milestone.objects.filter(state="planned").order_by("pk").first()
    assert milestone is not None
    services.milestone_complete(milestone=milestone)
    client = Client()
    answers = {url: client.get(url) for url in FEEDS}
    assert all(answer.status_code == 200 for answer in answers.values())
    return {url: answer.content for url, answer in answers.items()}


def test_every_change_feed_is_valid_atom_with_an_author_and_plain_text_summaries(feeds, tmp_path):
    found = {url: problems(feed, tmp_path) for url, feed in feeds.items()}
    assert found == {url: [] for url in FEEDS}


def test_an_html_summary_is_caught(feeds, tmp_path):
    feed = feeds["/changes.atom"].replace(b'<summary type="text">', b'<summary type="html">')
    assert any("summary is text/html" in problem for problem in problems(feed, tmp_path))


def test_a_feed_without_an_author_is_caught(feeds, tmp_path):
    feed = feeds["/changes.atom"]
    start, end = feed.index(b"<author>"), feed.index(b"</author>") + len(b"</author>")
    assert any(
        "atom:author" in problem for problem in problems(feed[:start] + feed[end:], tmp_path)
    )


def test_a_feed_that_breaks_the_schema_is_caught(feeds, tmp_path):
    feed = feeds["/changes.atom"].replace(b"<updated>", b"<updated>yesterday ", 1)
    assert any(problem.startswith("jing:") for problem in problems(feed, tmp_path))
