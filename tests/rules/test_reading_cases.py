"""The reader on wording of our own, written as officials and reporters write, and on files.

Each case names the kind or the trap it covers. Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from tracker.deadlines import parse_deadline
from tracker.reading import (
    MAX_ARTICLE_CHARS,
    ArticleError,
    ArticleFacts,
    Candidate,
    ProposedChange,
    check_text,
    extract_text,
    propose,
)

NOV_22 = dt.date(2026, 11, 22)


def interim(**fields: object) -> Candidate:
    values: dict[str, object] = {
        "kind": "milestone",
        "id": 7,
        "negotiation": "india-us-bta",
        "title": "Interim trade deal concluded",
        "aliases": ("interim agreement", "first tranche"),
        "deadline": parse_deadline("by the end of 2026", NOV_22),
        "last_confirmed_on": dt.date(2026, 9, 1),
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


BILATERAL_TRADE = Candidate(
    kind="target",
    id=40,
    negotiation="india-us-bta",
    title="Bilateral trade",
    deadline=parse_deadline("2030"),
    unit="USD billion",
)


def read(
    text: str, *candidates: Candidate, said_on: dt.date = NOV_22
) -> list[tuple[str, ProposedChange]]:
    return [(text[p.start : p.end], p) for p in propose(ArticleFacts(text, said_on), candidates)]


def test_restating_the_milestones_deadline_confirms_it() -> None:
    text = "Officials reiterated that the interim agreement will be concluded by the end of 2026."
    [(quote, proposal)] = read(text, interim())
    assert proposal.kind == "confirms"
    assert proposal.candidate == interim()
    assert quote == text
    assert proposal.reason == (
        'Says "by the end of 2026" for "Interim trade deal concluded", '
        'which is due "by the end of 2026"'
    )


def test_a_later_article_giving_another_date_moves_the_milestone() -> None:
    text = (
        "The commerce ministry said on Friday that the first tranche "
        "is now expected by mid-January 2027."
    )
    [(quote, proposal)] = read(text, interim())
    assert proposal.kind == "moves"
    assert proposal.candidate is not None and proposal.candidate.id == 7
    assert proposal.deadline is not None
    assert proposal.deadline.earliest.year == 2027 and proposal.deadline.latest <= dt.date(
        2027, 1, 31
    )
    assert "mid-January 2027" in quote
    assert "which is due" in proposal.reason and '"by the end of 2026"' in proposal.reason


def test_an_article_older_than_the_last_confirmation_differs_instead_of_moving() -> None:
    text = "Negotiators aim to sign the interim agreement in Q1 2027."
    [(_, proposal)] = read(text, interim(last_confirmed_on=dt.date(2026, 12, 10)))
    assert proposal.kind == "differs"
    assert proposal.deadline is not None and proposal.deadline.text == "Q1 2027"
    assert "confirmed 10 Dec 2026" in proposal.reason


def test_a_milestone_that_was_signed_on_a_day_is_completed_on_that_day() -> None:
    text = "The interim agreement was signed on 13 February in New Delhi by both trade ministers."
    [(quote, proposal)] = read(text, interim(), said_on=dt.date(2027, 3, 2))
    assert proposal.kind == "completes"
    assert proposal.completed_on == dt.date(2027, 2, 13)
    assert quote == text
    assert "happened" in proposal.reason


def test_a_dated_commitment_matching_no_milestone_proposes_a_new_one_with_a_title() -> None:
    text = "Both sides will hold the first round of talks on digital trade in early 2027."
    [(_quote, proposal)] = read(text, interim())
    assert proposal.kind == "new_milestone"
    assert proposal.candidate is None
    assert proposal.deadline is not None and proposal.deadline.text == "early 2027"
    assert proposal.title == "Both sides will hold the first round of talks on digital trade"
    assert "names no milestone" in proposal.reason


def test_a_value_for_a_year_is_a_figure_for_the_target() -> None:
    text = "Bilateral trade in goods and services reached $191 billion in 2024, official data show."
    [(quote, proposal)] = read(text, interim(), BILATERAL_TRADE)
    assert proposal.kind == "figure"
    assert proposal.candidate == BILATERAL_TRADE
    assert (proposal.value, proposal.unit) == (Decimal(191), "USD billion")
    assert (proposal.period_start, proposal.period_end) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
    )
    assert "$191 billion" in quote


def test_a_deadline_counted_from_an_event_is_never_a_date() -> None:
    text = "Tariffs on apples will be cut within 90 days of the conclusion of the pact."
    assert read(text, interim()) == []


def test_within_90_days_alone_counts_from_the_articles_date() -> None:
    text = "The ministry said the interim agreement must be concluded within 90 days."
    [(_, proposal)] = read(text, interim())
    assert proposal.deadline is not None
    assert proposal.deadline.latest == NOV_22 + dt.timedelta(days=90)
    assert proposal.deadline.said_on == NOV_22


def test_past_dates_told_as_history_are_never_deadlines() -> None:
    text = (
        "Talks began in 2019 and stalled in March 2020. "
        "In 2021, officials met twice without progress on market access."
    )
    assert [p.kind for _, p in read(text, interim())] == []


def test_a_date_told_as_done_with_no_milestone_is_a_step_already_done_not_a_deadline() -> None:
    text = "The framework was launched on 13 February 2025 during the Prime Minister's visit."
    [(_, proposal)] = read(text, said_on=dt.date(2025, 5, 26))
    assert proposal.kind == "new_milestone"
    assert proposal.completed_on == dt.date(2025, 2, 13)


def test_two_dates_in_one_sentence_give_two_proposals_each_quoting_its_clause() -> None:
    comprehensive = Candidate(
        kind="milestone",
        id=8,
        negotiation="india-us-bta",
        title="Comprehensive agreement concluded",
        deadline=parse_deadline("autumn 2027"),
    )
    text = (
        "The interim agreement was signed on 13 February, while the comprehensive agreement "
        "is expected by end of Q3 2027."
    )
    found = read(text, interim(), comprehensive, said_on=dt.date(2027, 3, 2))
    assert [(p.kind, p.candidate.id if p.candidate else None) for _, p in found] == [
        ("completes", 7),
        ("moves", 8),
    ]
    assert [quote for quote, _ in found] == [
        "The interim agreement was signed on 13 February",
        "while the comprehensive agreement is expected by end of Q3 2027.",
    ]
    assert found[1][1].deadline is not None and found[1][1].deadline.latest == dt.date(2027, 9, 30)


def test_first_tranche_finds_the_interim_agreement_through_its_aliases() -> None:
    text = "Goyal said the first tranche should be finalised by March 2027."
    [(_, proposal)] = read(text, interim())
    assert proposal.candidate is not None and proposal.candidate.id == 7
    assert proposal.kind == "moves"
    assert read(text, interim(aliases=()))[0][1].kind == "new_milestone"


def test_a_dateline_is_not_a_deadline() -> None:
    text = "New Delhi, May 26 (NationPress) The minister arrived in Washington."
    assert read(text, said_on=dt.date(2025, 5, 26)) == []


# --- text and files -------------------------------------------------------------------------


def test_check_text_normalises_line_ends() -> None:
    assert check_text("One.\r\nTwo.\rThree.") == "One.\nTwo.\nThree."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The article is empty."),
        ("  \n\t ", "The article is empty."),
        ("x" * (MAX_ARTICLE_CHARS + 1), "at most 200,000 are read"),
        ("Signed on\x00 13 February.", "control character (U+0000)"),
    ],
)
def test_check_text_refuses_empty_overlong_and_control_characters(text: str, message: str) -> None:
    with pytest.raises(ArticleError, match=re.escape(message)):
        check_text(text)


def test_a_text_file_is_read_as_utf8() -> None:
    data = "Le ministre l’a dit: signed by July 8.\n".encode()
    assert extract_text(data, filename="note.txt") == "Le ministre l’a dit: signed by July 8.\n"


def test_an_html_page_keeps_its_paragraphs_and_drops_scripts_styles_and_navigation() -> None:
    page = b"""<!doctype html><html><head><title>T</title><style>p{color:red}</style>
    <script>var deadline = "by July 8";</script></head><body>
    <nav><a href="/">Home</a> <a href="/asia">Asia</a></nav>
    <h1>Trade deal</h1><p>Negotiators aim to conclude the deal
    by <b>July 8</b>.</p><p>Talks resume next week.</p><footer>Subscribe</footer></body></html>"""
    text = extract_text(page, filename="story.html")
    assert (
        text
        == "Trade deal\nNegotiators aim to conclude the deal by July 8.\nTalks resume next week."
    )


def _pdf(text: str | None) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    if text is not None:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_with_text_is_read() -> None:
    text = extract_text(_pdf("The deal is due by July 8, 2025."), filename="statement.pdf")
    assert text == "The deal is due by July 8, 2025."
    [proposal] = propose(ArticleFacts(text, dt.date(2025, 5, 26)), [])
    assert proposal.deadline is not None and proposal.deadline.latest == dt.date(2025, 7, 8)


def test_a_pdf_without_text_is_refused() -> None:
    with pytest.raises(ArticleError, match="no text"):
        extract_text(_pdf(None), filename="scan.pdf")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (bytes(range(256)) * 4, "photo.txt", "binary file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "story.html", "binary file"),
        (b"not a pdf at all", "report.pdf", "not a PDF"),
        (b"%PDF-1.7 garbage", "report.pdf", "cannot be read"),
        (b"caf\xe9 au lait by July 8", "note.txt", "not UTF-8"),
        (b"", "empty.txt", "contains no text"),
        (b"Deal by July 8.", "deal.docx", "upload a .txt, .html, .htm or .pdf"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        extract_text(data, filename=filename)


def test_an_upload_without_extension_is_read_by_its_content_type() -> None:
    assert extract_text(
        b"<p>Due by July 8.</p>", filename="blob", content_type="text/html; charset=utf-8"
    ) == ("Due by July 8.")
