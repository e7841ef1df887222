"""Grade a learner's MPI program: run it for real, then compare what every rank holds.

An MPI answer is a program (a string of Python source) that runs under
``mpiexec -n 4``. :func:`run_answer` runs it through :func:`hpclab.mpi.run` with
a short timeout and turns the ways it can go wrong into a :class:`Wrong` with a
hint: a deadlock (stopped after the timeout), a rank that raised (with that
rank's error line), or a failed launch. :func:`expect` then compares each
rank's variables with the expected values and names the first rank that
differs ("rank 2 received 10 but expected 30").
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from collections.abc import Iterable, Mapping

import numpy as np

from hpclab import mpi
from hpclab.checks import Wrong, calls_in_source, require

DEFAULT_TIMEOUT = 20.0

_DEADLOCK_HINT = (
    "Usually every rank is waiting in recv/Recv (or in a blocking Send of a large message) for a "
    "partner that is itself waiting. Order the calls so one side sends while the other receives, "
    "or use Sendrecv, or Isend/Irecv followed by Waitall."
)


def validate_program(program: object, name: str) -> str:
    """The learner's program text; NotAttempted if blank, :class:`Wrong` if it is not a string."""
    require(program, name)
    if not isinstance(program, str) or not program.strip():
        raise Wrong(
            f"`{name}` should be a string holding your whole program (put it between triple quotes "
            f"'''...'''), not {type(program).__name__} {show(program, 40)}"
        )
    return program


def run_answer(
    program: object,
    name: str,
    *,
    n: int = 4,
    collect: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    args: Iterable[str] = (),
) -> mpi.MPIResult:
    """Run the learner's ``program`` on ``n`` ranks and return the result if it finished cleanly.

    Raises NotAttempted for a blank answer and :class:`Wrong` for anything that is
    not a clean run: not a string, a deadlock, a rank that raised, a failed launch.
    """
    program = validate_program(program, name)
    result = mpi.run(program, n, timeout=timeout, collect=list(collect), args=list(args), check=False)
    if result.timed_out:
        raise Wrong(
            f"your program did not finish within {timeout:g} s on {n} ranks and was stopped: "
            f"a deadlock? {_DEADLOCK_HINT}"
        )
    if result.returncode != 0:
        raise Wrong(crash_report(result))
    missing = [rank for rank in range(n) if rank not in result.values]
    if collect and missing:
        raise Wrong(f"ranks {missing} ended without reporting their variables; did the program call sys.exit()?")
    for rank in range(n):
        for var, value in result.values.get(rank, {}).items():
            if isinstance(value, str) and value == mpi.NOT_DEFINED:
                raise Wrong(
                    f"rank {rank} has no variable `{var}`: define it at the top level of the program on "
                    "every rank (not inside a function); use None where a rank has nothing to hold"
                )
            if isinstance(value, str) and value.startswith("<hpclab: cannot pickle"):
                raise Wrong(f"rank {rank}'s `{var}` cannot be sent back to the notebook ({value}); store plain values")
    return result


