"""Submissions made from the course's own notebooks: an exercise, a learner's answer, a solved question.

The grading and sandbox tests build their rooms from these, so a room always matches the
exercise and solution notebooks as they are now.
"""

from __future__ import annotations

import nbformat

from tests.support import ROOT


def exercise(lesson: str) -> nbformat.NotebookNode:
    """A fresh copy of ``exercises/<lesson>.ipynb``, as a learner receives it."""
    return nbformat.read(ROOT / "exercises" / f"{lesson}.ipynb", as_version=4)


def answer(nb: nbformat.NotebookNode, cell_id: str, source: str) -> nbformat.NotebookNode:
    """Write a learner's answer into the cell with this id (KeyError: no such cell)."""
    for cell in nb.cells:
        if cell.id == cell_id:
            cell.source = source
            return nb
    raise KeyError(cell_id)


def solved(nb: nbformat.NotebookNode, lesson: str, *questions: str) -> nbformat.NotebookNode:
    """Fill in the solution's answer for the given questions (e.g. 'q1') of ``lesson``."""
    solution = {c.id: c.source for c in nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4).cells}
    number = lesson.split("-", 1)[0]
    for q in questions:
        cell_id = f"s{number}-{q}-answer"
        answer(nb, cell_id, solution[cell_id])
    return nb
