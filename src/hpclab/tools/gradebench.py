"""``hpclab bench grade-room``: our grader and nbgrader's autograde on the same room, side by side.

An instructor choosing a grader wants to know what ours costs against the one they know. This
benchmark grades one room of a lesson (by default 20 lesson-02 submissions, each question
either answered with the solution's code or left blank) three ways, one after the other, on
this machine, now:

- **nbgrader** ``autograde`` (the real package, installed by this benchmark in a venv of its
  own, once; it needs the package index that first time). Our solutions already use
  nbgrader's ``### BEGIN SOLUTION`` markers; the course's check cells become its test cells
  (a test cell fails when it raises, so each ends with ``assert last_verdict() == "passed"``).
  nbgrader runs every notebook in this course's Python, through a kernel spec of its own.
- **hpclab, sandboxed, ``--jobs 1``** and **``--jobs 2``**: ``hpclab grade`` as an instructor
  runs it, every notebook in its own sandbox.

It prints the wall times and their ratios, and says whether the two graders gave every learner
the same score (they should: one question per check cell, all or nothing). nbgrader grades one
notebook at a time and runs no sandbox; ours pays for a sandbox per notebook and can grade
several at once.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from hpclab.errors import SetupError
from hpclab.grading import find_release_dir
from hpclab.grading.release import is_check_cell, load_release
from hpclab.grading.sandbox import unavailable_reason
from hpclab.tools.measure import Comparison

#: The nbgrader the benchmark installs (its newest release when this was written).
NBGRADER = "nbgrader==0.9.6"
LESSON = "02-dask-futures"
ROOM_SIZE = 20
ASSIGNMENT = "ps1"
#: Every notebook cell may run this long in both graders (``hpclab grade``'s default).
CELL_TIMEOUT = 180


def nbgrader_venv(folder: Path | None = None) -> Path:
    """A venv holding :data:`NBGRADER`, made once (in the user's cache folder) and kept.

    Raises
    ------
    SetupError
        When it cannot be made (no package index reachable the first time).
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = folder or cache / "hpclab" / f"bench-{NBGRADER.replace('==', '-')}"
    nbgrader = venv / "bin" / "nbgrader"
    if nbgrader.exists():
        return venv
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", NBGRADER],
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", "") or ""
        raise SetupError(
            f"could not install {NBGRADER} into {venv} (the grade-room benchmark needs the package index "
            f"once): {detail.strip().splitlines()[-1] if detail.strip() else exc}"
        ) from exc
    return venv


def room_plan(questions: list[str], size: int) -> list[dict[str, bool]]:
    """For each learner, which questions they answer (True) or leave blank: a varied, repeatable room."""
    return [{q: (learner + k) % 3 != 0 or learner % 5 == 1 for k, q in enumerate(questions)} for learner in range(size)]


def _answer_code(solution_source: str) -> str:
    """The solution's answer as a learner would write it: its code without nbgrader's marker lines."""
    return "\n".join(
        line for line in solution_source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def _answers(course: Path, lesson: str) -> dict[str, str]:
    """Answer cell id -> the solution's source, for every cell the solution fills in."""
    solution = nbformat.read(course / "solutions" / f"{lesson}.ipynb", as_version=4)
    return {c.id: c.source for c in solution.cells if "### BEGIN SOLUTION" in c.source}


def _filled(nb: nbformat.NotebookNode, answers: dict[str, str], answered: dict[str, bool]) -> nbformat.NotebookNode:
    """``nb`` with the answers of the questions ``answered`` says, by the answer cell's id."""
    for cell in nb.cells:
        question = cell.id.split("-")[1] if cell.id.count("-") >= 2 else ""
        if cell.id in answers and answered.get(question, False):
            cell.source = _answer_code(answers[cell.id])
    return nb


def nbgrader_source(release_dir: Path, lesson: str) -> nbformat.NotebookNode:
    """The lesson as an nbgrader source notebook: solution cells and test cells marked in its metadata."""
    release = load_release(release_dir, lesson)
    answers = _answers(release_dir.parent, lesson)
    points: dict[str, int] = {}
    for question in release.questions:
        cell = release.check_cell_of[question.id]
        points[cell] = points.get(cell, 0) + question.points
    nb = nbformat.read(release.path, as_version=4)
    for cell in nb.cells:
        base = {"grade_id": cell.id, "schema_version": 3, "task": False}
        if cell.id in answers:
            cell.source = answers[cell.id]
            cell.metadata["nbgrader"] = {**base, "solution": True, "grade": False, "locked": False}
        elif is_check_cell(cell):
            cell.source += '\nimport hpclab.checks\nassert hpclab.checks.last_verdict() == "passed"'
            cell.metadata["nbgrader"] = {
                **base,
                "solution": False,
                "grade": True,
                "locked": True,
                "points": points.get(cell.id, 0),
            }
    return nb


def _kernel_spec(folder: Path) -> Path:
    """A Jupyter data folder whose ``python3`` kernel is this course's Python (nbgrader's venv has no Dask)."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python (hpclab)",
                "language": "python",
            }
        )
    )
    return folder


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 7200) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise SetupError(f"`{' '.join(argv[:3])}` failed (exit {result.returncode}) in {cwd}:\n{tail}")
    return result


class NbgraderCourse:
    """An nbgrader course folder holding one assignment and the room's submissions, ready to autograde."""

    def __init__(self, root: Path, venv: Path, release_dir: Path, lesson: str, plan: list[dict[str, bool]]) -> None:
        self.root, self.venv = root, venv
        self.env = {
            **os.environ,
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "JUPYTER_PATH": str(_kernel_spec(root / "jupyter")),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        (root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.CourseDirectory.root = {str(root)!r}\n"
            "c.CourseDirectory.course_id = 'hpclab-bench'\n"
            f"c.Execute.timeout = {CELL_TIMEOUT}\n"
            f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n"
        )
        source = root / "source" / ASSIGNMENT
        source.mkdir(parents=True)
        nbformat.write(nbgrader_source(release_dir, lesson), source / f"{lesson}.ipynb")
        students = [f"learner{i:02d}" for i in range(len(plan))]
        (root / "students.csv").write_text("id,first_name,last_name,email\n" + "".join(f"{s},,,\n" for s in students))
        self.nbgrader("db", "student", "import", "students.csv")
        self.nbgrader("db", "assignment", "add", ASSIGNMENT)
        self.nbgrader("generate_assignment", ASSIGNMENT, "--force")
        released = nbformat.read(root / "release" / ASSIGNMENT / f"{lesson}.ipynb", as_version=4)
        answers = _answers(release_dir.parent, lesson)
        for student, answered in zip(students, plan):
            folder = root / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(
                _filled(nbformat.from_dict(json.loads(json.dumps(released))), answers, answered),
                folder / f"{lesson}.ipynb",
            )

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        return _run([str(self.venv / "bin" / "nbgrader"), *args], self.root, self.env)

    def autograde(self) -> float:
        """Seconds ``nbgrader autograde`` takes for the whole room."""
        start = time.perf_counter()
        self.nbgrader("autograde", ASSIGNMENT)
        return time.perf_counter() - start

    def scores(self) -> dict[str, float]:
        """Learner -> score, from ``nbgrader export``."""
        self.nbgrader("export")
        with open(self.root / "grades.csv", newline="") as handle:
            return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def hpclab_room(folder: Path, release_dir: Path, lesson: str, plan: list[dict[str, bool]]) -> Path:
    """The same room as the nbgrader course's, as our learners hand it in: one exercise notebook each."""
    folder.mkdir(parents=True)
    answers = _answers(release_dir.parent, lesson)
    for i, answered in enumerate(plan):
        nb = nbformat.read(release_dir / f"{lesson}.ipynb", as_version=4)
        nbformat.write(_filled(nb, answers, answered), folder / f"learner{i:02d}.ipynb")
    return folder


def hpclab_grade(room: Path, release_dir: Path, lesson: str, jobs: int, out: Path) -> tuple[float, dict[str, float]]:
    """Seconds ``hpclab grade --jobs N`` takes for the room (sandboxed), and each learner's score."""
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hpclab",
            "grade",
            str(room),
            "--release",
            str(release_dir),
            "--exercise",
            lesson,
            "--jobs",
            str(jobs),
            "--out",
            str(out),
            "--no-progress",
            "--cell-timeout",
            str(CELL_TIMEOUT),
        ],
        capture_output=True,
        timeout=7200,
    )
    seconds = time.perf_counter() - start
    if not out.exists():
        raise SetupError(f"hpclab grade wrote no {out}")
    scores: dict[str, float] = {}
    with open(out, newline="") as handle:
        for row in csv.DictReader(handle):
            learner = Path(row["submission"]).stem
            scores[learner] = scores.get(learner, 0.0) + float(row["points"])
    return seconds, scores


def grade_room_vs_nbgrader(size: int = ROOM_SIZE, lesson: str = LESSON, repeats: int = 1) -> list[Comparison]:
    """nbgrader's autograde against sandboxed ``hpclab grade`` at ``--jobs 1`` and ``2``, on one room.

    Returns two comparisons (nbgrader is the baseline of both); prints whether the scores agree.
    """
    reason = unavailable_reason()
    if reason:
        raise SetupError(f"the grade-room benchmark compares sandboxed grading, and there is no sandbox here: {reason}")
    release_dir = find_release_dir()
    questions = [q.id for q in load_release(release_dir, lesson).questions]
    plan = room_plan(questions, size)
    venv = nbgrader_venv()
    times: dict[str, list[float]] = {"nbgrader": [], "1": [], "2": []}
    disagree: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="hpclab-bench-room-") as tmp:
        for repeat in range(repeats):
            here = Path(tmp) / str(repeat)
            course = NbgraderCourse(here / "nbgrader", venv, release_dir, lesson, plan)
            times["nbgrader"].append(course.autograde())
            theirs = course.scores()
            room = hpclab_room(here / "room", release_dir, lesson, plan)
            for jobs in (1, 2):
                seconds, ours = hpclab_grade(room, release_dir, lesson, jobs, here / f"scores-{jobs}.csv")
                times[str(jobs)].append(seconds)
                disagree |= {k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
    agreement = (
        f"every learner got the same score from both graders ({sum(theirs.values()):g} points in all)"
        if not disagree
        else f"scores DIFFER for {', '.join(sorted(disagree))}"
    )
    print(f"grade-room: {size} {lesson} submissions; {agreement}")
    base = statistics.median(times["nbgrader"])
    return [
        Comparison(
            f"grade {size} {lesson} submissions",
            "nbgrader autograde",
            base,
            f"hpclab sandboxed --jobs {jobs}",
            statistics.median(times[str(jobs)]),
            repeats,
        )
        for jobs in (1, 2)
    ]
