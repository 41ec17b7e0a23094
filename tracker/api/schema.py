"""The published OpenAPI schema names every answer a client can get, in a shape that
validators and client generators nobody here wrote accept (issue 21).

drf-spectacular describes the success answers it reads from each view. The failures come
from DRF and from tracker.api.errors, the same for every view, so one postprocessing hook
adds them rather than seventy decorators:

- 400 with field messages wherever a body or a query parameter is read;
- 401 and 403 wherever credentials are read (a bad token, a reader who may not write);
- 404 wherever the path names a record, or a list can be paged past its end;
- 415 wherever a body is read: the API takes JSON (multipart only where a file is uploaded);
- 409 stays where a view declares it (deciding a proposal twice).

It also types the few schemas drf-spectacular leaves without one (`nullable` beside `allOf`),
gives every operation a summary and the schema a server, as OpenAPI linters ask.
"""

from __future__ import annotations

import re
from typing import Any

METHODS = ("get", "put", "post", "patch", "delete")

ERROR = {
    "type": "object",
    "description": "What went wrong, in words.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "example": {"detail": "Not found."},
}
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Each field that was refused, with its messages; `detail` or `non_field_errors` "
        "when the request as a whole was. A nested field (a deadline's `latest`) answers "
        "with an object of its own fields."
    ),
    "additionalProperties": {},
    "example": {"deadline": ["Cannot read “soonish” as a deadline."]},
}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


FAILURES = {
    "400": _answer("The request was refused; the messages say which field and why.", "FieldErrors"),
    "401": _answer("No valid credentials: log in, or send `Authorization: Token …`.", "Error"),
    "403": _answer("These credentials may not do this.", "Error"),
    "404": _answer("No such record, or no such page.", "Error"),
    "415": _answer("The body is not JSON.", "Error"),
}


def failures(operation: dict[str, Any], *, path: str) -> list[str]:
    """The 4xx answers this operation can give, from what it reads."""
    parameters = operation.get("parameters", [])
    codes = []
    if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
        codes.append("400")
    if operation.get("security"):
        codes += ["401", "403"]
    pages = any(p.get("name") in ("page", "cursor") for p in parameters)
    if "{" in path or pages:
        codes.append("404")
    if "requestBody" in operation:
        codes.append("415")
    return codes


def summary(operation_id: str) -> str:
    """`milestones_partial_update` → "Change some fields of one milestone"."""
    for action, verb, one in ACTIONS:
        if operation_id.endswith(f"_{action}"):
            resource = operation_id[: -len(action) - 1].replace("_", " ")
            return f"{verb} {singular(resource) if one else resource}"
    return operation_id.replace("_", " ").capitalize()


ACTIONS = (
    ("partial_update", "Change some fields of one", True),
    ("update", "Replace one", True),
    ("destroy", "Delete one", True),
    ("retrieve", "Read one", True),
    ("list", "List", False),
    ("create", "Add one", True),
)


def singular(words: str) -> str:
    if words.endswith("series"):
        return words
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words.removesuffix("s")


def typed(node: Any, schemas: dict[str, Any]) -> None:
    """Give a type to every `nullable` schema that has none (a `$ref` under allOf or oneOf):
    OpenAPI 3.0 applies `nullable` only beside a `type`."""
    if isinstance(node, list):
        for item in node:
            typed(item, schemas)
        return
    if not isinstance(node, dict):
        return
    if node.get("nullable") and "type" not in node:
        for ref in re.findall(r"#/components/schemas/(\w+)", repr(node)):
            kind = schemas.get(ref, {}).get("type") or _enum_type(schemas.get(ref, {}))
            if kind:
                node["type"] = kind
                break
    for value in node.values():
        typed(value, schemas)


def _enum_type(schema: dict[str, Any]) -> str | None:
    values = [value for value in schema.get("enum", []) if value is not None]
    if values and all(isinstance(value, int) for value in values):
        return "integer"
    if values and all(isinstance(value, str) for value in values):
        return "string"
    return None


def document_failures(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular's POSTPROCESSING_HOOKS entry (see the module's docstring)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation.setdefault("summary", summary(operation["operationId"]))
            operation.setdefault("security", [])  # the token endpoint: no credentials read
            responses = operation.setdefault("responses", {})
            for code in failures(operation, path=path):
                responses.setdefault(code, dict(FAILURES[code]))
            for code, answer in responses.items():
                if code.startswith("4") and "content" not in answer:
                    # Declared in a view with words only (429 on the token endpoint): the
                    # body is still JSON, as tracker.api.errors and tracker.security write it.
                    answer["content"] = FAILURES["400" if code == "400" else "404"]["content"]
    typed(schemas, schemas)
    return result
