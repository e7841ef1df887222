"""Scores for a learning management system: a file Canvas or Moodle imports, learners matched by a roster.

Without it an instructor copies a room's scores into Canvas or Moodle by hand, one learner at a
time. The grader knows submissions by file name; the LMS knows learners by its own ids. The
instructor's **roster** joins the two: a CSV with the columns ``id`` (the learner's id in the
LMS), ``name`` and ``file`` (the name of the notebook they handed in). Each lesson graded becomes
one column of points (what the learner's passed questions are worth).

- **Canvas** (Grades > Import): the columns of Canvas's own gradebook export, ``Student``,
  ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment; Canvas
  matches learners by ``ID`` (the roster's ``id``: take it from a gradebook export) and creates
  an assignment for a column it does not know.
- **Moodle** (Grades > Import > CSV file): any columns, mapped at import; this file has
  ``ID number`` and ``Full name``, then one column per lesson. Map ``ID number`` to the user
  field the roster's ids are (ID number, or email address) and each lesson's column to a grade item.

A learner of the roster without a submission gets an empty cell (the LMS leaves their grade as
it is) and a note; a submission nobody in the roster handed in gets a note. Nothing is guessed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hpclab.grading.release import GradeError
from hpclab.grading.results import Outcome

#: The columns a roster must have (any order, more are ignored).
ROSTER_COLUMNS = ("id", "name", "file")
#: What ``--lms`` accepts.
FORMATS = ("canvas", "moodle")
#: The learner columns each format starts with; one column per lesson follows.
HEADERS: dict[str, tuple[str, ...]] = {
    "canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    "moodle": ("ID number", "Full name"),
}


class RosterError(GradeError):
    """The roster cannot be used: which file, which line, what to change."""


@dataclass(frozen=True)
class Learner:
    """One line of the roster: who handed in which file."""

    id: str
    name: str
    file: str


def read_roster(path: str | os.PathLike) -> list[Learner]:
    """The learners of a roster CSV (columns ``id``, ``name``, ``file``; a header line first).

    Raises
    ------
    RosterError
        When the file cannot be read, a column is missing, a line has no id or file, or an id or
        a file name appears twice (two learners cannot share one, and one cannot have two).
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
            missing = [c for c in ROSTER_COLUMNS if c not in columns]
            if missing:
                raise RosterError(
                    f"{path}: no {', '.join(repr(c) for c in missing)} column; the roster's first line must "
                    f"name the columns {', '.join(ROSTER_COLUMNS)} (the learner's id in the LMS, their name, "
                    "and the file name of the notebook they handed in)"
                )
            learners: list[Learner] = []
            seen: dict[tuple[str, str], int] = {}
            for number, record in enumerate(reader, start=2):
                values = {c: (record.get(columns[c]) or "").strip() for c in ROSTER_COLUMNS}
                learner = Learner(values["id"], values["name"], Path(values["file"]).name)
                for field in ("id", "file"):
                    value = getattr(learner, field)
                    if not value:
                        raise RosterError(f"{path}, line {number}: no {field}; every learner needs an id and a file")
                    if (field, value) in seen:
                        raise RosterError(
                            f"{path}, line {number}: the {field} {value!r} is on line {seen[(field, value)]} too; "
                            "each learner and each file may appear once"
                        )
                    seen[(field, value)] = number
                learners.append(learner)
    except OSError as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"{path}: not a CSV text file ({type(exc).__name__}); save the roster as CSV, UTF-8") from exc
    if not learners:
        raise RosterError(f"{path}: the roster lists no learners")
    return learners


def lesson_points(outcome: Outcome) -> tuple[list[str], dict[str, dict[str, int]]]:
    """(the lessons graded, in order; {file name: {lesson: points}}) for every graded submission."""
    lessons = sorted(outcome.releases)
    only = lessons[0] if len(lessons) == 1 else None
    points: dict[str, dict[str, int]] = {}
    for row in outcome.rows:
        if row.question == "*":
            continue
        graded = outcome.graded.get(row.submission)
        lesson = graded.lesson if graded is not None and graded.lesson else only
        if lesson is None:
            continue
        by_lesson = points.setdefault(Path(row.submission).name, {})
        by_lesson[lesson] = by_lesson.get(lesson, 0) + row.points
    return lessons, points


def lms_table(outcome: Outcome, roster: Sequence[Learner], kind: str) -> tuple[list[list[str]], list[str]]:
    """(the lines of the import file, header first; notes for the instructor)."""
    if kind not in FORMATS:
        raise GradeError(f"no LMS format {kind!r}: choose one of {', '.join(FORMATS)}")
    lessons, points = lesson_points(outcome)
    table = [[*HEADERS[kind], *lessons]]
    notes = []
    for learner in roster:
        scored = points.get(learner.file)
        if scored is None:
            notes.append(f"{learner.name or learner.id}: no graded submission named {learner.file!r}; left empty")
        cells = [str(scored[lesson]) if scored and lesson in scored else "" for lesson in lessons]
        if kind == "canvas":
            table.append([learner.name, learner.id, "", "", "", *cells])
        else:
            table.append([learner.id, learner.name, *cells])
    listed = {learner.file for learner in roster}
    notes += [
        f"{name}: graded, but no learner of the roster handed it in; add a line for it to the roster"
        for name in sorted(points)
        if name not in listed
    ]
    return table, notes


def write_lms(
    outcome: Outcome, roster: Sequence[Learner], kind: str, path: str | os.PathLike
) -> tuple[Path, list[str]]:
    """Write the ``kind`` (canvas or moodle) import file to ``path``; (the path, notes for the instructor)."""
    table, notes = lms_table(outcome, roster, kind)
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(table)
    return path, notes
