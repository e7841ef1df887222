"""The workers' MPI communicator: built once across the workers, reused, one MPI phase at a time.

Two kinds of MPI-capable cluster give the same communicator:

* under ``dask-mpi`` the workers are ranks of one MPI job, and the
  communicator of exactly the workers comes from MPI_COMM_WORLD
  (``Create_group``);
* independent MPI workers (``hpclab.cluster.start(mpi=True)``, dask-jobqueue
  with ``hpclab.mpiworker.jobqueue_options()``) are one-process MPI jobs, and
  the communicator is grown with ``Open_port``/``Accept``/``Connect``/``Merge``
  in ceil(log2 n) rounds (:func:`tree_rounds`).

A scheduler-side lock (:data:`MPI_PHASE_LOCK`) lets one MPI phase run at a time
on a cluster: two at once would interleave their collectives and deadlock.
"""

from __future__ import annotations

import contextlib
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpclab.handoff.blocks import worker_addresses
from hpclab.handoff.errors import HandoffError, HandoffTimeout
from hpclab.handoff.steps import AttemptFailed, everywhere, raise_if_failed, worker_status
from hpclab.handoff.worker import step_begin, step_finish, step_round, step_world

MPI_PHASE_LOCK = "hpclab-handoff-mpi-phase"  # a scheduler-side lock: one MPI phase at a time per cluster


@dataclass(frozen=True)
class PhaseWorkers:
    """The workers' communicator as the last MPI phase that worked on a client found it."""

    key: tuple[str, ...]  # the workers, sorted: the communicator's ranks
    build: str  # which build made it (each worker checks it holds that one)
    status: dict[str, dict[str, Any]]  # each worker's mpi_status then


#: client -> the :class:`PhaseWorkers` of its last MPI phase that worked: the next phase goes to them at once.
LAST_PHASE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def mpi_mode(status: Mapping[str, Mapping[str, Any]]) -> str:
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


def _grow_communicator(client, key: tuple[str, ...], token: str, timeout: float | None) -> int:
    """Join independent MPI workers (``key``, in order) into one communicator in ceil(log2 n) rounds.

    Each round every worker takes part in at most one Accept or Connect, all
    at the same moment (in their MPI threads); the client passes the port names
    from one round's acceptors to the next round's connectors. Returns the rounds.
    """
    n = len(key)
    rounds = tree_rounds(n)
    group_of = list(range(n))  # position -> first position of its group

    def acceptors(r: int) -> set[int]:
        return {a for a, _ in rounds[r]} if r < len(rounds) else set()

    outcome = everywhere(
        client, step_begin, {a: (token, i in acceptors(0)) for i, a in enumerate(key)}, timeout, "opening MPI ports"
    )
    raise_if_failed(outcome, "building the communicator")
    ports = {i: outcome.ok[key[i]] for i in acceptors(0)}
    for r, pairs in enumerate(rounds):
        role = ["idle"] * n
        port_of: list[str | None] = [None] * n
        for accept, connect in pairs:
            for i in range(n):
                if group_of[i] == accept:
                    role[i], port_of[i] = "accept", ports[accept]
                elif group_of[i] == connect:
                    role[i], port_of[i] = "connect", ports[accept]
        for accept, connect in pairs:
            group_of = [accept if g == connect else g for g in group_of]
        following = acceptors(r + 1)
        outcome = everywhere(
            client,
            step_round,
            {a: (token, role[i], port_of[i], i in following) for i, a in enumerate(key)},
            timeout,
            f"round {r + 1} of {len(rounds)} of building the communicator",
        )
        raise_if_failed(outcome, "building the communicator")
        ports = {i: outcome.ok[key[i]] for i in following}
    outcome = everywhere(client, step_finish, {a: (token, key) for a in key}, timeout, "building the communicator")
    raise_if_failed(outcome, "building the communicator")
    if [outcome.ok[a] for a in key] != list(range(n)):
        raise HandoffError(f"the communicator came out in the wrong order: {outcome.ok} (expected {list(key)})")
    return len(rounds)


_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # client -> its handle on MPI_PHASE_LOCK


def phase_lock(client) -> Any:
    """This client's handle on the cluster's MPI lock, made once: a new ``distributed.Lock`` per phase
    would register it with the scheduler again (one more round trip) and leave a lease-refreshing
    callback behind on the client's loop each time."""
    from distributed import Lock  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    lock = _LOCKS.get(client)
    if lock is None:
        lock = _LOCKS[client] = Lock(MPI_PHASE_LOCK, scheduler_rpc=client.scheduler, loop=client.loop)
    return lock


