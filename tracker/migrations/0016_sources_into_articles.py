"""Today's sources become quotes of articles (issue 19).

Sources that name the same published text (title, publisher, URL and dates) share one
article. Its text is the file of docs/sources/ in which most of their excerpts are found;
each excerpt is then found in it as a span, exactly or with spacing, quotation marks and
dashes read loosely (tracker.quotes). An excerpt that cannot be found is reported here and
kept as it was, a quote without a span: nothing is dropped, nothing is invented. Editors
may read and write articles and decide proposals.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

from tracker.quotes import find_span

TEXTS = Path(__file__).resolve().parents[2] / "docs" / "sources"
EDITED = ["article", "proposal"]


def _texts() -> dict[str, str]:
    if not TEXTS.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TEXTS.glob("*.txt"))}


def sources_into_articles(apps: Any, schema_editor: Any) -> None:
    Source = apps.get_model("tracker", "Source")
    Article = apps.get_model("tracker", "Article")
    texts = _texts()
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for source in Source.objects.filter(article__isnull=True).order_by("id"):
        about = (
            source.title,
            source.publisher,
            source.url,
            source.published_on,
            source.published_by,
        )
        groups.setdefault(about, []).append(source)
    for (title, publisher, url, published_on, published_by), quotes in groups.items():
        name, text = _best_text(texts, [q.excerpt for q in quotes])
        article = Article.objects.create(
            title=title,
            publisher=publisher,
            url=url,
            published_on=published_on,
            published_by=published_by,
            text=text,
        )
        for quote in quotes:
            span = find_span(text, quote.excerpt)
            quote.article = article
            if span is None:
                where = f"in {name}" if name else "(no text in docs/sources/ holds it)"
                sys.stdout.write(
                    f"\n  Source {quote.slug!r}: excerpt not found {where}; "
                    f"kept without a span: {quote.excerpt[:80]!r}"
                )
            else:
                quote.start, quote.end = span
            quote.save(update_fields=["article", "start", "end"])


def _best_text(texts: dict[str, str], excerpts: list[str]) -> tuple[str, str]:
    """The file that holds the most of these excerpts (none: no file, no text)."""
    best, found = ("", ""), 0
    for name, text in texts.items():
        count = sum(find_span(text, excerpt) is not None for excerpt in excerpts)
        if count > found:
            best, found = (name, text), count
    return best


def articles_into_sources(apps: Any, schema_editor: Any) -> None:
    # The quotes keep the article's fields as their own; only the link goes.
    apps.get_model("tracker", "Source").objects.update(article=None, start=None, end=None)
    apps.get_model("tracker", "Article").objects.all().delete()


def let_editors_read_articles(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{m}" for m in EDITED for action in ("add", "change", "delete", "view")]
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0016_articles_and_proposals"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(sources_into_articles, articles_into_sources),
        migrations.RunPython(let_editors_read_articles, migrations.RunPython.noop),
    ]
