"""The service layer: every write to the record is one call here, holding every rule.

The admin, the API, the dashboard forms and the record loader only translate their
input into these calls and the ValidationError they raise into their own errors.
Statuses are refreshed once per transaction, after it commits (followups.after_commit).
"""

from tracker.services.archive import (
    negotiation_archive,
    negotiation_restore,
    track_archive,
    track_restore,
)
from tracker.services.articles import article_create, quote_create
from tracker.services.deadlines import (
    agreed_fiscal_year_start,
    first_party,
    fiscal_year_start_of,
    read_deadline,
)
from tracker.services.followups import after_commit
from tracker.services.milestones import (
    Outcome,
    dependency_cycle,
    milestone_cancel,
    milestone_cite_announcement,
    milestone_complete,
    milestone_reopen,
    milestone_replace_history,
    milestone_save,
    milestone_set_deadline,
    milestone_set_dependencies,
    milestones_cancel,
    milestones_complete,
    settled_completion,
    stored,
    validate_dependencies,
)
from tracker.services.proposals import (
    ProposalDecided,
    proposal_accept,
    proposal_reject,
    proposals_supersede_changed,
)
from tracker.services.records import (
    article_save,
    discrepancy_save,
    lifecycle_template,
    negotiation_save,
    negotiation_start_lifecycle,
    observation_save,
    party_save,
    record_delete,
    record_save,
    records_delete,
    records_purge,
    series_save,
    source_save,
    target_save,
    track_save,
    validate_differing,
    validate_target,
)

__all__ = [
    "Outcome",
    "ProposalDecided",
    "after_commit",
    "agreed_fiscal_year_start",
    "article_create",
    "article_save",
    "dependency_cycle",
    "discrepancy_save",
    "first_party",
    "fiscal_year_start_of",
    "lifecycle_template",
    "milestone_cancel",
    "milestone_cite_announcement",
    "milestone_complete",
    "milestone_reopen",
    "milestone_replace_history",
    "milestone_save",
    "milestone_set_deadline",
    "milestone_set_dependencies",
    "milestones_cancel",
    "milestones_complete",
    "negotiation_archive",
    "negotiation_restore",
    "negotiation_save",
    "negotiation_start_lifecycle",
    "observation_save",
    "party_save",
    "proposal_accept",
    "proposal_reject",
    "proposals_supersede_changed",
    "quote_create",
    "read_deadline",
    "record_delete",
    "record_save",
    "records_delete",
    "records_purge",
    "series_save",
    "settled_completion",
    "source_save",
    "stored",
    "target_save",
    "track_archive",
    "track_restore",
    "track_save",
    "validate_dependencies",
    "validate_differing",
    "validate_target",
]
