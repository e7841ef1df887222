"""Lesson 04b-dask-diagnostics-memory's checks (hpclab.checks.diagnostics): memory thresholds, a
performance report, a bad graph fixed, a worker killed over its memory limit.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import sys

import cloudpickle
import numpy as np
import pytest

from tests.support import answers
from tests.support.answers import AlwaysEqual, Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("04b-dask-diagnostics-memory")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def client4b(self):
        """Workers of 600 MiB, as in the exercise: Q4 fills one worker's memory until its nanny restarts it."""
        import hpclab.cluster

        return self.enter(hpclab.cluster.client(n_workers=2, threads_per_worker=1, memory_limit="600MiB", quiet=True))

    @functools.cached_property
    def bad4b(self):
        import dask.array as da

        return da.arange(2_000_000, chunks=40_000)

    def report4b(self, name, mode="inline", compute=True):
        """A performance report of bad.sum() (or of building it only), made once per name."""
        from distributed import performance_report

        path = self.tmp("reports") / f"{name}.html"
        if path.exists():  # once per name: an answer that reads the report twice reads the same one
            return path
        with self.client4b.as_current(), performance_report(filename=str(path), mode=mode):
            total = self.bad4b.sum()
            if compute:
                total.compute()
        return path


THRESHOLD_NAMES = ("target", "spill", "pause", "terminate")


def _limit4b(c):
    return next(iter(c.client4b.scheduler_info()["workers"].values()))["memory_limit"]


def _thresholds(c, scale=1.0, swap=False):
    import dask
    import distributed  # noqa: F401  (its defaults join dask.config on import)

    fractions = dict(dask.config.get("distributed.worker.memory"))
    if swap:
        fractions["spill"], fractions["pause"] = fractions["pause"], fractions["spill"]
    return {name: fractions[name] * _limit4b(c) * scale for name in THRESHOLD_NAMES}


def _thresholds_from_workers(c):
    def fractions(dask_worker):
        m = dask_worker.memory_manager
        return m.memory_limit, m.memory_target_fraction, m.memory_spill_fraction, m.memory_pause_fraction

    limit, target, spill, pause = next(iter(c.client4b.run(fractions).values()))
    return {
        "target": int(limit * target),
        "spill": int(limit * spill),
        "pause": int(limit * pause),
        "terminate": int(limit * 0.95),
    }


right("q1", "config fractions x the scheduler's limit", lambda c: (_thresholds(c), c.client4b))
right("q1", "whole bytes from the workers' own settings", lambda c: (_thresholds_from_workers(c), c.client4b))
wrong(
    "q1",
    "the fractions themselves",
    lambda c: ({name: v / _limit4b(c) for name, v in _thresholds(c).items()}, c.client4b),
    "holds fractions",
)
wrong("q1", "the whole cluster's memory", lambda c: (_thresholds(c, scale=2), c.client4b), "the whole cluster's")
wrong(
    "q1",
    "600 MiB typed as 600 MB",
    lambda c: (_thresholds(c, scale=1e6 / 2**20), c.client4b),
    "counts a MiB as 1,000,000 bytes",
)
wrong("q1", "spill and pause swapped", lambda c: (_thresholds(c, swap=True), c.client4b), "is the pause threshold")
wrong(
    "q1",
    "objects equal to everything",
    lambda c: ({name: AlwaysEqual() for name in THRESHOLD_NAMES}, c.client4b),
    "should be a number",
)


def _tasks_in(path):
    import re

    return int(re.search(r"number of tasks: (\d+)", path.read_text()).group(1))


def _tasks_by_unescaping(path):
    import html

    text = html.unescape(path.read_text())
    return int(text.split("number of tasks:")[1].split("<")[0])


