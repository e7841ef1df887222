"""Hand data prepared by Dask to MPI code, without copying it between machines.

Dask is good at loading, cleaning and reshaping data; some algorithms (a
stencil, a solver, legacy MPI code) need MPI's tight coupling. Two routes
connect them:

* **In memory** (:func:`placement`, :func:`run_on_workers`): under
  ``dask-mpi`` every Dask worker *is* an MPI rank, so a function sent to a
  worker can call MPI on the blocks that already sit in that worker's memory.
  Nothing is copied: each call is pinned to the worker that holds its blocks.
* **On disk** (:func:`write_pieces`, :func:`read_my_share`): Dask writes one
  ``.npy`` file per block plus ``index.json``; any MPI program (started later,
  with any number of ranks) reads its contiguous share back.

The order of blocks is always *chunk order*: C order over the chunk grid
(block (0, 0), (0, 1), ..., (1, 0), ...), partition order for dataframes.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

from hpclab.errors import HpclabError

INDEX_FILE = "index.json"
_PERSIST_HINT = "persist it first: x = client.persist(x); distributed.wait(x)"


class HandoffError(HpclabError, RuntimeError):
    """The collection or the cluster cannot be handed over as asked; the message says what to do."""


@dataclass(frozen=True)
class Piece:
    """One block of an array (or partition of a dataframe), as seen by the worker holding it.

    ``index`` is the block's position in the chunk grid (``(partition,)`` for a
    dataframe); ``offset`` is the global position of its first element (for a
    dataframe: ``(first row, 0)``, or ``(first row,)`` for a series); ``shape``
    is the block's shape; ``key`` is the Dask key as a string.
    """

    index: tuple[int, ...]
    offset: tuple[int, ...]
    shape: tuple[int, ...]
    key: str


# --------------------------------------------------------------- placement


def _is_dataframe(collection: Any) -> bool:
    return hasattr(collection, "npartitions") and not hasattr(collection, "chunks")


def _key_index(key: Any) -> tuple[int, ...]:
    """The block index at the end of a Dask key ('name', i, j) -> (i, j)."""
    if isinstance(key, tuple) and len(key) > 1 and all(isinstance(k, int) for k in key[1:]):
        return tuple(int(k) for k in key[1:])
    raise HandoffError(f"cannot read a block index from the Dask key {key!r}; is this a dask array or dataframe?")


def _futures_by_index(collection: Any) -> dict[tuple[int, ...], Any]:
    """The persisted collection's futures keyed by block index; HandoffError unless all are finished."""
    from distributed import futures_of

    if not (hasattr(collection, "chunks") or _is_dataframe(collection)):
        raise HandoffError(
            f"expected a dask array or dask dataframe, got {type(collection).__name__}; "
            "wrap other data in da.from_array(...) or dd.from_pandas(...)"
        )
    futures = futures_of(collection)
    expected = _n_blocks(collection)
    if not futures or len(futures) != expected:
        raise HandoffError(
            f"the collection is not persisted on the cluster ({len(futures)} of {expected} blocks "
            f"are held by workers); {_PERSIST_HINT}"
        )
    by_index = {_key_index(f.key): f for f in futures}
    pending = [f for f in futures if f.status != "finished"]
    if pending:
        failed = [f for f in pending if f.status == "error"]
        if failed:
            raise HandoffError(f"computing block {failed[0].key!r} failed: {failed[0].exception()!r}")
        raise HandoffError(
            f"{len(pending)} of {len(futures)} blocks are still being computed; wait for them: "
            "distributed.wait(x) after x = client.persist(x)"
        )
    return by_index


def _n_blocks(collection: Any) -> int:
    if _is_dataframe(collection):
        return int(collection.npartitions)
    return int(np.prod(collection.numblocks, dtype=int))


def _array_pieces(collection: Any, futures: Mapping[tuple[int, ...], Any]) -> list[tuple[Piece, Any]]:
    starts = [list(accumulate(c, initial=0)) for c in collection.chunks]
    pieces = []
    for index in np.ndindex(*collection.numblocks):
        index = tuple(int(i) for i in index)
        future = futures[index]
        piece = Piece(
            index=index,
            offset=tuple(starts[d][i] for d, i in enumerate(index)),
            shape=tuple(collection.chunks[d][i] for d, i in enumerate(index)),
            key=str(future.key),
        )
        pieces.append((piece, future))
    return pieces


def _dataframe_pieces(
    client, futures: Mapping[tuple[int, ...], Any], holder: Mapping[tuple[int, ...], str]
) -> list[tuple[Piece, Any]]:
    """Partition shapes are not known ahead: ask each holder for its partitions' shapes (no data moves)."""
    order = sorted(futures)
    shape_futures = [
        client.submit(
            lambda part: tuple(int(s) for s in part.shape),
            futures[index],
            workers=[holder[index]],
            allow_other_workers=False,
            pure=False,
        )
        for index in order
    ]
    shapes = client.gather(shape_futures)
    rows = list(accumulate((s[0] for s in shapes), initial=0))
    pieces = []
    for position, (index, shape) in enumerate(zip(order, shapes)):
        offset = (rows[position],) + (0,) * (len(shape) - 1)
        pieces.append((Piece(index=index, offset=offset, shape=shape, key=str(futures[index].key)), futures[index]))
    return pieces


