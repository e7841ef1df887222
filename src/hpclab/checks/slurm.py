"""Checks for lesson 10-dask-on-slurm: dask-mpi ranks, job sizes, scheduler files, cost, a broken job script.

Nothing here needs Slurm: the answers are numbers, small functions and line
numbers, checked against the rules the lesson teaches (``srun`` starts
``SLURM_NTASKS + 2`` ranks for ``dask_mpi.initialize``; Slurm charges the
allocated CPUs for the elapsed time).
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path

from hpclab.checks import Question, Wrong, check, plain, require
from hpclab.checks._reference import close

LESSON = "10-dask-on-slurm"
Q1 = Question(LESSON, "q1", "who runs on which rank", points=1, level=1)
Q2 = Question(LESSON, "q2", "size a dask-mpi job", points=2, level=2)
Q3 = Question(LESSON, "q3", "read a scheduler file", points=2, level=2)
Q4 = Question(LESSON, "q4", "what a job costs", points=2, level=2)
Q5 = Question(LESSON, "q5", "spot the mistakes in a job script", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]

#: The job of Q1: ``#SBATCH --ntasks`` of a dask-mpi ``initialize()`` job.
Q1_NTASKS = 6

#: The job script of Q5: a sound design with eight mistakes in it.
BROKEN_SCRIPT = """\
#!/bin/bash
#SBATCH --job-name=analysis
#SBATCH --nodes=2
#SBATCH --ntasks=4               # four Dask workers ...
#SBATCH --cpus-per-task=4        # ... with four threads each
#SBATCH --mem-per-cpu=2G
#SBATCH --time=01:00:00
#SBATCH --account=prj4711
#SBATCH --output=%x-%j.out
set -euo pipefail
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

scheduler_file="scheduler-$SLURM_JOB_ID.json"
rm -f "$scheduler_file"
echo "connect from a notebook with scheduler_file=$scheduler_file"

# One rank more than there are workers: rank 0 runs the scheduler.
srun --kill-on-bad-exit=1 --distribution=cyclic \\
     --oversubscribe \\
     --ntasks=$((SLURM_NTASKS + 1)) \\
     python -m mpi4py -m dask_mpi.cli \\
     --scheduler-file "$scheduler_file" \\
     --protocol tcp \\
     --interface "$HPCLAB_IFACE" \\
     --nthreads 4 \\
     --dashboard-address :8787 \\
     --local-directory "${TMPDIR:-/tmp}" &
cluster=$!

