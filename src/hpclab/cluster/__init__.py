"""One call that gives a Dask client, on a laptop, a login node or inside a Slurm job.

``with hpclab.cluster.client() as c: ...`` starts a LocalCluster bound to
127.0.0.1 (nothing is exposed to the network), sized from the Slurm job or
from what this session may use (:mod:`hpclab.cluster.layout`,
:mod:`hpclab.cluster.resources`; a small share on a shared login node),
speaking TLS with credentials of its own (so other users of the machine cannot
run code on it, see :mod:`hpclab.tls`), and stops it when the block ends. If a
scheduler file is named (argument or ``HPCLAB_SCHEDULER_FILE``), it connects to
that running scheduler instead, for example one started by ``dask-mpi`` in a
batch job, with the credentials the job wrote beside the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import psutil
from jupyter_core.paths import jupyter_runtime_dir

from hpclab import config, tls
from hpclab.cluster.layout import (
    LOGIN_NODE_CORES,
    Layout,
    available_memory,
    expand_tasks_per_node,
    overruns,
    plan_layout,
    slurm_cpus_per_task,
    slurm_task_memory,
    tasks_on_this_node,
)
from hpclab.cluster.resources import Session, available_cores, session, shared_machine
from hpclab.errors import SetupError, UsageError

__all__ = [
    "DASK_DEFAULT_LINK",
    "GUARD_PRELOAD",
    "LOGIN_NODE_CORES",
    "Layout",
    "Session",
    "available_cores",
    "available_memory",
    "client",
    "connect",
    "dashboard_link_template",
    "expand_tasks_per_node",
    "interrupt_safe_preloads",
    "jupyter_server",
    "overruns",
    "plan_layout",
    "scheduler_address",
    "scheduler_file_from",
    "security_for",
    "security_options",
    "session",
    "shared_machine",
    "slurm_cpus_per_task",
    "slurm_task_memory",
    "start",
    "tasks_on_this_node",
    "use_jupyter_dashboard_link",
]

GUARD_PRELOAD = "hpclab.guard"  # module run in each nanny and worker (interrupt safety)
DASK_DEFAULT_LINK = "{scheme}://{host}:{port}/status"  # distributed.dashboard.link as Dask ships it


def scheduler_file_from(argument: str | os.PathLike | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The scheduler file to use: the argument, else ``HPCLAB_SCHEDULER_FILE``, else None."""
    env = os.environ if env is None else env
    chosen = argument if argument is not None else env.get(config.SCHEDULER_FILE) or None
    return None if chosen is None else Path(chosen).expanduser().resolve()


def scheduler_address(scheduler_file: str | os.PathLike) -> str:
    """The address a scheduler file names (``tls://10.0.0.11:40123``); UsageError if unreadable."""
    path = Path(scheduler_file)
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["address"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{path} is not a Dask scheduler file (no address in it: {exc!r}); "
            "was it written by `dask-mpi --scheduler-file`? Delete it and start the job again"
        ) from None


def security_for(scheduler_file: str | os.PathLike):
    """The ``Security`` to reach the scheduler of a scheduler file, or None for plain TCP.

    A ``tls://`` scheduler started by a course job has its credentials in the
    folder beside the file (:func:`hpclab.tls.beside`); without that folder,
    Dask's own configuration (site-issued certificates) is used.
    """
    path = Path(scheduler_file)
    if tls.scheme(scheduler_address(path)) != "tls":
        return None
    folder = tls.beside(path)
    if folder.is_dir():
        return tls.security_from(folder)
    from distributed.security import Security  # noqa: PLC0415  distributed is slow to import; every hpclab command loads cluster (via doctor)

    configured = Security()
    # Security declares its fields only in __slots__, which mypy does not read as attributes.
    if configured.tls_ca_file and configured.tls_client_cert:  # type: ignore[attr-defined]
        return configured
    raise UsageError(
        f"the scheduler in {path} speaks TLS, but its credentials are not in {folder} "
        "(nor in Dask's configuration): connect as the user who submitted the job, "
        "while the job still runs"
    )


