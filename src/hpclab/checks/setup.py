"""Checks for lesson 00-setup: what is on this machine."""

from __future__ import annotations

import os

from hpclab.checks import Question, Wrong, check, plain, require
from hpclab.cluster import available_cores

LESSON = "00-setup"
Q1 = Question(LESSON, "q1", "cores available to you", points=1, level=1)
Q2 = Question(LESSON, "q2", "the MPI library mpi4py uses", points=1, level=1)
Q3 = Question(LESSON, "q3", "threads in your Dask cluster", points=2, level=2)
Q4 = Question(LESSON, "q4", "ranks that answered", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4]


@check(Q1)
def check_q1(n_cores) -> str:
    """Check ``n_cores``: the number of CPU cores this process may run on.

    Compared with the cores the process's CPU affinity allows, which inside a Slurm job or a container can be fewer
    than ``os.cpu_count()`` counts. Where a CPU quota (a cgroup's ``cpu.max``) allows fewer still, both the affinity's
    count and the quota's (``hpclab.cluster.available_cores()``) are right.

    Parameters
    ----------
    n_cores : int
        The number of cores you found.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(n_cores, "n_cores")
    expected = available_cores()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else expected
    n_cores = plain(n_cores, int, "n_cores")
    if n_cores not in (expected, affinity):
        raise Wrong(
            f"you have {n_cores!r}, but this process may use {expected} cores. "
            "os.cpu_count() counts the whole machine; inside a Slurm job or a "
            "container, len(os.sched_getaffinity(0)) counts what you may use"
        )
    if n_cores != expected:
        return (
            f"{n_cores} cores by your affinity; a CPU quota (cgroup cpu.max) lets this session use only "
            f"{expected}: hpclab.cluster.available_cores() counts both"
        )
    return f"{expected} cores"


@check(Q2)
def check_q2(mpi_vendor) -> str:
    """Check ``mpi_vendor``: the name of the MPI library that mpi4py talks to.

    Compared, ignoring case and surrounding spaces, with the name ``MPI.get_vendor()`` reports.

    Parameters
    ----------
    mpi_vendor : str
        The library's name, such as ``"MPICH"`` or ``"Open MPI"``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(mpi_vendor, "mpi_vendor")
    from mpi4py import MPI  # noqa: PLC0415  importing mpi4py.MPI initialises MPI in the learner's kernel

    expected = MPI.get_vendor()[0]
    mpi_vendor = plain(mpi_vendor, str, "mpi_vendor")
    if mpi_vendor.strip().lower() != expected.lower():
        raise Wrong(f"mpi4py reports a different library; look at MPI.get_vendor() (you have {mpi_vendor!r})")
    return f"mpi4py talks to {expected}"


@check(Q3)
def check_q3(client, total_threads) -> str:
    """Check ``total_threads``: the number of threads of all the workers of your Dask cluster.

    Compared with the thread counts the scheduler reports in ``client.nthreads()``.

    Parameters
    ----------
    client : distributed.Client
        The client you started; the check asks its scheduler.
    total_threads : int
        Your count of the threads of all the workers together.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(total_threads, "total_threads")
    if client is None:
        raise Wrong("pass the Client you started as the first argument")
    expected = sum(client.nthreads().values())
    total_threads = plain(total_threads, int, "total_threads")
    if total_threads != expected:
        raise Wrong(
            f"you have {total_threads!r}, the scheduler counts {expected}. "
            "client.nthreads() maps each worker to its thread count: add them up"
        )
    return f"{len(client.nthreads())} workers, {expected} threads in all"


@check(Q4)
def check_q4(ranks) -> str:
    """Check ``ranks``: the ranks that answered when the program ran on 4 ranks.

    Parameters
    ----------
    ranks : list of int
        The rank numbers read from the output of ``hpclab.mpi.run(program, n=4)``, in any order.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(ranks, "ranks")
    got = sorted(plain(ranks, list, "ranks", of=int))
    if got != [0, 1, 2, 3]:
        raise Wrong(
            f"expected one answer from each of ranks 0-3, got {got}. Run the program "
            "with n=4 and read the rank number from each rank's line of output"
        )
    return "all four ranks reported"
