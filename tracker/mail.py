"""An email backend that writes one .eml file per message (the embedded default).

Messages hold confirm and unsubscribe links, so the folder and each file are owner-only
from the moment they exist (tracker.owner_only).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone
from django.utils.crypto import get_random_string

from tracker.owner_only import make_private_folder, write_private_file


class EmlFileBackend(BaseEmailBackend):
    _lock = threading.Lock()

    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(str(file_path or getattr(settings, "EMAIL_FILE_PATH", "var/mail")))

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        make_private_folder(self.folder)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = self.folder / f"{stamp}-{get_random_string(8)}.eml"
            # Written aside, then renamed, so a reader never sees half a message.
            write_private_file(path, message.message().as_bytes())
            sent += 1
        return sent
