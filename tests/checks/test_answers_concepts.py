"""Lesson 01-parallel-concepts' checks (hpclab.checks.concepts): speedup, efficiency, Amdahl's law.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import sys

import cloudpickle
import numpy as np
import pytest

from tests.support.answers import AlwaysEqual, Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("01-parallel-concepts")
right, wrong = ANSWERS.right, ANSWERS.wrong


def speedup_numpy(t_serial, t_parallel):
    return np.float64(t_serial) / np.float64(t_parallel)


def speedup_upside_down(t_serial, t_parallel):
    return t_parallel / t_serial


def efficiency_inline(t_serial, t_parallel, p):
    return t_serial / (t_parallel * p)


def efficiency_forgets_p(t_serial, t_parallel, p):
    return t_serial / t_parallel


def amdahl_rearranged(f, p):
    return p / (f * p + 1 - f)


def amdahl_times_p(f, p):
    return 1 / (f + (1 - f) * p)


def sos_method(x):
    return (x**2).sum()


def sos_matmul(x):
    return float(x @ x)


def sos_loop(x):
    total = 0.0
    for value in x:
        total += value * value
    return total


def sos_builtin_sum(x):
    return sum(x * x)


def sos_always_equal(x):
    return AlwaysEqual()


def serial_fraction_inverse(s, p):
    return (1 / s - 1 / p) / (1 - 1 / p)


def serial_fraction_naive(s, p):
    return 1 / s


right("q1", "NumPy floats", lambda c: (speedup_numpy,), fast=True)
wrong(
    "q1",
    "parallel over serial",
    lambda c: (speedup_upside_down,),
    "speedup = serial time / parallel time",
    fast=True,
)
right("q2", "one expression", lambda c: (efficiency_inline,), fast=True)
wrong(
    "q2",
    "the speedup again",
    lambda c: (efficiency_forgets_p,),
    "efficiency = speedup / number of workers",
    fast=True,
)
right("q3", "rearranged", lambda c: (amdahl_rearranged,), fast=True)
wrong("q3", "multiplies by p", lambda c: (amdahl_times_p,), "S(p) = 1 / (f + (1 - f) / p)", fast=True)
right("q4", "(x ** 2).sum()", lambda c: (sos_method,), fast=True)
right("q4", "x @ x", lambda c: (sos_matmul,), fast=True)
wrong("q4", "the given loop", lambda c: (sos_loop,), "still loops in Python", fast=True)
wrong("q4", "the built-in sum", lambda c: (sos_builtin_sum,), "the Python built-in `sum`", fast=True)
wrong("q4", "an object equal to everything", lambda c: (sos_always_equal,), "should be a number", fast=True)
right("q5", "in terms of 1/s", lambda c: (serial_fraction_inverse,), fast=True)
wrong(
    "q5",
    "one over the speedup",
    lambda c: (serial_fraction_naive,),
    "solve S = 1 / (f + (1 - f) / p) for f",
    fast=True,
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
