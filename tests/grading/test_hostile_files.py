"""A room as collected from home folders: pipes, sockets, links to secrets, folders, huge, empty and broken files.

Each kind is made here for real (a FIFO with no writer, a bound Unix socket, a symbolic link to
a file outside the room, ...). For each: reading it never blocks or raises, it gets a problem that
says what is wrong, and no byte of what it holds, or of what it points to, appears in any output.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
import uuid
from pathlib import Path

import nbformat
import pytest

from hpclab.grading.submissions import MAX_BYTES, collect, read_submission
from tests.support import hpclab_grade
from tests.support.notebooks import exercise, solved

LESSON = "01-parallel-concepts"
SECRET = f"TOPSECRET-{uuid.uuid4().hex}"


def _secret_file(folder: Path) -> Path:
    """A file outside the room that the learner must never see a byte of."""
    folder.mkdir(exist_ok=True)
    secret = folder / "instructor-key.txt"
    secret.write_text(f"{SECRET}\nsecond line\n")
    secret.chmod(0o600)
    return secret


def _secret_notebook(folder: Path) -> Path:
    """A real notebook outside the room whose cells hold the secret: a link to it must not be graded."""
    nb = exercise(LESSON)
    nb.cells[0].source = SECRET
    path = folder / "someone-elses.ipynb"
    nbformat.write(nb, path)
    return path


def hostile_room(room: Path, outside: Path) -> dict[str, str]:
    """Make every kind of hostile entry in ``room``; {file name: words its problem must contain}."""
    room.mkdir(exist_ok=True)
    secret = _secret_file(outside)
    made = {}
    os.mkfifo(room / "pipe.ipynb")
    made["pipe.ipynb"] = "named pipe (FIFO)"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(room / "socket.ipynb"))  # the file stays after the socket is closed
    listener.close()
    made["socket.ipynb"] = "is a socket"
    (room / "secret-link.ipynb").symlink_to(secret)
    made["secret-link.ipynb"] = "symbolic link"
    (room / "notebook-link.ipynb").symlink_to(_secret_notebook(outside))
    made["notebook-link.ipynb"] = "symbolic link"
    (room / "loop-a.ipynb").symlink_to(room / "loop-b.ipynb")
    (room / "loop-b.ipynb").symlink_to(room / "loop-a.ipynb")
    made["loop-a.ipynb"] = made["loop-b.ipynb"] = "symbolic link"
    (room / "dangling.ipynb").symlink_to(outside / "no-such-file")
    made["dangling.ipynb"] = "symbolic link"
    (room / "folder.ipynb").mkdir()
    made["folder.ipynb"] = "is a folder"
    (room / "empty.ipynb").write_bytes(b"")
    made["empty.ipynb"] = "is empty"
    with open(room / "huge.ipynb", "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: large by size, nothing written
    made["huge.ipynb"] = "too large"
    (room / "binary.ipynb").write_bytes(b'{"cells": [], "x": "\xff\xfe' + SECRET.encode() + b'"}')
    made["binary.ipynb"] = "is not text"
    (room / "plain-text.ipynb").write_text(f"{SECRET} is what the start of this file says\n")
    made["plain-text.ipynb"] = "is not JSON"
    whole = nbformat.writes(exercise(LESSON)).replace("Amdahl", SECRET, 1)
    (room / "cut-short.ipynb").write_text(whole[: len(whole) // 2])
    made["cut-short.ipynb"] = "ends before its JSON does"
    (room / "deep.ipynb").write_text("[" * 200_000 + "]" * 200_000)
    made["deep.ipynb"] = "nests JSON far deeper"
    (room / "not-a-notebook.ipynb").write_text(json.dumps({"secret": SECRET}))
    made["not-a-notebook.ipynb"] = "not a Jupyter notebook"
    schema = exercise(LESSON)
    schema.cells[0]["cell_type"] = SECRET  # JSON with cells, but not the notebook format
    (room / "bad-schema.ipynb").write_text(json.dumps(schema))
    made["bad-schema.ipynb"] = "does not follow the notebook format"
    claims = exercise(LESSON)
    claims.metadata["hpclab"]["lesson"] = SECRET  # a usable notebook whose metadata names anything
    claims.metadata["hpclab"]["version"] = SECRET
    nbformat.write(claims, room / "odd-metadata.ipynb")
    if os.geteuid() == 0:
        os.mknod(room / "device.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
        made["device.ipynb"] = "character device"
    return made


def test_every_hostile_entry_is_listed_and_read_without_blocking_or_echoing(tmp_path):
    room, outside = tmp_path / "room", tmp_path / "outside"
    made = hostile_room(room, outside)
    listed = {p.name for p in collect([room])}
    assert set(made) <= listed, "every entry named like a notebook is a submission with rows of its own"
    for name, words in made.items():
        nb, lesson, problem = read_submission(room / name)
        assert nb is None and lesson is None, name
        assert problem.startswith(f"{room / name}: ") and words in problem, (name, problem)
        assert SECRET not in problem and "second line" not in problem, (name, problem)
    nb, lesson, problem = read_submission(room / "odd-metadata.ipynb")
    assert nb is not None and problem == "" and lesson == SECRET  # read as the learner's claim, decided elsewhere


def test_a_link_named_on_the_command_line_is_not_followed_either(tmp_path):
    secret = _secret_file(tmp_path / "outside")
    link = tmp_path / "direct.ipynb"
    link.symlink_to(secret)
    assert collect([link]) == [link]
    _, _, problem = read_submission(link)
    assert "symbolic link" in problem and SECRET not in problem
    dangling = tmp_path / "gone.ipynb"
    dangling.symlink_to(tmp_path / "nowhere")
    assert collect([dangling]) == [dangling]  # reported on, not a run-stopping "no such file"


def test_a_good_notebook_is_still_read(tmp_path):
    nbformat.write(solved(exercise(LESSON), LESSON, "q1"), tmp_path / "fine.ipynb")
    nb, lesson, problem = read_submission(tmp_path / "fine.ipynb")
    assert problem == "" and lesson == LESSON and nb is not None and len(nb.cells) > 5


@pytest.mark.slow
def test_a_hostile_room_grades_to_the_end_and_no_output_holds_a_byte_of_any_file(tmp_path):
    room, outside, results = tmp_path / "room", tmp_path / "outside", tmp_path / "results"
    made = hostile_room(room, outside)
    everything = ("q1", "q2", "q3", "q4", "q5")
    nbformat.write(solved(exercise(LESSON), LESSON, *everything), room / "a-correct.ipynb")
    nbformat.write(exercise(LESSON), room / "b-blank.ipynb")
    results.mkdir()
    out = results / "scores.csv"
    proc = hpclab_grade(
        str(room),
        str(out),
        "--cell-timeout",
        "60",
        "--timeout",
        "180",
        "--jobs",
        "2",
        "--feedback",
        str(results / "feedback"),
        cwd=tmp_path,
        timeout=900,  # a pipe that blocked would hold the run for ever: this ends the test instead
    )
    assert proc.returncode == 0, proc.stderr  # every file was graded: the broken ones as invalid-notebook
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    status: dict[str, list[str]] = {}
    for row in rows:
        status.setdefault(Path(row["submission"]).name, []).append(row["status"])
    assert status["a-correct.ipynb"] == ["passed"] * 5
    assert status["b-blank.ipynb"] == ["not-attempted"] * 5
    assert status["odd-metadata.ipynb"] == ["not-attempted"] * 5  # graded against the room's lesson
    for name in made:
        assert status[name] == ["invalid-notebook"] * 5, (name, proc.stderr)
    outputs = {"stdout": proc.stdout, "stderr": proc.stderr}
    outputs |= {str(p): p.read_text(errors="replace") for p in results.rglob("*") if p.is_file()}
    assert len(outputs) > len(made) + 4, "scores, gradebook, report and a feedback file per learner were written"
    leaked = [where for where, text in outputs.items() if SECRET in text or "second line" in text]
    assert not leaked, f"a byte of a submission (or of what it links to) reached: {leaked}"
