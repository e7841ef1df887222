"""Exercise checks: friendly feedback for learners, machine-readable for the grader.

Each lesson has a module here (``hpclab.checks.futures`` for 02-dask-futures)
with a ``QUESTIONS`` list and one ``check_<id>(...)`` function per question.
Checks take the learner's answer as explicit arguments, never raise, print one
line (✅ passed, ❌ failed with a hint, ⏳ not attempted yet) and emit a
``display_data`` output of type :data:`MIME_TYPE` that ``hpclab grade`` reads.

Writing a check: decorate a function with ``@check(QUESTION)``. Inside, raise
:class:`NotAttempted` when the answer is still blank, :class:`Wrong` with a hint
the learner can act on, and return a short message when the answer is right.

Order inside a check: first the structure the question teaches (is it lazy, does
it use the API the question names, where does the data live), then the values.
Compare values only after converting the learner's answer with :func:`plain`, so
that an object whose ``==`` always says True cannot pass.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import numbers
import sys
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpclab.errors import UsageError

__all__ = [
    "COURSE_CODE",
    "FAILED",
    "MIME_TYPE",
    "NOT_ATTEMPTED",
    "PASSED",
    "NotAttempted",
    "Question",
    "Wrong",
    "calls_in_source",
    "check",
    "course_origin",
    "grade_with",
    "graded",
    "last_verdict",
    "plain",
    "questions_of",
    "refuse_course_code",
    "require",
    "require_dask_array",
    "source_of",
]

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


# Set by the check cells ``hpclab grade`` restores (see :func:`grade_with`); None in a learner's session.
_grader_token: str | None = None


def grade_with(token: str) -> None:
    """Make this kernel's checks carry ``token``, the grading run's secret, in their payloads.

    The grader accepts a payload only with its own token, so output copied
    from elsewhere (another notebook, a canned payload) never counts.
    """
    global _grader_token
    _grader_token = token


def graded() -> bool:
    """Whether this kernel is being graded by ``hpclab grade`` (its check cells carry the run's token).

    A lesson whose evidence comes from a cluster (13) replays a recorded run under the
    grader, which has no Slurm, and its checks then accept only that recorded run.
    """
    return _grader_token is not None


_last_verdict: str | None = None


def last_verdict() -> str | None:
    """What the latest check in this process reported (``passed``, ``failed``, ``not-attempted``), or None.

    For graders that score a cell by whether it raises, such as nbgrader's test cells:
    ``check_q1(is_prime); assert last_verdict() == PASSED``.
    """
    return _last_verdict


def _emit(question: Question, status: str, message: str) -> None:
    global _last_verdict
    _last_verdict = status
    print(f"{_SYMBOL[status]} {question.id} {question.stars} ({question.points} pt) {question.title}: {message}")
    payload = {
        "lesson": question.lesson,
        "id": question.id,
        "status": status,
        "passed": status == PASSED,
        "points": question.points,
        "message": message,  # the hint: the grader's feedback files show it
    }
    if _grader_token is not None:
        payload["token"] = _grader_token
    ipython = sys.modules.get("IPython")
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display  # noqa: PLC0415  only inside a running kernel; workers and the grader skip it

        display({MIME_TYPE: payload, "text/plain": ""}, raw=True)


def check(question: Question) -> Callable[[Callable[..., str | None]], Callable[..., None]]:
    """Turn a check body into a check that reports instead of raising."""

    def decorate(body: Callable[..., str | None]) -> Callable[..., None]:
        emit = _emit  # bound now: learner code the check calls cannot swap the module's _emit

        @functools.wraps(body)
        def run_check(*args, **kwargs) -> None:
            try:
                refuse_course_code(body, args, kwargs)
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
            except BaseException as exc:
                # KeyboardInterrupt or SystemExit from the learner's function (or an interrupt): the
                # check reports "failed" itself, then lets the exception stop the cell as it would.
                emit(question, FAILED, _stopped_message(exc))
                raise
            emit(question, status, message)

        run_check.question = question  # type: ignore[attr-defined]
        return run_check

    return decorate


#: Where the checks and their reference implementations live: code from here is never an answer.
COURSE_CODE = "hpclab.checks"


def _from_course(name: object) -> bool:
    return isinstance(name, str) and (name == COURSE_CODE or name.startswith(COURSE_CODE + "."))


def _codes(code: types.CodeType) -> list[types.CodeType]:
    """A code object and every code object nested in it (inner functions, lambdas, comprehensions)."""
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _codes(const)
    return found


def course_origin(answer: object) -> str | None:
    """Where in the course's own checks ``answer`` comes from, or None when it is the learner's.

    An answer is lifted when it *is* an object of :data:`COURSE_CODE` (``from hpclab.checks._reference
    import is_prime``), or when a function of the learner's reaches one: through a global or a
    closure it uses (``ref.is_prime(n)``, a module alias included), a string it imports by name,
    or another function of the learner's that does. Library helpers (NumPy, Dask, hpclab's runtime)
    are the learner's to use and are not looked into. A program handed in as text is lifted when
    it names the checks at all.
    """
    if isinstance(answer, str):
        return COURSE_CODE if COURSE_CODE in answer or _imports_the_checks(answer) else None
    home = getattr(inspect.unwrap(answer), "__module__", None) if callable(answer) else None
    todo, seen = [answer], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, types.ModuleType):
            if _from_course(item.__name__):
                return item.__name__
            continue
        if not callable(item):
            continue
        if isinstance(item, functools.partial):
            todo += [item.func, *item.args, *item.keywords.values()]
            continue
        func = inspect.unwrap(item)
        module = getattr(func, "__module__", None)
        if _from_course(module):
            return f"{module}.{getattr(func, '__qualname__', '')}".rstrip(".")
        code = getattr(func, "__code__", None)
        if code is None or module != home:  # a library's function: not the learner's to inspect
            continue
        names = getattr(func, "__globals__", {})
        for inner in _codes(code):
            found = [names[name] for name in inner.co_names if name in names]
            # ``hpclab.checks._reference.is_prime(n)`` after ``import hpclab``: follow the
            # attributes the code names on a module it uses, one level at a time.
            found += [
                getattr(module_, attr)
                for module_ in found
                if isinstance(module_, types.ModuleType)
                for attr in inner.co_names
                if isinstance(getattr(module_, attr, None), types.ModuleType) or callable(getattr(module_, attr, None))
            ]
            todo += found
            if any(isinstance(const, str) and COURSE_CODE in const for const in inner.co_consts):
                return COURSE_CODE
        for cell in getattr(func, "__closure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:  # an empty cell: a variable not bound yet
                pass
    return None


def _imports_the_checks(program: str) -> bool:
    """Whether a program's text imports the checks (``from hpclab import checks`` included)."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):  # not Python: the check itself will say so
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hpclab":
            if any(alias.name == "checks" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and _from_course(node.module):
            return True
        elif isinstance(node, ast.Import) and any(_from_course(alias.name) for alias in node.names):
            return True
    return False


def refuse_course_code(body: Callable[..., object], args: tuple, kwargs: dict) -> None:
    """Raise :class:`Wrong` when an argument of a check comes from the course's own checks.

    The checks and their reference implementations are importable from every learner kernel
    (they must be: the checks run there). An answer must be the learner's own work, so each
    argument is looked at before the check runs, whatever the question.
    """
    try:
        bound = inspect.signature(body).bind_partial(*args, **kwargs).arguments
    except TypeError:  # the check itself will say what is missing
        return
    for name, value in bound.items():
        try:
            origin = course_origin(value)
        except Exception:  # an answer object that breaks when looked at: the check itself will judge it
            origin = None
        if origin:
            raise Wrong(
                f"`{name}` comes from the course's own checks ({origin}), not from your work: "
                "write the answer yourself (a library's helpers are fine)"
            )


def _stopped_message(exc: BaseException) -> str:
    """The hint for a check that a KeyboardInterrupt, SystemExit or the like stopped."""
    name = type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return (
            "the check was stopped by KeyboardInterrupt (raised by your answer, or an interrupt) "
            "before it finished: let your code return a result, then run this cell again"
        )
    return (
        f"your answer raised {name}, which stops the whole notebook, not just the answer: "
        "return a result (or raise an ordinary exception), then run this cell again"
    )


def require(answer: object, name: str) -> None:
    """Raise NotAttempted when ``answer`` is still None (the blank placeholder)."""
    if answer is None:
        raise NotAttempted(f"set `{name}` in the cell above, then run this cell again")


_KIND_NAMES = {
    bool: "True or False",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    tuple: "a tuple",
    set: "a set",
    dict: "a dict",
}


def _short(value: object, width: int = 60) -> str:
    try:
        text = " ".join(repr(value).split())
    except Exception:  # a learner's object may fail even at repr
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 1] + "…"


