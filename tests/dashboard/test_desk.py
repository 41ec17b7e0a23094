"""The editors' desk: post an article, read its quotes highlighted, decide its proposals.

Pages are read as an editor reads them (BeautifulSoup over the rendered HTML); every
decision is a POST of the page's own forms, and the record is checked afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from tests.conftest import committed, make_negotiation, make_track
from tracker import reading, services
from tracker.dashboard.desk import Segment, Span, quote_segments
from tracker.deadlines import parse_deadline
from tracker.models import Article, DeadlineRevision, Milestone, Proposal, Source, Track
from tracker.services.proposals import item_facts_now

UTC = dt.UTC
MAY_26 = dt.date(2025, 5, 26)
NOV_20 = dt.date(2026, 11, 20)
# A Saturday in late November 2026: the May 2025 record is 18 months old, and stale.
SATURDAY = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)
SENTENCE = (
    "India and the United States now aim to conclude the comprehensive trade agreement by "
    "the end of 2026, officials said."
)
MOVED = f"New Delhi, Nov 20 (NationPress) {SENTENCE} Talks resume in Washington next week."
NEW_CHAPTER = "The two sides also hope to sign a digital trade chapter by June 2027."


@pytest.fixture(autouse=True)
def saturday() -> Any:
    with time_machine.travel(SATURDAY, tick=False):
        yield


@pytest.fixture
def editor(db: None) -> Any:
    user = get_user_model().objects.create_user("desk", "desk@example.org", "pw-desk-123")
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def editor_client(editor: Any) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def reader_client(db: None) -> Client:
    reader = get_user_model().objects.create_user("reader", "r@example.org", "pw-reader-123")
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def record(db: None) -> dict[str, Any]:
    """The India–US record as it stood in May 2025: one source, stale by SATURDAY."""
    with time_machine.travel(dt.datetime(2025, 5, 27, tzinfo=UTC), tick=False), committed():
        negotiation = make_negotiation()
        track = make_track(negotiation, "comprehensive", name="Comprehensive BTA")
        may = services.source_save(
            source=Source(
                title="Misri's US visit",
                publisher="NationPress",
                published_on=MAY_26,
                excerpt="a comprehensive agreement by autumn",
            )
        )
        bta = Milestone(
            track=track,
            title="Comprehensive BTA",
            slug="bta",
            aliases=["comprehensive trade agreement"],
        )
        bta.deadline = parse_deadline("autumn 2025", reference=MAY_26)
        services.milestone_save(milestone=bta, source=may, sources=[may])
    with committed():
        services.record_save(record=negotiation)  # the day turned: the refresh sees it stale
    return {
        "negotiation": negotiation,
        "track": track,
        "bta": Milestone.objects.get(pk=bta.pk),
    }


def page(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "lxml")


def words(element: Any) -> str:
    return " ".join(element.get_text(" ").split())


def field_errors(html: BeautifulSoup, field_id: str) -> list[str]:
    """The messages shown by a form field (in its `.field` box)."""
    shown = html.select_one(f"#{field_id}")
    assert shown is not None, f"the form lost its field {field_id}"
    box = shown.find_parent(class_="field")
    assert box is not None
    return [words(e) for e in box.select(".error")]


def proposals_marked(mark: Any) -> list[str]:
    return str(mark["data-proposals"]).split()


def an_article(text: str = MOVED) -> Article:
    with committed():
        return Article.objects.create(
            title="India, US aim to conclude trade pact by end-2026",
            publisher="NationPress",
            published_on=NOV_20,
            text=text,
        )


def a_proposal(article: Article, kind: str, quote: str, **fields: Any) -> Proposal:
    """A proposal as the reader states it, remembering what its milestone said then."""
    start = article.text.index(quote)
    made = Proposal(
        article=article,
        kind=kind,
        start=start,
        end=start + len(quote),
        confidence=0.9,
        reason=fields.pop("reason", "Says when, in the article's words."),
        **fields,
    )
    if made.milestone_id:
        made.item_facts = item_facts_now(milestone_ids=[made.milestone_id], target_ids=[])[
            ("milestone", made.milestone_id)
        ]
    with committed():
        made.save()
    return made


def a_move(record: dict[str, Any]) -> Proposal:
    return a_proposal(
        an_article(),
        "moves",
        SENTENCE,
        milestone=record["bta"],
        negotiation=record["negotiation"],
        deadline_text="end of 2026",
        deadline_earliest=dt.date(2026, 12, 1),
        deadline_latest=dt.date(2026, 12, 31),
        deadline_precision="month",
    )


def a_new_milestone(record: dict[str, Any]) -> Proposal:
    return a_proposal(
        an_article(f"{MOVED} {NEW_CHAPTER}"),
        "new_milestone",
        NEW_CHAPTER,
        negotiation=record["negotiation"],
        title="Digital trade chapter",
        deadline_text="June 2027",
        deadline_earliest=dt.date(2027, 6, 1),
        deadline_latest=dt.date(2027, 6, 30),
        deadline_precision="month",
    )


def counts() -> tuple[int, int, int, int]:
    return (
        Article.objects.count(),
        Proposal.objects.count(),
        Source.objects.count(),
        Milestone.objects.count(),
    )


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    with committed():
        return client.post(url, data)


# --- who may use it ------------------------------------------------------------------------


def desk_urls(move: Proposal) -> list[str]:
    return ["/desk/", f"/desk/articles/{move.article_id}/"]


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_decided(
    client: Client, record: Any
) -> None:
    move = a_move(record)
    for url in desk_urls(move):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"
    response = post(client, f"/desk/proposals/{move.pk}/accept/", {})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    move.refresh_from_db()
    assert move.state == "open"


def test_signed_in_readers_who_are_not_editors_are_refused(
    reader_client: Client, record: Any
) -> None:
    move = a_move(record)
    for url in desk_urls(move):
        assert reader_client.get(url).status_code == 403
    before = counts()
    assert post(reader_client, f"/desk/proposals/{move.pk}/accept/", {}).status_code == 403
    assert post(reader_client, f"/desk/proposals/{move.pk}/reject/", {}).status_code == 403
    response = post(
        reader_client, "/desk/", {"title": "T", "published_on": "2026-11-20", "text": MOVED}
    )
    assert response.status_code == 403
    assert counts() == before
    move.refresh_from_db()
    assert move.state == "open"


def test_deciding_is_a_post_only(editor_client: Client, record: Any) -> None:
    move = a_move(record)
    assert editor_client.get(f"/desk/proposals/{move.pk}/accept/").status_code == 405


# --- posting an article ----------------------------------------------------------------------


def test_an_editor_sees_the_desk_form_and_the_recent_articles_with_their_open_proposals(
    editor_client: Client, record: Any
) -> None:
    move = a_move(record)
    a_proposal(move.article, "confirms", "Talks resume", milestone=record["bta"], state="rejected")
    html = page(editor_client.get("/desk/"))
    assert html.h1 is not None and words(html.h1) == "Editors' desk"
    for label in ("Title", "Publisher", "Published on", "Or published on or before", "Text"):
        assert html.find("label", string=label) is not None
    recent = html.select('[data-testid="recent-article"]')
    assert [words(r) for r in recent] == [
        "India, US aim to conclude trade pact by end-2026 NationPress, 20 November 2026 "
        "1 open proposal of 2"
    ]
    assert recent[0].a is not None and recent[0].a["href"] == f"/desk/articles/{move.article_id}/"


def test_posting_an_article_makes_proposals_and_shows_each_quote_highlighted(
    editor_client: Client, record: Any
) -> None:
    response = post(
        editor_client,
        "/desk/",
        {
            "title": "India, US aim to conclude trade pact by end-2026",
            "publisher": "NationPress",
            "published_on": "2026-11-20",
            "language": "en",
            "negotiation": "india-us-bta",
            "text": MOVED,
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/articles/{article.pk}/"
    assert article.created_by is not None and article.created_by.username == "desk"
    proposals = list(article.proposals.order_by("start"))
    assert proposals, "the reader proposes nothing for a sentence that moves the deadline"
    move = next(p for p in proposals if p.milestone_id == record["bta"].pk)
    assert move.kind == "moves"
    assert move.deadline is not None and move.deadline.latest == dt.date(2026, 12, 31)

    followed = editor_client.get(response["Location"])
    html = page(followed)
    assert "is read: " in words(html.select_one(".messages"))
    marks = html.select(".article-text mark.quote")
    marked = {int(i) for m in marks for i in proposals_marked(m)}
    assert marked == {p.pk for p in proposals}
    # Each mark holds the words of its quote: the article's own, at its span.
    quote_of_move = "".join(m.get_text() for m in marks if str(move.pk) in proposals_marked(m))
    assert quote_of_move == MOVED[move.start : move.end]
    assert "end of 2026" in quote_of_move
    # The whole text is there, once, in order.
    text = html.select_one('[data-testid="article-text"]')
    assert text is not None and text.get_text() == MOVED
    assert html.select_one(f"#quote-{move.pk}") is not None
    card = html.select_one(f"#proposal-{move.pk}")
    assert card is not None
    said = words(card)
    assert "Moves the deadline Milestone “Comprehensive BTA”" in said
    assert "Deadline “" in said and "31 December 2026" in said
    assert f"confidence {round(move.confidence * 100)}%" in said
    assert move.reason in said
    assert card.select_one(f'a[href="#quote-{move.pk}"]') is not None
    assert [b["data-action"] for b in card.select("[data-action]")] == ["accept", "reject", "edit"]


def test_uploading_an_html_file_reads_its_text(editor_client: Client, record: Any) -> None:
    upload = SimpleUploadedFile(
        "story.html",
        f"<html><body><nav>Menu</nav><article><p>{MOVED}</p></article></body></html>".encode(),
        content_type="text/html",
    )
    response = post(
        editor_client,
        "/desk/",
        {"title": "Story", "published_on": "2026-11-20", "text": "", "file": upload},
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert SENTENCE in article.text
    assert article.proposals.filter(milestone=record["bta"]).exists()


NUL_TEXT = "India and the US\x00 aim to conclude by the end of 2026."


def pdf_without_text() -> bytes:
    """A scan, as far as the reader can tell: a page and no text on it."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fields", "upload", "field", "message"),
    [
        ({"text": ""}, None, "text", "paste the article"),
        ({"text": "   \n  "}, None, "text", "paste the article"),
        ({"text": "a" * (reading.MAX_ARTICLE_CHARS + 1)}, None, "text", "200,000"),
        ({"text": "By the end of 2026\x07 they aim to sign."}, None, "text", "control"),
        ({"text": NUL_TEXT}, None, "text", ""),
        (
            {},
            ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "text/plain"),
            "file",
            "binary",
        ),
        ({}, ("scan.pdf", pdf_without_text(), "application/pdf"), "file", "no text"),
        ({}, ("notes.docx", b"PK\x03\x04", "application/octet-stream"), "file", ".docx"),
        ({"text": MOVED, "published_on": ""}, None, "published_on", "published"),
        ({"text": MOVED, "title": ""}, None, "title", "required"),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "control-characters",
        "nul",
        "binary",
        "pdf-without-text",
        "other-file",
        "undated",
        "untitled",
    ],
)
def test_a_bad_article_is_shown_on_the_form_with_its_reason_and_nothing_is_written(
    editor_client: Client,
    record: Any,
    fields: dict[str, Any],
    upload: tuple[str, bytes, str] | None,
    field: str,
    message: str,
) -> None:
    before = counts()
    data = {"title": "Story", "published_on": "2026-11-20", "text": "", **fields}
    if upload is not None:
        data["file"] = SimpleUploadedFile(upload[0], upload[1], content_type=upload[2])
    response = post(editor_client, "/desk/", data)
    assert response.status_code == 400
    assert counts() == before
    html = page(response)
    errors = field_errors(html, f"id_{field}")
    assert errors, f"no error shown by the {field} field"
    assert message.lower() in " ".join(errors).lower()
    # What the editor typed is kept, so nothing has to be typed again.
    title = html.select_one("#id_title")
    assert title is not None and title.get("value", "") == data["title"]