def _workers(client) -> list[str]:
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def _placed(client, collection) -> tuple[dict[str, list[Piece]], dict[str, list[Any]]]:
    """Pieces and their futures per worker, in chunk order; every worker present."""
    futures = _futures_by_index(collection)
    who_has = client.who_has(list(futures.values()))
    holder: dict[tuple[int, ...], str] = {}
    for index, future in futures.items():
        holders = who_has.get(future.key) or who_has.get(str(future.key)) or ()
        if not holders:
            raise HandoffError(
                f"no worker holds block {index} any more (a worker died, or the data were released); {_PERSIST_HINT}"
            )
        holder[index] = sorted(holders)[0]  # a replicated block counts once, on a fixed worker
    if _is_dataframe(collection):
        ordered = _dataframe_pieces(client, futures, holder)
    else:
        ordered = _array_pieces(collection, futures)
    pieces: dict[str, list[Piece]] = {address: [] for address in _workers(client)}
    blocks: dict[str, list[Any]] = {address: [] for address in pieces}
    for piece, future in ordered:
        address = holder[piece.index]
        pieces.setdefault(address, []).append(piece)
        blocks.setdefault(address, []).append(future)
    return pieces, blocks


def placement(client, collection) -> dict[str, list[Piece]]:
    """Which worker holds which piece of a *persisted* collection, pieces in chunk order.

    Every worker of the cluster appears, with ``[]`` if it holds nothing.
    Raises :class:`HandoffError` if the collection is not persisted or not yet
    computed.
    """
    return _placed(client, collection)[0]


# ------------------------------------------------------------ in memory

MPI_LAUNCH_ENV_VARS = ("PMI_FD", "PMI_PORT", "PMI_RANK", "PMIX_NAMESPACE", "PMIX_RANK")  # set by a launcher
_STATE = "_hpclab_mpi"  # attribute of the Dask worker object holding its MPI state (see _WorkerMPI)


class HandoffTimeout(HandoffError, TimeoutError):
    """The MPI phase did not finish within the timeout (a worker is stuck in a collective)."""


@dataclass
class _WorkerMPI:
    """One worker's MPI side: a thread of its own for MPI calls, and the communicators it belongs to.

    MPI runs in this one thread, never in Dask's task threads: a worker with
    one thread, busy with other tasks, still takes part in building a
    communicator at once, and its event loop (heartbeats) stays free.
    ``stuck`` says what that thread is blocked in after a timeout: such a
    worker cannot take part in MPI any more and must be restarted.
    """

    executor: Any
    comms: dict = field(default_factory=dict)  # workers key -> communicator of exactly those workers
    building: dict = field(default_factory=dict)  # build token -> communicator grown so far
    ports: dict = field(default_factory=dict)  # build token -> port this worker opened
    stuck: str | None = None


def _worker_state(dask_worker) -> _WorkerMPI:
    state = getattr(dask_worker, _STATE, None)
    if state is None:
        from concurrent.futures import ThreadPoolExecutor

        state = _WorkerMPI(ThreadPoolExecutor(1, thread_name_prefix="hpclab-mpi"))
        setattr(dask_worker, _STATE, state)
    return state


def _mpi_status(dask_worker=None) -> dict[str, Any]:
    """Runs on a worker: is this process an initialized MPI rank, how was it launched, what does it hold?

    Never initializes MPI itself (a bare singleton could not connect anyway).
    """
    import os
    import sys

    module = sys.modules.get("mpi4py.MPI")
    if module is None or not module.Is_initialized() or module.Is_finalized():
        return {"mpi": False}
    world = module.COMM_WORLD
    state = getattr(dask_worker, _STATE, None)
    import socket

    return {
        "mpi": True,
        "size": world.Get_size(),
        "rank": world.Get_rank(),
        "thread": module.Query_thread(),
        "multiple": module.THREAD_MULTIPLE,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "launched": any(name in os.environ for name in MPI_LAUNCH_ENV_VARS),
        "comms": sorted(state.comms) if state else [],
        "stuck": state.stuck if state else None,
    }


async def _in_mpi_thread(
    step: Callable, args_by_worker: Mapping[str, tuple], timeout: float | None, what: str, dask_worker=None
) -> tuple[str, Any]:
    """Runs on a worker (``client.run``, on its event loop): do ``step`` in the worker's MPI thread.

    Returns ``("ok", value)``, ``("error", exception)`` or ``("stuck", what)``
    when ``step`` did not return within ``timeout`` seconds (it stays blocked;
    the worker is marked stuck).
    """
    import asyncio

    args = args_by_worker[dask_worker.address]
    state = _worker_state(dask_worker)
    if state.stuck:
        return ("stuck", state.stuck)
    if step is _step_call:  # the blocks are read here, on the worker's event loop, which owns dask_worker.data
        key, position, func, pieces, keys, fargs, fkwargs = args
        try:
            args = (key, position, func, pieces, [dask_worker.data[k] for k in keys], fargs, fkwargs)
        except KeyError as missing:
            return (
                "error",
                HandoffError(f"worker {dask_worker.address} no longer holds block {missing}; {_PERSIST_HINT}"),
            )
    loop = asyncio.get_running_loop()
    running = loop.run_in_executor(state.executor, step, dask_worker, state, *args)
    try:
        return ("ok", await asyncio.wait_for(asyncio.shield(running), timeout))
    except TimeoutError:
        state.stuck = f"{what}, for more than {timeout:g} s"
        return ("stuck", state.stuck)
    except Exception as exc:  # the function's own error, sent back to the caller
        return ("error", exc)


