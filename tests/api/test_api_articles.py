"""The articles and proposals API: post an article, read its proposals, decide them."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from knox.models import AuthToken
from pypdf import PdfWriter
from rest_framework.test import APIClient

from tests.conftest import committed, make_negotiation, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Article, Change, Milestone, Proposal, Source

MAY_26 = dt.date(2025, 5, 26)
TEXT = (
    "New Delhi, Nov 20 (NationPress) India and the United States now aim to conclude the "
    "comprehensive trade agreement by the end of 2026, officials said. Talks began in "
    "2019 but stalled."
)


@pytest.fixture(autouse=True)
def frozen_today() -> Any:
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def editor(db: None) -> User:
    user = User.objects.create_user("editor", "editor@example.org", "pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def client(editor: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=editor)[1]}")
    return client


@pytest.fixture
def bta(db: None) -> Milestone:
    with time_machine.travel(dt.datetime(2025, 5, 27, tzinfo=dt.UTC), tick=False), committed():
        track = make_track(make_negotiation(), "comprehensive", name="Comprehensive BTA")
        may = services.source_save(
            source=Source(title="NationPress", published_on=MAY_26, excerpt="by fall 2025")
        )
        milestone = Milestone(
            track=track,
            title="Comprehensive BTA",
            slug="bta",
            aliases=["comprehensive trade agreement"],
        )
        milestone.deadline = parse_deadline("autumn 2025", reference=MAY_26)
        services.milestone_save(milestone=milestone, source=may, sources=[may])
    return milestone


def post_article(client: APIClient, **fields: Any) -> Any:
    body = {
        "title": "India, US aim to conclude trade pact by end-2026",
        "publisher": "NationPress",
        "published_on": "2026-11-20",
        "text": TEXT,
        **fields,
    }
    return client.post("/api/v1/articles/", body, format="json")


def test_posting_an_article_answers_201_with_the_article_and_its_proposals(
    client: APIClient, bta: Milestone
) -> None:
    response = post_article(client, negotiation="india-us-bta")
    assert response.status_code == 201, response.json()
    article = response.json()
    assert article["title"] == "India, US aim to conclude trade pact by end-2026"
    assert (article["published_on"], article["date_text"]) == ("2026-11-20", "20 November 2026")
    assert article["text"] == TEXT
    assert article["created_by"] == "editor"
    [move] = [p for p in article["proposals"] if p["kind"] == "moves"]
    assert move["milestone"] == bta.pk
    assert move["milestone_title"] == "Comprehensive BTA"
    assert move["negotiation"] == "india-us-bta"
    assert move["state"] == "open"
    assert move["deadline"] == {
        "text": move["deadline"]["text"],
        "earliest": "2026-12-01",
        "latest": "2026-12-31",
        "precision": "month",
    }
    quote = move["quote"]
    assert quote["text"] == TEXT[quote["start"] : quote["end"]]
    assert "by the end of 2026" in quote["text"]
    assert 0 <= move["confidence"] <= 1
    assert move["reason"]
    # History told as history ("Talks began in 2019") is not proposed as a deadline.
    assert not any("2019" in p["quote"]["text"] for p in article["proposals"])


def test_accepting_through_the_api_moves_the_deadline_and_a_second_accept_is_a_409(
    client: APIClient, bta: Milestone, editor: User
) -> None:
    article = post_article(client).json()
    [move] = [p for p in article["proposals"] if p["kind"] == "moves"]
    with committed():
        accepted = client.post(f"/api/v1/proposals/{move['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["state"], accepted.json()["decided_by"]) == ("accepted", "editor")
    milestone = client.get(f"/api/v1/milestones/{bta.pk}/").json()
    assert milestone["deadline"]["latest"] == "2026-12-31"
    assert milestone["last_confirmed_on"] == "2026-11-20"
    assert milestone["stale"] is False
    assert milestone["revisions"][-1]["reason"] == "NationPress (20 November 2026)"
    assert Change.objects.filter(interface="proposal", actor=editor).exists()
    again = client.post(f"/api/v1/proposals/{move['id']}/accept/", {}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This proposal was accepted already."}


def test_a_proposal_is_rejected_with_a_reason_and_listed_by_article_and_state(
    client: APIClient, bta: Milestone
) -> None:
    article = post_article(client).json()
    first = article["proposals"][0]
    rejected = client.post(
        f"/api/v1/proposals/{first['id']}/reject/", {"reason": "Not decided yet"}, format="json"
    )
    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "Not decided yet",
    )
    listed = client.get(f"/api/v1/proposals/?article={article['id']}&state=rejected").json()
    assert [p["id"] for p in listed["results"]] == [first["id"]]
    still_open = client.get(f"/api/v1/proposals/?article={article['id']}&state=open").json()
    assert first["id"] not in [p["id"] for p in still_open["results"]]
    assert client.post(f"/api/v1/proposals/{first['id']}/reject/").status_code == 409


def test_a_listed_proposal_whose_milestone_was_edited_since_reads_superseded(
    client: APIClient, bta: Milestone, editor: User
) -> None:
    article = post_article(client).json()
    [move] = [p for p in article["proposals"] if p["kind"] == "moves"]
    with committed():
        services.milestone_set_deadline(
            milestone=bta, deadline=parse_deadline("March 2027"), by=editor
        )
    listed = client.get(f"/api/v1/proposals/?article={article['id']}").json()["results"]
    assert {p["id"]: p["state"] for p in listed}[move["id"]] == "superseded"
    refused = client.post(f"/api/v1/proposals/{move['id']}/accept/", {}, format="json")
    assert refused.status_code == 409
    assert "superseded" in refused.json()["detail"]


def test_a_new_milestone_needs_a_track_a_400_that_writes_nothing(
    client: APIClient, bta: Milestone
) -> None:
    text = "The two ministers will meet again by March 2027 to sign a customs protocol."
    article = post_article(client, text=text).json()
    [new] = [p for p in article["proposals"] if p["kind"] == "new_milestone"]
    milestones = Milestone.objects.count()
    refused = client.post(f"/api/v1/proposals/{new['id']}/accept/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"track": ["Choose the track the new milestone belongs to."]}
    assert Milestone.objects.count() == milestones
    with committed():
        accepted = client.post(
            f"/api/v1/proposals/{new['id']}/accept/",
            {"track": bta.track_id, "title": "Customs protocol", "deadline": "March 2027"},
            format="json",
        )
    assert accepted.status_code == 200, accepted.json()
    created = Milestone.objects.get(title="Customs protocol")
    assert created.deadline_latest == dt.date(2027, 3, 31)


def write_counts() -> tuple[int, int, int]:
    return Article.objects.count(), Proposal.objects.count(), Source.objects.count()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("x" * 200_001, "200,000"),
        ("Signed by July 8, 2025.\x00", "null characters"),
        ("Signed by July 8, 2025.\x07 Bell.", "control"),
    ],
)
def test_a_bad_text_is_a_400_saying_why_and_nothing_is_written(
    client: APIClient, bta: Milestone, text: str, expected: str
) -> None:
    before = write_counts()
    response = post_article(client, text=text)
    assert response.status_code == 400
    [message] = response.json()["text"]
    assert expected in message.lower() or expected in message
    assert write_counts() == before


def upload(client: APIClient, name: str, data: bytes, content_type: str = "") -> Any:
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        "/api/v1/articles/",
        {"title": "Uploaded", "published_on": "2026-11-20", "file": file},
        format="multipart",
    )


def test_an_uploaded_text_or_html_file_is_read_like_pasted_text(
    client: APIClient, bta: Milestone
) -> None:
    as_text = upload(client, "article.txt", TEXT.encode())
    assert as_text.status_code == 201, as_text.json()
    assert as_text.json()["text"] == TEXT
    html = (
        "<html><head><script>var x = 'by 2031';</script></head><body><nav>Home</nav>"
        f"<p>{TEXT}</p></body></html>"
    )
    as_html = upload(client, "article.html", html.encode())
    assert as_html.status_code == 201, as_html.json()
    assert "comprehensive trade agreement by the end of 2026" in as_html.json()["text"]
    assert "2031" not in as_html.json()["text"]
    assert any(p["kind"] == "moves" for p in as_html.json()["proposals"])


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("article.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        ("article.pdf", blank_pdf()),
        ("article.docx", b"PK\x03\x04 not a format the reader takes"),
        ("article.txt", b""),
    ],
)
def test_a_binary_or_text_less_file_is_a_400_on_the_file_and_nothing_is_written(
    client: APIClient, bta: Milestone, name: str, data: bytes
) -> None:
    before = write_counts()
    response = upload(client, name, data)
    assert response.status_code == 400
    assert "file" in response.json()
    assert write_counts() == before


def test_only_editors_post_articles_and_decide_proposals(client: APIClient, bta: Milestone) -> None:
    article = post_article(client).json()
    reader = APIClient()
    reader.force_authenticate(User.objects.create_user("reader"))
    assert post_article(reader).status_code == 403
    proposal = article["proposals"][0]["id"]
    assert reader.post(f"/api/v1/proposals/{proposal}/accept/").status_code == 403
    assert reader.post(f"/api/v1/proposals/{proposal}/reject/").status_code == 403
    assert APIClient().get(f"/api/v1/articles/{article['id']}/").status_code == 200


def test_v1_sources_answer_as_before_for_quotes_of_an_article(
    client: APIClient, bta: Milestone
) -> None:
    article = post_article(client).json()
    [move] = [p for p in article["proposals"] if p["kind"] == "moves"]
    with committed():
        client.post(f"/api/v1/proposals/{move['id']}/accept/", {}, format="json")
    quote = Source.objects.get(article_id=article["id"])
    answer = client.get(f"/api/v1/sources/{quote.pk}/").json()
    # The wave-2 shape, key for key: the article's title, publisher and date on the quote.
    assert answer == {
        "id": quote.pk,
        "slug": quote.slug,
        "title": "India, US aim to conclude trade pact by end-2026",
        "publisher": "NationPress",
        "url": "",
        "published_on": "2026-11-20",
        "published_by": None,
        "excerpt": move["quote"]["text"],
    }


def test_the_schema_documents_json_for_articles_and_multipart_only_for_the_upload(
    client: APIClient,
) -> None:
    schema = client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/articles/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    upload = create["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    upload_fields = schema["components"]["schemas"][upload.rsplit("/", 1)[1]]["properties"]
    assert upload_fields["file"]["format"] == "binary"
    accept = schema["paths"]["/api/v1/proposals/{id}/accept/"]["post"]
    assert set(accept["requestBody"]["content"]) == {"application/json"}
    assert "409" in accept["responses"]