python jobscripts/programs/connect.py "$scheduler_file" 5
wait "$cluster"
"""

# Each mistake: the lines (1-based) that show it (marking any one of them finds it),
# what it is (shown once all are found), and its kind (shown while it is still
# missing). Hints never name a line, and never say how many marked lines are fine.
_MISTAKES = [
    (
        {8},
        "a hard-coded account (it belongs in the site profile or SBATCH_ACCOUNT)",
        "a setting that only works for one user or project",
    ),
    (
        {13, 15},
        "a relative scheduler file path (a notebook in another folder looks elsewhere)",
        "a file another process must find, named so that it depends on the current folder",
    ),
    (
        {18},
        "srun is not told --cpus-per-task: in Slurm 22.05 to 23.02 (Debian 12 ships 22.05.8) a step does not "
        "inherit it, so each rank gets a single CPU while its worker runs 4 threads (23.11 inherits it again; "
        "passing it works on every release)",
        "a rank that is not given all the CPUs its worker will use",
    ),
    (
        {19, 20},
        "once srun is told --cpus-per-task=4, its 5 ranks need 20 CPUs of the 16 allocated: "
        "that needs --overcommit (--oversubscribe is about sharing nodes with other jobs)",
        "more ranks started than tasks were allocated, without the option that allows it",
    ),
    (
        {23},
        "plain TCP and no credentials (dask_tls in common.sh): anyone who can reach the node can connect "
        "to the scheduler and run code as you",
        "a cluster that lets in any client that finds it",
    ),
    (
        {25},
        "the thread count typed a second time instead of $SLURM_CPUS_PER_TASK",
        "a number of threads typed again although Slurm already knows it",
    ),
    (
        {26},
        "a fixed dashboard port on every interface: a second job on the node cannot have it, and anyone on "
        "the network can open the dashboard (use 127.0.0.1:0 and --scheduler-port 0, then a tunnel)",
        "a network address that two jobs on one node would both want",
    ),
    (
        {30},
        "the number of workers typed, and wrong: there are $SLURM_NTASKS",
        "a number of workers typed instead of read from Slurm",
    ),
]
#: At most this many lines may be marked: one per mistake and a couple to spare, not every line.
MAX_MARKED = len(_MISTAKES) + 2


def broken_script_lines() -> list[str]:
    """The lines of :data:`BROKEN_SCRIPT`, so that ``lines[n - 1]`` is line ``n``.

    Use it to look up the lines you mark in Q5 (:func:`check_q5`).

    Returns
    -------
    list of str
        The script's lines, without their line endings.
    """
    return BROKEN_SCRIPT.splitlines()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ----------------------------------------------------------------------- Q1


@check(Q1)
def check_q1(n_ranks, n_workers, client_rank) -> str:
    """Check which rank does what in the question's dask-mpi job: ranks started, workers, and the client's rank.

    Compared with the rules the lesson teaches for a job that calls ``dask_mpi.initialize()``.

    Parameters
    ----------
    n_ranks : int
        The number of ranks srun starts.
    n_workers : int
        How many of those ranks become Dask workers.
    client_rank : int
        The rank that runs your own code, the client.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    for value, name in ((n_ranks, "n_ranks"), (n_workers, "n_workers"), (client_rank, "client_rank")):
        require(value, name)
    n_ranks, n_workers, client_rank = (
        plain(value, int, name)
        for value, name in ((n_ranks, "n_ranks"), (n_workers, "n_workers"), (client_rank, "client_rank"))
    )
    if n_ranks != Q1_NTASKS + 2:
        raise Wrong(
            f"n_ranks = {n_ranks}: srun is told --ntasks=$((SLURM_NTASKS + 2)) and SLURM_NTASKS "
            f"is what #SBATCH --ntasks asked for"
        )
    if client_rank == 0:
        raise Wrong("client_rank = 0: rank 0 runs the scheduler; your code runs on the next rank")
    if client_rank != 1:
        raise Wrong(f"client_rank = {client_rank}: initialize() gives the scheduler and your code the first two ranks")
    if n_workers == n_ranks:
        raise Wrong(f"n_workers = {n_workers}: not every rank is a worker (the scheduler and your code are not)")
    if n_workers != Q1_NTASKS:
        raise Wrong(f"n_workers = {n_workers}: count the ranks that are neither the scheduler nor the client")
    return (
        f"{n_ranks} ranks: the scheduler on 0, your code on 1, and {n_workers} workers, exactly "
        "what #SBATCH --ntasks asked for"
    )


# ----------------------------------------------------------------------- Q2

_KEYS = {"nodes", "ntasks", "cpus-per-task"}


