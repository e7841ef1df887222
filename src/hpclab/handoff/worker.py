"""The worker side of the in-memory route: what runs inside each Dask worker.

The client sends these functions to the workers (``client.run`` on a
worker's event loop, or ``client.submit`` as a task); they must be importable
there, so they live in a module of their own with nothing of the client side.

MPI runs in one thread of its own on each worker (see :class:`WorkerMPI`),
never in Dask's task threads, and is never initialised here: a worker is an
MPI process only if it was started as one (dask-mpi, ``mpiexec -n 1``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpclab.handoff.blocks import Piece
from hpclab.handoff.errors import PERSIST_HINT, HandoffError

MPI_LAUNCH_ENV_VARS = ("PMI_FD", "PMI_PORT", "PMI_RANK", "PMIX_NAMESPACE", "PMIX_RANK")  # set by a launcher
STATE_ATTRIBUTE = "_hpclab_mpi"  # attribute of the Dask worker object holding its MPI state (a WorkerMPI)


@dataclass
class WorkerMPI:
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
    kept: dict = field(default_factory=dict)  # call token -> {block index: result block}, until handed to Dask
    stuck: str | None = None
    build: str | None = None  # which build made the communicator in ``comms`` (the same on all its workers)
    aborted: deque = field(default_factory=lambda: deque(maxlen=64))  # phases the client called off
    abandoned: list = field(default_factory=list)  # barriers of called-off phases: never complete, never freed


@dataclass(frozen=True)
class Phase:
    """One MPI phase as a worker sees it: the workers' communicator (``key``, made by ``build``),
    the phase's ``token`` and this worker's ``position`` in chunk order."""

    key: tuple[str, ...]
    build: str
    token: str
    position: int


class PhaseCalledOff(HandoffError):
    """A partner could not take part (it said so before any MPI call), and the client called the phase off."""


def _worker_state(dask_worker) -> WorkerMPI:
    state = getattr(dask_worker, STATE_ATTRIBUTE, None)
    if state is None:
        state = WorkerMPI(ThreadPoolExecutor(1, thread_name_prefix="hpclab-mpi"))
        setattr(dask_worker, STATE_ATTRIBUTE, state)
    return state


def mpi_status(dask_worker=None) -> dict[str, Any]:
    """Runs on a worker: is this process an initialized MPI rank, how was it launched, what does it hold?

    Never initializes MPI itself (a bare singleton could not connect anyway):
    it looks for an ``mpi4py.MPI`` that is already imported.
    """
    module = sys.modules.get("mpi4py.MPI")
    if module is None or not module.Is_initialized() or module.Is_finalized():
        return {"mpi": False}
    world = module.COMM_WORLD
    state = getattr(dask_worker, STATE_ATTRIBUTE, None)
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
        "build": state.build if state else None,
        "stuck": state.stuck if state else None,
    }


async def in_mpi_thread(
    step: Callable, args_by_worker: Mapping[str, tuple], timeout: float | None, what: str, dask_worker=None
) -> tuple[str, Any]:
    """Runs on a worker (``client.run``, on its event loop): do ``step`` in the worker's MPI thread.

    Returns ``("ok", value)``, ``("error", exception)``, ``("stuck", what)``
    when ``step`` did not return within ``timeout`` seconds (it stays blocked;
    the worker is marked stuck), or ``("refused", why)`` when this worker cannot take
    part in a phase (:func:`step_call`) or the phase was called off: then no MPI call was made.
    """
    args = args_by_worker[dask_worker.address]
    state = _worker_state(dask_worker)
    if state.stuck:
        return ("stuck", state.stuck)
    if step in (step_call, step_keep):  # the blocks are read here, on the event loop, which owns dask_worker.data
        phase, func, pieces, keys, fargs, fkwargs, *more = args
        if phase.key not in state.comms or state.build != phase.build:
            return ("refused", f"worker {dask_worker.address} no longer has the communicator {phase.build}")
        try:
            args = (phase, func, pieces, [dask_worker.data[k] for k in keys], fargs, fkwargs, *more)
        except KeyError as missing:
            return (
                "error",
                HandoffError(f"worker {dask_worker.address} no longer holds block {missing}; {PERSIST_HINT}"),
            )
    loop = asyncio.get_running_loop()
    running = loop.run_in_executor(state.executor, step, dask_worker, state, *args)
    try:
        value = await asyncio.wait_for(asyncio.shield(running), timeout)
    except TimeoutError:
        state.stuck = f"{what}, for more than {timeout:g} s"
        return ("stuck", state.stuck)
    except PhaseCalledOff as off:
        return ("refused", str(off))
    except Exception as exc:  # the function's own error, sent back to the caller
        return ("error", exc)
    if step is step_keep:  # back on the event loop, which owns the worker's data: hand the blocks to Dask
        value = _hand_to_dask(dask_worker, state, args[0].token, args[-1], value)
    return ("ok", value)


def call_off(token: str, dask_worker=None) -> None:
    """Runs on a worker's event loop: the client calls phase ``token`` off (a partner refused or is gone).

    Recorded even before the phase's step arrives here: messages to one worker may overtake each other.
    """
    _worker_state(dask_worker).aborted.append(token)


def _all_arrived(state: WorkerMPI, comm: Any, phase: Phase) -> None:
    """Wait, inside MPI, until every worker of the phase has arrived (a non-blocking barrier, polled).

    A worker that cannot take part says so before any MPI call, and the client then calls the
    phase off: no worker passes this barrier, none enters a collective its partner never
    reaches, and each goes back to Dask free (the communicator, with its barrier pending, is
    dropped). Raises :class:`PhaseCalledOff`.
    """
    if phase.token in state.aborted:
        raise PhaseCalledOff(f"phase {phase.token[:8]} was called off before it began here")
    request = comm.Ibarrier()
    pause = 0.0
    while not request.Test():
        if phase.token in state.aborted:
            state.abandoned.append(request)  # it never completes; MPI must not be asked to free it
            state.comms.pop(phase.key, None)
            state.build = None
            raise PhaseCalledOff(f"phase {phase.token[:8]} was called off: a partner could not take part")
        time.sleep(pause)  # short: the barrier progresses only while its workers poll it
        pause = min(2 * pause or 1e-5, 1e-4)


def _hand_to_dask(
    dask_worker, state: WorkerMPI, token: str, name: str, made: list[tuple[tuple[int, ...], tuple[int, ...], str]]
) -> list[tuple[tuple[int, ...], tuple[int, ...], str, int]]:
    """The blocks :func:`step_keep` kept become this worker's data under the keys ``(name, *index)``.

    As ``client.scatter`` does from inside a task (``Worker.update_data``): the worker holds
    them now, and the scheduler learns of them only when the client registers them
    (``Scheduler.update_data``) after every worker succeeded. A failed attempt's blocks are
    released again by :func:`drop_kept`. Returns ``(index, shape, dtype, nbytes)`` per block.
    """
    blocks = state.kept.pop(token, {})
    answer = dask_worker.update_data(
        data={(name, *index): block for index, block in blocks.items()}, stimulus_id=f"hpclab-handoff-{token}"
    )
    return [(index, shape, dtype, int(answer["nbytes"][(name, *index)])) for index, shape, dtype in made]


def step_begin(dask_worker, state: WorkerMPI, token: str, open_port: bool) -> str | None:
    """Start building a communicator: this worker alone (a copy of COMM_SELF); open a port if it accepts first."""
    from mpi4py import MPI  # noqa: PLC0415  importing mpi4py.MPI initialises MPI

    state.building[token] = MPI.COMM_SELF.Dup()
    if open_port:
        state.ports[token] = MPI.Open_port()
        return state.ports[token]
    return None


def step_round(dask_worker, state: WorkerMPI, token: str, role: str, port: str | None, open_next: bool) -> str | None:
    """One round of the tree: the group of ``accept`` workers and the group of ``connect`` workers merge.

    Accept/Connect are collective over each group's communicator (the port
    matters on the group's first rank only); the accepting group gets the low
    ranks, so ranks keep the order of the workers' key.
    """
    from mpi4py import MPI  # noqa: PLC0415  importing mpi4py.MPI initialises MPI

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


def step_finish(dask_worker, state: WorkerMPI, token: str, key: tuple[str, ...]) -> int:
    """Keep the communicator just grown as the one of the workers ``key``; return this worker's rank in it."""
    # Communicators over an older set of workers are dropped, not freed: a dead partner could hang MPI_Comm_free.
    state.comms = {key: state.building.pop(token)}
    state.build = token
    return state.comms[key].Get_rank()


