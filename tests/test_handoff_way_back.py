"""The handoff's way back (hpclab.handoff.run_to_array): MPI results stay on the workers as a dask array.

Placement and values on all three kinds of MPI workers are in the shared scenarios
(tests/handoff_programs/handoff_scenarios.py, the "way back" line). Here, on
``start(mpi=True)`` workers: a worker killed inside the MPI phase leaves no stale block, the
client's memory stays flat while an array much larger than that round-trips, and wrong returns
are refused with what to do.
"""

from __future__ import annotations

import os
import time
import warnings

import dask.array as da
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import psutil
import pytest
from mpi4py import MPI

import hpclab.cluster
from hpclab import handoff
from hpclab.handoff.worker import STATE_ATTRIBUTE, mpi_status
from tests.support.handoff import kill_the_victim

# Not marked mpi: start(mpi=True) needs an MPICH-family MPI, so `make test-openmpi` leaves these out
# (as tests/test_mpi_cluster.py).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    c = hpclab.cluster.start(n_workers=2, threads_per_worker=1, mpi=True, quiet=True)
    try:
        yield c
    finally:
        c.close()


def minus_global_mean(pieces, blocks, comm):
    """Each block minus the mean of the whole array: the sum and count come by Allreduce."""
    local = np.array([sum(float(b.sum()) for b in blocks), sum(b.size for b in blocks)], dtype=float)
    total = np.zeros(2)
    comm.Allreduce(local, total, op=MPI.SUM)
    return [b - total[0] / total[1] for b in blocks]


def test_results_are_held_only_by_the_workers_that_computed_them_and_agree_with_numpy(client):
    data = np.random.default_rng(3).random((60, 40))
    x = client.persist(da.from_array(data, chunks=(15, 20)))
    distributed.wait(x)
    holder = {p.index: a for a, held in handoff.placement(client, x).items() for p in held}
    assert len(set(holder.values())) == 2  # both workers hold blocks: the test can tell them apart

    back = handoff.run_to_array(client, x, minus_global_mean, timeout=60)

    where = client.who_has(distributed.futures_of(back))
    assert {tuple(k[1:]): set(v) for k, v in where.items()} == {i: {a} for i, a in holder.items()}
    assert back.chunks == x.chunks and back.dtype == np.float64
    np.testing.assert_allclose(back.compute(), data - data.mean())
    assert float(abs(back).max().compute()) == pytest.approx(np.abs(data - data.mean()).max())


def test_blocks_may_change_shape_while_they_tile_an_array(client):
    x = client.persist(da.arange(24.0, chunks=6).reshape(4, 6).rechunk((2, 3)))
    distributed.wait(x)

    def coarsen(pieces, blocks, comm):
        return [b[:, :1] for b in blocks]  # the first column of every block: (2, 1) each

    back = handoff.run_to_array(client, x, coarsen, timeout=60)
    assert back.chunks == ((2, 2), (1, 1))
    np.testing.assert_array_equal(back.compute(), x.compute()[:, [0, 3]])


def test_a_function_that_returns_the_wrong_number_of_blocks_is_told_what_to_return(client):
    x = client.persist(da.ones(12, chunks=3))
    distributed.wait(x)

    def total_only(pieces, blocks, comm):
        return [sum(float(b.sum()) for b in blocks)] if blocks else []

    with pytest.raises(Exception, match="must return a list with one block per piece"):
        handoff.run_to_array(client, x, total_only, timeout=60)


def test_blocks_that_do_not_tile_an_array_are_refused(client):
    x = client.persist(da.ones((4, 4), chunks=2))
    distributed.wait(x)

    def ragged(pieces, blocks, comm):
        return [b[: 1 + p.index[1]] for p, b in zip(pieces, blocks)]  # heights differ along a row

    with pytest.raises(handoff.HandoffError, match="do not tile an array"):
        handoff.run_to_array(client, x, ragged, timeout=60)


def test_a_dataframe_is_refused_with_the_other_way(client):
    df = client.persist(dd.from_pandas(pd.DataFrame({"a": range(10)}), npartitions=2))
    with pytest.raises(handoff.HandoffError, match="takes a dask array"):
        handoff.run_to_array(client, df, minus_global_mean, timeout=60)


