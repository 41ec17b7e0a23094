"""Issue 22, finding 5: a NUL in search or admin autocomplete is a 400, never a 500 (run
this file on PostgreSQL too, which refuses NUL in any text); and 6to4 addresses that embed a
private IPv4 address, and IPv6 site-local addresses, are refused as webhook targets."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import make_negotiation
from tracker.webhooks.addresses import RefusedAddress, resolve

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["\x00", "india\x00us", "%00"])
def test_a_nul_in_search_is_a_400_not_a_500(client: Client, query: str) -> None:
    make_negotiation()
    response = client.get("/search/", {"q": query})
    if query == "%00":  # the literal text: an ordinary search
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "NUL" in response.content.decode()


def test_a_nul_in_admin_autocomplete_is_a_400_not_a_500(client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    source = {"app_label": "tracker", "model_name": "subscription", "field_name": "user"}
    assert client.get("/admin/autocomplete/", {**source, "term": "root"}).status_code == 200
    response = client.get("/admin/autocomplete/", {**source, "term": "ro\x00ot"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
        "http://[2002:7f00::1]:8080/hook",
        "http://[2002:a00:1::1]/",  # 10.0.0.1
        "http://[2002:c0a8:1::1]/",  # 192.168.0.1
        "http://[2002:a9fe:a9fe::1]/",  # 169.254.169.254
        "http://[fec0::1]/",  # site-local
        "http://[fed0:1::1]/",
        "http://[feff::1]/",
    ],
)
def test_6to4_around_a_private_address_and_site_local_addresses_are_refused(
    url: str, settings: Any
) -> None:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(RefusedAddress):
        resolve(url)


@pytest.mark.parametrize("path", ["/", "/api/v1/milestones/", "/account/"])
@pytest.mark.parametrize("cookie", ["abc\x00defghijkl", "ABCDEFGHIJKLMNOP", "é" * 32])
def test_a_session_cookie_django_never_issued_is_read_as_no_session_and_cleared(
    client: Client, path: str, cookie: str
) -> None:
    make_negotiation()
    client.cookies["sessionid"] = cookie
    response = client.get(path)
    assert response.status_code in {200, 302}
    assert response.cookies["sessionid"].value == ""  # Django clears a session found empty


def test_a_session_django_issued_still_logs_the_user_in(client: Client) -> None:
    client.force_login(User.objects.create_user("ada", "ada@example.org", "pw"))
    assert client.get("/account/").status_code == 200
