"""The package's import graph: no circle, nothing running back up, no private name crossing modules.

The layers, bottom to top (docs/reference/package.md explains who each is for):
base (errors, config, processes) < the learner's runtime (every other top-level module, checks,
handoff, doctor, data) < the instructor's and the site's wings (grading, slurm) < project tooling
(tools) < the command line (cli). A module may import its own layer or one below, never one above;
the two wings of one layer never import each other. Read from the source (every import, those inside
functions too), so the rule holds for what runs, not only for what a module's top shows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hpclab

PACKAGE = Path(hpclab.__file__).resolve().parent
BASE = {"hpclab", "hpclab.errors", "hpclab.config", "hpclab.processes"}
WINGS = {"grading": 2, "slurm": 2, "tools": 3, "cli": 4}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> tuple[int, str]:
    """(rank, wing) of a module: the rank orders the layers, the wing tells apart two of one rank."""
    if module in BASE:
        return 0, "base"
    wing = module.split(".")[1]
    wing = "cli" if wing == "__main__" else wing  # `python -m hpclab` is the command line too
    return (WINGS[wing], wing) if wing in WINGS else (1, "runtime")


def imports_of(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import of an hpclab module in ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names if alias.name.split(".")[0] == "hpclab"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "hpclab":
                continue
            names = [alias.name for alias in node.names]
            # `from hpclab.grading import sandbox` imports the module hpclab.grading.sandbox.
            subs = [name for name in names if f"{target}.{name}" in MODULES]
            found += [(f"{target}.{name}", [], node.lineno) for name in subs]
            found.append((target, [name for name in names if name not in subs], node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports_of(m) if t in MODULES and t != m} for m in MODULES}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_package_has_every_wing():
    for wing in ("hpclab.grading", "hpclab.slurm", "hpclab.tools", "hpclab.checks", "hpclab.cli"):
        assert wing in MODULES, f"{wing} is missing: the layout this test describes has changed"


def test_no_import_circle():
    found = circles(graph())
    assert not found, "import circles (break each by moving the shared part down a layer):\n" + "\n".join(
        " -> ".join(group) for group in found
    )


def test_the_circle_finder_finds_a_circle():
    """The test above can fail: a made-up graph with a circle is caught, a chain is not."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_runs_back_up():
    wrong = []
    for module in MODULES:
        rank, wing = layer(module)
        for target, _, line in imports_of(module):
            if target not in MODULES:
                continue
            their_rank, their_wing = layer(target)
            if their_rank > rank or (their_rank == rank and rank > 1 and their_wing != wing):
                wrong.append(
                    f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} ({wing}) -> {target} ({their_wing})"
                )
    assert not wrong, "imports that run up a layer or across wings:\n" + "\n".join(wrong)


def test_layers_are_read_as_documented():
    assert layer("hpclab.errors") == (0, "base")
    assert layer("hpclab.cluster") == (1, "runtime")
    assert layer("hpclab.checks.futures") == (1, "runtime")
    assert layer("hpclab.grading.sandbox") == (2, "grading")
    assert layer("hpclab.slurm.vcluster") == (2, "slurm")
    assert layer("hpclab.tools.bench") == (3, "tools")
    assert layer("hpclab.cli") == (4, "cli")


def test_no_private_name_is_imported_across_modules():
    wrong = []
    for module in MODULES:
        for target, names, line in imports_of(module):
            for name in names:
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    wrong.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {name} from {target}")
    assert not wrong, "private names imported from another module (make them public where they belong):\n" + "\n".join(
        wrong
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_import_inside_a_function_says_why(module):
    """Imports sit at module top; the few that must wait (an effect or a cost) carry their reason."""
    lines = MODULES[module].read_text().splitlines()
    bare = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{number}: {text.strip()}"
        for number, text in enumerate(lines, 1)
        if "noqa: PLC0415" in text and len(text.split("noqa: PLC0415", 1)[1].strip(" -:")) < 8
    ]
    assert not bare, "say in a few words why the import waits:\n" + "\n".join(bare)
