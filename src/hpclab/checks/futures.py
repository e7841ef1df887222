"""Checks for lesson 02-dask-futures: delayed, futures, as_completed, failed futures."""

from __future__ import annotations

import ast
import math
import time
import types
import uuid
from collections.abc import Callable
from numbers import Integral

import distributed
from dask.delayed import Delayed

from hpclab.checks import Question, Wrong, calls_in_source, check, plain, require, source_of
from hpclab.checks._reference import is_prime as _is_prime

LESSON = "02-dask-futures"
Q1 = Question(LESSON, "q1", "a correct is_prime", points=1, level=1)
Q2 = Question(LESSON, "q2", "a lazy count with dask.delayed", points=2, level=2)
Q3 = Question(LESSON, "q3", "client.map and client.gather", points=2, level=2)
Q4 = Question(LESSON, "q4", "stop early with as_completed", points=3, level=3)
Q5 = Question(LESSON, "q5", "failed futures: which inputs failed, and the results that exist", points=1, level=1)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]


@check(Q1)
def check_q1(is_prime) -> str:
    """Check ``is_prime``: True for primes and False otherwise.

    Compared with a reference on small numbers (0 and 1 included), squares of primes and larger primes.

    Parameters
    ----------
    is_prime : callable
        Your function: ``is_prime(n) -> bool``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(is_prime, "is_prime")
    for n in (0, 1, 2, 3, 4, 9, 15, 25, 49, 97, 100, 7919, 7921):
        got = is_prime(n)
        if got is None:
            raise Wrong(f"is_prime({n}) returned None: every path through the function should `return` True or False")
        if plain(got, bool, f"is_prime({n})") != _is_prime(n):
            raise Wrong(f"is_prime({n}) returned {got!r}; {n} is {'' if _is_prime(n) else 'not '}prime")
    return "correct on small, square and prime inputs"


@check(Q2)
def check_q2(lazy_count, numbers) -> str:
    """Check ``lazy_count``: one Delayed object that computes to the number of primes in ``numbers``.

    Its graph must hold a task for every prime test (``is_prime`` wrapped in ``dask.delayed`` as well), so that
    nothing ran while you built it; the check computes it.

    Parameters
    ----------
    lazy_count : dask.delayed.Delayed
        Your lazy count, not computed.
    numbers : list of int
        The lesson's numbers.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(lazy_count, "lazy_count")
    if not isinstance(lazy_count, Delayed):
        raise Wrong(
            f"`lazy_count` is a {type(lazy_count).__name__}, not a Delayed: build it "
            "from dask.delayed calls and do not call .compute() yet"
        )
    tasks = len(lazy_count.__dask_graph__())
    if tasks <= len(numbers):
        raise Wrong(
            f"the graph of `lazy_count` has {tasks} task{'s' if tasks != 1 else ''} for {len(numbers)} numbers: "
            "the prime tests already ran, one by one, while you built it. Wrap is_prime in dask.delayed too, "
            "so that every test becomes a task of its own"
        )
    expected = sum(map(_is_prime, numbers))
    got = plain(lazy_count.compute(), int, "lazy_count.compute()")
    if got != expected:
        raise Wrong(f"it computes to {got!r}, but there are {expected} primes in `numbers`")
    return f"{expected} primes from {tasks} tasks, and nothing ran until you asked"


