"""How many account emails one address may be sent, and how many sign-ups one client may
start (django-ratelimit).

Counted per recipient address, whichever accounts or clients ask, so nobody can flood an
address that is not theirs; and counted for every address, known or not, so that the
limit's bookkeeping does not tell which addresses have accounts. The counts live in the
"limits" cache (settings.RATELIMIT_USE_CACHE): Redis, shared by every web and worker
process, when REDIS_URL is set; otherwise files under var/limits/, shared by the
processes of one machine.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from tracker.security import client_address

# django-ratelimit's "count/period" (s, m, h, d): fixed windows, staggered per key.
SIGN_UP_MAILS = "5/h"  # verification (or, for a known address, reset) emails to one address
RESET_MAILS = "5/h"  # password-reset emails to one address
NEW_ADDRESS_MAILS_PER_RECIPIENT = 3
NEW_ADDRESS_MAILS = f"{NEW_ADDRESS_MAILS_PER_RECIPIENT}/d"  # "verify your new address" links
SIGN_UPS_PER_CLIENT_PER_HOUR = 10
SIGN_UPS_PER_CLIENT = f"{SIGN_UPS_PER_CLIENT_PER_HOUR}/h"

_RATES = {"sign_up": SIGN_UP_MAILS, "reset": RESET_MAILS, "new_address": NEW_ADDRESS_MAILS}


def one_more_mail_allowed(*, kind: str, recipient: str) -> bool:
    """Count one more `kind` email ("sign_up", "reset", "new_address") to `recipient`;
    False once that address is over the kind's rate."""
    address = recipient.strip().lower()

    def key(group: str, request: Any) -> str:
        return address  # django-ratelimit hashes it into the cache key

    limited = is_ratelimited(
        None, group=f"tranche.mail.{kind}", key=key, rate=_RATES[kind], increment=True
    )
    return not limited


def one_more_sign_up_allowed(request: HttpRequest) -> bool:
    """Count a sign-up from this client (tracker.security.client_address, as failed
    logins are counted); False once it is over SIGN_UPS_PER_CLIENT."""

    def key(group: str, request: HttpRequest) -> str:
        return client_address(request)

    limited = is_ratelimited(
        request, group="tranche.sign-up.client", key=key, rate=SIGN_UPS_PER_CLIENT, increment=True
    )
    return not limited
