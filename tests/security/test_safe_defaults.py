"""Issue 11, defects 2 and 9: no debug page for visitors, no secrets on error pages, and
production settings from the environment with `check --deploy` clean."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.views.debug import (
    ExceptionReporter,
    get_default_exception_reporter_filter,
    technical_500_response,
)

from tests.security.conftest import manage, mode
from tracker.security import CredentialMaskingFilter

PRODUCTION = {
    "SECRET_KEY": "k7Qz-production-key-for-tests-only-3fJ9vX2mP8sL1nR6tY4wB0cE5gH",
    "ALLOWED_HOSTS": "tranche.example.org",
    "SITE_URL": "https://tranche.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_COOKIES": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
}
PRINT_SETTINGS = (
    "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY_GENERATED, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
)


def test_with_nothing_configured_debug_is_off_and_an_owner_only_key_is_generated(tmp_path):
    var = tmp_path / "var"
    first = manage(var, "shell", "--no-imports", "-c", PRINT_SETTINGS)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == ["False", "True", "False", "False", "False", "0", "None"]
    key = var / "secret-key"
    assert mode(key) == 0o600 and len(key.read_text().strip()) >= 50
    kept = key.read_text()
    assert manage(var, "shell", "-c", "print(1)").returncode == 0
    assert key.read_text() == kept, "the key must survive restarts (signed links)"


def test_production_security_settings_come_from_the_environment(tmp_path):
    result = manage(tmp_path / "var", "shell", "--no-imports", "-c", PRINT_SETTINGS, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=6) == [
        "False",
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]
    assert not (tmp_path / "var" / "secret-key").exists()


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path):
    result = manage(
        tmp_path / "var", "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_production_still_lacks_on_the_defaults(tmp_path):
    result = manage(tmp_path / "var", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016", "tracker.W001"):
        assert warning in result.stderr, warning


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", "192.0.2.10:8000", "[::]:8000", "example.org"])
def test_debug_mode_refuses_to_bind_beyond_this_machine(tmp_path, bind):
    result = manage(tmp_path / "var", "check", env={"DEBUG": "true", "WEB_BIND": bind})
    assert result.returncode != 0
    assert "WEB_BIND must be on this machine" in result.stderr


@pytest.mark.parametrize("bind", ["127.0.0.1:8000", "[::1]:8000", "localhost:9000", "unix:/tmp/t"])
def test_debug_mode_starts_on_loopback(tmp_path, bind):
    result = manage(tmp_path / "var", "check", env={"DEBUG": "true", "WEB_BIND": bind})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_in_debug_mode_a_visitor_from_elsewhere_sees_no_debug_page(settings):
    settings.DEBUG = True
    from_here = Client(REMOTE_ADDR="127.0.0.1").get("/no-such-page/")
    assert from_here.status_code == 404 and b"URLconf" in from_here.content  # the leak
    for visitor in (
        Client(REMOTE_ADDR="203.0.113.7"),
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"),
        Client(REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=203.0.113.7"),
    ):
        response = visitor.get("/no-such-page/")
        assert response.status_code == 403
        assert b"URLconf" not in response.content and b"admin/" not in response.content


@pytest.mark.django_db
def test_with_debug_off_a_missing_page_lists_no_urls(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content and b"api/" not in response.content


SECRETS = {
    "EMAIL_URL": "smtp://mailer:s3cret-mail@mail.example.org:587",
    "REDIS_URL": "redis://:s3cret-redis@cache.example.org:6379/0",
    "CELERY_BROKER_URL": "redis://:s3cret-broker@cache.example.org:6379/0",
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "redis://:s3cret-cache@cache.example.org:6379/1",
        }
    },
}


def _request_as_runserver_makes_it() -> HttpRequest:
    """runserver puts the process environment into request.META."""
    request = RequestFactory().get("/")
    request.META["DATABASE_URL"] = "postgres://tranche:s3cret-db@db.example.org/tranche"
    return request


@pytest.fixture
def configured_with_passwords(settings):
    settings.DEBUG = True
    for name, value in SECRETS.items():
        setattr(settings, name, value)


def _fail() -> None:
    raise RuntimeError("boom")


def test_error_pages_mask_the_passwords_inside_url_settings_and_the_environment(
    configured_with_passwords,
):
    # (No secret in this function's source or locals: the page shows both.)
    request = _request_as_runserver_makes_it()
    try:
        _fail()
    except RuntimeError:
        exc_info = sys.exc_info()
    page = technical_500_response(request, *exc_info).content.decode()
    email = ExceptionReporter(request, *exc_info).get_traceback_text()
    for text in (page, email):
        assert "boom" in text and "EMAIL_URL" in text and "DATABASE_URL" in text
        assert "s3cret" not in text


def test_the_masking_filter_is_the_one_every_error_report_uses():
    assert isinstance(get_default_exception_reporter_filter(), CredentialMaskingFilter)


def test_passwords_inside_urls_are_masked_wherever_they_stand():
    cleanse = CredentialMaskingFilter().cleanse_setting
    assert cleanse("LOCATION", "redis://u:p@h:1/0") == CredentialMaskingFilter.cleansed_substitute
    assert cleanse("NOTE", "see smtp+tls://user:pw@mail:587 and redis://:x@h/0") == (
        "see smtp+tls://********@mail:587 and redis://********@h/0"
    )
    assert cleanse("SITE_NAME", "Tranche") == "Tranche"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/upcoming/", "/admin/login/", "/api/docs/", "/login/"])
def test_pages_carry_a_content_security_policy_that_allows_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_the_api_docs_inline_stylesheet_carries_the_nonce_of_its_policy(client):
    response = client.get("/api/docs/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce and f'<style nonce="{nonce.group(1)}">' in response.content.decode()


TEMPLATES = Path(__file__).resolve().parents[2] / "tracker" / "templates"


def test_page_templates_hold_no_inline_script_and_no_style_attribute():
    """The policy would block them; emails are not pages and keep their inline styles."""
    for template in TEMPLATES.rglob("*.html"):
        if "email" in template.parts:
            continue
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert " style=" not in text, template
        assert all("nonce=" in tag for tag in re.findall(r"<style[^>]*>", text)), template