def _step_begin(dask_worker, state: _WorkerMPI, token: str, open_port: bool) -> str | None:
    from mpi4py import MPI

    state.building[token] = MPI.COMM_SELF.Dup()
    if open_port:
        state.ports[token] = MPI.Open_port()
        return state.ports[token]
    return None


def _step_round(dask_worker, state: _WorkerMPI, token: str, role: str, port: str | None, open_next: bool) -> str | None:
    """One round of the tree: the group of ``accept`` workers and the group of ``connect`` workers merge.

    Accept/Connect are collective over each group's communicator (the port
    matters on the group's first rank only); the accepting group gets the low
    ranks, so ranks keep the order of the workers' key.
    """
    from mpi4py import MPI

    comm = state.building[token]
    if role in ("accept", "connect"):
        if role == "accept":
            inter = comm.Accept(port if comm.Get_rank() == 0 else None, root=0)
        else:
            inter = comm.Connect(port if comm.Get_rank() == 0 else None, root=0)
        merged = inter.Merge(high=(role == "connect"))
        inter.Free()
        comm.Free()
        state.building[token] = merged
        if token in state.ports:
            MPI.Close_port(state.ports.pop(token))
    if open_next:
        state.ports[token] = MPI.Open_port()
        return state.ports[token]
    return None


def _step_finish(dask_worker, state: _WorkerMPI, token: str, key: tuple[str, ...]) -> int:
    # Communicators over an older set of workers are dropped, not freed: a dead partner could hang MPI_Comm_free.
    state.comms = {key: state.building.pop(token)}
    return state.comms[key].Get_rank()


def _step_world(dask_worker, state: _WorkerMPI, key: tuple[str, ...], ranks: list[int], tag: int) -> int:
    """Under dask-mpi: the communicator of exactly the workers, from MPI_COMM_WORLD (collective over them)."""
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    group = world.Get_group().Incl(ranks)
    try:
        comm = world.Create_group(group, tag)
    finally:
        group.Free()
    state.comms = {key: comm}
    return comm.Get_rank()


def _step_call(
    dask_worker,
    state: _WorkerMPI,
    key: tuple[str, ...],
    position: int,
    func: Callable,
    pieces: list[Piece],
    blocks: list[Any],
    args: tuple,
    kwargs: dict,
) -> Any:
    """Reorder the workers' communicator into chunk order (Split), call func on the local blocks, free it."""
    comm = state.comms[key].Split(0, position)
    try:
        return func(pieces, blocks, comm, *args, **kwargs)
    finally:
        comm.Free()


def _exit_soon(dask_worker=None) -> int:
    """Runs on a worker's event loop: leave in a moment (its MPI thread is stuck; the worker is restarted)."""
    import asyncio
    import os

    asyncio.get_running_loop().call_later(0.2, os._exit, 0)
    return os.getpid()


@dataclass
class _Outcome:
    """What one MPI step did on every worker it ran on."""

    ok: dict[str, Any]
    errors: dict[str, BaseException]
    stuck: dict[str, str]
    lost: dict[str, BaseException]  # the worker could not be reached or died during the step
    frozen: set = field(default_factory=set)  # stuck workers whose event loop does not answer either


FROZEN_GRACE = 10.0  # seconds past the timeout before a worker that does not answer at all counts as frozen


async def _run_each(
    client, step: Callable, args_by_worker: Mapping[str, tuple], timeout: float | None, what: str
) -> dict[str, Any]:
    """``client.run`` on each worker separately, so one that never answers cannot hold up the others."""
    import asyncio

    calls = {
        address: asyncio.ensure_future(
            client._run(_in_mpi_thread, step, {address: args}, timeout, what, workers=[address], on_error="return")
        )
        for address, args in args_by_worker.items()
    }
    done, pending = await asyncio.wait(
        list(calls.values()), timeout=None if timeout is None else timeout + FROZEN_GRACE
    )
    results: dict[str, Any] = {}
    for address, call in calls.items():
        if call in pending:
            call.cancel()
            results[address] = (
                "frozen",
                f"{what}, and not answering at all: its event loop is blocked "
                "(an MPI call that holds the GIL, e.g. a pickle-based comm.allreduce)",
            )
        elif call.exception() is not None:
            results[address] = call.exception()
        else:
            results[address] = call.result().get(address, OSError("no answer"))
    return results


