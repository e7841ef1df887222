"""Dask workers that can join MPI communicators, on any cluster (not only under dask-mpi).

Under ``dask-mpi`` every worker is a rank of one ``MPI_COMM_WORLD``. Elsewhere
(a LocalCluster, dask-jobqueue) the workers are independent processes; MPI
can still join them into one communicator at run time (``MPI_Open_port`` /
``Accept`` / ``Connect`` / ``Intercomm_merge``, see :mod:`hpclab.handoff`),
but only if each one was started by an MPI launcher: with the MPICH 5 wheel two
bare singletons cannot connect ("Local and remote groups ... overlap",
pmodels/mpich#7805). So each worker here is its own one-process MPI job:

    mpiexec -n 1 python -m distributed.cli.dask_worker SCHEDULER --no-nanny --preload hpclab.mpiworker

* :class:`MPIWorker` starts such a worker for a Dask ``SpecCluster`` (and so
  for the LocalCluster of :func:`hpclab.cluster.start` with ``mpi=True``),
  restarts it when it dies (as Dask's nanny would) and stops its whole
  process tree on close.
* :func:`dask_setup` (this module as a worker preload) initializes MPI in the
  worker's main thread at start-up, and ends the worker when the process that
  started the cluster is gone (``HPCLAB_MPI_WORKER_PARENT``).
* :func:`jobqueue_options` gives dask-jobqueue's ``SLURMCluster`` the same
  workers, each launched by ``srun --mpi=<the site's plugin> -n 1`` inside
  its job (refused, like ``start(mpi=True)``, with Open MPI).

No nanny: the nanny would start the worker as a child process that is not
part of the launcher's MPI job. Memory limits therefore pause and spill, but
nothing restarts a worker that grows past its limit, except the kernel's OOM
killer followed by :class:`MPIWorker`'s restart.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import psutil
from distributed.deploy.spec import ProcessInterface

from hpclab import config, processes
from hpclab.errors import SetupError
from hpclab.mpi import family_of_vendor, find_mpiexec, import_mpi, launcher_env

PRELOAD = "hpclab.mpiworker"
STOP_GRACE = 5.0  # seconds a worker gets to leave by itself before its process tree is killed


# ------------------------------------------------------------------ inside the worker


def _watch_parent(pid: int, created: float, interval: float = 0.5) -> threading.Thread:
    """A daemon thread that ends this process once process ``pid`` (started at ``created``) is gone.

    The worker's own parent is the MPI launcher, which lives in a session of its
    own (so a Jupyter interrupt does not reach it) and would outlive a killed
    kernel; the kernel is watched instead. ``created`` guards against pid reuse.
    """

    def alive() -> bool:
        try:
            return abs(psutil.Process(pid).create_time() - created) < 1.0
        except psutil.Error:
            return False

    def watch() -> None:
        while alive():
            time.sleep(interval)
        os._exit(1)

    thread = threading.Thread(target=watch, name="hpclab: exit with the cluster's owner", daemon=True)
    thread.start()
    return thread


def dask_setup(worker) -> None:
    """Worker preload: initialize MPI now, in the main thread, under this worker's own launcher."""
    from mpi4py import MPI  # noqa: F401, PLC0415  importing initializes MPI (THREAD_MULTIPLE), here and now

    parent = os.environ.get(config.MPI_WORKER_PARENT, "")
    if parent:
        pid, _, created = parent.partition(":")
        _watch_parent(int(pid), float(created or 0))


# ------------------------------------------------------------------ launching


def security_env(security: Any) -> dict[str, str]:
    """Dask config, as environment variables, that gives a worker the cluster's TLS credentials.

    ``Security`` objects (also ``Security.temporary()``, which keeps its
    certificates in memory, not in files) hold paths or PEM text; the worker
    CLI reads both from Dask's config when it gets no ``--tls-*`` options.
    Empty for a cluster without TLS. (TLS versions stay Dask's default: the
    object holds them as ``ssl.TLSVersion``, which the config does not take.)
    """
    if security is None or not (
        getattr(security, "require_encryption", False) or getattr(security, "tls_ca_file", None)
    ):
        return {}
    env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"}
    for attribute, key in (
        ("tls_ca_file", "CA_FILE"),
        ("tls_worker_cert", "WORKER__CERT"),
        ("tls_worker_key", "WORKER__KEY"),
        ("tls_ciphers", "CIPHERS"),
    ):
        value = getattr(security, attribute, None)
        if value is not None:
            env[f"DASK_DISTRIBUTED__COMM__TLS__{key}"] = str(value)
    return env