@contextlib.contextmanager
def one_mpi_phase_at_a_time(client, timeout: float | None) -> Iterator[None]:
    """Hold the cluster's MPI lock: two MPI phases at once would interleave their collectives.

    Each worker runs its MPI calls one after another in its own MPI thread; two
    calls running together (two threads of a notebook, two notebooks on one
    dask-mpi cluster) reach the workers in different orders, and a collective
    of one then waits for partners that are inside the other: a deadlock. The
    lock lives on the scheduler, so it holds across clients; a client that dies
    holding it loses it when its lease ends.
    """
    lock = phase_lock(client)
    if not lock.acquire(timeout=timeout):
        raise HandoffTimeout(
            f"another MPI phase (run_on_workers(..., mpi=True) or communicator()) held this cluster's "
            f"workers for more than {timeout} s: wait for it to finish, or give a longer timeout"
        )
    try:
        yield
    finally:
        lock.release()


def build_communicator(
    client, workers: Sequence[str] | None, timeout: float | None, status: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """:func:`communicator` without the lock (the caller holds it); AttemptFailed when a step fails on a worker.

    ``status``: the workers' :func:`~hpclab.handoff.steps.worker_status`, when the caller just asked for it.
    The answer's ``"build"`` names the communicator's build, the same on all its workers.
    """
    key = tuple(sorted(workers if workers is not None else worker_addresses(client)))
    if status is None or set(status) != set(key):
        status = worker_status(client, key)
    mode = mpi_mode(status)
    begun = time.perf_counter()
    builds = {s.get("build") for s in status.values()}
    if all(key in {tuple(k) for k in s["comms"]} for s in status.values()) and len(builds) == 1 and None not in builds:
        build = builds.pop()
        return {"mode": mode, "workers": key, "built": False, "rounds": 0, "seconds": 0.0, "build": build}
    build = uuid.uuid4().hex
    if mode == "world":
        tag = uuid.uuid4().int % 30_000  # Create_group tags must stay below MPI_TAG_UB (>= 32767)
        ranks = [status[a]["rank"] for a in key]
        outcome = everywhere(
            client,
            step_world,
            {a: (key, ranks, tag, build) for a in key},
            timeout,
            "building the communicator from MPI_COMM_WORLD",
        )
        raise_if_failed(outcome, "building the communicator")
        rounds = 1
    else:
        rounds = _grow_communicator(client, key, build, timeout)
    return {
        "mode": mode,
        "workers": key,
        "built": True,
        "rounds": rounds,
        "seconds": time.perf_counter() - begun,
        "build": build,
    }


def communicator(client, workers: Sequence[str] | None = None, *, timeout: float | None = None) -> dict[str, Any]:
    """Make sure ``workers`` (default: all) share one MPI communicator; reuse it while they stay the same.

    Under dask-mpi it comes from MPI_COMM_WORLD (``Create_group``); with
    independent MPI workers (``cluster.start(mpi=True)``, jobqueue) it is grown
    with ``Open_port``/``Accept``/``Connect``/``Merge`` in ceil(log2 n) rounds
    (:func:`tree_rounds`). :func:`run_on_workers` calls it for you; call it
    yourself to see (or time) the build on its own.

    Parameters
    ----------
    client : distributed.Client
        The client of a cluster of MPI-capable workers.
    workers : sequence of str, optional
        The worker addresses to join (default: every worker of the cluster).
    timeout : float, optional
        Seconds each step may take on every worker, and the longest wait while
        another MPI phase runs on the cluster (default: no limit).

    Returns
    -------
    dict
        ``{"mode", "workers", "built", "rounds", "seconds", "build"}``: ``"world"`` or
        ``"connect"``, the workers in rank order, whether it was built now
        (False: reused), the rounds it took, the seconds the build took and which build it is.

    Raises
    ------
    HandoffError
        The workers are not MPI-capable, or a step failed on a worker.
    HandoffTimeout
        Another MPI phase held the cluster too long, or a worker is stuck in
        MPI (it must be restarted: ``run_on_workers(..., attempts=2)`` does).
    """
    try:
        with one_mpi_phase_at_a_time(client, timeout):
            LAST_PHASE.pop(client, None)  # built again, the workers' communicator is not the last phase's
            return build_communicator(client, workers, timeout)
    except AttemptFailed as failure:
        kind = HandoffTimeout if failure.outcome.stuck else HandoffError
        raise kind(f"{failure}; a stuck worker must be restarted (run_on_workers(..., attempts=2) does)") from None
