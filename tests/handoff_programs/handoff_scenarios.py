"""The MPI functions and checks every kind of MPI-capable Dask cluster must pass unchanged.

Used by dask_mpi_handoff.py (dask-mpi under mpiexec/srun), by
tests/test_mpi_cluster.py (hpclab.cluster.start(mpi=True)) and by the
jobqueue program: the same ``partial_sum`` and ``moving_average`` run on all.
:func:`scenarios` returns one line per check, for
``assert_handoff_output`` (tests/support/handoff.py).
"""

import socket

import dask.array as da
import distributed
import numpy as np
from mpi4py import MPI

from hpclab import handoff


def partial_sum(pieces, blocks, comm):
    """Each worker sums its own blocks; Allreduce adds the partial sums across workers."""
    local = np.array([sum(float(b.sum()) for b in blocks)], dtype=float)  # 0.0 on a worker with no blocks
    total = np.zeros(1)
    comm.Allreduce(local, total, op=MPI.SUM)
    return {
        "total": float(total[0]),
        "comm_rank": comm.Get_rank(),
        "comm_size": comm.Get_size(),
        "world_rank": MPI.COMM_WORLD.Get_rank(),
        "host": socket.gethostname(),
        "first": pieces[0].index if pieces else None,
        "n_blocks": len(blocks),
    }


def moving_average(pieces, blocks, comm):
    """3-point moving average of a 1-D array; the values across block edges come by MPI messages."""
    owner = {}
    for rank, indices in enumerate(comm.allgather([p.index[0] for p in pieces])):
        for i in indices:
            owner[i] = rank
    last = max(owner)
    sends = []
    for piece, block in zip(pieces, blocks):
        i = piece.index[0]
        if i > 0:  # my first value is the right halo of block i-1
            sends.append(comm.isend(block[0], dest=owner[i - 1], tag=2 * i))
        if i < last:  # my last value is the left halo of block i+1
            sends.append(comm.isend(block[-1], dest=owner[i + 1], tag=2 * i + 1))
    out = []
    for piece, block in zip(pieces, blocks):
        i = piece.index[0]
        left = comm.recv(source=owner[i - 1], tag=2 * (i - 1) + 1) if i > 0 else block[0]
        right = comm.recv(source=owner[i + 1], tag=2 * (i + 1)) if i < last else block[-1]
        padded = np.concatenate([[left], block, [right]])
        out.append((piece.offset[0], (padded[:-2] + padded[1:-1] + padded[2:]) / 3))
    MPI.Request.waitall(sends)
    return out


def moving_average_blocks(pieces, blocks, comm):
    """The same moving average, one result block per piece: for :func:`hpclab.handoff.run_to_array`."""
    return [smooth for _, smooth in moving_average(pieces, blocks, comm)]


def way_back(client, x, reference, timeout, **options):
    """MPI's result blocks come back as a dask array held where they were computed: ``name: value`` line."""
    holder = {p.index: address for address, held in handoff.placement(client, x).items() for p in held}
    back = handoff.run_to_array(client, x, moving_average_blocks, timeout=timeout, **options)
    where = client.who_has(distributed.futures_of(back))  # before any computation copies a block
    placed_ok = all(set(where[key]) == {holder[tuple(key[1:])]} for key in where) and len(where) == len(holder)
    total = float(back.sum().compute())  # the next Dask step, on the workers: only a number comes back
    match = np.allclose(back.compute(), reference) and np.isclose(total, reference.sum())
    return f"way back: placed={placed_ok} chunks={back.chunks == x.chunks} match={match}"


def assemble(results):
    parts = sorted(part for result in results.values() for part in result)
    return np.concatenate([block for _, block in parts])


def scenarios(client, timeout=60, **options):
    """Run every check on the client's cluster; return the lines to print (``name: value``)."""
    lines = []
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    lines.append(f"workers: {len(workers)}")

    data = np.random.default_rng(11).random(97)
    x = da.from_array(data, chunks=((9, 20, 5, 13, 17, 8, 25),)) * 2 + 1  # uneven chunks, computed by Dask
    expected = data * 2 + 1
    x = client.persist(x)
    distributed.wait(x)

    results = handoff.run_on_workers(client, x, partial_sum, mpi=True, timeout=timeout, **options)
    totals = {round(r["total"], 9) for r in results.values()}
    lines.append(
        f"allreduce: total={results[workers[0]]['total']:.9f} numpy={expected.sum():.9f} "
        f"agree={len(totals) == 1 and np.isclose(totals.pop(), expected.sum())}"
    )
    by_rank = sorted(results.values(), key=lambda r: r["comm_rank"])
    firsts = [r["first"] for r in by_rank if r["first"] is not None]
    order_ok = (
        firsts == sorted(firsts)
        and [r["comm_rank"] for r in by_rank] == list(range(len(workers)))
        and all(r["comm_size"] == len(workers) for r in by_rank)
    )
    lines.append(f"comm order follows chunk order: {order_ok}")
    lines.append("hosts: " + " ".join(sorted({r["host"] for r in results.values()})))

    padded = np.pad(expected, 1, mode="edge")
    reference = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
    smooth = assemble(handoff.run_on_workers(client, x, moving_average, mpi=True, timeout=timeout, **options))
    lines.append(
        f"halo: blocks={x.numblocks[0]} match={smooth.shape == reference.shape and np.allclose(smooth, reference)}"
    )
    lines.append(way_back(client, x, reference, timeout, **options))

    one = workers[-1]
    y = client.persist(da.from_array(data, chunks=10) * 2 + 1, workers=[one])
    distributed.wait(y)
    held = {address: len(p) for address, p in handoff.placement(client, y).items()}
    results = handoff.run_on_workers(client, y, partial_sum, mpi=True, timeout=timeout, **options)
    lines.append(
        f"uneven: holders={sum(1 for n in held.values() if n)} empty={sum(1 for n in held.values() if not n)} "
        f"called={len(results)} agree={all(np.isclose(r['total'], expected.sum()) for r in results.values())} "
        f"holder_is_rank0={results[one]['comm_rank'] == 0}"
    )
    smooth = assemble(handoff.run_on_workers(client, y, moving_average, mpi=True, timeout=timeout, **options))
    lines.append(f"uneven halo: match={np.allclose(smooth, reference)}")
    return lines
