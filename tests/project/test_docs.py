"""The docs say what the code does: every path, module, command and setting they name exists,
the deadline table reads as the parser reads, and the README stays short."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.core.management import get_commands

from tracker.deadlines import ACCEPTED_FORMS, parse_deadline

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
EXAMPLE_ENV = DOCS / "example.env"
SETTINGS = ROOT / "config" / "settings.py"

START = (
    "python3.11 -m venv .venv && . .venv/bin/activate && pip install --require-hashes "
    "-r requirements.lock && python manage.py bootstrap && honcho start"
)
TEST = (
    "python3.11 -m venv .venv && . .venv/bin/activate && pip install --require-hashes "
    "-r requirements.lock && pytest"
)
# The day the deadline table's examples are read as said on; the table says so too.
TABLE_SAID_ON = dt.date(2026, 11, 22)


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up while the module is being made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _text() -> str:
    return "\n".join(page.read_text() for page in PAGES)


# --- the README ---------------------------------------------------------------------------


def test_the_readme_fits_in_200_lines() -> None:
    assert len(README.read_text().splitlines()) <= 200


def test_the_readme_keeps_the_one_start_command_and_the_one_test_command() -> None:
    lines = README.read_text().splitlines()
    assert START in lines
    assert TEST in lines


# --- the deadline table -------------------------------------------------------------------


def _deadline_table() -> list[tuple[list[str], str, str, str]]:
    """(examples, earliest, latest, precision) for each row of docs/design.md's table."""
    lines = (DOCS / "design.md").read_text().splitlines()
    header = lines.index("| form | examples | earliest | latest | precision |")
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        _, examples, earliest, latest, precision = cells
        rows.append((re.findall(r"`([^`]+)`", examples), earliest, latest, precision))
    return rows


def test_the_design_has_one_deadline_table_and_says_the_day_its_examples_were_said() -> None:
    design = (DOCS / "design.md").read_text()
    assert design.count("| form | examples | earliest | latest | precision |") == 1
    assert "read as said on **22 November 2026**" in design
    every_page = _text()
    # No second copy, in any page: the old README's header is gone everywhere.
    assert "| text | earliest – latest | precision |" not in every_page


def test_every_example_in_the_deadline_table_reads_as_the_window_it_states() -> None:
    rows = _deadline_table()
    assert len(rows) >= 30
    checked = 0
    for examples, earliest, latest, precision in rows:
        assert examples, f"a row without an example: {earliest} – {latest}"
        for text in examples:
            deadline = parse_deadline(text, TABLE_SAID_ON)
            stated = (earliest, latest, precision)
            read = (deadline.earliest.isoformat(), deadline.latest.isoformat(), deadline.precision)
            assert read == stated, f"{text!r} reads as {read}, the table says {stated}"
            checked += 1
    assert checked >= 50


def test_the_deadline_table_shows_every_form_the_parser_lists_as_accepted() -> None:
    examples = {text for row in _deadline_table() for text in row[0]}
    assert [form for form in ACCEPTED_FORMS if form not in examples] == []


# --- paths, modules and commands named in the docs ----------------------------------------

