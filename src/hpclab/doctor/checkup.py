"""The whole check-up: every section's findings, in order, in one :class:`~hpclab.doctor.findings.Report`."""

from __future__ import annotations

import os
import socket

from hpclab.doctor.dashboard import dashboard_findings
from hpclab.doctor.findings import Report
from hpclab.doctor.mpi import mpi_findings
from hpclab.doctor.network import network_findings
from hpclab.doctor.python import python_findings
from hpclab.doctor.security import tls_findings
from hpclab.doctor.slurm import slurm_findings
from hpclab.mpi import launcher_view


def report(*, mpi: bool | None = None, timeout: float = 60) -> Report:
    """Look at everything that commonly goes wrong here, and say how to fix it.

    Checks this Python and its packages, the MPI library and its launchers,
    the Slurm job (and the "rank 0 of 1" trap), the network Dask would use,
    how to reach the dashboard from a laptop, and whether a Dask scheduler
    speaks plain TCP on a shared machine. Nothing is sent over the network,
    and MPI never starts in this process (only, when asked, in a short-lived
    subprocess).

    Parameters
    ----------
    mpi : bool, optional
        Start MPI (in a subprocess) to see the rank and size it reports:
        ``None`` (default) only when a launcher such as ``srun`` or ``mpiexec``
        started this process; ``True`` always (a one-process check that MPI
        starts at all); ``False`` never.
    timeout : float
        Seconds that subprocess may take to start MPI.

    Returns
    -------
    Report
        Every finding; ``print(report())`` shows one line per finding (✅ fine,
        ⚠️ worth a look, ❌ broken), each ⚠️/❌ followed by its fix;
        ``report().ok`` is False when anything is broken.
    """
    env = os.environ
    findings = (
        python_findings()
        + mpi_findings(env)
        + slurm_findings(env, probe=mpi, timeout=timeout)
        + network_findings(env)
        + dashboard_findings(env)
        + tls_findings(env)
    )
    view = launcher_view(env)
    return Report(
        host=env.get("SLURMD_NODENAME") or socket.gethostname(),
        findings=findings,
        task=view if view.get("size", 1) > 1 else {},
    )