def step_world(dask_worker, state: WorkerMPI, key: tuple[str, ...], ranks: list[int], tag: int, build: str) -> int:
    """Under dask-mpi: the communicator of exactly the workers, from MPI_COMM_WORLD (collective over them)."""
    from mpi4py import MPI  # noqa: PLC0415  importing mpi4py.MPI initialises MPI

    world = MPI.COMM_WORLD
    group = world.Get_group().Incl(ranks)
    try:
        comm = world.Create_group(group, tag)
    finally:
        group.Free()
    state.comms = {key: comm}
    state.build = build
    return comm.Get_rank()


def step_call(
    dask_worker,
    state: WorkerMPI,
    phase: Phase,
    func: Callable,
    pieces: list[Piece],
    blocks: list[Any],
    args: tuple,
    kwargs: dict,
) -> Any:
    """Once every worker has arrived, reorder the workers' communicator into chunk order (Split),
    call func on the local blocks, free the copy."""
    workers = state.comms[phase.key]
    _all_arrived(state, workers, phase)
    comm = workers.Split(0, phase.position)
    try:
        return func(pieces, blocks, comm, *args, **kwargs)
    finally:
        comm.Free()


def step_keep(
    dask_worker,
    state: WorkerMPI,
    phase: Phase,
    func: Callable,
    pieces: list[Piece],
    blocks: list[Any],
    args: tuple,
    kwargs: dict,
    name: str,
) -> list[tuple[tuple[int, ...], tuple[int, ...], str]]:
    """Like :func:`step_call`, but func returns one block per piece, and the blocks stay here.

    They wait in ``state.kept[token]`` until the worker's event loop makes them its data under
    the keys ``(name, *index)`` (:func:`in_mpi_thread`); only each block's index, shape, dtype
    (and size) go back to the client.
    """
    result = step_call(dask_worker, state, phase, func, pieces, blocks, args, kwargs)
    if not isinstance(result, (list, tuple)) or len(result) != len(pieces):
        got = f"a {type(result).__name__} of {len(result)}" if isinstance(result, (list, tuple)) else repr(type(result))
        raise HandoffError(
            f"{getattr(func, '__name__', 'func')} must return a list with one block per piece it was given "
            f"({len(pieces)} on worker {dask_worker.address}), in the same order; it returned {got}"
        )
    kept = {piece.index: np.asarray(block) for piece, block in zip(pieces, result)}
    state.kept[phase.token] = kept
    return [(index, tuple(int(n) for n in block.shape), block.dtype.str) for index, block in kept.items()]