@check(Q2)
def check_q2(dask_mpi_resources) -> str:
    """Check ``dask_mpi_resources``: the ``#SBATCH`` settings and srun's task count for a dask-mpi job.

    Tried on several numbers of workers, threads and nodes; a job with more nodes than workers must raise
    ValueError.

    Parameters
    ----------
    dask_mpi_resources : callable
        Your function: ``dask_mpi_resources(workers, threads, nodes) -> (dict, int)``, the ``#SBATCH`` settings
        (keys ``"nodes"``, ``"ntasks"``, ``"cpus-per-task"``) and srun's ``--ntasks``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(dask_mpi_resources, "dask_mpi_resources")
    for workers, threads, nodes in ((4, 1, 2), (2, 8, 2), (6, 4, 3), (1, 2, 1), (16, 10, 4)):
        call = f"dask_mpi_resources(workers={workers}, threads={threads}, nodes={nodes})"
        got = dask_mpi_resources(workers, threads, nodes)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise Wrong(f"{call} returned {got!r}; return two things: (sbatch_options, srun_ntasks)")
        options, srun_ntasks = got
        if not isinstance(options, dict) or set(options) not in (_KEYS, _KEYS | {"ntasks-per-node"}):
            keys = sorted(options) if isinstance(options, dict) else type(options).__name__
            raise Wrong(
                f"{call}: the options should be a dict with exactly the keys {sorted(_KEYS)} "
                f'(and, to spread the workers evenly, "ntasks-per-node"), not {keys}'
            )
        want = {"nodes": nodes, "ntasks": workers, "cpus-per-task": threads}
        if "ntasks-per-node" in options:  # the lesson's advice: --nodes and --ntasks alone do not spread evenly
            want["ntasks-per-node"] = workers // nodes
        options = plain(options, dict, f"the options of {call}", of=int)
        srun_ntasks = plain(srun_ntasks, int, f"the srun --ntasks of {call}")
        if options["ntasks"] == workers + 2:
            raise Wrong(
                f"{call}: #SBATCH --ntasks={options['ntasks']} pays for the scheduler and client "
                "as if they were workers; srun adds those two ranks with --overcommit"
            )
        for key in want:
            if options[key] != want[key]:
                raise Wrong(f"{call}: --{key}={options[key]!r}, expected {want[key]}")
        if srun_ntasks == workers:
            raise Wrong(
                f"{call}: srun --ntasks={srun_ntasks} leaves no ranks for the scheduler and the "
                "client, so two of your workers would become them"
            )
        if srun_ntasks != workers + 2:
            raise Wrong(f"{call}: srun --ntasks={srun_ntasks!r}, expected {workers + 2}")
    try:
        dask_mpi_resources(2, 4, 3)
    except ValueError:
        pass
    else:
        raise Wrong(
            "dask_mpi_resources(workers=2, threads=4, nodes=3) should raise ValueError: a job with "
            "more nodes than workers pays for a node with no worker on it"
        )
    return "workers in #SBATCH --ntasks, threads in --cpus-per-task, two more ranks for srun"


# ----------------------------------------------------------------------- Q3


def _write_scheduler_file(folder: Path, name: str, address: str, dashboard: int | None) -> Path:
    """A file shaped like the one ``distributed.Scheduler(scheduler_file=...)`` writes."""
    info = {
        "type": "Scheduler",
        "id": f"Scheduler-{random.getrandbits(64):016x}",
        "address": address,
        "services": {} if dashboard is None else {"dashboard": dashboard},
        "started": 1_800_000_000.0 + random.random(),
        "n_workers": 0,
        "total_threads": 0,
        "total_memory": 0,
        "workers": {},
    }
    path = folder / name
    path.write_text(json.dumps(info, indent=2))
    return path


@check(Q3)
def check_q3(scheduler_info) -> str:
    """Check ``scheduler_info``: the scheduler's address and dashboard port, read from a scheduler file.

    Called on three files the check writes, given as a ``pathlib.Path`` or a ``str``; one has no dashboard, and
    there the port must be None.

    Parameters
    ----------
    scheduler_info : callable
        Your function: ``scheduler_info(path) -> (str, int or None)``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(scheduler_info, "scheduler_info")
    rng = random.Random()
    with tempfile.TemporaryDirectory(prefix="hpclab-check-") as tmp:
        folder = Path(tmp)
        cases = []
        for i, with_dashboard in enumerate((True, True, False)):
            host = f"10.{rng.randint(1, 250)}.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
            address = f"tcp://{host}:{rng.randint(20000, 60000)}"
            dashboard = rng.randint(20000, 60000) if with_dashboard else None
            path = _write_scheduler_file(folder, f"scheduler-{i}.json", address, dashboard)
            # The learner's function should take a str as well as a Path.
            cases.append((str(path) if i == 1 else path, address, dashboard))
        for given, address, dashboard in cases:
            try:
                got = scheduler_info(given)
            except KeyError as exc:
                if dashboard is None:
                    raise Wrong(
                        f'a file whose "services" is empty (no dashboard) made your function raise '
                        f"KeyError {exc}; return None as the port there (dict.get helps)"
                    ) from None
                raise
            if not (isinstance(got, (tuple, list)) and len(got) == 2):
                raise Wrong(f"scheduler_info returned {got!r}; return two things: (address, dashboard_port)")
            got_address, got_port = got
            got_address = plain(got_address, str, "the address scheduler_info returns")
            if got_address != address:
                raise Wrong(
                    f"for a file with address {address!r} you returned {got_address!r}: read the "
                    '"address" field of the file you are given'
                )
            if dashboard is None:
                if got_port is not None:
                    raise Wrong(
                        f'for a file whose "services" is empty (no dashboard) you returned '
                        f"{got_port!r}; return None there"
                    )
            elif not _is_int(got_port) or plain(got_port, int, "the dashboard port") != dashboard:
                raise Wrong(
                    f"for a file with dashboard port {dashboard} you returned {got_port!r}: "
                    'it is under "services" -> "dashboard", as an int'
                )
    return "address and dashboard port from three files, including one without a dashboard"


# ----------------------------------------------------------------------- Q4


def _hours(elapsed: str) -> float:
    match = re.fullmatch(r"(?:(\d+)-)?(\d+):(\d\d):(\d\d)", elapsed)
    assert match, elapsed
    days, hours, minutes, seconds = (int(x or 0) for x in match.groups())
    return days * 24 + hours + minutes / 60 + seconds / 3600