def _everywhere(
    client, step: Callable, args_by_worker: Mapping[str, tuple], timeout: float | None, what: str
) -> _Outcome:
    results = client.sync(_run_each, client, step, dict(args_by_worker), timeout, what)
    outcome = _Outcome({}, {}, {}, {})
    for address in args_by_worker:
        result = results[address]
        if isinstance(result, BaseException):
            outcome.lost[address] = result
        elif result[0] == "ok":
            outcome.ok[address] = result[1]
        elif result[0] == "error":
            outcome.errors[address] = result[1]
        else:
            outcome.stuck[address] = result[1]
            if result[0] == "frozen":
                outcome.frozen.add(address)
    return outcome


class _AttemptFailed(HandoffError):
    """One attempt of the MPI phase failed; ``outcome`` says where, ``retry`` whether another may succeed."""

    def __init__(self, message: str, outcome: _Outcome, retry: bool):
        super().__init__(message)
        self.outcome = outcome
        self.retry = retry


def _check(outcome: _Outcome, what: str) -> None:
    """Raise _AttemptFailed unless the step worked on every worker."""
    if outcome.lost or outcome.stuck:
        # A worker that raised while its partners wait inside a collective is func's own error: no retry.
        retry = bool(outcome.lost) or not outcome.errors
        parts = [f"worker {a} was lost ({type(e).__name__}: {e})" for a, e in outcome.lost.items()]
        parts += [f"worker {a} is stuck in {s}" for a, s in outcome.stuck.items()]
        parts += [f"worker {a} raised {e!r}" for a, e in outcome.errors.items()]
        raise _AttemptFailed(f"{what}: " + "; ".join(parts), outcome, retry=retry)
    if outcome.errors:
        address, error = next(iter(outcome.errors.items()))
        raise _AttemptFailed(f"{what}: worker {address} raised {error!r}", outcome, retry=False)


def _mpi_mode(status: Mapping[str, Mapping[str, Any]]) -> str:
    """'world' (dask-mpi: ranks of one job) or 'connect' (each worker its own launched MPI job); else HandoffError."""
    not_mpi = sorted(address for address, s in status.items() if not s["mpi"])
    if not_mpi:
        raise HandoffError(
            f"the workers are not MPI-capable ({len(not_mpi)} of {len(status)} have no MPI, e.g. {not_mpi[0]}): "
            "mpi=True needs workers that are MPI processes: start the cluster with "
            "hpclab.cluster.start(..., mpi=True), give dask-jobqueue hpclab.mpiworker.jobqueue_options(), or "
            "start the workers with dask-mpi inside one MPI job. Otherwise use mpi=False, or the disk route "
            "(write_pieces / read_my_share)."
        )
    low = sorted(address for address, s in status.items() if s["thread"] < s["multiple"])
    if low:
        raise HandoffError(
            f"MPI on worker {low[0]} was initialized without MPI_THREAD_MULTIPLE, but the handoff calls MPI "
            "from a thread of its own. Do not lower mpi4py.rc.thread_level (its default is 'multiple'), or use "
            "an MPI library built with thread support."
        )
    sizes = {s["size"] for s in status.values()}
    ranks = [s["rank"] for s in status.values()]
    if sizes == {1} and all(s["launched"] for s in status.values()):
        return "connect"
    if len(sizes) == 1 and sizes != {1} and len(set(ranks)) == len(ranks):
        return "world"
    if sizes == {1}:
        bare = sorted(address for address, s in status.items() if not s["launched"])
        raise HandoffError(
            f"worker {bare[0]} initialized MPI without a launcher (a singleton), and MPICH cannot connect "
            "singletons to each other: start each worker under `mpiexec -n 1` or `srun --mpi=pmi2 -n 1` "
            "(hpclab.cluster.start(..., mpi=True) and hpclab.mpiworker.jobqueue_options() do)."
        )
    raise HandoffError(
        "the workers are not MPI ranks of one job: they report COMM_WORLD sizes "
        f"{sorted(sizes)} and ranks {sorted(ranks)} (one job has one size and distinct ranks; independent "
        "workers have size 1 each). Start all workers with dask-mpi in a single mpiexec/srun, or all as "
        "one-process MPI jobs (hpclab.cluster.start(..., mpi=True))."
    )


def tree_rounds(n: int) -> list[list[tuple[int, int]]]:
    """The pairs of groups merged in each round when ``n`` workers grow one communicator: ceil(log2 n) rounds.

    Round r merges neighbouring groups of up to 2**r workers; each pair is
    ``(first worker of the accepting group, first worker of the connecting
    group)`` as positions in the workers' order, so the merged ranks keep that order.
    """
    groups = [[i] for i in range(n)]
    rounds = []
    while len(groups) > 1:
        rounds.append([(groups[i][0], groups[i + 1][0]) for i in range(0, len(groups) - 1, 2)])
        groups = [sum(groups[i : i + 2], []) for i in range(0, len(groups), 2)]
    return rounds


