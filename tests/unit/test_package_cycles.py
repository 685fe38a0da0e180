"""herald's packages import each other in one direction only (docs/architecture.md).

Each module under src/herald is read with ``ast``; every import of ``herald.<x>``
(at module level or inside a function, absolute or relative) is an edge from the
module's top-level package (or top-level module: ``runtime``, ``config``...) to
``<x>``. Imports under ``if TYPE_CHECKING:`` are left out: they never run, so they
cannot make an import cycle, and annotations may name a type from anywhere.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import herald

SRC = Path(herald.__file__).parent


def _module_name(path: Path) -> list[str]:
    parts = ["herald", *path.relative_to(SRC).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def _imported(path: Path) -> Iterator[tuple[str, int]]:
    """Every herald module the file imports, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _type_checking_only(tree)
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno
            elif node.module:
                yield node.module, node.lineno


def _top(parts: list[str]) -> str | None:
    return parts[1] if len(parts) > 1 and parts[0] == "herald" else None


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> where ("file:line"), for imports across packages."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        source = _top(_module_name(path))
        if source is None:
            continue
        graph.setdefault(source, {})
        for module, line in _imported(path):
            target = _top(module.split("."))
            if target is not None and target != source:
                where = f"{path.relative_to(SRC.parent)}:{line}"
                graph[source].setdefault(target, []).append(where)
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """One cycle through each package that is part of one (depth-first search)."""
    found: list[list[str]] = []
    done: set[str] = set()
    seen_members: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, {})):
            if target in path:
                cycle = path[path.index(target) :]
                if not seen_members.issuperset(cycle):
                    found.append([*cycle, target])
                    seen_members.update(cycle)
            elif target not in done:
                visit(target, [*path, target])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    return found


def test_the_graph_sees_imports_of_every_kind() -> None:
    graph = package_graph()
    assert "tracking" in graph["bot"]  # module level
    assert "scheduling" in graph["runtime"]
    assert "web" in graph["cli"]  # the CLI imports the app inside a command's function
    assert "dashboard" not in graph  # subpackages belong to their top-level package


def test_the_cycle_finder_finds_long_cycles() -> None:
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b": ["x"]}, "b": {}}) == []


def test_no_package_imports_itself_back() -> None:
    graph = package_graph()
    described = [
        " -> ".join(cycle)
        + "\n"
        + "\n".join(f"  {a} -> {b}: {', '.join(graph[a][b])}" for a, b in itertools.pairwise(cycle))
        for cycle in cycles(graph)
    ]
    assert not described, "import cycles between herald's packages:\n" + "\n".join(described)


# docs/architecture.md's layers, lowest first; a package may import only from lower ones.
LAYERS: list[set[str]] = [
    {"channel", "addresses"},
    {"clock", "config"},
    {"config_docs", "logging", "db"},
    {"queue", "events", "media"},
    {"auth", "metrics", "webhooks"},
    {"channels"},
    {"worker"},
    {"preferences"},
    {"messaging", "scheduling"},
    {"tracking"},
    {"bot"},
    {"runtime"},
    {"web"},
    {"cli"},
    {"__main__"},
]


def test_every_import_points_down_the_layers() -> None:
    graph = package_graph()
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    assert set(graph) <= set(rank), f"packages without a layer: {set(graph) - set(rank)}"
    upwards = [
        f"{a} -> {b}: {', '.join(where)}"
        for a, targets in graph.items()
        for b, where in targets.items()
        if rank[b] >= rank[a]
    ]
    assert not upwards, "imports that point up or sideways:\n" + "\n".join(upwards)
