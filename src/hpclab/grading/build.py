"""Generate learner exercises from solution notebooks (the one source of truth).

In ``solutions/NN-name.ipynb`` the answer sits between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` lines (nbgrader's markers); whole cells can be tagged
``solution-only``. The exercise keeps everything else, replaces each answer
with ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (or "YOUR ANSWER
HERE" in markdown), clears outputs, and is written byte-for-byte the same every
time, so ``hpclab build --check`` can tell when an exercise is stale.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path

import nbformat

from hpclab import __version__
from hpclab.errors import HpclabError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_ONLY, CHECK_TAG = "solution-only", "check"
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


class BuildError(HpclabError, ValueError):
    """A solution notebook cannot be turned into an exercise."""


def strip_solution(source: str, cell_type: str, where: str) -> str:
    """Replace every BEGIN/END SOLUTION region of one cell's source."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise BuildError(
                    f"{where}, line {number}: '{BEGIN}' inside another solution region; add the missing '{END}'"
                )
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if cell_type == "code":
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            else:
                out.append("YOUR ANSWER HERE")
        elif marker == END:
            if not inside:
                raise BuildError(f"{where}, line {number}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise BuildError(f"{where}: '{BEGIN}' is never closed; add '{END}' after the answer")
    return "\n".join(out)


def cell_id(stem: str, index: int) -> str:
    """A stable id for a cell that has none (derived, never random)."""
    return hashlib.sha1(f"{stem}:{index}".encode()).hexdigest()[:12]


def build_exercise(solution: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """The learner's version of one solution notebook."""
    lesson = solution.metadata.get("hpclab", {}).get("lesson")
    if lesson != stem:
        raise BuildError(
            f"solutions/{stem}.ipynb: metadata hpclab.lesson is {lesson!r}; set it to {stem!r} "
            "(the grader uses it to find the released exercise when learners rename files)"
        )
    exercise = nbformat.v4.new_notebook()
    exercise.metadata = copy.deepcopy(solution.metadata)
    exercise.metadata["hpclab"]["role"] = "exercise"
    # The course release it belongs to: the grader tells a submission from an older release.
    exercise.metadata["hpclab"]["version"] = __version__
    for index, cell in enumerate(solution.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_ONLY in tags:
            continue
        new = copy.deepcopy(cell)
        new.id = cell.get("id") or cell_id(stem, index)
        for key in _VOLATILE_CELL_METADATA:
            new.metadata.pop(key, None)
        new.source = strip_solution(cell.source, cell.cell_type, f"solutions/{stem}.ipynb cell {index} ({new.id})")
        if new.cell_type == "code":
            new.outputs = []
            new.execution_count = None
        exercise.cells.append(new)
    return exercise


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook the same way every time."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def build_all(solutions: str | os.PathLike, exercises: str | os.PathLike, *, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, only compare) every exercise; return those that changed."""
    solutions, exercises = Path(solutions), Path(exercises)
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise BuildError(f"no solution notebooks in {solutions}/; run this from the course root")
    changed = []
    for source in sources:
        try:
            solution = nbformat.read(source, as_version=4)
        except Exception as exc:
            raise BuildError(f"{source}: not a readable notebook ({exc}); fix or restore it from git") from exc
        text = render(build_exercise(solution, source.stem))
        target = exercises / source.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(target)
            if not check:
                exercises.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    stale = sorted(set(p.name for p in exercises.glob("*.ipynb")) - {s.name for s in sources})
    if stale:
        raise BuildError(f"{', '.join(stale)} in {exercises}/ have no solution; delete them or add the solution")
    return changed
