"""hpclab.handoff: Dask hands its blocks to MPI code, in memory (dask-mpi) or through files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hpclab import handoff, mpi
from hpclab.handoff import HandoffError, Piece
from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster
from tests.support.handoff import assert_handoff_output, output_lines

# Runs real MPI: `make test-openmpi` runs this module again on Open MPI.
pytestmark = pytest.mark.mpi

PROGRAMS = Path(__file__).parent / "handoff_programs"
DATA = np.arange(80, dtype=float).reshape(10, 8)
CHUNKS = ((3, 5, 2), (4, 4))


# ------------------------------------------------------------------ pure parts, no cluster


def test_comm_order_follows_the_first_block_each_worker_holds_and_puts_empty_workers_last():
    def piece(i):
        return Piece(index=(i,), offset=(i,), shape=(1,), key=f"k{i}")

    pieces = {"w-a": [piece(2), piece(5)], "w-b": [piece(0)], "w-c": [], "w-d": [piece(1)], "w-e": []}
    world = {"w-a": 2, "w-b": 3, "w-c": 6, "w-d": 4, "w-e": 5}
    assert handoff.comm_order(pieces, world) == ["w-b", "w-d", "w-a", "w-e", "w-c"]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6, 9])
def test_disk_route_shares_every_block_exactly_once_with_the_right_values(tmp_path, size):
    import dask.array as da

    x = da.from_array(DATA, chunks=CHUNKS) + 1
    folder = handoff.write_pieces(x, tmp_path / "pieces")
    seen = []
    for rank in range(size):
        pieces, blocks = handoff.read_my_share(folder, rank, size)
        for piece, block in zip(pieces, blocks, strict=True):
            rows, cols = (slice(o, o + s) for o, s in zip(piece.offset, piece.shape))
            np.testing.assert_array_equal(block, DATA[rows, cols] + 1)
            seen.append(piece.index)
    assert seen == [(i, j) for i in range(3) for j in range(2)]  # each once, in chunk order, rank by rank


def test_disk_route_index_describes_the_array(tmp_path):
    import dask.array as da

    folder = handoff.write_pieces(da.from_array(DATA.astype(np.float32), chunks=CHUNKS), tmp_path)
    meta = handoff.read_index(folder)
    assert meta["shape"] == [10, 8] and np.dtype(meta["dtype"]) == np.float32
    assert meta["chunks"] == [[3, 5, 2], [4, 4]]
    assert meta["blocks"][3] == {**meta["blocks"][3], "index": [1, 1], "offset": [3, 4], "shape": [5, 4]}


def test_reading_a_folder_without_index_says_to_write_the_blocks_first(tmp_path):
    with pytest.raises(HandoffError, match=r"index\.json does not exist: write the blocks first"):
        handoff.read_my_share(tmp_path, 0, 2)


def test_impossible_rank_is_refused(tmp_path):
    import dask.array as da

    handoff.write_pieces(da.ones(4, chunks=2), tmp_path)
    with pytest.raises(HandoffError, match="rank 2 of size 2 is impossible"):
        handoff.read_my_share(tmp_path, 2, 2)


# ------------------------------------------------------------------ a real LocalCluster


@pytest.fixture(scope="module")
def client():
    import hpclab.cluster

    c = hpclab.cluster.start(n_workers=2, threads_per_worker=1, quiet=True)
    c.wait_for_workers(2)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def persisted(client):
    import dask.array as da
    import distributed

    x = client.persist(da.from_array(DATA, chunks=CHUNKS) * 2)
    distributed.wait(x)
    return x


def _transfers(client) -> int:
    return sum(client.run(lambda dask_worker: len(dask_worker.transfer_incoming_log)).values())


@pytest.mark.slow
def test_placement_lists_every_block_once_with_offsets_and_shapes(client, persisted):
    where = handoff.placement(client, persisted)
    assert sorted(where) == sorted(client.scheduler_info(n_workers=-1)["workers"])
    pieces = [p for held in where.values() for p in held]
    assert sorted(p.index for p in pieces) == [(i, j) for i in range(3) for j in range(2)]
    by_index = {p.index: p for p in pieces}
    assert by_index[(1, 1)].offset == (3, 4) and by_index[(1, 1)].shape == (5, 4)
    assert by_index[(2, 0)].offset == (8, 0) and by_index[(2, 0)].shape == (2, 4)
    for held in where.values():
        assert [p.index for p in held] == sorted(p.index for p in held), "chunk order on each worker"
    from distributed import futures_of

    keys = {str(f.key) for f in futures_of(persisted)}
    assert {p.key for p in pieces} == keys


@pytest.mark.slow
def test_a_collection_that_is_not_persisted_is_refused_with_the_hint(client):
    import dask.array as da

    with pytest.raises(HandoffError, match=r"persist it first: x = client.persist\(x\); distributed.wait\(x\)"):
        handoff.placement(client, da.from_array(DATA, chunks=CHUNKS))


@pytest.mark.slow
def test_a_collection_still_computing_is_refused_until_it_is_done(client):
    import dask.array as da
    import distributed

    gate = distributed.Event("handoff-test-gate", client=client)

    def held_back(block):
        distributed.Event("handoff-test-gate").wait()
        return block

    x = client.persist(da.from_array(DATA, chunks=CHUNKS).map_blocks(held_back, meta=np.array((), dtype=float)))
    try:
        with pytest.raises(HandoffError, match="still being computed; wait for them"):
            handoff.placement(client, x)
    finally:
        gate.set()
    distributed.wait(x)
    assert sum(len(p) for p in handoff.placement(client, x).values()) == 6


@pytest.mark.slow
def test_run_on_workers_sums_local_blocks_and_the_total_matches_numpy(client, persisted):
    def local_sum(pieces, blocks, comm):
        assert comm is None
        assert [b.shape for b in blocks] == [p.shape for p in pieces]
        return float(sum(b.sum() for b in blocks)), len(blocks)

    results = handoff.run_on_workers(client, persisted, local_sum)
    assert sorted(results) == sorted(client.scheduler_info(n_workers=-1)["workers"])
    assert sum(n for _, n in results.values()) == 6
    assert sum(s for s, _ in results.values()) == pytest.approx((DATA * 2).sum())


@pytest.mark.slow
def test_blocks_arrive_with_their_global_offsets(client, persisted):
    def check_offsets(pieces, blocks, comm, data):
        for piece, block in zip(pieces, blocks):
            (r, c), (h, w) = piece.offset, piece.shape
            if not np.array_equal(block, data[r : r + h, c : c + w] * 2):
                return False
        return True

    assert all(handoff.run_on_workers(client, persisted, check_offsets, args=(DATA,)).values())


@pytest.mark.slow
def test_a_worker_without_blocks_is_called_with_empty_lists(client):
    import dask.array as da
    import distributed

    x = client.persist(da.ones(5, chunks=5))
    distributed.wait(x)
    results = handoff.run_on_workers(client, x, lambda pieces, blocks, comm: (len(pieces), len(blocks)))
    assert len(results) == 2
    assert sorted(results.values()) == [(0, 0), (1, 1)]


@pytest.mark.slow
def test_no_data_moves_between_workers(client, persisted):
    where = handoff.placement(client, persisted)
    assert all(where.values()), "the test needs blocks on both workers"
    before = _transfers(client)
    handoff.run_on_workers(
        client, persisted, lambda pieces, blocks, comm, k: [b.sum() * k for b in blocks], kwargs={"k": 2}
    )
    assert _transfers(client) == before
    assert handoff.placement(client, persisted) == where


@pytest.mark.slow
def test_dataframe_partitions_are_placed_with_row_offsets(client):
    import dask.dataframe as dd
    import distributed
    import pandas as pd

    frame = pd.DataFrame({"a": np.arange(23.0), "b": np.arange(23.0) ** 2})
    df = client.persist(dd.from_pandas(frame, npartitions=4))
    distributed.wait(df)
    pieces = sorted((p for held in handoff.placement(client, df).values() for p in held), key=lambda p: p.index)
    assert [p.index for p in pieces] == [(0,), (1,), (2,), (3,)]
    assert sum(p.shape[0] for p in pieces) == 23 and all(p.shape[1] == 2 for p in pieces)
    assert [p.offset[0] for p in pieces] == list(np.cumsum([0] + [p.shape[0] for p in pieces[:-1]]))

    def first_rows(pieces, blocks, comm):
        assert all(isinstance(b, pd.DataFrame) for b in blocks)
        return [(p.offset[0], float(b["a"].iloc[0])) for p, b in zip(pieces, blocks)]

    results = handoff.run_on_workers(client, df, first_rows)
    assert all(offset == first for held in results.values() for offset, first in held)


@pytest.mark.slow
def test_mpi_on_a_plain_local_cluster_is_refused_with_the_way_to_start_mpi_workers(client, persisted):
    with pytest.raises(
        HandoffError, match=r"the workers are not MPI-capable .* hpclab.cluster.start\(\.\.\., mpi=True\)"
    ):
        handoff.run_on_workers(client, persisted, lambda pieces, blocks, comm: None, mpi=True)


@pytest.mark.slow
def test_an_error_in_the_function_is_raised_to_the_caller(client, persisted):
    def broken(pieces, blocks, comm):
        raise ValueError("bad block")

    with pytest.raises(ValueError, match="bad block"):
        handoff.run_on_workers(client, persisted, broken)


@pytest.mark.slow
def test_write_pieces_runs_on_the_workers_of_a_persisted_array(client, persisted, tmp_path):
    folder = handoff.write_pieces(persisted, tmp_path)
    pieces, blocks = handoff.read_my_share(folder, 0, 1)
    full = np.block([[blocks[2 * i], blocks[2 * i + 1]] for i in range(3)])
    np.testing.assert_array_equal(full, DATA * 2)


# ------------------------------------------------------------------ real dask-mpi under mpiexec


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 6])
def test_dask_mpi_workers_run_allreduce_and_halo_exchange_on_their_own_blocks(n):
    from hpclab import tls

    with tls.credentials() as dask_tls:  # as a job script's dask_tls: the handoff works unchanged over TLS
        result = mpi.run(PROGRAMS / "dask_mpi_handoff.py", n=n, timeout=120, env={**os.environ, **dask_tls})
    assert_handoff_output(result.stdout[1], workers=n - 2)
    assert output_lines(result.stdout[1])["scheduler"].startswith("tls://127.0.0.1:")


# ------------------------------------------------------------------ Slurm, two virtual nodes


@pytest.mark.slurm
@pytest.mark.slow
def test_handoff_runs_under_slurm_across_two_nodes(tmp_path):
    with running_vcluster("handoff") as spec:
        job_id = vcluster.submit(
            spec,
            "tests/handoff_programs/handoff-2nodes.sh",
            cwd=ROOT,
            sbatch_options=[f"--output={tmp_path}/%x-%j.out"],
        )
        job = vcluster.wait(spec, job_id, timeout=240)
        out = job.output()
    assert job.ok, f"handoff job ended {job.state} {job.exit_code}:\n{out[-3000:]}"
    assert_handoff_output(out, workers=3)
    assert output_lines(out)["hosts"] == "node1 node2", out
    assert output_lines(out)["scheduler"].startswith("tls://10.213.83."), out