@check(Q3)
def check_q3(futures, n_primes, numbers) -> str:
    """Check ``futures`` and ``n_primes``: ``is_prime`` mapped over ``numbers`` with ``client.map``, then counted.

    Parameters
    ----------
    futures : list of distributed.Future
        The list ``client.map`` returned, one future per number.
    n_primes : int
        How many of the gathered results are prime.
    numbers : list of int
        The lesson's numbers.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(n_primes, "n_primes")
    if not isinstance(futures, list) or not all(isinstance(f, distributed.Future) for f in futures):
        raise Wrong("`futures` should be the list that client.map returned")
    if len(futures) != len(numbers):
        raise Wrong(f"{len(futures)} futures for {len(numbers)} numbers: map over all of `numbers`")
    flags = futures[0].client.gather(futures)
    if [bool(flag) for flag in flags] != [_is_prime(n) for n in numbers]:
        raise Wrong("the futures do not hold is_prime of each number: client.map(is_prime, numbers)")
    expected = sum(map(_is_prime, numbers))
    n_primes = plain(n_primes, int, "n_primes")
    if n_primes != expected:
        raise Wrong(f"n_primes is {n_primes!r}, expected {expected}: sum what client.gather returns")
    return f"{expected} primes from {len(futures)} futures"


class _Watched:
    """A learner's function, wrapped for the Q4 check: it tells where each call ran.

    On a Dask worker it logs its first argument under ``topic`` (the scheduler keeps the events); in
    the notebook it notes the argument in ``local``. Either way it returns what the function returns.
    """

    def __init__(self, func: Callable, topic: str) -> None:
        self.func = func
        self.topic = topic
        self.local: list[int] = []
        self.__name__ = getattr(func, "__name__", "func")  # keys stay "is_prime-…" on the dashboard
        self.__doc__ = func.__doc__

    def __call__(self, *args, **kwargs):
        try:
            worker = distributed.get_worker()
        except ValueError:  # not in a task on a worker: the notebook's own process
            worker = None
        if worker is None:
            if args and isinstance(args[0], Integral):
                self.local.append(int(args[0]))
        else:
            first = args[0] if args else None
            worker.log_event(self.topic, {"arg": int(first) if isinstance(first, Integral) else None})
        return self.func(*args, **kwargs)

    def __reduce__(self):  # the copy sent to a worker carries no record of the notebook's calls
        return (_Watched, (self.func, self.topic))


def _global_names(code: types.CodeType) -> set[str]:
    """Every global name a function's code (and the lambdas and comprehensions inside it) may look up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _learner_functions(func: Callable) -> dict[str, Callable]:
    """The plain Python functions ``func`` reaches through its globals and were defined next to it."""
    namespace = getattr(func, "__globals__", {})
    code = getattr(func, "__code__", None)
    if code is None:
        return {}
    found: dict[str, Callable] = {}
    for name in _global_names(code):
        value = namespace.get(name)
        if isinstance(value, types.FunctionType) and value is not func and value.__module__ == func.__module__:
            found[name] = value
    return found


def _as_completed_is_called(func: Callable, source: str) -> bool:
    """True when ``func`` calls ``distributed.as_completed``, under that name or any other."""
    if "as_completed" in calls_in_source(source):
        return True
    namespace = getattr(func, "__globals__", {})
    for name in calls_in_source(source):
        if namespace.get(name) is distributed.as_completed:
            return True
    tree = ast.parse(source)
    aliases = {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == "as_completed" and alias.asname
    }
    return bool(aliases & calls_in_source(source))


def _cancel_events(client: distributed.Client) -> int:
    """How many times this client has asked the scheduler to cancel futures (each ask is an event)."""
    return sum(1 for _, msg in client.get_events(client.id) if isinstance(msg, dict) and msg.get("action") == "cancel")


def _tested_on_cluster(client: distributed.Client, topic: str, wanted: set[int]) -> set[int]:
    """The numbers whose test ran on a worker, as the workers logged them (waits a moment for the last events)."""
    seen: set[int] = set()
    for _ in range(50):
        seen = {
            msg["arg"] for _, msg in client.get_events(topic) if isinstance(msg, dict) and msg.get("arg") is not None
        }
        if wanted <= seen:
            break
        time.sleep(0.1)
    return seen


