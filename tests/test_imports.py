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


def _modules(package: str, root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Every module of ``package``, sub-packages included: dotted name -> file.

    A package's ``__init__.py`` is named for the package (``engine.views``).
    """
    found = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(
    name: str, path: pathlib.Path, modules: set[str], type_checking: bool = True
) -> set[str]:
    """The modules of ``modules`` that module ``name`` (at ``path``) imports.

    ``from X import y`` imports the module X.y where there is one, else X. Imports
    under ``if TYPE_CHECKING:`` never run, but a reader (and a type checker) follows
    them: they count unless ``type_checking`` is False.
    """
    tree = ast.parse(path.read_text())
    skipped = set()
    if not type_checking:
        skipped = {
            id(inner)
            for node in ast.walk(tree)
            if _is_type_checking(node)
            for inner in ast.walk(node)
        }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & modules - {name}


def import_graph(
    package: str, root: pathlib.Path = ROOT, type_checking: bool = True
) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, sub-packages and ``__init__``s included."""
    modules = _modules(package, root)
    return {
        name: _imports(name, path, set(modules), type_checking) for name, path in modules.items()
    }


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
    graph = import_graph("engine")
    assert "engine.views.graph" in graph and "engine.compiler.trace" in graph  # rooms read
    assert cycles(graph) == KNOWN_CYCLES


def test_no_import_cycle_among_nns_modules():
    graph = import_graph("nn")  # imports for type hints count: a reader follows them too
    assert "nn.optimizer" in graph["nn.optim"]  # the check reads nn's modules
    assert cycles(graph) == set()


def test_the_engine_imports_nothing_of_nn():
    for name, path in _modules("engine", ROOT).items():
        assert not {m for m in _imports(name, path, {"nn"}) if m}, f"{name} imports nn"
        assert "import nn" not in path.read_text() and "from nn" not in path.read_text(), name


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
    graph = import_graph("pkg", tmp_path, type_checking=False)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.c"},
        "pkg.c": {"pkg.a"},
        "pkg.d": set(),
    }
    assert cycles(graph) == {frozenset({"pkg.a", "pkg.b", "pkg.c"})}
    assert import_graph("pkg", tmp_path)["pkg.d"] == {"pkg.a"}, "a type's import counts"


def test_the_check_reads_sub_packages_and_their_inits(tmp_path):
    (tmp_path / "pkg" / "room").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("from .room import f\n")
    (tmp_path / "pkg" / "core.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "room" / "__init__.py").write_text("from .inner import f\n")
    (tmp_path / "pkg" / "room" / "inner.py").write_text(
        "from .. import core\nfrom ..room import g\n"
    )
    graph = import_graph("pkg", tmp_path)
    assert graph["pkg"] == {"pkg.room"}
    assert graph["pkg.room"] == {"pkg.room.inner"}
    assert graph["pkg.room.inner"] == {"pkg.core", "pkg.room"}  # from .. import core: the module
    assert cycles(graph) == {frozenset({"pkg.room", "pkg.room.inner"})}
