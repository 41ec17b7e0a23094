"""Issue 11, defect 4: password guessing is cut off on every login route, and API and
calendar-feed tokens are stored hashed, expire or rotate, and die with the password."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.security.conftest import PASSWORD
from tracker import services
from tracker.models import CalendarFeedToken

START = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
FAILURE_LIMIT = 10


@pytest.fixture(autouse=True)
def quick_hashing(settings) -> None:
    """Many logins per test: a fast hasher keeps the suite quick; the rules are the same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def dashboard_login(username: str, password: str, address: str) -> int:
    """200 with the form again (refused), 302 (signed in), or 429 (locked out)."""
    return (
        Client(REMOTE_ADDR=address)
        .post("/login/", {"username": username, "password": password})
        .status_code
    )


def admin_login(username: str, password: str, address: str) -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return response.status_code


def token_login(username: str, password: str, address: str) -> int:
    response = APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    return response.status_code


Route = Callable[[str, str, str], int]
ROUTES: dict[str, tuple[Route, int]] = {
    "/login/": (dashboard_login, 302),
    "/admin/login/": (admin_login, 302),
    "/api/v1/auth/token/": (token_login, 200),
}


def signs_in(route: str, username: str, address: str) -> bool:
    login, success = ROUTES[route]
    return login(username, PASSWORD, address) == success


@pytest.fixture
def staff(editor: User) -> User:
    editor.is_staff = True  # so that the admin login can succeed too
    editor.save()
    return editor


def _fail_everywhere(username: str, *, addresses: Callable[[int], str]) -> None:
    """FAILURE_LIMIT wrong passwords, spread over the three routes."""
    routes = list(ROUTES.values())
    for attempt in range(FAILURE_LIMIT):
        login, success = routes[attempt % len(routes)]
        assert login(username, f"wrong-{attempt}", addresses(attempt)) != success


@pytest.mark.parametrize("route", list(ROUTES))
def test_ten_wrong_passwords_for_one_user_lock_every_route_even_to_the_right_password(
    staff, route, clock
):
    _fail_everywhere("editor", addresses=lambda n: f"198.51.100.{n + 1}")
    login, _ = ROUTES[route]
    assert login("editor", "wrong-again", "203.0.113.50") == 429
    assert login("editor", PASSWORD, "203.0.113.51") == 429  # the right one, elsewhere
    clock.shift(dt.timedelta(minutes=31))
    assert signs_in(route, "editor", "203.0.113.52")


@pytest.mark.parametrize("route", list(ROUTES))
def test_ten_wrong_passwords_from_one_address_lock_it_out_for_every_user(staff, route, clock):
    _fail_everywhere("nobody", addresses=lambda n: "192.0.2.66")
    login, _ = ROUTES[route]
    assert login("editor", PASSWORD, "192.0.2.66") == 429
    assert signs_in(route, "editor", "192.0.2.67"), "other addresses are not locked"
    clock.shift(dt.timedelta(minutes=31))
    assert signs_in(route, "editor", "192.0.2.66")


def test_nine_wrong_passwords_still_let_the_right_one_in(staff):
    for attempt in range(FAILURE_LIMIT - 1):
        assert token_login("editor", f"wrong-{attempt}", "198.51.100.9") == 400
    assert signs_in("/api/v1/auth/token/", "editor", "198.51.100.9")


