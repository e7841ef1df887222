"""The capstone pipeline (lesson 12) as a batch program: Dask cleans and reduces, MPI smooths.

Run under srun with dask-mpi (see jobscripts/capstone.sh): rank 0 is the Dask
scheduler, rank 1 runs this code, ranks 2.. are Dask workers *and* MPI ranks.

1. load the air temperatures (hpclab.data; prepare them ahead on the login node),
2. Dask: mask broken readings, convert to °C, average over time into a map of
   row blocks, persisted on the workers,
3. MPI, in the workers' memory: Jacobi smoothing with a halo exchange between
   neighbouring blocks only (point-to-point), its result kept on the workers as a
   dask array (hpclab.handoff.run_to_array); an area-weighted mean with Allreduce
   (hpclab.handoff.run_on_workers),
4. Dask again: the smoothed map's area-weighted mean, computed where the map lies
   (only the number comes to this rank); then, to check the run, a comparison with
   NumPy on one core.

Usage: python -m mpi4py capstone.py [--sweeps N] [--rows R]
"""

import argparse
import os
import socket
import time

import numpy as np
from dask_mpi import initialize
from mpi4py import MPI

VALID_K = (180.0, 340.0)  # readings outside this range (K) are broken
KELVIN = 273.15


def with_glitches(air, fraction=0.01, seed=12):
    """The generated data are clean; real loggers write -9999 when a reading is lost."""
    import xarray as xr

    broken = xr.DataArray(np.random.default_rng(seed).random(air.shape) < fraction, dims=air.dims)
    return air.where(~broken, -9999.0)


def clean(air):
    """Broken readings become NaN; Kelvin become °C. Lazy."""
    return air.where((air > VALID_K[0]) & (air < VALID_K[1])) - KELVIN


def to_map(air, rows):
    """Mean over time (NaN skipped), split into blocks of whole rows: one MPI share each."""
    return air.mean("time").chunk({"lat": rows, "lon": -1})


def smooth(pieces, blocks, comm, sweeps):
    """Jacobi sweeps on this rank's row blocks; edges of the whole map stay fixed.

    Once, before the sweeps, one allgather of every block's first and last row
    number tells each rank who holds the block above and below each of its own
    (the owner map). Then each sweep sends a block's edge rows only to those
    ranks (Isend/Irecv, then Waitall): at most two rows per block, however many
    ranks there are. A neighbour on the same rank is read directly, and the
    map's top and bottom edges have no neighbour and no message.
    """
    blocks = [np.array(b, dtype=float) for b in blocks]
    # Once, before the sweeps: the owner map (which rank holds the block starting/ending at a row).
    starts, ends = {}, {}  # first row of a block -> its rank, last row of a block -> its rank
    spans = [(p.offset[0], p.offset[0] + len(b) - 1) for p, b in zip(pieces, blocks)]
    for rank, theirs in enumerate(comm.allgather(spans)):
        for first, last in theirs:
            starts[first], ends[last] = rank, rank
    for _ in range(sweeps):
        tops = {first: b[0] for (first, _), b in zip(spans, blocks)}
        bottoms = {last: b[-1] for (_, last), b in zip(spans, blocks)}
        halos, requests = [], []  # every sweep: edge rows to and from the neighbours' ranks only
        for (first, last), block in zip(spans, blocks):
            above, below = bottoms.get(first - 1), tops.get(last + 1)  # neighbours on this rank
            up, down = ends.get(first - 1), starts.get(last + 1)  # ranks of the neighbours, None at the edge
            # Tags tell the rows apart: 2 * row going up, 2 * row + 1 going down.
            if above is None and up is not None:
                above = np.empty(block.shape[1])
                requests += [
                    comm.Irecv(above, source=up, tag=2 * first - 1),
                    comm.Isend(block[0], dest=up, tag=2 * first),
                ]
            if below is None and down is not None:
                below = np.empty(block.shape[1])
                requests += [
                    comm.Irecv(below, source=down, tag=2 * last + 2),
                    comm.Isend(block[-1], dest=down, tag=2 * last + 1),
                ]
            halos.append((above, below))
        MPI.Request.Waitall(requests)
        new_blocks = []
        for block, (above, below) in zip(blocks, halos):
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