right(
    "q2",
    "inline report, tasks read with a regex",
    lambda c: (c.report4b("inline"), _tasks_in(c.report4b("inline")), c.bad4b),
)
right(
    "q2",
    "path as a string, tasks read after unescaping",
    lambda c: (str(c.report4b("inline")), _tasks_by_unescaping(c.report4b("inline")), c.bad4b),
)
wrong(
    "q2",
    "default mode: Bokeh from the internet",
    lambda c: (c.report4b("cdn", mode=None), _tasks_in(c.report4b("cdn", mode=None)), c.bad4b),
    "loads its JavaScript from cdn.bokeh.org",
)
wrong(
    "q2",
    "one task per chunk",
    lambda c: (c.report4b("inline"), c.bad4b.npartitions, c.bad4b),
    "the sum adds a tree of tasks",
)
wrong(
    "q2",
    "graph built inside the block, computed after it",
    lambda c: (c.report4b("empty", compute=False), 0, c.bad4b),
    "compute bad.sum() inside",
)
wrong(
    "q2",
    "a file that was never written",
    lambda c: (c.tmp("reports") / "missing.html", 117, c.bad4b),
    "there is no file",
)


def _arange(chunks, start=0):
    import dask.array as da

    return da.arange(start, start + 2_000_000, chunks=chunks)


def _from_numpy():
    import dask.array as da

    return da.from_array(np.arange(2_000_000), chunks=500_000)


right("q3", "4 chunks of 500,000", lambda c: (_arange(500_000), c.bad4b, c.client4b))
right("q3", "8 chunks of 250,000", lambda c: (_arange(250_000), c.bad4b, c.client4b))
wrong("q3", "one huge chunk", lambda c: (_arange(-1), c.bad4b, c.client4b), "1 chunk for 2 worker threads")
wrong("q3", "rechunk of bad", lambda c: (c.bad4b.rechunk(500_000), c.bad4b, c.client4b), "is built from `bad`")
wrong("q3", "computed", lambda c: (_arange(500_000).compute(), c.bad4b, c.client4b), "is a NumPy array")
wrong(
    "q3",
    "NumPy made in the notebook, then wrapped",
    lambda c: (_from_numpy(), c.bad4b, c.client4b),
    "wraps a NumPy array",
)
wrong("q3", "still 20 chunks", lambda c: (_arange(100_000), c.bad4b, c.client4b), "still has 20 chunks")
wrong("q3", "shifted by one", lambda c: (_arange(500_000, start=1), c.bad4b, c.client4b), "must hold the same values")


def run_guarded(client, func, *args):
    from distributed import KilledWorker

    n_workers = len(client.scheduler_info()["workers"])
    try:
        return client.submit(func, *args, pure=False).result()
    except KilledWorker:
        client.wait_for_workers(n_workers)
        return None


def run_guarded_delayed(client, func, *args):
    import dask
    import distributed

    expected = len(client.nthreads())
    try:
        return client.compute(dask.delayed(func, pure=False)(*args)).result()
    except distributed.KilledWorker:
        client.wait_for_workers(n_workers=expected)
    return None


def run_guarded_memory_error(client, func, *args):
    try:
        return client.submit(func, *args, pure=False).result()
    except MemoryError:
        return None


def run_guarded_catches_everything(client, func, *args):
    n_workers = len(client.scheduler_info()["workers"])
    try:
        return client.submit(func, *args, pure=False).result()
    except Exception:
        client.wait_for_workers(n_workers)
        return None


def run_guarded_no_wait(client, func, *args):
    from distributed import KilledWorker

    try:
        return client.submit(func, *args, pure=False).result()
    except KilledWorker:
        return None


def run_guarded_future(client, func, *args):
    return client.submit(func, *args, pure=False)


right("q4", "submit, catch KilledWorker, wait for the workers", lambda c: (run_guarded, c.client4b))
right("q4", "compute a delayed, distributed.KilledWorker", lambda c: (run_guarded_delayed, c.client4b))
wrong("q4", "except MemoryError", lambda c: (run_guarded_memory_error, c.client4b), "KilledWorker reached the caller")
wrong("q4", "except Exception", lambda c: (run_guarded_catches_everything, c.client4b), "catch only KilledWorker")
wrong(
    "q4",
    "returns before the new worker joined",
    lambda c: (run_guarded_no_wait, c.client4b),
    "Wait for it (client.wait_for_workers(n))",
)
wrong("q4", "the future, not its result", lambda c: (run_guarded_future, c.client4b), "should be a whole number")


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