def drop_kept(tokens: list[str], keys: list[Any], dask_worker=None) -> int:
    """Runs on a worker's event loop: forget the blocks of failed (or refused) attempts.

    Blocks still waiting in ``state.kept`` under ``tokens`` are dropped; those already made
    the worker's data under ``keys`` (that the scheduler never registered) are released.
    Returns how many were dropped.
    """
    from distributed.worker_state_machine import FreeKeysEvent  # noqa: PLC0415  the disk route's MPI ranks import this package without distributed

    state = getattr(dask_worker, STATE_ATTRIBUTE, None)
    dropped = 0 if state is None else sum(len(state.kept.pop(token, {})) for token in tokens)
    held = [key for key in keys if key in dask_worker.state.tasks]
    if held:
        dask_worker.handle_stimulus(FreeKeysEvent(keys=held, stimulus_id=f"hpclab-handoff-drop-{time.time()}"))
    return dropped + len(held)


def exit_soon(dask_worker=None) -> int:
    """Runs on a worker's event loop: leave in a moment (its MPI thread is stuck; the worker is restarted)."""
    asyncio.get_running_loop().call_later(0.2, os._exit, 0)
    return os.getpid()


def call_on_worker(func: Callable, pieces: list[Piece], blocks: list[Any], args: tuple, kwargs: dict) -> Any:
    """Runs on one worker as a task (mpi=False): call func on the local blocks."""
    return func(pieces, list(blocks), None, *args, **kwargs)
