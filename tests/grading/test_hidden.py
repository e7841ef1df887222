"""Hidden checks: each example is proven both ways, and a graded room scores and words them right.

"Both ways": an answer that fools the visible check (a table of the cases it tries, a program
written for its rank count) passes the visible check and fails the hidden one; a right answer
passes both. The room test grades real notebooks with ``--hidden`` in the sandbox.
"""

from __future__ import annotations

import shutil

import nbformat
import numpy as np
import pytest

from hpclab.checks import collectives, concepts, futures, p2p
from hpclab.checks.hidden import HIDDEN_SUFFIX, hidden_checks_in, then_hidden
from hpclab.grading import GradeError, Status, grade, load_release
from hpclab.grading.report import feedback_markdown
from hpclab.grading.restore import restore_checks
from hpclab.grading.sandbox import unavailable_reason
from tests.support import ROOT
from tests.support.answers import MPI_HEAD
from tests.support.notebooks import answer, exercise, solved

HIDDEN = ROOT / "instructors" / "hidden"
LESSON = "01-parallel-concepts"

# ---------------------------------------------------------------- answers that fool the visible checks
_AMDAHL_SEEN = {(0.0, 8): 8.0, (1.0, 8): 1.0, (0.1, 4): 1 / (0.1 + 0.9 / 4), (0.05, 1000): 1 / (0.05 + 0.95 / 1000)}
_SQUARES_SEEN = {
    len(x): float(np.dot(x, x))
    for x in (np.arange(10), np.random.default_rng(1).random(1000), np.array([], dtype=float), -np.arange(5.0))
}
_PRIMES_SEEN = {2, 3, 97, 7919}


def amdahl_table(serial_fraction, p):
    return _AMDAHL_SEEN.get((serial_fraction, p), 1.0)


def amdahl_right(serial_fraction, p):
    return 1 / (serial_fraction + (1 - serial_fraction) / p)


def squares_table(x):
    return _SQUARES_SEEN.get(len(x), 0.0)


def squares_right(x):
    return float(np.dot(x, x))


def is_prime_table(n):
    return n in _PRIMES_SEEN


def is_prime_right(n):
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))


RING = """
rank, size = comm.Get_rank(), comm.Get_size()
{neighbours}
out = [np.array([rank], dtype='i'), np.array([rank], dtype='i')]
got = [np.empty(1, dtype='i'), np.empty(1, dtype='i')]
requests = [comm.Irecv(got[0], source=left), comm.Irecv(got[1], source=right),
            comm.Isend(out[0], dest=left), comm.Isend(out[1], dest=right)]
MPI.Request.Waitall(requests)
from_left, from_right = int(got[0][0]), int(got[1][0])
"""
RING_FOR_FOUR = MPI_HEAD + RING.format(
    neighbours="left, right = {0: 3, 1: 0, 2: 1, 3: 2}[rank], {0: 1, 1: 2, 2: 3, 3: 0}[rank]"
)
RING_RIGHT = MPI_HEAD + RING.format(neighbours="left, right = (rank - 1) % size, (rank + 1) % size")


REDUCE = """
value = (3 * comm.rank + 1) % 7
total = comm.allreduce(value)
{largest}
"""
# The maximum of the visible check's four ranks (1, 4, 0, 3), written down; the reduction is for show.
REDUCE_FOR_FOUR = MPI_HEAD + REDUCE.format(
    largest="comm.reduce(value, op=MPI.MAX, root=0)\nlargest = 4 if comm.rank == 0 else None"
)
REDUCE_RIGHT = MPI_HEAD + REDUCE.format(largest="largest = comm.reduce(value, op=MPI.MAX, root=0)")


def verdicts(text: str) -> dict[str, str]:
    """Question id -> ✅/❌/⏳ from the lines checks print."""
    found = {}
    for line in text.splitlines():
        if line[:1] in "✅❌⏳":
            found[line.split()[1]] = line[0]
    return found


CASES = [
    pytest.param("concepts", concepts.check_q3, (amdahl_table,), (amdahl_right,), id="01-q3"),
    pytest.param("concepts", concepts.check_q4, (squares_table,), (squares_right,), id="01-q4"),
    pytest.param("futures", futures.check_q1, (is_prime_table,), (is_prime_right,), id="02-q1"),
    pytest.param("p2p", p2p.check_q5, (RING_FOR_FOUR,), (RING_RIGHT,), id="08-q5", marks=pytest.mark.mpi),
    pytest.param(
        "collectives", collectives.check_q4, (REDUCE_FOR_FOUR,), (REDUCE_RIGHT,), id="09-q4", marks=pytest.mark.mpi
    ),
]


@pytest.mark.parametrize(("module", "visible", "cheap", "right"), CASES)
def test_an_answer_that_fools_the_visible_check_fails_its_hidden_check(module, visible, cheap, right, capsys):
    qid = visible.question.id
    both = then_hidden(visible, HIDDEN / f"{module}.py", qid)
    both(*cheap)
    seen = capsys.readouterr().out
    assert verdicts(seen) == {qid: "✅", qid + HIDDEN_SUFFIX: "❌"}, seen
    assert "hidden check found a problem with" in seen
    both(*right)
    seen = capsys.readouterr().out
    assert verdicts(seen) == {qid: "✅", qid + HIDDEN_SUFFIX: "✅"}, seen


