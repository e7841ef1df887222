"""hpclab: the runtime, exercise checks and grader of a course on distributed Python.

The package is laid out by who uses it.

**The learner's runtime** (the top-level modules the lessons import):

* ``cluster``: a Dask client sized for where you are (laptop, login node, Slurm
  job), speaking TLS, its dashboard reached through JupyterLab;
* ``tls``: TLS credentials for every Dask cluster, in memory or per batch job;
* ``guard``: local Dask workers that survive a kernel interrupt and end with
  the kernel;
* ``mpi``: run MPI programs from a notebook (``%%mpirun``, ``run``);
* ``mpiworker``: Dask workers that are MPI jobs, so MPI code can join them;
* ``handoff``: Dask's blocks to MPI code, in memory or through files;
* ``data``: the lessons' datasets, made offline;
* ``binding``: the CPUs, threads and memory limit a task or worker really has;
* ``timing``: warm-up runs, then the median of a few (``median_time``, ``speedup``);
* ``scaling``: scaling studies: speedups, efficiency, Amdahl and Gustafson fits,
  tables and plots;
* ``doctor``: what is wrong with this set-up, and the fix;
* ``config``: every ``HPCLAB_*`` environment variable, in one place;
* ``processes``: stopping what hpclab started;
* ``errors``: ``HpclabError``, the base of every error whose message says what
  to do.

**hpclab.checks**: exercise feedback, one module per lesson, for the learner in
the notebook and, machine-readable, for the grader.

**hpclab.grading**: the instructor's grading pipeline: build the exercises from
the solutions, execute a notebook under a deadline, confine a submission in a
sandbox, grade a room of submissions and report to learners and instructors.

**hpclab.slurm**: jobs (submit a batch script and follow it), vcluster (a real
Slurm of virtual nodes on one machine) and sitecheck (prove a site profile).

**hpclab.tools**: maintainers' tooling: bench (speed claims measured side by
side), deps (the lock, with pyproject and environment.yml in step with it), lab
(how JupyterLab is started), kernel (the environment as a Jupyter kernel) and
reference (the settings and command-line pages, made from the code).

**hpclab.cli**: the ``hpclab`` command (also ``python -m hpclab``), a thin layer
over all of these.
"""

__version__ = "0.1.0"
