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

import copy
import csv
import io
import os
import re
import secrets
import sys
import tempfile
import textwrap
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hpclab.checks import MIME_TYPE, Question, questions_of
from hpclab.data import SCRATCH_ENV
from hpclab.errors import HpclabError
from hpclab.grading.build import CHECK_TAG
from hpclab.grading.execute import KERNEL_DIED, TIMEOUT, execute
from hpclab.grading.sandbox import Limits, Sandbox, unavailable_reason

STATUSES = ("passed", "failed", "not-attempted", "error", "timeout", "kernel-died", "invalid-notebook")
FIELDS = ("submission", "question", "level", "points", "max_points", "status")
_CHECK_CALL = re.compile(r"\bcheck_(\w+)\s*\(")
# A lesson's name as the course spells it (02-dask-futures, 09b-mpi-heat-equation): never a path.
LESSON_NAME = re.compile(r"[0-9]{2}[a-z]?-[a-z0-9]+(?:-[a-z0-9]+)*")
_CHECKS_MODULE = re.compile(r"hpclab\.checks\.[a-z_][a-z0-9_]*")


class GradeError(HpclabError, ValueError):
    """The grading run itself cannot start (not a problem with one submission)."""


@dataclass(frozen=True)
class Row:
    submission: str
    question: str
    level: str
    points: int
    max_points: int
    status: str


@dataclass
class Release:
    """A released exercise: its notebook, questions and which cell checks which."""

    lesson: str
    path: Path
    notebook: nbformat.NotebookNode
    questions: list[Question]
    check_cell_of: dict[str, str]  # question id -> cell id


def _shown(value: object, width: int = 60) -> str:
    """A learner-chosen value, quoted and cut short, for a message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def is_check_cell(cell) -> bool:
    return CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def released_lessons(release_dir: str | os.PathLike) -> list[str]:
    """The lessons ``release_dir`` holds: its notebooks named like a lesson."""
    return sorted(p.stem for p in Path(release_dir).glob("*.ipynb") if LESSON_NAME.fullmatch(p.stem))


def load_release(release_dir: Path, lesson: str) -> Release:
    """Read ``release_dir/<lesson>.ipynb`` and index its check cells.

    ``lesson`` must be a lesson's name, never a path (a submission's metadata
    names it, and ``../solutions/...`` must not load the solutions); the
    checks module comes from this release notebook's own metadata and must be
    one of ``hpclab.checks`` (the grader imports it with its own rights).
    """
    if not isinstance(lesson, str) or not LESSON_NAME.fullmatch(lesson):
        raise GradeError(
            f"{_shown(lesson)} is not a lesson name (such as 02-dask-futures); "
            f"pass --exercise with one of: {', '.join(released_lessons(release_dir)) or 'none found'}"
        )
    path = Path(release_dir) / f"{lesson}.ipynb"
    if not path.is_file():
        raise GradeError(f"no released exercise {path}; pass --release pointing at the course's exercises/ folder")
    notebook = nbformat.read(path, as_version=4)
    module = notebook.metadata.get("hpclab", {}).get("checks")
    if not isinstance(module, str) or not _CHECKS_MODULE.fullmatch(module):
        raise GradeError(
            f"{path}: its metadata names checks module {_shown(module)}, not one of hpclab.checks; "
            "rebuild the exercises with `hpclab build`"
        )
    questions = questions_of(module)
    check_cell_of = {}
    for cell in notebook.cells:
        if is_check_cell(cell):
            for qid in _CHECK_CALL.findall(cell.source):
                check_cell_of[qid] = cell.id
    missing = [q.id for q in questions if q.id not in check_cell_of]
    if missing:
        raise GradeError(f"{path}: no check cell calls check_{missing[0]}; rebuild the exercises with `hpclab build`")
    return Release(lesson, path, notebook, questions, check_cell_of)


def fresh_check_source(cell_source: str, module: str, token: str | None = None) -> str:
    """A check cell that uses the checks as installed, not as the learner's kernel has them.

    The exercise imports ``check_qN`` in a cell the learner can edit, and
    learner code could replace a check function or patch its module. So the
    grader drops every ``hpclab.checks`` module from the kernel's import cache
    and imports the called checks afresh right before calling them. IPython
    event hooks the learner registered (before, or from code the check calls)
    could display a forged result after the check's own: none of them runs in
    this cell (they are back for the learner's later cells). ``token`` is the
    grading run's secret: the fresh checks put it in their payloads. (Code
    that deliberately patches Python or IPython itself can still cheat: no
    in-kernel grader can stop that; pair grading with an honour code.)
    """
    names = sorted(set(_CHECK_CALL.findall(cell_source)))
    imports = ", ".join(f"check_{n}" for n in names)
    token_line = f"_hpclab_checks.grade_with({token!r})\n" if token else ""
    return (
        "from IPython.core.getipython import get_ipython as _hpclab_get_ipython\n"
        "import sys as _hpclab_sys\n"
        "_hpclab_events = _hpclab_get_ipython().events\n"
        "_hpclab_hooks = _hpclab_events.callbacks\n"
        "_hpclab_events.callbacks = {_hpclab_e: [] for _hpclab_e in _hpclab_hooks}\n"
        "for _hpclab_m in [m for m in _hpclab_sys.modules if m == 'hpclab.checks' or m.startswith('hpclab.checks.')]:\n"
        "    del _hpclab_sys.modules[_hpclab_m]\n"
        f"from {module} import {imports}\n"
        "import hpclab.checks as _hpclab_checks\n"
        f"{token_line}"
        "try:\n" + textwrap.indent(cell_source.strip() or "pass", "    ") + "\nfinally:\n"
        # Hooks registered while the check ran are dropped; the learner's own come back after this cell.
        "    _hpclab_events.callbacks = {_hpclab_e: [] for _hpclab_e in _hpclab_hooks}\n"
        "    _hpclab_events.callbacks['post_run_cell'].append(\n"
        "        lambda *_a, _h=_hpclab_hooks, _e=_hpclab_events: setattr(_e, 'callbacks', _h)\n"
        "    )\n"
    )


def _normalized(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _looks_like_check(cell, check_sources: set[str]) -> bool:
    """A learner's copy of a check cell (its tag or id lost): the released source, or only check calls."""
    if cell.get("cell_type") != "code":
        return False
    source = _normalized(cell.get("source", ""))
    if source in check_sources:
        return True
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(re.fullmatch(r"check_\w+\s*\(.*\)\s*;?", ln) for ln in lines)