def connect(scheduler_file: str | os.PathLike, timeout: float = 30, security=None):
    """Connect to a running scheduler described by a scheduler file.

    ``security`` defaults to :func:`security_for` the file: the job's
    credentials beside it when its address is ``tls://``. Raises
    FileNotFoundError or ConnectionError with what to do next, instead of
    Dask's long retry loop and generic OSError.
    """
    from distributed import Client  # noqa: PLC0415  distributed is slow to import; every hpclab command loads cluster (via doctor)

    path = Path(scheduler_file)
    if not path.is_file():
        raise FileNotFoundError(
            f"Scheduler file {path} does not exist. Start the scheduler first "
            "(for example `srun dask-mpi --scheduler-file "
            f"{path}` in a batch job) and wait until the file appears, or unset "
            f"{config.SCHEDULER_FILE} to start a local cluster instead."
        )
    if security is None:
        security = security_for(path)
    try:
        return Client(scheduler_file=str(path), timeout=timeout, security=security)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"No scheduler answered at the address in {path} within {timeout:g} s "
            f"({exc}). The job that wrote it has probably ended: check `squeue`, "
            "delete the stale file and start the job again."
        ) from exc


def jupyter_server(env: Mapping[str, str] | None = None, runtime_dir: str | os.PathLike | None = None) -> dict | None:
    """The Jupyter server this kernel runs under, from its ``jpserver-<pid>.json``; None if none.

    Every Jupyter server (JupyterLab, JupyterHub's single-user server, Open
    OnDemand's) writes such a file, with its port and ``base_url``, into the
    Jupyter runtime folder; the kernel inherits the server's environment and so
    finds the same folder. The file whose ``pid`` is one of this process's
    ancestors (or ``JPY_PARENT_PID``, which jupyter_client sets for kernels) is
    ours. A kernel started by nbclient (the grader, the tests) has none.
    """
    env = os.environ if env is None else env
    ancestors = set()
    if env.get("JPY_PARENT_PID", "").isdigit():
        ancestors.add(int(env["JPY_PARENT_PID"]))
    try:
        ancestors.update(p.pid for p in psutil.Process().parents())
    except psutil.Error:
        pass
    if runtime_dir is None:
        runtime_dir = env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir()
    for path in sorted(Path(runtime_dir).glob("jpserver-*.json")):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("pid") in ancestors:
            return info
    return None


def dashboard_link_template(env: Mapping[str, str] | None = None, server: dict | None = None) -> str:
    """Dask's ``distributed.dashboard.link`` for where this process runs.

    Under a Jupyter server the dashboard is reached through the server's own
    port by jupyter-server-proxy: ``{base_url}proxy/{port}/status``, a link
    relative to the page (so it works through the one SSH tunnel to
    JupyterLab, and under JupyterHub or Open OnDemand, whose prefix is in
    ``base_url``). Without a server file but with ``JUPYTERHUB_SERVICE_PREFIX``
    the prefix is used. Elsewhere: Dask's plain link, on 127.0.0.1.
    """
    env = os.environ if env is None else env
    server = jupyter_server(env) if server is None else server
    base = (server or {}).get("base_url") or env.get("JUPYTERHUB_SERVICE_PREFIX")
    if not base:
        return DASK_DEFAULT_LINK
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    return base.replace("{", "{{").replace("}", "}}") + "proxy/{port}/status"


def use_jupyter_dashboard_link(env: Mapping[str, str] | None = None) -> str:
    """Point ``client.dashboard_link`` through the Jupyter server, if we are under one; return the template.

    Sets Dask's config for this process (the link is read each time it is
    shown), but only while it is Dask's default: a link set by the user, e.g.
    ``DASK_DISTRIBUTED__DASHBOARD__LINK``, is left alone.
    """
    import dask  # noqa: PLC0415  dask is slow to import; every hpclab command loads cluster (via doctor)

    current = dask.config.get("distributed.dashboard.link")
    if current != DASK_DEFAULT_LINK:
        return current
    template = dashboard_link_template(env)
    if template != current:
        dask.config.set({"distributed.dashboard.link": template})
    return template


