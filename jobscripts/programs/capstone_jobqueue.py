"""The capstone pipeline on dask-jobqueue workers that can join MPI (lesson 12, variant).

No dask-mpi, no big MPI job: this driver starts a SLURMCluster whose worker
jobs each run one MPI-capable Dask worker (`srun --mpi=$SLURM_MPI_TYPE -n 1 ...`, the
site profile's plugin, from hpclab.mpiworker.jobqueue_options, which refuses Open MPI:
its separate one-task jobs never connect). hpclab.handoff.run_on_workers(...,
mpi=True) grows a communicator over them and runs the very same smooth and
area_mean as capstone.py does under dask-mpi.

Usage (see jobscripts/capstone-jobqueue.sh): python capstone_jobqueue.py [--sweeps N] [--rows R] [--workers W]
"""

import argparse
import os
import shutil
import sys
import tempfile

from dask_jobqueue import SLURMCluster
from distributed import Client
from distributed.security import Security

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import capstone  # noqa: E402  (beside this file: the pipeline's steps)

from hpclab.mpiworker import jobqueue_options  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweeps", type=int, default=20, help="Jacobi sweeps")
    parser.add_argument("--rows", type=int, default=5, help="map rows per block")
    parser.add_argument("--workers", type=int, default=2, help="worker jobs, one MPI-capable worker each")
    args = parser.parse_args()

    root = os.environ["HPCLAB_ROOT"]
    # TLS, as in jobqueue_demo.py: new credentials for this cluster alone, written for the worker
    # jobs into a private folder on the shared filesystem (mode 0700), removed at the end.
    results = os.path.join(root, "results")
    os.makedirs(results, exist_ok=True)
    private = tempfile.mkdtemp(prefix="jobqueue-tls-", dir=results)
    cluster = SLURMCluster(
        cores=1,
        processes=1,
        memory="1GiB",
        walltime="00:08:00",
        queue=os.environ.get("SBATCH_PARTITION") or None,
        account=os.environ.get("SBATCH_ACCOUNT") or None,
        interface=os.environ.get("HPCLAB_IFACE"),
        local_directory=os.environ.get("TMPDIR", "/tmp"),
        log_directory=os.environ.get("HPCLAB_JOBQUEUE_LOGS") or os.path.join(root, "results", "jobqueue-logs"),
        # The workers unpickle capstone's functions by name, so they import it from here too.
        job_script_prologue=[f"source {root}/jobscripts/common.sh", f"export PYTHONPATH={here}"],
        scheduler_options={"dashboard_address": "127.0.0.1:0"},  # a free port, reached by SSH tunnel
        security=Security.temporary(),  # the scheduler, the worker jobs and our client speak tls://
        shared_temp_directory=private,
        **jobqueue_options(),
    )
    try:
        cluster.scale(jobs=args.workers)
        with Client(cluster, timeout=120) as client:
            client.wait_for_workers(args.workers, timeout=180)
            capstone.pipeline(client, args.sweeps, args.rows, timeout=300)  # prints the scheduler address: tls://
    finally:
        cluster.close()  # cancels the worker jobs, also after an error
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    main()