def plain(value: object, kind: type, name: str, *, of: type | None = None, keys: type | None = None):
    """``value`` converted to the plain built-in or NumPy type ``kind``, or :class:`Wrong` with a hint.

    ``kind`` is one of bool, int, float, str, numpy.ndarray, list, tuple, set, dict.
    Only values that already are numbers, strings or arrays of numbers are
    converted (a NumPy int64 becomes an int, a 0-d array a float); an object of
    any other class is refused however it defines ``==``. For containers, ``of``
    converts every element (the values of a dict) and ``keys`` the keys of a dict.
    """
    wanted = "a NumPy array of numbers" if kind is np.ndarray else _KIND_NAMES.get(kind, kind.__name__)

    def refuse() -> Wrong:
        label = name if "`" in name or " " in name else f"`{name}`"  # a variable, or a phrase naming one
        return Wrong(f"{label} should be {wanted}, not the {type(value).__name__} {_short(value)}")

    if isinstance(value, np.ndarray) and kind in (bool, int, float):
        if value.size != 1 or value.dtype.kind not in "biuf":
            raise refuse()
        value = value.reshape(()).item()
    elif isinstance(value, np.generic) and kind is not np.ndarray:
        value = value.item()
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise refuse()
    if kind is int:
        if isinstance(value, bool):
            raise refuse()
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise refuse()
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, numbers.Real) and type(value).__module__ in ("fractions", "decimal"):
            return float(value)
        raise refuse()
    if kind is str:
        if isinstance(value, str):
            return str(value)
        raise refuse()
    if kind is np.ndarray:
        if isinstance(value, np.ndarray) or (
            isinstance(value, (list, tuple)) and not any(isinstance(v, (str, bytes, dict)) for v in value)
        ):
            try:
                array = np.asarray(value)
            except (TypeError, ValueError):
                raise refuse() from None
            if array.dtype.kind not in "biufc":
                raise refuse()
            return np.array(array)  # a plain ndarray, never a subclass
        raise refuse()
    if kind in (list, tuple, set):
        allowed = (list, tuple) if kind is not set else (set, frozenset, list, tuple)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            value = value.tolist()
        if not isinstance(value, allowed):
            raise refuse()
        items = [plain(v, of, f"an item of `{name}`") if of is not None else v for v in value]
        return kind(items)
    if kind is dict:
        if not isinstance(value, dict):
            raise refuse()
        return {
            (plain(k, keys, f"a key of `{name}`") if keys is not None else k): (
                plain(v, of, f"{name}[{k!r}]") if of is not None else v
            )
            for k, v in value.items()
        }
    raise TypeError(f"plain() cannot convert to {kind!r}")


