"""Checks for lesson 11-dask-to-mpi: placement, run_on_workers, and MPI on Dask's blocks.

Q3 and Q4 run for real: a dask-mpi job on 5 ranks (scheduler, client, 3
workers) started with :func:`hpclab.mpi.run`. Q4's function travels to that
job with cloudpickle, so the learner can write it in the notebook. Q5 re-implements placement() from futures_of and who_has; Q6 starts
its own cluster of two MPI-capable workers (``hpclab.cluster.start(mpi=True)``).
"""

from __future__ import annotations

import ast
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cloudpickle
import dask.array as da
import distributed
import numpy as np

import hpclab.cluster
from hpclab import handoff, mpi, tls
from hpclab.checks import Question, Wrong, calls_in_source, check, plain, require, source_of
from hpclab.checks.mpicheck import code_only, crash_report, require_any_call, show, validate_program

LESSON = "11-dask-to-mpi"
Q1 = Question(LESSON, "q1", "which worker holds a block", points=1, level=1)
Q2 = Question(LESSON, "q2", "a per-worker sum and count with run_on_workers", points=2, level=2)
Q3 = Question(LESSON, "q3", "the global mean with Allreduce in a dask-mpi job", points=2, level=2)
Q4 = Question(LESSON, "q4", "a halo exchange between neighbouring blocks", points=3, level=3)
Q5 = Question(LESSON, "q5", "placement() by hand, from futures_of and who_has", points=2, level=2)
Q6 = Question(LESSON, "q6", "a weighted sum with MPI on start(mpi=True) workers", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6]
Q6_TIMEOUT = 30.0  # seconds inside MPI before the check calls the function stuck

N_RANKS = 5  # scheduler + client + 3 workers
TIMEOUT = 90.0
MEAN_EXPECTED = float(np.sqrt(np.arange(1, 1001)).mean())  # the data the Q3 program is told to use

# The program Q4's check runs: the learner's function arrives as a cloudpickle file (argv[1]).
_HALO_PROGRAM = r"""
import sys
import tempfile

import numpy as np
from dask_mpi import initialize

initialize(interface="lo", nthreads=1, dashboard=False, local_directory=tempfile.gettempdir())

import cloudpickle
import dask.array as da
import distributed
from hpclab import handoff

with open(sys.argv[1], "rb") as fh:
    smooth = cloudpickle.load(fh)
client = distributed.Client()
client.wait_for_workers(3, timeout=60)
data = np.random.default_rng(7).random(60)
x = client.persist(da.from_array(data, chunks=((8, 12, 5, 9, 14, 12),)))
distributed.wait(x)
owner = {p.index[0]: w for w, held in handoff.placement(client, x).items() for p in held}
crossings = sum(owner[i] != owner[i + 1] for i in range(len(owner) - 1))
results = handoff.run_on_workers(client, x, smooth, mpi=True, timeout=45)
parts = [item for result in results.values() for item in (result or [])]
client.close()
"""


def _reference_smooth(data: np.ndarray) -> np.ndarray:
    padded = np.pad(data, 1, mode="edge")
    return (padded[:-2] + padded[1:-1] + padded[2:]) / 3


def _run_dask_mpi(program: str, name: str, collect: list[str], args: Sequence[str] = ()) -> dict:
    """Run a dask-mpi program on 5 ranks, over TLS as every course cluster; rank 1's collected variables,
    or Wrong with the reason."""
    with tls.credentials() as dask_tls:
        result = mpi.run(
            program,
            N_RANKS,
            timeout=TIMEOUT,
            collect=collect,
            args=list(args),
            check=False,
            env={**os.environ, **dask_tls},
        )
    if result.timed_out:
        raise Wrong(
            f"the dask-mpi job did not finish within {TIMEOUT:g} s and was stopped: a collective that not every "
            "worker reaches (remember: workers with no blocks are called too), or a recv with no matching send?"
        )
    if result.returncode != 0:
        report = crash_report(result)
        if "NotImplementedError" in report:
            raise NotImplementedError(report)  # the blank exercise's placeholder: not attempted yet
        raise Wrong(report)
    values = result.values.get(1)
    if values is None:
        raise Wrong(f"rank 1 (the client) ended without reporting `{collect[0]}`; does `{name}` call sys.exit()?")
    for var in collect:
        if isinstance(values.get(var), str) and values[var] == mpi.NOT_DEFINED:
            raise Wrong(f"`{var}` is not defined at the top level of your program on rank 1 (the client)")
    return values