def match_cells(learner_cells: Sequence, release: nbformat.NotebookNode) -> dict[int, int]:
    """Release cell index -> index of the learner's copy of it: by cell id, else by unchanged content.

    Content matching (in order, never going back) finds cells a learner copied
    into a new notebook, where every cell got a new id: the prose and the
    unchanged code still match, the answers (changed) do not.
    """
    by_id = {c.get("id"): i for i, c in enumerate(learner_cells)}
    matched: dict[int, int] = {}
    for r, cell in enumerate(release.cells):
        if not is_check_cell(cell) and cell.get("id") in by_id:
            matched[r] = by_id[cell.get("id")]
    used = set(matched.values())
    cursor = 0
    for r, cell in enumerate(release.cells):
        if r in matched:
            cursor = matched[r] + 1
            continue
        if is_check_cell(cell) or not cell.get("source", "").strip():
            continue
        wanted = _normalized(cell.source)
        for i in range(cursor, len(learner_cells)):
            if (
                i not in used
                and learner_cells[i].get("cell_type") == cell.cell_type
                and _normalized(learner_cells[i].get("source", "")) == wanted
            ):
                matched[r] = i
                used.add(i)
                cursor = i + 1
                break
    return matched


def restore_checks(
    learner: nbformat.NotebookNode, release: nbformat.NotebookNode, token: str | None = None
) -> nbformat.NotebookNode:
    """The learner's cells with the released check cells put back in place.

    Any cell that is (or pretends to be, or is a copy of) a check is dropped;
    each released check goes right after the learner's copy of the cell that
    precedes it in the release. When that cell has no copy (deleted, or
    copied under a new id and edited), the check goes right before the
    learner's copy of the next release cell found (the next question's text),
    else after the previous check. Each check imports its functions afresh
    and carries ``token`` (see :func:`fresh_check_source`).
    """
    module = release.metadata.get("hpclab", {}).get("checks")
    released_checks = {c.id for c in release.cells if is_check_cell(c)}
    check_sources = {_normalized(c.source) for c in release.cells if is_check_cell(c)}
    cells = [
        copy.deepcopy(c)
        for c in learner.cells
        if not is_check_cell(c) and c.get("id") not in released_checks and not _looks_like_check(c, check_sources)
    ]
    matched = match_cells(cells, release)
    placed: list[tuple[float, int, nbformat.NotebookNode]] = []
    anchor = -1.0
    for order, cell in enumerate(release.cells):
        if is_check_cell(cell):
            restored = copy.deepcopy(cell)
            if module:
                restored.source = fresh_check_source(cell.source, module, token)
            here = anchor
            if order - 1 not in matched:
                following = [matched[r] for r in range(order + 1, len(release.cells)) if r in matched]
                here = max(anchor, following[0] - 1.0) if following else max(anchor, len(cells) - 1.0)
            placed.append((here, order, restored))
            anchor = here
        elif order in matched:
            anchor = max(anchor, float(matched[order]))
    merged = copy.deepcopy(learner)
    merged.cells = []
    queue = sorted(placed, key=lambda item: (item[0], item[1]))
    for index in range(-1, len(cells)):
        if index >= 0:
            merged.cells.append(cells[index])
        while queue and queue[0][0] <= index:
            merged.cells.append(queue.pop(0)[2])
    return merged


