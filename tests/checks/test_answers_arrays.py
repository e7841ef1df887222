"""Lesson 03-dask-arrays' checks (hpclab.checks.arrays): chunks, laziness, persist, rechunk, map_blocks.

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
from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("03-dask-arrays")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def data3(self):
        import dask.array as da

        self.client  # noqa: B018 - the arrays below persist on it
        return da.random.default_rng(3).random((500, 200), chunks=(250, 100))


def _da():
    import dask.array as da

    return da


def scale_block_ptp(block):
    return (block - block.min()) / np.ptp(block)


def _persisted(c):
    from distributed import wait

    kept = c.client.persist(c.data3)
    wait(kept)
    return kept, c.data3


right("q1", "the legacy da.random.random", lambda c: (_da().random.random((6000, 4000), chunks=(1500, 1000)),))
wrong(
    "q1",
    "da.ones",
    lambda c: (_da().ones((6000, 4000), chunks=(1500, 1000)),),
    "should hold random numbers spread evenly over [0, 1)",
)
wrong(
    "q1",
    "NumPy's random numbers wrapped",
    lambda c: (_da().from_array(np.random.default_rng(0).random((6000, 4000)), chunks=(1500, 1000)),),
    "wraps a NumPy array that already holds every number",
)
wrong(
    "q1",
    "rows and columns of the blocks swapped",
    lambda c: (_da().random.random((6000, 4000), chunks=(1000, 1500)),),
    "blocks of 1500 rows by 1000 columns",
)
right("q2", "sum over the rows divided by their number", lambda c: (c.data3.sum(axis=0) / c.data3.shape[0], c.data3))
wrong("q2", "the mean of every row", lambda c: (c.data3.mean(axis=1), c.data3), "average over axis=0")
wrong(
    "q2",
    "computed, then wrapped again",
    lambda c: (_da().from_array(c.data3.compute().mean(axis=0)), c.data3),
    "does not come from `data`'s task graph",
)
right("q3", "client.persist", _persisted)
wrong("q3", "never persisted", lambda c: (c.data3, c.data3), "holds no results on the workers")
wrong("q3", "computed into memory", lambda c: (c.data3.compute(), c.data3), "it has been computed already")
right("q4", "a dict of chunks", lambda c: (c.data3.rechunk({0: 250, 1: -1}), c.data3))
wrong("q4", "rows cut in half", lambda c: (c.data3.rechunk((250, 100)), c.data3), "each block must hold whole rows")
right(
    "q5",
    "np.ptp and da.map_blocks",
    lambda c: (scale_block_ptp, _da().map_blocks(scale_block_ptp, c.data3, dtype=float), c.data3),
)
wrong(
    "q5",
    "the whole array scaled at once",
    lambda c: (scale_block_ptp, (c.data3 - c.data3.min()) / (c.data3.max() - c.data3.min()), c.data3),
    "is not scaled by its own min and max",
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
