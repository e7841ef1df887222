"""Lesson 12-capstone's checks (hpclab.checks.capstone): clean and reduce with Dask, smooth and
average with MPI, put the blocks back together.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import sys

import cloudpickle
import numpy as np
import pytest

from hpclab.checks import capstone
from tests.support import answers
from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("12-capstone")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def raw(self):
        import xarray as xr

        import hpclab.data

        air = hpclab.data.air_temperature(chunks={"time": -1, "lat": 5}).air
        broken = xr.DataArray(np.random.default_rng(12).random(air.shape) < 0.01, dims=air.dims)
        return air.where(~broken, -9999.0)


def clean_with_xr_where(air):
    import xarray as xr

    return xr.where((air > 180) & (air < 340), air - 273.15, np.nan)


def clean_no_mask(air):
    return air - 273.15


def to_map_chunk_first(air):
    return air.chunk({"lat": 5, "lon": -1}).mean("time")


def to_map_computed(air):
    return air.mean("time").chunk({"lat": 5, "lon": -1}).compute()


def _area_mean_allreduce():
    def area_mean(pieces, blocks, comm, lat):
        totals = np.zeros(2)
        for piece, block in zip(pieces, blocks):
            weight = np.cos(np.radians(lat[piece.offset[0] : piece.offset[0] + piece.shape[0]]))
            totals += [(weight[:, None] * block).sum(), weight.sum() * block.shape[1]]
        totals = comm.allreduce(totals)
        return totals[0] / totals[1]

    return area_mean


def _area_mean_local():
    def area_mean(pieces, blocks, comm, lat):
        if not blocks:
            return 0.0
        rows = np.concatenate([lat[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces])
        weight = np.cos(np.radians(rows))
        values = np.vstack(blocks)
        return float((weight[:, None] * values).sum() / (weight.sum() * values.shape[1]))

    return area_mean


def _smooth_gathered_rows():
    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        for _ in range(sweeps):
            rows = {}
            for part in comm.allgather(
                {p.offset[0]: b[0] for p, b in zip(pieces, blocks)}
                | {p.offset[0] + p.shape[0] - 1: b[-1] for p, b in zip(pieces, blocks)}
            ):
                rows.update(part)
            new_blocks = []
            for piece, block in zip(pieces, blocks):
                start, stop = piece.offset[0], piece.offset[0] + piece.shape[0]
                above, below = rows.get(start - 1), rows.get(stop)
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            blocks = new_blocks
        return blocks

    return smooth


def _smooth_isend_objects():
    """Neighbour messages as Python objects: lower-case isend, then a blocking recv per halo row."""

    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        where = {}  # global row -> rank that holds it, from one gather of the placement
        for rank, offsets in enumerate(comm.allgather([(p.offset[0], p.shape[0]) for p in pieces])):
            for start, n in offsets:
                where.update({row: rank for row in range(start, start + n)})
        mine = [(p.offset[0], p.offset[0] + p.shape[0]) for p in pieces]
        for _ in range(sweeps):
            local = {}
            for (start, stop), b in zip(mine, blocks):
                local[start], local[stop - 1] = b[0], b[-1]
            sends = []
            for (start, stop), b in zip(mine, blocks):
                if where.get(start - 1, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[0], dest=where[start - 1], tag=start))
                if where.get(stop, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[-1], dest=where[stop], tag=stop - 1))
            halo = dict(local)
            for start, stop in mine:
                for row in (start - 1, stop):
                    if where.get(row, comm.rank) != comm.rank:
                        halo[row] = comm.recv(source=where[row], tag=row)
            for request in sends:
                request.wait()
            new_blocks = []
            for (start, stop), block in zip(mine, blocks):
                above, below = halo.get(start - 1), halo.get(stop)
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            blocks = new_blocks
        return blocks

    return smooth


def _smooth_with_convergence_test():
    """Sendrecv with the neighbours' ranks, plus a scalar allreduce of the largest change on every sweep."""

    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        where = {}  # global row -> rank that holds it
        for rank, offsets in enumerate(comm.allgather([(p.offset[0], p.shape[0]) for p in pieces])):
            for start, n in offsets:
                where.update({row: rank for row in range(start, start + n)})
        mine = [(p.offset[0], p.offset[0] + p.shape[0]) for p in pieces]
        for _ in range(sweeps):
            halo = {}
            for (start, stop), b in zip(mine, blocks):
                halo[start], halo[stop - 1] = b[0], b[-1]
            sends = []
            for (start, stop), b in zip(mine, blocks):
                if where.get(start - 1, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[0], dest=where[start - 1], tag=start))
                if where.get(stop, comm.rank) != comm.rank:
                    sends.append(comm.isend(b[-1], dest=where[stop], tag=stop - 1))
            for start, stop in mine:
                for row in (start - 1, stop):
                    if where.get(row, comm.rank) != comm.rank:
                        halo[row] = comm.recv(source=where[row], tag=row)
            for request in sends:
                request.wait()
            new_blocks = []
            for (start, stop), block in zip(mine, blocks):
                above, below = halo.get(start - 1), halo.get(stop)
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            local = max((float(np.abs(n - b).max()) for n, b in zip(new_blocks, blocks)), default=0.0)
            change = comm.allreduce(local)  # one number per sweep: every rank takes the same decision
            blocks = new_blocks
            if change == 0.0:
                break
        return blocks

    return smooth