def _error_names(cell) -> list[str]:
    return [o.get("ename", "") for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def statuses(
    executed: nbformat.NotebookNode, release: Release, run_status: str, timed_out_cells: Sequence[int], **kwargs
) -> dict[str, str]:
    """Each question's status from an executed, check-restored notebook (see :func:`assess`)."""
    return assess(executed, release, run_status, timed_out_cells, **kwargs)[0]


_HINTS = {
    "timeout": "a cell before this check ran past the time limit and was interrupted: look for an endless loop "
    "or a computation far bigger than asked",
    "kernel-died": "the notebook's kernel died before this check ran (it exited, crashed or used too much memory)",
    "error": "your code in the cells before this check raised {errors}: run them top to bottom and fix it",
    "invalid-notebook": "the file could not be read as a notebook: download it again from JupyterLab (File > Download)",
}
_CHECK_HINTS = {
    "timeout": "this check ran past the time limit and was interrupted: look for an endless loop in your answer",
    "kernel-died": "the notebook's kernel died while this check ran (your answer exited, crashed or used too "
    "much memory)",
    "cut": "this check's output was cut because your code printed too much while it ran: print less",
    "unfinished": "this check did not finish (its cell raised {errors}): run it again and let it finish",
    "silent": "this check reported no result: its cell raised {errors} or its output was hidden",
    "reported": "this check's result was reported {times} times: only the check itself may display it, "
    "so code of yours displayed one too; remove that code and grade again",
}


def _questions_by_cell(release: Release) -> dict[str, set[str]]:
    """Check cell id -> the ids of the questions that cell checks."""
    found: dict[str, set[str]] = {}
    for qid, cell_id in release.check_cell_of.items():
        found.setdefault(cell_id, set()).add(qid)
    return found


def _check_payload(output, lesson: str, questions: set[str], token: str | None) -> dict | None:
    """The check result ``output`` holds, or None unless it is one the restored check itself emits:
    a display of this lesson, for a question of this cell, carrying this run's token."""
    if output.get("output_type") != "display_data":
        return None
    payload = output.get("data", {}).get(MIME_TYPE)
    if not isinstance(payload, dict) or payload.get("lesson") != lesson:
        return None
    if not isinstance(payload.get("id"), str) or payload["id"] not in questions:  # learner output may hold anything
        return None
    if payload.get("token") != token or payload.get("status") not in ("passed", "failed", "not-attempted"):
        return None
    return payload


def assess(
    executed: nbformat.NotebookNode,
    release: Release,
    run_status: str,
    timed_out_cells: Sequence[int],
    *,
    replies: dict[int, str] | None = None,
    cut_cells: Sequence[int] = (),
    token: str | None = None,
    reported: dict[int, list] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(status, hint) of each question from an executed, check-restored notebook.

    A question's result is the last payload its own check cell holds that
    the restored check emitted (see :func:`_check_payload`): payloads in other
    cells, for other questions or without ``token`` are ignored, and a
    learner's display before the check's own result is overridden by it.
    It passes only when that cell also finished without error (``replies``:
    cell index -> execute_reply status, as :class:`~hpclab.grading.execute.Execution`
    has them) and its output was not cut. With ``reported`` (cell index -> every check report the
    cell sent, as :class:`~hpclab.grading.execute.Execution` has them), it passes only when its check cell sent
    exactly one report for it with the token: the check's own. Learner code still running in the
    check cell (a ``__del__``, a hook, a thread) can read the token and display a report of its own
    after the real one, but it cannot take the real one back, so a forgery always makes two.
    """
    replies = replies or {}
    questions_of_cell = _questions_by_cell(release)
    reports: dict[str, dict] = {}
    check_index: dict[str, int] = {}
    region_of: dict[str, list[int]] = {}
    region: list[int] = []
    for index, cell in enumerate(executed.cells):
        if cell.get("id") in questions_of_cell:
            for output in cell.get("outputs", []):
                payload = _check_payload(output, release.lesson, questions_of_cell[cell.id], token)
                if payload is not None:
                    reports[payload["id"]] = payload
            check_index[cell.id] = index
            region_of[cell.id] = region
            region = []
        elif cell.cell_type == "code":
            region.append(index)
    result, hints = {}, {}
    for question in release.questions:
        cell_id = release.check_cell_of[question.id]
        status, hint = _question_status(
            executed,
            reports.get(question.id),
            check_index.get(cell_id),
            region_of.get(cell_id, []),
            run_status,
            timed_out_cells,
            replies,
            cut_cells,
        )
        sent = _reports_sent(reported, check_index.get(cell_id), question.id, token)
        if status == "passed" and sent != 1:
            status, hint = "failed", _CHECK_HINTS["reported"].format(times=sent)
        result[question.id], hints[question.id] = status, hint
    return result, hints


def _reports_sent(reports: dict[int, list] | None, check: int | None, qid: str, token: str | None) -> int:
    """How many reports for question ``qid`` carrying ``token`` cell ``check`` sent (1 when not tracked)."""
    if reports is None:
        return 1
    sent = reports.get(check, []) if check is not None else []
    return sum(1 for r in sent if isinstance(r, dict) and r.get("id") == qid and r.get("token") == token)


def _question_status(
    executed: nbformat.NotebookNode,
    payload: dict | None,
    check: int | None,
    region: list[int],
    run_status: str,
    timed_out_cells: Sequence[int],
    replies: dict[int, str],
    cut_cells: Sequence[int],
) -> tuple[str, str]:
    """(status, hint) of one question from its check cell (index ``check``) and the learner cells before it."""
    learner_errors = [
        name for i in region for name in _error_names(executed.cells[i]) if name not in ("NotImplementedError", "")
    ]
    check_errors = _error_names(executed.cells[check]) if check is not None else []
    reply = replies.get(check) if check is not None else None
    named = ", ".join(sorted(set(check_errors))) or "an error"
    if payload and payload["status"] == "passed" and reply == "ok" and check not in cut_cells:
        return "passed", str(payload.get("message", ""))
    if check in timed_out_cells:
        return "timeout", _CHECK_HINTS["timeout"]
    if any(i in timed_out_cells for i in region) or (reply is None and run_status == TIMEOUT):
        return "timeout", _HINTS["timeout"]
    if reply is None and run_status == KERNEL_DIED:
        return "kernel-died", _CHECK_HINTS["kernel-died"] if _ran(executed, check) else _HINTS["kernel-died"]
    if check in cut_cells:
        return "error", _CHECK_HINTS["cut"]
    if learner_errors:
        return "error", _HINTS["error"].format(errors=", ".join(sorted(set(learner_errors))))
    if payload is None:
        return "error", _CHECK_HINTS["silent"].format(errors=named)
    if payload["status"] == "passed":  # the check said so, but its cell did not finish cleanly
        return "error", _CHECK_HINTS["unfinished"].format(errors=named)
    return payload["status"], str(payload.get("message", ""))


def _ran(executed: nbformat.NotebookNode, index: int | None) -> bool:
    """Whether cell ``index`` started running (it has outputs)."""
    return index is not None and bool(executed.cells[index].get("outputs"))


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str | None, str]:
    """(notebook, lesson, problem): problem is '' when the file is usable."""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            None,
            None,
            f"{path}: not a valid notebook ({first_line}); ask the learner to re-download it from JupyterLab (File > Download)",
        )
    hpclab_metadata = nb.metadata.get("hpclab", {})
    lesson = hpclab_metadata.get("lesson") if isinstance(hpclab_metadata, dict) else None
    return nb, (str(lesson) if lesson else None), ""


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
                f"{path}: its metadata names lesson {_shown(claimed)}, not {exercise}; graded against {exercise} (--exercise)",
            )
        return exercise, ""
    if claimed is not None and claimed in released_lessons(release_dir):
        return claimed, ""
    if claimed is None:
        why = "no hpclab lesson metadata (cells copied into a new notebook?)"
    else:
        why = f"its metadata names lesson {_shown(claimed)}, which is not a released lesson in {release_dir}"
    lesson, told = (fallback, fallback_from) if fallback else (_lesson_from_name(path, release_dir), "its file name")
    if lesson is None:
        return None, f"{path}: {why} (and its lesson could not be told from its name; pass --exercise)"
    return lesson, f"{path}: {why}; graded against {lesson}, the lesson of {told}"


def _rows(name: str, release: Release, status_of: dict[str, str]) -> list[Row]:
    return [
        Row(name, q.id, q.stars, q.points if status_of[q.id] == "passed" else 0, q.points, status_of[q.id])
        for q in release.questions
    ]


@dataclass
class Graded:
    """One submission's result: its rows, a note for the instructor, each question's hint."""

    rows: list[Row]
    note: str = ""
    hints: dict[str, str] = field(default_factory=dict)
    lesson: str | None = None

    def __iter__(self):  # rows, note = grade_one(...)
        return iter((self.rows, self.note))


def release_note(path: Path, submitted: nbformat.NotebookNode, release: Release) -> str:
    """'' when the submission comes from this release, else which release it comes from and whether
    its checks still match this one's (then grading against this release is fair)."""
    ours = release.notebook.metadata.get("hpclab", {}).get("version")
    metadata = submitted.metadata.get("hpclab")  # the learner's file: any JSON value at all
    theirs = metadata.get("version") if isinstance(metadata, dict) else None
    if not ours or theirs == ours:
        return ""
    checks = {c.id: _normalized(c.source) for c in release.notebook.cells if is_check_cell(c)}
    their_cells = {c.get("id"): _normalized(c.get("source", "")) for c in submitted.cells}
    changed = sorted(
        {qid for qid, cell_id in release.check_cell_of.items() if their_cells.get(cell_id) != checks.get(cell_id)}
    )
    origin = f"release {theirs}" if theirs else "a release older than version numbers"
    if not changed:
        return f"{path}: started from {origin}; graded against release {ours}, whose checks are the same"
    return (
        f"{path}: started from {origin}, whose checks differ from release {ours} in {', '.join(changed)}; "
        f"graded against release {ours}: look at those questions by hand, or have the learner move "
        f"their answers into the current exercise"
    )


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
) -> Graded:
    """Rows for one submission, a note for the instructor ('' if none) and hints for the learner.

    The lesson is chosen by :func:`choose_lesson` (``exercise`` first, else
    the notebook's metadata when it names a released lesson, else
    ``fallback``, else the file name), with a note when it is not simply
    the metadata's. With ``limits`` the submission runs in a
    :class:`~hpclab.grading.sandbox.Sandbox` with those limits; without, with the
    grader's own rights.
    """
    nb, claimed, problem = read_submission(path)
    notes = []
    lesson, lesson_note = choose_lesson(path, claimed, release_dir, exercise, fallback, fallback_from)
    if lesson is None:
        return Graded(
            [Row(str(path), "*", "", 0, 0, "invalid-notebook")],
            f"{problem} (and its lesson could not be told from its name; pass --exercise)" if problem else lesson_note,
        )
    if lesson_note and not problem:
        notes.append(lesson_note)
    if lesson not in releases:
        try:
            releases[lesson] = load_release(release_dir, lesson)
        except GradeError as exc:
            return Graded([Row(str(path), "*", "", 0, 0, "invalid-notebook")], f"{path}: {exc}")
    release = releases[lesson]
    if nb is None or problem:
        status_of = {q.id: "invalid-notebook" for q in release.questions}
        return Graded(
            _rows(str(path), release, status_of), problem, {q: _HINTS["invalid-notebook"] for q in status_of}, lesson
        )
    version_note = release_note(path, nb, release)
    if version_note:
        notes.append(version_note)
    stopped = ""
    try:
        token = secrets.token_hex(16)  # this run's: only payloads carrying it count
        merged = restore_checks(nb, release.notebook, token)
        if limits is None:
            # Each submission gets its own scratch folder: with --jobs, notebooks run side by side.
            with tempfile.TemporaryDirectory(prefix="hpclab-grade-") as scratch:
                run = execute(
                    merged,
                    release.path.parent,
                    timeout=timeout,
                    cell_timeout=cell_timeout,
                    allow_errors=True,
                    env={SCRATCH_ENV: scratch},
                )
        else:
            from hpclab.data import data_root

            with Sandbox(release.path.parent, limits, readable=[data_root()]) as box:
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
        status_of = {q.id: GRADER_ERROR for q in release.questions}
        return Graded(
            _rows(str(path), release, status_of),
            f"{path}: grading failed ({type(exc).__name__}: {exc})",
            {q: "the grader could not run this notebook; your instructor has the details" for q in status_of},
            lesson,
        )
    if stopped:
        notes.append(f"{path}: {stopped}")
        hints = {q: (h if status_of[q] != "kernel-died" else f"your notebook was {stopped}") for q, h in hints.items()}
    elif run.status in (TIMEOUT, KERNEL_DIED):
        notes.append(f"{path}: {run.message}")
    return Graded(_rows(str(path), release, status_of), "; ".join(notes), hints, lesson)


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


def find_release_dir(start: Path | None = None) -> Path:
    """The nearest ``exercises/`` folder at or above ``start`` (default: cwd)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "solutions").is_dir():
            return folder / "exercises"
    raise GradeError("cannot find the course's exercises/ folder from here; pass --release DIR")


def collect(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Submission files: notebooks named directly, or every *.ipynb in a named folder."""
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.glob("*.ipynb") if not p.name.startswith("."))
        elif item.exists():
            found.append(item)
        else:
            raise GradeError(f"{item}: no such file or folder")
    if not found:
        raise GradeError("no submissions to grade (give notebooks or folders of notebooks)")
    return found


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
                    record["status"],
                )
            except (TypeError, ValueError):
                continue  # the line the grader was writing when it stopped
            found.setdefault(row.submission, []).append(row)
    return found


