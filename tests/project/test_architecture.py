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


# --- one path per change: model writes live in the services -------------------------------
#
# Django's writes take field values as keywords: `row.save(update_fields=[...])`,
# `Model.objects.create(name=...)`, `rows.update(state=...)`, `rows.delete()`. A call of one
# of those names with a positional argument is some other object's method (`dict.update`,
# `workbook.save(stream)`, `cache.delete(key)`), and `formset.save(commit=False)` writes
# nothing; the bulk methods and get_or_create / update_or_create always write.

WRITERS = ("tracker.services", "tracker.refresh", "tracker.migrations")
ALWAYS_WRITES = {"bulk_create", "bulk_update", "get_or_create", "update_or_create"}
WRITES_WITH_KEYWORDS = {"save", "create", "update", "delete"}

# The few writes outside the writers, each named by module and function ("*": the whole
# module), with the reason it stays where it is.
WRITE_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("tracker.reminders.outbox", "*"): (
        "the sender's claim, lease and fenced marks: compare-and-set updates on the rows "
        "it holds, its circuit and delivery counters, none of them a change to the record"
    ),
    ("tracker.webhooks.delivery", "*"): (
        "the same claim machinery for webhook deliveries, and one attempt row per try"
    ),
    ("tracker.reminders.planning", "plan_reminders"): (
        "the planner reconciles the Reminder rows it alone owns with what subscriptions "
        "want (insert under a unique key, compare-and-set revive and reschedule)"
    ),
    ("tracker.reminders.planning", "_void"): ("plan_reminders' compare-and-set void"),
    ("tracker.webhooks.events", "record"): (
        "an event and its delivery rows, written inside the caller's transaction; only "
        "the services and the refresh call it"
    ),
    ("tracker.api.views", "perform_create"): (
        "DRF's hand-off to the serializer, whose create() calls the service"
    ),
    ("tracker.api.views", "perform_update"): (
        "DRF's hand-off to the serializer, whose update() calls the service"
    ),
}


@dataclass(frozen=True)
class Write:
    module: str
    function: str  # the innermost enclosing function, "" at module level
    call: str
    line: int


def _is_write(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute):
        return False
    name = call.func.attr
    if name in ALWAYS_WRITES:
        return True
    if name not in WRITES_WITH_KEYWORDS:
        return False
    receiver = call.func.value
    # A model's own save() handing on to Django's is the write's definition, not a caller.
    if isinstance(receiver, ast.Call) and ast.unparse(receiver.func) == "super":
        return False
    if any(not isinstance(argument, ast.Starred) for argument in call.args):
        return False
    if any(
        k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    ):
        return False
    # `rows.update()` with nothing to set is no write; `rows.update(**changes)` is one.
    return name != "update" or bool(call.keywords or call.args)


def writes_in(source: str, *, module: str) -> list[Write]:
    """Every model write in `source`, with the function it stands in."""
    found: list[Write] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call) and _is_write(child):
                assert isinstance(child.func, ast.Attribute)
                found.append(Write(module, inner, ast.unparse(child.func), child.lineno))
            visit(child, inner)

    visit(ast.parse(source), "")
    return found


def all_writes() -> list[Write]:
    return [
        write
        for name, path in tracker_modules().items()
        for write in writes_in(path.read_text(encoding="utf-8"), module=name)
    ]


def is_writer(module: str) -> bool:
    return any(module == w or module.startswith(w + ".") for w in WRITERS)


def excepted(write: Write) -> bool:
    return (write.module, "*") in WRITE_EXCEPTIONS or (
        write.module,
        write.function,
    ) in WRITE_EXCEPTIONS


def test_the_write_finder_sees_saves_creates_updates_and_deletes_but_not_dict_updates() -> None:
    source = (
        "def subscribe(track, user, rows, context, workbook, stream, formset):\n"
        "    Subscription.objects.create(track=track, user=user)\n"
        "    rows.filter(state='pending').update(state='void')\n"
        "    rows.update(**{'state': 'void'})\n"
        "    track.save(update_fields=['name'])\n"
        "    track.save()\n"
        "    rows.delete()\n"
        "    Heartbeat.objects.update_or_create(role='w', defaults={})\n"
        "    Reminder.objects.bulk_create([])\n"
        "    context.update({'a': 1})\n"
        "    workbook.save(stream)\n"
        "    cache.delete('key')\n"
        "    formset.save(commit=False)\n"
        "class Track:\n"
        "    def save(self, *args, **kwargs):\n"
        "        super().save(*args, **kwargs)\n"
    )
    found = writes_in(source, module="tracker.reminders.links")
    assert [(w.function, w.call, w.line) for w in found] == [
        ("subscribe", "Subscription.objects.create", 2),
        ("subscribe", "rows.filter(state='pending').update", 3),
        ("subscribe", "rows.update", 4),
        ("subscribe", "track.save", 5),
        ("subscribe", "track.save", 6),
        ("subscribe", "rows.delete", 7),
        ("subscribe", "Heartbeat.objects.update_or_create", 8),
        ("subscribe", "Reminder.objects.bulk_create", 9),
    ]


def test_a_write_added_outside_the_services_is_an_offender_and_one_inside_is_not() -> None:
    snippet = "def confirm(pk):\n    Subscription.objects.filter(pk=pk).update(confirmed_at=1)\n"
    outside = writes_in(snippet, module="tracker.reminders.views")
    inside = writes_in(snippet, module="tracker.services.subscriptions")
    assert [w for w in outside if not is_writer(w.module) and not excepted(w)] == outside != []
    assert [w for w in inside if not is_writer(w.module)] == []
    # An exception names one function: the same write in its neighbour is an offender.
    beside = writes_in(snippet, module="tracker.reminders.planning")
    assert not excepted(beside[0])


def test_models_are_written_only_by_the_services_the_refresh_and_the_migrations() -> None:
    offenders = [
        f"{w.module}.{w.function or '<module>'} (line {w.line}): {w.call}("
        for w in all_writes()
        if not is_writer(w.module) and not excepted(w)
    ]
    assert not offenders, (
        "A write is one service call in tracker/services/; move these there "
        "(or, with a reason, into WRITE_EXCEPTIONS):\n  " + "\n  ".join(offenders)
    )


def test_every_write_exception_still_names_a_write() -> None:
    writes = all_writes()
    stale = [
        key
        for key in WRITE_EXCEPTIONS
        if not any(w.module == key[0] and key[1] in ("*", w.function) for w in writes)
    ]
    assert not stale, f"These exceptions excuse no write any more; remove them: {stale}"
