"""The in-memory route: :func:`run_on_workers` calls a function on every worker's own blocks.

Each call is pinned to the worker that holds its blocks, so nothing is
copied. With ``mpi=True`` the workers first share a communicator
(:mod:`hpclab.handoff.comms`), then each calls ``func`` in its MPI thread with a
copy of it reordered into chunk order (:func:`comm_order`). A worker lost or
stuck inside MPI can be survived: it is restarted, Dask recomputes the lost
blocks, and the phase runs again (``attempts``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psutil

from hpclab.handoff.blocks import Piece, is_dataframe, placed, worker_addresses
from hpclab.handoff.comms import LAST_PHASE, PhaseWorkers, build_communicator, one_mpi_phase_at_a_time
from hpclab.handoff.errors import HandoffError, HandoffRetry, HandoffTimeout
from hpclab.handoff.steps import FROZEN_GRACE, AttemptFailed, everywhere, raise_if_failed, worker_status
from hpclab.handoff.worker import Phase, call_on_worker, drop_kept, exit_soon, step_call, step_keep


def comm_order(pieces: Mapping[str, Sequence[Piece]], world_ranks: Mapping[str, int]) -> list[str]:
    """Workers in communicator rank order: by the chunk-order position of the first piece each holds;
    workers holding nothing come last, by their world rank (or by their address when ranks tie)."""
    # Block indices sort in chunk order (C order over the grid; partition order for dataframes).
    first = {address: min(p.index for p in held) for address, held in pieces.items() if held}
    holding = sorted(first, key=lambda address: first[address])
    empty = sorted((a for a in pieces if a not in first), key=lambda a: (world_ranks.get(a, 0), a))
    return holding + empty


def _look_up(client, collection) -> concurrent.futures.Future:
    """Ask the scheduler, without waiting for the answer, who holds each block and which workers there are.

    Started before the MPI lock is taken, so both round trips overlap the lock's; neither
    answer depends on the lock (it orders MPI calls, not where Dask keeps blocks).
    """
    from distributed import futures_of  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    keys = [f.key for f in futures_of(collection)]

    async def ask() -> tuple[dict, list[str]]:
        who_has, nthreads = await asyncio.gather(client.scheduler.who_has(keys=keys), client.scheduler.ncores())
        return who_has, sorted(nthreads)

    return asyncio.run_coroutine_threadsafe(ask(), client.loop.asyncio_loop)


def _mpi_attempt(
    client,
    collection,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    recompute: bool,
    keep: Kept | None = None,
    looked: concurrent.futures.Future | None = None,
) -> dict[str, Any]:
    """One try of the MPI phase: placement, communicator (built or reused), func on every worker.

    With ``keep``, func's blocks stay on the workers, as their data under new keys (see :class:`Kept`).
    ``looked``: :func:`_look_up`'s answer, asked before the lock was taken.

    When the workers are those of this client's last phase that worked, the phase goes to them
    at once: each checks it still holds that communicator, and if one does not, the phase is
    called off before any MPI call (:func:`hpclab.handoff.worker.step_call`) and runs the long
    way: every worker asked about MPI, the communicator built (or reused) over the workers there are.
    """
    from distributed import futures_of, wait  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    if recompute:  # blocks lost with a worker are computed again by Dask, on the workers there are now
        wait(futures_of(collection), timeout=timeout)
        looked = None
    who_has, workers = (looked or _look_up(client, collection)).result(timeout)
    last = LAST_PHASE.pop(client, None)  # put back only by a phase that works
    if last is not None and set(workers) == set(last.key):
        pieces, futures = placed(client, collection, workers, who_has)
        if set(pieces) == set(last.key):
            try:
                made = _mpi_phase(client, pieces, futures, last, func, args, kwargs, timeout, keep)
            except AttemptFailed as failure:
                failed = failure.outcome
                if failed.refused and not (failed.ok or failed.errors or failed.stuck or failed.lost):
                    pass  # nothing ran anywhere: the long way below
                else:
                    failure.where = _where(last.status)
                    raise
            else:
                LAST_PHASE[client] = last
                return made
    # One call asks every worker about MPI and says who the workers are: the placement and the
    # communicator use its answer instead of asking the scheduler and the workers again.
    status = worker_status(client, None)
    pieces, futures = placed(client, collection, list(status), who_has if set(status) == set(workers) else None)
    try:
        info = build_communicator(client, list(pieces), timeout, status)
        workers_now = PhaseWorkers(info["workers"], info["build"], status)
        made = _mpi_phase(client, pieces, futures, workers_now, func, args, kwargs, timeout, keep)
    except AttemptFailed as failure:
        failure.where = _where(status)
        raise
    LAST_PHASE[client] = workers_now
    return made


def _where(status: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[Any, Any, Any]]:
    return {a: (s.get("host"), s.get("pid"), s.get("size", 1)) for a, s in status.items()}


def _mpi_phase(
    client,
    pieces,
    futures,
    workers: PhaseWorkers,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    keep: Kept | None = None,
) -> dict[str, Any]:
    """func on every worker of the communicator ``workers``, in chunk order; AttemptFailed if a worker failed."""
    order = comm_order(pieces, {a: s["rank"] for a, s in workers.status.items()})
    token = uuid.uuid4().hex
    extra: tuple = ()
    if keep is not None:
        name = keep.name or f"{getattr(func, '__name__', 'mpi')}-{token[:8]}"
        keep.attempts.append((token, [(name, *p.index) for held in pieces.values() for p in held]))
        extra = (name,)
    calls = {
        address: (
            Phase(workers.key, workers.build, token, position),
            func,
            pieces[address],
            [f.key for f in futures[address]],
            tuple(args),
            dict(kwargs),
            *extra,
        )
        for position, address in enumerate(order)
    }
    name = getattr(func, "__name__", "func")
    step = step_keep if keep is not None else step_call
    outcome = everywhere(client, step, calls, timeout, f"{name} (inside MPI)", phase=token)
    raise_if_failed(outcome, f"calling {name}")
    return {address: outcome.ok[address] for address in order}


def _restart_stuck(client, failure: AttemptFailed, timeout: float | None) -> list[str]:
    """Restart the workers whose MPI thread is stuck, and wait until the scheduler has seen them go.

    A worker whose event loop still answers is asked to exit; a frozen one
    (an MPI call holding the GIL) is killed by its pid, which works for
    workers on this machine; others are named in the error.
    """
    stuck = sorted(failure.outcome.stuck)
    if not stuck:
        return []
    where = failure.where
    if any((where.get(a) or (None, None, 1))[2] > 1 for a in stuck):
        raise HandoffError(
            "a worker is stuck inside MPI and is a rank of one MPI_COMM_WORLD (dask-mpi): a rank "
            "cannot be restarted on its own, and MPICH ends the whole job when one rank dies. "
            f"What failed: {failure}. Start the job again (or use independent MPI workers: "
            "hpclab.cluster.start(..., mpi=True) or hpclab.mpiworker.jobqueue_options())."
        )
    answering = [a for a in stuck if a not in failure.outcome.frozen]
    if answering:
        client.run(exit_soon, workers=answering, on_error="return")
    here = socket.gethostname()
    for address in failure.outcome.frozen:
        host, pid, _ = where.get(address, (None, None, 1))
        if host != here or not pid:
            raise HandoffError(
                f"worker {address} is frozen inside MPI on {host} and cannot be stopped from "
                f"here: stop it (pid {pid}) or its job. What failed: {failure}"
            )
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
    deadline = time.monotonic() + (timeout or 60) + FROZEN_GRACE
    while set(stuck) & set(worker_addresses(client)) and time.monotonic() < deadline:
        time.sleep(0.1)
    _await_replacements(client, len(where) or len(stuck), deadline)
    return stuck


def _await_replacements(client, n: int, deadline: float) -> None:
    """Workers that restart themselves (:class:`hpclab.mpiworker.MPIWorker`): wait until ``n`` are back.

    Otherwise the next attempt would run on whichever came back first. Other
    clusters (dask-jobqueue) do not replace lost workers by themselves.
    """
    from hpclab.mpiworker import MPIWorker  # noqa: PLC0415  it imports distributed: MPI ranks of the disk route import hpclab.handoff without Dask

    specs = getattr(getattr(client, "cluster", None), "workers", None) or {}
    if not any(isinstance(w, MPIWorker) for w in specs.values()):
        return
    while len(worker_addresses(client)) < min(n, len(specs)) and time.monotonic() < deadline:
        time.sleep(0.1)


@dataclass
class Kept:
    """What :func:`run_to_array` keeps on the workers: each attempt's token and the keys of its blocks.

    ``name`` is the result's name in Dask keys (None: one made from func's name and the token).
    """

    name: str | None
    attempts: list[tuple[str, list[tuple]]] = field(default_factory=list)

    def drop(self, client, attempts: list[tuple[str, list[tuple]]] | None = None) -> None:
        """Release, on every worker, the blocks of these attempts (default: all) that no array holds."""
        chosen = self.attempts if attempts is None else attempts
        if chosen:
            tokens = [token for token, _ in chosen]
            keys = [key for _, keys in chosen for key in keys]
            # Bounded: a worker frozen inside MPI (not even its event loop answers) must not hold this up.
            with contextlib.suppress(TimeoutError):
                client.sync(client._run, drop_kept, tokens, keys, on_error="return", callback_timeout=FROZEN_GRACE)


def _run_with_mpi(
    client,
    collection,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    attempts: int,
    keep: Kept | None = None,
    looked: concurrent.futures.Future | None = None,
) -> dict[str, Any]:
    failures: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            return _mpi_attempt(client, collection, func, args, kwargs, timeout, attempt > 1, keep, looked)
        except AttemptFailed as failure:
            # A stuck worker can never take part in MPI again: restart it now, whatever happens next.
            restarted = _restart_stuck(client, failure, timeout)
            if keep is not None:  # before the next attempt, which may use the same keys
                keep.drop(client, keep.attempts[-1:])
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
        f"{getattr(func, '__name__', 'func')} on the workers, inside MPI, failed after "
        f"{len(failures)} of {attempts} attempt(s):\n{history}\n"
        "A stuck worker waited in an MPI call that a partner never reached (the partner died or raised "
        "inside func); with attempts=2 or more a lost worker is survived."
    )


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
    ``func`` returns. A phase starts with a barrier inside MPI: a worker that
    cannot take part (it lost the communicator or a block) says so before any
    MPI call, the others leave the barrier, and nobody waits in a collective
    for it. MPI runs in a thread of its own on each worker, so busy
    or one-thread workers take part at once. One MPI phase runs at a time on a
    cluster (a lock on its scheduler): a second call waits, up to ``timeout``.

    ``attempts`` > 1 survives lost workers: stuck workers are restarted (MPICH
    cannot release a rank from a collective whose partner died; with dask-mpi,
    whose ranks share one MPI_COMM_WORLD, nothing can be restarted), Dask
    recomputes the blocks that were lost, a communicator is built over the
    workers there are then and ``func`` runs again. An exception raised by
    ``func`` itself is raised here at once.

    Parameters
    ----------
    client : distributed.Client
        The client of the cluster holding the collection.
    collection : dask array or dask dataframe
        A collection persisted on that cluster, every block computed.
    func : callable
        ``func(pieces, blocks, comm, *args, **kwargs)``, called once per worker.
    mpi : bool, default False
        Give ``func`` an MPI communicator of the workers (they must be MPI
        processes: dask-mpi, ``cluster.start(mpi=True)``, jobqueue with
        ``mpiworker.jobqueue_options()``); else ``comm`` is None.
    args : sequence, optional
        Extra positional arguments for ``func``.
    kwargs : mapping, optional
        Extra keyword arguments for ``func``.
    timeout : float, optional
        Seconds: bounds each step of the MPI phase on every worker (a worker
        still inside MPI after it is *stuck*: a partner died or raised inside a
        collective), the wait for another MPI phase, and with ``mpi=False`` the
        whole call (default: no limit).
    attempts : int, default 1
        How many times to try the MPI phase when workers are lost or stuck.

    Returns
    -------
    dict of str to object
        ``{worker address: what func returned there}``; with ``mpi=True`` in
        communicator rank order.

    Raises
    ------
    HandoffError
        The collection is not persisted or computed, the workers cannot do MPI,
        ``attempts`` < 1, or every attempt failed (the message lists each).
    HandoffTimeout
        A call did not finish within ``timeout`` (a worker stuck in MPI, or
        another MPI phase held the cluster too long).
    Exception
        Whatever ``func`` itself raised, at once.
    """
    if attempts < 1:
        raise HandoffError(f"attempts={attempts!r}: need at least 1 attempt")
    if mpi:
        looked = _look_up(client, collection)
        with one_mpi_phase_at_a_time(client, timeout):
            return _run_with_mpi(
                client, collection, func, tuple(args), dict(kwargs or {}), timeout, attempts, None, looked
            )
    from distributed import as_completed  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    pieces, futures = placed(client, collection)
    order = list(pieces)
    name = getattr(func, "__name__", "func")
    token = uuid.uuid4().hex
    calls = {
        address: client.submit(
            call_on_worker,
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


def _grid_chunks(shapes: Mapping[tuple[int, ...], tuple[int, ...]], numblocks: tuple[int, ...]) -> tuple:
    """The chunks of the array whose block ``index`` has shape ``shapes[index]``; HandoffError unless a grid."""
    chunks: list[list[int | None]] = [[None] * n for n in numblocks]
    for index, shape in sorted(shapes.items()):
        if len(shape) != len(numblocks):
            raise HandoffError(
                f"block {index} came back with {len(shape)} dimension(s), the input has {len(numblocks)}: "
                "return one block per piece with the input's number of dimensions"
            )
        for d, (i, n) in enumerate(zip(index, shape)):
            if chunks[d][i] is None:
                chunks[d][i] = n
            elif chunks[d][i] != n:
                raise HandoffError(
                    f"the blocks that came back do not tile an array: along axis {d}, block {index} is {n} long "
                    f"and another block of the same row or column {chunks[d][i]}; blocks in one row of the grid "
                    "must have the same height, in one column the same width"
                )
    return tuple(tuple(int(n or 0) for n in axis) for axis in chunks)


def run_to_array(
    client,
    collection,
    func: Callable,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    attempts: int = 1,
    name: str | None = None,
):
    """Run ``func`` inside MPI on every worker's blocks, and get its result blocks back as a dask array
    that stays where they were computed.

    :func:`run_on_workers` brings what ``func`` returns to the client: right for a small answer, a
    copy through one process for a result the size of the input. Here ``func(pieces, blocks, comm,
    *args, **kwargs)`` returns one block per piece it was given (in the same order), and each block
    stays in the memory of the worker that computed it: the worker makes it its data (as
    ``client.scatter`` does), the MPI step sends back only each block's shape, dtype and size, and
    the client registers the blocks with the scheduler once every worker succeeded. The array you
    get is persisted (every block already computed) and lazy to use: a reduction, ``to_zarr`` or a
    coarsened view run on the workers like any Dask computation, and nothing is gathered until you
    ``compute()`` something small.

    Parameters
    ----------
    client : distributed.Client
        The client of an MPI-capable cluster (dask-mpi, ``hpclab.cluster.start(mpi=True)``,
        jobqueue with ``hpclab.mpiworker.jobqueue_options()``).
    collection : dask array
        A dask array persisted on that cluster, every block computed.
    func : callable
        ``func(pieces, blocks, comm, *args, **kwargs) -> list of arrays``, called once per worker
        with a communicator of the workers in chunk order (as :func:`run_on_workers` with
        ``mpi=True``). Block ``i`` of the list is the result for ``pieces[i]``; results may change
        the blocks' shapes as long as they still tile an array (a row of the grid keeps one height).
    args, kwargs : optional
        Extra arguments for ``func``.
    timeout : float, optional
        Seconds each step of the MPI phase may take on a worker (see :func:`run_on_workers`).
    attempts : int, default 1
        Tries of the MPI phase when workers are lost or stuck. Blocks kept by a failed attempt are
        dropped: the array holds only the last attempt's.
    name : str, optional
        The new array's name in Dask keys (default: derived from ``func``'s name, made unique).

    Returns
    -------
    dask.array.Array
        The result, its chunks from the blocks' shapes, each block held by the worker that computed it.

    Raises
    ------
    HandoffError
        ``collection`` is not a persisted dask array, ``func`` did not return one block per piece,
        the blocks do not tile an array or mix dtypes, or every attempt failed.
    HandoffTimeout
        A worker was stuck inside MPI past ``timeout``.
    """
    if attempts < 1:
        raise HandoffError(f"attempts={attempts!r}: need at least 1 attempt")
    if is_dataframe(collection) or not hasattr(collection, "numblocks"):
        raise HandoffError(
            f"run_to_array takes a dask array, got {type(collection).__name__}; for a dataframe use "
            "run_on_workers and build the result with dd.from_delayed"
        )
    import dask.array as da  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    kept = Kept(name)
    try:
        looked = _look_up(client, collection)
        with one_mpi_phase_at_a_time(client, timeout):
            made = _run_with_mpi(
                client, collection, func, tuple(args), dict(kwargs or {}), timeout, attempts, kept, looked
            )
            plan = _plan(made, kept.attempts[-1][1], tuple(collection.numblocks), collection.dtype)
            # Registering the blocks is no MPI call: it overlaps the lock's release.
            registering = asyncio.run_coroutine_threadsafe(
                _register(client, plan.who_has, plan.nbytes), client.loop.asyncio_loop
            )
        futures = registering.result()
    except BaseException:
        kept.drop(client)  # every attempt's blocks: no array holds them
        raise
    return da.Array(futures, plan.name, plan.chunks, dtype=plan.dtype)


async def _register(client, who_has: dict[tuple, list[str]], nbytes: dict[tuple, int]) -> dict[tuple, Any]:
    """Tell the scheduler that the workers hold these keys, for this client; futures of them, finished.

    What ``client.scatter`` does after ``Worker.update_data`` (distributed 2026.8), on the client's loop.
    """
    from distributed import Future  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    await client.scheduler.update_data(who_has=who_has, nbytes=nbytes, client=client.id)
    futures: dict[tuple, Any] = {key: Future(key, client) for key in who_has}
    for key in who_has:
        client.futures[key].finish(type=np.ndarray)
    return futures


@dataclass(frozen=True)
class _Plan:
    """The array that the blocks the workers now hold make up: its keys, where each is, its chunks."""

    name: str
    who_has: dict[tuple, list[str]]
    nbytes: dict[tuple, int]
    chunks: tuple
    dtype: Any


def _plan(made: Mapping[str, list], keys: list[tuple], numblocks: tuple[int, ...], dtype: Any) -> _Plan:
    """From each worker's ``(index, shape, dtype, nbytes)`` per block; HandoffError unless they make one array."""
    by_index = {tuple(key[1:]): key for key in keys}
    who_has = {by_index[tuple(index)]: [address] for address, blocks in made.items() for index, *_ in blocks}
    nbytes = {by_index[tuple(index)]: int(n) for blocks in made.values() for index, _, _, n in blocks}
    shapes = {tuple(index): tuple(shape) for blocks in made.values() for index, shape, _, _ in blocks}
    dtypes = {kind for blocks in made.values() for _, _, kind, _ in blocks}
    if len(dtypes) > 1:
        raise HandoffError(
            f"the blocks that came back mix dtypes {sorted(dtypes)}: return the same dtype from every block"
        )
    chunks = _grid_chunks(shapes, numblocks)
    name = keys[0][0] if keys else "empty"
    return _Plan(name, who_has, nbytes, chunks, next(iter(dtypes)) if dtypes else dtype)
