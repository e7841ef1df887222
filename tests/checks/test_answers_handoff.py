"""Lesson 11-dask-to-mpi's checks (hpclab.checks.handoff): placement, run_on_workers, MPI on Dask's blocks.

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

ANSWERS = Answers("11-dask-to-mpi")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def x11(self):
        import dask.array as da
        import distributed

        x = self.client.persist(da.random.default_rng(0).random((12, 12), chunks=(4, 3)))
        distributed.wait(x)
        return x


def _holder(c, right_one=True):
    from distributed import futures_of

    x = c.x11
    future = next(f for f in futures_of(x) if tuple(f.key[1:]) == (1, 2))
    holders = c.client.who_has([future])[future.key]
    if right_one:
        return holders[0], c.client, x, (1, 2)
    others = [w for w in c.client.scheduler_info(n_workers=-1)["workers"] if w not in holders]
    return others[0], c.client, x, (1, 2)


def local_sum_count_numpy(pieces, blocks, comm):
    return np.float64(sum(np.sum(b) for b in blocks)), np.int64(sum(np.size(b) for b in blocks))


def local_sum_count_blocks(pieces, blocks, comm):
    return sum(float(b.sum()) for b in blocks), len(blocks)


MEAN_PROGRAM = """
import tempfile

import numpy as np
from dask_mpi import initialize

initialize(interface="lo", nthreads=1, dashboard=False, local_directory=tempfile.gettempdir())

import dask.array as da
import distributed

from hpclab import handoff


def sum_and_count(pieces, blocks, comm):
    total = comm.allreduce(sum(float(b.sum()) for b in blocks))
    count = comm.allreduce(sum(int(b.size) for b in blocks))
    return total, count


client = distributed.Client()
client.wait_for_workers(3, timeout=60)
x = client.persist(da.sqrt(da.arange(1, 1001, chunks=150)))
distributed.wait(x)
results = handoff.run_on_workers(client, x, sum_and_count, mpi=True)
total, count = results[sorted(results)[0]]
MEAN_LINE
"""


def _smooth_allgather():
    def smooth(pieces, blocks, comm):
        edges = {}
        for part in comm.allgather({p.index[0]: (b[0], b[-1]) for p, b in zip(pieces, blocks)}):
            edges.update(part)
        out = []
        for piece, block in zip(pieces, blocks):
            i = piece.index[0]
            left = edges[i - 1][1] if i - 1 in edges else block[0]
            right = edges[i + 1][0] if i + 1 in edges else block[-1]
            padded = np.concatenate([[left], block, [right]])
            out.append((piece.offset[0], (padded[:-2] + padded[1:-1] + padded[2:]) / 3))
        return out

    return smooth


def _smooth_own_edges():
    def smooth(pieces, blocks, comm):
        out = []
        for piece, block in zip(pieces, blocks):
            padded = np.pad(block, 1, mode="edge")  # the neighbours' values never arrive
            out.append((piece.offset[0], (padded[:-2] + padded[1:-1] + padded[2:]) / 3))
        return out

    return smooth


right("q1", "the holder by who_has", _holder)
wrong("q1", "the other worker", lambda c: _holder(c, right_one=False), "does not hold block (1, 2)")
right("q2", "NumPy sum and size", lambda c: (local_sum_count_numpy, c.client, c.x11))
wrong(
    "q2",
    "counted blocks, not elements",
    lambda c: (local_sum_count_blocks, c.client, c.x11),
    "count elements (block.size), not blocks",
)
right(
    "q3",
    "lower-case allreduce of sum and count, divided on the client",
    lambda c: (MEAN_PROGRAM.replace("MEAN_LINE", "mean = total / count"),),
)
wrong(
    "q3",
    "the mean asked of Dask",
    lambda c: (MEAN_PROGRAM.replace("MEAN_LINE", "mean = float(x.mean().compute())"),),
    "does not come from what handoff.run_on_workers returned",
    fast=True,
)
wrong(
    "q3",
    "no communicator",
    lambda c: (MEAN_PROGRAM.replace(", mpi=True", "").replace("MEAN_LINE", "mean = total / count"),),
    "pass mpi=True",
    fast=True,
)
right("q4", "edges shared with allgather", lambda c: (_smooth_allgather(),))
wrong("q4", "each block padded with its own edges", lambda c: (_smooth_own_edges(),), "neighbour")


def placement_from_collection(client, x):
    from distributed import futures_of

    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    futures_of(x)  # the futures are not needed: who_has accepts the collection itself
    for key, workers in client.who_has(x).items():
        held[workers[0]].append(key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_str_keys(client, x):
    from distributed import futures_of

    by_text = {str(part.key): part for part in futures_of(x)}  # seed 004's recipe
    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    for key, workers in client.who_has(x).items():
        held[workers[0]].append(by_text[key].key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_only_holders(client, x):
    from distributed import futures_of

    held = {}
    for future in futures_of(x):
        for worker in client.who_has([future])[future.key][:1]:
            held.setdefault(worker, []).append(future.key[1:])
    return {address: sorted(indexes) for address, indexes in held.items()}


def placement_reverse_order(client, x):
    from distributed import futures_of

    held = {address: [] for address in client.scheduler_info(n_workers=-1)["workers"]}
    holders = client.who_has(futures_of(x))
    for key, workers in holders.items():
        held[workers[0]].append(key[1:])
    return {address: sorted(indexes, reverse=True) for address, indexes in held.items()}


def placement_by_helper(client, x):
    from hpclab import handoff

    return {address: [p.index for p in pieces] for address, pieces in handoff.placement(client, x).items()}


right("q5", "who_has of the collection itself", lambda c: (placement_from_collection, c.client, c.x11))
wrong("q5", "seed 004's str(key) dict", lambda c: (placement_str_keys, c.client, c.x11), "not by str(future.key)")
wrong(
    "q5",
    "only the workers who_has names",
    lambda c: (placement_only_holders, c.client, c.x11),
    "every worker must appear",
)
wrong("q5", "blocks in reverse order", lambda c: (placement_reverse_order, c.client, c.x11), "not in chunk order")
wrong("q5", "handoff.placement itself", lambda c: (placement_by_helper, c.client, c.x11), "calls handoff.placement")


def _weighted(kind):
    """Answers to Q6, made inside a function so the MPI workers get them by value (cloudpickle)."""

    def weighted_sum(pieces, blocks, comm):
        from mpi4py import MPI

        if kind == "plain":
            local = sum(float(b.sum()) for b in blocks)
        elif kind == "local positions":
            local = sum(float((np.arange(b.size) * b).sum()) for b in blocks)
        else:
            local = sum(float((np.arange(p.offset[0], p.offset[0] + b.size) * b).sum()) for p, b in zip(pieces, blocks))
        if kind == "own part":
            return local
        total = np.zeros(1)
        comm.Allreduce(np.array([local], dtype=float), total, op=MPI.SUM)  # sum([]) is the int 0
        return float(total[0])

    return weighted_sum


right("q6", "Allreduce of the weighted parts", lambda c: (_weighted("right"),))
wrong("q6", "each worker's own part", lambda c: (_weighted("own part"),), "returned only its own part")
wrong("q6", "no weights", lambda c: (_weighted("plain"),), "returned the plain sum")
wrong(
    "q6",
    "positions inside the block",
    lambda c: (_weighted("local positions"),),
    "the position of block value k is piece.offset",
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