def _grow_communicator(client, key: tuple[str, ...], timeout: float | None) -> int:
    """Join independent MPI workers (``key``, in order) into one communicator in ceil(log2 n) rounds.

    Each round every worker takes part in at most one Accept or Connect, all
    at the same moment (in their MPI threads); the client passes the port names
    from one round's acceptors to the next round's connectors. Returns the rounds.
    """
    token = uuid.uuid4().hex
    n = len(key)
    rounds = tree_rounds(n)
    group_of = list(range(n))  # position -> first position of its group

    def acceptors(r: int) -> set[int]:
        return {a for a, _ in rounds[r]} if r < len(rounds) else set()

    outcome = _everywhere(
        client, _step_begin, {a: (token, i in acceptors(0)) for i, a in enumerate(key)}, timeout, "opening MPI ports"
    )
    _check(outcome, "building the communicator")
    ports = {i: outcome.ok[key[i]] for i in acceptors(0)}
    for r, pairs in enumerate(rounds):
        role = ["idle"] * n
        port_of = [None] * n
        for accept, connect in pairs:
            for i in range(n):
                if group_of[i] == accept:
                    role[i], port_of[i] = "accept", ports[accept]
                elif group_of[i] == connect:
                    role[i], port_of[i] = "connect", ports[accept]
        for accept, connect in pairs:
            group_of = [accept if g == connect else g for g in group_of]
        following = acceptors(r + 1)
        outcome = _everywhere(
            client,
            _step_round,
            {a: (token, role[i], port_of[i], i in following) for i, a in enumerate(key)},
            timeout,
            f"round {r + 1} of {len(rounds)} of building the communicator",
        )
        _check(outcome, "building the communicator")
        ports = {i: outcome.ok[key[i]] for i in following}
    outcome = _everywhere(client, _step_finish, {a: (token, key) for a in key}, timeout, "building the communicator")
    _check(outcome, "building the communicator")
    if [outcome.ok[a] for a in key] != list(range(n)):
        raise HandoffError(f"the communicator came out in the wrong order: {outcome.ok} (expected {list(key)})")
    return len(rounds)


MPI_PHASE_LOCK = "hpclab-handoff-mpi-phase"  # a scheduler-side lock: one MPI phase at a time per cluster


@contextlib.contextmanager
def _one_mpi_phase_at_a_time(client, timeout: float | None) -> Iterator[None]:
    """Hold the cluster's MPI lock: two MPI phases at once would interleave their collectives.

    Each worker runs its MPI calls one after another in its own MPI thread; two
    calls running together (two threads of a notebook, two notebooks on one
    dask-mpi cluster) reach the workers in different orders, and a collective
    of one then waits for partners that are inside the other: a deadlock. The
    lock lives on the scheduler, so it holds across clients; a client that dies
    holding it loses it when its lease ends.
    """
    from distributed import Lock

    lock = Lock(MPI_PHASE_LOCK, scheduler_rpc=client.scheduler, loop=client.loop)
    if not lock.acquire(timeout=timeout):
        raise HandoffTimeout(
            f"another MPI phase (run_on_workers(..., mpi=True) or communicator()) held this cluster's "
            f"workers for more than {timeout} s: wait for it to finish, or give a longer timeout"
        )
    try:
        yield
    finally:
        lock.release()


def communicator(client, workers: Sequence[str] | None = None, *, timeout: float | None = None) -> dict[str, Any]:
    """Make sure ``workers`` (default: all) share one MPI communicator; reuse it while they stay the same.

    Under dask-mpi it comes from MPI_COMM_WORLD (``Create_group``); with
    independent MPI workers (``cluster.start(mpi=True)``, jobqueue) it is grown
    with ``Open_port``/``Accept``/``Connect``/``Merge`` in ceil(log2 n) rounds
    (:func:`tree_rounds`). Returns ``{"mode", "workers", "built", "rounds", "seconds"}``.
    Waits (up to ``timeout``) while another MPI phase runs on the cluster.
    """
    try:
        with _one_mpi_phase_at_a_time(client, timeout):
            return _communicator(client, workers, timeout)
    except _AttemptFailed as failure:
        kind = HandoffTimeout if failure.outcome.stuck else HandoffError
        raise kind(f"{failure}; a stuck worker must be restarted (run_on_workers(..., attempts=2) does)") from None


def _communicator(client, workers: Sequence[str] | None, timeout: float | None) -> dict[str, Any]:
    import time

    key = tuple(sorted(workers if workers is not None else _workers(client)))
    status = _status(client, key)
    mode = _mpi_mode(status)
    begun = time.perf_counter()
    if all(key in {tuple(k) for k in s["comms"]} for s in status.values()):
        return {"mode": mode, "workers": key, "built": False, "rounds": 0, "seconds": 0.0}
    if mode == "world":
        tag = uuid.uuid4().int % 30_000  # Create_group tags must stay below MPI_TAG_UB (>= 32767)
        ranks = [status[a]["rank"] for a in key]
        outcome = _everywhere(
            client,
            _step_world,
            {a: (key, ranks, tag) for a in key},
            timeout,
            "building the communicator from MPI_COMM_WORLD",
        )
        _check(outcome, "building the communicator")
        rounds = 1
    else:
        rounds = _grow_communicator(client, key, timeout)
    return {"mode": mode, "workers": key, "built": True, "rounds": rounds, "seconds": time.perf_counter() - begun}


