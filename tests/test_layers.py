"""The layers point one way (docs/architecture.md):

    ui, views  ->  ingest  ->  knowledge (core: settings, store, embeddings, text; answering)

``knowledge`` never imports ``ingest`` or the UI, the UI never imports a command-line
module, and within one package no two modules import each other, directly or round a
loop. Imports inside functions count (they are imports all the same); imports under
``if TYPE_CHECKING:`` do not (they never run).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "knowledge", "ui", "views")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules ``path`` imports at run time (absolute names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # `from knowledge import answer`: the submodule
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    known = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, known) for p in files}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "knowledge.store" in graph["ingest.sync"]  # the check sees real imports
    assert "knowledge.sentences" in graph["knowledge.answer"]
    assert len(graph) > 60


def test_knowledge_never_imports_ingest_or_the_ui() -> None:
    bad = sorted((m, i) for m, imps in _graph().items() if _top(m) == "knowledge"
                 for i in imps if _top(i) in ("ingest", "ui", "views"))
    assert not bad, f"knowledge is the core; it must not import the layers above it: {bad}"


def test_ingest_never_imports_the_ui() -> None:
    bad = sorted((m, i) for m, imps in _graph().items() if _top(m) == "ingest" for i in imps if _top(i) in ("ui", "views"))
    assert not bad


def test_ui_imports_no_command_line_module() -> None:
    def cli(name: str) -> bool:
        last = name.split(".")[-1]
        return _top(name) in ("knowledge", "ingest") and (last == "__main__" or last.startswith("cli"))

    bad = sorted((m, i) for m, imps in _graph().items() if _top(m) in ("ui", "views") for i in imps if cli(i))
    assert not bad, f"the UI calls services, never a CLI module: {bad}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop among the modules of ``graph`` (edges inside one package), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := dfs(start)):
            return found
    return None


def test_cycle_finder_finds_a_loop() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_a_package() -> None:
    graph = _graph()
    for pkg in PACKAGES:
        inside = {m: {i for i in imps if _top(i) == pkg and i in graph and i != pkg}
                  for m, imps in graph.items() if _top(m) == pkg}
        loop = _cycle(inside)
        assert loop is None, f"import cycle in {pkg}: {' -> '.join(loop or [])}"


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for m, imps in _graph().items():
        edges.setdefault(_top(m), set()).update(_top(i) for i in imps if _top(i) in PACKAGES and _top(i) != _top(m))
    assert _cycle(edges) is None, edges