def area_mean(pieces, blocks, comm, lat):
    """Mean weighted by cos(latitude) (grid cells shrink poleward), the same on every rank."""
    totals = np.zeros(2)
    for piece, block in zip(pieces, blocks):
        weight = np.cos(np.radians(lat[piece.offset[0] : piece.offset[0] + piece.shape[0]]))
        totals += [(weight[:, None] * block).sum(), weight.sum() * block.shape[1]]
    comm.Allreduce(MPI.IN_PLACE, totals, op=MPI.SUM)
    return totals[0] / totals[1]


def numpy_reference(field, lat, sweeps):
    """The same smoothing and area-weighted mean on one core, to check the distributed answers."""
    weights = np.cos(np.radians(lat))
    mean = float((weights[:, None] * field).sum() / (weights.sum() * field.shape[1]))
    a = np.array(field, dtype=float)
    for _ in range(sweeps):
        new = a.copy()
        new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
        a = new
    return a, mean


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=20, help="Jacobi sweeps")
    parser.add_argument("--rows", type=int, default=5, help="map rows per block")
    args = parser.parse_args()

    # Ranks 0 and 2.. stay inside initialize() (scheduler, workers) until this
    # rank is done; then dask-mpi stops them and the job step ends by itself.
    import hpclab.cluster

    # Threads and memory per worker: what its task was given.
    initialize(
        interface=os.environ.get("HPCLAB_IFACE"),
        nthreads=hpclab.cluster.slurm_cpus_per_task(),
        memory_limit=hpclab.cluster.slurm_task_memory() or "auto",
        local_directory=os.environ.get("TMPDIR", "/tmp"),
        dashboard=False,
        dashboard_address="127.0.0.1:0",
    )  # never a fixed port on a shared node

    from distributed import Client

    with Client(timeout=120) as client:
        # Every rank but the scheduler and this one is a worker.
        client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=120)
        pipeline(client, args.sweeps, args.rows, timeout=300)


def pipeline(client, sweeps: int, rows: int, timeout: float = 300) -> None:
    """Steps 1-4 on the client's workers (dask-mpi ranks, or MPI-capable jobqueue workers); print the checks.

    Every wait on the cluster ends after ``timeout`` seconds with an error that says which step was
    stuck, instead of holding the job until its wall time.
    """
    from distributed import wait

    import hpclab.binding
    import hpclab.data
    import hpclab.handoff

    start = time.perf_counter()
    raw = with_glitches(hpclab.data.air_temperature(chunks={"time": -1, "lat": rows}).air)
    field = to_map(clean(raw), rows).persist()
    wait(field, timeout=timeout)
    where = hpclab.handoff.placement(client, field.data)
    # Dask prepares, MPI computes, Dask analyses: the smoothed map stays on the workers.
    smoothed = hpclab.handoff.run_to_array(client, field.data, smooth, args=(sweeps,), timeout=timeout)
    means = hpclab.handoff.run_on_workers(
        client, field.data, area_mean, mpi=True, args=(field.lat.values,), timeout=timeout
    )
    weights = np.cos(np.radians(field.lat.values))[:, None]
    smoothed_mean = float((smoothed * weights).sum().compute()) / (weights.sum() * field.shape[1])
    elapsed = time.perf_counter() - start

    # Checking the run (not part of the pipeline): the whole map against NumPy on one core.
    want_map, want_mean = numpy_reference(field.values, field.lat.values, sweeps)
    difference = float(abs(smoothed - want_map).max().compute())
    hosts = sorted(set(client.run(socket.gethostname).values()))
    held = ", ".join(f"{len(p)}" for p in where.values())
    print(
        f"map {field.shape[0]} x {field.shape[1]} in {len(field.chunks[0])} row blocks "
        f"(blocks per worker: {held}); {sweeps} sweeps in {elapsed:.2f} s"
    )
    print(f"max difference from NumPy: {difference:.1e}")
    want_smoothed_mean = float((want_map * weights).sum() / (weights.sum() * field.shape[1]))
    print(
        f"smoothed map kept on the workers ({smoothed.npartitions} blocks); its area-weighted mean by Dask "
        f"{smoothed_mean:.4f} °C (NumPy {want_smoothed_mean:.4f})"
    )
    means = sorted({round(float(m), 4) for m in means.values()})
    print(
        f"area-weighted mean {' '.join(f'{m:.4f}' for m in means)} °C (NumPy {want_mean:.4f}) "
        f"on {len(where)} workers; hosts: {' '.join(hosts)}"
    )
    print(f"scheduler: {client.scheduler.address}")
    for found in hpclab.binding.workers(client):
        print(hpclab.binding.describe(found))


if __name__ == "__main__":
    main()