def _status(client, workers: Sequence[str]) -> dict[str, dict[str, Any]]:
    status = client.run(_mpi_status, workers=list(workers), on_error="return")
    lost = {a: s for a, s in status.items() if isinstance(s, BaseException)}
    missing = [a for a in workers if a not in status]
    if lost or missing:
        outcome = _Outcome({}, {}, {}, {**lost, **{a: OSError("no answer") for a in missing}})
        _check(outcome, "asking the workers about MPI")
    stuck = {a: s["stuck"] for a, s in status.items() if s.get("stuck")}
    if stuck:
        _check(_Outcome({}, {}, stuck, {}), "before the MPI phase")
    return status


def comm_order(pieces: Mapping[str, Sequence[Piece]], world_ranks: Mapping[str, int]) -> list[str]:
    """Workers in communicator rank order: by the chunk-order position of the first piece each holds;
    workers holding nothing come last, by their world rank (or by their address when ranks tie)."""
    # Block indices sort in chunk order (C order over the grid; partition order for dataframes).
    first = {address: min(p.index for p in held) for address, held in pieces.items() if held}
    holding = sorted(first, key=first.get)
    empty = sorted((a for a in pieces if a not in first), key=lambda a: (world_ranks.get(a, 0), a))
    return holding + empty


def _call_on_worker(func: Callable, pieces: list[Piece], blocks: list[Any], args: tuple, kwargs: dict) -> Any:
    """Runs on one worker as a task (mpi=False): call func on the local blocks."""
    return func(pieces, list(blocks), None, *args, **kwargs)


def _mpi_attempt(
    client, collection, func: Callable, args: tuple, kwargs: dict, timeout: float | None, recompute: bool
) -> dict[str, Any]:
    """One try of the MPI phase: placement, communicator (built or reused), func on every worker."""
    from distributed import futures_of, wait

    if recompute:  # blocks lost with a worker are computed again by Dask, on the workers there are now
        wait(futures_of(collection), timeout=timeout)
    pieces, futures = _placed(client, collection)
    status = _status(client, list(pieces))
    try:
        return _mpi_phase(client, pieces, futures, status, func, args, kwargs, timeout)
    except _AttemptFailed as failure:
        failure.where = {a: (s.get("host"), s.get("pid"), s.get("size", 1)) for a, s in status.items()}
        raise


def _mpi_phase(
    client, pieces, futures, status, func: Callable, args: tuple, kwargs: dict, timeout: float | None
) -> dict[str, Any]:
    info = _communicator(client, list(pieces), timeout)
    order = comm_order(pieces, {a: s["rank"] for a, s in status.items()})
    calls = {
        address: (
            info["workers"],
            position,
            func,
            pieces[address],
            [f.key for f in futures[address]],
            tuple(args),
            dict(kwargs),
        )
        for position, address in enumerate(order)
    }
    name = getattr(func, "__name__", "func")
    outcome = _everywhere(client, _step_call, calls, timeout, f"{name} (inside MPI)")
    _check(outcome, f"calling {name}")
    return {address: outcome.ok[address] for address in order}


def _restart_stuck(client, failure: _AttemptFailed, timeout: float | None) -> list[str]:
    """Restart the workers whose MPI thread is stuck, and wait until the scheduler has seen them go.

    A worker whose event loop still answers is asked to exit; a frozen one
    (an MPI call holding the GIL) is killed by its pid, which works for
    workers on this machine; others are named in the error.
    """
    import socket
    import time

    stuck = sorted(failure.outcome.stuck)
    if not stuck:
        return []
    where = getattr(failure, "where", {})
    if any((where.get(a) or (None, None, 1))[2] > 1 for a in stuck):
        raise HandoffError(
            "a worker is stuck inside MPI and is a rank of one MPI_COMM_WORLD (dask-mpi): a rank "
            "cannot be restarted on its own, and MPICH ends the whole job when one rank dies. "
            f"What failed: {failure}. Start the job again (or use independent MPI workers: "
            "hpclab.cluster.start(..., mpi=True) or hpclab.mpiworker.jobqueue_options())."
        )
    answering = [a for a in stuck if a not in failure.outcome.frozen]
    if answering:
        client.run(_exit_soon, workers=answering, on_error="return")
    here = socket.gethostname()
    for address in failure.outcome.frozen:
        host, pid, _ = where.get(address, (None, None, 1))
        if host != here or not pid:
            raise HandoffError(
                f"worker {address} is frozen inside MPI on {host} and cannot be stopped from "
                f"here: stop it (pid {pid}) or its job. What failed: {failure}"
            )
        import psutil

        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
    deadline = time.monotonic() + (timeout or 60) + FROZEN_GRACE
    while set(stuck) & set(_workers(client)) and time.monotonic() < deadline:
        time.sleep(0.1)
    _await_replacements(client, len(where) or len(stuck), deadline)
    return stuck


