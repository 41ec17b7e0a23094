"""Dashboard pages through Django's test client: content, escaping, access and query counts."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.dashboard import wording
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import Milestone, Negotiation, Subscription, Target
from tracker.record import load_record
from tracker.services import milestone_set_deadline

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]


@pytest.fixture
def india_us(frozen):
    with committed():
        load_record(INDIA_US_RECORD)


def interim() -> Milestone:
    return Milestone.objects.get(slug="interim-deal-concluded")


def test_overview_says_the_india_us_negotiation_is_off_track_and_how_overdue(client, india_us):
    html = client.get("/").content.decode()
    assert "India–US Bilateral Trade Agreement" in html
    assert "Off track" in html
    # The record's newest source is from May 2025: the tracker says what it knows, not
    # "16 months overdue".
    assert "passed 501 days ago; no source since 26 May 2025 says it was met" in html
    assert "16 months" not in html
    # The visit and the COMPACT launch weigh 0 in the record: done, but no step of the deal.
    assert "0% done: 0 of 7 steps that advance the deal" in html
    assert "22% done" not in html
    assert 'href="/negotiations/india-us-bta/calendar.ics"' in html


def test_overview_says_the_next_deadline_still_ahead_and_counts_the_overdue_apart(client, india_us):
    html = client.get("/").content.decode()
    # The nearest open deadline still ahead, not the 2025 interim deal that has passed.
    assert "Next deadline</span>\n      " in html
    next_line = html.split('<span class="next-label">Next deadline</span>')[1].split("</p>")[0]
    assert "Bilateral trade reaches $500 billion" in next_line
    # A deadline of "2030" is counted in years, and coloured as the milestone, not the
    # off-track negotiation.
    assert '<strong class="countdown status-text-upcoming">in about 4 years</strong>' in next_line
    assert "1501 days" not in next_line
    assert "Interim trade deal concluded" not in next_line
    overdue = html.split('<span class="next-label">2 overdue</span>')[1].split("</ul>")[0]
    assert "Interim trade deal concluded" in overdue
    assert "passed 501 days ago; no source since 26 May 2025 says it was met" in overdue
    assert "Comprehensive agreement concluded" in overdue


def test_overview_as_of_line_gives_today_and_the_newest_source_date(client, india_us):
    html = client.get("/").content.decode()
    assert (
        'as of 21 November 2026. <span class="as-of-source">The newest source in the record is '
        "dated 26 May 2025 (18 months ago).</span>"
    ) in html
    assert "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date" in html


def test_overview_moves_next_deadline_when_a_milestone_moves_to_2027(client, frozen, parties):
    from tracker.deadlines import parse_deadline

    track = make_track(make_negotiation())
    first = make_milestone(track, "Interim agreement", "December 15, 2026")
    make_milestone(track, "Second tranche", "March 1, 2027")
    html = client.get("/").content.decode()
    assert "Interim agreement</a>,\n      <a href" in html and "December 15, 2026</a>" in html
    with committed():
        milestone_set_deadline(
            milestone=first,
            deadline=parse_deadline("June 1, 2027", reference=dt.date(2026, 11, 21)),
            reason="Talks extended",
        )
    html = client.get("/").content.decode()
    next_line = html.split('<span class="next-label">Next deadline</span>')[1].split("</p>")[0]
    assert "Second tranche" in next_line and "March 1, 2027</a>" in next_line
    assert "No open deadline ahead" not in html


def test_negotiation_page_has_a_timeline_with_today_the_autumn_window_and_a_text_list(
    client, india_us
):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert '<svg viewBox="0 0 960' in html and 'role="group"' in html
    assert '<title id="tl-title">Timeline of India–US Bilateral Trade Agreement</title>' in html
    assert "Today, 21 Nov 2026" in html
    assert 'class="window"' in html
    assert "autumn 2025 (1 Sep 2025 to 30 Nov 2025)" in html
    assert 'class="overdue-span"' in html
    # The 2030 window sits behind an axis break, not squashed onto one scale.
    assert 'class="break"' in html


def test_milestone_page_says_overdue_by_how_much_what_it_means_and_who_said_so(client, india_us):
    html = client.get(reverse("milestone", args=[interim().pk])).content.decode()
    assert "Overdue" in html
    assert (
        "The deadline of 8 July 2025 passed 501 days ago; "
        "no source since 26 May 2025 says it was met."
    ) in html
    assert "reciprocal tariffs on Indian exports" in html
    assert "conclude an interim trade deal by July 8" in html
    assert "Misri U.S. Visit Part Of India Bid To Strengthen Strategic, Trade Ties" in html
    assert "Comprehensive agreement concluded" in html


def test_the_interim_milestone_reads_as_stale_last_confirmed_in_may_2025(client, india_us):
    html = client.get(reverse("milestone", args=[interim().pk])).content.decode()
    assert '<p class="freshness stale">' in html
    assert (
        "Last confirmed by a source on or before 26 May 2025 (at least 18 months ago) "
        "— may be out of date"
    ) in html


def test_a_fresh_overdue_milestone_still_counts_its_days(client, frozen, parties):
    from tracker.models import Source

    track = make_track(make_negotiation())
    with committed():
        source = services.source_save(
            source=Source(
                slug="report",
                title="Talks report",
                published_on=dt.date(2026, 11, 1),
                excerpt="The deal is due on November 10.",
            )
        )
    milestone = make_milestone(track, "Deal", "November 10, 2026", reference=dt.date(2026, 11, 1))
    with committed():
        services.milestone_save(milestone=milestone, sources=[source])
    html = client.get(reverse("milestone", args=[milestone.pk])).content.decode()
    assert "11 days overdue" in html
    assert "Last confirmed by a source on 1 November 2026 (20 days ago)" in html
    assert "may be out of date" not in html


def test_needs_review_lists_stale_open_items_oldest_first(client, india_us):
    html = client.get(reverse("needs_review")).content.decode()
    assert "<h1>Needs review</h1>" in html
    # Items whose sources are all undated come first, then those last confirmed 26 May 2025.
    undated = html.index("TRUST initiative implemented")
    dated = html.index("Interim trade deal concluded")
    assert undated < dated
    assert "No dated source confirms it — may be out of date" in html
    assert (
        "The deadline of 8 July 2025 passed 501 days ago; "
        "no source since 26 May 2025 says it was met."
    ) in html
    # Closed items are history, not stale.
    assert "India-US COMPACT launched" not in html
    assert "Foreign Secretary Misri’s visit to Washington" not in html
    assert 'href="/review/" aria-current="page"' in html


def test_needs_review_is_empty_when_every_open_item_has_a_recent_source(client, frozen, parties):
    html = client.get(reverse("needs_review")).content.decode()
    assert "Nothing needs review" in html


def test_a_completion_known_only_to_the_month_reads_as_that_month(client, india_us):
    launch = Milestone.objects.get(slug="compact-launched")
    html = client.get(reverse("milestone", args=[launch.pk])).content.decode()
    assert '<dt>Completed</dt><dd><a href="#sources">February 2025</a></dd>' in html
    assert "28 February 2025" not in html
    track = client.get(reverse("track", args=["india-us-bta", "compact"])).content.decode()
    assert '#sources">February 2025</a>' in track and "· completed <a" in track
    assert '<span class="badge status-active">Active</span>' in track
    assert "Achieved" not in track


def test_a_slipped_deadline_shows_its_slip_days_in_the_history_and_a_ghost_on_the_timeline(
    client, india_us
):
    from tracker.deadlines import parse_deadline

    milestone_set_deadline(
        milestone=interim(),
        deadline=parse_deadline("December 15, 2026", reference=dt.date(2026, 11, 21)),
        reason="Talks extended",
        source=None,
        by=None,
    )
    html = client.get(reverse("milestone", args=[interim().pk])).content.decode()
    assert "slipped 525 days" in html.lower()
    assert "Talks extended" in html
    timeline = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert 'class="ghost"' in timeline and 'class="slip"' in timeline
    assert "earlier deadlines: 8 Jul 2025" in timeline


def test_target_page_says_there_are_no_observations_yet_and_the_growth_needed(client, india_us):
    target = interim().track.negotiation.targets.get()
    html = client.get(reverse("target", args=[target.pk])).content.decode()
    assert "There are no observations yet" in html
    assert "No data" in html
    assert "%/year</strong>" in html  # a compound path is read in percent a year
    assert "about USD 190 billion (the year to 26 May 2025)</a>" in html
    assert "USD 500 billion by 2030" in html
    assert 'class="required"' in html


def test_target_page_says_attainment_once_there_is_an_observation(client, frozen, parties):
    negotiation = make_negotiation()
    target = make_target(negotiation)
    # On 31 Mar 2026 the 190 → 500 path expects about 219.9: 208.5 is 94.81% of it, which
    # rounded to the nearest would read 95% (on track) beside a reason and a status at 94%.
    with committed():
        services.observation_save(
            observation=figure(target, dt.date(2026, 3, 31), Decimal("208.5"))
        )
    html = client.get(reverse("target", args=[target.pk])).content.decode()
    target.refresh_from_db()
    assert target.attainment == pytest.approx(0.9481, abs=1e-4)
    assert target.status == "at_risk"
    # Exactly the figure the reason beside it states: one rounding (down), not two.
    assert "Attainment: <strong>94%</strong>" in html
    assert "Bilateral trade at 94% of the expected path" in html
    assert "95%" not in html
    assert 'class="observation series-0"' in html
    assert "There are no observations yet" not in html


def test_upcoming_lists_overdue_and_next_ninety_days_but_not_later(client, frozen):
    track = make_track(make_negotiation())
    make_milestone(track, "Late one", "July 8, 2025")
    make_milestone(track, "Soon one", "December 10, 2026", reference=dt.date(2026, 11, 21))
    make_milestone(track, "Far one", "2030")
    html = client.get(reverse("upcoming")).content.decode()
    assert "Late one" in html and "Soon one" in html and "in 19 days" in html
    assert "Far one" not in html
    assert "Overdue (1)" in html and "Next 90 days (1)" in html


def test_user_text_is_escaped_everywhere(client, frozen):
    hostile = "<script>alert(1)</script><b>x</b>"
    negotiation = make_negotiation(summary=hostile)
    track = make_track(negotiation, name=hostile)
    milestone = make_milestone(track, hostile, slug="hostile", consequence=hostile)
    for url in [
        "/",
        reverse("negotiation", args=[negotiation.slug]),
        reverse("track", args=[negotiation.slug, track.slug]),
        reverse("milestone", args=[milestone.pk]),
        reverse("upcoming"),
    ]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>x</b>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html, url


def test_pages_need_login_when_the_tracker_is_not_public(client, settings, india_us):
    settings.TRACKER_PUBLIC = False
    for url in ["/", reverse("negotiation", args=["india-us-bta"]), reverse("upcoming")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    get_user_model().objects.create_user("reader", password="a long passphrase")
    client.post("/login/", {"username": "reader", "password": "a long passphrase"})
    assert client.get("/").status_code == 200


def test_unknown_pages_are_404(client, india_us):
    assert client.get(reverse("milestone", args=[999999])).status_code == 404
    assert client.get(reverse("negotiation", args=["nope"])).status_code == 404
    assert client.get(reverse("track", args=["india-us-bta", "nope"])).status_code == 404


def test_subscriptions_need_login(client):
    response = client.get(reverse("subscriptions"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_user_subscribes_to_a_track_and_unsubscribes(client, india_us):
    user = get_user_model().objects.create_user("n", "n@example.org", "a long passphrase")
    client.force_login(user)
    track = interim().track
    response = client.post(
        reverse("subscriptions"),
        {"subject": f"track:{track.pk}", "timezone": "Asia/Kolkata", "offsets": "7, 1, 30"},
        follow=True,
    )
    subscription = Subscription.objects.get(user=user)
    assert subscription.track == track and subscription.offsets == [30, 7, 1]
    assert "Interim agreement (first tranche)" in response.content.decode()
    client.post(reverse("subscription_unsubscribe", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_bad_subscription_input_is_explained_and_nothing_is_saved(client, india_us):
    client.force_login(get_user_model().objects.create_user("n", "n@example.org", "pw-long-1234"))
    response = client.post(
        reverse("subscriptions"),
        {"subject": "negotiation:999", "timezone": "Mars/Olympus", "offsets": "soon"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html
    assert "is not a known time zone" in html
    assert "Give whole days from 0 to 365" in html
    assert not Subscription.objects.exists()


def test_nobody_unsubscribes_someone_else(client, india_us):
    owner = get_user_model().objects.create_user("owner", password="pw-long-1234")
    other = get_user_model().objects.create_user("other", password="pw-long-1234")
    from tracker.services.subscriptions import subscription_create

    subscription = subscription_create(negotiation=interim().track.negotiation, user=owner)
    client.force_login(other)
    assert (
        client.post(reverse("subscription_unsubscribe", args=[subscription.pk])).status_code == 404
    )
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None


def build(count: int) -> None:
    """Two negotiations of `count` tracks, each with `count` milestones and a target."""
    with committed():
        _build(count)


def _build(count: int) -> None:
    for n in range(2):
        negotiation = make_negotiation(f"deal-{n}")
        for t in range(count):
            track = make_track(negotiation, f"track-{t}")
            previous = None
            for m in range(count):
                milestone = make_milestone(
                    track, f"Milestone {t}-{m}", f"{2025 + m % 4}-0{1 + m % 9}-1{m % 9}"
                )
                if previous is not None:
                    services.milestone_set_dependencies(milestone=milestone, depends_on=[previous])
                previous = milestone
            make_target(negotiation, track, slug=f"target-{t}")


PAGES = [
    lambda: "/",
    lambda: reverse("negotiation", args=["deal-0"]),
    lambda: reverse("track", args=["deal-0", "track-1"]),
    lambda: reverse(
        "milestone",
        args=[Milestone.objects.get(slug="milestone-1-1", track__negotiation__slug="deal-0").pk],
    ),
    lambda: reverse("target", args=[Target.objects.filter(negotiation__slug="deal-0")[0].pk]),
    lambda: reverse("upcoming"),
    lambda: reverse("subscriptions"),
    lambda: reverse("needs_review"),
]


@pytest.mark.parametrize("page", range(len(PAGES)))
def test_each_page_makes_the_same_number_of_queries_for_few_or_many_rows(client, frozen, page):
    client.force_login(get_user_model().objects.create_user("q", password="pw-long-1234"))
    counts = []
    for count in (2, 5):
        Negotiation.objects.all().delete()  # a record of this size, and nothing else
        build(count)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGES[page]()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_offsets_written_with_unicode_digits_are_explained_not_a_crash(client, india_us):
    client.force_login(get_user_model().objects.create_user("u", "u@example.org", "pw-long-1234"))
    negotiation = Negotiation.objects.get(slug="india-us-bta")
    response = client.post(
        reverse("subscriptions"),
        {"subject": f"negotiation:{negotiation.pk}", "timezone": "UTC", "offsets": "²"},
    )
    assert response.status_code == 200
    assert "Give whole days from 0 to 365" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_target_page_the_day_before_its_deadline_with_a_wide_gap_still_answers(client):
    """10 → 100 with a day left: the yearly rate overflows a float, so none is claimed."""
    with time_machine.travel(dt.datetime(2026, 12, 30, 12, tzinfo=dt.UTC), tick=False):
        negotiation = make_negotiation()
        target = make_target(
            negotiation,
            baseline_value=Decimal("10"),
            target_value=Decimal("100"),
            baseline_date=dt.date(2025, 1, 1),
            deadline="December 31, 2026",
        )
        response = client.get(reverse("target", args=[target.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There are no observations yet" in html
    assert "a year" not in html  # no required growth rate: beyond what can be said
    api = client.get(f"/api/v1/targets/{target.pk}/").json()
    assert api["required_growth_rate"] is None
    assert api["status"] == "no_data"


def test_the_target_page_and_the_api_say_the_same_status_and_figures(client, frozen):
    negotiation = make_negotiation()
    target = make_target(negotiation)
    with committed():
        services.observation_save(observation=figure(target, dt.date(2026, 3, 31), 200))
    api = client.get(f"/api/v1/targets/{target.pk}/").json()
    target.refresh_from_db()
    assert (api["status"], api["attainment"]) == (target.status, target.attainment)
    html = client.get(reverse("target", args=[target.pk])).content.decode()
    assert wording.label(api["status"]) in html
    assert f"{math.floor(api['attainment'] * 100)}%" in html
    assert f"+{api['required_growth_rate'] * 100:.1f}%/year" in html
    assert api["required_pace_text"] in html


def _record_pages() -> list[str]:
    from tracker.models import Track

    urls = ["/", reverse("negotiation", args=["india-us-bta"]), "/upcoming/", "/review/"]
    urls += [reverse("track", args=["india-us-bta", t.slug]) for t in Track.objects.all()]
    urls += [reverse("milestone", args=[m.pk]) for m in Milestone.objects.all()]
    urls += [reverse("target", args=[t.pk]) for t in Target.objects.all()]
    return urls


def test_no_page_names_an_article_by_its_file_number(client, india_us):
    import re

    for url in _record_pages():
        html = client.get(url).content.decode()
        assert "Article 000" not in html, url
        text = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(r"(?<![\d,.$])00[0-2](?![\d,.])", text), url
        assert "date not given" not in html, url


def test_every_quote_link_on_a_page_leads_to_a_quote_shown_there(client, india_us):
    import re

    pages = {url: client.get(url).content.decode() for url in _record_pages()}
    checked = 0
    for url, html in pages.items():
        for path, anchor in re.findall(r'href="([^"#]*)#(source-[^"]+|sources)"', html):
            target = pages.get(path or url) or client.get(path).content.decode()
            assert f'id="{anchor}"' in target, (url, path, anchor)
            checked += 1
    assert checked > 40


def test_sources_show_publisher_and_date_or_undated_never_the_load_date(client, india_us):
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    html = client.get(reverse("milestone", args=[deal.pk])).content.decode()
    assert (
        "<cite>Will Foreign Secretary Vikram Misri&#x27;s US Visit Strengthen Ties?</cite>, "
        'NationPress, <span class="source-date">26 May 2025</span>'
    ) in html
    assert '<span class="source-date inferred">on or before 26 May 2025 (inferred)</span>' in html
    visit = Milestone.objects.get(slug="misri-washington-visit")
    html = client.get(reverse("milestone", args=[visit.pk])).content.decode()
    assert '<span class="source-date">undated</span>' in html
    assert "21 November 2026</span>" not in html


def test_the_first_revision_of_the_interim_deadline_names_its_article_and_its_date(
    client, india_us
):
    html = client.get(reverse("milestone", args=[interim().pk])).content.decode()
    history = html.split('id="history-heading"')[1].split("</table>")[0]
    assert '<a href="#source-interim-deal-by-july-8">on or before 26 May 2025 (inferred)</a>' in (
        history
    )
    assert "Misri U.S. Visit Part Of India Bid To Strengthen Strategic, Trade Ties" in history
    assert "21 Nov 2026" not in history  # the day the record was loaded
    # The deadline itself links to the quote that announced it.
    assert '<a href="#source-interim-deal-by-july-8">July 8, 2025</a>' in html
    assert 'id="source-interim-deal-by-july-8"' in html


def test_the_milestone_page_shows_where_the_sources_differ_with_both_quotes(client, india_us):
    html = client.get(reverse("milestone", args=[interim().pk])).content.decode()
    differ = html.split('<h2 id="differ-heading">Sources differ</h2>')[1].split("</section>")[0]
    assert "Which deal is the first tranche" in differ
    assert "finalising the first tranche of the India-U.S. Bilateral Trade Agreement" in differ
    assert "the first phase of a mutually beneficial, multi-sector Bilateral Trade" in differ
    assert "NationPress, 26 May 2025" in differ


def test_the_timeline_labels_a_stale_passed_deadline_without_claiming_it_overdue(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert 'text-anchor="middle">passed 501 days ago</text>' in html
    assert "days overdue</text>" not in html


def test_the_negotiation_page_ends_with_each_source_behind_it_once_newest_first(client, india_us):
    from tracker.models import Source

    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    listed = html[html.index('id="sources-heading"') :]
    titles = [s.title for s in Source.objects.all()]
    for title in titles:
        assert listed.count(f"<cite>{title.replace(chr(39), '&#x27;')}</cite>") == 1, title
    assert listed.index("26 May 2025") < listed.index("undated")
