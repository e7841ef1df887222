"""Collect, grade, return: three learners' homes (real uids), hostile files among them.

As root the test makes homes owned by unprivileged uids (no user database entries are added:
a home's owner is its learner), then collects lesson 01 from them, grades the room in the
sandbox, and returns the feedback. Hostile homes hold a link to a root-only secret, a named
pipe, a notebook owned by someone else, and a feedback path that is a link to a file of root's.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import nbformat
import pytest

from hpclab import cli
from hpclab.grading import Status, grade
from hpclab.grading.exchange import EXERCISE_PATH, FEEDBACK_PATH, collect_room, learners_in, return_feedback
from hpclab.grading.report import write_feedback
from tests.support import ROOT
from tests.support.notebooks import exercise, solved

LESSON = "01-parallel-concepts"
UID = 61_700  # unprivileged uids no one on this machine uses (the sandbox's range starts elsewhere)
SECRET = "the-secret-text-of-a-root-only-file"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="making homes of other uids needs root")


@pytest.fixture
def homes():
    """A folder of learners' homes everyone may enter, as /home is; removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="hpclab-homes-"))
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root)


def _home(homes: Path, name: str, uid: int) -> Path:
    home = homes / name
    (home / "hpclab" / "exercises").mkdir(parents=True)
    for folder in (home, home / "hpclab", home / "hpclab" / "exercises"):
        os.chown(folder, uid, uid)
    os.chmod(home, 0o700)
    return home


def _notebook(home: Path, uid: int, nb) -> None:
    path = home / EXERCISE_PATH.format(lesson=LESSON)
    nbformat.write(nb, path)
    os.chown(path, uid, uid)
    os.chmod(path, 0o600)


def test_collect_grade_return_for_three_learners_with_hostile_homes_beside_them(homes, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    os.chmod(secret, 0o600)
    victim = tmp_path / "roots-file.txt"
    victim.write_text("root's own file\n")

    learners = {"ada": UID, "bo": UID + 1, "cy": UID + 2}
    for name, uid in learners.items():
        _notebook(
            _home(homes, name, uid),
            uid,
            solved(exercise(LESSON), LESSON, "q1", "q2") if name != "cy" else exercise(LESSON),
        )
    # Hostile homes: a link to root's secret, a named pipe, a notebook someone else owns.
    linker = _home(homes, "dee", UID + 3)
    os.symlink(secret, linker / EXERCISE_PATH.format(lesson=LESSON))
    piper = _home(homes, "eve", UID + 4)
    os.mkfifo(piper / EXERCISE_PATH.format(lesson=LESSON))
    os.chown(piper / EXERCISE_PATH.format(lesson=LESSON), UID + 4, UID + 4)
    planted = _home(homes, "fay", UID + 5)
    _notebook(planted, UID, exercise(LESSON))  # owned by ada's uid, in fay's home, readable by all
    os.chmod(planted / EXERCISE_PATH.format(lesson=LESSON), 0o644)
    # ada replaced her feedback path by a link to a file of root's.
    feedback_dir = homes / "ada" / "hpclab" / "feedback"
    feedback_dir.mkdir()
    os.chown(feedback_dir, UID, UID)
    os.symlink(victim, feedback_dir / f"{LESSON}.md")

    assert [learner.name for learner in learners_in(homes)] == ["ada", "bo", "cy", "dee", "eve", "fay"]
    room = tmp_path / "room"
    collected = {h.learner.name: h for h in collect_room(homes, LESSON, room)}

    assert sorted(p.name for p in room.iterdir()) == ["ada.ipynb", "bo.ipynb", "cy.ipynb"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in room.iterdir())
    assert "permission denied" in collected["dee"].problem.lower() or "link" in collected["dee"].problem
    assert "named pipe" in collected["eve"].problem
    assert "owned by another user" in collected["fay"].problem
    for item in collected.values():
        assert SECRET not in item.problem
    assert not any(SECRET.encode() in p.read_bytes() for p in room.iterdir())

    outcome = grade([room], release_dir=ROOT / "exercises", exercise=LESSON, progress=False, timeout=300)
    scores = {}
    for row in outcome.rows:
        scores.setdefault(Path(row.submission).stem, []).append(row.status)
    assert scores["ada"][:2] == [Status.PASSED, Status.PASSED] and scores["cy"][0] == Status.NOT_ATTEMPTED
    feedback = tmp_path / "feedback"
    write_feedback(outcome, feedback)

    returned = {h.learner.name: h for h in return_feedback(feedback, homes, LESSON)}

    for name in ("bo", "cy"):
        target = homes / name / FEEDBACK_PATH.format(lesson=LESSON)
        assert returned[name].path == target and not returned[name].problem
        info = target.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (learners[name], 0o600)
        assert target.read_text() == (feedback / f"{name}.md").read_text()
        assert stat.S_IMODE((target.parent).stat().st_mode) == 0o700
    assert "symbolic link" in returned["ada"].problem  # her planted link was not followed
    assert victim.read_text() == "root's own file\n"
    assert "no feedback file" in returned["dee"].problem  # never collected: nothing to return


def test_collect_and_return_from_the_command_line(homes, tmp_path, capsys):
    _notebook(_home(homes, "ada", UID), UID, exercise(LESSON))
    room = tmp_path / "room"
    assert cli.main(["collect", LESSON, "--homes", str(homes), "--into", str(room)]) == 0
    assert "collected 1 of 1" in capsys.readouterr().out
    (tmp_path / "fb").mkdir()
    (tmp_path / "fb" / "ada.md").write_text("well done\n")
    assert cli.main(["return", LESSON, "--feedback", str(tmp_path / "fb"), "--homes", str(homes)]) == 0
    assert (homes / "ada" / FEEDBACK_PATH.format(lesson=LESSON)).read_text() == "well done\n"


def test_a_lesson_path_that_leaves_the_home_is_refused(homes, tmp_path):
    _home(homes, "ada", UID)
    with pytest.raises(ValueError, match="inside each home"):
        collect_room(homes, LESSON, tmp_path / "room", path="../../etc/{lesson}")
