"""Start Dask workers as separate Slurm jobs with dask-jobqueue, use them, stop them.

Account, partition and network interface come from the site profile
(SBATCH_ACCOUNT, SBATCH_PARTITION, HPCLAB_IFACE), never from this file.
"""

import os
import shutil
import socket
import tempfile

from dask_jobqueue import SLURMCluster
from distributed import Client, wait
from distributed.security import Security

root = os.environ["HPCLAB_ROOT"]
# TLS: new credentials for this cluster alone. The worker jobs need them as files,
# which dask-jobqueue writes into shared_temp_directory: a folder on the shared
# filesystem that only you can read (mkdtemp makes it mode 0700), removed at the end.
results = os.path.join(root, "results")
os.makedirs(results, exist_ok=True)
private = tempfile.mkdtemp(prefix="jobqueue-tls-", dir=results)
cluster = SLURMCluster(
    cores=1,  # CPUs per worker job ...
    processes=1,  # ... run as one worker process
    # Memory is per *job* (-> #SBATCH --mem) and split between its processes
    # for Dask's --memory-limit. Write GiB, as Slurm counts: "1GB" means 10**9
    # bytes, and the job would ask for --mem=954M, not the 1 GiB you meant.
    memory="1GiB",
    walltime="00:05:00",
    # Workers leave before the walltime kills them, one at a time, so the
    # scheduler moves their data elsewhere (and adapt() can start new jobs).
    worker_extra_args=["--lifetime", "4m", "--lifetime-stagger", "30s"],
    queue=os.environ.get("SBATCH_PARTITION") or None,
    account=os.environ.get("SBATCH_ACCOUNT") or None,
    interface=os.environ.get("HPCLAB_IFACE"),
    local_directory=os.environ.get("TMPDIR", "/tmp"),
    log_directory=os.path.join(root, "results", "jobqueue-logs"),
    job_script_prologue=[f"source {root}/jobscripts/common.sh"],
    scheduler_options={"dashboard_address": "127.0.0.1:0"},  # a free port, reached by SSH tunnel
    security=Security.temporary(),  # the scheduler, the worker jobs and our client speak tls://
    shared_temp_directory=private,
)
print("Each worker is this job script, submitted with sbatch:")
print(cluster.job_script())

WORKER_JOBS = 2
try:
    cluster.scale(jobs=WORKER_JOBS)  # the worker jobs join the queue
    with Client(cluster, timeout=120) as client:
        client.wait_for_workers(WORKER_JOBS, timeout=180)
        futures = client.map(lambda x: x * x, range(100))
        wait(futures, timeout=120)
        squares = client.gather(futures)
        hosts = sorted(set(client.run(socket.gethostname).values()))
        print(f"sum of squares = {sum(squares)} from {WORKER_JOBS} worker jobs on {' '.join(hosts)}")
        print(f"scheduler: {client.scheduler.address}")
finally:
    cluster.close()  # cancels the worker jobs, also after an error
    shutil.rmtree(private, ignore_errors=True)
