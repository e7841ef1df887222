"""Grade a room of learner notebooks against the released exercises.

For each submission: find the released exercise it came from (notebook
metadata, so renamed files still work), put the released check cells back
(a learner cannot delete or edit a check), execute it in a fresh kernel with a
time limit, and read the checks' machine-readable outputs. A broken
submission (not JSON, an endless loop, a crashing kernel) gets a status of its
own and the run goes on.

Each submission runs in a sandbox of its own (:mod:`hpclab.grading.sandbox`) when the
machine allows one; its rows are written to the CSV as soon as it is graded,
so a crash of the grader loses at most the submissions still running, and
``resume`` skips the ones already written.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from hpclab import config
from hpclab.data import MANIFEST, data_root, data_size, prepare
from hpclab.grading.assess import HINTS, assess
from hpclab.grading.execute import RunStatus, execute
from hpclab.grading.lessons import choose_lesson, odd_lessons, release_note
from hpclab.grading.release import GradeError, Release, find_release_dir, load_release, released_lessons
from hpclab.grading.restore import restore_checks
from hpclab.grading.results import (
    Graded,
    Outcome,
    ResultsFile,
    Row,
    failed_row,
    graded_completely,
    read_csv,
    rows_for,
)
from hpclab.grading.sandbox import Limits, Sandbox, unavailable_reason
from hpclab.grading.status import STATUSES, Status
from hpclab.grading.submissions import collect, read_submission


def sandbox_choice(sandbox: bool) -> tuple[bool, str]:
    """(use a sandbox, warning to print once): the warning is '' when all is as asked."""
    if not sandbox:
        return False, (
            "grading WITHOUT a sandbox (--no-sandbox): every submission runs with your rights, "
            "can change the course and its checks, and can stop the grader"
        )
    reason = unavailable_reason()
    if reason:
        return False, (
            f"grading WITHOUT a sandbox: {reason}. Every submission runs with your rights, can change "
            "the course and its checks, and can stop the grader; grade only notebooks you trust, "
            "or grade on a Linux machine with bubblewrap"
        )
    return True, ""


def grade(
    paths: Iterable[str | os.PathLike],
    *,
    release_dir: str | os.PathLike | None = None,
    exercise: str | None = None,
    timeout: float = 600,
    cell_timeout: float = 180,
    jobs: int = 1,
    progress: bool = True,
    sandbox: bool = True,
    limits: Limits | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    hidden: str | os.PathLike | None = None,
) -> Outcome:
    """Grade every submission; return all rows and the problems worth telling the instructor.

    A room grades one lesson at a time: files whose lesson cannot be read are graded against
    ``exercise``, else against the one lesson the rest of the room names. One submission that
    fails (not a notebook, an endless loop, a dead kernel, even the grader's own failure) gets
    a status of its own and never stops the room.

    Parameters
    ----------
    paths
        Notebooks, or folders whose ``*.ipynb`` are the submissions.
    release_dir
        The course's ``exercises/`` folder; found from the working directory when None
        (:func:`~hpclab.grading.release.find_release_dir`).
    exercise
        Grade every submission against this lesson (``--exercise``), whatever its metadata says.
    timeout, cell_timeout
        Seconds one notebook, and one of its cells, may run.
    jobs
        Submissions graded side by side.
    progress
        Show a progress bar on stderr.
    sandbox
        Run each submission sandboxed when the machine allows it (else one warning is
        printed, and submissions run unsandboxed, with the grader's rights).
    limits
        The sandbox's limits; by default a CPU time of ``timeout`` + 60 s.
    out
        Write the scores CSV here row by row, as each submission finishes.
    resume
        Keep the submissions ``out`` already holds completely, grade the others.
    hidden
        The instructor's folder of hidden checks (``--hidden``; see :mod:`hpclab.checks.hidden`):
        each lesson's hidden checks run after its visible ones and are scored as questions of their own.

    Returns
    -------
    Outcome
        Every row, the notes for the instructor, each submission's :class:`~hpclab.grading.results.Graded`
        and the releases graded against; it unpacks as ``rows, problems``.

    Raises
    ------
    GradeError
        When the run cannot start: no submissions, no release, an unusable ``exercise`` or
        an ``out`` that is not a scores CSV (with ``resume``).
    """
    submissions = collect(paths)
    release_dir = Path(release_dir) if release_dir else find_release_dir()
    hidden = Path(hidden) if hidden else None
    if hidden is not None and not hidden.is_dir():
        raise GradeError(f"--hidden {hidden}: no such folder; pass the folder that holds your hidden checks")
    releases: dict[str, Release] = {}
    if exercise:
        releases[exercise] = load_release(release_dir, exercise, hidden)
    # A room grades one lesson at a time: use it for files whose lesson cannot be read.
    # Only lessons the release holds: a submission's metadata may name anything.
    readable = {read_submission(p)[1] for p in submissions} & set(released_lessons(release_dir))
    fallback = exercise or (readable.pop() if len(readable) == 1 else None)
    fallback_from = "--exercise" if exercise else "the rest of the room"
    if fallback and fallback not in releases:
        releases[fallback] = load_release(release_dir, fallback, hidden)
    use_sandbox, warning = sandbox_choice(sandbox)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    limits = (limits or Limits(cpu_seconds=int(timeout) + 60)) if use_sandbox else None
    if use_sandbox:
        for path in submissions:  # every lesson of the room, to make its data beforehand
            _lesson_of(path, release_dir, releases, fallback, exercise, hidden)
        _prepare_data(release_dir, releases)

    done: dict[str, list[Row]] = {}
    if resume and out is not None and Path(out).exists():
        before = read_csv(out)
        for path in submissions:
            kept = before.get(str(path), [])
            if kept and graded_completely(kept, _questions_of(path, release_dir, releases, fallback, exercise, hidden)):
                done[str(path)] = kept
    results = ResultsFile(out, keep=done) if out is not None else None
    skipped = list(done)
    todo = [p for p in submissions if str(p) not in done]

    bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)

    def one(path: Path) -> Graded:
        try:
            found = grade_one(
                path, release_dir, releases, fallback, timeout, cell_timeout, limits, fallback_from, exercise, hidden
            )
        except Exception as exc:  # never let one submission stop the room
            found = Graded(
                [failed_row(str(path), Status.GRADER_ERROR)], f"{path}: grading failed ({type(exc).__name__}: {exc})"
            )
        if results is not None:
            found = _written(results, path, found)
        bar.update(1)
        return found

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            fresh = dict(zip(map(str, todo), pool.map(one, todo)))
    finally:
        bar.close()
        if results is not None:
            results.close()
    names = [str(p) for p in submissions]
    rows: list[Row] = []
    problems: list[str] = []
    for name in names:
        if name in fresh:
            rows += fresh[name].rows
            if fresh[name].note:
                problems.append(fresh[name].note)
        else:
            rows += done[name]
    graded = {
        name: fresh.get(name)
        or Graded(
            done[name],
            "graded in an earlier run (--resume)",
            lesson=_lesson_of(Path(name), release_dir, releases, fallback, exercise, hidden),
        )
        for name in names
    }
    by_submission: dict[str, list[Row]] = {}
    for row in rows:
        by_submission.setdefault(row.submission, []).append(row)
    ungraded = [name for name in names if not graded_completely(by_submission.get(name, []))]
    problems += odd_lessons(graded)
    return Outcome(rows, problems, use_sandbox, skipped, ungraded, graded, releases)


def _written(results: ResultsFile, path: Path, found: Graded) -> Graded:
    """``found`` once its rows are in ``results``; a grader error for ``path`` when they cannot be
    written (a full disk): the run goes on, and ``--resume`` grades the submission again."""
    try:
        results.add(found.rows)
    except OSError as exc:
        return Graded(
            [failed_row(str(path), Status.GRADER_ERROR)],
            f"{path}: its rows could not be written to {results.path} ({exc}); "
            "free space there, then run the same command again with --resume",
            {
                q: "the grader could not record this notebook's result; your instructor has the details"
                for q in found.hints
            },
            found.lesson,
        )
    return found


def _lesson_of(
    path: Path,
    release_dir: Path,
    releases: dict[str, Release],
    fallback: str | None,
    exercise: str | None = None,
    hidden: Path | None = None,
) -> str | None:
    """The released lesson ``path`` is graded against (loaded into ``releases``), or None."""
    lesson = choose_lesson(path, read_submission(path)[1], release_dir, exercise, fallback)[0]
    if lesson is None:
        return None
    try:
        if lesson not in releases:
            releases[lesson] = load_release(release_dir, lesson, hidden)
    except GradeError:
        return None
    return lesson


def _questions_of(
    path: Path,
    release_dir: Path,
    releases: dict[str, Release],
    fallback: str | None,
    exercise: str | None = None,
    hidden: Path | None = None,
) -> list[str] | None:
    """The question ids ``path`` is graded on, or None when that cannot be told now."""
    lesson = _lesson_of(path, release_dir, releases, fallback, exercise, hidden)
    return None if lesson is None else [q.id for q in releases[lesson].questions]


def _prepare_data(release_dir: Path, releases: dict[str, Release]) -> None:
    """Make the course data before sandboxes start: inside one, the data folder is read-only."""
    uses_data = any("hpclab.data" in nbformat.writes(r.notebook) for r in releases.values())
    if not uses_data:
        return
    prepared = prepare()
    # Data made before hpclab made them readable by others (a 0600 manifest, 0700 dataset folders):
    # the sandbox's own uid must read them.
    folder = data_root() / data_size()
    for path in [folder / MANIFEST, *(p.folder for p in prepared)]:
        mode = path.stat().st_mode
        wanted = stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0)
        if mode & wanted != wanted:
            os.chmod(path, mode | wanted)


def grade_one(
    path: Path,
    release_dir: Path,
    releases: dict[str, Release],
    fallback: str | None,
    timeout: float,
    cell_timeout: float,
    limits: Limits | None = None,
    fallback_from: str = "the rest of the room",
    exercise: str | None = None,
    hidden: Path | None = None,
) -> Graded:
    """Rows for one submission, a note for the instructor ('' if none) and hints for the learner.

    The lesson is chosen by :func:`~hpclab.grading.lessons.choose_lesson` (``exercise`` first,
    else the notebook's metadata when it names a released lesson, else ``fallback``, else the
    file name), with a note when it is not simply the metadata's. The released checks are put
    back (:func:`~hpclab.grading.restore.restore_checks`), the notebook runs, and each
    question's status comes from :func:`~hpclab.grading.assess.assess`.

    Parameters
    ----------
    path
        The submission.
    release_dir
        The course's ``exercises/`` folder.
    releases
        The releases loaded so far, by lesson; the one this submission needs is added.
    fallback
        The lesson for a file whose own cannot be read (None: tell it from the file's name).
    timeout, cell_timeout
        Seconds the notebook, and one of its cells, may run.
    limits
        Run in a :class:`~hpclab.grading.sandbox.Sandbox` with these limits; None: with the
        grader's own rights.
    fallback_from
        Where ``fallback`` came from, for the note.
    exercise
        Grade against this lesson whatever the metadata says (``--exercise``).
    hidden
        The instructor's folder of hidden checks (``--hidden``), or None.

    Returns
    -------
    Graded
        A row per question (one ``*`` row when no released lesson could be found or read), the note, each
        question's hint and the lesson; it unpacks as ``rows, note``. Never raises for what
        the submission holds or does: a failure of the grader itself gives
        :attr:`~hpclab.grading.status.Status.GRADER_ERROR` rows.
    """
    nb, claimed, problem = read_submission(path)
    notes = []
    lesson, lesson_note = choose_lesson(path, claimed, release_dir, exercise, fallback, fallback_from)
    if lesson is None:
        return Graded(
            [failed_row(str(path), Status.INVALID_NOTEBOOK)],
            f"{problem} (and its lesson could not be told from its name; pass --exercise)" if problem else lesson_note,
        )
    if lesson_note and not problem:
        notes.append(lesson_note)
    if lesson not in releases:
        try:
            releases[lesson] = load_release(release_dir, lesson, hidden)
        except GradeError as exc:
            return Graded([failed_row(str(path), Status.INVALID_NOTEBOOK)], f"{path}: {exc}")
    release = releases[lesson]
    if nb is None or problem:
        status_of = {q.id: Status.INVALID_NOTEBOOK for q in release.questions}
        return Graded(
            rows_for(str(path), release, status_of),
            problem,
            {q: HINTS[Status.INVALID_NOTEBOOK] for q in status_of},
            lesson,
        )
    version_note = release_note(path, nb, release)
    if version_note:
        notes.append(version_note)
    stopped = ""
    try:
        token = secrets.token_hex(16)  # this run's: only payloads carrying it count
        hidden_file = release.hidden_file
        if hidden_file is not None and limits is not None:
            hidden_file = Sandbox.inside_path(hidden_file)
        merged = restore_checks(nb, release.notebook, token, hidden_file, release.hidden_for)
        if limits is None:
            # Each submission gets its own scratch folder: with --jobs, notebooks run side by side.
            with tempfile.TemporaryDirectory(prefix="hpclab-grade-") as scratch:
                run = execute(
                    merged,
                    release.path.parent,
                    timeout=timeout,
                    cell_timeout=cell_timeout,
                    allow_errors=True,
                    env={config.SCRATCH: scratch},
                )
        else:
            files = [release.hidden_file] if release.hidden_file else []
            with Sandbox(release.path.parent, limits, readable=[data_root()], files=files) as box:
                run = execute(
                    merged,
                    release.path.parent,
                    timeout=timeout,
                    cell_timeout=cell_timeout,
                    allow_errors=True,
                    sandbox=box,
                )
                stopped = box.stopped
        status_of, hints = assess(
            run.notebook,
            release,
            run.status,
            run.timed_out_cells,
            replies=run.replies,
            cut_cells=run.cut_cells,
            token=token,
            reported=run.reports,
        )
    except Exception as exc:  # never let one submission stop the room
        # Not the learner's "error": the grader failed (no sandbox uid free, bwrap broke, /tmp full...).
        status_of = {q.id: Status.GRADER_ERROR for q in release.questions}
        return Graded(
            rows_for(str(path), release, status_of),
            f"{path}: grading failed ({type(exc).__name__}: {exc})",
            {q: "the grader could not run this notebook; your instructor has the details" for q in status_of},
            lesson,
        )
    if stopped:
        notes.append(f"{path}: {stopped}")
        hints = {
            q: (h if status_of[q] != Status.KERNEL_DIED else f"your notebook was {stopped}") for q, h in hints.items()
        }
    elif run.status in (RunStatus.TIMEOUT, RunStatus.KERNEL_DIED):
        notes.append(f"{path}: {run.message}")
    return Graded(rows_for(str(path), release, status_of), "; ".join(notes), hints, lesson)


def summary(rows: Sequence[Row]) -> str:
    """A table: one line per submission with its score and how many questions got each status.

    Parameters
    ----------
    rows
        Scores rows (:attr:`~hpclab.grading.results.Outcome.rows`), in the order to list
        their submissions.

    Returns
    -------
    str
        A header, a rule, then per submission its file name, points of maximum points, and the
        count of each status in :data:`~hpclab.grading.status.STATUSES` order (those it got).
    """
    by_submission: dict[str, list[Row]] = {}
    for row in rows:
        by_submission.setdefault(row.submission, []).append(row)
    width = max([len("submission")] + [len(Path(s).name) for s in by_submission])
    header = f"{'submission':<{width}}  {'score':>9}  statuses"
    lines = [header, "-" * len(header)]
    for name, found in by_submission.items():
        score = sum(r.points for r in found)
        total = sum(r.max_points for r in found)
        counts = Counter(r.status for r in found)
        shown = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        lines.append(f"{Path(name).name:<{width}}  {score:>4}/{total:<4}  {shown}")
    return "\n".join(lines)
