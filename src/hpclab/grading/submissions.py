"""The learners' files: which ones a room holds, and reading one without trusting it.

A submission is whatever a learner handed in, and a collected home folder can hold anything: a
named pipe that blocks whoever opens it, a symbolic link to a file the learner could never read
(the grader often runs as root), a folder named like a notebook, a file of gigabytes, bytes that
are not text, JSON nested deep enough to break a parser. Reading one never raises and never
blocks for what the file is or holds: only a regular file, opened without following links and
without waiting, of a bounded size, is read at all; anything else gets a problem for the
instructor instead.

A problem *describes* what is wrong and never quotes the file: it goes into the learner's
feedback, the room report and the log, and the learner must not get back, through a link or a
hard-to-read file, a byte of something they could not read themselves.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import nbformat

from hpclab.grading.release import GradeError

#: The largest submission read (bytes). A lesson's notebook, plots included, is a few MB.
MAX_BYTES = 64 * 1024**2
#: Each problem ends with what the instructor can do about it.
REDOWNLOAD = "ask the learner to download the notebook again from JupyterLab (File > Download) and hand that in"
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def collect(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Submission files: notebooks named directly, or every ``*.ipynb`` entry in a named folder.

    Every entry named like a notebook is listed, whatever it is (a link, a pipe, a folder):
    :func:`read_submission` decides, so each one gets its rows and a note instead of vanishing.
    """
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.glob("*.ipynb") if not p.name.startswith("."))
        elif os.path.lexists(item):  # a dangling link is still a submission to report on
            found.append(item)
        else:
            raise GradeError(f"{item}: no such file or folder")
    if not found:
        raise GradeError("no submissions to grade (give notebooks or folders of notebooks)")
    return found


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size} bytes"


def read_bytes(path: Path, limit: int = MAX_BYTES) -> tuple[bytes | None, str]:
    """``(content, '')`` of a regular file of at most ``limit`` bytes, else ``(None, what is wrong)``.

    Links are not followed (``O_NOFOLLOW``), nothing waits (``O_NONBLOCK``: a pipe with no writer
    opens at once), and the type and size are those of what was opened (``fstat`` on the open
    file), so swapping the name for a link between the look and the read gains nothing.
    """
    try:
        seen = os.lstat(path)
    except FileNotFoundError:
        return None, "is gone (removed while the room was being graded?)"
    except OSError as exc:
        return None, f"cannot be looked at ({os.strerror(exc.errno or 0)})"
    if stat.S_ISLNK(seen.st_mode):
        return None, (
            "is a symbolic link, which the grader does not follow (it could point anywhere on this machine); "
            "copy the notebook itself into the room"
        )
    kind = _kind(seen.st_mode)
    if kind:
        return None, f"is {kind}, not a notebook file; {REDOWNLOAD}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except PermissionError:
        return None, "cannot be read (permission denied): give the grader read access to it"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "became a symbolic link while the room was being graded; it is not followed"
        return None, f"cannot be opened ({os.strerror(exc.errno or 0)})"
    try:
        opened = os.fstat(fd)
        kind = _kind(opened.st_mode)
        if kind:
            return None, f"is {kind}, not a notebook file; {REDOWNLOAD}"
        if opened.st_size > limit:
            return None, (
                f"is too large to be a lesson's notebook ({_megabytes(opened.st_size)}; the grader reads at most "
                f"{_megabytes(limit)}): clear its outputs (Edit > Clear Outputs of All Cells), save and hand it in again"
            )
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1024**2, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return None, f"could not be read ({os.strerror(exc.errno or 0)})"
    finally:
        os.close(fd)
    if size > limit:
        return None, f"grew past {_megabytes(limit)} while it was read; hand in a finished, saved notebook"
    if size == 0:
        return None, f"is empty (0 bytes): the notebook was not saved before it was handed in; {REDOWNLOAD}"
    return b"".join(chunks), ""


def parse_notebook(data: bytes) -> tuple[nbformat.NotebookNode | None, str]:
    """``(notebook, '')`` from a file's bytes, else ``(None, what is wrong)``: never the content itself.

    Parsers' own messages are not passed on: nbformat's quote the start of the file, and a
    schema error quotes the value that failed.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"is not text (not UTF-8 from byte {exc.start}: a binary file?); {REDOWNLOAD}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            return None, f"ends before its JSON does (a cut-off download or an unfinished save); {REDOWNLOAD}"
        return None, f"is not JSON (it breaks at line {exc.lineno}, column {exc.colno}); {REDOWNLOAD}"
    except RecursionError:
        return None, f"nests JSON far deeper than any notebook does; {REDOWNLOAD}"
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return None, f"is JSON but not a Jupyter notebook (it has no cells); {REDOWNLOAD}"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except RecursionError:
        return None, f"nests JSON far deeper than any notebook does; {REDOWNLOAD}"
    except Exception:  # nbformat's messages quote the file: say what, not where
        return None, f"is JSON but does not follow the notebook format (nbformat 4); {REDOWNLOAD}"
    return nb, ""


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str | None, str]:
    """(notebook, lesson, problem): problem is '' when the file is usable.

    The problem names the file and what is wrong with it, never what it holds; the lesson is
    what the notebook's ``hpclab`` metadata claims (any JSON value: see :mod:`hpclab.grading.lessons`).
    """
    data, problem = read_bytes(path)
    nb = None
    if data is not None:
        nb, problem = parse_notebook(data)
    if nb is None:
        return None, None, f"{path}: {problem}"
    hpclab_metadata = nb.metadata.get("hpclab", {})
    lesson = hpclab_metadata.get("lesson") if isinstance(hpclab_metadata, dict) else None
    return nb, (str(lesson) if lesson else None), ""
