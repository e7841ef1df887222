"""Exercise checks: friendly feedback for learners, machine-readable for the grader.

Each lesson has a module here (``hpclab.checks.futures`` for 02-dask-futures)
with a ``QUESTIONS`` list and one ``check_<id>(...)`` function per question.
Checks take the learner's answer as explicit arguments, never raise, print one
line (✅ passed, ❌ failed with a hint, ⏳ not attempted yet) and emit a
``display_data`` output of type :data:`MIME_TYPE` that ``hpclab grade`` reads.

Writing a check: decorate a function with ``@check(QUESTION)``. Inside, raise
:class:`NotAttempted` when the answer is still blank, :class:`Wrong` with a hint
the learner can act on, and return a short message when the answer is right.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

MIME_TYPE = "application/vnd.hpclab.check+json"

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not-attempted"
_SYMBOL = {PASSED: "✅", FAILED: "❌", NOT_ATTEMPTED: "⏳"}


@dataclass(frozen=True)
class Question:
    """One graded question of a lesson."""

    lesson: str
    id: str
    title: str
    points: int
    level: int  # 1 to 3 stars

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise ValueError(f"{self.lesson} {self.id}: level must be 1, 2 or 3, not {self.level}")
        if self.points < 1:
            raise ValueError(f"{self.lesson} {self.id}: points must be positive")

    @property
    def stars(self) -> str:
        return "★" * self.level


class NotAttempted(Exception):
    """Raised by a check body when the answer is still the blank placeholder."""


class Wrong(Exception):
    """Raised by a check body with a hint that says what to look at next."""


def _emit(question: Question, status: str, message: str) -> None:
    print(f"{_SYMBOL[status]} {question.id} {question.stars} ({question.points} pt) {question.title}: {message}")
    payload = {
        "lesson": question.lesson,
        "id": question.id,
        "status": status,
        "passed": status == PASSED,
        "points": question.points,
    }
    ipython = sys.modules.get("IPython")
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display

        display({MIME_TYPE: payload, "text/plain": ""}, raw=True)


def check(question: Question) -> Callable[[Callable[..., str | None]], Callable[..., None]]:
    """Turn a check body into a check that reports instead of raising."""

    def decorate(body: Callable[..., str | None]) -> Callable[..., None]:
        @functools.wraps(body)
        def run_check(*args, **kwargs) -> None:
            try:
                message = body(*args, **kwargs) or "well done"
                status = PASSED
            except (NotAttempted, NotImplementedError) as exc:
                status = NOT_ATTEMPTED
                message = str(exc) if isinstance(exc, NotAttempted) and str(exc) else "not attempted yet"
            except Wrong as exc:
                status, message = FAILED, str(exc)
            except Exception as exc:  # a learner's function may raise anything
                status = FAILED
                message = f"your answer raised {type(exc).__name__}: {exc}"
            _emit(question, status, message)

        run_check.question = question  # type: ignore[attr-defined]
        return run_check

    return decorate


def require(answer: object, name: str) -> None:
    """Raise NotAttempted when ``answer`` is still None (the blank placeholder)."""
    if answer is None:
        raise NotAttempted(f"set `{name}` in the cell above, then run this cell again")


def require_dask_array(value: object, name: str):
    """Fail with a hint when ``value`` is not a lazy Dask array (a computed one is NumPy)."""
    import dask.array as da
    import numpy as np

    if isinstance(value, np.ndarray):
        raise Wrong(f"`{name}` is a NumPy array: it has been computed already. Leave out .compute() and keep it lazy")
    if not isinstance(value, da.Array):
        raise Wrong(f"`{name}` is a {type(value).__name__}, not a dask.array.Array")
    return value


def questions_of(module_name: str) -> list[Question]:
    """The questions of a checks module, e.g. ``hpclab.checks.futures``."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LookupError(
            f"No checks module {module_name!r}: the notebook metadata names a lesson "
            "this version of hpclab does not know; update hpclab or the notebook"
        ) from exc
    return list(module.QUESTIONS)
