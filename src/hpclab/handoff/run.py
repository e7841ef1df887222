"""The in-memory route: :func:`run_on_workers` calls a function on every worker's own blocks.

Each call is pinned to the worker that holds its blocks, so nothing is
copied. With ``mpi=True`` the workers first share a communicator
(:mod:`hpclab.handoff.comms`), then each calls ``func`` in its MPI thread with a
copy of it reordered into chunk order (:func:`comm_order`). A worker lost or
stuck inside MPI can be survived: it is restarted, Dask recomputes the lost
blocks, and the phase runs again (``attempts``).
"""

from __future__ import annotations

import socket
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psutil

from hpclab.handoff.blocks import Piece, is_dataframe, placed, worker_addresses
from hpclab.handoff.comms import build_communicator, one_mpi_phase_at_a_time
from hpclab.handoff.errors import HandoffError, HandoffRetry, HandoffTimeout
from hpclab.handoff.steps import FROZEN_GRACE, AttemptFailed, everywhere, raise_if_failed, worker_status
from hpclab.handoff.worker import call_on_worker, drop_kept, exit_soon, step_call, step_keep, take_kept


def comm_order(pieces: Mapping[str, Sequence[Piece]], world_ranks: Mapping[str, int]) -> list[str]:
    """Workers in communicator rank order: by the chunk-order position of the first piece each holds;
    workers holding nothing come last, by their world rank (or by their address when ranks tie)."""
    # Block indices sort in chunk order (C order over the grid; partition order for dataframes).
    first = {address: min(p.index for p in held) for address, held in pieces.items() if held}
    holding = sorted(first, key=lambda address: first[address])
    empty = sorted((a for a in pieces if a not in first), key=lambda a: (world_ranks.get(a, 0), a))
    return holding + empty


def _mpi_attempt(
    client,
    collection,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    recompute: bool,
    keep: list[str] | None = None,
) -> dict[str, Any]:
    """One try of the MPI phase: placement, communicator (built or reused), func on every worker.

    With ``keep`` (a list), func's blocks stay on the workers under a new token, appended to it.
    """
    from distributed import futures_of, wait  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    if recompute:  # blocks lost with a worker are computed again by Dask, on the workers there are now
        wait(futures_of(collection), timeout=timeout)
    # One call asks every worker about MPI and says who the workers are: the placement and the
    # communicator use its answer instead of asking the scheduler and the workers again.
    status = worker_status(client, None)
    pieces, futures = placed(client, collection, list(status))
    try:
        return _mpi_phase(client, pieces, futures, status, func, args, kwargs, timeout, keep)
    except AttemptFailed as failure:
        failure.where = {a: (s.get("host"), s.get("pid"), s.get("size", 1)) for a, s in status.items()}
        raise


def _mpi_phase(
    client,
    pieces,
    futures,
    status,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    keep: list[str] | None = None,
) -> dict[str, Any]:
    info = build_communicator(client, list(pieces), timeout, status)
    order = comm_order(pieces, {a: s["rank"] for a, s in status.items()})
    extra: tuple = ()
    if keep is not None:
        keep.append(uuid.uuid4().hex)
        extra = (keep[-1],)
    calls = {
        address: (
            info["workers"],
            position,
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
    outcome = everywhere(client, step_keep if keep is not None else step_call, calls, timeout, f"{name} (inside MPI)")
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


def _run_with_mpi(
    client,
    collection,
    func: Callable,
    args: tuple,
    kwargs: dict,
    timeout: float | None,
    attempts: int,
    keep: list[str] | None = None,
) -> dict[str, Any]:
    failures: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            return _mpi_attempt(client, collection, func, args, kwargs, timeout, attempt > 1, keep)
        except AttemptFailed as failure:
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
    ``func`` returns. MPI runs in a thread of its own on each worker, so busy
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
        with one_mpi_phase_at_a_time(client, timeout):
            return _run_with_mpi(client, collection, func, tuple(args), dict(kwargs or {}), timeout, attempts)
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
    stays in the memory of the worker that computed it: the MPI step sends back only each block's
    shape and dtype, then a task pinned to that worker takes the block as its result. The array you
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
    import dask.array as da  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask
    from distributed import wait  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    if attempts < 1:
        raise HandoffError(f"attempts={attempts!r}: need at least 1 attempt")
    if is_dataframe(collection) or not hasattr(collection, "numblocks"):
        raise HandoffError(
            f"run_to_array takes a dask array, got {type(collection).__name__}; for a dataframe use "
            "run_on_workers and build the result with dd.from_delayed"
        )
    tokens: list[str] = []
    try:
        with one_mpi_phase_at_a_time(client, timeout):
            made = _run_with_mpi(client, collection, func, tuple(args), dict(kwargs or {}), timeout, attempts, tokens)
    except BaseException:
        client.run(drop_kept, tokens, on_error="return")
        raise
    if tokens[:-1]:  # blocks a failed attempt left on workers that survived it
        client.run(drop_kept, tokens[:-1], on_error="return")
    token = tokens[-1]
    holder = {tuple(index): address for address, blocks in made.items() for index, _, _ in blocks}
    shapes = {tuple(index): tuple(shape) for blocks in made.values() for index, shape, _ in blocks}
    dtypes = {dtype for blocks in made.values() for _, _, dtype in blocks}
    if len(dtypes) > 1:
        client.run(drop_kept, [token], on_error="return")
        raise HandoffError(
            f"the blocks that came back mix dtypes {sorted(dtypes)}: return the same dtype from every block"
        )
    chunks = _grid_chunks(shapes, tuple(collection.numblocks))
    prefix = name or f"{getattr(func, '__name__', 'mpi')}-{token[:8]}"
    futures = {
        index: client.submit(
            take_kept,
            token,
            index,
            key=(prefix, *index),
            workers=[address],
            allow_other_workers=False,
            pure=False,
        )
        for index, address in holder.items()
    }
    wait(list(futures.values()), timeout=timeout)
    return da.Array(
        {(prefix, *index): future for index, future in futures.items()},
        prefix,
        chunks,
        dtype=next(iter(dtypes)) if dtypes else collection.dtype,
    )