def _reference_core_hours(
    elapsed: str, nodes: int, ntasks: int, cpus_per_task: int, cores_per_node: int, exclusive: bool
) -> float:
    cpus = nodes * cores_per_node if exclusive else ntasks * cpus_per_task
    return cpus * _hours(elapsed)


@check(Q4)
def check_q4(core_hours) -> str:
    """Check ``core_hours``: the core-hours Slurm charges for a finished job.

    Tried on jobs of under an hour, of hours and of days, on shared and on exclusive nodes.

    Parameters
    ----------
    core_hours : callable
        Your function: ``core_hours(elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive) -> float``,
        with ``elapsed`` as ``sacct`` prints it (``"01:30:00"``, ``"1-02:00:00"``); called with the arguments after
        ``elapsed`` by keyword.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(core_hours, "core_hours")
    cases = [
        # elapsed, nodes, ntasks, cpus_per_task, cores_per_node, exclusive
        ("01:30:00", 2, 2, 2, 40, True),
        ("01:30:00", 2, 2, 2, 40, False),
        ("00:45:36", 1, 1, 4, 40, False),
        ("1-02:00:00", 1, 1, 4, 40, False),
        ("2-00:15:00", 4, 16, 10, 48, True),
        ("00:00:30", 1, 3, 1, 128, True),
    ]
    for elapsed, nodes, ntasks, cpus, cores, exclusive in cases:
        call = (
            f"core_hours({elapsed!r}, nodes={nodes}, ntasks={ntasks}, cpus_per_task={cpus}, "
            f"cores_per_node={cores}, exclusive={exclusive})"
        )
        got = core_hours(
            elapsed, nodes=nodes, ntasks=ntasks, cpus_per_task=cpus, cores_per_node=cores, exclusive=exclusive
        )
        want = _reference_core_hours(elapsed, nodes, ntasks, cpus, cores, exclusive)
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise Wrong(f"{call} returned {got!r}; return a number of core-hours")
        if close(got, want):
            continue
        other = _reference_core_hours(elapsed, nodes, ntasks, cpus, cores, not exclusive)
        if close(got, other):
            raise Wrong(
                f"{call} = {got:g}, expected {want:g}: "
                + (
                    "an exclusive job is charged for every core of its nodes"
                    if exclusive
                    else "a shared job is charged only for the CPUs it asked for"
                )
            )
        if "-" in elapsed and close(got, want - int(elapsed.split("-")[0]) * 24 * want / _hours(elapsed)):
            raise Wrong(f"{call} = {got:g}, expected {want:g}: {elapsed!r} starts with a number of days")
        raise Wrong(f"{call} = {got!r}, expected {want:g}")
    return "allocated CPUs x elapsed hours, days and exclusive nodes included"


# ----------------------------------------------------------------------- Q5


@check(Q5)
def check_q5(mistakes) -> str:
    """Check ``mistakes``: the line numbers of :data:`BROKEN_SCRIPT` that show its mistakes.

    Every mistake must be marked on one of its lines, no fine line may be marked, and at most a couple of lines more
    than there are mistakes; the hints name the kind of mistake still to find, never a line.

    Parameters
    ----------
    mistakes : set of int
        Line numbers counted from 1, as :func:`broken_script_lines` numbers them.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(mistakes, "mistakes")
    marked = plain(mistakes, set, "mistakes", of=int)
    n_lines = len(broken_script_lines())
    bad = sorted(m for m in marked if not 1 <= m <= n_lines)
    if bad:
        raise Wrong(f"{bad} are not line numbers of the script (whole numbers from 1 to {n_lines})")
    if not marked:
        raise Wrong("`mistakes` is empty, but the script has mistakes")
    if len(marked) > MAX_MARKED:
        raise Wrong(
            f"you marked {len(marked)} lines; mark at most {MAX_MARKED}, one for each mistake you can "
            "explain: marking every line that might be wrong is not spotting mistakes"
        )
    unfound = [kind for lines, _, kind in _MISTAKES if not lines & marked]
    wrong = marked - set().union(*(lines for lines, _, _ in _MISTAKES))
    if unfound or wrong:
        parts = []
        if unfound:
            parts.append(f"still to find: {'; '.join(unfound)}")
        if wrong:
            parts.append(
                (
                    "some lines you marked are fine"
                    if unfound
                    else "you found every mistake, but some lines you marked are fine"
                )
                + ": for each one, say what would go wrong because of it, and unmark it if you cannot"
            )
        raise Wrong("; and ".join(parts))
    return f"all {len(_MISTAKES)}: " + "; ".join(why for _, why, _ in _MISTAKES)
