"""Issue 11, defect 3: what Tranche keeps on disk is its owner's alone, from the start.

The embedded start is run for real (bootstrap, then gunicorn as the Procfile runs it,
with DEBUG off by default): files are checked as it leaves them, under the common umask
022 that made the key, the database and mail 0644 before.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.mail import EmailMessage

from tests.security.conftest import ROOT, environment, manage, mode
from tracker.mail import EmlFileBackend
from tracker.owner_only import create_private_file, make_private_folder, write_private_file


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """`manage.py bootstrap` in a fresh folder, then gunicorn on a free loopback port."""
    home = tmp_path_factory.mktemp("embedded")
    var, static = home / "var", home / "static"
    bootstrap = manage(var, "bootstrap", env={"STATIC_ROOT": str(static)})
    assert bootstrap.returncode == 0, bootstrap.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment(var, STATIC_ROOT=str(static)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        umask=0o022,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A first page can take seconds on a busy machine: wait for it up to two minutes.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/", timeout=30)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        yield {"var": var, "base": base, "output": bootstrap.stdout}
    finally:
        web.terminate()
        web.wait(timeout=30)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.slow  # bootstrap (migrate, collectstatic, load) and gunicorn
def test_the_embedded_start_serves_the_dashboard_and_its_stylesheet_with_debug_off(embedded):
    status, headers, body = _get(f"{embedded['base']}/")
    assert status == 200 and b"India" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    stylesheet = re.search(rb'href="(/static/tracker/tranche\.[0-9a-f]+\.css)"', body)
    assert stylesheet, "the page links the collected, hashed stylesheet"
    status, headers, _ = _get(f"{embedded['base']}{stylesheet.group(1).decode()}")
    assert status == 200 and headers["Content-Type"].startswith("text/css")


@pytest.mark.slow  # bootstrap (migrate, collectstatic, load) and gunicorn
def test_the_embedded_start_shows_visitors_no_debug_page(embedded):
    status, _, body = _get(f"{embedded['base']}/no-such-page/")
    assert status == 404
    assert b"URLconf" not in body and b"api/" not in body


@pytest.mark.slow  # bootstrap (migrate, collectstatic, load) and gunicorn
def test_the_var_folder_and_the_files_in_it_are_owner_only(embedded):
    var = embedded["var"]
    assert isinstance(var, Path)
    assert mode(var) == 0o700
    for name in ("secret-key", "tranche.sqlite3", "admin-password"):
        assert mode(var / name) == 0o600, name
    for journal in var.glob("tranche.sqlite3-*"):
        assert mode(journal) == 0o600, journal.name


@pytest.mark.slow  # bootstrap (migrate, collectstatic, load) and gunicorn
def test_the_admin_password_printed_is_the_one_kept_in_the_file(embedded):
    var = embedded["var"]
    assert isinstance(var, Path)
    password = (var / "admin-password").read_text().strip()
    assert f"password: {password}" in str(embedded["output"])


def test_mail_files_are_owner_only_in_an_owner_only_folder(tmp_path):
    folder = tmp_path / "mail"
    previous = os.umask(0o022)
    try:
        sent = EmlFileBackend(file_path=str(folder)).send_messages(
            [EmailMessage("Confirm", "https://example.org/confirm/secret", to=["a@example.org"])]
        )
    finally:
        os.umask(previous)
    assert sent == 1
    assert mode(folder) == 0o700
    [message] = folder.iterdir()
    assert message.suffix == ".eml" and mode(message) == 0o600


def test_private_files_and_folders_get_their_mode_when_created_not_by_a_chmod(
    tmp_path, monkeypatch
):
    """With the most permissive umask and chmod forbidden, the modes still come out right."""

    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("chmod after the fact leaves a window open")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    previous = os.umask(0)
    try:
        make_private_folder(tmp_path / "var")
        assert create_private_file(tmp_path / "var" / "key", b"k")
        assert not create_private_file(tmp_path / "var" / "key", b"other")
        write_private_file(tmp_path / "var" / "password", b"p")
        write_private_file(tmp_path / "var" / "password", b"q")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "key") == 0o600
    assert (tmp_path / "var" / "key").read_bytes() == b"k"
    assert mode(tmp_path / "var" / "password") == 0o600
    assert (tmp_path / "var" / "password").read_bytes() == b"q"
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["key", "password"]


def test_a_fresh_database_is_owner_only_even_before_migrate_fills_it(tmp_path):
    result = manage(tmp_path / "var", "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "var" / "tranche.sqlite3") == 0o600
