"""assess_track is an ordered rule table (tracker.status.TRACK_HEALTH_RULES) that mirrors
docs/design.md's numbered "Track `health`" rules: same order, same outcomes."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.status import TRACK_HEALTH_RULES

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def numbered_track_rules() -> list[tuple[int, str]]:
    """The (number, health) of each rule under "Track `health`, first rule that applies"."""
    text = DESIGN.read_text()
    section = text.split("Track `health`, first rule that applies", 1)[1]
    section = section.split("`progress` =", 1)[0]
    return [(int(n), health) for n, health in re.findall(r"^(\d+)\. `(\w+)`", section, re.M)]


def test_the_design_numbers_its_track_rules_one_to_six_without_a_gap() -> None:
    assert [n for n, _ in numbered_track_rules()] == list(range(1, 7))


def test_the_track_rule_table_follows_the_numbered_rules_of_the_design_in_order() -> None:
    assert [str(rule.health) for rule in TRACK_HEALTH_RULES] == [
        health for _, health in numbered_track_rules()
    ]


def test_each_track_rule_is_its_own_small_function() -> None:
    judges = [rule.judge for rule in TRACK_HEALTH_RULES]
    assert len(set(judges)) == len(judges)
    assert [j.__name__ for j in judges] == [f"_{rule.health}" for rule in TRACK_HEALTH_RULES]
