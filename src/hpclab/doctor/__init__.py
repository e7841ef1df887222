"""``hpclab doctor``: what is set up here, what is wrong, and how to fix it.

Most trouble in this course has a handful of causes: an ``mpiexec`` from a
different MPI than the one mpi4py loaded, ``srun`` starting every task as
"rank 0 of 1" (no PMI), Dask picking the wrong network, or not knowing how to
reach the dashboard from a laptop. :func:`report` looks at each of these and
returns a :class:`Report`; ``print(report)`` gives one line per finding
(✅ fine, ⚠️ worth a look, ❌ broken), each warning or problem followed by the
fix.

The doctor never starts MPI in the calling process (the library is inspected
with ``mpi4py.rc.initialize = False``); when it must see what MPI reports for
rank and size, it starts MPI in a short-lived subprocess. It sends nothing
over the network: whether the internet is reachable is judged from the
routing table alone.

One module per concept: ``findings`` (:class:`Finding`, :class:`Report`, the
statuses), one per section of the report (``python``, ``mpi``, ``slurm``,
``network``, ``dashboard``, ``security``), and ``checkup``, which runs them
all (:func:`report`). Which MPI library and launcher are at hand is
:mod:`hpclab.mpi`'s to say; its answers are re-exported here under the names
the doctor always had.
"""

from hpclab.doctor.checkup import report
from hpclab.doctor.dashboard import dashboard_findings, read_scheduler_file, tunnel_line
from hpclab.doctor.findings import FAIL, OK, SECTIONS, SYMBOL, WARN, Finding, Report
from hpclab.doctor.mpi import mpi_findings
from hpclab.doctor.network import OFFLINE_NOTE, dask_address, default_route, interfaces, network_findings
from hpclab.doctor.python import python_findings, settings_finding
from hpclab.doctor.security import shared_machine, tls_findings
from hpclab.doctor.slurm import probe_mpi, rank_finding, slurm_findings
from hpclab.mpi import PMI_FIX, compare_launcher, family_of_vendor, identify_launcher, mpi_library

__all__ = [
    "FAIL",
    "OFFLINE_NOTE",
    "OK",
    "PMI_FIX",
    "SECTIONS",
    "SYMBOL",
    "WARN",
    "Finding",
    "Report",
    "compare_launcher",
    "dashboard_findings",
    "dask_address",
    "default_route",
    "family_of_vendor",
    "identify_launcher",
    "interfaces",
    "mpi_findings",
    "mpi_library",
    "network_findings",
    "probe_mpi",
    "python_findings",
    "rank_finding",
    "read_scheduler_file",
    "report",
    "settings_finding",
    "shared_machine",
    "slurm_findings",
    "tls_findings",
    "tunnel_line",
]
