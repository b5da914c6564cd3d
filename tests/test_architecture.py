"""The package's shape: a library under a thin CLI, no import cycles, a light start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "listclean"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node, less the bodies of `if TYPE_CHECKING:` (annotations only: never imported at run time)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
            continue
        todo += list(ast.iter_child_nodes(node))


def _imports() -> dict[str, set[str]]:
    """Every listclean module and the listclean modules it imports at run time (functions too)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            found |= {target for target in targets if target in modules and target != name}
        graph[name] = found
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the chain of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _is_parent_package(importer: str, imported: str) -> bool:
    """`import listclean.x.y` runs listclean/x/__init__.py: a package's own modules importing it is not a cycle of ours."""
    return importer.startswith(imported + ".")


def test_no_module_imports_itself_back_through_others():
    graph = {name: {t for t in targets if not _is_parent_package(name, t)} for name, targets in _imports().items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_nothing_in_the_library_imports_the_cli():
    offenders = sorted(name for name, targets in _imports().items() if not name.startswith(("listclean.cli", "listclean.__main__")) and any(t.startswith("listclean.cli") for t in targets))
    assert offenders == [], f"library modules importing listclean.cli: {offenders}"


def test_the_cli_starts_without_polars():
    code = "import sys, listclean.cli.app; assert 'polars' not in sys.modules, 'polars imported at start-up'"
    subprocess.run([sys.executable, "-c", code], check=True)
