"""hpclab grade on a room of real submissions, broken ones included."""

from __future__ import annotations

import copy
import csv
import re
from pathlib import Path

import nbformat
import pytest

from hpclab.grading import GradeError, Row, Status, collect, load_release, summary
from hpclab.grading.restore import restore_checks
from tests.support import ROOT, hpclab_grade
from tests.support.notebooks import answer, exercise, solved

LESSON = "01-parallel-concepts"
EXERCISE = ROOT / "exercises" / f"{LESSON}.ipynb"
SOLUTION = ROOT / "solutions" / f"{LESSON}.ipynb"


def _save(folder: Path, name: str, nb) -> None:
    nbformat.write(nb, folder / name)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    room = tmp_path_factory.mktemp("room")
    everything = ("q1", "q2", "q3", "q4", "q5")
    _save(room, "correct.ipynb", solved(exercise(LESSON), LESSON, *everything))
    wrong = solved(exercise(LESSON), LESSON, *everything)
    answer(wrong, "s01-q3-answer", "def amdahl(serial_fraction, p):\n    return p\n")
    _save(room, "wrong.ipynb", wrong)
    _save(room, "my attempt (1).ipynb", exercise(LESSON))  # blank, and renamed by the learner
    loop = solved(exercise(LESSON), LESSON, "q1")
    answer(loop, "s01-q2-answer", "while True:\n    pass\n")
    _save(room, "loop.ipynb", loop)
    (room / "garbage.ipynb").write_text("this is not JSON {")
    died = solved(exercise(LESSON), LESSON, "q1")
    answer(died, "s01-q2-answer", "import os\nos._exit(1)\n")
    _save(room, "died.ipynb", died)
    tampered = solved(exercise(LESSON), LESSON, "q1")
    tampered.cells = [c for c in tampered.cells if c.id != "s01-q4-check"]  # deleted a check
    answer(tampered, "s01-q5-check", "print('✅ q5')")  # and faked another
    _save(room, "tampered.ipynb", tampered)
    spoof = exercise(LESSON)  # no answers, but the learner's import cell fakes passing checks
    answer(
        spoof,
        "s01-imports",
        "import numpy as np\nimport hpclab.checks.concepts as real\n"
        "from hpclab.checks import check as _check\n"
        "def _always(question):\n"
        "    return _check(question)(lambda *a: 'faked')\n"
        "check_q1, check_q2, check_q3, check_q4, check_q5 = (_always(q) for q in real.QUESTIONS)\n"
        "real.check_q1 = check_q1\n",
    )
    _save(room, "spoof.ipynb", spoof)
    error = solved(exercise(LESSON), LESSON, "q2", "q3", "q4", "q5")
    answer(error, "s01-q1-answer", "speedup = 1 / 0\n")
    _save(room, "error.ipynb", error)

    out = room / "scores.csv"
    proc = hpclab_grade(
        str(room),
        str(out),
        "--cell-timeout",
        "30",
        "--timeout",
        "180",
        "--jobs",
        "2",
        "--feedback",
        str(room / "feedback"),
        cwd=room,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = {(Path(r["submission"]).name, r["question"]): r for r in rows}
    return table, rows, proc


def _statuses(table, name):
    return [table[(name, q)]["status"] for q in ("q1", "q2", "q3", "q4", "q5")]


@pytest.mark.slow
def test_every_submission_gets_a_row_for_every_released_question(graded):
    table, rows, _ = graded
    assert len(rows) == 9 * 5
    assert list(rows[0]) == ["submission", "question", "level", "points", "max_points", "status"]


@pytest.mark.slow
def test_correct_submission_scores_full_marks(graded):
    table, _, _ = graded
    assert _statuses(table, "correct.ipynb") == ["passed"] * 5
    assert sum(int(table[("correct.ipynb", q)]["points"]) for q in ("q1", "q2", "q3", "q4", "q5")) == 9
    assert table[("correct.ipynb", "q5")]["level"] == "★★★"


@pytest.mark.slow
def test_wrong_answer_fails_only_that_question(graded):
    table, _, _ = graded
    assert _statuses(table, "wrong.ipynb") == ["passed", "passed", "failed", "passed", "passed"]
    assert table[("wrong.ipynb", "q3")]["points"] == "0"


@pytest.mark.slow
def test_blank_renamed_notebook_is_not_attempted(graded):
    table, _, _ = graded
    assert _statuses(table, "my attempt (1).ipynb") == ["not-attempted"] * 5


@pytest.mark.slow
def test_endless_loop_times_out_that_question_and_grading_goes_on(graded):
    table, _, _ = graded
    assert _statuses(table, "loop.ipynb") == ["passed", "timeout", "not-attempted", "not-attempted", "not-attempted"]


@pytest.mark.slow
def test_non_json_file_is_an_invalid_notebook_for_every_question(graded):
    table, _, proc = graded
    assert _statuses(table, "garbage.ipynb") == ["invalid-notebook"] * 5
    assert "garbage.ipynb: is not JSON" in proc.stderr


@pytest.mark.slow
def test_dead_kernel_keeps_earlier_results(graded):
    table, _, _ = graded
    assert _statuses(table, "died.ipynb") == ["passed"] + ["kernel-died"] * 4


@pytest.mark.slow
def test_deleted_or_edited_checks_are_restored(graded):
    table, _, _ = graded
    assert _statuses(table, "tampered.ipynb") == ["passed"] + ["not-attempted"] * 4


@pytest.mark.slow
def test_checks_replaced_in_the_learners_kernel_do_not_count(graded):
    table, _, _ = graded
    assert _statuses(table, "spoof.ipynb") == ["not-attempted"] * 5


@pytest.mark.slow
def test_learner_exception_is_reported_as_error(graded):
    table, _, _ = graded
    assert _statuses(table, "error.ipynb") == ["error", "failed", "passed", "passed", "passed"]


@pytest.mark.slow
def test_every_learner_gets_feedback_and_the_room_a_report_and_gradebook(graded):
    table, rows, proc = graded
    room = Path(rows[0]["submission"]).parent
    feedback = sorted(p.name for p in (room / "feedback").glob("*.md"))
    assert len(feedback) == 9 and "my_attempt_1.md" in feedback
    wrong = (room / "feedback" / "wrong.md").read_text()
    assert "q3 Amdahl" in wrong and "❌ failed" in wrong
    loop = (room / "feedback" / "loop.md").read_text()
    assert "⏱ timeout" in loop and "ran past the time limit" in loop
    assert "room report (9 submissions" in proc.stdout
    assert (room / "scores-report.md").is_file() and (room / "scores-report.png").is_file()
    with open(room / "scores-gradebook.csv", newline="") as fh:
        book = {Path(r["submission"]).name: r for r in csv.DictReader(fh)}
    assert book["correct.ipynb"]["total"] == "9" and book["wrong.ipynb"]["q3"] == "0"


@pytest.mark.slow
def test_summary_table_is_printed(graded):
    _, _, proc = graded
    assert "correct.ipynb" in proc.stdout and "9/9" in proc.stdout
    assert "1 timeout" in proc.stdout


def test_restore_puts_checks_back_after_their_answer_cells():
    release = exercise(LESSON)
    learner = copy.deepcopy(release)
    learner.cells = [c for c in learner.cells if "check" not in c.metadata.get("tags", [])]
    learner.cells.append(nbformat.v4.new_code_cell("extra = 1"))
    merged = restore_checks(learner, release)
    ids = [c.id for c in merged.cells]
    for cell in release.cells:
        if "check" in cell.metadata.get("tags", []):
            assert ids.count(cell.id) == 1
    assert ids.index("s01-q1-check") == ids.index("s01-q1-answer") + 1
    # The learner's extra cell stays last; q5's check sits right after q5's answer.
    assert merged.cells[-1].source == "extra = 1"
    assert ids.index("s01-q5-check") == ids.index("s01-q5-answer") + 1


def test_restore_ignores_a_learner_cell_pretending_to_be_a_check():
    release = exercise(LESSON)
    learner = copy.deepcopy(release)
    fake = nbformat.v4.new_code_cell("print('✅')", metadata={"tags": ["check"]})
    learner.cells.insert(2, fake)
    merged = restore_checks(learner, release)
    assert fake.id not in [c.id for c in merged.cells]


def test_release_lists_questions_and_their_check_cells():
    release = load_release(ROOT / "exercises", LESSON)
    assert [q.id for q in release.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert release.check_cell_of["q3"] == "s01-q3-check"


def test_unknown_release_and_empty_room_are_clear_errors(tmp_path):
    with pytest.raises(GradeError, match="no released exercise"):
        load_release(ROOT / "exercises", "99-nothing")
    with pytest.raises(GradeError, match="no submissions"):
        collect([tmp_path])


def test_summary_counts_statuses():
    rows = [Row("a.ipynb", "q1", "★", 1, 1, "passed"), Row("a.ipynb", "q2", "★★", 0, 2, "timeout")]
    text = summary(rows)
    assert "1/3" in text and "1 passed, 1 timeout" in text


@pytest.mark.slow
def test_an_interrupted_cell_leaves_the_cluster_to_the_later_answers(tmp_path):
    """Lesson 02 starts a Dask cluster first; an endless Q2 must not cost Q3 and Q4 (they use it)."""
    from hpclab.grading import grade

    lesson = "02-dask-futures"
    later = ("q1", "q3", "q4", "q5")
    endless = answer(
        solved(exercise(lesson), lesson, *later), "s02-q2-answer", "lazy_count = None\nwhile True:\n    pass\n"
    )
    _save(tmp_path, "endless-q2.ipynb", endless)
    rows, problems = grade(
        [tmp_path / "endless-q2.ipynb"], release_dir=ROOT / "exercises", cell_timeout=20, timeout=300, progress=False
    )
    status = {r.question: r.status for r in rows}
    assert status == {**dict.fromkeys(later, "passed"), "q2": "timeout"}, problems


def _copied_into_a_new_notebook(nb):
    """What a learner gets by pasting every cell into a fresh notebook: new ids, no tags, no metadata."""
    fresh = nbformat.v4.new_notebook()
    for cell in nb.cells:
        maker = nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
        fresh.cells.append(maker(cell.source))
    return fresh


def test_checks_are_found_by_content_when_ids_and_tags_are_lost():
    release = exercise(LESSON)
    learner = _copied_into_a_new_notebook(solved(exercise(LESSON), LESSON, "q1", "q3"))
    merged = restore_checks(learner, release)
    sources = [c.source for c in merged.cells]
    checks = [i for i, c in enumerate(merged.cells) if c.get("id", "").startswith("s01-") and c.id.endswith("-check")]
    assert len(checks) == 5  # each released check once; the learner's untagged copies are dropped
    assert sum("check_q1(" in s for s in sources) == 1
    solution = {c.id: c.source for c in nbformat.read(SOLUTION, as_version=4).cells}
    for q in ("q1", "q3"):
        answer = sources.index(solution[f"s01-{q}-answer"])
        assert merged.cells[answer + 1].id == f"s01-{q}-check"


def test_lesson_is_told_from_the_file_name():
    from hpclab.grading.lessons import _lesson_from_name

    release = ROOT / "exercises"
    assert _lesson_from_name(Path("anna-01-parallel-concepts (2).ipynb"), release) == LESSON
    assert _lesson_from_name(Path("lesson09-bob.ipynb"), release) == "09-mpi-collectives"
    assert _lesson_from_name(Path("09b_carol.ipynb"), release) == "09b-mpi-heat-equation"
    assert _lesson_from_name(Path("untitled.ipynb"), release) is None


@pytest.mark.slow
def test_a_notebook_without_metadata_is_graded_against_the_lesson_its_name_holds(tmp_path):
    nb = _copied_into_a_new_notebook(solved(exercise(LESSON), LESSON, "q1", "q2", "q3", "q4", "q5"))
    path = tmp_path / "copied-01-parallel-concepts.ipynb"
    _save(tmp_path, path.name, nb)
    from hpclab.grading import grade

    outcome = grade([path], release_dir=ROOT / "exercises", cell_timeout=60, timeout=180, progress=False)
    assert [r.status for r in outcome.rows] == ["passed"] * 5, outcome.problems
    assert "no hpclab lesson metadata" in outcome.problems[0] and "its file name" in outcome.problems[0]


@pytest.mark.slow
def test_resume_keeps_graded_submissions_and_grades_the_rest(tmp_path):
    room = tmp_path / "room"
    room.mkdir()
    _save(room, "a-correct.ipynb", solved(exercise(LESSON), LESSON, "q1", "q2", "q3", "q4", "q5"))
    _save(room, "b-blank.ipynb", exercise(LESSON))
    out = tmp_path / "scores.csv"
    # A grader that died while writing b's rows: a's rows complete, b's cut short mid-line.
    lines = ["submission,question,level,points,max_points,status"]
    lines += [f"{room / 'a-correct.ipynb'},{q},★,0,1,passed" for q in ("q1", "q2", "q3", "q4", "q5")]
    lines += [f"{room / 'b-blank.ipynb'},q1,★,0,1,not-attempted", f"{room / 'b-blank.ipynb'},q2,★,0"]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = hpclab_grade(
        str(room),
        str(out),
        "--resume",
        "--cell-timeout",
        "60",
        "--timeout",
        "180",
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 submission(s) already in" in proc.stdout
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    kept = [r for r in rows if r["submission"].endswith("a-correct.ipynb")]
    fresh = [r for r in rows if r["submission"].endswith("b-blank.ipynb")]
    assert [r["points"] for r in kept] == ["0"] * 5  # kept as written, not graded again
    assert [r["status"] for r in fresh] == ["not-attempted"] * 5


def test_exit_status_is_1_when_a_submission_could_not_be_graded(tmp_path):
    (tmp_path / "garbage.ipynb").write_text("this is not JSON {")
    out = tmp_path / "scores.csv"
    proc = hpclab_grade(
        str(tmp_path / "garbage.ipynb"),
        str(out),
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "1 submission(s) could not be graded" in proc.stderr
    assert out.read_text().splitlines()[1].endswith(",*,,0,0,invalid-notebook")


def test_no_sandbox_is_said_once(tmp_path):
    (tmp_path / "garbage.ipynb").write_text("not JSON")
    proc = hpclab_grade(
        str(tmp_path),
        str(tmp_path / "s.csv"),
        "--exercise",
        LESSON,
        "--no-sandbox",
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.stderr.count("WITHOUT a sandbox") == 1 and "--no-sandbox" in proc.stderr
    assert "NOT sandboxed" in proc.stdout


def test_a_machine_without_bubblewrap_grades_unsandboxed_after_one_warning(tmp_path):
    import os

    (tmp_path / "garbage.ipynb").write_text("not JSON")
    proc = hpclab_grade(
        str(tmp_path),
        str(tmp_path / "s.csv"),
        "--exercise",
        LESSON,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "HPCLAB_BWRAP": str(tmp_path / "no-bwrap-here")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("WITHOUT a sandbox") == 1 and "no-bwrap-here" in proc.stderr


def test_a_submission_from_an_older_release_is_graded_when_its_checks_match():
    from hpclab.grading.lessons import release_note

    release = load_release(ROOT / "exercises", LESSON)
    assert release.notebook.metadata["hpclab"]["version"]  # the release carries the course version
    older = exercise(LESSON)
    older.metadata["hpclab"]["version"] = "0.0.1"
    note = release_note(Path("old.ipynb"), older, release)
    assert "started from another release of this lesson" in note and "whose checks are the same" in note
    assert "0.0.1" not in note  # the learner's metadata is described, never quoted
    del older.metadata["hpclab"]["version"]
    assert "before exercises carried a version" in release_note(Path("old.ipynb"), older, release)
    assert release_note(Path("now.ipynb"), exercise(LESSON), release) == ""


def test_a_submission_whose_release_had_other_checks_is_flagged():
    from hpclab.grading.lessons import release_note

    release = load_release(ROOT / "exercises", LESSON)
    older = answer(exercise(LESSON), "s01-q3-check", "check_q3(amdahl, 0.5)")
    older.metadata["hpclab"]["version"] = "0.0.1"
    note = release_note(Path("old.ipynb"), older, release)
    assert "differ from release" in note and "in q3;" in note and "by hand" in note


def test_a_submission_the_grader_failed_on_is_not_counted_as_graded(tmp_path, monkeypatch):
    """A grader failure (here: the kernel cannot start) is the grader's, not the learner's error."""
    from hpclab.grading import grade, room

    def broken(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(room, "execute", broken)
    _save(tmp_path, "anna.ipynb", solved(exercise(LESSON), LESSON, "q1"))
    outcome = grade([tmp_path], release_dir=ROOT / "exercises", sandbox=False, progress=False)
    assert {r.status for r in outcome.rows} == {Status.GRADER_ERROR}
    assert outcome.ungraded == [str(tmp_path / "anna.ipynb")]
    assert any("no space left on device" in p for p in outcome.problems)


# ------------------------------------------------------------------ forged check results

# Learner code that displays what a passing check displays, with this run's token when it can find one
# (a check cell's source is in the kernel's input history while it runs).
_FORGER = """import re
from IPython.display import display

def _token(source=None):
    found = re.findall(r"grade_with\\('([0-9a-f]+)'\\)", source or "\\n".join(get_ipython().user_ns["In"]))
    return found[-1] if found else None

def _forge(*ids, source=None):
    for q in ids or ("q1", "q2", "q3", "q4", "q5"):
        display({"application/vnd.hpclab.check+json": {"lesson": "01-parallel-concepts", "id": q, "passed": True,
                 "status": "passed", "points": 3, "message": "well done", "token": _token(source)},
                 "text/plain": ""}, raw=True)
"""
_IMPORTS = "import numpy as np\nfrom hpclab.checks.concepts import check_q1, check_q2, check_q3, check_q4, check_q5\n"


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    """A room of blank exercises whose learner code forges passing results in five ways."""
    room = tmp_path_factory.mktemp("forged")
    hooks = exercise(LESSON)  # the review's cell A, and a hook that copies the run's token from the cell
    answer(
        hooks,
        "s01-imports",
        _IMPORTS + _FORGER + "def _after(result):\n"
        "    if 'check_q' in (result.info.raw_cell or ''):\n"
        "        _forge(source=result.info.raw_cell)\n"
        "def _before(info):\n"
        "    if 'check_q' in (info.raw_cell or ''):\n"
        "        _forge(source=info.raw_cell)\n"
        "get_ipython().events.register('post_run_cell', _after)\n"
        "get_ipython().events.register('pre_run_cell', _before)\n",
    )
    _save(room, "hooks.ipynb", hooks)
    interrupt = exercise(LESSON)  # the review's cell B: forge from inside the check, then stop it
    answer(interrupt, "s01-imports", _IMPORTS + _FORGER)
    answer(interrupt, "s01-q3-answer", "def amdahl(serial_fraction, p):\n    _forge()\n    raise KeyboardInterrupt\n")
    _save(room, "interrupt.ipynb", interrupt)
    during = exercise(LESSON)  # a hook registered by code the check calls; SystemExit from another check
    answer(during, "s01-imports", _IMPORTS + _FORGER)
    answer(
        during,
        "s01-q3-answer",
        "def amdahl(serial_fraction, p):\n"
        "    get_ipython().events.register('post_run_cell', lambda result: _forge('q3'))\n"
        "    return p\n",
    )
    answer(during, "s01-q5-answer", "import sys\ndef serial_fraction(s, p):\n    _forge('q5')\n    sys.exit(0)\n")
    _save(room, "during.ipynb", during)
    exits = exercise(LESSON)  # forge, then end the kernel so the check never reports
    answer(exits, "s01-imports", _IMPORTS + _FORGER)
    answer(
        exits,
        "s01-q3-answer",
        "import os, sys, time\ndef amdahl(serial_fraction, p):\n"
        "    _forge('q3')\n    sys.stdout.flush()\n    time.sleep(1)\n    os._exit(0)\n",
    )
    _save(room, "exits.ipynb", exits)
    floods = exercise(LESSON)  # forge, then print past the output limit so the check's own result is cut
    answer(floods, "s01-imports", _IMPORTS + _FORGER)
    answer(
        floods,
        "s01-q3-answer",
        "def amdahl(serial_fraction, p):\n    _forge('q3')\n    print('f' * 1_100_000)\n    return p\n",
    )
    _save(room, "floods.ipynb", floods)
    finalizer = exercise(LESSON)  # the second review's variant B: a __del__ that runs once the check has reported
    answer(finalizer, "s01-imports", _IMPORTS + _FORGER)
    answer(
        finalizer,
        "s01-q3-answer",
        "class _Late:\n    def __del__(self):\n        _forge('q3')\n"
        "def amdahl(serial_fraction, p, _late=_Late()):\n"
        "    globals().pop('amdahl', None)  # freed, with _late, when the check lets go of it\n"
        "    return 0\n"
        "del _Late\n",
    )
    _save(room, "finalizer.ipynb", finalizer)
    late_hook = exercise(LESSON)  # variant A: a hook object whose __del__ runs when the check drops the hooks
    answer(late_hook, "s01-imports", _IMPORTS + _FORGER)
    answer(
        late_hook,
        "s01-q3-answer",
        "class _LateHook:\n    def __call__(self, *args):\n        pass\n"
        "    def __del__(self):\n        _forge('q3')\n"
        "def amdahl(serial_fraction, p):\n"
        "    get_ipython().events.register('post_run_cell', _LateHook())\n"
        "    return p\n",
    )
    _save(room, "late_hook.ipynb", late_hook)
    out = room / "scores.csv"
    proc = hpclab_grade(
        str(room),
        str(out),
        "--cell-timeout",
        "60",
        "--timeout",
        "180",
        "--feedback",
        str(room / "feedback"),
        cwd=room,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as fh:
        table = {(Path(r["submission"]).name, r["question"]): r for r in csv.DictReader(fh)}
    return table, room / "feedback"


@pytest.mark.slow
def test_results_forged_by_learner_event_hooks_do_not_count(forged):
    table, _ = forged
    assert _statuses(table, "hooks.ipynb") == ["not-attempted"] * 5


@pytest.mark.slow
def test_a_result_forged_inside_a_check_that_is_then_interrupted_fails(forged):
    table, feedback = forged
    assert _statuses(table, "interrupt.ipynb") == ["not-attempted", "not-attempted", "failed"] + ["not-attempted"] * 2
    assert "stopped by KeyboardInterrupt" in (feedback / "interrupt.md").read_text()


@pytest.mark.slow
def test_hooks_registered_during_a_check_and_sys_exit_inside_one_do_not_pass(forged):
    table, feedback = forged
    assert _statuses(table, "during.ipynb") == ["not-attempted", "not-attempted", "failed", "not-attempted", "failed"]
    assert "raised SystemExit" in (feedback / "during.md").read_text()


@pytest.mark.slow
def test_a_result_forged_after_the_checks_own_by_a_finalizer_fails(forged):
    table, feedback = forged
    for name in ("finalizer", "late_hook"):
        assert _statuses(table, f"{name}.ipynb") == ["not-attempted", "not-attempted", "failed"] + ["not-attempted"] * 2
        assert re.search(r"result was reported [2-9] times", (feedback / f"{name}.md").read_text())


@pytest.mark.slow
def test_a_kernel_ended_inside_a_check_is_not_a_pass(forged):
    table, _ = forged
    assert _statuses(table, "exits.ipynb") == ["not-attempted", "not-attempted"] + ["kernel-died"] * 3


# ------------------------------------------------------------------ which release a submission is graded against


def test_hpclab_metadata_that_is_not_a_mapping_is_read_as_no_metadata(tmp_path):
    from hpclab.grading.lessons import release_note
    from hpclab.grading.submissions import read_submission

    nb = exercise(LESSON)
    nb.metadata["hpclab"] = [LESSON, "version 9"]  # a learner's editor may write any JSON value there
    _save(tmp_path, "odd.ipynb", nb)
    path = tmp_path / "odd.ipynb"
    submitted, lesson, problem = read_submission(path)
    assert (lesson, problem) == (None, "")
    release = load_release(ROOT / "exercises", LESSON)
    assert "before exercises carried a version" in release_note(path, submitted, release)


def test_a_lesson_name_that_is_a_path_is_refused():
    for lesson in ("../solutions/01-parallel-concepts", str(ROOT / "solutions" / LESSON), "01-parallel-concepts/"):
        with pytest.raises(GradeError, match="is not a lesson name"):
            load_release(ROOT / "exercises", lesson)


def test_the_grader_not_the_submission_chooses_the_lesson():
    from hpclab.grading.lessons import choose_lesson

    release = ROOT / "exercises"
    for claimed in ("../solutions/01-parallel-concepts", str(ROOT / "solutions" / LESSON), "99-not-released"):
        lesson, note = choose_lesson(Path("anna.ipynb"), claimed, release, fallback=LESSON)
        assert lesson == LESSON and "a lesson that is not released" in note and "the rest of the room" in note
        assert claimed not in note  # what a learner wrote is never echoed back
    lesson, note = choose_lesson(Path("bob.ipynb"), "02-dask-futures", release, exercise=LESSON)
    assert lesson == LESSON and "names lesson 02-dask-futures, not 01-parallel-concepts" in note
    assert choose_lesson(Path("carol.ipynb"), "02-dask-futures", release) == ("02-dask-futures", "")


@pytest.mark.slow
def test_with_exercise_every_submission_is_graded_against_it(tmp_path):
    from hpclab.grading import grade

    claims = {
        "relative.ipynb": "../solutions/01-parallel-concepts",
        "absolute.ipynb": str(ROOT / "solutions" / LESSON),
        "other-lesson.ipynb": "02-dask-futures",
    }
    for name, claimed in claims.items():
        nb = exercise(LESSON)
        nb.metadata["hpclab"]["lesson"] = claimed
        nb.metadata["hpclab"]["checks"] = "hpclab.checks.futures"  # never used: checks come from the release
        _save(tmp_path, name, nb)
    outcome = grade(
        [tmp_path], release_dir=ROOT / "exercises", exercise=LESSON, cell_timeout=60, timeout=180, progress=False
    )
    assert set(outcome.releases) == {LESSON}
    for name, claimed in claims.items():
        graded = outcome.graded[str(tmp_path / name)]
        assert graded.lesson == LESSON and [r.question for r in graded.rows] == ["q1", "q2", "q3", "q4", "q5"]
        assert {r.status for r in graded.rows} == {"not-attempted"}, graded.note
        claim = f"lesson {claimed}" if claimed == "02-dask-futures" else "a lesson that is not released"
        assert f"names {claim}, not {LESSON}" in graded.note


def test_a_submission_whose_rows_cannot_be_written_is_a_grader_error_and_the_run_goes_on(tmp_path, monkeypatch):
    """A full disk while writing one submission's rows: that one is not graded, the others and the reports are."""
    import errno
    import os

    from hpclab.grading import grade, read_csv, report

    real_fsync = os.fsync
    calls = []

    def disk_full_once(fd):
        calls.append(fd)
        if len(calls) == 2:  # the first is the new CSV's header; the second, a.ipynb's rows
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_once)
    room = tmp_path / "room"
    room.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (room / name).write_text("this is not JSON {")
    out = tmp_path / "scores.csv"
    outcome = grade([room], release_dir=ROOT / "exercises", exercise=LESSON, sandbox=False, progress=False, out=out)
    assert outcome.ungraded == [str(room / "a.ipynb")]
    assert [r.status for r in outcome.graded[str(room / "a.ipynb")].rows] == [Status.GRADER_ERROR]
    assert any(
        "could not be written" in p and "No space left on device" in p and "--resume" in p for p in outcome.problems
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 5 and all(line.startswith(str(room / "b.ipynb")) for line in lines[1:])
    assert set(read_csv(out)) == {str(room / "b.ipynb")}
    book = report.write_gradebook(outcome, tmp_path / "book.csv")
    page, _ = report.write_room_report(outcome, tmp_path / "report.md")
    assert "could not be written" in page.read_text() and "a.ipynb" in book.read_text()


def test_a_submission_graded_against_another_lesson_than_the_room_is_noted():
    from hpclab.grading import Graded
    from hpclab.grading.lessons import odd_lessons

    room = {name: Graded([], lesson=LESSON) for name in ("a.ipynb", "b.ipynb")}
    assert odd_lessons(room) == []
    room["c.ipynb"] = Graded([], lesson="02-dask-futures")
    (note,) = odd_lessons(room)
    assert note.startswith("c.ipynb: graded against 02-dask-futures") and f"--exercise {LESSON}" in note


@pytest.mark.slow
def test_a_check_whose_output_was_cut_does_not_pass(forged):
    table, feedback = forged
    assert _statuses(table, "floods.ipynb") == ["not-attempted", "not-attempted", "error"] + ["not-attempted"] * 2
    assert "output was cut" in (feedback / "floods.md").read_text()


def _payload_output(qid, token, status="passed"):
    payload = {"lesson": LESSON, "id": qid, "status": status, "passed": status == "passed", "message": status}
    if token is not None:
        payload["token"] = token
    return nbformat.v4.new_output("display_data", data={"application/vnd.hpclab.check+json": payload})


def test_only_the_checks_own_payload_counts_for_its_own_question():
    """assess without a kernel: which outputs of a check cell count, and when a pass is refused."""
    from hpclab.grading.assess import assess

    release = load_release(ROOT / "exercises", LESSON)
    executed = restore_checks(exercise(LESSON), release.notebook, "s3cret")
    index = {c.id: i for i, c in enumerate(executed.cells)}
    outputs = {
        "s01-q1-check": [_payload_output(["q1"], "s3cret"), _payload_output("q1", None)],  # odd id; no token
        "s01-q2-check": [_payload_output("q3", "s3cret"), _payload_output("q2", "s3cret", "failed")],  # other id
        "s01-q3-check": [_payload_output("q3", "s3cret", "failed"), _payload_output("q3", "s3cret")],  # last wins
        "s01-q4-check": [_payload_output("q4", "s3cret")],  # passed, but the cell raised
        "s01-q5-check": [_payload_output("q5", "s3cret")],  # passed, but the cell never finished
    }
    for cell_id, outs in outputs.items():
        executed.cells[index[cell_id]].outputs = outs
    replies = {i: "ok" for i in range(len(executed.cells))}
    replies[index["s01-q4-check"]] = "error"
    del replies[index["s01-q5-check"]]
    status, _ = assess(executed, release, "kernel-died", [], replies=replies, token="s3cret")
    assert status == {"q1": "error", "q2": "failed", "q3": "passed", "q4": "error", "q5": "kernel-died"}
