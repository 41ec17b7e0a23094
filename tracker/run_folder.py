"""The run-time folder (settings.VAR_DIR), made when Django starts, not when settings load.

It holds the generated secret key, the SQLite database, the filesystem broker's folders
and outgoing mail, so it is owner-only from the moment it exists (tracker.owner_only).
Every process that starts Django (manage.py commands, gunicorn, Celery workers and beat)
calls `prepare()` from TrackerConfig.ready(); importing the settings alone creates nothing.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings

from tracker.owner_only import create_private_file, make_private_folder

SQLITE = "django.db.backends.sqlite3"


def prepare() -> None:
    """Make what the settings point at under VAR_DIR and may not exist yet."""
    make_private_folder(Path(settings.VAR_DIR))
    if settings.SECRET_KEY_GENERATED:
        # Read again even when the settings found the file: written by a racing process,
        # the winner's key is the one every process must use.
        settings.SECRET_KEY = _generated_secret_key(Path(settings.SECRET_KEY_FILE))
    for database in settings.DATABASES.values():
        if database["ENGINE"] == SQLITE and str(database["NAME"]) != ":memory:":
            # Empty and owner-only before SQLite opens it (SQLite would make it 0644).
            path = Path(database["NAME"])
            if path.parent.is_dir():
                create_private_file(path)
    if settings.CELERY_BROKER_URL == "filesystem://":
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for name in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            Path(str(options[name])).mkdir(parents=True, exist_ok=True)


def _generated_secret_key(path: Path) -> str:
    """The machine's key, written once (of two racing processes, one wins)."""
    create_private_file(path, secrets.token_urlsafe(50).encode())
    return path.read_text().strip()