PATH = re.compile(r"`((?:tracker|config)/[^`\s]*)`")
DOTTED = re.compile(r"`((?:tracker|config)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
COMMAND = re.compile(r"(?:manage\.py|tranche-manage)\s+([a-z][a-z0-9_]*)")


def test_every_code_path_named_in_the_docs_exists() -> None:
    named = set(PATH.findall(_text()))
    assert len(named) >= 20
    missing = sorted(path for path in named if not (ROOT / path.rstrip("/")).exists())
    assert missing == []


CHECK_ID = re.compile(r"tracker\.[EW][0-9]{3}")
PERMISSION = re.compile(r"tracker\.(?:add|change|delete|view)_([a-z]+)")


def _resolves(dotted: str) -> bool:
    """A module, or a name inside one; also a system check's id or a model permission."""
    if CHECK_ID.fullmatch(dotted):
        code = dotted.split(".")[1]
        return any(
            f'"tracker.{code}"' in path.read_text() for path in (ROOT / "tracker").rglob("*.py")
        )
    permission = PERMISSION.fullmatch(dotted)
    if permission:
        try:
            apps.get_model("tracker", permission[1])
        except LookupError:
            return False
        return True
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_every_module_and_function_named_in_the_docs_exists() -> None:
    named = set(DOTTED.findall(_text()))
    assert "tracker.figures.countdown" in named
    assert sorted(name for name in named if not _resolves(name)) == []


def test_every_management_command_named_in_the_docs_is_a_command() -> None:
    named = set(COMMAND.findall(_text()))
    assert {"bootstrap", "load_record", "createsuperuser", "migrate", "collectstatic"} <= named
    assert sorted(named - set(get_commands())) == []


def test_the_resolvers_catch_what_does_not_exist() -> None:
    assert not _resolves("tracker.figures.no_such_function")
    assert not _resolves("tracker.no_such_module")
    assert not _resolves("tracker.W999")
    assert not _resolves("tracker.change_nothing")
    assert "no_such_command" not in get_commands()


# --- settings -----------------------------------------------------------------------------

# Read from the environment by the settings, but by tools rather than by people.
NOT_SETTINGS = {"PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE"}


def _env_names() -> list[str]:
    names = []
    for line in EXAMPLE_ENV.read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.append(match[1])
    return names


def _is_environment_read(call: ast.Call) -> bool:
    """os.environ.get(…), os.getenv(…), env(…), env.bool(…), envbool(…), envlist(…)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id.lower().startswith(("env", "_env", "getenv"))
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Attribute) and owner.attr == "environ":
            return func.attr in {"get", "setdefault", "pop"}
        if isinstance(owner, ast.Name):
            return owner.id in {"env", "os"} and func.attr != "path"
    return False


def _settings_read() -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Call) and _is_environment_read(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names - NOT_SETTINGS


def test_the_example_env_file_names_each_setting_once() -> None:
    names = _env_names()
    assert len(names) == len(set(names))


def test_every_setting_in_the_example_env_file_is_read_by_the_settings() -> None:
    assert sorted(set(_env_names()) - _settings_read()) == []


def test_every_setting_the_settings_read_is_in_the_example_env_file() -> None:
    read = _settings_read()
    assert {"DATABASE_URL", "SECRET_KEY", "DEBUG", "TRACKER_PUBLIC"} <= read
    assert sorted(read - set(_env_names())) == []


# --- pages made at build time -------------------------------------------------------------


def test_every_dependency_in_pyproject_has_a_reason_on_the_dependencies_page() -> None:
    hooks = _hooks()
    text = (ROOT / "pyproject.toml").read_text()
    project = tomllib.loads(text)["project"]
    for array, declared in (
        ("dependencies", project["dependencies"]),
        ("dev", project["optional-dependencies"]["dev"]),
    ):
        groups = hooks.dependency_groups(text, array)
        listed = [package for group in groups for package in group.packages]
        assert listed == declared
        assert all(group.reason for group in groups)
    page = hooks.dependencies_page(text)
    assert "`mkdocs-material>=9.5`" in page


def test_a_dependency_without_a_comment_fails_the_build() -> None:
    hooks = _hooks()
    with pytest.raises(ValueError, match="has no comment"):
        hooks.dependency_groups('dependencies = [\n    "left-pad>=1",\n]\n', "dependencies")


def test_the_api_reference_lists_every_operation_of_the_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    page = _hooks().api_reference(schema)
    operations = [
        f"### `{method.upper()} {path}`"
        for path, item in schema["paths"].items()
        for method in ("get", "post", "put", "patch", "delete")
        if method in item
    ]
    assert len(operations) >= 50
    assert [heading for heading in operations if heading not in page] == []
    assert "### Milestone { #schema-milestone }" in page


# --- no history ---------------------------------------------------------------------------

HISTORY = re.compile(r"\b(?:issue|wave) \d+\b|\bmigration \d{4}\b|\bissues? #?\d+", re.IGNORECASE)


def test_the_docs_tell_no_history() -> None:
    found = [
        f"{page.relative_to(ROOT)}: {match[0]}"
        for page in PAGES
        for match in HISTORY.finditer(page.read_text())
    ]
    assert found == []
