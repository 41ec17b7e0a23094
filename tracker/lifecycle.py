"""Lifecycle templates: the steps every trade agreement goes through, as data.

A pure module (no Django). A template is one track of undated milestones in order, each
depending on the one before; `services.negotiation_start_lifecycle` creates them and an
editor then dates each step from the articles that announce it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    kind: str  # a Milestone.Kind value


@dataclass(frozen=True)
class Template:
    name: str
    track_slug: str
    track_name: str
    steps: tuple[Step, ...]


TRADE_AGREEMENT = Template(
    name="trade_agreement",
    track_slug="lifecycle",
    track_name="Agreement lifecycle",
    steps=(
        Step("terms-of-reference", "Terms of reference", "decision"),
        Step("negotiating-rounds", "Negotiating rounds", "meeting"),
        Step("conclusion", "Conclusion of negotiations", "decision"),
        Step("legal-scrubbing", "Legal scrubbing", "deadline"),
        Step("signature", "Signature", "meeting"),
        Step("ratification", "Ratification", "decision"),
        Step("entry-into-force", "Entry into force", "deadline"),
    ),
)

TEMPLATES: dict[str, Template] = {template.name: template for template in (TRADE_AGREEMENT,)}