@check(Q1)
def check_q1(holder, client, x, block) -> str:
    """Check ``holder``: the address of the worker that holds ``block`` of the persisted array ``x``.

    Parameters
    ----------
    holder : str
        A worker address, such as ``'tcp://127.0.0.1:40001'``.
    client : distributed.Client
        The lesson's client; the check asks its scheduler who holds the block.
    x : dask.array.Array
        The persisted array.
    block : tuple of int
        The block's index, such as ``(1, 2)``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(holder, "holder")
    future = next((f for f in distributed.futures_of(x) if tuple(f.key[1:]) == tuple(block)), None)
    if future is None:  # the check's own inputs are wrong, not the learner's answer
        raise Wrong(
            f"the check could not run (not a problem with your answer): block {tuple(block)} is not a "
            "block of a persisted `x`. Run the notebook's cells from the top (they persist `x` on the "
            "cluster), then this cell again"
        )
    truth = sorted(client.who_has([future]).get(future.key, ()))
    if not isinstance(holder, str):
        raise Wrong(f"`holder` should be a worker address (a string like 'tcp://127.0.0.1:40001'), not {show(holder)}")
    if holder not in truth:
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
        if holder not in workers:
            raise Wrong(f"{holder!r} is not a worker of this cluster: pick one of the keys of placement(client, x)")
        raise Wrong(f"{holder} does not hold block {tuple(block)}: look for the Piece whose .index is {tuple(block)}")
    return f"block {tuple(block)} lives on {holder}"


@check(Q2)
def check_q2(local_sum_count, client, x) -> str:
    """Check ``local_sum_count``: the sum and the number of elements of one worker's blocks.

    Called first as for a worker with no blocks, where it must give (0, 0), then on every worker through
    ``handoff.run_on_workers`` and compared with the blocks ``handoff.placement`` reports.

    Parameters
    ----------
    local_sum_count : callable
        Your function: ``local_sum_count(pieces, blocks, comm) -> (float, int)``.
    client : distributed.Client
        The lesson's client.
    x : dask.array.Array
        The persisted array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(local_sum_count, "local_sum_count")
    if not callable(local_sum_count):
        raise Wrong("`local_sum_count` should be a function of (pieces, blocks, comm)")
    empty = local_sum_count([], [], None)  # the blank exercise raises NotImplementedError here
    try:
        empty_sum, empty_count = empty
    except (TypeError, ValueError):
        raise Wrong(f"return a pair (sum, count); for a worker with no blocks you returned {show(empty)}") from None
    if empty_sum != 0 or empty_count != 0:
        raise Wrong(f"a worker with no blocks should return (0, 0), not {show(empty)}")
    results = handoff.run_on_workers(client, x, local_sum_count)
    where = handoff.placement(client, x)
    data = x.compute()
    for address, held in where.items():
        want_sum = float(sum(data[tuple(slice(o, o + s) for o, s in zip(p.offset, p.shape))].sum() for p in held))
        want_count = sum(int(np.prod(p.shape)) for p in held)
        got = results[address]
        try:
            got_sum, got_count = got
        except (TypeError, ValueError):
            raise Wrong(f"worker {address} returned {show(got)}; return a pair (sum, count)") from None
        got_sum = plain(got_sum, float, f"the sum worker {address} returned")
        got_count = plain(got_count, int, f"the count worker {address} returned")
        if got_count != want_count:
            raise Wrong(
                f"worker {address} holds {len(held)} blocks with {want_count} elements, but you counted "
                f"{show(got_count)}: count elements (block.size), not blocks"
            )
        if not np.isclose(float(got_sum), want_sum):
            raise Wrong(f"worker {address} returned the sum {show(got_sum)}, expected {want_sum:.6g}")
    total = sum(float(s) for s, _ in results.values()) / sum(int(c) for _, c in results.values())
    return f"{len(results)} workers; the mean from your pairs is {total:.6g}"


