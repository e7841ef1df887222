"""Lesson 00-setup's checks (hpclab.checks.setup): cores, the MPI library, threads, ranks.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import os
import sys

import cloudpickle
import numpy as np
import pytest

from hpclab.cluster import available_cores
from tests.support.answers import AlwaysEqual, Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("00-setup")
right, wrong = ANSWERS.right, ANSWERS.wrong


right("q1", "len(os.sched_getaffinity(0))", lambda c: (len(os.sched_getaffinity(0)),), fast=True)
right("q1", "hpclab's count, quotas included", lambda c: (available_cores(),), fast=True)
wrong(
    "q1",
    "the whole machine's count, plus one",
    lambda c: ((os.cpu_count() or 1) + 1,),
    "this process may use",
    fast=True,
)
wrong(
    "q1",
    "the text that !nproc printed",
    lambda c: (str(len(os.sched_getaffinity(0))),),
    "should be a whole number",
    fast=True,
)
wrong("q1", "an object equal to everything", lambda c: (AlwaysEqual(),), "should be a whole number", fast=True)


def _vendor():
    from mpi4py import MPI

    return MPI.get_vendor()[0]


right("q2", "the vendor in capitals", lambda c: (_vendor().upper(),))  # MPI in this process: slow
wrong("q2", "the MPI standard version instead", lambda c: ("MPI 4.0",), "mpi4py reports a different library")
right(
    "q3",
    "threads from scheduler_info",
    lambda c: (c.client, sum(w["nthreads"] for w in c.client.scheduler_info(n_workers=-1)["workers"].values())),
)
wrong("q3", "the nthreads dict itself", lambda c: (c.client, c.client.nthreads()), "should be a whole number")
wrong(
    "q3",
    "one thread too many",
    lambda c: (c.client, sum(c.client.nthreads().values()) + 1),
    "client.nthreads() maps each worker",
)
right("q4", "a NumPy array in arrival order", lambda c: (np.array([2, 0, 3, 1]),), fast=True)
wrong("q4", "one rank missing", lambda c: ([0, 1, 2],), "expected one answer from each of ranks 0-3", fast=True)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