def _await_replacements(client, n: int, deadline: float) -> None:
    """Workers that restart themselves (:class:`hpclab.mpiworker.MPIWorker`): wait until ``n`` are back.

    Otherwise the next attempt would run on whichever came back first. Other
    clusters (dask-jobqueue) do not replace lost workers by themselves.
    """
    import time

    from hpclab.mpiworker import MPIWorker

    specs = getattr(getattr(client, "cluster", None), "workers", None) or {}
    if not any(isinstance(w, MPIWorker) for w in specs.values()):
        return
    while len(_workers(client)) < min(n, len(specs)) and time.monotonic() < deadline:
        time.sleep(0.1)


def run_on_workers(
    client,
    collection,
    func: Callable,
    *,
    mpi: bool = False,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    attempts: int = 1,
) -> dict[str, Any]:
    """Call ``func(pieces, blocks, comm, *args, **kwargs)`` once on every worker; return ``{address: result}``.

    ``pieces``/``blocks`` are the worker's own :class:`Piece` descriptions and
    data (NumPy arrays, or pandas objects for dataframes) in chunk order. Each
    call runs on the worker that holds its blocks, so no data moves between
    workers. Workers holding nothing are called too, with empty lists, so
    collective MPI calls inside ``func`` cannot deadlock.

    ``comm`` is None unless ``mpi=True``; then ``comm`` is a communicator of
    exactly the workers, in the order of :func:`comm_order`: comm rank 0 holds
    the first block in chunk order, rank 1 the first block not on rank 0, ...;
    workers with no blocks get the last ranks. The same ``func`` works on every
    kind of MPI-capable cluster: dask-mpi, ``hpclab.cluster.start(mpi=True)``,
    jobqueue workers with :func:`hpclab.mpiworker.jobqueue_options`. The
    workers' communicator (see :func:`communicator`) is built once and reused
    until the set of workers changes; ``comm`` is a reordered copy, freed when
    ``func`` returns. MPI runs in a thread of its own on each worker, so busy
    or one-thread workers take part at once. One MPI phase runs at a time on a
    cluster (a lock on its scheduler): a second call waits, up to ``timeout``.

    ``timeout`` (seconds) bounds each step of the MPI phase on every worker: a
    worker still inside MPI after it (a partner died or raised inside a
    collective) is *stuck*. ``attempts`` > 1 survives lost workers: stuck
    workers are restarted (MPICH cannot release a rank from a collective whose
    partner died; with dask-mpi, whose ranks share one MPI_COMM_WORLD, nothing
    can be restarted), Dask recomputes the blocks that were lost, a
    communicator is built over the workers there are then and ``func`` runs
    again. An exception raised by ``func`` itself is raised here at once.
    After ``attempts`` failures, :class:`HandoffError` (or
    :class:`HandoffTimeout`) says what failed each time.
    """
    if attempts < 1:
        raise HandoffError(f"attempts={attempts!r}: need at least 1 attempt")
    if mpi:
        with _one_mpi_phase_at_a_time(client, timeout):
            return _run_with_mpi(client, collection, func, tuple(args), dict(kwargs or {}), timeout, attempts)
    pieces, futures = _placed(client, collection)
    order = list(pieces)
    name = getattr(func, "__name__", "func")
    token = uuid.uuid4().hex
    calls = {
        address: client.submit(
            _call_on_worker,
            func,
            pieces[address],
            futures[address],
            tuple(args),
            dict(kwargs or {}),
            key=f"handoff-{name}-{token}-{n}",
            workers=[address],
            allow_other_workers=False,
            pure=False,
        )
        for n, address in enumerate(order)
    }
    from distributed import as_completed

    try:
        for finished in as_completed(list(calls.values()), timeout=timeout):
            if finished.status == "error":
                break  # gather raises it now
    except TimeoutError:
        stuck = sum(1 for f in calls.values() if not f.done())
        raise HandoffTimeout(
            f"run_on_workers: {stuck} of {len(calls)} calls of {name} did not finish within {timeout:g} s"
        ) from None
    results = client.gather(list(calls.values()))
    return dict(zip(calls, results))


def _run_with_mpi(
    client, collection, func: Callable, args: tuple, kwargs: dict, timeout: float | None, attempts: int
) -> dict[str, Any]:
    import warnings

    failures: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            return _mpi_attempt(client, collection, func, args, kwargs, timeout, recompute=attempt > 1)
        except _AttemptFailed as failure:
            # A stuck worker can never take part in MPI again: restart it now, whatever happens next.
            restarted = _restart_stuck(client, failure, timeout)
            if not failure.retry:  # func's own error (no worker lost): trying again would fail the same way
                raise next(iter(failure.outcome.errors.values())) from None
            note = f"; restarted the stuck workers {', '.join(restarted)}" if restarted else ""
            failures.append(f"{failure}{note}")
            if attempt < attempts:
                warnings.warn(
                    HandoffRetry(
                        f"run_on_workers attempt {attempt} of {attempts} failed: {failure}{note}; "
                        "trying again on the workers there are now"
                    ),
                    stacklevel=3,
                )
        except TimeoutError as exc:  # waiting for lost blocks to be computed again
            failures.append(f"the lost blocks were not computed again within {timeout} s ({exc})")
            break
    history = "\n".join(f"  attempt {n}: {text}" for n, text in enumerate(failures, 1))
    kind = HandoffTimeout if any(" is stuck in " in f for f in failures) else HandoffError
    raise kind(
        f"run_on_workers({getattr(func, '__name__', 'func')}, mpi=True) failed after "
        f"{len(failures)} of {attempts} attempt(s):\n{history}\n"
        "A stuck worker waited in an MPI call that a partner never reached (the partner died or raised "
        "inside func); with attempts=2 or more a lost worker is survived."
    )


