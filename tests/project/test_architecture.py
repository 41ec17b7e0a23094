"""The layering, read from the source: arrows point down and never loop.

Every module under tracker/ is parsed with ast, and every import in it counts, at
module level or inside a function: an import tucked into a function is still an arrow,
it only hides a loop until the function runs. An import of `a.b.c` is an arrow to
`a.b.c` alone, not to the packages above it: a package that gathers its modules in
`__init__.py` (tracker/services/) is not a loop with each of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

TRACKER = Path(__file__).resolve().parents[2] / "tracker"
JOBS = "tracker.tasks"
PURE = (
    "tracker.deadlines",
    "tracker.status",
    "tracker.figures",
    "tracker.webhooks.schedule",
    "tracker.track_record",
    "tracker.outlook",
)


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # the dotted name as resolved (relative imports made absolute)
    target: str | None  # the tracker module it loads, or None for anything outside tracker
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tracker_modules() -> dict[str, Path]:
    return {module_name(path, TRACKER): path for path in sorted(TRACKER.rglob("*.py"))}


def _known(dotted: str, known: AbstractSet[str]) -> str | None:
    """The module a dotted name loads: itself if it is a module, else its nearest package."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def imports_in(
    source: str, *, module: str, is_package: bool, known: AbstractSet[str]
) -> list[Import]:
    """Every import statement in `source`, wherever it stands: ast.walk visits function
    bodies, and `if TYPE_CHECKING:` blocks too (a loop in the types is a loop in the design)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, _known(alias.name, known), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from tracker.reminders import planning` loads the module planning.
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in known else _known(base, known)
                found.append(Import(module, base, target, node.lineno))
    return found


def all_imports() -> list[Import]:
    modules = tracker_modules()
    found: list[Import] = []
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        is_package = path.name == "__init__.py"
        found += imports_in(source, module=name, is_package=is_package, known=modules.keys())
    return found


def import_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for i in imports:
        graph.setdefault(i.importer, set())
        if i.target is not None and i.target != i.importer:
            graph[i.importer].add(i.target)
    return graph


def loops(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Each group of modules that import one another, found by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def describe_loop(graph: Mapping[str, Iterable[str]], group: list[str]) -> str:
    path = closed_path(graph, group)
    text = " → ".join(path)
    if len(path) - 1 == len(group):
        return text
    return f"{text}, one of the loops joining {len(group)} modules: {', '.join(group)}"


def closed_path(graph: Mapping[str, Iterable[str]], group: list[str]) -> list[str]:
    """The shortest path from the group's first module back to itself, within the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for successor in sorted(graph.get(node, ())):
            if successor == start:
                return [*paths[node], start]
            if successor in members and successor not in paths:
                paths[successor] = [*paths[node], successor]
                queue.append(successor)
    raise AssertionError(f"{group} is not a loop")


# --- the reader itself can fail: these pin what it sees ----------------------------------


def test_the_reader_sees_module_level_function_level_and_relative_imports() -> None:
    source = (
        "import django\n"
        "from tracker.models import Milestone\n"
        "from . import planning\n"
        "def later():\n"
        "    from tracker.tasks import plan_reminders\n"
        "    import tracker.reminders.outbox\n"
    )
    known = {
        "tracker",
        "tracker.models",
        "tracker.tasks",
        "tracker.reminders",
        "tracker.reminders.outbox",
        "tracker.reminders.planning",
        "tracker.reminders.links",
    }
    found = imports_in(source, module="tracker.reminders.links", is_package=False, known=known)
    assert {(i.imported, i.target) for i in found} == {
        ("django", None),
        ("tracker.models", "tracker.models"),
        ("tracker.reminders", "tracker.reminders.planning"),
        ("tracker.tasks", "tracker.tasks"),
        ("tracker.reminders.outbox", "tracker.reminders.outbox"),
    }


def test_the_loop_finder_names_every_module_of_a_loop_and_ignores_a_diamond() -> None:
    graph = {"a": {"b", "d"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": set(), "f": {"d", "e"}}
    assert loops(graph) == [["a", "b", "c"]]
    assert closed_path(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_the_reader_finds_the_jobs_layer_importing_the_reminders() -> None:
    graph = import_graph(all_imports())
    assert "tracker.reminders.planning" in graph[JOBS]
    assert "tracker.models" in graph["tracker.reminders.planning"]


# --- the rules ---------------------------------------------------------------------------


def test_no_module_but_the_jobs_layer_imports_the_celery_tasks() -> None:
    offenders = [
        f"{i.importer} (line {i.line})"
        for i in all_imports()
        if i.target == JOBS and i.importer != JOBS
    ]
    assert not offenders, (
        "The jobs layer calls the domain, never the reverse, yet these modules import "
        f"{JOBS}: " + ", ".join(offenders)
    )


def test_only_the_jobs_layer_knows_celery() -> None:
    offenders = [
        f"{i.importer} (line {i.line})"
        for i in all_imports()
        if i.imported.split(".")[0] == "celery" and i.importer != JOBS
    ]
    assert not offenders, "Only tracker.tasks may import celery; also: " + ", ".join(offenders)


def test_tracker_modules_import_each_other_without_a_loop() -> None:
    graph = import_graph(all_imports())
    found = loops(graph)
    assert not found, "These tracker modules import each other in a loop:\n" + "\n".join(
        "  " + describe_loop(graph, group) for group in found
    )


def test_the_pure_rule_modules_import_nothing_from_django_or_tracker() -> None:
    offenders = [
        f"{i.importer} imports {i.imported} (line {i.line})"
        for i in all_imports()
        if i.importer in PURE
        and i.imported.split(".")[0] in {"django", "tracker"}
        # One pure module may use another: status words its reasons with tracker.figures.
        and i.imported not in PURE
    ]
    assert not offenders, (
        "Deadlines and status rules take plain values and return plain values, yet: "
        + "; ".join(offenders)
    )
