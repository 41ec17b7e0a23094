"""The interface in Hindi and French: every page, the language choice, dates and emails.

A page "shows an English interface string" when a piece of its text, or a label a screen
reader reads (aria-label, placeholder, alt, title), is exactly an English msgid of the
catalogue whose translation differs: a string someone marked but the page did not
translate, or a string a template forgot to mark that the catalogue already knows.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from tests.browser.static import collected_static  # noqa: F401
from tests.conftest import committed
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import AccountLanguage, Milestone, Subscription, Target
from tracker.record import load_record
from tracker.reminders.emails import confirmation_email
from tracker.services.subscriptions import subscription_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]

LOCALE = Path(__file__).resolve().parents[2] / "tracker" / "locale"
PASSWORD = "a long and unusual passphrase 42"


def english_strings(language: str) -> set[str]:
    """The catalogue's English msgids that its language says differently."""
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    english = set()
    for key, translated in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid and "%(" not in msgid and translated != msgid:
            english.add(msgid)
    return english


class Texts(HTMLParser):
    """Each run of text, and each attribute a reader hears, stripped; script and style skipped."""

    HEARD = {"aria-label", "placeholder", "alt", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "textarea"):
            self.skipping += 1
        self.texts.extend((value or "").strip() for name, value in attrs if name in self.HEARD)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "textarea"):
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def texts_of(html: str) -> list[str]:
    parser = Texts()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def india_us(frozen: object) -> None:
    with committed():
        load_record(INDIA_US_RECORD)


@pytest.fixture
def editor(db: None) -> Client:
    user = get_user_model().objects.create_user("asha", "asha@example.org", PASSWORD)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="tracker"))
    client = Client()
    client.force_login(user)
    return client


def pages() -> list[str]:
    milestone = Milestone.objects.get(slug="interim-deal-concluded")
    target = Target.objects.order_by("pk").first()
    assert target is not None
    return [
        reverse("overview"),
        reverse("negotiation", args=["india-us-bta"]),
        reverse("track", args=["india-us-bta", milestone.track.slug]),
        reverse("milestone", args=[milestone.pk]),
        reverse("target", args=[target.pk]),
        reverse("upcoming"),
        reverse("needs_review"),
        reverse("search") + "?q=interim",
        reverse("subscriptions"),
        reverse("account"),
        reverse("password_change"),
        reverse("desk"),
        reverse("accessibility"),
    ]


@pytest.mark.parametrize("language", ["hi", "fr"])
def test_every_page_in_hindi_and_french_shows_no_english_interface_string(
    india_us: None, editor: Client, client: Client, language: str
) -> None:
    english = english_strings(language)
    assert len(english) > 300  # the catalogue is the one that covers the pages
    left: dict[str, list[str]] = {}
    for url in [*pages(), reverse("login"), reverse("sign_up")]:
        reader = client if url in (reverse("login"), reverse("sign_up")) else editor
        response = reader.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, url
        untranslated = sorted({text for text in texts_of(html) if text in english})
        if untranslated:
            left[url] = untranslated
    assert left == {}, f"pages in {language} still in English: {left}"


