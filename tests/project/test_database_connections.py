"""Persistent database connections (docs/deploy.md "Database connections"): what the
settings make of DATABASE_URL, CONN_MAX_AGE and DISABLE_SERVER_SIDE_CURSORS.

Each test reads config/settings.py afresh with its own environment, as a process started
with it would."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

POSTGRES = "postgres://tranche:secret@db.example.org:5432/tranche"


def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, Any]:
    """DATABASES["default"] as a process with `env` (and no other database variable) sees it."""
    for name in ("DATABASE_URL", "CONN_MAX_AGE", "DISABLE_SERVER_SIDE_CURSORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRANCHE_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings.py"))
    default: dict[str, Any] = values["DATABASES"]["default"]
    return default


def test_a_postgresql_connection_is_kept_for_a_minute_and_checked_before_reuse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = database(monkeypatch, tmp_path, DATABASE_URL=POSTGRES)

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_conn_max_age_zero_opens_a_connection_per_request_as_behind_pgbouncer_in_session_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = database(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, CONN_MAX_AGE="0")

    assert db["CONN_MAX_AGE"] == 0
    assert db["CONN_HEALTH_CHECKS"] is True


def test_an_empty_conn_max_age_keeps_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = database(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, CONN_MAX_AGE="")

    assert db["CONN_MAX_AGE"] == 60


def test_server_side_cursors_can_be_turned_off_for_pgbouncer_in_transaction_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = database(monkeypatch, tmp_path, DATABASE_URL=POSTGRES, DISABLE_SERVER_SIDE_CURSORS="true")

    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["CONN_MAX_AGE"] == 60


def test_the_embedded_sqlite_database_keeps_connections_with_its_wal_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = database(monkeypatch, tmp_path)

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "tranche.sqlite3")
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert "PRAGMA journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_running_processes_check_their_connection_before_reusing_it() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
