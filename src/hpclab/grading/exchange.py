"""Collecting learners' notebooks from their homes, and handing each learner's feedback back.

On a cluster every learner works in their own home, as their own user. An instructor collects
one lesson's exercise from each home into a room folder (``hpclab collect``), grades the room,
and puts each feedback file back where that learner, and only that learner, can read it
(``hpclab return``). Both steps run as root on a real site, in folders the learners control, so
both treat every name there as hostile: a notebook that is a link to ``/etc/shadow``, a named
pipe, a feedback path that a learner replaced by a link to a file of root's.

The defence is to act *as the learner*: as root, each learner's file is read, and each learner's
feedback written, by a short child process that runs with that learner's uid and groups. The
kernel then allows exactly what the learner could do themselves: a link to a file they cannot
read fails for them, and a link planted where their feedback goes can only overwrite a file of
their own. On top of that the reading side is :func:`hpclab.grading.submissions.read_bytes`
(regular files only, no links followed, nothing waits, a size limit) and a file owned by someone
else is refused (it was planted, or copied). Without root (an exchange folder the instructor may
read) the same checks run with the instructor's own rights.

A learner is a folder of the homes folder whose name is a user name; its owner is the learner.
"""

from __future__ import annotations

import errno
import os
import pwd
import re
import select
import signal
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hpclab.grading.release import LESSON_NAME, GradeError
from hpclab.grading.submissions import MAX_BYTES, read_bytes

#: Where a learner's exercise is, inside their home (``{lesson}`` is filled in).
EXERCISE_PATH = "hpclab/exercises/{lesson}.ipynb"
#: Where a learner's feedback goes, inside their home.
FEEDBACK_PATH = "hpclab/feedback/{lesson}.md"
#: A user name as the course accepts it (POSIX portable, no path characters).
USER_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
#: Seconds a child reading or writing one learner's file may take (a hung file system must not stop the room).
CHILD_TIMEOUT = 60


def _read_mine(path: str) -> tuple[bool, bytes]:
    """In the child, as the learner: ``(True, content)`` of a file of theirs, else ``(False, problem)``."""
    data, problem = read_bytes(Path(path), MAX_BYTES)
    if data is not None and os.lstat(path).st_uid != os.getuid():
        data, problem = None, "is owned by another user (planted, or copied from someone else's work)"
    return (True, data) if data is not None else (False, problem.encode())


def _write_mine(path: str, data: bytes) -> tuple[bool, bytes]:
    """In the child, as the learner: write ``data`` to ``path`` (0600, folders 0700), never through a link."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(
            target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600
        )
    except OSError as exc:
        why = "is a symbolic link, not followed" if exc.errno == errno.ELOOP else os.strerror(exc.errno or 0)
        return False, why.encode()
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(data)
    return True, b""


@dataclass(frozen=True)
class Learner:
    """One learner: their user name, uid and gid, and their home folder."""

    name: str
    uid: int
    gid: int
    home: Path


@dataclass
class Handled:
    """What happened to one learner's file: where it went (None if nowhere) and what was wrong ('' if nothing)."""

    learner: Learner
    path: Path | None
    problem: str = ""


def learners_in(homes: str | os.PathLike, names: Iterable[str] | None = None) -> list[Learner]:
    """The learners whose homes are folders of ``homes`` (all, or those ``names`` lists), by name.

    The owner of a home is its learner. A folder whose name is not a user name, or a link, is
    not a learner's home and is skipped.

    Raises
    ------
    GradeError
        When ``homes`` is not a folder, or a name in ``names`` has no home there.
    """
    root = Path(homes)
    if not root.is_dir():
        raise GradeError(f"{root}: not a folder of learners' homes; pass --homes (e.g. /home)")
    wanted = set(names) if names is not None else None
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not USER_NAME.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        if wanted is not None and entry.name not in wanted:
            continue
        info = entry.stat(follow_symlinks=False)
        found.append(Learner(entry.name, info.st_uid, info.st_gid, root / entry.name))
    missing = sorted((wanted or set()) - {learner.name for learner in found})
    if missing:
        raise GradeError(f"no home in {root} for {', '.join(missing)}; check the names (--learner)")
    return found