def graded_completely(rows: Sequence[Row], questions: Iterable[str] | None = None) -> bool:
    """Whether rows of one submission say it was graded: a row per question (``questions``,
    when known), none of them an unreadable file or a grader failure."""
    if not rows or any(r.question == "*" or r.status == GRADER_ERROR for r in rows):
        return False
    return questions is None or {r.question for r in rows} == set(questions)


# A submission the grader itself failed on: not graded (exit status 1), and graded again by --resume.
GRADER_ERROR = "grader-error"


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
) -> Outcome:
    """Grade every submission; return all rows and the problems worth telling the instructor.

    ``sandbox``: run each submission sandboxed when the machine allows it
    (else one warning is printed, and submissions run unsandboxed).
    ``out``: write the CSV row by row as each submission finishes;
    ``resume``: keep the submissions ``out`` already holds, grade the others.
    """
    submissions = collect(paths)
    release_dir = Path(release_dir) if release_dir else find_release_dir()
    releases: dict[str, Release] = {}
    if exercise:
        releases[exercise] = load_release(release_dir, exercise)
    # A room grades one lesson at a time: use it for files whose lesson cannot be read.
    # Only lessons the release holds: a submission's metadata may name anything.
    readable = {read_submission(p)[1] for p in submissions} & set(released_lessons(release_dir))
    fallback = exercise or (readable.pop() if len(readable) == 1 else None)
    fallback_from = "--exercise" if exercise else "the rest of the room"
    if fallback and fallback not in releases:
        releases[fallback] = load_release(release_dir, fallback)
    use_sandbox, warning = sandbox_choice(sandbox)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    limits = (limits or Limits(cpu_seconds=int(timeout) + 60)) if use_sandbox else None
    if use_sandbox:
        for path in submissions:  # every lesson of the room, to make its data beforehand
            _lesson_of(path, release_dir, releases, fallback, exercise)
        _prepare_data(release_dir, releases)

    done: dict[str, list[Row]] = {}
    if resume and out is not None and Path(out).exists():
        before = read_csv(out)
        for path in submissions:
            rows = before.get(str(path), [])
            if rows and graded_completely(rows, _questions_of(path, release_dir, releases, fallback, exercise)):
                done[str(path)] = rows
    results = ResultsFile(out, keep=done) if out is not None else None
    skipped = list(done)
    todo = [p for p in submissions if str(p) not in done]

    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not progress, file=sys.stderr)

    def one(path: Path) -> Graded:
        try:
            found = grade_one(
                path, release_dir, releases, fallback, timeout, cell_timeout, limits, fallback_from, exercise
            )
        except Exception as exc:  # never let one submission stop the room
            found = Graded(
                [Row(str(path), "*", "", 0, 0, GRADER_ERROR)], f"{path}: grading failed ({type(exc).__name__}: {exc})"
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
    rows: list[Row] = []
    problems: list[str] = []
    for path in map(str, submissions):
        if path in fresh:
            rows += fresh[path].rows
            if fresh[path].note:
                problems.append(fresh[path].note)
        else:
            rows += done[path]
    graded = {
        path: fresh.get(path)
        or Graded(
            done[path],
            "graded in an earlier run (--resume)",
            lesson=_lesson_of(Path(path), release_dir, releases, fallback, exercise),
        )
        for path in map(str, submissions)
    }
    by_submission: dict[str, list[Row]] = {}
    for row in rows:
        by_submission.setdefault(row.submission, []).append(row)
    ungraded = [p for p in map(str, submissions) if not graded_completely(by_submission.get(p, []))]
    problems += odd_lessons(graded)
    return Outcome(rows, problems, use_sandbox, skipped, ungraded, graded, releases)


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


def _written(results: ResultsFile, path: Path, found: Graded) -> Graded:
    """``found`` once its rows are in ``results``; a grader error for ``path`` when they cannot be
    written (a full disk): the run goes on, and ``--resume`` grades the submission again."""
    try:
        results.add(found.rows)
    except OSError as exc:
        return Graded(
            [Row(str(path), "*", "", 0, 0, GRADER_ERROR)],
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
    path: Path, release_dir: Path, releases: dict[str, Release], fallback: str | None, exercise: str | None = None
) -> str | None:
    """The released lesson ``path`` is graded against (loaded into ``releases``), or None."""
    lesson = choose_lesson(path, read_submission(path)[1], release_dir, exercise, fallback)[0]
    if lesson is None:
        return None
    try:
        if lesson not in releases:
            releases[lesson] = load_release(release_dir, lesson)
    except GradeError:
        return None
    return lesson


def _questions_of(
    path: Path, release_dir: Path, releases: dict[str, Release], fallback: str | None, exercise: str | None = None
):
    """The question ids ``path`` is graded on, or None when that cannot be told now."""
    lesson = _lesson_of(path, release_dir, releases, fallback, exercise)
    return None if lesson is None else [q.id for q in releases[lesson].questions]


def _prepare_data(release_dir: Path, releases: dict[str, Release]) -> None:
    """Make the course data before sandboxes start: inside one, the data folder is read-only."""
    uses_data = any("hpclab.data" in nbformat.writes(r.notebook) for r in releases.values())
    if not uses_data:
        return
    import stat

    from hpclab.data import MANIFEST, data_root, data_size, prepare

    prepared = prepare()
    # Data made before hpclab made them readable by others (a 0600 manifest, 0700 dataset folders):
    # the sandbox's own uid must read them.
    folder = data_root() / data_size()
    for path in [folder / MANIFEST, *(p.folder for p in prepared)]:
        mode = path.stat().st_mode
        wanted = stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0)
        if mode & wanted != wanted:
            os.chmod(path, mode | wanted)


def write_csv(rows: Sequence[Row], out: str | os.PathLike) -> None:
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for row in rows:
            writer.writerow([getattr(row, f) for f in FIELDS])


def summary(rows: Sequence[Row]) -> str:
    """A table: one line per submission with score and status counts."""
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
