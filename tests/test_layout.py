"""The layout holds: one namespace, packages that do not import each other in a circle, modules of a readable size,
one error hierarchy, and no private names reached across packages.

The import graph is read from the source (every import, including those inside functions), so a cycle hidden behind
a local import still counts. ``python -m tests.test_layout`` prints the graph.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
from pathlib import Path

import iotlm
from iotlm.errors import IotlmError

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"iotlm": "iotlm", "agent": "iotlm.agent", "automations": "iotlm.automations", "tools": "iotlm.tools",
            "device_drivers": "iotlm.device_drivers", "memory": "iotlm.memory", "policies": "iotlm.policies"}
MAX_LINES = 500
LONG_MODULES: dict[str, str] = {}  # module -> the reason it may be longer (none today)


def modules() -> dict[str, Path]:
    """Every library module by its installed name."""
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


SUBPACKAGES = {p for p in PACKAGES.values() if p != "iotlm"}
SHELL = "iotlm.shell"
"""The app shell, on top of everything: the command line, the web app, the service, runtime and configuration, and the
benchmarks (``iotlm.cli``, ``iotlm.web``, ``iotlm.bench``, ``iotlm.service``, ``iotlm.runtime``, ``iotlm.config``)."""
SHELL_MODULES = {"iotlm.cli", "iotlm.web", "iotlm.bench", "iotlm.service", "iotlm.runtime", "iotlm.config"}
MAX_SHARE = 0.40  # no package holds more than this share of the library's lines


def package_of(module: str) -> str:
    """iotlm.agent.understand.parser -> iotlm.agent; iotlm.cli.shared -> iotlm.shell; iotlm.errors -> iotlm (the root's
    own modules: the error hierarchy and the lazy public surface)."""
    head = ".".join(module.split(".")[:2])
    if head in SUBPACKAGES:
        return head
    return SHELL if head in SHELL_MODULES else "iotlm"


def sizes() -> dict[str, int]:
    """Lines of code by package (the shell as one)."""
    out: dict[str, int] = {}
    for module, path in modules().items():
        out[package_of(module)] = out.get(package_of(module), 0) + len(path.read_text(encoding="utf-8").splitlines())
    return out


def imports(path: Path, module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import; iotlm imports by full name"
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {n for n in found if n == "iotlm" or n.startswith("iotlm.")}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules().items():
        here = package_of(module)
        graph.setdefault(here, set())
        for target in imports(path, module):
            there = package_of(target)
            if there != here and here != "iotlm":  # the root (errors, the lazy public surface) sits apart
                graph[here].add(there)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = [*path[path.index(nxt):], nxt]
                if sorted(cycle[:-1]) not in [sorted(c[:-1]) for c in found]:
                    found.append(cycle)
            else:
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return found


def test_no_import_cycles_between_packages() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]  # the check itself sees one
    graph = package_graph()
    assert cycles(graph) == []
    # the layering this gives: the shell on top, then the language side, devices and policies at the bottom
    assert SHELL not in set().union(*(v for k, v in graph.items() if k != SHELL))
    assert "iotlm.agent" not in set().union(*(v for k, v in graph.items() if k not in ("iotlm.agent", SHELL)))
    assert graph["iotlm.device_drivers"] <= {"iotlm"}  # iotlm.errors only
    assert graph["iotlm.policies"] <= {"iotlm", "iotlm.device_drivers", "iotlm.memory"}
    assert "iotlm.agent" not in graph["iotlm.automations"]  # the compiler reads through a protocol


def test_the_package_list_installs_every_folder_under_iotlm() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == {package: folder for folder, package in PACKAGES.items()}
    listed = set(config["packages"])
    on_disk = {m for m, p in modules().items() if p.name == "__init__.py"}
    assert listed == on_disk


def test_the_installed_namespace_is_iotlm_and_nothing_generic() -> None:
    assert Path(iotlm.__file__).parent == ROOT / "iotlm"
    assert importlib.import_module("iotlm.agent").__file__ == str(ROOT / "agent" / "__init__.py")
    for generic in ("agent", "tools", "memory", "policies", "device_drivers", "automations"):
        assert importlib.util.find_spec(generic) is None or Path(importlib.util.find_spec(generic).origin or "").parent.parent == ROOT


def test_the_public_surface_is_what_plugins_import() -> None:
    for name in iotlm.__all__:
        assert getattr(iotlm, name) is not None, name
    from iotlm import ToolContext, hookimpl, tool
    from iotlm.tools.context import ToolContext as Context
    assert ToolContext is Context and callable(tool) and callable(hookimpl)


def test_no_package_holds_too_much_of_the_library() -> None:
    lines = sizes()
    total = sum(lines.values())
    assert set(lines) == {*SUBPACKAGES, SHELL, "iotlm"}
    assert {p: round(n / total, 2) for p, n in lines.items() if n / total > MAX_SHARE} == {}


def test_every_public_module_says_what_it_exports() -> None:
    """``__all__`` on every module a caller may import from (not ``_private`` ones, ``__main__``, or a package's
    ``__init__`` that only describes it), and each name in it exists."""
    lacking, missing = [], []
    for module, path in modules().items():
        leaf = path.name
        if (leaf.startswith("_") and leaf != "__init__.py") or leaf == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)]
        defines = any(isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign) for n in tree.body)
        if not declared:
            if leaf != "__init__.py" or defines:
                lacking.append(module)
            continue
        names = ast.literal_eval(declared[-1].value)
        loaded = importlib.import_module(module)
        missing += [f"{module}.{n}" for n in names if not hasattr(loaded, n)]
    assert lacking == [] and missing == []


def test_no_module_is_too_long() -> None:
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_MODULES), long


def test_every_error_iotlm_raises_on_purpose_is_an_iotlm_error() -> None:
    mine = []
    for module_name in modules():
        if module_name.endswith("__main__") or module_name.endswith("_worker"):
            continue
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module_name:
                mine.append(cls)
    assert len(mine) >= 15
    assert [c.__qualname__ for c in mine if not issubclass(c, IotlmError)] == []
    names = [c.__name__ for c in mine]
    assert len(names) == len(set(names)), "two error classes share a name"


def test_no_private_name_is_imported_from_another_package() -> None:
    crossing = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iotlm."):
                if package_of(node.module) != package_of(module):
                    crossing += [f"{module}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert crossing == []


if __name__ == "__main__":
    for package, deps in sorted(package_graph().items()):
        print(f"{package} -> {', '.join(sorted(deps)) or '(nothing)'}")
    print("cycles:", cycles(package_graph()) or "none")
    lines = sizes()
    for package, n in sorted(lines.items(), key=lambda kv: -kv[1]):
        print(f"{package:22} {n:6} lines  {n / sum(lines.values()):5.1%}")
