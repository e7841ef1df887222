"""Scores into Canvas or Moodle: the exact columns each imports, learners matched through the roster."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from hpclab.grading import Graded, Outcome, Row, Status, load_release
from hpclab.grading.lms import HEADERS, Learner, RosterError, lms_table, read_roster, write_lms
from tests.support import ROOT, hpclab_cli, hpclab_grade
from tests.support.notebooks import exercise, solved

LESSON = "01-parallel-concepts"


def _outcome(room: Path, points: dict[str, list[int]]) -> Outcome:
    """A graded room as the grader returns it: rows per question, each submission's lesson."""
    release = load_release(ROOT / "exercises", LESSON)
    graded, rows = {}, []
    for name, scored in points.items():
        submission = str(room / name)
        mine = [
            Row(submission, q.id, q.stars, p, q.points, Status.PASSED if p else Status.FAILED)
            for q, p in zip(release.questions, scored)
        ]
        graded[submission] = Graded(mine, "", {}, LESSON)
        rows += mine
    return Outcome(rows, [], True, [], [], graded, {LESSON: release})


def _roster(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_canvas_gets_the_columns_of_its_own_gradebook_export_then_one_per_lesson(tmp_path):
    outcome = _outcome(tmp_path, {"anna.ipynb": [1, 1, 2, 0, 0]})
    table, notes = lms_table(outcome, [Learner("1042", "Anna Berg", "anna.ipynb")], "canvas")
    assert table == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LESSON],
        ["Anna Berg", "1042", "", "", "", "4"],
    ]
    assert notes == []


def test_moodle_gets_an_id_number_and_a_name_then_one_column_per_lesson(tmp_path):
    outcome = _outcome(tmp_path, {"anna.ipynb": [1, 1, 2, 0, 0]})
    table, _ = lms_table(outcome, [Learner("s123", "Anna Berg", "anna.ipynb")], "moodle")
    assert table == [["ID number", "Full name", LESSON], ["s123", "Anna Berg", "4"]]
    assert HEADERS["moodle"] == ("ID number", "Full name")


@pytest.mark.parametrize("kind", ["canvas", "moodle"])
def test_a_room_goes_through_the_roster_and_back(tmp_path, kind):
    scores = {"anna.ipynb": [1, 1, 2, 0, 0], "bob-02.ipynb": [0, 0, 0, 0, 0], "cai.ipynb": [1, 1, 2, 2, 3]}
    outcome = _outcome(tmp_path / "room", scores)
    roster = read_roster(
        _roster(
            tmp_path / "roster.csv",
            ["name,id,file", "Anna Berg,1042,anna.ipynb", '"Li, Cai",1043,cai.ipynb', "Bob Ek,1044,bob-02.ipynb"],
        )
    )
    path, notes = write_lms(outcome, roster, kind, tmp_path / f"{kind}.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    id_column = lines[0].index("ID" if kind == "canvas" else "ID number")
    back = {line[id_column]: line[-1] for line in lines[1:]}
    by_file = {learner.file: learner.id for learner in roster}
    assert back == {by_file[name]: str(sum(points)) for name, points in scores.items()}
    assert notes == []


def test_who_is_missing_on_either_side_is_noted_and_nothing_is_guessed(tmp_path):
    outcome = _outcome(tmp_path, {"anna.ipynb": [1, 1, 2, 0, 0], "stranger.ipynb": [1, 0, 0, 0, 0]})
    roster = [Learner("1042", "Anna Berg", "anna.ipynb"), Learner("1050", "Dana Lind", "dana.ipynb")]
    table, notes = lms_table(outcome, roster, "canvas")
    assert table[2] == ["Dana Lind", "1050", "", "", "", ""]  # empty: the LMS keeps what it has
    assert any("Dana Lind" in n and "dana.ipynb" in n for n in notes)
    assert any(n.startswith("stranger.ipynb: graded, but no learner of the roster") for n in notes)


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (["id,name", "1,Anna"], "no 'file' column"),
        (["id,name,file", "1,Anna,a.ipynb", "1,Bob,b.ipynb"], "line 3: the id '1' is on line 2 too"),
        (["id,name,file", "1,Anna,a.ipynb", "2,Bob,a.ipynb"], "line 3: the file 'a.ipynb' is on line 2 too"),
        (["id,name,file", ",Anna,a.ipynb"], "line 2: no id"),
        (["id,name,file"], "lists no learners"),
    ],
)
def test_a_roster_that_cannot_be_used_says_which_line_and_why(tmp_path, lines, words):
    with pytest.raises(RosterError, match=words) as caught:
        read_roster(_roster(tmp_path / "roster.csv", lines))
    assert str(tmp_path / "roster.csv") in str(caught.value)


def test_a_roster_that_is_not_text_is_refused(tmp_path):
    (tmp_path / "roster.csv").write_bytes(b"id,name,file\n\xff\xfe,x,y\n")
    with pytest.raises(RosterError, match="not a CSV text file"):
        read_roster(tmp_path / "roster.csv")


def test_lms_without_a_roster_is_refused_before_grading(tmp_path):
    proc = hpclab_cli("grade", str(tmp_path), "--lms", "canvas", cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "--lms and --roster go together" in proc.stderr


@pytest.mark.slow
def test_hpclab_grade_writes_the_canvas_file_beside_the_scores(tmp_path):
    room = tmp_path / "room"
    room.mkdir()
    nbformat.write(solved(exercise(LESSON), LESSON, "q1", "q2", "q3", "q4", "q5"), room / "anna.ipynb")
    nbformat.write(exercise(LESSON), room / "bob.ipynb")
    roster = _roster(tmp_path / "roster.csv", ["id,name,file", "1042,Anna Berg,anna.ipynb", "1044,Bob Ek,bob.ipynb"])
    out = tmp_path / "scores.csv"
    proc = hpclab_grade(room, out, "--lms", "canvas", "--roster", str(roster), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "scores-canvas.csv", newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    maximum = sum(q.points for q in load_release(ROOT / "exercises", LESSON).questions)
    assert lines == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LESSON],
        ["Anna Berg", "1042", "", "", "", str(maximum)],
        ["Bob Ek", "1044", "", "", "", "0"],
    ]
