"""Every lesson, solution and exercise notebook runs; checks pass on solutions and fail on exercises."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from hpclab import config
from hpclab.checks import MIME_TYPE, questions_of
from hpclab.grading.build import CHECK_TAG, build_all
from hpclab.grading.execute import execute_file
from hpclab.slurm import vcluster
from hpclab.tools.site import save_executed
from tests.support import ROOT  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = LESSONS + SOLUTIONS + EXERCISES


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# Lessons whose blank exercise runs their recorded run instead of a live virtual cluster: the lesson and
# the solution run live; the exercise proves the replay a learner without Slurm gets (and saves CI minutes).
REPLAYED_EXERCISES = {"13-break-it-fix-it.ipynb"}


# The virtual clusters lessons start (the Spec in their setup cell): taken down after the lesson's run
# whatever happened in it, so that a lesson that failed leaves no cluster to block the next test.
LESSON_CLUSTERS = {
    "13-break-it-fix-it.ipynb": vcluster.Spec(
        state=Path("/run/hpclab-vcluster-l13"), prefix="hpl13", subnet="10.213.103", local_tmp=True
    ),
}


def _run(path: Path, notebook_times, allow_errors: bool):
    replay = path.parent.name == "exercises" and path.name in REPLAYED_EXERCISES
    env = {config.VCLUSTER: "off"} if replay else None
    try:
        run = execute_file(path, timeout=900, cell_timeout=600, allow_errors=allow_errors, env=env)
    finally:
        if path.name in LESSON_CLUSTERS and not replay and os.geteuid() == 0:
            vcluster.down(LESSON_CLUSTERS[path.name])
    notebook_times[_id(path)] = (run.elapsed, run.status)
    return run


def _reports(nb) -> dict[str, dict]:
    return {
        o["data"][MIME_TYPE]["id"]: o["data"][MIME_TYPE]
        for c in nb.cells
        for o in c.get("outputs", [])
        if MIME_TYPE in o.get("data", {})
    }


def _run_with_every_check(path: Path, notebook_times, allow_errors: bool):
    """Run a graded notebook; it must finish and every question's check must report."""
    run = _run(path, notebook_times, allow_errors=allow_errors)
    assert run.status == "ok", run.message
    questions = questions_of(run.notebook.metadata["hpclab"]["checks"])
    reports = _reports(run.notebook)
    assert sorted(reports) == sorted(q.id for q in questions), "a question's check never ran"
    return run, reports


@pytest.mark.parametrize("name", sorted(LESSON_CLUSTERS))
def test_the_cluster_taken_down_after_a_lesson_is_the_one_it_starts(name):
    spec = LESSON_CLUSTERS[name]
    setup = "".join(cell.source for cell in nbformat.read(ROOT / "solutions" / name, as_version=4).cells[:4])
    for field in (f'state=Path("{spec.state}")', f'prefix="{spec.prefix}"', f'subnet="{spec.subnet}"'):
        assert field in setup, f"{name}'s setup no longer starts the cluster LESSON_CLUSTERS names ({field})"


def test_every_lesson_has_an_exercise_and_a_solution():
    assert [p.name for p in SOLUTIONS] == [p.name for p in EXERCISES]
    assert {p.name for p in SOLUTIONS} <= {p.name for p in LESSONS}


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=_id)
def test_lesson_runs_without_error(path, notebook_times):
    run = _run(path, notebook_times, allow_errors=False)
    assert run.status == "ok", run.message
    # The website shows these outputs (build/executed/, stamped with the date and versions): nothing runs twice.
    save_executed(path, run.notebook, ROOT, run.elapsed)


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_solution_runs_and_passes_every_check(path, notebook_times):
    run, reports = _run_with_every_check(path, notebook_times, allow_errors=False)
    failed = {qid: r["status"] for qid, r in reports.items() if not r["passed"]}
    assert not failed, f"checks not passed on the solution: {failed}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REPLAYED_EXERCISES))
