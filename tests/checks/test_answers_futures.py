"""Lesson 02-dask-futures' checks (hpclab.checks.futures): delayed, futures, as_completed, failed futures.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import math
import sys

import cloudpickle
import numpy as np
import pytest

from hpclab.checks import _reference
from tests.support import answers
from tests.support.answers import AlwaysEqual, Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("02-dask-futures")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    numbers = list(range(10_000, 10_120))  # 13 primes


def is_prime_wrapped(n):
    """Lifted, one step removed: the learner's own function calls the course's reference code."""
    return _reference.is_prime(n)


def is_prime(n):
    """The learner's is_prime of lesson 02, used by the answers below."""
    if n < 2:
        return False
    return all(n % k for k in range(2, math.isqrt(n) + 1))


def is_prime_numpy(n):
    if n < 2:
        return np.bool_(False)
    return np.bool_(np.all(n % np.arange(2, math.isqrt(n) + 1)))


def is_prime_odd(n):
    return n % 2 == 1


def first_primes_with_results(client, numbers, how_many=5):
    futures = client.map(is_prime, numbers, pure=False)
    number_of = dict(zip(futures, numbers))
    found = []
    for future, prime in as_completed(futures, with_results=True):
        if prime:
            found.append(number_of[future])
            if len(found) >= how_many:
                break
    for future in futures:
        future.cancel()
    return found


def first_primes_in_order(client, numbers, how_many=5):
    return [n for n in numbers if is_prime(n)][:how_many]


def first_primes_no_cancel(client, numbers, how_many=5):
    futures = client.map(is_prime, numbers, pure=False)
    number_of = dict(zip(futures, numbers))
    found = []
    for future in as_completed(futures):
        if future.result():
            found.append(number_of[future])
        if len(found) == how_many:
            break
    return found


def first_primes_aliased(client, numbers, how_many=5):
    """Right, spelled differently: as_completed imported under another name, future.cancel one by one."""
    from distributed import as_completed as in_finish_order

    futures = client.map(is_prime, numbers, pure=False)
    number_of = dict(zip(futures, numbers))
    found = []
    for future in in_finish_order(futures):
        if future.result():
            found.append(number_of[future])
            if len(found) == how_many:
                break
    for future in futures:
        if not future.done():
            future.cancel()
    client.cancel(futures)
    return found


def first_primes_local_work(client, numbers, how_many=5):
    """Wrong: the right names are called, but the primes are tested here, in the notebook."""
    futures = client.map(is_prime, numbers, pure=False)
    for _ in as_completed(futures):
        break
    client.cancel(futures)
    return [n for n in numbers if is_prime(n)][:how_many]


def first_primes_dummy_tasks(client, numbers, how_many=5):
    """Wrong: the cluster runs something else; the prime tests never leave the notebook."""
    futures = client.map(abs, numbers, pure=False)
    found = []
    for future in as_completed(futures):
        n = future.result()
        if is_prime(n):
            found.append(n)
            if len(found) == how_many:
                break
    client.cancel(futures)
    return found


def as_completed(*args, **kwargs):
    from distributed import as_completed as _as_completed

    return _as_completed(*args, **kwargs)


def _eager_count(c):
    import dask

    return dask.delayed(sum)([is_prime(n) for n in c.numbers]), c.numbers


def _sum_of_delayed(c):
    import dask

    return sum(dask.delayed(is_prime)(n) for n in c.numbers), c.numbers


def _computed_count(c):
    import dask

    return dask.delayed(sum)([dask.delayed(is_prime)(n) for n in c.numbers]).compute(), c.numbers


def _mapped(c, n_primes=None):
    futures = c.client.map(is_prime, c.numbers)
    if n_primes is None:
        n_primes = np.int64(sum(f.result() for f in futures))
    return futures, n_primes, c.numbers


