"""The Hindi and French catalogues (tracker/locale): complete, and compiled as committed.

The first test runs makemessages over a copy of the code, so a string marked for
translation anywhere without an entry in a catalogue fails here, as does an entry left
empty or fuzzy. The .mo files are committed; the second test compiles the .po files
again and checks the committed ones say the same.
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "tracker" / "locale"
LANGUAGES = ("hi", "fr")


def gettext_tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: install GNU gettext (apt-get install gettext)"
    return found


def entries(output: str) -> list[str]:
    """The msgids in msgattrib's output, the header (msgid "") left out."""
    return [
        line for line in output.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
    ]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """makemessages run over a copy of the code, merging into a copy of the catalogues."""
    copy = tmp_path_factory.mktemp("catalogues")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static")
    shutil.copytree(ROOT / "config", copy / "config", ignore=ignore)
    shutil.copytree(ROOT / "tracker", copy / "tracker", ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "PYTHONPATH": str(copy), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    command += ["-e", "html,txt,py", *(f"-l{code}" for code in LANGUAGES)]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    return copy / "tracker" / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_has_a_translation_that_is_neither_empty_nor_fuzzy(
    fresh_catalogues: Path, language: str
) -> None:
    po = fresh_catalogues / language / "LC_MESSAGES" / "django.po"
    msgattrib = gettext_tool("msgattrib")
    untranslated = subprocess.run(
        [msgattrib, "--untranslated", "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fuzzy = subprocess.run(
        [msgattrib, "--only-fuzzy", "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert entries(untranslated) == [], f"untranslated in {language}: run makemessages, translate"
    assert entries(fuzzy) == [], f"fuzzy in {language}: check and clear the fuzzy flags"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_compiled_catalogue_is_its_source_compiled(
    tmp_path: Path, language: str
) -> None:
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    # --check: placeholders such as %(name)s must survive translation unchanged.
    subprocess.run(
        [gettext_tool("msgfmt"), "--check", "-o", str(compiled), str(source)],
        check=True,
        capture_output=True,
    )
    with compiled.open("rb") as fresh, (source.with_suffix(".mo")).open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == (  # type: ignore[attr-defined]
            gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        ), f"tracker/locale/{language} is stale: run `manage.py compilemessages`"
