"""MkDocs hooks: pages made from the code at build time, so they cannot drift from it.

- `api/openapi.json`: the OpenAPI schema, written by `manage.py spectacular` (drf-spectacular),
  the same document `/api/schema/` serves.
- `api/reference.md`: every operation and schema of that document as Markdown (no script,
  no CDN: the page reads like the rest of the site and works offline).
- `dependencies.md`: every dependency in pyproject.toml with the comment above it, the
  reason it is there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")


# --- the OpenAPI schema -------------------------------------------------------------------


def openapi_schema() -> str:
    """The schema as `manage.py spectacular` writes it, from a throwaway var folder."""
    with tempfile.TemporaryDirectory() as var_dir:
        # Settings keep run-time files (a generated key, the SQLite file) in TRANCHE_VAR_DIR:
        # a build leaves none behind in the checkout.
        env = {
            **os.environ,
            "TRANCHE_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        done = subprocess.run(
            [sys.executable, "manage.py", "spectacular", "--format", "openapi-json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py spectacular failed:\n{done.stderr}")
    return done.stdout


def _cell(text: object) -> str:
    """Text that fits in one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(name: str) -> str:
    return "schema-" + name.lower()


def _type(schema: dict[str, Any]) -> str:
    """A schema in a few words: `string (date)`, `array of [Milestone](#…)`, `a` or `b`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    for combined, joiner in (("allOf", " and "), ("oneOf", " or "), ("anyOf", " or ")):
        if combined in schema:
            words = joiner.join(_type(part) for part in schema[combined])
            return words + (" or null" if schema.get("nullable") else "")
    kind = schema.get("type", "any")
    if kind == "array":
        words = f"array of {_type(schema.get('items', {}))}"
    elif "enum" in schema:
        words = "one of " + ", ".join(f"`{value}`" for value in schema["enum"] if value != "")
    elif "format" in schema:
        words = f"{kind} ({schema['format']})"
    else:
        words = str(kind)
    return words + (" or null" if schema.get("nullable") else "")


def _schema_of(content: dict[str, Any]) -> str:
    """The body of a request or response, media type by media type."""
    return "; ".join(
        f"`{media}`: {_type(body.get('schema', {}))}" for media, body in content.items()
    )


def _operation(path: str, method: str, operation: dict[str, Any]) -> Iterator[str]:
    yield f"### `{method.upper()} {path}`"
    yield ""
    if operation.get("description"):
        yield operation["description"].strip()
        yield ""
    parameters = operation.get("parameters", [])
    if parameters:
        yield "| parameter | in | type | required | description |"
        yield "|---|---|---|---|---|"
        for parameter in parameters:
            yield (
                f"| `{parameter['name']}` | {parameter['in']} "
                f"| {_cell(_type(parameter.get('schema', {})))} "
                f"| {'yes' if parameter.get('required') else 'no'} "
                f"| {_cell(parameter.get('description', ''))} |"
            )
        yield ""
    body = operation.get("requestBody")
    if body:
        yield f"Request body: {_schema_of(body.get('content', {}))}"
        yield ""
    yield "| answer | body |"
    yield "|---|---|"
    for status, answer in operation.get("responses", {}).items():
        shown = _schema_of(answer.get("content", {})) or _cell(answer.get("description", ""))
        yield f"| {status} | {_cell(shown)} |"
    yield ""


def _component(name: str, schema: dict[str, Any]) -> Iterator[str]:
    yield f"### {name} {{ #{_anchor(name)} }}"
    yield ""
    if schema.get("description"):
        yield schema["description"].strip()
        yield ""
    properties = schema.get("properties")
    if not properties:
        yield f"Type: {_type(schema)}"
        yield ""
        return
    required = set(schema.get("required", []))
    yield "| field | type | required | notes |"
    yield "|---|---|---|---|"
    for field_name, field_schema in properties.items():
        notes = [field_schema.get("description", "")]
        if field_schema.get("readOnly"):
            notes.insert(0, "read-only.")
        if field_schema.get("writeOnly"):
            notes.insert(0, "write-only.")
        yield (
            f"| `{field_name}` | {_cell(_type(field_schema))} "
            f"| {'yes' if field_name in required else 'no'} | {_cell(' '.join(notes))} |"
        )
    yield ""


def api_reference(schema: dict[str, Any]) -> str:
    """The schema's operations, grouped by tag, then its schemas, as one Markdown page."""
    info = schema.get("info", {})
    lines = [
        "# API reference",
        "",
        f"{info.get('title', 'API')} {info.get('version', '')}: {info.get('description', '')}",
        "This page is generated from the OpenAPI schema at every build of these docs;",
        "the same schema is served by a running Tranche at `/api/schema/`, and is here as",
        "[openapi.json](openapi.json). How to authenticate, page and filter is in the",
        "[API guide](index.md).",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((path, method, item[method]))
    for tag in sorted(by_tag):
        lines += [f"## {tag}", ""]
        for path, method, operation in by_tag[tag]:
            lines += _operation(path, method, operation)
    components = schema.get("components", {}).get("schemas", {})
    if components:
        lines += ["## Schemas", ""]
        for name in sorted(components):
            lines += _component(name, components[name])
    return "\n".join(lines) + "\n"


# --- dependencies -------------------------------------------------------------------------


@dataclass
class DependencyGroup:
    """Packages listed together in pyproject.toml under one comment: the reason."""

    reason: str
    packages: list[str] = field(default_factory=list)


def dependency_groups(pyproject: str, array: str) -> list[DependencyGroup]:
    """The dependencies of one array (`dependencies`, `dev`) with the comments above them.

    A comment line starts a group; the requirements after it, up to the next comment,
    share its reason. A requirement with no comment above it at all is an error.
    """
    lines = iter(pyproject.splitlines())
    for line in lines:
        if line.strip().startswith(f"{array} = ["):
            break
    else:
        raise ValueError(f"pyproject.toml has no array {array!r}")
    groups: list[DependencyGroup] = []
    comment: list[str] = []
    for line in lines:
        text = line.strip()
        if text == "]":
            break
        if text.startswith("#"):
            comment.append(text.lstrip("#").strip())
        elif text.startswith('"'):
            requirement = text.strip('",')
            if comment:
                groups.append(DependencyGroup(" ".join(comment)))
                comment = []
            elif not groups:
                raise ValueError(f"{requirement} in {array!r} has no comment saying why")
            groups[-1].packages.append(requirement)
    return groups


def dependencies_page(pyproject: str) -> str:
    lines = [
        "# Dependencies",
        "",
        "Every package Tranche installs, and why it is there. This page is generated from",
        "`pyproject.toml` at every build of these docs: the reason is the comment above each",
        "dependency there, so a new dependency comes with its reason or the build fails.",
        "`requirements.lock` pins each one, with hashes.",
        "",
    ]
    for title, array in (("At run time", "dependencies"), ("For development (`.[dev]`)", "dev")):
        lines += [f"## {title}", "", "| package | why |", "|---|---|"]
        for group in dependency_groups(pyproject, array):
            packages = "<br>".join(f"`{package}`" for package in group.packages)
            lines.append(f"| {packages} | {_cell(group.reason)} |")
        lines.append("")
    return "\n".join(lines)


# --- the hook -----------------------------------------------------------------------------


def on_files(files: Files, config: MkDocsConfig) -> Files:
    schema_text = openapi_schema()
    pages = {
        "api/openapi.json": schema_text,
        "api/reference.md": api_reference(json.loads(schema_text)),
        "dependencies.md": dependencies_page((ROOT / "pyproject.toml").read_text()),
    }
    for path, content in pages.items():
        files.append(File.generated(config, path, content=content))
    return files