def test_the_same_page_in_english_keeps_its_english_wording(india_us: None, client: Client):
    html = client.get(reverse("overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html and "Needs review" in html
    assert f"Dates as of {dt.date.today():%-d %B %Y}." in html


def test_a_french_reader_sees_french_words_and_french_dates(india_us: None, client: Client):
    html = client.get(reverse("overview"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Aller au contenu" in html and "À vérifier" in html
    today = dt.date.today()
    with translation.override("fr"):
        assert f"Dates au {formats.date_format(today, 'j F Y')}." in html
    assert re.search(r"Dates au \d{1,2} [a-zéû]+ \d{4}\.", html)


def test_hindi_writes_numeric_dates_day_month_year_with_hyphens_as_gigw_asks() -> None:
    day = dt.date(2027, 3, 9)
    with translation.override("hi"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "09-03-2027"
        assert formats.date_format(day, "DATE_FORMAT") == "9 मार्च 2027"
    with translation.override("fr"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "09/03/2027"
        assert formats.date_format(day, "DATE_FORMAT") == "9 mars 2027"


def test_statuses_are_said_in_the_readers_language(india_us: None, client: Client) -> None:
    html = client.get(
        reverse("negotiation", args=["india-us-bta"]), HTTP_ACCEPT_LANGUAGE="hi"
    ).content.decode()
    badges = re.findall(r'<span class="badge status-[a-z_]+">([^<]*)</span>', html)
    assert badges and all(re.search(r"[\u0900-\u097F]", text) for text in badges), badges


def test_the_footer_links_switch_the_language_and_go_back_to_the_page(
    india_us: None, client: Client
) -> None:
    page = reverse("upcoming")
    english = client.get(page).content.decode()
    link = f"{reverse('set_language', args=['hi'])}?next={page.replace('/', '%2F')}"
    assert link in english
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == page
    assert "सामग्री पर जाएँ" in client.get(page, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_the_footer_link_never_sends_a_reader_to_another_site(client: Client) -> None:
    response = client.get(reverse("set_language", args=["fr"]) + "?next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("set_language", args=["de"])).status_code == 404


def test_the_accounts_language_wins_over_the_browsers_on_every_device(
    india_us: None, editor: Client
) -> None:
    response = editor.post(reverse("account_language"), {"language": "fr"})
    assert response.status_code == 302
    user = get_user_model().objects.get(username="asha")
    assert AccountLanguage.objects.get(user=user).language == "fr"
    other_device = Client()
    other_device.force_login(user)
    html = other_device.get(reverse("overview"), HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert '<html lang="fr">' in html and "Vue d’ensemble" in html


def test_an_unknown_account_language_is_refused_and_nothing_is_kept(editor: Client) -> None:
    assert editor.post(reverse("account_language"), {"language": "xx"}).status_code == 404
    assert not AccountLanguage.objects.exists()


def test_subscription_emails_are_written_in_the_subscribers_language(india_us: None) -> None:
    before = translation.get_language()  # whatever the tests before this one left
    negotiation = Milestone.objects.get(slug="interim-deal-concluded").track.negotiation
    with committed():
        french = subscription_create(negotiation=negotiation, email="a@example.org", language="fr")
        plain = subscription_create(negotiation=negotiation, email="b@example.org")
    assert (french.language, plain.language) == ("fr", "en")
    message = confirmation_email(french)
    assert message.subject.startswith("Confirmez vos rappels Tranche pour")
    assert "Confirmez pour commencer à les recevoir" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="fr">' in str(html)
    assert "Confirm to start receiving them" in confirmation_email(plain).body
    assert translation.get_language() == before  # the sender put the language back


def test_choosing_the_accounts_language_moves_its_subscriptions_emails_too(
    india_us: None, editor: Client
) -> None:
    user = get_user_model().objects.get(username="asha")
    negotiation = Milestone.objects.get(slug="interim-deal-concluded").track.negotiation
    with committed():
        subscription_create(negotiation=negotiation, user=user)
    editor.post(reverse("account_language"), {"language": "hi"})
    assert list(Subscription.objects.values_list("language", flat=True)) == ["hi"]


def test_the_accessibility_statement_is_linked_from_every_page_footer(
    india_us: None, client: Client
) -> None:
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    footer = html[html.index("<footer") :]
    assert f'href="{reverse("accessibility")}"' in footer
    statement = client.get(reverse("accessibility")).content.decode()
    assert "WCAG) 2.2 at level AA" in statement and "Known exceptions" in statement
    assert "axe-core" in statement


def test_every_coloured_status_says_its_status_in_words_beside_the_colour(
    india_us: None, client: Client
) -> None:
    """Badges and status-coloured text: each has words; colour is never the only signal."""
    for url in pages()[:8]:
        html = client.get(url).content.decode()
        coloured = re.findall(
            r'<(span|p|dd|strong|td)[^>]*class="[^"]*\b(?:badge|status-text-[a-z_]+)\b[^"]*"[^>]*>'
            r"(.*?)</\1>",
            html,
            flags=re.S,
        )
        for _tag, inner in coloured:
            words = re.sub(r"<[^>]+>", "", inner).strip()
            assert re.search(r"\w", words), f"{url}: a coloured status with no words: {inner!r}"
