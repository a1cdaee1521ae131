"""engine's modules import each other without cycles, function-local imports included.

A function-local import is there to delay a heavy or optional module, or to
break a cycle; one that breaks no cycle tells the reader of a cycle that is not
there. Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

KNOWN_CYCLES: set[frozenset[str]] = set()  # none: a cycle found is a failure


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(package: str, path: pathlib.Path) -> set[str]:
    """The modules of ``package`` that ``path`` imports, anywhere but under TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(inner) for node in ast.walk(tree) if _is_type_checking(node) for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package if node.level else ""
            module = f"{base}.{node.module}" if base and node.module else (node.module or base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith(f"{package}.")}


def import_graph(package: str, root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (the package's ``__init__`` left out)."""
    files = {
        f"{package}.{p.stem}": p for p in (root / package).glob("*.py") if p.stem != "__init__"
    }
    return {name: _imports(package, path) & files.keys() - {name} for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The sets of modules that import each other, directly or through others."""

    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in graph[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    reach = {name: reachable(name) for name in graph}
    return {
        frozenset({name} | {other for other in reach[name] if name in reach[other]})
        for name in graph
        if name in reach[name]
    }


def test_no_import_cycle_among_engines_modules():
    assert cycles(import_graph("engine")) == KNOWN_CYCLES


def test_no_import_cycle_among_nns_modules():
    assert cycles(import_graph("nn")) == set()


def test_the_check_finds_a_cycle_through_a_function_local_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import g\n\ndef f():\n    return g()\n")
    (package / "b.py").write_text("def g():\n    from .c import h\n    return h()\n")
    (package / "c.py").write_text("from . import a\n\ndef h():\n    return 1\n")
    (package / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    graph = import_graph("pkg", tmp_path)
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}, "pkg.d": set()}
    assert cycles(graph) == {frozenset({"pkg.a", "pkg.b", "pkg.c"})}