def worker_command(
    scheduler: str,
    *,
    name: str,
    nthreads: int,
    memory_limit: int | str,
    host: str,
    local_directory: str,
    launcher: Sequence[str],
) -> list[str]:
    """The command line of one MPI-capable worker: ``launcher`` (e.g. ``mpiexec -n 1``) runs the worker CLI."""
    return [
        *launcher,
        sys.executable,
        "-m",
        "distributed.cli.dask_worker",
        scheduler,
        "--name",
        str(name),
        "--nthreads",
        str(nthreads),
        "--memory-limit",
        str(memory_limit),
        "--host",
        host,
        "--no-nanny",
        "--no-dashboard",
        "--preload",
        PRELOAD,
        "--local-directory",
        local_directory,
        "--death-timeout",
        "60",
    ]


class MPIWorker(ProcessInterface):
    """One Dask worker that is its own one-process MPI job, for a ``SpecCluster``'s worker spec.

    Restarted when it dies while the cluster runs (its data are then lost and
    recomputed by Dask, as after a nanny restart). ``security`` is the
    cluster's :class:`distributed.Security` (TLS), passed on to the worker.
    """

    def __init__(
        self,
        scheduler: str,
        *,
        name: str | int,
        nthreads: int = 1,
        memory_limit: int | str = "auto",
        host: str = "127.0.0.1",
        security: Any = None,
        local_directory: str | None = None,
        launcher: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        **_ignored: Any,
    ):
        super().__init__()
        self.scheduler = scheduler
        self.name = name
        self.launcher = list(launcher) if launcher is not None else [find_mpiexec(), "-n", "1"]
        self.command = worker_command(
            scheduler,
            name=str(name),
            nthreads=nthreads,
            memory_limit=memory_limit,
            host=host,
            local_directory=local_directory or tempfile.gettempdir(),
            launcher=self.launcher,
        )
        me = psutil.Process()
        self.env = {
            **launcher_env(env),
            **security_env(security),
            config.MPI_WORKER_PARENT: f"{me.pid}:{me.create_time()}",
        }
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._closing = False
        self._supervisor: asyncio.Task | None = None

    async def _launch(self) -> asyncio.subprocess.Process:
        # A session of its own: a Jupyter interrupt (SIGINT to the kernel's process group)
        # must not reach mpiexec, which would end the worker.
        self.process = await asyncio.create_subprocess_exec(
            *self.command, env=self.env, stdin=asyncio.subprocess.DEVNULL, start_new_session=True
        )
        return self.process

    async def _supervise(self, process: asyncio.subprocess.Process) -> None:
        while not self._closing:
            await process.wait()
            if self._closing:
                return
            self.restarts += 1
            await asyncio.sleep(0.5)
            if not self._closing:
                process = await self._launch()

    async def start(self) -> None:
        process = await self._launch()
        self._supervisor = asyncio.ensure_future(self._supervise(process))
        await super().start()

    async def close(self) -> None:
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
        if self.process is not None and self.process.returncode is None:
            await asyncio.get_running_loop().run_in_executor(
                None, processes.stop_tree, self.process.pid, STOP_GRACE, False
            )
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await super().close()

    def __repr__(self) -> str:
        return f"<MPIWorker {self.name!r}: {shlex.join(self.launcher)} ... ({self.status})>"


def mpi_worker_spec(
    *, nthreads: int, memory_limit: int | str, security: Any = None, host: str = "127.0.0.1"
) -> dict[str, Any]:
    """A ``SpecCluster`` worker spec (``cluster.new_spec``) for :class:`MPIWorker` workers."""
    return {
        "cls": MPIWorker,
        "options": {"nthreads": nthreads, "memory_limit": memory_limit, "security": security, "host": host},
    }


