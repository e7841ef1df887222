"""Feedback files, the room report and the gradebook, from a grading outcome."""

from __future__ import annotations

import csv

from hpclab.grading import Graded, Outcome, Row, load_release, report
from tests.support import ROOT  # noqa: E402

LESSON = "01-parallel-concepts"


def _outcome() -> Outcome:
    release = load_release(ROOT / "exercises", LESSON)
    anna = Graded(
        [Row("room/anna.ipynb", "q1", "★", 1, 1, "passed"), Row("room/anna.ipynb", "q2", "★", 0, 1, "failed")],
        "",
        {"q1": "well done", "q2": "efficiency is speedup | divided by p"},
        LESSON,
    )
    bob = Graded(
        [Row("room/bob.ipynb", "q1", "★", 0, 1, "timeout"), Row("room/bob.ipynb", "q2", "★", 0, 1, "failed")],
        "room/bob.ipynb: cells [3] ran longer than 30 s",
        {"q1": "a cell ran too long", "q2": "look again"},
        LESSON,
    )
    broken = Graded([Row("room/broken.ipynb", "*", "", 0, 0, "invalid-notebook")], "room/broken.ipynb: not JSON")
    graded = {"room/anna.ipynb": anna, "room/bob.ipynb": bob, "room/broken.ipynb": broken}
    rows = [r for g in graded.values() for r in g.rows]
    return Outcome(rows, [bob.note, broken.note], True, [], ["room/broken.ipynb"], graded, {LESSON: release})


def test_room_table_gives_pass_rate_and_commonest_statuses_per_question():
    text = report.room_table(_outcome())
    q1 = next(line for line in text.splitlines() if line.startswith("q1"))
    q2 = next(line for line in text.splitlines() if line.startswith("q2"))
    assert "1/2" in q1 and "50%" in q1 and "1 passed" in q1 and "1 timeout" in q1
    assert "0/2" in q2 and "2 failed" in q2


def test_feedback_file_per_learner_has_each_question_status_and_hint(tmp_path):
    written = report.write_feedback(_outcome(), tmp_path / "feedback")
    assert sorted(p.name for p in written) == ["anna.md", "bob.md", "broken.md"]
    anna = (tmp_path / "feedback" / "anna.md").read_text()
    assert "1 of 2 points" in anna and "q1 speedup" in anna and "✅ passed" in anna
    assert "efficiency is speedup \\| divided by p" in anna  # a | in a hint does not break the table
    assert "ran longer than 30 s" in (tmp_path / "feedback" / "bob.md").read_text()
    assert "could not be graded" in (tmp_path / "feedback" / "broken.md").read_text()


def test_gradebook_has_one_row_per_learner_and_a_column_per_question(tmp_path):
    path = report.write_gradebook(_outcome(), tmp_path / "book.csv")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["submission", "lesson", "q1", "q2", "total", "max_total", "graded"]
    assert rows[1] == ["room/anna.ipynb", LESSON, "1", "0", "1", "2", "yes"]
    assert rows[3][-1] == "no"


def test_room_report_file_has_the_table_and_a_plot(tmp_path):
    markdown, image = report.write_room_report(_outcome(), tmp_path / "room.md")
    text = markdown.read_text()
    assert "| 01-parallel-concepts | q1 | speedup | ★ | 1/2 | 50% |" in text
    assert f"]({image.name})" in text and image.stat().st_size > 1000
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
