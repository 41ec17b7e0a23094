from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tranche tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tracker import languages, models, run_folder, security  # noqa: F401

        # First: nothing below may find VAR_DIR or the generated secret key missing.
        run_folder.prepare()
        security.register_checks()
        _check_retry_schedule()
        # The webhook admin pages live beside the webhooks; admin autodiscovery finds only
        # tracker/admin.py, whose helpers they use.
        import tracker.admin_articles
        import tracker.webhooks.admin  # noqa: F401

        def edited(model: Any, **options: Any) -> None:
            """Log the fields people edit: not ids, timestamps, versions (kept beside each
            change, in additional_data) or the derived statuses."""
            derived: frozenset[str] = getattr(model, "DERIVED_FIELDS", frozenset())
            skipped = {*derived, "created_at", "updated_at", "version"}
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if not f.primary_key and f.name not in skipped
            ]
            auditlog.register(model, include_fields=fields, **options)

        edited(models.Party)
        edited(models.Source)
        edited(models.Negotiation, m2m_fields={"parties", "sources"})
        edited(models.Track, m2m_fields={"sources"})
        edited(models.Milestone, m2m_fields={"depends_on", "sources"})
        edited(models.Discrepancy, m2m_fields={"sources"})
        edited(models.Target, m2m_fields={"sources"})
        edited(models.Observation)
        edited(models.Series)
        # An article's text can be 200,000 characters: the log keeps what describes it.
        auditlog.register(
            models.Article,
            include_fields=[
                "title",
                "publisher",
                "published_on",
                "published_by",
                "url",
                "language",
            ],
        )
        auditlog.register(
            models.Proposal,
            include_fields=[
                "kind",
                "milestone",
                "target",
                "state",
                "decided_by",
                "rejection_reason",
            ],
        )


def _check_retry_schedule() -> None:
    """Refuse to start on a webhook retry schedule that cannot be read, naming the setting."""
    from django.core.exceptions import ImproperlyConfigured

    from tracker.webhooks.endpoints import retry_schedule
    from tracker.webhooks.schedule import ScheduleError

    try:
        retry_schedule()
    except ScheduleError as error:
        raise ImproperlyConfigured(f"TRACKER_WEBHOOK_RETRY_SCHEDULE: {error}") from None
