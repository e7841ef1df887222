"""The grade-room benchmark's room: what nbgrader and hpclab are both handed is the same work.

The benchmark itself (it installs nbgrader and grades a room three times) runs on request only:
``hpclab bench grade-room``; it prints whether both graders gave every learner the same score.
"""

from __future__ import annotations

import nbformat

from hpclab.checks import futures, last_verdict
from hpclab.grading import load_release
from hpclab.grading.release import is_check_cell
from hpclab.tools import gradebench
from tests.support import ROOT

RELEASE = ROOT / "exercises"
LESSON = gradebench.LESSON


def test_the_nbgrader_source_marks_every_answer_as_a_solution_and_every_check_as_a_test_worth_its_points():
    nb = gradebench.nbgrader_source(RELEASE, LESSON)
    release = load_release(RELEASE, LESSON)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert {c.id for c in solutions} == {f"s02-{q.id}-answer" for q in release.questions}
    assert all("### BEGIN SOLUTION" in c.source for c in solutions)  # nbgrader's generate_assignment strips it
    assert {c.id for c in tests} == set(release.check_cell_of.values())
    assert sum(c.metadata.nbgrader.points for c in tests) == sum(q.points for q in release.questions)
    assert all(c.source.endswith('assert hpclab.checks.last_verdict() == "passed"') for c in tests)
    assert all(is_check_cell(c) for c in tests)


def test_the_room_answers_some_questions_and_leaves_others_blank_for_every_learner_alike(tmp_path):
    questions = ["q1", "q2", "q3", "q4", "q5"]
    plan = gradebench.room_plan(questions, 20)
    assert plan == gradebench.room_plan(questions, 20)  # repeatable
    assert len({tuple(p.values()) for p in plan}) > 2  # varied
    assert any(all(p.values()) for p in plan) and not all(all(p.values()) for p in plan)
    room = gradebench.hpclab_room(tmp_path / "room", RELEASE, LESSON, plan)
    first = nbformat.read(room / "learner00.ipynb", as_version=4)
    answers = {c.id: c.source for c in first.cells if c.id.endswith("-answer")}
    for q, answered in plan[0].items():
        source = answers[f"s02-{q}-answer"]
        assert ("NotImplementedError" in source) != answered
        assert "### BEGIN SOLUTION" not in source


def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def test_a_check_passes_nbgraders_test_cell_only_when_it_passed(capsys):
    futures.check_q1(is_prime)
    assert last_verdict() == "passed"
    futures.check_q1(lambda n: n in (2, 3))
    assert last_verdict() == "failed"
    futures.check_q1(None)
    assert last_verdict() == "not-attempted"
