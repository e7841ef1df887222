"""Checks for lesson 02-dask-futures: delayed, futures, as_completed."""

from __future__ import annotations

from hpclab.checks import Question, Wrong, check, require
from hpclab.checks._reference import is_prime as _is_prime

LESSON = "02-dask-futures"
Q1 = Question(LESSON, "q1", "a correct is_prime", points=1, level=1)
Q2 = Question(LESSON, "q2", "a lazy count with dask.delayed", points=2, level=2)
Q3 = Question(LESSON, "q3", "client.map and client.gather", points=2, level=2)
Q4 = Question(LESSON, "q4", "stop early with as_completed", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4]


@check(Q1)
def check_q1(is_prime) -> str:
    require(is_prime, "is_prime")
    for n in (0, 1, 2, 3, 4, 9, 15, 25, 49, 97, 100, 7919, 7921):
        got = is_prime(n)
        if bool(got) != _is_prime(n) or got is None:
            raise Wrong(f"is_prime({n}) returned {got!r}; {n} is {'' if _is_prime(n) else 'not '}prime")
    return "correct on small, square and prime inputs"


@check(Q2)
def check_q2(lazy_count, numbers) -> str:
    require(lazy_count, "lazy_count")
    from dask.delayed import Delayed

    if not isinstance(lazy_count, Delayed):
        raise Wrong(
            f"`lazy_count` is a {type(lazy_count).__name__}, not a Delayed: build it "
            "from dask.delayed calls and do not call .compute() yet"
        )
    expected = sum(map(_is_prime, numbers))
    got = lazy_count.compute()
    if got != expected:
        raise Wrong(f"it computes to {got!r}, but there are {expected} primes in `numbers`")
    return f"{expected} primes, and nothing ran until you asked"


@check(Q3)
def check_q3(futures, n_primes, numbers) -> str:
    require(n_primes, "n_primes")
    from distributed import Future

    if not isinstance(futures, list) or not all(isinstance(f, Future) for f in futures):
        raise Wrong("`futures` should be the list that client.map returned")
    if len(futures) != len(numbers):
        raise Wrong(f"{len(futures)} futures for {len(numbers)} numbers: map over all of `numbers`")
    expected = sum(map(_is_prime, numbers))
    if n_primes != expected:
        raise Wrong(f"n_primes is {n_primes!r}, expected {expected}: sum what client.gather returns")
    return f"{expected} primes from {len(futures)} futures"


@check(Q4)
def check_q4(found, numbers) -> str:
    require(found, "found")
    found = list(found)
    if len(found) != 5:
        raise Wrong(f"`found` has {len(found)} numbers; stop as soon as you have 5 primes")
    if len(set(found)) != 5:
        raise Wrong(f"`found` repeats a number: {found}")
    outside = [n for n in found if n not in set(numbers)]
    if outside:
        raise Wrong(f"{outside} are not in `numbers`")
    composite = [n for n in found if not _is_prime(n)]
    if composite:
        raise Wrong(f"{composite} are not prime: keep only results that were True")
    return "five primes, in the order they finished"