def srun_launcher(env: Mapping[str, str] | None = None) -> str:
    """``srun`` as the launcher of one MPI-capable worker: one task, its CPUs, bound to cores.

    ``--mpi`` is the site's choice: ``SLURM_MPI_TYPE``, which the course's site
    profile exports (``pmi2`` on the virtual cluster, ``pmix`` in
    jobscripts/site/example-cluster.sh); ``pmi2`` when it is unset.
    """
    env = os.environ if env is None else env
    plugin = env.get("SLURM_MPI_TYPE", "").strip() or "pmi2"
    return f'srun --mpi={shlex.quote(plugin)} -n 1 --cpus-per-task="$SLURM_CPUS_PER_TASK" --cpu-bind=cores'


def jobqueue_options(
    launcher: str | None = None, python: str | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Options for dask-jobqueue's ``SLURMCluster(...)`` that make its workers MPI-capable.

    Each worker job runs ``launcher python -m distributed.cli.dask_worker ...
    --no-nanny --preload hpclab.mpiworker``: the job step is a one-task MPI job
    (``srun --mpi=<the site's plugin>`` gives it PMI, :func:`srun_launcher`;
    use the site's launcher where srun's PMI does not match the MPI library,
    e.g. ``mpiexec -n 1``), so MPI can later join the workers into one
    communicator (:func:`hpclab.handoff.run_on_workers`). Refused, as
    ``start(mpi=True)`` is, when the MPI is Open MPI
    (:func:`require_connectable_mpi`): its separate jobs never connect, and the
    driver would wait until its wall time. ``--cpu-bind`` is explicit because
    a SLURMCluster started inside a job step hands that step's
    ``SLURM_CPU_BIND`` (a mask of the *driver's* CPUs) to the worker jobs
    through sbatch's environment; measured on the virtual cluster, srun then
    refuses: "CPU binding outside of job step allocation".

    Parameters
    ----------
    launcher : str, optional
        The command that starts each worker as a one-task MPI job (default:
        :func:`srun_launcher`, Slurm's ``srun`` with the site's ``--mpi``, the
        task's CPUs, bound to cores).
    python : str, optional
        The Python the workers run (default: this one, ``sys.executable``).
    env : mapping of str to str, optional
        The environment to read ``SLURM_MPI_TYPE`` from; by default ``os.environ``.

    Returns
    -------
    dict
        Keyword arguments for ``SLURMCluster``: ``python`` (launcher and interpreter),
        ``nanny=False`` (MPI needs the worker to be the launched process) and the
        ``--preload hpclab.mpiworker`` worker argument. Use as
        ``SLURMCluster(cores=..., memory=..., **jobqueue_options())``.

    Raises
    ------
    SetupError
        If the MPI library is Open MPI (the reason is :func:`require_connectable_mpi`'s).
    """
    require_connectable_mpi()
    return {
        "python": f"{launcher or srun_launcher(env)} {python or sys.executable}",
        "nanny": False,
        "worker_extra_args": ["--preload", PRELOAD],
    }


def require_connectable_mpi() -> None:
    """Refuse, with the reason, an MPI whose separate one-process jobs cannot join one communicator.

    Measured: with MPICH, ``mpiexec -n 1`` jobs ``Open_port``/``Accept``/``Connect``
    fine; with PyPI's Open MPI 5 they wait in the first round for ever (separate
    ``mpiexec`` jobs share no PMIx server), so starting them would only hang.
    MPI is not initialised here (:func:`hpclab.mpi.import_mpi`).
    """
    family = family_of_vendor(import_mpi().get_vendor()[0])
    if family == "Open MPI":
        raise SetupError(
            "MPI-capable Dask workers (start(mpi=True), jobqueue_options) need an MPICH-family MPI: with "
            "Open MPI, separate `mpiexec -n 1` jobs cannot connect to each other without a shared PMIx "
            "server, so building their communicator would never finish. Install the mpich wheel "
            "(`pip install -e '.[mpich]'`), or use dask-mpi (one mpirun for the whole cluster)."
        )
