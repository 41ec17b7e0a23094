"""The settings read the environment strictly and, imported, change nothing on disk."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import StrictEnv
from tests.security.conftest import ROOT, environment

IMPORT_AND_LIST_APP_MODULES = (
    "import sys, config.settings; "
    "print(sorted(m for m in sys.modules if m == 'tracker' or m.startswith('tracker.')))"
)


def import_settings(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`import config.settings` in a process of its own, as gunicorn or Celery would."""
    return subprocess.run(
        [sys.executable, "-c", IMPORT_AND_LIST_APP_MODULES],
        cwd=ROOT,
        env=environment(var_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_settings_creates_no_file_or_folder_and_imports_no_app_module(
    tmp_path: Path,
) -> None:
    var = tmp_path / "fresh-var"
    result = import_settings(var)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert not var.exists()
    assert list(tmp_path.iterdir()) == []


def test_debug_ture_is_refused_naming_the_variable(tmp_path: Path) -> None:
    result = import_settings(tmp_path / "var", DEBUG="ture")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be true or false" in result.stderr
    assert "'ture'" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRACKER_PUBLIC", "nope", "TRACKER_PUBLIC must be true or false"),
        ("SECURE_SSL_REDIRECT", "Ture", "SECURE_SSL_REDIRECT must be true or false"),
        ("SECURE_HSTS_SECONDS", "1y", "SECURE_HSTS_SECONDS must be a whole number"),
        ("TRACKER_STALE_AFTER_DAYS", "90.5", "TRACKER_STALE_AFTER_DAYS must be a whole number"),
        ("OUTBOX_LEASE_SECONDS", "soon", "OUTBOX_LEASE_SECONDS must be a number"),
    ],
)
def test_a_boolean_or_number_setting_that_does_not_parse_is_refused_by_name(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = import_settings(tmp_path / "var", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def reader(**environ: str) -> StrictEnv:
    env = StrictEnv()
    env.ENVIRON = environ
    return env


@pytest.mark.parametrize("word", ["1", "true", "TRUE", " yes ", "on"])
def test_the_accepted_words_for_true_read_as_true(word: str) -> None:
    assert reader(DEBUG=word).bool("DEBUG", False) is True


@pytest.mark.parametrize("word", ["0", "false", "False", "no", "off"])
def test_the_accepted_words_for_false_read_as_false(word: str) -> None:
    assert reader(DEBUG=word).bool("DEBUG", True) is False


@pytest.mark.parametrize("word", ["ture", "y", "ok", "2", "enabled", "²"])
def test_any_other_word_for_a_boolean_is_refused(word: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG must be true or false"):
        reader(DEBUG=word).bool("DEBUG", False)


def test_an_unset_or_empty_variable_reads_as_its_default() -> None:
    assert reader().bool("DEBUG", True) is True
    assert reader(DEBUG="").bool("DEBUG", True) is True
    assert reader(TRUSTED_PROXIES=" ").int("TRUSTED_PROXIES", 2) == 2
    assert reader().float("OUTBOX_LEASE_SECONDS", 90) == 90.0


@pytest.mark.parametrize("value", ["1e3", "٣", "0x10", "3.0", "nan"])
def test_a_whole_number_setting_takes_ascii_digits_only(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^TRUSTED_PROXIES must be a whole number"):
        reader(TRUSTED_PROXIES=value).int("TRUSTED_PROXIES", 0)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "ten"])
def test_a_seconds_setting_must_be_a_finite_number(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^OUTBOX_LEASE_SECONDS must be a number"):
        reader(OUTBOX_LEASE_SECONDS=value).float("OUTBOX_LEASE_SECONDS", 90)


def test_numbers_read_as_numbers() -> None:
    env = reader(TRUSTED_PROXIES="2", OUTBOX_LEASE_SECONDS="7.5", CONN_MAX_AGE="-1")
    assert env.int("TRUSTED_PROXIES", 0) == 2
    assert env.float("OUTBOX_LEASE_SECONDS", 90) == 7.5
    assert env.int("CONN_MAX_AGE", 60) == -1


def test_django_setup_makes_the_owner_only_var_folder_and_its_key(tmp_path: Path) -> None:
    var = tmp_path / "var"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(len(settings.SECRET_KEY))",
        ],
        cwd=ROOT,
        env=environment(var, DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 50
    assert var.stat().st_mode & 0o777 == 0o700
    assert (var / "secret-key").read_text().strip()
    assert {p.name for p in (var / "broker").iterdir()} == {"queue", "processed", "control"}


def test_docs_settings_lists_exactly_the_variables_the_settings_read() -> None:
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env\.(?:bool|int|float|text|words)\(\s*"([A-Z_]+)"', source))
    table = (ROOT / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert "DEBUG" in read and "REDIS_URL" in read
    assert documented == read