def test_solution_replayed_without_slurm_passes_every_check(name, notebook_times):
    """Where there is no Slurm (a laptop, the grader's sandbox) the solution, graded on the recorded run, still
    gets every point: the record and the checks agree."""
    path = ROOT / "solutions" / name
    run = execute_file(path, timeout=900, cell_timeout=600, env={config.VCLUSTER: "off"})
    notebook_times[f"solutions/{name} (replayed)"] = (run.elapsed, run.status)
    assert run.status == "ok", run.message
    first = "".join(o.get("text", "") for o in run.notebook.cells[2].get("outputs", []))
    assert first.startswith("REPLAY"), first[:300]
    reports = _reports(run.notebook)
    assert sorted(reports) == sorted(q.id for q in questions_of(run.notebook.metadata["hpclab"]["checks"]))
    failed = {qid: r["status"] for qid, r in reports.items() if not r["passed"]}
    assert not failed, f"checks not passed on the replayed solution: {failed}"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_blank_exercise_runs_and_no_check_passes(path, notebook_times):
    run, reports = _run_with_every_check(path, notebook_times, allow_errors=True)
    passed = [qid for qid, r in reports.items() if r["passed"]]
    assert not passed, f"checks pass on the blank exercise (vacuous): {passed}"
    if path.name in REPLAYED_EXERCISES:
        first = "".join(o.get("text", "") for o in run.notebook.cells[2].get("outputs", []))
        assert first.startswith("REPLAY"), f"{path.name} should have replayed its recorded run: {first[:300]}"
    # Only the placeholders may raise, never the scaffolding around them.
    errors = {o["ename"] for c in run.notebook.cells for o in c.get("outputs", []) if o["output_type"] == "error"}
    assert errors <= {"NotImplementedError"}, errors


def test_committed_exercises_are_exactly_what_build_generates():
    stale = build_all(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], f"run `hpclab build` and commit: {stale}"


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_committed_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{_id(path)}: clear outputs of cells {dirty}"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=_id)
def test_notebook_reads_like_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0].source
    for heading in ("Questions", "Objectives", "Timing"):
        assert heading in first, f"{_id(path)}: opening cell lacks {heading!r}"
    assert re.search(r"teaching \d+ min / exercises \d+ min", first), (
        "timing must read 'teaching N min / exercises M min'"
    )
    assert nb.cells[-1].cell_type == "markdown" and "Key points" in nb.cells[-1].source, "end with Key points"
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_question_has_exactly_one_check_cell(path):
    nb = nbformat.read(path, as_version=4)
    questions = questions_of(nb.metadata["hpclab"]["checks"])
    calls = [
        q
        for c in nb.cells
        if CHECK_TAG in c.metadata.get("tags", [])
        for q in re.findall(r"\bcheck_(\w+)\s*\(", c.source)
    ]
    assert sorted(calls) == sorted(q.id for q in questions)
    assert len(questions) >= 3
    assert {q.level for q in questions} >= {1, 2}, "questions should span difficulty levels"


def _course_map() -> dict[str, tuple[int, int, str]]:
    """README's course map: notebook name -> (teaching, exercise minutes, the whole row)."""
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        lesson = re.match(r"\| \d\d\w* \| \[[^]]+\]\(notebooks/([\w.-]+\.ipynb)\)", line)
        minutes = re.search(r"\| (\d+) / (\d+) \|\s*$", line)
        if lesson and minutes:
            rows[lesson.group(1)] = (int(minutes.group(1)), int(minutes.group(2)), line)
    return rows


def test_course_map_lists_every_lesson_with_the_timing_its_notebook_states():
    rows = _course_map()
    assert sorted(rows) == [p.name for p in LESSONS], "README's course map and notebooks/ list different lessons"
    for path in LESSONS:
        stated = re.search(
            r"teaching (\d+) min / exercises (\d+) min", nbformat.read(path, as_version=4).cells[0].source
        )
        assert rows[path.name][:2] == (int(stated.group(1)), int(stated.group(2))), (
            f"{path.name}: README says otherwise"
        )
        for target in re.findall(r"\]\(([^)]+)\)", rows[path.name][2]):
            assert (ROOT / target).is_file(), f"the course map links {target}, which does not exist"
    teaching, exercises = (sum(row[i] for row in rows.values()) for i in (0, 1))
    total = re.search(
        r"In all: (\d+) min teaching, (\d+) min exercises \((\d+) h (\d+) min\)",
        (ROOT / "README.md").read_text(encoding="utf-8"),
    )
    assert total, "README's course map has no 'In all: ...' line"
    assert (int(total.group(1)), int(total.group(2))) == (teaching, exercises)
    assert int(total.group(3)) * 60 + int(total.group(4)) == teaching + exercises


def test_instructor_notes_state_the_timing_of_the_course_map():
    rows = _course_map()
    for name, (teaching, exercises, _) in rows.items():
        note = ROOT / "instructors" / name.replace(".ipynb", ".md")
        stated = re.search(
            r"\*\*Timing:\*\* (\d+) min teaching / (\d+) min exercises", note.read_text(encoding="utf-8")
        )
        assert stated, f"{note.name}: no '**Timing:** N min teaching / M min exercises' line"
        assert (int(stated.group(1)), int(stated.group(2))) == (teaching, exercises), (
            f"{note.name} says {stated.group(1)} / {stated.group(2)} min; README's course map says {teaching} / {exercises}"
        )