def _smooth_rows_through_allreduce():
    """The halo rows summed into one map-sized array by an allreduce on every sweep; one token message."""

    def smooth(pieces, blocks, comm, sweeps):
        blocks = [np.array(b, dtype=float) for b in blocks]
        comm.sendrecv(None, dest=comm.rank, source=comm.rank)  # a point-to-point call, for show
        for _ in range(sweeps):
            edges = np.zeros((10, blocks[0].shape[1] if blocks else 7))
            for p, b in zip(pieces, blocks):
                edges[p.offset[0]], edges[p.offset[0] + p.shape[0] - 1] = b[0], b[-1]
            edges = comm.allreduce(edges)
            new_blocks = []
            for p, block in zip(pieces, blocks):
                start, stop = p.offset[0], p.offset[0] + p.shape[0]
                above = edges[start - 1] if start > 0 else None
                below = edges[stop] if stop < 10 else None
                padded = np.vstack(
                    [block[:1] if above is None else above[None], block, block[-1:] if below is None else below[None]]
                )
                new = block.copy()
                new[:, 1:-1] = (padded[:-2, 1:-1] + padded[2:, 1:-1] + block[:, :-2] + block[:, 2:]) / 4
                if above is None:
                    new[0] = block[0]
                if below is None:
                    new[-1] = block[-1]
                new_blocks.append(new)
            blocks = new_blocks
        return blocks

    return smooth


def _smooth_gathered_once():
    """Gathers the whole map once before the sweeps, then smooths it with no halo messages at all."""

    def smooth(pieces, blocks, comm, sweeps):
        rows = {}
        for part in comm.allgather({p.offset[0]: np.asarray(b, dtype=float) for p, b in zip(pieces, blocks)}):
            rows.update(part)
        a = np.vstack([rows[start] for start in sorted(rows)])
        for _ in range(sweeps):
            new = a.copy()
            new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
            a = new
        return [a[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces]

    return smooth


def _smooth_sendrecv_next_rank():
    """The classic 1-D halo, Sendrecv to rank +- 1: wrong when blocks are not in rank order.

    (``MPI``, like ``np``, is a global of the program the check pastes this source into.)
    """

    def smooth(pieces, blocks, comm, sweeps):
        up = comm.rank - 1 if comm.rank > 0 else MPI.PROC_NULL  # noqa: F821 (a global of the program this source is pasted into)
        down = comm.rank + 1 if comm.rank < comm.size - 1 else MPI.PROC_NULL  # noqa: F821
        a = np.vstack([np.asarray(b, dtype=float) for b in blocks]) if blocks else np.zeros((0, 7))
        a = np.vstack([np.zeros((1, 7)), a, np.zeros((1, 7))])
        first, last = np.zeros(7), np.zeros(7)
        for _ in range(sweeps):
            comm.Sendrecv(np.ascontiguousarray(a[1]), dest=up, recvbuf=last, source=down)
            comm.Sendrecv(np.ascontiguousarray(a[-2]), dest=down, recvbuf=first, source=up)
            a[0], a[-1] = first, last
            new = a.copy()
            new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
            a = new
        out, row = [], 1
        for p in pieces:
            out.append(a[row : row + p.shape[0]])
            row += p.shape[0]
        return out

    return smooth


def _smooth_no_halo():
    def smooth(pieces, blocks, comm, sweeps):
        out = []
        for block in blocks:
            a = np.array(block, dtype=float)
            for _ in range(sweeps):
                new = a.copy()
                new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
                a = new
            out.append(a)
        comm.Barrier()
        return out

    return smooth


def assemble_sorted(where, blocks, shape):
    parts = sorted((p.offset[0], b) for address in where for p, b in zip(where[address], blocks[address]))
    return np.concatenate([b for _, b in parts]).reshape(shape)


def assemble_in_worker_order(where, blocks, shape):
    return np.concatenate([b for address in where for b in blocks[address]]).reshape(shape)


right("q1", "xr.where", lambda c: (clean_with_xr_where, c.raw))
wrong("q1", "no mask", lambda c: (clean_no_mask, c.raw), "the -9999 fill values are still there")
wrong(
    "q1",
    "the check's reference clean()",
    lambda c: (capstone.reference_clean, c.raw),
    "comes from the course's own checks",
)
right("q2", "rechunk first, then the mean", lambda c: (to_map_chunk_first, c.raw))
wrong("q2", "computed", lambda c: (to_map_computed, c.raw), "that is already computed")
right("q3", "lower-case allreduce of a NumPy pair", lambda c: (_area_mean_allreduce(),))
wrong("q3", "each rank's own mean", lambda c: (_area_mean_local(),), "but expected")
wrong(
    "q4",
    "first and last rows allgathered on every sweep",
    lambda c: (_smooth_gathered_rows(),),
    "inside a loop",
    fast=True,
)
right("q4", "owner map per row, then isend and recv of Python objects", lambda c: (_smooth_isend_objects(),))
wrong(
    "q4",
    "whole map gathered once, no halo messages",
    lambda c: (_smooth_gathered_once(),),
    "sends no point-to-point message",
)
wrong("q4", "Sendrecv to rank +- 1", lambda c: (_smooth_sendrecv_next_rank(),), "which may live on another rank")
wrong(
    "q4",
    "every block smoothed alone",
    lambda c: (_smooth_no_halo(),),
    "right inside but wrong in its first or last row",
)
right("q4", "a scalar convergence allreduce on every sweep", lambda c: (_smooth_with_convergence_test(),))
wrong(
    "q4",
    "the halo rows summed through an allreduce on every sweep",
    lambda c: (_smooth_rows_through_allreduce(),),
    "that is the halo rows travelling through a collective",
)
right("q5", "sorted by offset", lambda c: (assemble_sorted,), fast=True)
wrong("q5", "in worker order", lambda c: (assemble_in_worker_order,), "the blocks are in the wrong places", fast=True)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