@check(Q4)
def check_q4(first_primes, client, numbers) -> str:
    """Check ``first_primes``: stop as soon as enough primes have finished, with ``as_completed``.

    Reads your function's source for ``as_completed`` (imported under any name), then calls it for 5 and
    for 2 primes while watching the cluster: each call must return that many different primes of
    ``numbers``, every one of them tested *on a worker* (not in the notebook), and must cancel the
    futures it no longer needs (``client.cancel`` or ``future.cancel``).

    Parameters
    ----------
    first_primes : callable
        Your function, defined with ``def`` in a cell: ``first_primes(client, numbers, how_many=5) -> list of int``.
    client : distributed.Client
        The client ``first_primes`` submits the work to.
    numbers : list of int
        The lesson's numbers.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    source = source_of(first_primes, "first_primes")
    if not _as_completed_is_called(first_primes, source):
        raise Wrong(
            "first_primes should loop over as_completed(futures), which hands you each future as it "
            "finishes, so that you can stop as soon as you have enough"
        )
    if not calls_in_source(source) & {"map", "submit", "compute", "persist"}:
        raise Wrong("first_primes should submit the work to the cluster with client.map (or client.submit)")
    for how_many in (5, 2):
        topic = f"hpclab-q4-{uuid.uuid4().hex}"
        namespace = getattr(first_primes, "__globals__", {})
        helpers = _learner_functions(first_primes)
        watched = {name: _Watched(func, topic) for name, func in helpers.items()}
        cancels = _cancel_events(client)
        namespace.update(watched)
        try:
            found = first_primes(client, numbers, how_many)
        finally:
            namespace.update(helpers)
        if found is None:
            raise Wrong("first_primes returned None: end it with `return found`")
        found = plain(found, list, f"first_primes(client, numbers, {how_many})", of=int)
        if len(found) != how_many:
            raise Wrong(
                f"first_primes(client, numbers, {how_many}) gave {len(found)} numbers; "
                f"stop as soon as you have {how_many} primes"
            )
        if len(set(found)) != how_many:
            raise Wrong(f"`found` repeats a number: {found}")
        outside = [n for n in found if n not in set(numbers)]
        if outside:
            raise Wrong(
                f"{outside} are not in `numbers`: append the number that belongs to the finished future "
                "(keep a dict from future to number)"
            )
        composite = [n for n in found if not _is_prime(n)]
        if composite:
            raise Wrong(f"{composite} are not prime: keep only results that were True")
        here = sorted({n for w in watched.values() for n in w.local if n in set(found)})
        if here:
            raise Wrong(
                f"the prime test of {here[:3]} ran here, in the notebook, not on the cluster: take each "
                "answer from the finished future (future.result()), not from calling is_prime again"
            )
        if watched:
            remote = _tested_on_cluster(client, topic, set(found))
            missing = sorted(set(found) - remote)
            if missing:
                raise Wrong(
                    f"no worker tested {missing[:3]}: map is_prime itself over `numbers` "
                    "(client.map(is_prime, numbers, pure=False)) and read each result from its future"
                )
        if _cancel_events(client) == cancels:
            raise Wrong(
                "once you have enough primes, cancel the futures still pending (client.cancel(...)) "
                "so the workers stop on work nobody wants"
            )
    return "five primes, in the order they finished, each tested on a worker, and the rest cancelled"


@check(Q5)
def check_q5(attempts, failed_inputs, roots, mixed) -> str:
    """Check the failed futures: which inputs of ``mixed`` failed, and the results that exist.

    Waits for ``attempts`` and compares your lists with the futures' statuses and results.

    Parameters
    ----------
    attempts : list of distributed.Future
        One future per input of ``mixed``, from mapping ``checked_sqrt`` over it: the futures themselves, not their
        results.
    failed_inputs : list of float
        The inputs whose task raised, in the order of ``mixed``.
    roots : list of float
        The results of the other tasks, in input order.
    mixed : list of float
        The lesson's numbers, some of them negative.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(attempts, "attempts")
    require(failed_inputs, "failed_inputs")
    require(roots, "roots")
    if not isinstance(attempts, (list, tuple)) or not all(isinstance(f, distributed.Future) for f in attempts):
        raise Wrong(
            "`attempts` should be the list of futures client.map returns (one per number), not their "
            "results: keep the futures, so you can ask each for its status"
        )
    if len(attempts) != len(mixed):
        raise Wrong(f"`attempts` has {len(attempts)} futures for {len(mixed)} numbers: map every number of `mixed`")
    distributed.wait(attempts, timeout=60)
    statuses = [f.status for f in attempts]
    if "error" not in statuses:
        raise Wrong("none of your futures failed: map checked_sqrt (it raises for negative numbers) over `mixed`")
    expected_failed = [x for x, status in zip(mixed, statuses) if status == "error"]
    failed_inputs = plain(failed_inputs, list, "failed_inputs", of=float)
    if failed_inputs != [float(x) for x in expected_failed]:
        raise Wrong(
            f"`failed_inputs` is {failed_inputs}; the futures with status 'error' belong to the numbers "
            f"{expected_failed}: pair each future with its input, e.g. zip(mixed, attempts)"
        )
    roots = plain(roots, list, "roots", of=float)
    expected_roots = [math.sqrt(x) for x, status in zip(mixed, statuses) if status == "finished"]
    if len(roots) != len(expected_roots) or any(abs(a - b) > 1e-9 for a, b in zip(roots, expected_roots)):
        raise Wrong(
            f"`roots` is {roots}; expected the {len(expected_roots)} results that exist, in input order: "
            'client.gather(attempts, errors="skip")'
        )
    return f"{len(expected_failed)} of {len(mixed)} tasks failed; the other {len(roots)} results collected"
