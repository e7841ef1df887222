"""How big a local cluster should be here: workers x threads x memory, from the job or the session's share.

Three places, three rules:

* inside a Slurm job, the job's allocation: a one-task job's
  ``SLURM_CPUS_PER_TASK`` is its core budget (the processes and threads are
  chosen inside it); in a multi-task step it is each worker's threads;
* outside a job on a machine others share (a login node), a small share: a
  few cores (``HPCLAB_CORES`` or ``cores=`` asks for more) and the memory that
  goes with them, never more than the session may use;
* on a laptop, everything the session may use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hpclab import config
from hpclab.cluster.resources import Session, positive_int, session, shared_machine
from hpclab.errors import UsageError

LOGIN_NODE_CORES = 4  # a fair share of a shared login node: 30 learners x 4 is still far below 128 x 30


@dataclass(frozen=True)
class Layout:
    """How many worker processes, threads each, and memory each, and why.

    Attributes
    ----------
    n_workers : int
        Worker processes.
    threads_per_worker : int
        Threads in each worker.
    memory_limit : int
        Bytes each worker may use before Dask spills, pauses and restarts it.
    reason : str
        Where the thread count came from, e.g. ``threads from SLURM_CPUS_PER_TASK``.
    note : str
        One line to show the learner when the layout is smaller than the
        machine on purpose (a shared login node), with how to ask for more; else "".
    """

    n_workers: int
    threads_per_worker: int
    memory_limit: int  # bytes per worker
    reason: str
    note: str = ""


def available_memory(
    env: Mapping[str, str] | None = None, root: str | os.PathLike | None = None, *, of: Session | None = None
) -> int:
    """Bytes a cluster started here may use: the Slurm job's memory on this node, else what the session may use.

    Inside a job, ``--mem`` arrives as ``SLURM_MEM_PER_NODE`` and ``--mem-per-cpu``
    as ``SLURM_MEM_PER_CPU`` (both in MiB), and the job is killed when it uses
    more; in the grader's sandbox, ``HPCLAB_MEMORY_LIMIT`` (bytes) is its
    limit. Elsewhere the tightest of the machine's memory, the ``memory.max``
    of this process's cgroup and of every parent (a login node's per-user
    slice), and the rlimits ``ulimit -v``/``-d``/``-m``
    (:func:`hpclab.cluster.resources.memory_limits`). Dask's own reading
    (``distributed.system.MEMORY_LIMIT``) sees only the top cgroup folder and
    ``RLIMIT_RSS``.

    Parameters
    ----------
    env : mapping of str to str, optional
        The environment to read; by default ``os.environ``.
    root : str or path, optional
        A folder laid out like ``/`` to read instead of this machine (tests).
    of : Session, optional
        The session's limits, already read.

    Returns
    -------
    int
        The bytes a cluster started here may use in all.

    Raises
    ------
    UsageError
        If one of those variables is set but is not a whole number of at least 1.
    """
    env = os.environ if env is None else env
    # In the grader's sandbox: the memory its watchdog allows (bytes), so workers spill before it stops them.
    sandboxed = positive_int(env, config.MEMORY_LIMIT)
    if sandboxed is not None:
        return sandboxed
    mem_mb = positive_int(env, "SLURM_MEM_PER_NODE")
    if mem_mb is not None:
        return mem_mb * 1024**2
    per_cpu = positive_int(env, "SLURM_MEM_PER_CPU")
    if per_cpu is not None:
        cpus = positive_int(env, "SLURM_CPUS_ON_NODE") or positive_int(env, "SLURM_CPUS_PER_TASK") or 1
        return per_cpu * cpus * 1024**2
    return (of or session("/" if root is None else root)).memory


def slurm_cpus_per_task(env: Mapping[str, str] | None = None) -> int:
    """CPUs Slurm gives each task of the job (``--cpus-per-task``; 1 when unset).

    In a step of several tasks (dask-mpi's ranks, srun-launched workers) a
    task's threads (a Dask worker's ``nthreads``, OpenMP threads) should be
    this many: more take turns on the same CPUs, fewer leave CPUs idle. In a
    one-task job it is the whole budget (see :func:`plan_layout`).

    Parameters
    ----------
    env : mapping of str to str, optional
        The environment to read; by default ``os.environ``.

    Returns
    -------
    int
        ``SLURM_CPUS_PER_TASK``, or 1 when it is not set (outside Slurm, too).

    Raises
    ------
    UsageError
        If ``SLURM_CPUS_PER_TASK`` is set but is not a whole number of at least 1.
    """
    env = os.environ if env is None else env
    return positive_int(env, "SLURM_CPUS_PER_TASK") or 1


def expand_tasks_per_node(text: str) -> list[int]:
    """Slurm's compressed tasks-per-node list, one number per node: ``2(x3),1`` -> ``[2, 2, 2, 1]``.

    Raises
    ------
    UsageError
        If ``text`` is not in that form.
    """
    counts: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)(?:\(x(\d+)\))?\s*", part)
        if not match:
            raise UsageError(f"{text!r} is not Slurm's tasks-per-node form (like 2(x3),1)")
        counts += [int(match.group(1))] * int(match.group(2) or 1)
    return counts


def tasks_on_this_node(env: Mapping[str, str] | None = None) -> int:
    """How many tasks of this step (or job, in the batch script) run on this node.

    From ``SLURM_STEP_TASKS_PER_NODE`` (in an ``srun`` step) or
    ``SLURM_TASKS_PER_NODE`` (the job's), at this node's index
    ``SLURM_NODEID``; without an index, the most on any node (the smaller
    share is the safe one). ``SLURM_NTASKS_PER_NODE`` (set only with
    ``--ntasks-per-node``) when neither list is there; else 1.
    """
    env = os.environ if env is None else env
    for name in ("SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"):
        text = env.get(name, "").strip()
        if text:
            counts = expand_tasks_per_node(text)
            node = env.get("SLURM_NODEID", "").strip()
            if node.isdigit() and int(node) < len(counts):
                return max(1, counts[int(node)])
            return max(1, *counts)
    return positive_int(env, "SLURM_NTASKS_PER_NODE") or 1


def slurm_task_memory(env: Mapping[str, str] | None = None, share: float = 0.9) -> int | None:
    """A Dask ``memory_limit`` in bytes for one task of a Slurm job step, or None outside Slurm.

    One task's part of the job's memory on its node (``--mem-per-cpu`` x CPUs
    per task, or ``--mem`` / this node's tasks in this step,
    :func:`tasks_on_this_node`), times ``share``: dask-mpi's scheduler and
    client ranks live on the same nodes and need some too, and Slurm kills the
    whole step when the node's total goes over.

    Parameters
    ----------
    env : mapping of str to str, optional
        The environment to read; by default ``os.environ``.
    share : float, default 0.9
        The part of the task's memory its worker may use.

    Returns
    -------
    int or None
        Bytes, or None when the job asked for no memory (or this is not a job).

    Raises
    ------
    UsageError
        If a Slurm memory or count variable is set but is not a whole number of
        at least 1 (or a tasks-per-node list is not in Slurm's form).
    """
    env = os.environ if env is None else env
    per_cpu = positive_int(env, "SLURM_MEM_PER_CPU")
    if per_cpu is not None:
        task = per_cpu * slurm_cpus_per_task(env)
    else:
        per_node = positive_int(env, "SLURM_MEM_PER_NODE")
        if per_node is None:
            return None
        task = per_node // tasks_on_this_node(env)
    return int(task * 1024**2 * share)


def step_tasks(env: Mapping[str, str]) -> int:
    """Tasks in this step (``SLURM_STEP_NUM_TASKS``), else in the job (``SLURM_NTASKS``), else 1."""
    return positive_int(env, "SLURM_STEP_NUM_TASKS") or positive_int(env, "SLURM_NTASKS") or 1


def _gib(n: float) -> str:
    return f"{n / 1024**3:.1f} GiB"


def plan_layout(
    env: Mapping[str, str] | None = None,
    cores: int | None = None,
    memory: int | None = None,
    memory_fraction: float = 0.8,
    *,
    of: Session | None = None,
    shared: str | None | bool = False,
) -> Layout:
    """Choose workers x threads x memory for a LocalCluster from the job, or from this session's fair share.

    Cores: ``HPCLAB_CORES`` if set; else in a one-task Slurm job,
    ``SLURM_CPUS_PER_TASK`` (the job's budget); else, outside a job on a machine others
    share (:func:`~hpclab.cluster.resources.shared_machine`: a login node),
    at most 4; else every core the session may use (affinity and CPU quota).
    Threads per worker: in a step of several tasks ``SLURM_CPUS_PER_TASK``
    (each task's CPUs), else ``OMP_NUM_THREADS``, else 1 on small machines
    (processes side-step the GIL for pure-Python work) and 2 from 8 cores.
    Workers fill the cores. Memory: the job's (:func:`available_memory`), or
    on a shared machine the session's cap if it has one, else the machine's
    memory in proportion to the cores used; shared out evenly, keeping a
    margin for the scheduler and the notebook.

    Parameters
    ----------
    env : mapping of str to str, optional
        The environment to read; by default ``os.environ``.
    cores : int, optional
        Cores to fill; by default as above.
    memory : int, optional
        Bytes to share out; by default as above.
    memory_fraction : float, default 0.8
        The part of ``memory`` the workers get together.
    of : Session, optional
        The session's limits; by default read from this machine
        (:func:`~hpclab.cluster.resources.session`).
    shared : str or None, optional
        Why the machine is shared (None: it is not); by default
        :func:`~hpclab.cluster.resources.shared_machine` decides.

    Returns
    -------
    Layout
        Workers, threads per worker, memory per worker, the reason, and a
        note when the layout is a login node's share.

    Raises
    ------
    UsageError
        If ``SLURM_CPUS_PER_TASK``, ``OMP_NUM_THREADS``, ``HPCLAB_CORES`` or a
        memory variable is set but is not a whole number of at least 1.
    """
    env = os.environ if env is None else env
    in_job = bool(env.get("SLURM_JOB_ID"))
    per_task = positive_int(env, "SLURM_CPUS_PER_TASK")
    one_task = step_tasks(env) == 1
    asked = positive_int(env, config.CORES)
    note = ""
    login = False  # sized as a share of a machine others use
    why: str | None | bool = None
    sess = of
    machine_cores = cores
    if cores is None:
        sess = sess or session()
        cores = machine_cores = sess.cpus
        if not in_job:
            why = shared_machine(env) if shared is False else shared
            login = bool(why)
        if asked is not None:
            cores = asked
        elif per_task is not None and one_task:
            cores = min(cores, per_task) if in_job else per_task
        elif login and cores > LOGIN_NODE_CORES:
            cores = LOGIN_NODE_CORES
            note = str(why)
    if memory is None:
        sess = sess or session()
        memory = available_memory(env, of=sess)
        if login and config.MEMORY_LIMIT not in env and not sess.capped_memory:
            # No cap set for this user: the machine's memory in proportion to the cores used.
            memory = min(memory, sess.machine_memory * min(cores, sess.machine_cpus) // sess.machine_cpus)
    threads = per_task if (per_task is not None and not one_task) else None
    reason = "SLURM_CPUS_PER_TASK (this step's CPUs per task)"
    if threads is None:
        threads = positive_int(env, "OMP_NUM_THREADS")
        reason = "OMP_NUM_THREADS"
    if threads is None:
        threads = 1 if cores < 8 else 2
        if asked is not None:
            reason = f"{config.CORES}={asked}"
        elif per_task is not None and one_task:
            reason = f"SLURM_CPUS_PER_TASK={per_task}, this one-task job's cores"
        else:
            reason = f"{cores} cores"
    threads = min(threads, cores)
    workers = max(1, cores // threads)
    per_worker = int(memory * memory_fraction / workers)
    if note:
        note = (
            f"Shared machine ({note}): a small cluster, {cores} of {machine_cores} cores and {_gib(memory)}. "
            f"For more, pass n_workers= (and threads_per_worker=) or set {config.CORES}=N; "
            "for much more, run in a Slurm job (jobscripts/jupyter.sh)."
        )
    return Layout(workers, threads, per_worker, f"threads from {reason}", note)


def overruns(layout: Layout, of: Session | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """What in ``layout`` exceeds what this session may use (an empty list when it fits).

    Threads beyond the session's CPUs (affinity and quota) take turns; memory
    beyond the session's (cgroups, rlimits) gets the session killed before
    Dask spills.
    """
    env = os.environ if env is None else env
    sess = of or session()
    found = []
    threads = layout.n_workers * layout.threads_per_worker
    if threads > sess.cpus:
        found.append(f"{threads} threads in all, but this session may use {sess.cpus} CPUs")
    memory = layout.n_workers * layout.memory_limit
    if memory > sess.memory and config.MEMORY_LIMIT not in env:
        limits = [limit.source for limit in sess.memory_limits if limit.amount == sess.memory]
        where = f" ({limits[0]})" if limits else ""
        found.append(f"{_gib(memory)} of worker memory, but this session may use {_gib(sess.memory)}{where}")
    return found
