"""Which released lesson, and which release of it, a submission is graded against.

A submission's metadata names its lesson, but that is a wish, not an order: ``--exercise`` wins,
and a claim counts only when it names a lesson the release holds; otherwise the rest of the
room's lesson or the file's name decides. A submission started from an older release is graded
against the current one, with a note saying whether its checks are still the same. Each choice
that is not simply the metadata's gets a note for the instructor.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat

from hpclab.grading.release import Release, is_check_cell, released_lessons
from hpclab.grading.restore import normalized_source
from hpclab.grading.results import Graded


def choose_lesson(
    path: Path,
    claimed: str | None,
    release_dir: Path,
    exercise: str | None = None,
    fallback: str | None = None,
    fallback_from: str = "the rest of the room",
) -> tuple[str | None, str]:
    """(the lesson ``path`` is graded against, a note for the instructor or '').

    The learner's metadata (``claimed``) is a wish, not an order: with
    ``exercise`` (``--exercise``) every submission is graded against it and
    a different claim is noted; else a claim counts only when it names a
    lesson ``release_dir`` holds. A missing or unusable claim falls back to
    ``fallback`` (which came from ``fallback_from``), else to the lesson the
    file name holds; None when nothing tells the lesson.
    """
    if exercise:
        if claimed is None:
            return exercise, (
                f"{path}: no hpclab lesson metadata (cells copied into a new notebook?); "
                f"graded against {exercise}, the lesson of --exercise"
            )
        if claimed != exercise:
            return (
                exercise,
                f"{path}: its metadata names {_claim(claimed, release_dir)}, not {exercise}; "
                f"graded against {exercise} (--exercise)",
            )
        return exercise, ""
    if claimed is not None and claimed in released_lessons(release_dir):
        return claimed, ""
    if claimed is None:
        why = "no hpclab lesson metadata (cells copied into a new notebook?)"
    else:
        why = f"its metadata names a lesson that is not released in {release_dir}"
    lesson, told = (fallback, fallback_from) if fallback else (_lesson_from_name(path, release_dir), "its file name")
    if lesson is None:
        return None, f"{path}: {why} (and its lesson could not be told from its name; pass --exercise)"
    return lesson, f"{path}: {why}; graded against {lesson}, the lesson of {told}"


def _claim(claimed: str, release_dir: Path) -> str:
    """A lesson the metadata names, in words: a released lesson by its name, anything else never quoted."""
    return f"lesson {claimed}" if claimed in released_lessons(release_dir) else "a lesson that is not released"


def _lesson_from_name(path: Path, release_dir: Path) -> str | None:
    """The released lesson a file name holds: its full name (``08-mpi-point-to-point``) or number (``08``)."""
    lessons = sorted(p.stem for p in Path(release_dir).glob("*.ipynb"))
    name = path.stem
    for lesson in sorted(lessons, key=len, reverse=True):
        if lesson in name:
            return lesson
    numbered = [
        lesson for lesson in lessons if re.search(rf"(?<![0-9]){re.escape(lesson.split('-')[0])}(?![0-9a-z])", name)
    ]
    return numbered[0] if len(numbered) == 1 else None


def release_note(path: Path, submitted: nbformat.NotebookNode, release: Release) -> str:
    """'' when the submission comes from this release, else which release it comes from and whether
    its checks still match this one's (then grading against this release is fair)."""
    ours = release.notebook.metadata.get("hpclab", {}).get("version")
    metadata = submitted.metadata.get("hpclab")  # the learner's file: any JSON value at all
    theirs = metadata.get("version") if isinstance(metadata, dict) else None
    if not ours or theirs == ours:
        return ""
    checks = {c.id: normalized_source(c.source) for c in release.notebook.cells if is_check_cell(c)}
    their_cells = {c.get("id"): normalized_source(c.get("source", "")) for c in submitted.cells}
    changed = sorted(
        {qid for qid, cell_id in release.check_cell_of.items() if their_cells.get(cell_id) != checks.get(cell_id)}
    )
    # The learner's metadata is never quoted (notes reach the learner and the log): only described.
    origin = "another release of this lesson" if theirs else "a release made before exercises carried a version"
    if not changed:
        return f"{path}: started from {origin}; graded against release {ours}, whose checks are the same"
    return (
        f"{path}: started from {origin}, whose checks differ from release {ours} in {', '.join(changed)}; "
        f"graded against release {ours}: look at those questions by hand, or have the learner move "
        f"their answers into the current exercise"
    )


def odd_lessons(graded: dict[str, Graded]) -> list[str]:
    """Notes for the submissions graded against another lesson than most of the room.

    A room grades one lesson at a time; a notebook whose metadata names
    another released lesson is graded against that one (and the gradebook
    gets that lesson's columns too): the instructor should know.
    """
    counts = Counter(g.lesson for g in graded.values() if g.lesson)
    if len(counts) < 2:
        return []
    common = counts.most_common(1)[0][0]
    return [
        f"{path}: graded against {g.lesson}, while most of the room was graded against {common}; "
        f"pass --exercise {common} to grade every notebook against it"
        for path, g in graded.items()
        if g.lesson and g.lesson != common
    ]