# --- deciding ---------------------------------------------------------------------------------


def test_accepting_a_move_on_the_desk_moves_the_deadline_with_a_revision_dated_by_the_article(
    editor_client: Client, editor: Any, record: Any
) -> None:
    move = a_move(record)
    response = post(editor_client, f"/desk/proposals/{move.pk}/accept/", {})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/articles/{move.article_id}/#proposal-{move.pk}"
    bta = Milestone.objects.get(pk=record["bta"].pk)
    assert (bta.deadline_text, bta.deadline_latest) == ("end of 2026", dt.date(2026, 12, 31))
    assert bta.last_confirmed_on == NOV_20 and not bta.stale
    revision = DeadlineRevision.objects.filter(milestone=bta).order_by("changed_at", "id").last()
    assert revision is not None
    assert (revision.previous_text, revision.new_text) == ("autumn 2025", "end of 2026")
    assert revision.source is not None and revision.source.excerpt == SENTENCE
    assert revision.source.published_on == NOV_20
    assert revision.changed_by == editor

    html = page(editor_client.get(response["Location"]))
    assert words(html.select_one(".messages")) == "Accepted: Milestone “Comprehensive BTA”."
    card = html.select_one(f"#proposal-{move.pk}")
    assert card is not None
    assert words(card.select_one('[data-testid="proposal-state"]')) == (
        "Accepted by desk on 21 November 2026."
    )
    assert card.select("form") == []  # decided: no buttons left
    assert html.select(".article-text mark.quote") == []  # no open quote left to mark