class HandoffRetry(UserWarning):
    """An attempt of the MPI phase failed (a worker was lost or stuck); run_on_workers tries again."""


# ---------------------------------------------------------------- on disk


def _write_block(block: np.ndarray, path: str) -> str:
    np.save(path, np.asarray(block), allow_pickle=False)
    return path


def write_pieces(collection, folder: str | Path) -> Path:
    """Write each block of a dask array to ``folder`` as ``block-i-j.npy`` plus an ``index.json``.

    The blocks are written by the workers in parallel (or by the local
    scheduler). ``index.json`` records shape, dtype, chunks and, for every
    block in chunk order, its index, offset, shape, key and file name.
    Returns the folder.
    """
    import dask

    if _is_dataframe(collection):
        raise HandoffError(
            "write_pieces writes dask arrays; turn the dataframe into one first: "
            "df.to_dask_array(lengths=True) (numeric columns only)"
        )
    if not hasattr(collection, "chunks") or not hasattr(collection, "to_delayed"):
        raise HandoffError(f"write_pieces expects a dask array, got {type(collection).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / INDEX_FILE).exists():
        (folder / INDEX_FILE).unlink()  # a half-written folder must never look complete
    for old in folder.glob("block-*.npy"):
        old.unlink()
    starts = [list(accumulate(c, initial=0)) for c in collection.chunks]
    delayed_blocks = collection.to_delayed()
    keys = collection.__dask_keys__()
    entries, writes = [], []
    for index in np.ndindex(*collection.numblocks):
        index = tuple(int(i) for i in index)
        name = "block-" + "-".join(map(str, index)) + ".npy" if index else "block.npy"
        key = keys
        for i in index:
            key = key[i]
        writes.append(dask.delayed(_write_block)(delayed_blocks[index], str(folder / name)))
        entries.append(
            {
                "index": list(index),
                "offset": [starts[d][i] for d, i in enumerate(index)],
                "shape": [collection.chunks[d][i] for d, i in enumerate(index)],
                "key": str(key),
                "file": name,
            }
        )
    dask.compute(*writes)
    meta = {
        "shape": [int(s) for s in collection.shape],
        "dtype": np.dtype(collection.dtype).str,
        "chunks": [list(map(int, c)) for c in collection.chunks],
        "blocks": entries,
    }
    (folder / INDEX_FILE).write_text(json.dumps(meta, indent=1))
    return folder


def read_index(folder: str | Path) -> dict[str, Any]:
    """The ``index.json`` that :func:`write_pieces` wrote, with a clear error if it is missing."""
    path = Path(folder) / INDEX_FILE
    if not path.is_file():
        raise HandoffError(
            f"{path} does not exist: write the blocks first with hpclab.handoff.write_pieces(x, {str(folder)!r}) "
            "(and let it finish: index.json is written last)"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise HandoffError(f"{path} is not valid JSON ({exc}); write the blocks again with write_pieces") from None


def share(n_blocks: int, rank: int, size: int) -> range:
    """The block numbers (chunk order) rank ``rank`` of ``size`` reads: a contiguous, even split."""
    if size < 1 or not 0 <= rank < size:
        raise HandoffError(f"rank {rank} of size {size} is impossible: need size >= 1 and 0 <= rank < size")
    base, extra = divmod(n_blocks, size)
    start = rank * base + min(rank, extra)
    return range(start, start + base + (1 if rank < extra else 0))


def read_my_share(folder: str | Path, rank: int, size: int) -> tuple[list[Piece], list[np.ndarray]]:
    """The pieces and blocks rank ``rank`` of ``size`` should read from a :func:`write_pieces` folder.

    Blocks are split contiguously in chunk order (the first ranks get one
    more when they do not divide evenly); a rank may get none.
    """
    meta = read_index(folder)
    pieces, blocks = [], []
    for number in share(len(meta["blocks"]), rank, size):
        entry = meta["blocks"][number]
        path = Path(folder) / entry["file"]
        if not path.is_file():
            raise HandoffError(
                f"{path} is listed in {INDEX_FILE} but missing; write the blocks again with write_pieces"
            )
        block = np.load(path, allow_pickle=False)
        pieces.append(
            Piece(
                index=tuple(entry["index"]),
                offset=tuple(entry["offset"]),
                shape=tuple(entry["shape"]),
                key=entry["key"],
            )
        )
        blocks.append(block)
    return pieces, blocks