def _error_line(stderr: str) -> str:
    """The exception line of a Python traceback ('ValueError: ...'), plus where in the program."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    skip = ("Traceback", "Abort(", "During handling", "The above exception")
    errors = [line.strip() for line in lines if not line[0].isspace() and not line.startswith(skip)]
    message = errors[-1] if errors else (lines[-1].strip() if lines else "an error")
    where = ""
    for index, line in enumerate(lines):
        found = re.match(r'\s*File "[^"]*program\.py", line (\d+)', line)
        if found:
            after = lines[index + 1] if index + 1 < len(lines) else ""
            code = after.strip() if after.startswith("    ") and not after.lstrip().startswith("File ") else ""
            where = f" (line {found.group(1)} of your program" + (f": `{code}`)" if code else ")")
    return message + where


def crash_report(result: mpi.MPIResult) -> str:
    """What went wrong in a run that did not end cleanly, as a hint for the learner.

    Names the first rank that raised, with its error line and where in the program
    ("rank 2 raised ValueError: ... (line 7 of your program: `x = ...`)"), and the
    other ranks that failed too; without a Python error, the launcher's last lines.
    Shared with checks that run their own MPI job (:mod:`hpclab.checks.handoff`).

    Parameters
    ----------
    result : hpclab.mpi.MPIResult
        A finished run whose return code is not 0.

    Returns
    -------
    str
        One line for a :class:`~hpclab.checks.Wrong`.
    """
    raised = [rank for rank in range(result.n) if "Traceback" in result.stderr.get(rank, "")]
    if raised:
        first = raised[0]
        others = f"; ranks {', '.join(map(str, raised))} all failed" if len(raised) > 1 else ""
        return f"rank {first} raised {_error_line(result.stderr[first])}{others}"
    tail = " ".join(result.launcher_output.strip().splitlines()[-2:])
    return (
        f"the MPI job failed (exit code {result.returncode}) without a Python error"
        + (f": {tail}" if tail else "")
        + "; run it with hpclab.mpi.run(program, 4) to see its output"
    )


def same(got: object, expected: object, rel: float = 1e-9) -> bool:
    """Equal, treating numbers and NumPy arrays by value (a 1-element array equals its number)."""
    if expected is None or got is None:
        return got is None and expected is None
    if isinstance(expected, Mapping):
        return (
            isinstance(got, Mapping)
            and set(got) == set(expected)
            and all(same(got[k], expected[k], rel) for k in expected)
        )
    if isinstance(expected, str):
        return isinstance(got, str) and got == expected
    if isinstance(expected, (np.ndarray, int, float, np.number)) and not isinstance(expected, bool):
        if isinstance(got, (str, bytes, Mapping)):
            return False
        try:
            a = np.asarray(got, dtype=float)
            b = np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            return False
        if a.size != b.size or (a.ndim > 1 or b.ndim > 1) and a.shape != b.shape:
            return False
        return bool(np.allclose(a.ravel(), b.ravel(), rtol=rel, atol=1e-12))
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(expected)
            and all(same(g, e, rel) for g, e in zip(got, expected))
        )
    return bool(got == expected)


def show(value: object, width: int = 90) -> str:
    """A short readable form of a value for a feedback message."""
    if isinstance(value, np.ndarray):
        if value.size > 8 and value.size and np.all(value == value.flat[0]):
            text = f"an array of {value.size} × {value.flat[0].item()!r}"
        else:
            text = np.array2string(value, threshold=12, edgeitems=4, separator=", ")
    elif isinstance(value, float) and math.isfinite(value):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def expect(
    result: mpi.MPIResult,
    expected: Mapping[int, Mapping[str, object]],
    *,
    verb: str = "holds",
    rel: float = 1e-9,
) -> None:
    """Raise :class:`Wrong` naming the first rank whose variable differs from ``expected[rank]``."""
    for rank in sorted(expected):
        held = result.values.get(rank, {})
        for name, want in expected[rank].items():
            if name not in held:
                raise ValueError(f"the check did not collect `{name}`; pass it in run_answer(collect=...)")
            got = held[name]
            if not same(got, want, rel):
                raise Wrong(f"rank {rank} {verb} {name} = {show(got)} but expected {show(want)}")


def parse_program(program: str, name: str) -> ast.Module:
    """The program's syntax tree, or :class:`Wrong` pointing at the line Python cannot read.

    Checks that read a program's structure (which calls it makes, where) parse it
    with this, so that a syntax error is a hint, not a crash of the check.

    Parameters
    ----------
    program : str
        The learner's program.
    name : str
        The variable that holds it, for the message.

    Returns
    -------
    ast.Module
        The syntax tree.

    Raises
    ------
    Wrong
        When ``program`` is not valid Python ("`name` is not valid Python (... on line 3 ...)").
    """
    try:
        return ast.parse(program)
    except SyntaxError as exc:
        where = f" on line {exc.lineno} of your program" if exc.lineno else ""
        code = f": `{exc.text.strip()}`" if exc.text and exc.text.strip() else ""
        raise Wrong(f"`{name}` is not valid Python ({exc.msg}{where}{code})") from None


def code_only(program: str) -> str:
    """The program's code with comments, strings and whitespace removed.

    A substring test on this text ("does it use MPI.MAX?") cannot be satisfied by a
    comment or a string that merely mentions the name.
    """
    skip = {
        tokenize.COMMENT,
        tokenize.STRING,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(program).readline))
    except (tokenize.TokenError, SyntaxError):
        return ""
    return "".join(token.string for token in tokens if token.type not in skip)


def calls_in_program(program: str, name: str = "program") -> set[str]:
    """The names of every function or method the learner's program calls.

    ``comm.Send(...)`` and ``MPI.COMM_WORLD.Send(...)`` give ``Send``, ``print(...)``
    gives ``print``. Read from the syntax tree, so comments and strings never count.
    Unlike :func:`hpclab.checks.calls_in_source`, a program that is not valid Python
    is a :class:`Wrong` that points at the line.

    Parameters
    ----------
    program : str
        The learner's program.
    name : str
        The variable that holds it, for the message.

    Returns
    -------
    set of str
        The called names.

    Raises
    ------
    Wrong
        When ``program`` is not valid Python.
    """
    parse_program(program, name)  # a SyntaxError becomes a Wrong that points at the line
    return calls_in_source(program)


def require_calls(program: str, name: str, *calls: str) -> None:
    """Raise :class:`Wrong` if the program's code (not its comments or strings) never uses one of ``calls``."""
    program = validate_program(program, name)
    parse_program(program, name)
    code = code_only(program)
    missing = [call for call in calls if call.replace(" ", "") not in code]
    if missing:
        raise Wrong(f"`{name}` should use {', '.join(f'`{c}`' for c in missing)} as the question asks")


def require_any_call(program: str, name: str, *calls: str) -> None:
    """Raise :class:`Wrong` unless the program really calls one of ``calls`` (e.g. ``comm.Send(...)``).

    Only calls in the code count: a comment or a string that mentions ``send`` does not.
    """
    program = validate_program(program, name)
    if not calls_in_program(program, name) & set(calls):
        raise Wrong(
            f"`{name}` should move the data with MPI messages (call {', '.join(f'`{c}`' for c in calls)}), "
            "not compute the other ranks' values itself"
        )
