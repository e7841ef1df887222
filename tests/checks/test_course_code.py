"""An answer must be the learner's own work: code taken from the course's checks fails every check.

:func:`hpclab.checks.course_origin` finds it however it is dressed up (imported, wrapped, behind a
module alias, a closure, a partial, an import by name, a nested function); a learner's own code
that uses a library's helpers, or hpclab's runtime, is the learner's.
"""

from __future__ import annotations

import functools
import importlib
import math

import numpy as np

import hpclab
from hpclab import timing
from hpclab.checks import _reference, course_origin
from hpclab.checks import _reference as ref
from hpclab.checks.futures import check_q1


def own_is_prime(n):
    if n < 2:
        return False
    return all(n % d for d in range(2, math.isqrt(n) + 1))


def own_with_libraries(values):
    return float(np.sqrt(np.sum(values))) + timing.median_time(lambda: None, repeat=1, warmup=0)


def calls_own_helper(n):
    return own_is_prime(n)


def through_alias(n):
    return ref.is_prime(n)


def through_a_helper_of_mine(n):
    return through_alias(n)


def by_name(n):
    return importlib.import_module("hpclab.checks._reference").is_prime(n)


def through_the_package(n):
    return hpclab.checks._reference.is_prime(n)


def nested(n):
    def inner(k):
        return _reference.is_prime(k)

    return inner(n)


def closing_over():
    lifted = _reference.is_prime

    def is_prime(n):
        return lifted(n)

    return is_prime


def test_the_learners_own_code_is_theirs():
    for answer in (own_is_prime, own_with_libraries, calls_own_helper, np.sqrt, math.isqrt, lambda n: n > 1):
        assert course_origin(answer) is None, answer
    assert course_origin("from mpi4py import MPI\ncomm = MPI.COMM_WORLD\n") is None
    assert course_origin(42) is None and course_origin(None) is None


def test_code_from_the_checks_is_found_however_it_is_dressed_up():
    lifted = [
        _reference.is_prime,
        through_alias,
        through_a_helper_of_mine,
        by_name,
        through_the_package,
        nested,
        closing_over(),
        functools.partial(_reference.is_prime),
        functools.wraps(_reference.is_prime)(lambda n: n),
        check_q1,
    ]
    for answer in lifted:
        assert course_origin(answer), answer
    assert course_origin("from hpclab.checks._reference import is_prime\n") == "hpclab.checks"
    assert course_origin("from hpclab import checks\nchecks._reference.is_prime(7)\n") == "hpclab.checks"
    assert course_origin("import hpclab.checks as c\n") == "hpclab.checks"


def test_a_check_fails_a_lifted_answer_and_says_why(capsys):
    check_q1(_reference.is_prime)
    line = capsys.readouterr().out
    assert "❌" in line and "comes from the course's own checks (hpclab.checks._reference.is_prime)" in line
    check_q1(own_is_prime)
    assert "✅" in capsys.readouterr().out