def _require_mean_from_handoff(program: str) -> None:
    """Wrong unless the top-level ``mean`` is computed from what ``run_on_workers`` returned.

    Follows the program's assignments: ``mean`` must depend, through names assigned
    along the way, on the result of a ``run_on_workers(...)`` call, and not come from
    Dask itself (``x.mean().compute()``).
    """

    def top_level(node):  # every node outside function and class bodies
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                yield child
                yield from top_level(child)

    depends: dict[str, set[str]] = {}
    from_handoff: set[str] = set()
    for node in top_level(ast.parse(program)):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            used = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            handed = any(
                isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", None)) == "run_on_workers"
                for n in ast.walk(node.value)
            )
            for name in names:
                depends.setdefault(name, set()).update(used)
                if handed:
                    from_handoff.add(name)
    if "mean" not in depends:
        raise Wrong("`mean_program` never assigns `mean` at the top level: set mean = ... on rank 1")
    seen, todo = set(), ["mean"]
    while todo:
        name = todo.pop()
        if name in from_handoff:
            return
        if name not in seen:
            seen.add(name)
            todo.extend(depends.get(name, ()))
    raise Wrong(
        "`mean` does not come from what handoff.run_on_workers returned: take it from the results of "
        "your MPI function (e.g. next(iter(results.values()))), not from Dask (x.mean().compute())"
    )


@check(Q3)
def check_q3(mean_program) -> str:
    """Check ``mean_program``: a dask-mpi program whose rank 1 ends with the global ``mean`` from Allreduce.

    Looks for an all-reduce, ``handoff.run_on_workers`` with ``mpi=True``, and a top-level ``mean`` that comes from
    what ``run_on_workers`` returned; then runs the program on 5 ranks (scheduler, client, 3 workers) and compares
    ``mean`` with the mean of the data the question names.

    Parameters
    ----------
    mean_program : str
        Your whole dask-mpi program, as a string.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(mean_program, "mean_program")
    require_any_call(program, "mean_program", "Allreduce", "allreduce")
    code = code_only(program)  # comments and strings that mention a name do not count
    for needed, why in (
        ("run_on_workers", "hand the blocks to MPI with handoff.run_on_workers"),
        ("mpi=True", "pass mpi=True so your function gets a communicator"),
    ):
        if needed not in code:
            raise Wrong(f"`mean_program` should {why}")
    _require_mean_from_handoff(program)
    mean = _run_dask_mpi(program, "mean_program", ["mean"])["mean"]
    try:
        value = float(np.asarray(mean).reshape(-1)[0]) if np.size(mean) == 1 else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        raise Wrong(
            f"`mean` should be one number, got {show(mean)}; take one worker's result, e.g. "
            "next(iter(results.values()))"
        )
    if not np.isclose(value, MEAN_EXPECTED):
        raise Wrong(
            f"mean = {value:.6g}, expected {MEAN_EXPECTED:.6g}: Allreduce the sum *and* the count, "
            "then divide (a mean of per-worker means is wrong when workers hold different amounts)"
        )
    return f"mean = {value:.6f}, reduced by MPI across 3 workers"


@check(Q4)
def check_q4(smooth) -> str:
    """Check ``smooth``: a 3-point average of every block, using the edge values of neighbouring blocks.

    Sends your function (with cloudpickle) to a dask-mpi job of 3 workers holding six uneven blocks, and compares
    every returned block with the whole array smoothed (its two ends repeat their edge value).

    Parameters
    ----------
    smooth : callable
        Your function: ``smooth(pieces, blocks, comm) -> list of (int, numpy.ndarray)``, one
        ``(piece.offset[0], smoothed block)`` pair per block the worker holds.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(smooth, "smooth")
    if not callable(smooth):
        raise Wrong("`smooth` should be a function of (pieces, blocks, comm)")
    fd, path = tempfile.mkstemp(suffix=".pkl", prefix="hpclab-smooth-")
    try:
        with os.fdopen(fd, "wb") as fh:
            cloudpickle.dump(smooth, fh)
        values = _run_dask_mpi(_HALO_PROGRAM, "smooth", ["parts", "crossings"], args=[path])
    finally:
        Path(path).unlink(missing_ok=True)
    data = np.random.default_rng(7).random(60)
    want = _reference_smooth(data)
    starts = {0: 8, 8: 12, 20: 5, 25: 9, 34: 14, 48: 12}
    parts = values["parts"]
    try:
        got = {int(offset): np.asarray(block, dtype=float) for offset, block in parts}
    except (TypeError, ValueError):
        raise Wrong("return a list of (offset, smoothed block) pairs, one per block the worker holds") from None
    if sorted(got) != sorted(starts):
        raise Wrong(
            f"the workers returned blocks starting at {sorted(got)}, expected {sorted(starts)}: one pair per "
            "block, with piece.offset[0] as its offset"
        )
    for offset, length in starts.items():
        block, expected = got[offset], want[offset : offset + length]
        if block.shape != expected.shape:
            raise Wrong(f"the block at offset {offset} has shape {block.shape}, expected {expected.shape}")
        if not np.allclose(block[1:-1], expected[1:-1]):
            raise Wrong(f"the inside of the block at offset {offset} is wrong: (left + centre + right) / 3")
        for end, where in ((0, "first"), (-1, "last")):
            if not np.isclose(block[end], expected[end]):
                side = "left (the previous block's last value)" if end == 0 else "right (the next block's first value)"
                raise Wrong(
                    f"the {where} value of the block at offset {offset} is {block[end]:.6g}, expected "
                    f"{expected[end]:.6g}: it needs the {side} neighbour; at the array's ends repeat the "
                    "edge value"
                )
    return (
        f"6 blocks smoothed across {values['crossings']} block edges that lie on different workers "
        "(the values came by MPI)"
    )