def test_a_hidden_failure_names_its_kind_and_never_an_input_or_the_exception(capsys):
    def is_prime_raises(n):
        if n == 561:
            raise ValueError("561 is a Carmichael number")
        return is_prime_right(n)

    hidden_checks_in(HIDDEN / "futures.py")["q1"](is_prime_raises)
    seen = capsys.readouterr().out
    assert verdicts(seen) == {"q1-hidden": "❌"}
    assert "larger primes, products of two primes" in seen
    assert "561" not in seen and "Carmichael" not in seen and "ValueError" not in seen


def test_a_blank_answer_leaves_the_hidden_check_not_attempted(capsys):
    then_hidden(concepts.check_q3, HIDDEN / "concepts.py", "q3")(None)
    assert verdicts(capsys.readouterr().out) == {"q3": "⏳", "q3-hidden": "⏳"}


def test_every_example_goes_with_a_real_question_of_its_lesson():
    lessons = {
        "concepts": LESSON,
        "futures": "02-dask-futures",
        "p2p": "08-mpi-point-to-point",
        "collectives": "09-mpi-collectives",
    }
    assert {p.stem for p in HIDDEN.glob("*.py")} == set(lessons)
    for lesson in lessons.values():
        release = load_release(ROOT / "exercises", lesson, HIDDEN)
        hidden = [q for q in release.questions if q.id.endswith(HIDDEN_SUFFIX)]
        assert hidden and release.hidden_for == {q.id.removesuffix(HIDDEN_SUFFIX) for q in hidden}
        for q in hidden:
            assert release.check_cell_of[q.id] == release.check_cell_of[q.id.removesuffix(HIDDEN_SUFFIX)]


def test_a_hidden_check_for_a_question_the_lesson_lacks_is_refused_with_the_file_named(tmp_path):
    shutil.copy(HIDDEN / "futures.py", tmp_path / "concepts.py")  # lesson 02's checks under lesson 01's name
    with pytest.raises(GradeError, match=r"concepts\.py: a hidden check goes with question 'q1' of '02-dask-futures'"):
        load_release(ROOT / "exercises", LESSON, tmp_path)


def test_a_hidden_file_that_does_not_import_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "concepts.py").write_text("import no_such_module_here\n")
    with pytest.raises(GradeError, match=r"concepts\.py: importing the hidden checks failed.*run `python"):
        load_release(ROOT / "exercises", LESSON, tmp_path)


def test_a_lesson_without_a_hidden_file_is_graded_as_before(tmp_path):
    plain = load_release(ROOT / "exercises", LESSON)
    assert load_release(ROOT / "exercises", LESSON, tmp_path).questions == plain.questions


def test_the_restored_check_cell_runs_the_hidden_check_only_for_its_questions():
    release = load_release(ROOT / "exercises", LESSON, HIDDEN)
    merged = restore_checks(exercise(LESSON), release.notebook, "t0ken", release.hidden_file, release.hidden_for)
    sources = {c.id: c.source for c in merged.cells}
    assert "then_hidden(check_q3," in sources["s01-q3-check"]
    assert "then_hidden" not in sources["s01-q1-check"]


@pytest.mark.slow
def test_a_room_graded_with_hidden_checks_scores_them_as_questions_of_their_own(tmp_path):
    room = tmp_path / "room"
    room.mkdir()
    right = solved(exercise(LESSON), LESSON, "q1", "q2", "q3", "q4", "q5")
    nbformat.write(right, room / "right.ipynb")
    table = "_SEEN = {(0.0, 8): 8.0, (1.0, 8): 1.0, (0.1, 4): 1 / (0.1 + 0.9 / 4), (0.05, 1000): 1 / (0.05 + 0.95 / 1000)}\n"
    cheap = answer(
        solved(exercise(LESSON), LESSON, "q1", "q2", "q4", "q5"),
        "s01-q3-answer",
        table + "def amdahl(serial_fraction, p):\n    return _SEEN.get((serial_fraction, p), 1.0)\n",
    )
    nbformat.write(cheap, room / "cheap.ipynb")
    nbformat.write(exercise(LESSON), room / "blank.ipynb")
    secret_folder = tmp_path / "mine"
    secret_folder.mkdir(mode=0o700)
    shutil.copy(HIDDEN / "concepts.py", secret_folder / "concepts.py")
    (secret_folder / "concepts.py").chmod(0o600)  # only the instructor may read it: the sandbox gets a copy

    outcome = grade([room], release_dir=ROOT / "exercises", hidden=secret_folder, progress=False, timeout=300)

    assert outcome.sandboxed == (unavailable_reason() == "")  # in CI: sandboxed, reading its own copy
    status = {(r.submission.rsplit("/", 1)[1], r.question): r.status for r in outcome.rows}
    assert status[("right.ipynb", "q3-hidden")] == Status.PASSED
    assert status[("right.ipynb", "q4-hidden")] == Status.PASSED
    assert status[("cheap.ipynb", "q3")] == Status.PASSED
    assert status[("cheap.ipynb", "q3-hidden")] == Status.FAILED
    assert status[("blank.ipynb", "q3-hidden")] == Status.NOT_ATTEMPTED
    feedback = feedback_markdown(outcome, str(room / "cheap.ipynb"))
    assert "Amdahl's law at serial fractions and core counts the visible check does not try" in feedback
    assert "2027" not in feedback and "uniform" not in feedback  # nothing of the check's code or inputs