def test_an_array_larger_than_the_client_could_hold_twice_round_trips_without_passing_through_it(client):
    # 2 x 1000 x 20000 float64 = 320 MB: were it gathered, the client would grow by that much.
    x = client.persist(da.random.default_rng(1).random((2000, 20_000), chunks=(1000, 20_000)))
    distributed.wait(x)
    me = psutil.Process()
    before = me.memory_info().rss
    back = handoff.run_to_array(client, x, minus_global_mean, timeout=120)
    mean = float(back.mean().compute())  # the next Dask step: only a number comes to the client
    grown = me.memory_info().rss - before
    assert abs(mean) < 1e-9
    assert grown < 64 * 1024**2, f"the client grew by {grown / 1024**2:.0f} MB for a 320 MB result"
    del back


def _blocks_kept(dask_worker) -> int:
    """Runs on a worker: how many MPI result blocks wait there, not yet handed to Dask."""
    state = getattr(dask_worker, STATE_ATTRIBUTE, None)  # a restarted worker has none yet
    return 0 if state is None else sum(len(blocks) for blocks in state.kept.values())


def _held_named(name: str, dask_worker) -> list:
    """Runs on a worker: the keys named ``name`` in its memory (registered with the scheduler or not)."""
    return sorted(k for k in dask_worker.data if isinstance(k, tuple) and k[0] == name)


def _forget_mpi(dask_worker) -> None:
    """Runs on a worker: forget its MPI state (communicator included), as a restarted worker would have none."""
    setattr(dask_worker, STATE_ATTRIBUTE, None)


def _stuck(dask_worker) -> str | None:
    state = getattr(dask_worker, STATE_ATTRIBUTE, None)
    return None if state is None else state.stuck


def test_a_worker_that_lost_the_communicator_calls_the_phase_off_and_it_runs_the_long_way(client):
    # The second call goes straight to the workers of the first; one of them no longer has their
    # communicator, says so before any MPI call, and the others leave the phase's barrier: nobody is
    # stuck, the communicator is built again, and the call still gives the right answer.
    data = np.arange(48.0).reshape(8, 6)
    x = client.persist(da.from_array(data, chunks=(2, 6)))
    distributed.wait(x)
    first = handoff.run_to_array(client, x, minus_global_mean, timeout=60)
    np.testing.assert_allclose(first.compute(), data - data.mean())
    (before,) = {s["build"] for s in client.run(mpi_status).values()}
    client.run(_forget_mpi, workers=[sorted(client.scheduler_info()["workers"])[0]])

    second = handoff.run_to_array(client, x, minus_global_mean, timeout=60)

    np.testing.assert_allclose(second.compute(), data - data.mean())
    assert set(client.run(_stuck).values()) == {None}
    (after,) = {s["build"] for s in client.run(mpi_status).values()}
    assert after not in (None, before)  # the communicator was built again, over both workers


def test_a_worker_killed_inside_the_mpi_phase_is_survived_and_leaves_no_stale_block(tmp_path):
    data = np.random.default_rng(5).random(120)
    victim_file = tmp_path / "victim.pid"

    def double_with_a_victim(pieces, blocks, comm, victim_file):
        # No collective: the partners finish and keep their blocks, then the attempt fails for the
        # victim's sake. Those blocks must not survive into the result or stay in memory.
        if comm.Get_rank() == comm.Get_size() - 1 and not os.path.exists(victim_file + ".done"):
            with open(victim_file + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.replace(victim_file + ".tmp", victim_file)
            time.sleep(600)  # SIGKILLed here
        return [b * 2 for b in blocks]

    killed: dict = {}

    c = hpclab.cluster.start(n_workers=3, threads_per_worker=1, mpi=True, quiet=True)
    try:
        x = c.persist(da.from_array(data, chunks=((50, 10, 60),)) * 3)
        distributed.wait(x)
        thread = kill_the_victim(victim_file, killed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            back = handoff.run_to_array(
                c, x, double_with_a_victim, timeout=8, attempts=3, args=(str(victim_file),), name="doubled"
            )
        thread.join(5)
        assert "pid" in killed, "the victim was never killed: the test proves nothing"
        assert any(issubclass(w.category, handoff.HandoffRetry) for w in caught)
        np.testing.assert_allclose(back.compute(), data * 6)
        kept = c.run(_blocks_kept)
        assert sum(kept.values()) == 0, f"blocks of a failed attempt are still held: {kept}"
        # Every attempt used the same keys ("doubled", i): a worker holds one only where the scheduler says so.
        registered = {
            a: sorted(tuple(k) for k, held in c.who_has(distributed.futures_of(back)).items() if a in held)
            for a in c.run(os.getpid)
        }
        held = {a: [tuple(k) for k in keys] for a, keys in c.run(_held_named, "doubled").items()}
        assert held == registered, f"blocks of a failed attempt are still in a worker's memory: {held} vs {registered}"
    finally:
        c.close()
