"""Every calendar feed and a reminder's attachment, read by ical.js (npm) and vobject: each
reads the calendar's name whole and every event Tranche wrote."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import vobject
from django.contrib.auth.models import User
from django.test import Client

from tests.conformance.tools import node, npm_package
from tracker.calendar.feeds import milestone_ics
from tracker.models import Milestone

READ = """
const ICAL = require('ical.js');
const fs = require('fs');
const out = process.argv.slice(1).map((path) => {
  const calendar = new ICAL.Component(ICAL.parse(fs.readFileSync(path, 'utf8')));
  const events = calendar.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e));
  return {name: calendar.getFirstPropertyValue('x-wr-calname'),
          uids: events.map((e) => e.uid), summaries: events.map((e) => e.summary)};
});
process.stdout.write(JSON.stringify(out));
"""


def written(ics: bytes) -> tuple[str, list[str]]:
    """The name and UIDs as Tranche meant them: unfolded, unescaped by hand."""
    text = re.sub(r"\r\n[ \t]", "", ics.decode())
    name = re.search(r"^X-WR-CALNAME:(.*)$", text, re.M)
    assert name is not None
    unescaped = re.sub(r"\\([\\;,])", r"\1", name.group(1).strip()).replace("\\n", "\n")
    return unescaped, re.findall(r"^UID:(.*)$", text.replace("\r", ""), re.M)


def problems(calendars: dict[str, bytes], folder: Path) -> list[str]:
    npm_package("ical.js")
    paths = []
    for index, ics in enumerate(calendars.values()):
        path = folder / f"{index}.ics"
        path.write_bytes(ics)
        paths.append(str(path))
    done = node(READ, *paths)
    assert done.returncode == 0, done.stderr
    found = []
    for (label, ics), read in zip(calendars.items(), json.loads(done.stdout), strict=True):
        name, uids = written(ics)
        if read["name"] != name:
            found.append(f"ical.js reads {label}'s name as {read['name']!r}, not {name!r}")
        if sorted(read["uids"]) != sorted(uids):
            found.append(f"ical.js reads other events in {label}")
        calendar = vobject.readOne(ics.decode())
        read_name = calendar.contents["x-wr-calname"][0].value
        if read_name != name:
            found.append(f"vobject reads {label}'s name as {read_name!r}, not {name!r}")
        events = calendar.contents.get("vevent", [])
        if sorted(event.uid.value for event in events) != sorted(uids):
            found.append(f"vobject reads other events in {label}")
        if not uids and label != "empty":
            found.append(f"{label} has no events to check")
    return found


@pytest.fixture
def calendars(record: None) -> dict[str, bytes]:
    reader = Client()
    reader.force_login(User.objects.create_user("reader", "reader@example.org"))
    private = reader.post("/api/v1/calendar/feed/").json()["url"]
    urls = ["/calendar.ics", "/negotiations/india-us-bta/calendar.ics", private]
    found = {url: reader.get(url) for url in urls}
    assert all(answer.status_code == 200 for answer in found.values())
    feeds = {url: answer.getvalue() for url, answer in found.items()}
    milestone = Milestone.objects.order_by("pk").first()
    assert milestone is not None
    feeds["reminder attachment"] = milestone_ics(milestone, revisions=0)
    return feeds


def test_ical_js_and_vobject_read_every_feed_and_a_reminder_attachment_whole(calendars, tmp_path):
    assert problems(calendars, tmp_path) == []


def test_an_unescaped_calendar_name_is_caught(calendars, tmp_path):
    feed = calendars["/calendar.ics"]
    broken = re.sub(rb"X-WR-CALNAME:[^\r]*", b"X-WR-CALNAME:EU, India; FTA", feed)
    assert any("name as" in problem for problem in problems({"broken": broken}, tmp_path))