right("q1", "NumPy booleans", lambda c: (is_prime_numpy,))
wrong("q1", "odd means prime", lambda c: (is_prime_odd,), "is_prime(1) returned True; 1 is not prime")
wrong(
    "q1",
    "lifted from the course's reference code",
    lambda c: (_reference.is_prime,),
    "comes from the course's own checks",
    fast=True,
)
wrong(
    "q1",
    "a wrapper around the course's reference code",
    lambda c: (is_prime_wrapped,),
    "comes from the course's own checks",
    fast=True,
)
right("q2", "Python's sum of Delayed objects", _sum_of_delayed)
wrong("q2", "the tests run eagerly, one delayed sum", _eager_count, "the prime tests already ran")
wrong("q2", "computed already", _computed_count, "not a Delayed")
right("q3", "results one by one, as a NumPy int", _mapped)
wrong("q3", "an object equal to everything", lambda c: _mapped(c, AlwaysEqual()), "should be a whole number")
wrong("q3", "counted the futures", lambda c: _mapped(c, len(c.numbers)), "sum what client.gather returns")
right(
    "q4",
    "as_completed with results, each future cancelled",
    lambda c: (first_primes_with_results, c.client, c.numbers),
)
wrong("q4", "a list comprehension", lambda c: (first_primes_in_order, c.client, c.numbers), "as_completed")
right(
    "q4",
    "as_completed under another name, future.cancel()",
    lambda c: (first_primes_aliased, c.client, c.numbers),
)
wrong(
    "q4",
    "the right names, the work done in the notebook",
    lambda c: (first_primes_local_work, c.client, c.numbers),
    "ran here, in the notebook",
)
wrong(
    "q4",
    "the cluster maps abs, the notebook tests the primes",
    lambda c: (first_primes_dummy_tasks, c.client, c.numbers),
    "ran here, in the notebook",
)
wrong("q4", "never cancels", lambda c: (first_primes_no_cancel, c.client, c.numbers), "cancel the futures")


def checked_sqrt(x):
    if x < 0:
        raise ValueError(f"cannot take the square root of {x}")
    return math.sqrt(x)


MIXED = [16, -4, 2.25, -1, 81]


def _failed(c, how):
    from distributed import wait

    func = checked_sqrt if how != "no errors" else abs
    attempts = c.client.map(func, MIXED, pure=False)
    wait(attempts)
    failed = [x for x, f in zip(MIXED, attempts) if f.status == "error"]
    roots = c.client.gather(attempts, errors="skip")
    if how == "as_completed":
        failed, roots = [], []
        for future in as_completed(attempts):
            if future.exception() is not None:
                failed.append(MIXED[attempts.index(future)])
        failed.sort(key=MIXED.index)
        roots = [f.result() for f in attempts if f.status == "finished"]
    elif how == "indexes":
        failed = [i for i, f in enumerate(attempts) if f.status == "error"]
    elif how == "results":
        attempts = roots
    elif how == "with None":
        roots = [f.result() if f.status == "finished" else None for f in attempts]
    return attempts, failed, roots, MIXED


right("q5", "as_completed and exception()", lambda c: _failed(c, "as_completed"))
wrong("q5", "positions instead of the numbers", lambda c: _failed(c, "indexes"), "belong to the numbers")
wrong("q5", "results instead of futures", lambda c: _failed(c, "results"), "not their results")
wrong("q5", "a function that never fails", lambda c: _failed(c, "no errors"), "none of your futures failed")
wrong("q5", "None kept for the failures", lambda c: _failed(c, "with None"), "an item of `roots` should be a number")


# =========================================================================== the tests


def test_a_function_still_blank_is_not_attempted(capsys):
    from hpclab.checks import futures

    def first_primes(client, numbers, how_many=5):
        # YOUR CODE HERE
        raise NotImplementedError()

    futures.check_q4(first_primes, None, [])
    assert capsys.readouterr().out.startswith("⏳ q4")


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
