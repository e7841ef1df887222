"""The released exercises a room is graded against: finding them, reading them, their check cells.

A release is the course's ``exercises/`` folder (``hpclab build`` writes it from ``solutions/``).
Each lesson's notebook names, in its metadata, the ``hpclab.checks`` module that grades it; its
cells tagged ``check`` call one ``check_<id>(...)`` per question. A submission names its lesson
too, but that is the learner's file: a lesson's name is checked to be one (never a path) before
anything is read for it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from hpclab.checks import Question, questions_of
from hpclab.checks.hidden import HIDDEN_SUFFIX, HiddenChecksError, hidden_checks_in
from hpclab.errors import HpclabError
from hpclab.grading.build import CHECK_TAG

#: A check call in a check cell's source; group 1 is the question id (``check_q3(...)`` -> ``q3``).
CHECK_CALL = re.compile(r"\bcheck_(\w+)\s*\(")
#: A lesson's name as the course spells it (02-dask-futures, 09b-mpi-heat-equation): never a path.
LESSON_NAME = re.compile(r"[0-9]{2}[a-z]?-[a-z0-9]+(?:-[a-z0-9]+)*")
_CHECKS_MODULE = re.compile(r"hpclab\.checks\.[a-z_][a-z0-9_]*")


class GradeError(HpclabError, ValueError):
    """The grading run itself cannot start (not a problem with one submission)."""


@dataclass
class Release:
    """A released exercise: its notebook, questions and which cell checks which."""

    lesson: str
    path: Path
    notebook: nbformat.NotebookNode
    questions: list[Question]
    check_cell_of: dict[str, str]  # question id -> cell id
    #: The instructor's file of hidden checks for this lesson (``hpclab grade --hidden``), or None.
    hidden_file: Path | None = None
    #: The visible questions that have a hidden check in :attr:`hidden_file`.
    hidden_for: frozenset[str] = frozenset()


def shown(value: object, width: int = 60) -> str:
    """A learner-chosen value, quoted and cut short, for a message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def is_check_cell(cell) -> bool:
    """Whether ``cell`` is one of the release's check cells (tagged ``check`` by ``hpclab build``)."""
    return CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def released_lessons(release_dir: str | os.PathLike) -> list[str]:
    """The lessons ``release_dir`` holds: its notebooks named like a lesson."""
    return sorted(p.stem for p in Path(release_dir).glob("*.ipynb") if LESSON_NAME.fullmatch(p.stem))


def load_release(release_dir: Path, lesson: str, hidden: Path | None = None) -> Release:
    """Read ``release_dir/<lesson>.ipynb`` and index its check cells.

    ``lesson`` must be a lesson's name, never a path (a submission's metadata
    names it, and ``../solutions/...`` must not load the solutions); the
    checks module comes from this release notebook's own metadata and must be
    one of ``hpclab.checks`` (the grader imports it with its own rights). With ``hidden``, the
    instructor's folder of hidden checks, the lesson's hidden checks (``<hidden>/futures.py`` for
    ``hpclab.checks.futures``) become questions of their own (see :func:`add_hidden_checks`).
    """
    if not isinstance(lesson, str) or not LESSON_NAME.fullmatch(lesson):
        raise GradeError(
            f"{shown(lesson)} is not a lesson name (such as 02-dask-futures); "
            f"pass --exercise with one of: {', '.join(released_lessons(release_dir)) or 'none found'}"
        )
    path = Path(release_dir) / f"{lesson}.ipynb"
    if not path.is_file():
        raise GradeError(f"no released exercise {path}; pass --release pointing at the course's exercises/ folder")
    notebook = nbformat.read(path, as_version=4)
    module = notebook.metadata.get("hpclab", {}).get("checks")
    if not isinstance(module, str) or not _CHECKS_MODULE.fullmatch(module):
        raise GradeError(
            f"{path}: its metadata names checks module {shown(module)}, not one of hpclab.checks; "
            "rebuild the exercises with `hpclab build`"
        )
    questions = questions_of(module)
    check_cell_of = {}
    for cell in notebook.cells:
        if is_check_cell(cell):
            for qid in CHECK_CALL.findall(cell.source):
                check_cell_of[qid] = cell.id
    missing = [q.id for q in questions if q.id not in check_cell_of]
    if missing:
        raise GradeError(f"{path}: no check cell calls check_{missing[0]}; rebuild the exercises with `hpclab build`")
    release = Release(lesson, path, notebook, questions, check_cell_of)
    return add_hidden_checks(release, Path(hidden) / f"{module.rsplit('.', 1)[1]}.py") if hidden else release


def add_hidden_checks(release: Release, path: Path) -> Release:
    """``release`` with the hidden checks of ``path`` as questions of their own (none when no such file).

    Each hidden check is graded from the check cell of its visible question, right after it
    (see :mod:`hpclab.checks.hidden`).

    Raises
    ------
    GradeError
        When the file does not import, or names a question the lesson does not have.
    """
    if not path.is_file():
        return release
    try:
        found = hidden_checks_in(path)
    except HiddenChecksError as exc:
        raise GradeError(str(exc)) from exc
    visible = {q.id for q in release.questions}
    questions = list(release.questions)
    check_cell_of = dict(release.check_cell_of)
    for qid, run in sorted(found.items()):
        question = getattr(run, "question", None)
        if qid not in visible or not isinstance(question, Question) or question.lesson != release.lesson:
            raise GradeError(
                f"{path}: a hidden check goes with question {shown(qid)} of "
                f"{shown(getattr(question, 'lesson', None))}, but {release.lesson} has only "
                f"{', '.join(sorted(visible))}; import the question from the lesson's own checks module"
            )
        questions.append(question)
        check_cell_of[qid + HIDDEN_SUFFIX] = check_cell_of[qid]
    return Release(
        release.lesson, release.path, release.notebook, questions, check_cell_of, path.resolve(), frozenset(found)
    )


def find_release_dir(start: Path | None = None) -> Path:
    """The nearest ``exercises/`` folder at or above ``start`` (default: cwd).

    Parameters
    ----------
    start
        Where to start looking; the current working directory when None.

    Returns
    -------
    Path
        ``<course>/exercises`` of the first folder at or above ``start`` that holds both
        ``exercises/`` and ``solutions/``.

    Raises
    ------
    GradeError
        When no folder at or above ``start`` holds them (pass ``--release``).
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "solutions").is_dir():
            return folder / "exercises"
    raise GradeError("cannot find the course's exercises/ folder from here; pass --release DIR")