def test_the_token_endpoint_says_why_it_refuses_during_a_lockout(staff):
    _fail_everywhere("editor", addresses=lambda n: "198.51.100.10")
    response = APIClient(REMOTE_ADDR="198.51.100.10").post(
        "/api/v1/auth/token/", {"username": "editor", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert int(response["Retry-After"]) == 30 * 60


def test_an_administrator_unlocks_a_user_at_once_with_axes_reset_username(staff):
    _fail_everywhere("editor", addresses=lambda n: f"198.51.100.{n + 20}")
    assert token_login("editor", PASSWORD, "203.0.113.60") == 429
    call_command("axes_reset_username", "editor")
    assert signs_in("/login/", "editor", "203.0.113.60")


@pytest.fixture
def settings_behind_one_proxy(settings):
    settings.TRUSTED_PROXIES = 1


def test_behind_a_trusted_proxy_addresses_are_counted_from_x_forwarded_for(
    staff, settings_behind_one_proxy
):
    def through_proxy(client_address: str, spoofed: str) -> APIClient:
        # What the client wrote first, then what our proxy appended.
        return APIClient(
            REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{spoofed}, {client_address}"
        )

    for attempt in range(FAILURE_LIMIT):
        through_proxy("192.0.2.80", f"10.0.0.{attempt}").post(
            "/api/v1/auth/token/", {"username": f"guess{attempt}", "password": "x"}
        )
    locked = through_proxy("192.0.2.80", "10.9.9.9").post(
        "/api/v1/auth/token/", {"username": "editor", "password": PASSWORD}, format="json"
    )
    assert locked.status_code == 429
    other = through_proxy("192.0.2.81", "192.0.2.80").post(
        "/api/v1/auth/token/", {"username": "editor", "password": PASSWORD}, format="json"
    )
    assert other.status_code == 200, "another visitor behind the same proxy is not locked"


def _token(username: str = "editor") -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return str(response.json()["token"])


def _authorised(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/subscriptions/").status_code


def _stored_text() -> str:
    """Every value in the tables that hold tokens, as one string."""
    rows: list[object] = []
    with connection.cursor() as cursor:
        for table in (AuthToken._meta.db_table, CalendarFeedToken._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            rows.extend(cursor.fetchall())
    return repr(rows)


def test_api_tokens_are_stored_only_as_hashes(staff):
    token = _token()
    assert _authorised(token) == 200
    assert token not in _stored_text()
    assert AuthToken.objects.get(user=staff).digest != token


def test_api_tokens_expire_after_thirty_days(staff, clock):
    token = _token()
    clock.shift(dt.timedelta(days=29))
    assert _authorised(token) == 200
    clock.shift(dt.timedelta(days=2))
    assert _authorised(token) == 401


@pytest.fixture
def feed_url(staff: User) -> str:
    make_milestone(make_track(make_negotiation()))
    client = APIClient()
    client.force_authenticate(staff)
    body = client.post("/api/v1/calendar/feed/").json()
    return urlsplit(body["url"]).path


def test_calendar_feed_secrets_are_stored_only_as_hashes(staff, feed_url):
    secret = feed_url.removeprefix("/calendar/").removesuffix(".ics")
    assert Client().get(feed_url).status_code == 200
    assert secret not in _stored_text()
    assert CalendarFeedToken.objects.get(user=staff).digest == (
        hashlib.sha256(secret.encode()).hexdigest()
    )
    client = APIClient()
    client.force_authenticate(staff)
    assert secret not in client.get("/api/v1/calendar/feed/").content.decode()


def test_rotating_the_feed_secret_stops_the_old_url(staff, feed_url):
    client = APIClient()
    client.force_authenticate(staff)
    new_url = urlsplit(client.post("/api/v1/calendar/feed/").json()["url"]).path
    assert Client().get(feed_url).status_code == 404
    assert Client().get(new_url).status_code == 200


def test_changing_the_password_in_the_admin_revokes_api_tokens_and_the_feed(staff, feed_url):
    token = _token()
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root-long-1")
    desk = Client()
    desk.force_login(admin)
    response = desk.post(
        f"/admin/auth/user/{staff.pk}/password/",
        {"password1": "a new passphrase 2", "password2": "a new passphrase 2"},
    )
    assert response.status_code == 302
    assert _authorised(token) == 401
    assert Client().get(feed_url).status_code == 404


def test_the_password_change_service_revokes_api_tokens_and_the_feed(staff, feed_url):
    token = _token()
    services.password_change(user_id=staff.pk, password="another passphrase 3")
    assert _authorised(token) == 401
    assert Client().get(feed_url).status_code == 404
    assert not AuthToken.objects.filter(user=staff).exists()
    staff.refresh_from_db()
    assert staff.check_password("another passphrase 3")


def test_changing_ones_own_password_revokes_api_tokens_and_the_feed_but_keeps_the_session(
    staff, feed_url
):
    token = _token()
    reader = Client()
    reader.force_login(staff)
    response = reader.post(
        "/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a new passphrase 4",
            "new_password2": "a new passphrase 4",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/password/change/done/"
    assert _authorised(token) == 401
    assert Client().get(feed_url).status_code == 404
    # The page that changed it signs this session in again with the new password's hash.
    assert reader.get("/account/").status_code == 200


def test_setting_a_password_from_a_reset_link_revokes_api_tokens_and_the_feed(staff, feed_url):
    token = _token()
    staff.refresh_from_db()  # the login stamped last_login, which the reset token covers
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    link = Client()
    form = link.get(f"/password/reset/{uid}/{default_token_generator.make_token(staff)}/")
    assert form.status_code == 302
    response = link.post(
        form["Location"],
        {"new_password1": "a new passphrase 5", "new_password2": "a new passphrase 5"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/done/"
    assert _authorised(token) == 401
    assert Client().get(feed_url).status_code == 404


def test_the_set_password_command_revokes_api_tokens_and_the_feed(staff, feed_url, monkeypatch):
    token = _token()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a new passphrase 6")
    call_command("set_password", staff.username, stdout=StringIO())
    assert _authorised(token) == 401
    assert Client().get(feed_url).status_code == 404
    staff.refresh_from_db()
    assert staff.check_password("a new passphrase 6")


def test_saving_a_user_without_a_new_password_keeps_their_tokens(staff, feed_url):
    token = _token()
    staff.first_name = "Ed"
    staff.save()
    assert _authorised(token) == 200
    assert Client().get(feed_url).status_code == 200
