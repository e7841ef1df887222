"""Checks for lesson 01-parallel-concepts: speedup, efficiency, Amdahl's law."""

from __future__ import annotations

import ast

import numpy as np

from hpclab.checks import Question, Wrong, check, plain, require, source_of
from hpclab.checks._reference import close

LESSON = "01-parallel-concepts"
Q1 = Question(LESSON, "q1", "speedup", points=1, level=1)
Q2 = Question(LESSON, "q2", "parallel efficiency", points=1, level=1)
Q3 = Question(LESSON, "q3", "Amdahl's law", points=2, level=2)
Q4 = Question(LESSON, "q4", "sum of squares with NumPy", points=2, level=2)
Q5 = Question(LESSON, "q5", "serial fraction from a measurement", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]


def _expect(func, cases, formula: str) -> None:
    for args, expected in cases:
        got = func(*args)
        shown = ", ".join(repr(a) for a in args)
        if got is None:
            raise Wrong(f"{func.__name__}({shown}) returned None: end the function with `return ...`")
        value = plain(got, float, f"{func.__name__}({shown})")
        if not close(value, expected):
            raise Wrong(f"{func.__name__}({shown}) returned {value!r}, expected {expected:.4g}. Recall: {formula}")


@check(Q1)
def check_q1(speedup) -> str:
    """Check ``speedup``: the serial time divided by the parallel time.

    Tried on a few pairs of timings, one of them a parallel run slower than the serial one.

    Parameters
    ----------
    speedup : callable
        Your function: ``speedup(t_serial, t_parallel) -> float``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(speedup, "speedup")
    _expect(
        speedup, [((10.0, 5.0), 2.0), ((12.0, 4.0), 3.0), ((3.0, 6.0), 0.5)], "speedup = serial time / parallel time"
    )
    return "a speedup below 1 means the parallel run was slower"


@check(Q2)
def check_q2(efficiency) -> str:
    """Check ``efficiency``: the speedup divided by the number of workers.

    Tried on a few timings and worker counts.

    Parameters
    ----------
    efficiency : callable
        Your function: ``efficiency(t_serial, t_parallel, p) -> float`` for ``p`` workers.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(efficiency, "efficiency")
    _expect(
        efficiency,
        [((10.0, 5.0, 2), 1.0), ((12.0, 4.0, 4), 0.75), ((8.0, 8.0, 8), 0.125)],
        "efficiency = speedup / number of workers",
    )
    return "efficiency is the fraction of the ideal speedup you got"


@check(Q3)
def check_q3(amdahl) -> str:
    """Check ``amdahl``: the best speedup on ``p`` workers when a fraction of the work is serial.

    Compared with Amdahl's law, S(p) = 1 / (f + (1 - f) / p), for serial fractions from 0 to 1.

    Parameters
    ----------
    amdahl : callable
        Your function: ``amdahl(serial_fraction, p) -> float``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(amdahl, "amdahl")
    _expect(
        amdahl,
        [((0.0, 8), 8.0), ((1.0, 8), 1.0), ((0.1, 4), 1 / (0.1 + 0.9 / 4)), ((0.05, 1000), 1 / (0.05 + 0.95 / 1000))],
        "S(p) = 1 / (f + (1 - f) / p) for serial fraction f",
    )
    return "even 5% serial work caps the speedup near 20"


@check(Q4)
def check_q4(sum_of_squares) -> str:
    """Check ``sum_of_squares``: the sum of the squares of an array's elements, with NumPy and no Python loop.

    Reads your function's source first: a for or while loop, a comprehension, the built-ins ``sum``, ``map`` or
    ``reduce``, or a call of ``sum_of_squares_loop`` fail. Then compares the results on several arrays, an empty one
    included.

    Parameters
    ----------
    sum_of_squares : callable
        Your function, defined with ``def`` in a cell: ``sum_of_squares(x) -> float`` for a 1-d NumPy array ``x``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(sum_of_squares, "sum_of_squares")
    _require_no_python_loop(sum_of_squares)
    rng = np.random.default_rng(1)
    for x in (np.arange(10), rng.random(1000), np.array([], dtype=float), -np.arange(5.0)):
        got = sum_of_squares(x)
        expected = float(np.dot(x, x))
        if got is None:
            raise Wrong("sum_of_squares returned None: end it with `return ...`")
        value = plain(got, float, f"sum_of_squares(an array of {len(x)} numbers)")
        if not close(value, expected):
            raise Wrong(f"for an array of {len(x)} numbers you returned {value!r}, expected {expected:.6g}")
    return "same answer as the loop; the next cell times both on this machine"


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: Built-ins that walk the array one element at a time in Python.
_ELEMENTWISE = {"sum", "map", "reduce"}


def _require_no_python_loop(func) -> None:
    """Wrong if the function's own code loops in Python (the question asks for NumPy instead)."""
    for node in ast.walk(ast.parse(source_of(func, "sum_of_squares"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sum_of_squares_loop":
            raise Wrong(
                "sum_of_squares calls sum_of_squares_loop, the Python loop you are replacing: "
                "let NumPy do the whole array instead"
            )
        if isinstance(node, _LOOPS):
            raise Wrong(
                "sum_of_squares still loops in Python (a for/while loop or a comprehension): let one "
                "NumPy operation do the whole array, e.g. square every element at once and add them up"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ELEMENTWISE:
            raise Wrong(
                f"sum_of_squares calls the Python built-in `{node.func.id}`, which visits the elements "
                "one by one: use NumPy's own reductions (np.sum, np.dot, or the array's .sum())"
            )


@check(Q5)
def check_q5(serial_fraction) -> str:
    """Check ``serial_fraction``: the serial fraction that explains a measured speedup under Amdahl's law.

    Tried on speedups that known serial fractions give on 2, 4 and 16 workers.

    Parameters
    ----------
    serial_fraction : callable
        Your function: ``serial_fraction(s, p) -> float`` for a speedup ``s`` measured on ``p`` >= 2 workers.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(serial_fraction, "serial_fraction")
    cases = []
    for f in (0.0, 0.1, 0.25):
        for p in (2, 4, 16):
            cases.append(((1 / (f + (1 - f) / p), p), f))
    _expect(serial_fraction, cases, "solve S = 1 / (f + (1 - f) / p) for f")
    return "you can now read the serial fraction off any scaling measurement"
