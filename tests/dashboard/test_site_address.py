"""Issue 20, "One site address": unset, SITE_URL is where the web process listens
(WEB_BIND, which the Procfile's gunicorn binds), and bootstrap prints that address."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loopback import bind_url
from tests.security.conftest import manage

LINKS = (
    "from django.conf import settings; "
    "from tracker.reminders.unsubscribe import absolute; "
    "print(settings.SITE_URL); print(absolute('/signup/verify/'))"
)

# An empty SITE_URL counts as unset, whatever the environment running the tests holds.
UNSET = {"WEB_BIND": "127.0.0.1:18400", "SITE_URL": ""}


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:18400", "http://127.0.0.1:18400"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),
        ("[::]:9000", "http://[::1]:9000"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("localhost", "http://localhost:8000"),
        ("tranche.example.org:443", "http://tranche.example.org:443"),
    ],
)
def test_a_bind_answers_at_the_address_a_browser_on_this_machine_uses(bind: str, url: str) -> None:
    assert bind_url(bind) == url


def test_unset_site_url_follows_web_bind_in_every_link(tmp_path: Path) -> None:
    shell = manage(tmp_path / "var", "shell", "--no-imports", "-c", LINKS, env=UNSET)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines() == [
        "http://127.0.0.1:18400",
        "http://127.0.0.1:18400/signup/verify/",
    ]
    chosen = manage(
        tmp_path / "var",
        "shell",
        "--no-imports",
        "-c",
        LINKS,
        env={"WEB_BIND": "127.0.0.1:18400", "SITE_URL": "https://tranche.example.org/"},
    )
    assert chosen.stdout.splitlines()[0] == "https://tranche.example.org"


@pytest.mark.slow  # bootstrap migrates, collects and loads in a process of its own
def test_bootstrap_prints_the_address_the_web_server_listens_on(tmp_path: Path) -> None:
    bootstrap = manage(
        tmp_path / "var",
        "bootstrap",
        env={**UNSET, "STATIC_ROOT": str(tmp_path / "static")},
    )
    assert bootstrap.returncode == 0, bootstrap.stderr
    out = bootstrap.stdout
    assert "Dashboard: http://127.0.0.1:18400/\n" in out
    assert "Admin:     http://127.0.0.1:18400/admin/" in out
    assert "API:       http://127.0.0.1:18400/api/docs/" in out
    assert "The web server (honcho start) listens on 127.0.0.1:18400.\n" in out
    assert ":8000" not in out
