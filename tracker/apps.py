from __future__ import annotations

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tranche tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tracker import models

        # Stored statuses are derived (tracker.refresh), not edits: the log leaves them out.
        bookkeeping = ["created_at", "updated_at"]
        auditlog.register(models.Party)
        auditlog.register(models.Source)
        auditlog.register(
            models.Negotiation,
            exclude_fields=[*models.Negotiation.DERIVED_FIELDS, *bookkeeping],
            m2m_fields={"parties", "sources"},
        )
        auditlog.register(
            models.Track,
            exclude_fields=[*models.Track.DERIVED_FIELDS, *bookkeeping],
            m2m_fields={"sources"},
        )
        auditlog.register(
            models.Milestone,
            exclude_fields=[*models.Milestone.DERIVED_FIELDS, *bookkeeping],
            m2m_fields={"depends_on", "sources"},
        )
        auditlog.register(
            models.Target,
            exclude_fields=[*models.Target.DERIVED_FIELDS, *bookkeeping],
            m2m_fields={"sources"},
        )
        auditlog.register(models.Observation)