def _learner_placement(block_placement, client, collection, what: str) -> dict:
    try:
        got = block_placement(client, collection)
    except KeyError as exc:
        raise Wrong(
            f"block_placement raised KeyError: {exc}. client.who_has returns each block's key as Dask "
            "made it, a tuple such as ('name', 0, 1), not a string: look futures up by future.key itself, "
            "not by str(future.key)"
        ) from None
    if not isinstance(got, dict):
        raise Wrong(
            f"block_placement({what}) returned {show(got)}; return a dict {{worker address: [block index, ...]}}"
        )
    return {address: [tuple(index) for index in indexes] for address, indexes in got.items()}


@check(Q5)
def check_q5(block_placement, client, x) -> str:
    """Check ``block_placement``: ``handoff.placement`` written by hand from ``futures_of`` and ``who_has``.

    Reads the function's source (it must not call ``placement``), compares its result with ``handoff.placement`` for
    ``x``, then tries an array held entirely by one worker: every worker must appear, with [] when it holds no
    block.

    Parameters
    ----------
    block_placement : callable
        Your function, defined with ``def`` in a cell: ``block_placement(client, x) -> dict``, {every worker
        address: [block indexes it holds, in chunk order]}.
    client : distributed.Client
        The lesson's client.
    x : dask.array.Array
        The persisted array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    source = source_of(block_placement, "block_placement")
    calls = calls_in_source(source)
    if "placement" in calls:
        raise Wrong(
            "block_placement calls handoff.placement: write it yourself from distributed.futures_of(x) "
            "and client.who_has(...)"
        )
    missing = sorted({"futures_of", "who_has"} - calls)
    if missing:
        raise Wrong(
            f"block_placement does not call {' or '.join(missing)}: futures_of(x) gives each block's future "
            "(with its key), client.who_has(futures) the workers holding each key"
        )
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    truth = {a: [p.index for p in pieces] for a, pieces in handoff.placement(client, x).items()}
    got = _learner_placement(block_placement, client, x, "client, x")
    if sorted(got) != workers and set(got) < set(workers):
        raise Wrong(
            f"{len(got)} of {len(workers)} workers in your dict: every worker must appear, with [] when it "
            "holds no block (a collective would wait for it forever otherwise)"
        )
    for address, indexes in truth.items():
        mine = got.get(address)
        if mine is None:
            raise Wrong(f"worker {address} is missing from your dict; the keys should be worker addresses")
        if sorted(mine) != sorted(indexes):
            raise Wrong(
                f"worker {address} holds blocks {indexes}, your dict says {mine}: the block index is the key "
                "without its name, future.key[1:]"
            )
        if mine != indexes:
            raise Wrong(f"worker {address}: blocks {mine} are not in chunk order; sort them ({indexes})")
    # One worker holds everything, the other nothing: the empty one must still appear.
    lopsided = client.persist(da.ones((4, 4), chunks=2), workers=[workers[0]])
    distributed.wait(lopsided)
    try:
        got_lopsided = _learner_placement(block_placement, client, lopsided, "an array held by one worker")
    finally:
        del lopsided
    if sorted(got_lopsided) != workers:
        raise Wrong(
            "for an array that one worker holds entirely, your dict has only "
            f"{sorted(got_lopsided)}: every worker must appear, with [] when it holds no block"
        )
    counts = ", ".join(str(len(v)) for v in truth.values())
    return f"the same as handoff.placement: {counts} blocks per worker, every worker listed, in chunk order"


def _q6_data() -> np.ndarray:
    return np.random.default_rng(3).random(50)


@check(Q6)
def check_q6(weighted_sum) -> str:
    """Check ``weighted_sum``: sum(i * x[i]) over the whole array, on every worker, with MPI.

    Starts its own cluster of two MPI-capable workers (``mpi=True``) and runs your function with the blocks spread
    over both workers, then all on one: every worker must return the global weighted sum, and no worker may wait
    inside MPI for more than 30 s.

    Parameters
    ----------
    weighted_sum : callable
        Your function: ``weighted_sum(pieces, blocks, comm) -> float``, where ``i`` is a value's position in the
        whole array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(weighted_sum, "weighted_sum")
    if not callable(weighted_sum):
        raise Wrong("`weighted_sum` should be a function of (pieces, blocks, comm)")
    data = _q6_data()
    want = float((np.arange(data.size) * data).sum())
    unweighted = float(data.sum())
    with hpclab.cluster.client(n_workers=2, threads_per_worker=1, mpi=True, quiet=True) as client:
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
        spread = client.persist(da.from_array(data, chunks=((7, 13, 9, 11, 10),)))
        lopsided = client.persist(da.from_array(data, chunks=10), workers=[workers[-1]])
        distributed.wait([spread, lopsided])
        for layout, x in (("spread over both workers", spread), ("all on one worker", lopsided)):
            try:
                results = handoff.run_on_workers(client, x, weighted_sum, mpi=True, timeout=Q6_TIMEOUT)
            except handoff.HandoffTimeout:
                raise Wrong(
                    f"with the blocks {layout}, a worker waited inside MPI for more than {Q6_TIMEOUT:g} s: "
                    "every worker must reach the same collectives, also one with no blocks"
                ) from None
            values = {a: plain(v, float, f"what worker {a} returned") for a, v in results.items()}
            for address, got in values.items():
                if np.isclose(float(got), want):
                    continue
                if np.isclose(float(got), unweighted):
                    raise Wrong(
                        f"with the blocks {layout}, worker {address} returned the plain sum {got:.6g}: "
                        "weigh each value by its global position i (piece.offset[0] + its place in the block)"
                    )
                parts = {a: float(v) for a, v in values.items()}
                if len(set(parts.values())) > 1 and np.isclose(sum(parts.values()), want):
                    raise Wrong(
                        f"with the blocks {layout}, each worker returned only its own part {parts}: add the "
                        "parts across workers with comm.allreduce (or comm.Allreduce)"
                    )
                raise Wrong(
                    f"with the blocks {layout}, worker {address} returned {got:.6g}, expected {want:.6g}: "
                    "the position of block value k is piece.offset[0] + k"
                )
    return f"sum of i * x[i] = {want:.6f} on every worker, blocks spread or all on one worker"