def start(
    scheduler_file: str | os.PathLike | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_limit: int | str | None = None,
    timeout: float = 30,
    quiet: bool = False,
    security: bool = True,
    mpi: bool = False,
):
    """Return a Dask ``Client``; its ``close()`` also stops any cluster it started.

    With no scheduler file, start a LocalCluster on 127.0.0.1 with the
    dashboard on a free port (never a fixed one: several learners share a
    login node). The scheduler, its workers and this client speak TLS with
    credentials made for this cluster alone and held in memory
    (``Client(security=True)``, i.e. ``Security.temporary()``): a client of
    another user of the machine is refused. ``security=False`` is the
    opt-out: plain ``tcp://``, which anyone who can reach the port may use
    (only where you are the machine's one user). The dashboard is plain HTTP
    either way. Its workers survive a Jupyter interrupt and end with the
    kernel (:mod:`hpclab.guard`); under a Jupyter server its dashboard link
    goes through the server's port (:func:`use_jupyter_dashboard_link`).
    Explicit arguments override :func:`plan_layout`, which sizes the cluster
    from the Slurm job, or, outside a job on a machine others share (a login
    node), as a small share of it (4 cores; ``HPCLAB_CORES`` asks for more),
    and says so in one more line. Prefer
    :func:`client` in scripts; this form suits notebooks, where the client
    lives across cells and the last cell calls ``client.close()``.

    ``mpi=True`` makes every worker its own one-process MPI job
    (:class:`hpclab.mpiworker.MPIWorker`, started by ``mpiexec -n 1``, no
    nanny), so that ``hpclab.handoff.run_on_workers(..., mpi=True)`` can join
    them into one communicator. Such workers are restarted when they die and
    stopped with the client; interrupts do not reach them.

    Parameters
    ----------
    scheduler_file : str or path, optional
        A running scheduler's file to connect to (e.g. one ``dask-mpi`` wrote
        in a batch job); by default ``HPCLAB_SCHEDULER_FILE``, and when that is
        unset too, a new local cluster is started.
    n_workers : int, optional
        Worker processes; by default as many as fit the cores
        :func:`plan_layout` chose, at ``threads_per_worker`` threads each.
    threads_per_worker : int, optional
        Threads in each worker; by default from :func:`plan_layout`.
    memory_limit : int or str, optional
        Memory per worker (bytes, or e.g. ``"2GiB"``); by default the memory
        :func:`plan_layout` plans, shared out over the workers started.
    timeout : float, default 30
        Seconds to wait for the scheduler (and, with ``mpi=True``, at least 60
        for the workers).
    quiet : bool, default False
        True: print nothing (by default one line says what was started or
        connected to, and the dashboard's link).
    security : bool, default True
        TLS with new in-memory credentials (or, connecting, the job's
        credentials beside its scheduler file); False: plain TCP.
    mpi : bool, default False
        Start MPI-capable workers, each its own ``mpiexec -n 1`` job.

    Returns
    -------
    distributed.Client
        Connected to the cluster; ``close()`` it when done.

    Raises
    ------
    UsageError
        If ``security`` is not a bool, a Slurm or OpenMP variable is not a
        whole number, or the scheduler file is not one.
    SetupError
        If ``cryptography`` is missing (TLS), or with ``mpi=True`` the MPI
        cannot connect separate jobs or the workers did not start.
    FileNotFoundError
        If the named scheduler file does not exist.
    ConnectionError
        If no scheduler answers at the address in the scheduler file.
    """
    path = scheduler_file_from(scheduler_file)
    if path is not None:
        c = connect(path, timeout=timeout, security=None if security else False)
        if not quiet:
            print(f"Connected to the scheduler in {path}; dashboard: {c.dashboard_link}")
        return c

    from distributed import Client  # noqa: PLC0415  distributed is slow to import; every hpclab command loads cluster (via doctor)

    proxied = use_jupyter_dashboard_link().endswith("proxy/{port}/status")
    layout = plan_layout()
    threads = threads_per_worker or layout.threads_per_worker
    # Asked for more threads per worker? Then fewer workers, so the total still fits the cores.
    workers = n_workers or max(1, layout.n_workers * layout.threads_per_worker // threads)
    # Share the same total memory out over however many workers we start.
    memory = memory_limit if memory_limit is not None else layout.memory_limit * layout.n_workers // workers
    if mpi:
        c = _start_mpi_cluster(workers, threads, memory, timeout, security)
        if not quiet:
            print(
                f"Local Dask cluster with MPI-capable workers: {_count(workers, 'worker')} x "
                f"{_count(threads, 'thread')}, each its own `mpiexec -n 1` job, "
                f"{'TLS' if security else 'plain TCP, no TLS'}; dashboard: {c.dashboard_link}"
            )
            if layout.note and n_workers is None:
                print(layout.note)
        return c
    # Client(**cluster options) owns the LocalCluster it creates: close() stops both.
    with _environment_restored():
        c = Client(
            n_workers=workers,
            threads_per_worker=threads,
            memory_limit=memory,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            processes=True,
            timeout=timeout,
            **security_options(security),
            **interrupt_safe_preloads(),
        )
    if not quiet:
        why = "as requested" if threads_per_worker else layout.reason
        via = " (through this Jupyter server's port: the tunnel to JupyterLab reaches it too)" if proxied else ""
        print(
            f"Local Dask cluster: {_count(workers, 'worker')} x {_count(threads, 'thread')} "
            f"({why}), {'TLS' if security else 'plain TCP, no TLS'}; dashboard: {c.dashboard_link}{via}"
        )
        if layout.note and n_workers is None:
            print(layout.note)
    return c


def security_options(security: bool = True) -> dict:
    """Options for ``Client(...)``/``LocalCluster(...)``: TLS with new in-memory credentials, or plain TCP.

    ``security=True`` makes Dask create ``Security.temporary()`` and give the
    same object to the cluster (so to every worker) and to the client.
    """
    if not isinstance(security, bool):
        raise UsageError(
            f"security must be True (TLS, the default) or False (plain TCP), got {security!r}; "
            "for certificates of your own, pass them to LocalCluster(security=...) and "
            "Client(cluster) directly"
        )
    if security:
        tls.require_cryptography()  # Dask would fail later, deep inside the cluster's start
        return {"security": True, "protocol": "tls://"}
    return {"protocol": "tcp://"}


def _start_mpi_cluster(workers: int, threads: int, memory, timeout: float, security: bool = True):
    """A client owning a LocalCluster (scheduler only) that then gets :class:`~hpclab.mpiworker.MPIWorker` workers.

    The scheduler is the LocalCluster's, so ``client.close()`` stops the
    workers too; the cluster's security (TLS) is handed to every worker.
    """
    from distributed import Client  # noqa: PLC0415  distributed is slow to import; every hpclab command loads cluster (via doctor)

    # mpiworker defines a subclass of Dask's ProcessInterface, so importing it imports distributed.
    from hpclab.mpiworker import mpi_worker_spec, require_connectable_mpi  # noqa: PLC0415  imports distributed

    require_connectable_mpi()
    with _environment_restored():
        c = Client(
            n_workers=0,
            threads_per_worker=threads,
            memory_limit=memory,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            processes=True,
            timeout=timeout,
            **security_options(security),
        )
    try:
        cluster = c.cluster
        assert cluster is not None  # Client(n_workers=0, ...) made its LocalCluster
        cluster.new_spec = mpi_worker_spec(
            nthreads=threads, memory_limit=memory, security=getattr(cluster, "security", None)
        )
        cluster.scale(workers)
        # Each worker starts mpiexec, Python, Dask and MPI: allow more than a plain worker needs.
        c.wait_for_workers(workers, timeout=max(timeout, 60))
    except BaseException as exc:
        c.close()
        if isinstance(exc, (TimeoutError, OSError)):
            raise SetupError(
                f"the {workers} MPI-capable Dask workers did not all start ({exc}): each runs "
                "`mpiexec -n 1 python -m distributed.cli.dask_worker ...`; check that `hpclab doctor` "
                "finds mpiexec and mpi4py, or start without mpi=True"
            ) from exc
        raise
    return c


def interrupt_safe_preloads() -> dict[str, list[str]]:
    """Nanny and worker preloads that let workers survive a Jupyter interrupt (see :mod:`hpclab.guard`).

    Jupyter interrupts a kernel by sending SIGINT to its whole process group,
    which used to kill every local worker (dask/distributed#1925). Preloads
    already set in Dask's config are kept, ours are added after them.
    """
    import dask  # noqa: PLC0415  dask is slow to import; every hpclab command loads cluster (via doctor)

    def with_guard(key: str) -> list[str]:
        configured = dask.config.get(key, default=None) or []
        configured = [configured] if isinstance(configured, str) else list(configured)
        return configured + ([] if GUARD_PRELOAD in configured else [GUARD_PRELOAD])

    return {
        "preload": with_guard("distributed.worker.preload"),
        "preload_nanny": with_guard("distributed.nanny.preload"),
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextlib.contextmanager
def _environment_restored() -> Iterator[None]:
    """Undo what starting workers writes into ``os.environ``.

    Dask's nanny sets OMP_NUM_THREADS=1 (and similar) in *our* process so
    its children inherit them; left in place, the next plan_layout() and every
    later MPI job would see one thread.
    """
    before = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@contextlib.contextmanager
def client(scheduler_file: str | os.PathLike | None = None, **options) -> Iterator:
    """``with client() as c:`` — :func:`start`, and always close on the way out.

    The form for scripts and job programs: the cluster stops when the block
    ends, even when it ends with an error, so no workers are left behind.

    Parameters
    ----------
    scheduler_file : str or path, optional
        As for :func:`start`.
    **options
        The keyword arguments of :func:`start`.

    Yields
    ------
    distributed.Client
        The client :func:`start` returned; closed (with its cluster) on the way out.

    Raises
    ------
    UsageError, SetupError, FileNotFoundError, ConnectionError
        As :func:`start` does.
    """
    c = start(scheduler_file, **options)
    try:
        yield c
    finally:
        c.close()
