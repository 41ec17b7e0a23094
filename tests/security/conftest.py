"""Helpers for the security suite: accounts, and Tranche started as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-editor-1 long enough"
# What the environment may carry that would change the defaults under test.
CONFIGURATION = (
    "DEBUG",
    "SECRET_KEY",
    "WEB_BIND",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "STATIC_ROOT",
    "DJANGO_SETTINGS_MODULE",
)


@pytest.fixture
def editor(db: None) -> User:
    user = User.objects.create_user("editor", "editor@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The process environment of a fresh embedded install in `var_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIGURATION}
    env.update(TRANCHE_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT), **overrides)
    return env


def manage(
    var_dir: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python manage.py ARGS` as its own process, under the common umask 022."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(var_dir, **(env or {})),
        capture_output=True,
        text=True,
        timeout=300,
        umask=0o022,
        check=False,
    )


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
