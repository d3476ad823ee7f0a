"""The shape of the package. Its modules import each other one way: model, catalogue, config ->
sources -> rules -> report, site -> commands. An import cycle is a layer importing upwards, so
none is allowed; arguments are parsed only by the command line, and the library never switches
the garbage collector of the process it runs in.

Imports are read with `ast` from every module of `generator/`, those inside functions included
(they run on first call, and a cycle through them is a cycle all the same); only imports under
`if TYPE_CHECKING:` never run and are left out. Importing `generator.a.b` runs the `__init__`
of package `generator.a` first, so that counts as importing the package too, except from inside
it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.graph import RevisionGraph
from generator.model import Migration

PACKAGE = Path(__file__).resolve().parent.parent / "generator"



def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that importing (or calling into) module `name` imports."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets.add(module)
            targets.update(f"{module}.{alias.name}" for alias in node.names)
    edges = set()
    own_packages = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):  # the target and the packages it runs on the way
            candidate = ".".join(parts[:i])
            if candidate in modules and candidate not in own_packages and candidate != name:
                edges.add(candidate)
    return edges


def import_cycles(package: Path = PACKAGE) -> set[tuple[str, ...]]:
    """The groups of modules that import each other, each sorted.

    Modules are fed to the revision graph as revisions whose parents are the modules they
    import: its cycles (one per strongly connected group) are the import cycles.
    """
    modules = module_names(package)
    nodes = [
        Migration(path=name, revision=name, down_revisions=tuple(sorted(imported_modules(name, path, modules))))
        for name, path in modules.items()
    ]
    return set(RevisionGraph(nodes).cycles)


def test_the_package_has_no_import_cycle():
    assert import_cycles() == set()


def test_readers_do_not_import_the_rules():
    """The readers report findings through the catalogue, which imports no rule."""
    modules = module_names()
    for name, path in modules.items():
        if name.startswith(("generator.sources", "generator.catalog", "generator.model")):
            imported = imported_modules(name, path, modules)
            assert not {m for m in imported if m.startswith("generator.rules")}, name


def test_rule_families_import_siblings_only_from_base_and_helpers():
    """Shared helpers live in `rules.helpers`; a family imports another family only to build
    on one of its rules, which no family does today."""
    modules = module_names()
    allowed = {"generator.rules.base", "generator.rules.helpers"}
    families = {n for n in modules if n.startswith("generator.rules.")} - allowed - {
        "generator.rules.engine", "generator.rules.families"
    }
    for name in families:
        siblings = {m for m in imported_modules(name, modules[name], modules) if m.startswith("generator.rules.")}
        assert siblings <= allowed, (name, siblings - allowed)


@pytest.mark.parametrize("source, cyclic", [
    ({"a.py": "from . import b\n", "b.py": "def f():\n    from . import a\n"}, True),
    ({"a.py": "from . import b\n", "b.py": "import os\n"}, False),
    ({"a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n",
      "b.py": "from . import a\n"}, False),
    ({"a.py": "from .sub.c import x\n", "sub/__init__.py": "from .. import a\n", "sub/c.py": ""}, True),
])
def test_the_cycle_finder_sees_cycles_through_functions_and_packages(source, cyclic, tmp_path):
    package = tmp_path / "generator"
    for rel, text in {"__init__.py": "", **source}.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text)
    assert bool(import_cycles(package)) is cyclic


def test_only_the_command_line_parses_arguments():
    """Options belong to `cli.py` and `commands/`; the library takes explicit parameters."""
    importers = sorted(
        name for name, path in module_names().items()
        if "argparse" in _top_level_imports(path)
    )
    assert importers and all(
        name == "generator.cli" or name.startswith("generator.commands") for name in importers
    ), importers


def _top_level_imports(path: Path) -> set[str]:
    """First components of every absolute import in the file (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_subcommands_all_live_in_generator_commands():
    from generator.commands import SUBCOMMANDS

    for command in SUBCOMMANDS:
        assert command.target.startswith("generator.commands."), command
        implementation = command.load()
        assert callable(implementation.add_arguments) and callable(implementation.run)


def test_the_library_switches_no_process_wide_collector():
    """`gc.freeze`, `gc.disable` and the like change the host process (MkDocs, a user's
    program); only the process owner, `cli.main`, may decide that."""
    offenders = []
    for name, path in module_names().items():
        if name == "generator.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "gc" and node.attr in {"freeze", "unfreeze", "disable", "enable"}):
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