def _as_learner(learner: Learner, work: Callable[..., tuple[bool, bytes]], *args: object) -> tuple[bool, bytes]:
    """``work(*args)`` in a forked child with the learner's uid, gid and groups (as root; else as we are).

    A fork, not a new program: the child needs no Python it may execute (the course's may sit
    in a folder only root can enter), and it does nothing but ``work`` before it exits. The
    answer comes back through a pipe, bounded in size and in time (:data:`CHILD_TIMEOUT`).
    """
    groups = [learner.gid]
    if os.geteuid() == 0 and learner.uid != 0:
        try:
            groups = os.getgrouplist(pwd.getpwuid(learner.uid).pw_name, learner.gid)
        except KeyError:  # a uid the user database does not know (a copied home): its own group only
            pass
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the learner, do the work, report, leave
        try:
            os.close(read_end)
            if os.geteuid() == 0 and learner.uid != 0:
                os.setgroups(groups)
                os.setgid(learner.gid)
                os.setuid(learner.uid)
            ok, payload = work(*args)
            with os.fdopen(write_end, "wb") as out:
                out.write(b"1" if ok else b"0")
                out.write(payload)
        except BaseException:
            os._exit(70)
        os._exit(0)
    os.close(write_end)
    chunks, size, deadline = [], 0, time.monotonic() + CHILD_TIMEOUT
    with os.fdopen(read_end, "rb", buffering=0) as answer:
        while size <= MAX_BYTES + 1:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([answer], [], [], left)[0]:
                break
            chunk = answer.read(1024**2)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    reply = b"".join(chunks)
    if time.monotonic() >= deadline:
        return False, f"took more than {CHILD_TIMEOUT} s (a hung file system?)".encode()
    if status != 0 or not reply:
        return False, b"could not be handled (the step run as the learner failed)"
    return reply[:1] == b"1", reply[1:]


def _relative(template: str, lesson: str) -> Path:
    """``template`` with the lesson filled in: a path inside a home, never outside it."""
    if not LESSON_NAME.fullmatch(lesson):
        raise GradeError(f"{lesson!r} is not a lesson name (such as 02-dask-futures)")
    relative = Path(template.format(lesson=lesson))
    if relative.is_absolute() or ".." in relative.parts:
        raise GradeError(f"{template!r}: give a path inside each home, such as {EXERCISE_PATH!r}")
    return relative


def collect_room(
    homes: str | os.PathLike,
    lesson: str,
    into: str | os.PathLike,
    *,
    path: str = EXERCISE_PATH,
    names: Iterable[str] | None = None,
) -> list[Handled]:
    """Copy each learner's exercise of ``lesson`` from their home into ``into``/NAME.ipynb.

    Each file is read as its learner (see the module's docstring) and must be a regular file of
    at most :data:`~hpclab.grading.submissions.MAX_BYTES`, owned by that learner. The copies are
    the instructor's (mode 0600); a learner whose file cannot be collected gets no copy, and a
    problem that describes, never quotes, what was wrong.

    Parameters
    ----------
    homes
        The folder of the learners' homes (``/home``).
    lesson
        The lesson to collect, such as ``02-dask-futures``.
    into
        The room folder to write (made if missing); ``hpclab grade`` grades it next.
    path
        Where the exercise is inside each home; ``{lesson}`` is filled in.
    names
        Only these learners (default: every home).

    Returns
    -------
    list of Handled
        One per learner, in name order.
    """
    relative = _relative(path, lesson)
    room = Path(into)
    room.mkdir(parents=True, exist_ok=True, mode=0o700)
    done = []
    for learner in learners_in(homes, names):
        ok, data = _as_learner(learner, _read_mine, str(learner.home / relative))
        if not ok:
            problem = data.decode("utf-8", "replace")
            if "is gone" in problem:
                problem = f"has no {relative} (not started, or saved elsewhere)"
            done.append(Handled(learner, None, f"{learner.name}: {relative} {problem or 'could not be read'}"))
            continue
        target = room / f"{learner.name}.ipynb"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        done.append(Handled(learner, target))
    return done


def return_feedback(
    feedback: str | os.PathLike,
    homes: str | os.PathLike,
    lesson: str,
    *,
    path: str = FEEDBACK_PATH,
    names: Iterable[str] | None = None,
) -> list[Handled]:
    """Put each learner's feedback file (``feedback``/NAME.md) into their home, readable by them alone.

    Written as the learner (see the module's docstring): the file is theirs, mode 0600, its
    folders made as needed (0700); a link at that path is not followed, and a learner without a
    feedback file gets a problem instead.

    Parameters
    ----------
    feedback
        The folder ``hpclab grade --feedback`` wrote (one ``NAME.md`` per collected ``NAME.ipynb``).
    homes
        The folder of the learners' homes.
    lesson
        The lesson the feedback is for.
    path
        Where the feedback goes inside each home; ``{lesson}`` is filled in.
    names
        Only these learners (default: every home).

    Returns
    -------
    list of Handled
        One per learner, in name order.
    """
    relative = _relative(path, lesson)
    source = Path(feedback)
    done = []
    for learner in learners_in(homes, names):
        mine = source / f"{learner.name}.md"
        try:
            if not stat.S_ISREG(os.lstat(mine).st_mode):
                raise FileNotFoundError(mine)
            text = mine.read_bytes()
        except OSError:
            done.append(
                Handled(learner, None, f"{learner.name}: no feedback file {mine} (not collected or not graded)")
            )
            continue
        target = learner.home / relative
        ok, problem = _as_learner(learner, _write_mine, str(target), text)
        if not ok:
            why = problem.decode("utf-8", "replace")
            done.append(Handled(learner, None, f"{learner.name}: {relative} could not be written: {why}"))
            continue
        done.append(Handled(learner, target))
    return done