def test_accepting_twice_says_it_was_already_decided_and_changes_nothing(
    editor_client: Client, record: Any
) -> None:
    move = a_move(record)
    first = post(editor_client, f"/desk/proposals/{move.pk}/accept/", {})
    editor_client.get(first["Location"])  # the first answer's message is read there
    revisions = DeadlineRevision.objects.count()
    response = post(editor_client, f"/desk/proposals/{move.pk}/accept/", {})
    assert response.status_code == 302
    html = page(editor_client.get(response["Location"]))
    assert words(html.select_one(".messages")) == (
        "Already decided: This proposal was accepted already."
    )
    assert DeadlineRevision.objects.count() == revisions


def test_rejecting_keeps_the_proposal_with_its_reason_and_leaves_the_milestone_alone(
    editor_client: Client, editor: Any, record: Any
) -> None:
    move = a_move(record)
    response = post(
        editor_client,
        f"/desk/proposals/{move.pk}/reject/",
        {f"p{move.pk}-reason": "An unnamed official, not the ministry"},
    )
    assert response.status_code == 302
    move.refresh_from_db()
    assert (move.state, move.rejection_reason, move.decided_by) == (
        "rejected",
        "An unnamed official, not the ministry",
        editor,
    )
    bta = Milestone.objects.get(pk=record["bta"].pk)
    assert bta.deadline_text == "autumn 2025" and bta.stale
    html = page(editor_client.get(response["Location"]))
    assert words(html.select_one(f"#proposal-{move.pk} [data-testid=proposal-state]")) == (
        "Rejected by desk on 21 November 2026: An unnamed official, not the ministry."
    )


