"""Tune an SVM on scikit-learn's digits with dask-ml's GridSearchCV over dask-mpi workers."""

import os
import time

from dask_mpi import initialize
from distributed import Client
from mpi4py import MPI
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

import hpclab.binding
import hpclab.cluster

# Ranks 0 and 2.. stay inside initialize() (scheduler, workers) until rank 1,
# which runs the rest of this file, is done. Each worker gets the threads and
# memory its task was given: --cpus-per-task, and its share of the job's --mem-per-cpu.
initialize(
    interface=os.environ.get("HPCLAB_IFACE"),
    nthreads=hpclab.cluster.slurm_cpus_per_task(),
    memory_limit=hpclab.cluster.slurm_task_memory() or "auto",
    local_directory=os.environ.get("TMPDIR", "/tmp"),
    dashboard=False,
    dashboard_address="127.0.0.1:0",
)  # never a fixed port on a shared node

from dask_ml.model_selection import GridSearchCV  # noqa: E402  (after the workers exist)

with Client(timeout=120) as client:
    # Every rank but the scheduler and this one is a worker. (Not SLURM_NTASKS:
    # inside the srun step it counts all ranks, scheduler and client included.)
    client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=120)
    digits = load_digits()
    X = digits.images.reshape(len(digits.images), -1)
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=0.5, random_state=0)
    grid = [{"kernel": ["rbf"], "gamma": [1e-3, 1e-4], "C": [1, 10, 100]}, {"kernel": ["linear"], "C": [1, 10]}]
    start = time.perf_counter()
    search = GridSearchCV(SVC(), grid, scoring="precision_macro", scheduler=client).fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    accuracy = accuracy_score(y_test, search.predict(X_test))
    workers = len(client.scheduler_info()["workers"])
    print(f"best parameters: {search.best_params_}")
    print(
        f"held-out accuracy {accuracy:.3f}; {len(search.cv_results_['params'])} candidates "
        f"searched in {elapsed:.1f} s on {workers} workers"
    )
    print(f"scheduler: {client.scheduler.address}")  # tls:// in a job: see dask_tls in jobscripts/common.sh
    for found in hpclab.binding.workers(client):
        print(hpclab.binding.describe(found))
