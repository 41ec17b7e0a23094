"""Slugs people need not think of: derived from the title or name when none is given."""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify

from tracker.models import Milestone, Negotiation, Source, Target, Track

# Per kind: the field the slug is read from, and the parent it is unique within (None:
# unique across the table), as the models' unique constraints say.
SLUGGED: dict[type[models.Model], tuple[str, str | None]] = {
    Negotiation: ("name", None),
    Source: ("title", None),
    Track: ("name", "negotiation_id"),
    Milestone: ("title", "track_id"),
    Target: ("name", "negotiation_id"),
}


def derive_slug(record: models.Model) -> None:
    """Give `record` a slug from its title or name when it has none: slugify's reading,
    with -2, -3, … added when a sibling already has it. A slug given is left alone."""
    if getattr(record, "slug", "") or type(record) not in SLUGGED:
        return
    text_field, parent = SLUGGED[type(record)]
    field = record._meta.get_field("slug")
    assert isinstance(field, models.SlugField)
    max_length = field.max_length or 50
    base = slugify(str(getattr(record, text_field) or ""))[: max_length - 4].strip("-")
    base = base or record._meta.model_name or "item"
    siblings = type(record)._default_manager.all()
    if parent is not None:
        siblings = siblings.filter(**{parent: getattr(record, parent)})
    taken = set(siblings.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    record.slug = slug  # type: ignore[attr-defined]