def test_a_new_milestone_needs_its_track_on_the_edit_form_then_is_created_from_the_edits(
    editor_client: Client, record: Any
) -> None:
    new = a_new_milestone(record)
    before = counts()
    response = post(editor_client, f"/desk/proposals/{new.pk}/accept/", {})
    assert response.status_code == 400
    assert counts() == before
    html = page(response)
    edit = html.select_one(f"#proposal-{new.pk} details.proposal-edit")
    assert edit is not None and edit.has_attr("open")
    assert field_errors(html, f"id_p{new.pk}-track") == [
        "Choose the track the new milestone belongs to."
    ]
    # The track select offers the negotiation's tracks.
    options = [words(o) for o in edit.select(f"#id_p{new.pk}-track option")]
    assert options == ["Choose a track", "Comprehensive BTA"]

    track = Track.objects.get(slug="comprehensive")
    response = post(
        editor_client,
        f"/desk/proposals/{new.pk}/accept/",
        {
            f"p{new.pk}-track": str(track.pk),
            f"p{new.pk}-title": "Digital trade chapter signed",
            f"p{new.pk}-deadline": "end of July 2027",
        },
    )
    assert response.status_code == 302
    created = Milestone.objects.get(title="Digital trade chapter signed")
    assert created.track == track
    assert created.deadline_latest == dt.date(2027, 7, 31)
    assert created.sources.get().excerpt == NEW_CHAPTER
    new.refresh_from_db()
    assert (new.state, new.milestone) == ("accepted", created)


