"""Deciding proposals: accepted through the write services, cited, logged, superseded when stale.

The proposals here are built as the reader would state them (the reader's own tests,
tests/rules/test_reading_cases.py and tests/services/test_reading_sources.py, cover what
it proposes); the article is posted through the service where the test is about posting.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError

from tests.conftest import committed, make_negotiation, make_target, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import (
    Article,
    Change,
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Observation,
    Proposal,
    Source,
    Subscription,
)
from tracker.reminders.digests import send_digests
from tracker.services.proposals import item_facts_now

UTC = dt.UTC
MAY_26 = dt.date(2025, 5, 26)
# A Saturday in late November 2026: the May 2025 record is 18 months old, and stale.
SATURDAY = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)
MONDAY_8 = dt.datetime(2026, 11, 23, 8, tzinfo=UTC)
MOVED = (
    "New Delhi, Nov 20 (NationPress) India and the United States now aim to conclude the "
    "comprehensive trade agreement by the end of 2026, officials said. The first tranche "
    "was signed on 13 February 2026."
)


@pytest.fixture
def editor(db: None) -> Any:
    user = get_user_model().objects.create_user("desk", "desk@example.org", "pw-desk-123")
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def record(db: None) -> dict[str, Any]:
    """The India–US record as it stood in May 2025: one source, 18 months old by SATURDAY."""
    with time_machine.travel(dt.datetime(2025, 5, 27, tzinfo=UTC), tick=False), committed():
        negotiation = make_negotiation()
        track = make_track(negotiation, "comprehensive", name="Comprehensive BTA")
        may = services.source_save(
            source=Source(
                title="Will Foreign Secretary Vikram Misri's US Visit Strengthen Ties?",
                publisher="NationPress",
                published_on=MAY_26,
                excerpt="the first tranche of the BTA by fall 2025",
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
        interim = Milestone(
            track=track, title="Interim agreement", slug="interim", aliases=["first tranche"]
        )
        interim.deadline = parse_deadline("July 8, 2025", reference=MAY_26)
        services.milestone_save(milestone=interim, source=may, sources=[may])
        target = make_target(negotiation, track)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.record_save(record=negotiation)  # the day turned: the refresh sees it stale
    return {
        "negotiation": negotiation,
        "track": track,
        "bta": Milestone.objects.get(pk=bta.pk),
        "interim": Milestone.objects.get(pk=interim.pk),
        "target": target,
        "may": may,
    }


def an_article(text: str = MOVED, published_on: dt.date = dt.date(2026, 11, 20)) -> Article:
    return Article.objects.create(
        title="India, US aim to conclude trade pact by end-2026",
        publisher="NationPress",
        published_on=published_on,
        text=text,
    )


def proposal(article: Article, kind: str, quote: str, **fields: Any) -> Proposal:
    """A proposal as the reader states it: its span is where `quote` stands in the article,
    and it remembers what its milestone or target said when it was made."""
    start = article.text.index(quote)
    made = Proposal(
        article=article,
        kind=kind,
        start=start,
        end=start + len(quote),
        confidence=0.9,
        reason=fields.pop("reason", f"Says {quote!r}"),
        **fields,
    )
    if made.milestone_id or made.target_id:
        key = ("milestone", made.milestone_id) if made.milestone_id else ("target", made.target_id)
        made.item_facts = item_facts_now(
            milestone_ids=[made.milestone_id or 0], target_ids=[made.target_id or 0]
        )[key]  # type: ignore[index]
    made.save()
    return made


SENTENCE = (
    "India and the United States now aim to conclude the comprehensive trade agreement by "
    "the end of 2026, officials said."
)


def a_move(record: dict[str, Any]) -> Proposal:
    bta = record["bta"]
    return proposal(
        an_article(),
        "moves",
        SENTENCE,
        milestone=bta,
        negotiation=record["negotiation"],
        deadline_text="end of 2026",
        deadline_earliest=dt.date(2026, 12, 1),
        deadline_latest=dt.date(2026, 12, 31),
        deadline_precision="month",
    )


def test_the_record_of_may_2025_is_stale_before_anything_is_accepted(record: Any) -> None:
    assert record["bta"].stale
    assert record["bta"].last_confirmed_on == MAY_26


def test_accepting_a_moves_proposal_moves_the_deadline_citing_the_quote_of_the_article(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor)
    bta = Milestone.objects.get(pk=record["bta"].pk)
    assert bta.deadline_text == "end of 2026"
    assert bta.deadline_latest == dt.date(2026, 12, 31)
    revision = bta.revisions.order_by("changed_at", "id").last()
    assert revision is not None
    assert (revision.previous_text, revision.new_text) == ("autumn 2025", "end of 2026")
    # The revision is dated by the article, through the quote it cites.
    assert revision.source is not None
    assert revision.source.published_on == dt.date(2026, 11, 20)
    assert revision.source.excerpt == SENTENCE
    assert revision.source.article == move.article
    assert (revision.source.start, revision.source.end) == (move.start, move.end)
    assert revision.reason == "NationPress (20 November 2026)"
    assert revision.changed_by == editor
    # Freshness is renewed to the article's date, and the milestone is no longer stale.
    assert bta.last_confirmed_on == dt.date(2026, 11, 20)
    assert not bta.stale
    move.refresh_from_db()
    assert (move.state, move.decided_by, move.decided_at) == (
        "accepted",
        editor,
        SATURDAY,
    )


def test_an_accepted_move_is_in_the_audit_log_as_a_proposal_by_its_reviewer(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor)
    change = Change.objects.get(
        content_type=ContentType.objects.get_for_model(Milestone),
        object_id=record["bta"].pk,
        interface="proposal",
    )
    assert change.actor == editor
    assert change.changes_dict["deadline_text"] == ["autumn 2025", "end of 2026"]


def test_an_accepted_move_is_in_the_next_digest_like_any_other_move(
    record: Any, editor: Any
) -> None:
    Subscription.objects.create(
        negotiation=record["negotiation"],
        email="desk-reader@example.org",
        timezone="UTC",
        confirmed_at=dt.datetime(2026, 11, 1, tzinfo=UTC),
        created_at=dt.datetime(2026, 11, 1, tzinfo=UTC),
        last_digest_at=MONDAY_8 - dt.timedelta(days=7),
    )
    move = a_move(record)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor)
    with time_machine.travel(MONDAY_8, tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    assert "Deadlines moved" in message.body
    assert "Comprehensive BTA: autumn 2025 → end of 2026" in message.body
    assert "— NationPress (20 November 2026)" in message.body


def test_accepting_a_decided_proposal_again_is_refused_and_changes_nothing(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor)
    revisions = DeadlineRevision.objects.count()
    with pytest.raises(services.ProposalDecided, match="accepted already"):
        services.proposal_accept(proposal=move, by=editor)
    assert DeadlineRevision.objects.count() == revisions
    assert Source.objects.filter(article=move.article).count() == 1


def test_a_proposal_about_a_milestone_edited_since_is_superseded_instead_of_applied(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    bta = record["bta"]
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.milestone_set_deadline(
            milestone=bta, deadline=parse_deadline("March 2027"), by=editor
        )
        with pytest.raises(services.ProposalDecided, match="superseded"):
            services.proposal_accept(proposal=move, by=editor)
    move.refresh_from_db()
    assert move.state == "superseded"
    assert Milestone.objects.get(pk=bta.pk).deadline_text == "March 2027"


def test_a_listed_proposal_about_an_edited_milestone_is_marked_superseded(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    with committed():
        services.milestone_cancel(milestone=record["bta"], by=editor)
    assert services.proposals_supersede_changed(proposals=Proposal.objects.all()) == 1
    assert Proposal.objects.get(pk=move.pk).state == "superseded"
    # Nothing else changed: asking again supersedes nothing more.
    assert services.proposals_supersede_changed(proposals=Proposal.objects.all()) == 0


def test_accepting_one_proposal_supersedes_the_others_about_the_same_milestone(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    confirm = proposal(
        an_article(published_on=dt.date(2026, 11, 19)),
        "confirms",
        SENTENCE,
        milestone=record["bta"],
    )
    other = proposal(an_article(), "confirms", SENTENCE, milestone=record["interim"])
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor)
    states = dict(Proposal.objects.values_list("pk", "state"))
    assert states == {move.pk: "accepted", confirm.pk: "superseded", other.pk: "open"}


def test_accepting_a_confirmation_renews_freshness_and_keeps_the_deadline(
    record: Any, editor: Any
) -> None:
    article = an_article(
        "Officials said the interim agreement is still due by July 8, 2025.",
        published_on=dt.date(2026, 11, 20),
    )
    confirm = proposal(
        article,
        "confirms",
        "the interim agreement is still due by July 8, 2025",
        milestone=record["interim"],
    )
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=confirm, by=editor)
    interim = Milestone.objects.get(pk=record["interim"].pk)
    assert interim.deadline_text == "July 8, 2025"
    assert interim.revisions.count() == 1  # first announced; nothing moved
    assert interim.last_confirmed_on == dt.date(2026, 11, 20)
    assert sorted(interim.sources.values_list("excerpt", flat=True)) == [
        "the first tranche of the BTA by fall 2025",
        "the interim agreement is still due by July 8, 2025",
    ]


def test_accepting_a_completion_completes_the_milestone_on_the_day_the_article_gives(
    record: Any, editor: Any
) -> None:
    completes = proposal(
        an_article(),
        "completes",
        "The first tranche was signed on 13 February 2026.",
        milestone=record["interim"],
        completed_on=dt.date(2026, 2, 13),
    )
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=completes, by=editor)
    interim = Milestone.objects.get(pk=record["interim"].pk)
    assert (interim.state, interim.completed_on) == ("completed", dt.date(2026, 2, 13))
    assert interim.sources.filter(article=completes.article).exists()


def test_a_new_milestone_is_created_on_the_track_the_editor_picks_and_cites_its_quote(
    record: Any, editor: Any
) -> None:
    article = an_article("The ministers will meet again by March 2027 to review the pact.")
    new = proposal(
        article,
        "new_milestone",
        "The ministers will meet again by March 2027 to review the pact.",
        negotiation=record["negotiation"],
        title="Ministerial review",
        deadline_text="March 2027",
        deadline_earliest=dt.date(2027, 3, 1),
        deadline_latest=dt.date(2027, 3, 31),
        deadline_precision="month",
    )
    with pytest.raises(ValidationError) as refused:
        services.proposal_accept(proposal=new, by=editor)
    assert refused.value.message_dict == {
        "track": ["Choose the track the new milestone belongs to."]
    }
    assert not Milestone.objects.filter(title="Ministerial review").exists()
    assert Proposal.objects.get(pk=new.pk).state == "open"
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(
            proposal=new, by=editor, edits={"track": record["track"], "title": "Review meeting"}
        )
    created = Milestone.objects.get(title="Review meeting")
    assert (created.track, created.deadline_text) == (record["track"], "March 2027")
    assert created.sources.get().article == article
    assert Proposal.objects.get(pk=new.pk).milestone == created


def test_an_edited_deadline_is_read_from_the_article_date_not_today(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=move, by=editor, edits={"deadline": "within 90 days"})
    bta = Milestone.objects.get(pk=record["bta"].pk)
    assert bta.deadline_latest == dt.date(2026, 11, 20) + dt.timedelta(days=90)
    assert bta.deadline_said_on == dt.date(2026, 11, 20)


def test_accepting_a_figure_records_an_observation_citing_the_quote(
    record: Any, editor: Any
) -> None:
    article = an_article("Bilateral trade reached $212 billion in 2025, officials said.")
    figure = proposal(
        article,
        "figure",
        "Bilateral trade reached $212 billion in 2025",
        target=record["target"],
        value=Decimal("212"),
        unit="USD billion",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    with time_machine.travel(SATURDAY, tick=False), committed():
        services.proposal_accept(proposal=figure, by=editor)
    observation = Observation.objects.get(target=record["target"])
    assert observation.value == Decimal("212")
    assert (observation.period_start, observation.period_end) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert observation.source is not None
    assert observation.source.article == article


def test_accepting_a_difference_records_that_the_sources_differ(record: Any, editor: Any) -> None:
    older = an_article(
        "The comprehensive agreement is expected by the end of 2025.",
        published_on=dt.date(2025, 5, 1),
    )
    differs = proposal(
        older,
        "differs",
        "The comprehensive agreement is expected by the end of 2025.",
        milestone=record["bta"],
        reason="Says “by the end of 2025”; a later source says “autumn 2025”",
    )
    with committed():
        services.proposal_accept(proposal=differs, by=editor)
    discrepancy = Discrepancy.objects.get(milestone=record["bta"])
    assert discrepancy.summary == "Says “by the end of 2025”; a later source says “autumn 2025”"
    assert set(discrepancy.sources.values_list("published_on", flat=True)) == {
        MAY_26,
        dt.date(2025, 5, 1),
    }
    # The deadline stays what the later source says.
    assert Milestone.objects.get(pk=record["bta"].pk).deadline_text == "autumn 2025"


def test_rejecting_keeps_the_proposal_with_its_reason_and_it_cannot_be_accepted_after(
    record: Any, editor: Any
) -> None:
    move = a_move(record)
    services.proposal_reject(proposal=move, by=editor, reason="Speculation, not a decision")
    move.refresh_from_db()
    assert (move.state, move.rejection_reason, move.decided_by) == (
        "rejected",
        "Speculation, not a decision",
        editor,
    )
    with pytest.raises(services.ProposalDecided, match="rejected already"):
        services.proposal_accept(proposal=move, by=editor)
    assert Milestone.objects.get(pk=record["bta"].pk).deadline_text == "autumn 2025"


def test_posting_an_article_stores_it_with_the_proposals_the_reader_makes(
    record: Any, editor: Any
) -> None:
    with time_machine.travel(SATURDAY, tick=False):
        article = services.article_create(
            title="India, US aim to conclude trade pact by end-2026",
            publisher="NationPress",
            published_on=dt.date(2026, 11, 20),
            text=MOVED,
            negotiation=record["negotiation"],
            by=editor,
        )
    assert article.created_by == editor
    kinds = {(p.kind, p.milestone_id) for p in article.proposals.all()}
    assert ("moves", record["bta"].pk) in kinds
    for made in article.proposals.all():
        assert made.quote == MOVED[made.start : made.end]
        assert made.reason
        assert 0 <= made.confidence <= 1


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "text"),
        ("   \n  ", "text"),
        ("x" * 200_001, "text"),
        ("Signed by July 8, 2025.\x00", "text"),
    ],
)
def test_a_bad_article_is_refused_and_nothing_is_written(
    record: Any, editor: Any, text: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.article_create(
            title="Bad", published_on=dt.date(2026, 11, 20), text=text, by=editor
        )
    assert field in refused.value.message_dict
    assert (Article.objects.count(), Proposal.objects.count()) == (0, 0)


def test_an_article_without_any_date_is_refused(record: Any, editor: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.article_create(title="Undated", text=MOVED, by=editor)
    assert "published_on" in refused.value.message_dict
    assert Article.objects.count() == 0
