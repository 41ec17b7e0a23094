"""Work that follows a write: once per transaction, after it commits.

A write service says which negotiations and milestones it touched; the first mark in a
transaction schedules one callback with ``transaction.on_commit``, and later marks join
it. After the commit that callback refreshes the touched negotiations' statuses (one
set-based pass, whatever the number of rows written) and plans their milestones'
reminders. Nothing runs for a transaction that rolls back. The periodic jobs remain the
safety net: if this follow-up fails, the write still stands and beat catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

_ATTRIBUTE = "tranche_followups"


@dataclass(eq=False)
class Followups:
    negotiation_ids: set[int] = field(default_factory=set)
    milestone_ids: set[int] = field(default_factory=set)
    ran: bool = False

    def run(self) -> None:
        # Imported here: the refresh and the planner read models that import this package.
        from tracker.refresh import refresh_statuses
        from tracker.reminders.planning import plan_reminders

        self.ran = True
        if self.negotiation_ids:
            refresh_statuses(negotiation_ids=sorted(self.negotiation_ids))
        if self.milestone_ids:
            plan_reminders(milestone_ids=sorted(self.milestone_ids))

    def is_scheduled_on(self, connection: BaseDatabaseWrapper) -> bool:
        # A rolled-back savepoint drops its callbacks; then this batch is gone too.
        return not self.ran and any(entry[1] == self.run for entry in connection.run_on_commit)


def after_commit(
    *, negotiation_ids: Iterable[int | None] = (), milestone_ids: Iterable[int | None] = ()
) -> Followups:
    """Refresh these negotiations and plan these milestones once the transaction commits."""
    connection = transaction.get_connection()
    batch: Followups | None = getattr(connection, _ATTRIBUTE, None)
    fresh = batch is None or not connection.in_atomic_block or not batch.is_scheduled_on(connection)
    if fresh:
        batch = Followups()
    assert batch is not None
    batch.negotiation_ids.update(i for i in negotiation_ids if i is not None)
    batch.milestone_ids.update(i for i in milestone_ids if i is not None)
    if fresh:
        setattr(connection, _ATTRIBUTE, batch)
        # robust: the write has committed; a failing refresh is logged, the next beat repairs.
        transaction.on_commit(batch.run, robust=True)
    return batch
