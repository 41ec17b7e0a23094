"""Set a user's password from the command line (Django's `changepassword`, through the
service): their API tokens and private calendar feed URL are revoked with it."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker import services

TRIES = 3


class Command(BaseCommand):
    help = "Set a user's password; their API tokens and calendar feed URL are revoked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> str:
        User = get_user_model()
        try:
            user = User._default_manager.get(**{User.USERNAME_FIELD: options["username"]})
        except User.DoesNotExist:
            raise CommandError(f"No user is called {options['username']!r}.") from None
        for _ in range(TRIES):
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ. Try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            services.password_change(user_id=user.pk, password=password)
            return f"Password changed for {user}; their API tokens and feed URL are revoked."
        raise CommandError(f"No password set for {user} after {TRIES} tries.")