def test_an_edited_deadline_that_cannot_be_read_is_shown_on_the_edit_form(
    editor_client: Client, record: Any
) -> None:
    move = a_move(record)
    response = post(
        editor_client, f"/desk/proposals/{move.pk}/accept/", {f"p{move.pk}-deadline": "soonish"}
    )
    assert response.status_code == 400
    html = page(response)
    assert field_errors(html, f"id_p{move.pk}-deadline")
    move.refresh_from_db()
    assert move.state == "open"
    assert Milestone.objects.get(pk=record["bta"].pk).deadline_text == "autumn 2025"


def test_a_proposal_whose_milestone_changed_since_is_shown_superseded_without_buttons(
    editor_client: Client, record: Any
) -> None:
    move = a_move(record)
    with committed():
        services.milestone_set_deadline(
            milestone=record["bta"],
            deadline=parse_deadline("March 2027", reference=NOV_20),
            reason="Edited by hand",
        )
    html = page(editor_client.get(f"/desk/articles/{move.article_id}/"))
    card = html.select_one(f"#proposal-{move.pk}")
    assert card is not None and "state-superseded" in card["class"]
    assert words(card.select_one("[data-testid=proposal-state]")).startswith("Superseded on ")
    assert card.select("form") == []
    response = post(editor_client, f"/desk/proposals/{move.pk}/accept/", {})
    html = page(editor_client.get(response["Location"]))
    assert words(html.select_one(".messages")).startswith(
        "Already decided: This proposal was superseded"
    )
    assert Milestone.objects.get(pk=record["bta"].pk).deadline_text == "March 2027"


# --- from "Needs review" ----------------------------------------------------------------------


def test_needs_review_offers_editors_to_confirm_each_stale_item_with_an_article(
    editor_client: Client, reader_client: Client, record: Any
) -> None:
    html = page(editor_client.get("/review/"))
    links = {words(a): a["href"] for a in html.select("a") if "Confirm with an article" in words(a)}
    assert links[f"Confirm with an article : {record['bta'].title}"] == (
        f"/desk/?milestone={record['bta'].pk}"
    )
    assert f"Confirm with an article : {record['negotiation'].name}" in links
    # Readers see the list, not the desk's links.
    assert "Confirm with an article" not in words(page(reader_client.get("/review/")))

    desk = page(editor_client.get(f"/desk/?milestone={record['bta'].pk}"))
    assert words(desk.select_one('[data-testid="mention"]')).startswith(
        "Confirming the milestone “Comprehensive BTA” of India Us Bta"
    )
    chosen = desk.select_one("#id_negotiation option[selected]")
    assert chosen is not None and chosen["value"] == "india-us-bta"


