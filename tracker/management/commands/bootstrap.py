from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config.loopback import bind_url
from tracker.owner_only import write_private_file


class Command(BaseCommand):
    help = (
        "Prepare an embedded install: migrate, load the India–US record, refresh statuses "
        "and make sure an admin account exists. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # Needed with DEBUG off (whitenoise serves the collected, hashed files).
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_record")
        call_command("refresh_status")
        password_file = settings.VAR_DIR / "admin-password"
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            # Owner-only from the start: the file never exists readable by others.
            write_private_file(password_file, (password + "\n").encode())
            User.objects.create_superuser("admin", "admin@localhost", password)
        password = password_file.read_text().strip() if password_file.exists() else "(unchanged)"
        site = settings.SITE_URL
        # The Procfile's gunicorn binds WEB_BIND, as settings read it; SITE_URL defaults to it.
        listening = bind_url(settings.WEB_BIND)
        where = f"  The web server (honcho start) listens on {settings.WEB_BIND}"
        if listening != site:
            where += f"; links use SITE_URL, {site}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nTranche is ready.\n"
                f"  Dashboard: {site}/\n"
                f"  Admin:     {site}/admin/  user: admin  password: {password}\n"
                f"  API:       {site}/api/docs/\n"
                f"  (the password is kept in {password_file})\n"
                f"{where}.\n"
            )
        )
