"""What grading finds, and the scores CSV that keeps it.

One :class:`Row` per question of each submission (a single ``*`` row when no question could be
graded), gathered per submission in :class:`Graded` and per room in :class:`Outcome`. The rows
go to a long CSV (``FIELDS`` are its columns), written row by row as each submission finishes and
synced to disk (:class:`ResultsFile`), so a crash of the grader loses at most the submissions
still running, and ``--resume`` reads back (:func:`read_csv`) the ones already written.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hpclab.grading.release import GradeError, Release
from hpclab.grading.status import Status

#: The scores CSV's columns, in order: :class:`Row`'s fields.
FIELDS = ("submission", "question", "level", "points", "max_points", "status")


@dataclass(frozen=True)
class Row:
    """One question of one submission: a line of the scores CSV."""

    submission: str
    question: str  # "*" when no question could be graded
    level: str
    points: int
    max_points: int
    status: Status


@dataclass
class Graded:
    """One submission's result: its rows, a note for the instructor, each question's hint."""

    rows: list[Row]
    note: str = ""
    hints: dict[str, str] = field(default_factory=dict)
    lesson: str | None = None

    def __iter__(self):  # rows, note = grade_one(...)
        return iter((self.rows, self.note))


@dataclass
class Outcome:
    """What a grading run found."""

    rows: list[Row]
    problems: list[str]
    sandboxed: bool
    skipped: list[str]  # submissions already in the CSV (``resume``)
    ungraded: list[str]  # submissions that got no row per question
    graded: dict[str, Graded] = field(default_factory=dict)  # by submission: rows, note, hints, lesson
    releases: dict[str, Release] = field(default_factory=dict)  # the released lessons graded against

    def __iter__(self):  # rows, problems = grade(...) keeps working
        return iter((self.rows, self.problems))


def rows_for(name: str, release: Release, status_of: dict[str, Status]) -> list[Row]:
    """A row per question of ``release`` for submission ``name``: its points only when it passed."""
    return [
        Row(name, q.id, q.stars, q.points if status_of[q.id] == Status.PASSED else 0, q.points, status_of[q.id])
        for q in release.questions
    ]


def failed_row(name: str, status: Status) -> Row:
    """The one row of a submission none of whose questions could be graded."""
    return Row(name, "*", "", 0, 0, status)


def graded_completely(rows: Sequence[Row], questions: Iterable[str] | None = None) -> bool:
    """Whether rows of one submission say it was graded: a row per question (``questions``,
    when known), none of them an unreadable file or a grader failure."""
    if not rows or any(r.question == "*" or r.status == Status.GRADER_ERROR for r in rows):
        return False
    return questions is None or {r.question for r in rows} == set(questions)


class ResultsFile:
    """The long CSV, written row by row as submissions finish (flushed to disk each time)."""

    def __init__(self, path: str | os.PathLike, *, keep: dict[str, list[Row]] | None = None):
        """Start ``path`` afresh, holding the rows of ``keep`` (the submissions a resumed run keeps)."""
        self.path = Path(path)
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(FIELDS)
            for rows in (keep or {}).values():
                writer.writerows([getattr(row, f) for f in FIELDS] for row in rows)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, self.path)
        # Unbuffered: rows that could not be written (a full disk) are not left in a buffer to be
        # written later, half a line into someone else's rows.
        self._fh = open(self.path, "ab", buffering=0)
        self._lock = threading.Lock()

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._fh.write(view) :]

    def add(self, rows: Sequence[Row]) -> None:
        """Append ``rows`` and sync them to disk; on OSError (a full disk) none of them stays in the file."""
        text = io.StringIO(newline="")
        csv.writer(text).writerows([getattr(row, f) for f in FIELDS] for row in rows)
        with self._lock:
            start = os.fstat(self._fh.fileno()).st_size
            try:
                self._write_all(text.getvalue().encode("utf-8"))
                os.fsync(self._fh.fileno())
            except OSError:
                try:
                    os.ftruncate(self._fh.fileno(), start)
                except OSError:
                    pass  # read_csv drops a half-written line; --resume grades that submission again
                raise

    def close(self) -> None:
        self._fh.close()


def read_csv(path: str | os.PathLike) -> dict[str, list[Row]]:
    """Rows of a scores CSV by submission, for ``--resume`` (a last, half-written line is dropped)."""
    found: dict[str, list[Row]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return found
        if tuple(reader.fieldnames) != FIELDS:
            raise GradeError(
                f"{path}: not a scores CSV of hpclab grade (columns {reader.fieldnames}); "
                "pass another --out, or drop --resume to overwrite it"
            )
        for record in reader:
            try:
                row = Row(
                    record["submission"],
                    record["question"],
                    record["level"],
                    int(record["points"]),
                    int(record["max_points"]),
                    Status(record["status"]),
                )
            except (TypeError, ValueError):
                continue  # the line the grader was writing when it stopped
            found.setdefault(row.submission, []).append(row)
    return found


def write_csv(rows: Sequence[Row], out: str | os.PathLike) -> None:
    """Write ``rows`` to ``out`` as a scores CSV, all at once (header first)."""
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for row in rows:
            writer.writerow([getattr(row, f) for f in FIELDS])
