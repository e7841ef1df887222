"""Hidden checks: an instructor's own checks that run only when ``hpclab grade`` grades.

A visible check has to be small enough to read and fast enough to run in class, so a
determined learner can satisfy it cheaply: a lookup table of the numbers it tries, a program
that only works on the four ranks it uses. nbgrader and otter-grader answer this with hidden
tests, and so do we. An instructor writes them in a folder of their own (never in the course
that learners install), one file per checks module (``futures.py`` holds the hidden checks of
``hpclab.checks.futures``, lesson 02), and passes the folder to ``hpclab grade --hidden DIR``.

At grading, each hidden check runs right after the visible check of its question, on the same
arguments, in the learner's sandboxed kernel. It is a question of its own in the scores
(``q1-hidden``), with its own points. Its feedback names the *kind* of thing that failed, which
the instructor writes (``is_prime on numbers the visible check does not try``), never the check's
inputs, its code or the learner's exception.

Writing one::

    from hpclab.checks import Wrong
    from hpclab.checks.futures import Q1
    from hpclab.checks.hidden import hidden_check

    @hidden_check(Q1, kind="is_prime on numbers the visible check does not try")
    def hidden_q1(is_prime):
        ...  # raise Wrong when the answer is wrong; return normally when it is right

What it cannot hide: the file is read inside the learner's kernel while it grades, so code in
the submission could read it then. Nothing the kernel prints reaches the learner except the
checks' own verdicts, but treat hidden checks like the solutions: as secret as the folder
that holds them.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from hpclab.checks import NotAttempted, Question, Wrong, check
from hpclab.errors import UsageError

__all__ = ["HIDDEN_SUFFIX", "HiddenChecksError", "hidden_check", "hidden_checks_in", "then_hidden"]

#: A hidden check's question id is its visible question's id with this after it (``q1-hidden``).
HIDDEN_SUFFIX = "-hidden"


class HiddenChecksError(UsageError):
    """A file of hidden checks cannot be used (it does not import, or names no real question)."""


def hidden_check(question: Question, *, kind: str, points: int | None = None) -> Callable[..., Callable[..., None]]:
    """Turn a function into the hidden check of ``question``.

    The function takes the same arguments as the visible ``check_<id>`` and raises
    :class:`~hpclab.checks.Wrong` (or anything else) when the answer is wrong. Whatever it raises,
    the learner reads only ``kind``: a hidden check that quoted its inputs would not stay hidden.

    Parameters
    ----------
    question
        The visible question this hidden check goes with (``Q1`` of the lesson's checks module).
    kind
        What the hidden check looks at, in words a learner can act on, such as
        ``"is_prime on numbers the visible check does not try"``.
    points
        The hidden check's own points (default: the visible question's).

    Returns
    -------
    callable
        A decorator; the check it makes reports like a visible one, under the question id
        ``<id>-hidden``, and carries ``hidden_for`` (the visible question's id).
    """
    shown = Question(
        question.lesson,
        question.id + HIDDEN_SUFFIX,
        f"{question.title} (hidden check)",
        points if points is not None else question.points,
        question.level,
    )

    def decorate(body: Callable[..., object]) -> Callable[..., None]:
        @functools.wraps(body)
        def masked(*args, **kwargs) -> str:
            try:
                body(*args, **kwargs)
            except (NotAttempted, NotImplementedError):
                raise NotAttempted("not attempted yet") from None
            except Exception:  # Wrong, or the learner's code raised: never say which input
                raise Wrong(
                    f"a hidden check found a problem with {kind}: try your answer on more cases "
                    "than the visible check does"
                ) from None
            return f"right on {kind} too"

        run = check(shown)(masked)
        run.hidden_for = question.id  # type: ignore[attr-defined]
        return run

    return decorate


def hidden_checks_in(path: str | Path) -> dict[str, Callable[..., None]]:
    """The hidden checks a file defines, by the id of the visible question each goes with.

    The file is imported afresh every time (a grading kernel must not keep a copy a learner's
    code could have changed).

    Raises
    ------
    HiddenChecksError
        When the file cannot be read or imported, or holds two hidden checks for one question.
    """
    path = Path(path)
    name = f"hpclab_hidden_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HiddenChecksError(f"{path}: not a Python file of hidden checks (name it <checks module>.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(name, None)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise HiddenChecksError(
            f"{path}: importing the hidden checks failed ({type(exc).__name__}: {exc}); "
            f"run `python {path}` to see the whole error, fix it, and grade again"
        ) from exc
    found: dict[str, Callable[..., None]] = {}
    for value in vars(module).values():
        qid = getattr(value, "hidden_for", None)
        if not isinstance(qid, str) or not callable(value):
            continue
        if qid in found and found[qid] is not value:
            raise HiddenChecksError(
                f"{path}: two hidden checks for question {qid}; keep one (it may test as many cases as it likes)"
            )
        found[qid] = value
    return found


def then_hidden(visible: Callable[..., None], path: str | Path, question_id: str) -> Callable[..., None]:
    """``visible``, followed by the hidden check of ``question_id`` from ``path`` on the same arguments.

    ``hpclab grade`` puts this into the check cells it restores; a learner never calls it.
    """

    @functools.wraps(visible)
    def visible_then_hidden(*args, **kwargs) -> None:
        visible(*args, **kwargs)
        hidden = hidden_checks_in(path).get(question_id)
        if hidden is not None:
            hidden(*args, **kwargs)

    return visible_then_hidden