# --- the text cut at the quotes (pure) ------------------------------------------------------


def test_overlapping_quotes_mark_each_character_once_and_each_keeps_its_anchor() -> None:
    text = "Sign by May 2027, ratify by 2028."
    segments = quote_segments(
        text, [Span(1, 0, 17, True), Span(2, 8, 33, True), Span(3, 18, 33, False)]
    )
    assert "".join(s.text for s in segments) == text
    assert segments == [
        Segment("Sign by ", (1,), (1,)),
        Segment("May 2027,", (1, 2), (2,)),
        Segment(" ", (2,), ()),
        Segment("ratify by 2028.", (2,), (3,)),
    ]


def test_a_text_without_quotes_is_one_unmarked_segment() -> None:
    assert quote_segments("No dates here.", []) == [Segment("No dates here.", (), ())]


def test_a_desk_form_opened_before_another_edit_is_refused_with_what_changed_keeping_the_input(
    editor_client: Client, record: Any
) -> None:
    move = a_move(record)
    html = page(editor_client.get(f"/desk/articles/{move.article_id}/"))
    versions = {i["value"] for i in html.select(f'input[name="p{move.pk}-version"]')}
    assert versions == {"1"}  # on both the quick accept and the edit form
    other = get_user_model().objects.create_user("meera", first_name="Meera", last_name="Iyer")
    with committed():
        services.record_update(
            model=Milestone,
            pk=record["bta"].pk,
            changes={"title": "Comprehensive trade agreement"},
            by=other,
        )

    response = post(
        editor_client,
        f"/desk/proposals/{move.pk}/accept/",
        {f"p{move.pk}-version": "1", f"p{move.pk}-deadline": "by December 2026"},
    )

    assert response.status_code == 400
    html = page(response)
    card = html.select_one(f"#proposal-{move.pk}")
    assert card is not None
    assert words(card.select_one(".edit-form .errors")) == (
        "Someone saved this milestone after you opened it, so nothing was saved. Changed since: "
        "title: “Comprehensive BTA” → “Comprehensive trade agreement” (Meera Iyer, 21 Nov 2026 "
        "12:00 UTC). Your input is kept below: check it and save again to write it over theirs."
    )
    edited = card.select_one(f"#id_p{move.pk}-deadline")
    assert edited is not None and edited["value"] == "by December 2026"
    move.refresh_from_db()
    assert move.state == "open"
    assert Milestone.objects.get(pk=record["bta"].pk).deadline_text == "autumn 2025"
    # Having looked, the editor accepts again from the form shown: it carries the new version.
    again = card.select_one(f'.edit-form input[name="p{move.pk}-version"]')
    assert again is not None and again["value"] == "2"
    accepted = post(
        editor_client,
        f"/desk/proposals/{move.pk}/accept/",
        {f"p{move.pk}-version": "2", f"p{move.pk}-deadline": "by December 2026"},
    )
    assert accepted.status_code == 302
    bta = Milestone.objects.get(pk=record["bta"].pk)
    assert (bta.title, bta.deadline_text) == ("Comprehensive trade agreement", "by December 2026")


def test_editors_find_proposals_by_their_article_their_milestone_or_their_own_words(
    record: dict[str, Any],
) -> None:
    move, new = a_move(record), a_new_milestone(record)
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("chief", "chief@example.org", "pw-chief-123")
    )

    def found(query: str) -> list[int]:
        listing = admin.get("/admin/tracker/proposal/", {"q": query})
        assert listing.status_code == 200
        return sorted(int(str(box["value"])) for box in page(listing).select("input.action-select"))

    assert found("Washington") == sorted([move.pk, new.pk])  # both articles' text
    assert found("digital chapter") == [new.pk]  # its own title
    assert found("Comprehensive BTA") == [move.pk]  # its milestone's title
    assert found("Ouagadougou") == []