def source_of(func: object, name: str) -> str:
    """The source of the learner's function, to inspect with :mod:`ast`.

    NotAttempted while the body is still ``raise NotImplementedError()``; :class:`Wrong`
    when ``func`` is not a function defined with ``def`` in a cell or a file.
    """
    require(func, name)
    if not callable(func):
        raise Wrong(f"`{name}` should be a function, not the {type(func).__name__} {_short(func)}")
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        raise Wrong(
            f"cannot read the source of `{name}`: define it with `def {name}(...)` in a notebook cell"
        ) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                raise NotAttempted(
                    f"write the body of `{name}` (replace `raise NotImplementedError()`), then run this cell again"
                )
    return source


def calls_in_source(source: str) -> set[str]:
    """Every function or method name the code calls: ``client.map(...)`` gives ``map``.

    Read from the syntax tree, so names in comments and strings never count. For
    the source of a function Python has already defined (from :func:`source_of`);
    a learner's MPI program, which may not parse, goes through
    :func:`hpclab.checks.mpicheck.calls_in_program` instead.

    Parameters
    ----------
    source : str
        Python source code.

    Returns
    -------
    set of str
        The called names, without their objects (``comm.Send`` gives ``Send``).

    Raises
    ------
    SyntaxError
        When ``source`` is not valid Python.
    """
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
            elif isinstance(node.func, ast.Name):
                names.add(node.func.id)
    return names


def require_dask_array(value: object, name: str) -> Any:
    """Fail with a hint when ``value`` is not a lazy Dask array (a computed one is NumPy)."""
    import dask.array as da  # noqa: PLC0415  about a second to import: the MPI lessons' checks and the grader do without

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
        raise UsageError(
            f"No checks module {module_name!r}: the notebook metadata names a lesson "
            "this version of hpclab does not know; update hpclab or the notebook"
        ) from exc
    return list(module.QUESTIONS)
