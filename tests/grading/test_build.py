"""hpclab build: exercises generated from solutions, byte-stable."""

from __future__ import annotations

import nbformat
import pytest

from hpclab.grading.build import BuildError, build_all, build_exercise, render, strip_solution
from tests.support import ROOT


def test_code_region_becomes_a_placeholder_at_the_same_indent():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    assert strip_solution(source, "code", "t") == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")


def test_code_before_and_after_the_region_is_kept():
    source = "answer = None\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nanswer"
    assert strip_solution(source, "code", "t") == "answer = None\n# YOUR CODE HERE\nraise NotImplementedError()\nanswer"


def test_markdown_region_becomes_your_answer_here():
    assert (
        strip_solution("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown", "t")
        == "Why?\nYOUR ANSWER HERE"
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_name_the_cell_and_line(source, problem):
    with pytest.raises(BuildError, match=problem) as info:
        strip_solution(source, "code", "solutions/x.ipynb cell 3")
    assert "solutions/x.ipynb cell 3" in str(info.value)


def _solution(lesson="07-x"):
    nb = nbformat.v4.new_notebook(metadata={"hpclab": {"lesson": lesson, "checks": "hpclab.checks.futures"}})
    keep = nbformat.v4.new_code_cell("x = None\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    keep.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    keep.execution_count = 4
    keep.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    secret = nbformat.v4.new_code_cell("print('solution only')", metadata={"tags": ["solution-only"]})
    nb.cells = [keep, secret]
    return nb


def test_exercise_drops_solution_only_cells_outputs_and_timing():
    exercise = build_exercise(_solution(), "07-x")
    assert len(exercise.cells) == 1
    cell = exercise.cells[0]
    assert cell.outputs == [] and cell.execution_count is None
    assert "execution" not in cell.metadata
    assert "x = 1" not in cell.source
    assert exercise.metadata["hpclab"]["role"] == "exercise"


def test_cell_ids_are_kept_or_derived_never_random():
    solution = _solution()
    first = render(build_exercise(solution, "07-x"))
    again = render(build_exercise(nbformat.reads(nbformat.writes(solution), 4), "07-x"))
    assert first == again
    assert build_exercise(solution, "07-x").cells[0].id == solution.cells[0].id


def test_lesson_metadata_must_match_the_file_name():
    with pytest.raises(BuildError, match="hpclab.lesson"):
        build_exercise(_solution("08-other"), "07-x")


def test_build_all_writes_once_then_reports_nothing_changed(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution(), tmp_path / "solutions" / "07-x.ipynb")
    assert build_all(tmp_path / "solutions", tmp_path / "exercises", check=True) == [
        tmp_path / "exercises" / "07-x.ipynb"
    ]
    assert not (tmp_path / "exercises").exists()  # --check writes nothing
    assert len(build_all(tmp_path / "solutions", tmp_path / "exercises")) == 1
    assert build_all(tmp_path / "solutions", tmp_path / "exercises", check=True) == []


def test_an_exercise_without_a_solution_is_reported(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    nbformat.write(_solution(), tmp_path / "solutions" / "07-x.ipynb")
    (tmp_path / "exercises" / "99-orphan.ipynb").write_text("{}")
    with pytest.raises(BuildError, match="99-orphan.ipynb"):
        build_all(tmp_path / "solutions", tmp_path / "exercises")


def test_a_broken_solution_file_is_named(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "07-x.ipynb").write_text("{not json")
    with pytest.raises(BuildError, match="07-x.ipynb: not a readable notebook"):
        build_all(tmp_path / "solutions", tmp_path / "exercises")


def test_every_solution_cell_has_a_readable_lesson_id():
    """Ids like s04-q6-answer: the grader finds released cells by id, and instructors read them in the CSV notes."""
    import re

    bad = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        prefix = "s" + path.stem.split("-")[0]
        for cell in nbformat.read(path, as_version=4).cells:
            cell_id = cell.get("id", "")
            if not re.fullmatch(rf"{re.escape(prefix)}-[a-z0-9-]+", cell_id):
                bad.append(f"{path.name}: {cell_id!r}")
    assert bad == []
