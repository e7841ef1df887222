"""The handoff on dask-jobqueue workers: each worker job runs one `srun --mpi=pmi2 -n 1` MPI worker.

Run by tests/handoff_programs/jobqueue-handoff.sh (a driver job on the virtual
cluster). The same functions as under dask-mpi (handoff_scenarios) must agree
with NumPy; prints one line per check, plus the worker job script.
"""

import os
import sys

from dask_jobqueue import SLURMCluster
from distributed import Client

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import handoff_scenarios  # noqa: E402

from hpclab.mpiworker import jobqueue_options  # noqa: E402

root = os.environ["HPCLAB_ROOT"]
WORKER_JOBS = 2
cluster = SLURMCluster(
    cores=1,
    processes=1,
    memory="1GiB",
    walltime="00:05:00",
    queue=os.environ.get("SBATCH_PARTITION") or None,
    account=os.environ.get("SBATCH_ACCOUNT") or None,
    interface=os.environ.get("HPCLAB_IFACE"),
    local_directory=os.environ.get("TMPDIR", "/tmp"),
    log_directory=os.path.join(os.environ.get("HPCLAB_JOBQUEUE_LOGS", os.path.join(root, "results")), "jq-logs"),
    # The workers unpickle handoff_scenarios' functions by name: they must find the module too.
    job_script_prologue=[f"source {root}/jobscripts/common.sh", f"export PYTHONPATH={here}"],
    scheduler_options={"dashboard_address": "127.0.0.1:0"},
    **jobqueue_options(),  # srun --mpi=pmi2 -n 1 ... python -m distributed.cli.dask_worker --no-nanny --preload
)
print("worker job script:")
print(cluster.job_script())
try:
    cluster.scale(jobs=WORKER_JOBS)
    with Client(cluster) as client:
        client.wait_for_workers(WORKER_JOBS, timeout=180)
        for line in handoff_scenarios.scenarios(client, timeout=60):
            print(line, flush=True)
finally:
    cluster.close()
