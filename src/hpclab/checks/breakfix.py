"""Checks for lesson 13-break-it-fix-it: failures on a cluster, diagnosed from their evidence and fixed.

Each case of the lesson is a job that really ran and failed on the course's virtual
cluster. Its *run record* (a dict the lesson makes from what Slurm said: the job id,
``sacct``'s rows, ``squeue``'s reasons, the job's output) is the evidence. The learner
answers with the cause and the evidence that shows it, read from the record with
code, and a fix; the checks compare the evidence with the record, value by value, so
an answer cannot be guessed, and judge the fix:

* **live** (the lesson ran on the virtual cluster: root and Slurm's packages), the
  lesson submits the fixed job script (or program) and the check requires that
  run to have succeeded;
* **replayed** (no Slurm: a laptop, or ``hpclab grade``'s sandbox), the lesson loads
  the run the course recorded on the virtual cluster (:data:`RECORDED`, written by
  ``jobscripts/programs/breakfix_record.py`` from a live test run of the lesson),
  the evidence is compared with that record, and a fixed job script is checked by
  reading its ``#SBATCH`` lines and arguments against the recorded evidence,
  without running it; its message says so. A fixed MPI program is always run for
  real (``mpiexec``, here).

Under ``hpclab grade`` the sandbox has no Slurm, so the lesson replays there, and a
record handed to a check must be the recorded run itself: an edited record fails.
(The grader's token is read from ``hpclab.checks``, the only place it is kept.)
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path
from typing import Any

import numpy as np
from dask.utils import parse_bytes

from hpclab import checks
from hpclab.checks import Question, Wrong, check, mpicheck, plain, require
from hpclab.checks.breakfix_run import RECORDED
from hpclab.data.paths import course_root

LESSON = "13-break-it-fix-it"
Q1 = Question(LESSON, "q1", "a job killed for memory", points=2, level=2)
Q2 = Question(LESSON, "q2", "an MPI job that hangs", points=3, level=3)
Q3 = Question(LESSON, "q3", "jobs that never start", points=1, level=1)
Q4 = Question(LESSON, "q4", "Dask workers that never arrive", points=2, level=2)
Q5 = Question(LESSON, "q5", "a job out of wall time", points=2, level=2)
Q6 = Question(LESSON, "q6", "a worker killed for memory", points=2, level=2)
Q7 = Question(LESSON, "q7", "a node made slow by too many threads", points=2, level=2)
Q8 = Question(LESSON, "q8", "a scheduler file on node-local /tmp", points=1, level=1)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8]

#: Memory the Python interpreter and NumPy need besides the data a program holds, in MB.
INTERPRETER_MB = 100

#: The causes a diagnosis may name, and the spellings accepted for each.
CAUSES = {
    "memory": {"memory", "oom", "out of memory", "out_of_memory"},
    "time": {"time", "timeout", "wall time", "walltime", "time limit"},
    "deadlock": {"deadlock", "dead lock"},
    "network": {"network", "interface", "address", "unreachable"},
    "oversubscription": {"oversubscription", "oversubscribed", "over-subscription", "too many threads", "threads"},
    "filesystem": {"filesystem", "file system", "node-local", "node local", "local disk", "tmp", "/tmp"},
}


# --------------------------------------------------------------------------- reading records and scripts


def _record(run: object, case: str, name: str) -> dict[str, Any]:
    """The run record of ``case`` handed to a check, refused when it is not one (or, when graded, not the recorded run)."""
    require(run, name)
    if not isinstance(run, dict) or "job_id" not in run:
        raise Wrong(f"`{name}` should be the run record the lesson made (a dict with a 'job_id'); run its cell again")
    if checks.graded() and run != RECORDED.get(case):
        raise Wrong(f"`{name}` is not the recorded run of this case: the lesson's cells that make it were changed")
    return run


def _diagnosis(diagnosis: object, run: dict[str, Any], cause: str) -> dict[str, Any]:
    """The learner's diagnosis with its cause and job id checked; its evidence dict."""
    require(diagnosis, "diagnosis")
    answer = plain(diagnosis, dict, "diagnosis")
    missing = {"cause", "job_id", "evidence"} - set(answer)
    if missing:
        raise Wrong(f"`diagnosis` needs the keys 'cause', 'job_id' and 'evidence'; it lacks {sorted(missing)}")
    said = plain(answer["cause"], str, "diagnosis['cause']").strip().lower()
    if said not in CAUSES[cause]:
        known = ", ".join(sorted(k for k in CAUSES))
        raise Wrong(f"cause {said!r}: read the evidence again; name the cause in a word ({known})")
    job_id = str(plain(answer["job_id"], (int if isinstance(answer["job_id"], int) else str), "diagnosis['job_id']"))
    if job_id != str(run["job_id"]):
        raise Wrong(f"job {job_id} is not the job of this case: read its id from the run record, do not type it")
    return plain(answer["evidence"], dict, "diagnosis['evidence']")


def _number(evidence: dict[str, Any], key: str) -> float:
    if key not in evidence:
        raise Wrong(f"the evidence needs {key!r}")
    return plain(evidence[key], float, f"evidence[{key!r}]")


def memory_mb(text: str) -> float:
    """Slurm's memory size as MB: ``300M``, ``1G``, ``512000K``, ``0.5G``; a bare number is MB.

    Parameters
    ----------
    text : str
        A size as ``sbatch --mem``, ``sacct``'s ReqMem or MaxRSS print it (a trailing ``n`` or ``c``,
        per node or per CPU, is ignored).

    Returns
    -------
    float
        The size in MB (MiB, as Slurm counts).
    """
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)[nc]?\s*", text, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"not a Slurm memory size: {text!r}")
    scale = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024**2}[match.group(2).upper()]
    return float(match.group(1)) * scale


def seconds(text: str) -> float:
    """Slurm's ``[D-][HH:]MM:SS`` (sacct's Elapsed, Timelimit) as seconds; a bare number is minutes (``--time=5``)."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return 60.0 * int(text)
    days, _, clock = text.rpartition("-")
    parts = [float(p) for p in clock.split(":")]
    while len(parts) < 3:  # D-HH, D-HH:MM count from the hours; MM, MM:SS from the minutes
        parts.insert(len(parts) if days else 0, 0.0)
    h, m, s = parts
    return int(days or 0) * 86400 + h * 3600 + m * 60 + s


def sbatch_header(script: str) -> str:
    """The lines of a job script sbatch reads ``#SBATCH`` options from: those before its first command.

    sbatch (src/sbatch/opt.c, Slurm 22.05) stops reading directives at the first line that is
    neither blank nor a comment, so an ``#SBATCH`` line after ``set -euo pipefail`` is ignored.
    """
    header = []
    for line in script.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    return "\n".join(header)


def sbatch_option(script: str, option: str) -> str | None:
    """The value of ``#SBATCH --option=value`` (or ``--option value``) in a job script's header; the last one wins."""
    found = re.findall(rf"^#SBATCH\s+--{re.escape(option)}(?:=|\s+)(\S+)", sbatch_header(script), flags=re.MULTILINE)
    return found[-1] if found else None


def _script(fixed: object, name: str) -> tuple[dict[str, Any], str]:
    """The fix record (from the lesson's ``try_fix``) and its script text."""
    require(fixed, name)
    if not isinstance(fixed, dict) or "script" not in fixed:
        raise Wrong(f"`{name}` should be what `try_fix(...)` returned for your script")
    script = fixed["script"]
    require(script, f"{name}['script']")
    return fixed, plain(script, str, "your fixed script")


def _ran_ok(fixed: dict[str, Any], what: str) -> str:
    """'' when the fix was not run here; a note when it ran and succeeded; Wrong when it ran and failed."""
    if not fixed.get("ran"):
        return f" (your fixed {what} was read, not run: there is no Slurm here)"
    if fixed.get("state") != "COMPLETED" or fixed.get("exit_code") != "0:0":
        tail = "\n".join(str(fixed.get("output", "")).strip().splitlines()[-3:])
        raise Wrong(
            f"your fixed {what} ran as job {fixed.get('job_id')} and ended {fixed.get('state')} "
            f"{fixed.get('exit_code')}: {tail}"
        )
    return f"; your fixed {what} ran as job {fixed['job_id']} and COMPLETED"


def _rows(run: dict[str, Any]) -> list[dict[str, str]]:
    return list(run.get("sacct") or [])


def _close(got: float, expected: float, rel: float) -> bool:
    return abs(got - expected) <= rel * abs(expected)


# --------------------------------------------------------------------------- Q1: out of memory


def oom_facts(run: dict[str, Any]) -> dict[str, Any]:
    """What really happened in the out-of-memory run: states, peak memory and request in MB.

    ``State`` is ``OUT_OF_MEMORY`` where a row of ``sacct`` says so (a site whose cgroups enforce
    memory), else the job's own state: on the virtual cluster, where ``jobacct_gather``'s
    OverMemoryKill kills the step, the job is ``FAILED`` and the step ``CANCELLED by 0``.
    """
    rows = _rows(run)
    states = {row["State"].split()[0] for row in rows if row.get("State")} or {run["state"]}
    peaks = [memory_mb(row["MaxRSS"]) for row in rows if row.get("MaxRSS")]
    requests = [memory_mb(row["ReqMem"]) for row in rows if row.get("ReqMem")]
    killed = re.search(r"exceeded memory limit \((\d+) > (\d+)\)", run.get("output", ""))
    if killed:
        peaks.append(int(killed.group(1)) / 2**20)
        requests.append(int(killed.group(2)) / 2**20)
    return {
        "states": states,
        "State": "OUT_OF_MEMORY" if "OUT_OF_MEMORY" in states else run["state"],
        "MaxRSS_MB": max(peaks) if peaks else None,
        "ReqMem_MB": max(requests) if requests else None,
    }


def _held_mb(script: str) -> int:
    """What breakfix_memory.py holds at most with the arguments in ``script``."""

    commands = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))

    def arg(name: str, default: int) -> int:
        found = re.findall(rf"--{name}[=\s]+(\d+)", commands)  # in the commands, not the comments
        return int(found[-1]) if found else default

    total, chunk, keep = arg("total-mb", 600), arg("chunk-mb", 50), arg("keep", 0)
    blocks = max(1, total // max(1, chunk))
    return min(keep or blocks, blocks) * chunk


@check(Q1)
def check_q1(diagnosis, fixed, oom) -> str:
    """Check the diagnosis of the job killed for memory, and its fixed job script.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"State": ..., "MaxRSS_MB": ..., "ReqMem_MB": ...}}``,
        read from the run record with code.
    fixed : dict
        What ``try_fix(...)`` returned for your fixed job script.
    oom : dict
        The lesson's run record of the failed job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(oom, "oom", "oom")
    facts = oom_facts(run)
    evidence = _diagnosis(diagnosis, run, "memory")
    state = plain(evidence.get("State"), str, "evidence['State']")
    if state not in {run["state"], facts["State"]}:
        raise Wrong(f"State {state!r}: that is not what Slurm recorded for this job; read sacct's State column")
    peak = _number(evidence, "MaxRSS_MB")
    if facts["ReqMem_MB"] is not None and peak <= facts["ReqMem_MB"]:
        raise Wrong("MaxRSS_MB is not what this job used: a job killed for memory held more than it asked for")
    if facts["MaxRSS_MB"] is not None and not _close(peak, facts["MaxRSS_MB"], 0.05):
        raise Wrong("MaxRSS_MB is not what this job used at its peak: read MaxRSS (sacct) or the kill line, in MB")
    if facts["ReqMem_MB"] is not None and not _close(_number(evidence, "ReqMem_MB"), facts["ReqMem_MB"], 0.02):
        raise Wrong("ReqMem_MB is not what this job asked for: read ReqMem (sacct) or --mem, in MB")
    fixed, script = _script(fixed, "fixed")
    mem, per_cpu = sbatch_option(script, "mem"), sbatch_option(script, "mem-per-cpu")
    if mem is None and per_cpu is None:
        raise Wrong(
            "your fixed script has no `#SBATCH --mem=` line before its first command (sbatch reads no "
            "#SBATCH line after it): say how much memory the job needs"
        )
    # breakfix-oom.sh runs one task on one CPU: --mem-per-cpu is then the job's memory.
    asked = f"--mem={mem}" if mem is not None else f"--mem-per-cpu={per_cpu}"
    held = _held_mb(script)
    if memory_mb(mem if mem is not None else str(per_cpu)) < held + INTERPRETER_MB:
        raise Wrong(
            f"{asked} is less than the {held} MB the program holds with these arguments, plus about "
            f"{INTERPRETER_MB} MB for Python and NumPy: ask for more, or make it hold less at once"
        )
    return f"killed at {facts['MaxRSS_MB']:.0f} MB of {facts['ReqMem_MB']:.0f} MB" + _ran_ok(fixed, "job script")


# --------------------------------------------------------------------------- Q3: pending for a reason

#: A pending reason and whether waiting fixes it.
NEVER = (
    "PartitionTimeLimit",
    "PartitionNodeLimit",
    "PartitionConfig",
    "ReqNodeNotAvail",
    "DependencyNeverSatisfied",
    "BadConstraints",
    "InvalidAccount",
    "InvalidQOS",
)


#: ``jobscripts/breakfix-quick.sh``'s ``#SBATCH --time`` (2 min): a job resubmitted without ``--time`` gets it.
QUICK_TIME_S = 120


def _short_reason(reason: str) -> str:
    return reason.split(",")[0].strip()


def _hosts(text: str, long: str, short: str) -> set[str] | None:
    """The node names an sbatch option lists (``--nodelist=a,b``, ``-w a``; no ranges), or None without it."""
    found = re.findall(rf"(?:--{long}[=\s]|(?<![\w-])-{short}\s*)(\S+)", text)
    return set(found[-1].split(",")) if found else None


def _usable(text: str, pending: dict[str, Any]) -> set[str]:
    """The nodes of the partition that take jobs now and that the options let the job use."""
    nodes = {line.split()[0] for line in pending["nodes"].splitlines()[1:] if line.split()}
    usable = (nodes - set(pending["drained"])) & (_hosts(text, "nodelist", "w") or nodes)
    return usable - (_hosts(text, "exclude", "x") or set())


def _count(text: str, long: str, short: str) -> int | None:
    """The number an sbatch option gives (``--ntasks=4``, ``--ntasks 4``, ``-n4``, ``-n 4``), or None."""
    found = re.findall(rf"(?:--{long}[=\s]|-{short}\s*)(\d+)\b", text)
    return int(found[-1]) if found else None


def cpus_asked(options: list[str], ntasks: int = 1) -> int:
    """How many CPUs sbatch ``options`` ask for in all: tasks x CPUs per task.

    Parameters
    ----------
    options : list of str
        sbatch options (``--ntasks``/``-n``, ``--nodes``/``-N`` with ``--ntasks-per-node``,
        ``--cpus-per-task``/``-c``).
    ntasks : int
        The tasks the job script itself asks for (``breakfix-quick.sh``: 1).

    Returns
    -------
    int
        The CPUs the job needs (Slurm's ``min_cpus``, ``NumCPUs`` in ``scontrol show job``).
    """
    text = " ".join(options)
    tasks = _count(text, "ntasks", "n")
    per_node = _count(text, "ntasks-per-node", "_")
    if tasks is None and per_node is not None:
        tasks = per_node * (_count(text, "nodes", "N") or 1)
    return (tasks or ntasks) * (_count(text, "cpus-per-task", "c") or 1)


def _static_fix(job: dict[str, Any], options: list[str], pending: dict[str, Any]) -> str | None:
    """Why ``options`` would still leave ``job`` pending, read from the options and the recorded cluster; or None."""
    reason = _short_reason(job["reason"])
    text = " ".join(options)
    if reason == "PartitionTimeLimit":
        partition = re.search(r"(?:--partition[=\s]|-p\s*)(\S+)", text)
        limit = re.search(r"(?:--time[=\s]|-t\s*)(\S+)", text)
        if partition and partition.group(1) == pending["short_partition"]:
            asked = seconds(limit.group(1)) if limit else QUICK_TIME_S  # without --time: the script's own
            if asked > pending["short_max_s"]:
                return f"partition {partition.group(1)} still refuses a --time over its MaxTime"
        elif partition is None and limit is None:
            return "say either another partition or a --time the partition allows"
    if reason in ("ReqNodeNotAvail", "Resources", "PartitionConfig") and not _usable(text, pending):
        return (
            f"no node it may use takes jobs: {', '.join(pending['drained'])} drained for maintenance; "
            "let it run on the others (--exclude the drained node, or no --nodelist)"
        )
    if reason == "DependencyNeverSatisfied":
        failed = set(re.findall(r"\d+", " ".join(job["options"])))  # the job it waited for: that one failed
        for found in re.finditer(r"afterok((?::[\d_+]+)+)", text):
            if failed & {item.split("+")[0] for item in found.group(1).split(":")[1:]}:
                return "afterok still waits for a job that failed: it never will be satisfied"
    # --- case pending: Resources and PartitionConfig
    cpus = cpus_asked(options)
    if reason == "PartitionConfig" and "partition_cpus" in pending and cpus > pending["partition_cpus"]:
        return (
            f"{cpus} CPUs are still more than the partition's nodes have in all "
            f"(TotalCPUs={pending['partition_cpus']} in `scontrol show partition`)"
        )
    if reason == "Resources":
        if "--exclusive" in text:
            return "--exclusive asks for a whole node: none is free now"
        if "free_node" in pending and pending["free_node"] not in _usable(text, pending):
            return f"the job may not use {pending['free_node']}, the node with the CPU that is free now"
        if "free_cpus" in pending and cpus > pending["free_cpus"]:
            return (
                f"{cpus} CPUs: only {pending['free_cpus']} is free now (sinfo's CPUS(A/I/O/T), I = idle); "
                "ask for what is free, or wait"
            )
    return None


@check(Q3)
def check_q3(reasons, fixes, pending) -> str:
    """Check the pending reasons read from squeue, and the options that let each job start.

    Parameters
    ----------
    reasons : dict
        ``{job_id: reason}`` for every job of the case, as squeue's REASON column says.
    fixes : dict
        What ``try_fix_pending(...)`` returned: ``{job_id: {"options": [...], ...}}``.
    pending : dict
        The lesson's run record of the pending jobs.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(pending, "pending", "pending")
    jobs = run["jobs"]
    require(reasons, "reasons")
    said = {str(k): v for k, v in plain(reasons, dict, "reasons").items()}
    if set(said) != set(jobs):
        raise Wrong(f"`reasons` should have one entry per job of the case: {sorted(jobs)}; read them from the record")
    for job_id, job in jobs.items():
        reason = plain(said[job_id], str, f"reasons[{job_id!r}]")
        if _short_reason(reason) != _short_reason(job["reason"]):
            raise Wrong(f"job {job_id}: {reason!r} is not the reason squeue gave for it")
    require(fixes, "fixes")
    fixes = {str(k): v for k, v in plain(fixes, dict, "fixes").items()}
    if set(fixes) != set(jobs):
        raise Wrong(f"`fixes` should have one entry per job: {sorted(jobs)}")
    ran = False
    for job_id, fix in fixes.items():
        if not isinstance(fix, dict) or "options" not in fix:
            raise Wrong("`fixes` should be what try_fix_pending(...) returned")
        options = [plain(o, str, "an sbatch option") for o in plain(fix["options"], list, "options")]
        problem = _static_fix(jobs[job_id], options, run)
        if problem:
            raise Wrong(f"job {job_id} ({_short_reason(jobs[job_id]['reason'])}): {problem}")
        if fix.get("ran"):
            ran = True
            if fix.get("state") == "PENDING" and fix.get("reason", "").startswith(NEVER):
                raise Wrong(f"resubmitted with {options}, job {job_id} still pends: {fix.get('reason')}")
            # --- case pending: a job that was waiting for Resources must start, or the learner waited after all
            if _short_reason(jobs[job_id]["reason"]) == "Resources" and fix.get("state") in (None, "", "PENDING"):
                raise Wrong(
                    f"resubmitted with {options}, job {job_id} still waits ({fix.get('reason')}): "
                    "ask for what is free now, so that it starts"
                )
    how = "each fixed job was submitted again and left the queue" if ran else "fixes read, not run: no Slurm here"
    return f"{len(jobs)} reasons read right; {how}"


# --------------------------------------------------------------------------- Q4: workers that never arrive


def dask_facts(run: dict[str, Any]) -> dict[str, Any]:
    """The scheduler's address and how many workers registered, from the scheduler's log in the job's output."""
    output = run.get("output", "")
    address = re.search(r"Scheduler at:\s+(\S+)", output)
    return {
        "scheduler_address": address.group(1) if address else None,
        "workers_registered": len(re.findall(r"Register worker", output)),
    }


def _interface(options: list[str]) -> str | None:
    """The HPCLAB_IFACE an ``--export=...`` option sets, or None when it sets none."""
    for option in options:
        found = re.search(r"HPCLAB_IFACE=([\w.-]+)", option)
        if found:
            return found.group(1)
    return None


@check(Q4)
def check_q4(diagnosis, fixed, dask_job) -> str:
    """Check the diagnosis of the Dask job whose worker never reached the scheduler, and the options that fix it.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"scheduler_address": ..., "workers_registered": ...}}``.
    fixed : dict
        What ``try_options(...)`` returned for your sbatch options.
    dask_job : dict
        The lesson's run record of the failed Dask job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(dask_job, "dask", "dask_job")
    facts = dask_facts(run)
    evidence = _diagnosis(diagnosis, run, "network")
    said = plain(evidence.get("scheduler_address"), str, "evidence['scheduler_address']")
    if said != facts["scheduler_address"]:
        raise Wrong("scheduler_address is not where this job's scheduler listened: read its 'Scheduler at:' line")
    if int(_number(evidence, "workers_registered")) != facts["workers_registered"]:
        raise Wrong("workers_registered: count the scheduler's 'Register worker' lines in the job's output")
    require(fixed, "fixed")
    if not isinstance(fixed, dict) or "options" not in fixed:
        raise Wrong("`fixed` should be what try_options(...) returned for your options")
    options = [plain(o, str, "an sbatch option") for o in plain(fixed["options"], list, "options")]
    iface = _interface(options)
    reachable = {name: address for name, address in run.get("interfaces", {}).items() if not address.startswith("127.")}
    if iface is not None and iface not in reachable:
        raise Wrong(
            f"HPCLAB_IFACE={iface}: the other node cannot reach an address on it; "
            f"pick an interface every node shares ({', '.join(sorted(reachable)) or 'see `ip -4 addr`'})"
        )
    return f"the scheduler listened on {facts['scheduler_address']}" + _ran_ok(fixed, "submission")


# --------------------------------------------------------------------------- case dask_tmp (Q8): a node-local file


def dask_tmp_facts(run: dict[str, Any]) -> dict[str, Any]:
    """The scheduler file's path, which nodes saw it and which did not, and the workers that registered.

    ``breakfix-dask.sh`` prints ``scheduler file: PATH``, and, when its client gives up, one line per
    node from a step beside the cluster's: ``NODE sees PATH`` or ``NODE has no PATH``.
    """
    output = run.get("output", "")
    path = re.search(r"^scheduler file: (\S+)$", output, flags=re.MULTILINE)
    seen = re.findall(r"^(\S+) (sees|has no) (\S+)$", output, flags=re.MULTILINE)
    return {
        "scheduler_file": path.group(1) if path else None,
        "seen_on": sorted(node for node, verb, _ in seen if verb == "sees"),
        "missing_on": sorted(node for node, verb, _ in seen if verb == "has no"),
        "workers_registered": len(re.findall(r"Register worker", output)),
    }


#: Words in a variable's name (``$TMPDIR``, ``$SLURM_TMPDIR``, ``$TMP``, ``$LOCAL_SCRATCH``,
#: ``$XDG_RUNTIME_DIR``) or a top folder's (``/localscratch``, ``/lscratch``, ``/tmp_local``) that say
#: a node's own disk on sites; ``/scratch/local`` and ``/mnt/local`` too.
LOCAL_WORDS = ("TMP", "TEMP", "LOCAL", "LSCRATCH", "RUNTIME", "SHM")


def _node_local(folder: str) -> str | None:
    """The part of ``folder`` that is each node's own on a site, or None when it is on a shared filesystem.

    Relative folders (the job's working directory, the submit directory), ``~`` and variables such as
    ``$HOME`` or ``$SLURM_SUBMIT_DIR`` are shared; ``/tmp``, ``/var``, ``/dev/shm``, ``/run``, a top folder
    or variable named for local or temporary space (:data:`LOCAL_WORDS`) are not.
    """
    for name in re.findall(r"\$\{?(\w+)", folder):
        if any(word in name.upper() for word in LOCAL_WORDS):
            return f"${name}"
    if not folder.startswith("/"):
        return None
    parts = [part for part in posixpath.normpath("/" + folder.lstrip("/")).split("/") if part]
    top = parts[0] if parts else ""
    if top in ("var", "dev", "run") and len(parts) > 1:
        return f"/{top}/{parts[1]}"
    if top in ("tmp", "var", "dev", "run") or any(word in top.upper() for word in LOCAL_WORDS):
        return f"/{top}"
    if top in ("scratch", "mnt") and len(parts) > 1 and any(word in parts[1].upper() for word in LOCAL_WORDS):
        return f"/{top}/{parts[1]}"
    return None


def _scheduler_dir(options: list[str]) -> str | None:
    """The BREAKFIX_SCHEDULER_DIR an ``--export=...`` option sets, or None (the script's default, results/)."""
    for option in options:
        found = re.search(r"BREAKFIX_SCHEDULER_DIR=([^,\s]*)", option)
        if found:
            return found.group(1)
    return None


def _nodes(value: object, name: str) -> set[str]:
    """A node name, or a list of them, as a set."""
    if isinstance(value, str):
        return {value.strip()}
    return {plain(v, str, name).strip() for v in plain(value, list, name)}


@check(Q8)
def check_q8(diagnosis, fixed, dask_tmp) -> str:
    """Check the diagnosis of the Dask job whose scheduler file was on node-local /tmp, and the options that fix it.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"scheduler_file": ..., "missing_on": ...}}``: the
        scheduler file's path and the node (or list of nodes) that had no such file.
    fixed : dict
        What ``try_options(...)`` returned for your sbatch options.
    dask_tmp : dict
        The lesson's run record of the failed Dask job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(dask_tmp, "dask_tmp", "dask_tmp")
    facts = dask_tmp_facts(run)
    evidence = _diagnosis(diagnosis, run, "filesystem")
    said = plain(evidence.get("scheduler_file"), str, "evidence['scheduler_file']")
    if said != facts["scheduler_file"]:
        raise Wrong("scheduler_file is not where this job's scheduler wrote it: read the job's 'scheduler file:' line")
    if "missing_on" not in evidence:
        raise Wrong("the evidence needs 'missing_on': the node that had no scheduler file")
    if _nodes(evidence["missing_on"], "evidence['missing_on']") != set(facts["missing_on"]):
        raise Wrong("missing_on: read which node said it 'has no' scheduler file (the lines before the job failed)")
    require(fixed, "fixed")
    if not isinstance(fixed, dict) or "options" not in fixed:
        raise Wrong("`fixed` should be what try_options(...) returned for your options")
    options = [plain(o, str, "an sbatch option") for o in plain(fixed["options"], list, "options")]
    folder = _scheduler_dir(options)
    # The course folder is on the shared filesystem by the course's setup (the virtual cluster keeps it
    # every host's even when it is checked out under /tmp, as a CI runner does).
    in_course = folder is not None and posixpath.isabs(folder) and Path(folder).resolve().is_relative_to(course_root())
    local = None if folder is None or in_course else _node_local(folder)
    if local:
        raise Wrong(
            f"BREAKFIX_SCHEDULER_DIR={folder} is on each node's own disk ({local}): the other nodes never "
            "see the file; use a folder on the shared filesystem (your home, the course's results/)"
        )
    if folder is not None and ("$" in folder or folder.startswith("~")):
        raise Wrong(
            f"BREAKFIX_SCHEDULER_DIR={folder}: these options reach sbatch with no shell in between, so nothing "
            "expands $VARIABLES or ~ (the job would get the text itself); write the folder's path, e.g. "
            'f"--export=ALL,BREAKFIX_SCHEDULER_DIR={Path.home()}"'
        )
    iface = _interface(options)
    reachable = {name: address for name, address in run.get("interfaces", {}).items() if not address.startswith("127.")}
    if iface is not None and iface not in reachable:
        raise Wrong(
            f"HPCLAB_IFACE={iface}: the other node cannot reach an address on it; keep an interface every "
            f"node shares ({', '.join(sorted(reachable)) or 'see `ip -4 addr`'})"
        )
    missing = ", ".join(facts["missing_on"])
    return f"{missing} never saw {facts['scheduler_file']}" + _ran_ok(fixed, "submission")


# --------------------------------------------------------------------------- Q5: out of wall time


def timeout_facts(run: dict[str, Any]) -> dict[str, Any]:
    """State, elapsed and limit in seconds, and the last step saved, of the run that ran out of time."""
    rows = [row for row in _rows(run) if "." not in row.get("JobID", ".")]
    steps = [int(m) for m in re.findall(r"^step (\d+)/\d+ done", run.get("output", ""), flags=re.MULTILINE)]
    total = re.search(r"starting at step 0 of (\d+), ([\d.]+) s a step", run.get("output", ""))
    return {
        "State": rows[0]["State"].split()[0] if rows else run["state"],
        "Elapsed_s": seconds(rows[0]["Elapsed"]) if rows else run.get("elapsed_s"),
        "Timelimit_s": seconds(rows[0]["Timelimit"]) if rows else run.get("timelimit_s"),
        "last_step": max(steps) if steps else 0,
        "steps": int(total.group(1)) if total else None,
        "step_s": float(total.group(2)) if total else None,
    }


@check(Q5)
def check_q5(diagnosis, fixed, timeout) -> str:
    """Check the diagnosis of the job out of wall time, and its resubmission from the checkpoint.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"State": ..., "Elapsed_s": ..., "last_step": ...}}``.
    fixed : dict
        What ``try_fix(...)`` returned for your resubmitted job script.
    timeout : dict
        The lesson's run record of the job that ran out of time.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(timeout, "timeout", "timeout")
    facts = timeout_facts(run)
    evidence = _diagnosis(diagnosis, run, "time")
    if plain(evidence.get("State"), str, "evidence['State']") != facts["State"]:
        raise Wrong("State: that is not what Slurm recorded for this job; read sacct's State column")
    if facts["Elapsed_s"] is not None and abs(_number(evidence, "Elapsed_s") - facts["Elapsed_s"]) > 2:
        raise Wrong("Elapsed_s is not how long this job ran: read sacct's Elapsed, in seconds")
    if int(_number(evidence, "last_step")) != facts["last_step"]:
        raise Wrong("last_step is not the last step this job finished: read the end of its output")
    fixed, script = _script(fixed, "fixed")
    if fixed.get("ran"):
        resumed = re.search(r"resumed from step (\d+)", str(fixed.get("output", "")))
        if not resumed:
            raise Wrong("your resubmitted job started again from step 0: give it the same checkpoint file")
    limit = sbatch_option(script, "time")
    if limit is None:
        raise Wrong(
            "your fixed script has no `#SBATCH --time=` line before its first command (sbatch reads none after it)"
        )
    left = (facts["steps"] - facts["last_step"]) * facts["step_s"] if facts["steps"] else 0
    if seconds(limit) < left + 10:
        raise Wrong(f"--time={limit} does not cover the {left:.0f} s of steps left (plus a margin for starting)")
    if seconds(limit) > 10 * max(left, 60):
        raise Wrong(f"--time={limit} is far more than the {left:.0f} s left: a right-sized limit starts sooner")
    return f"ran out of time at step {facts['last_step']}; {left:.0f} s of work left" + _ran_ok(fixed, "job script")


# --------------------------------------------------------------------------- case killed (Q6): KilledWorker

#: Memory the nanny process itself holds, beside its worker, in MB (about what a bare Python with Dask takes).
NANNY_MB = INTERPRETER_MB

#: Dask's defaults (distributed.yaml, distributed 2026.8): the fractions of a worker's memory limit at which
#: the worker pauses (starts no new task) and its nanny kills it. The lesson prints them from dask.config,
#: and tests/checks/test_answers_breakfix.py holds these to it (read here without importing distributed).
PAUSE, TERMINATE = 0.80, 0.95

#: The causes a learner may name that are the symptom, not the cause.
SYMPTOMS = {"killedworker", "killed worker", "killed", "worker died", "workers died"}


def _mib(number: str, unit: str) -> float:
    """A size as Dask's logs print it (``format_bytes``: ``300.00 MiB``, ``1.00 GiB``) in MiB."""
    return float(number) * {"B": 2**-20, "kiB": 2**-10, "MiB": 1, "GiB": 2**10, "TiB": 2**20}[unit]


def killed_facts(run: dict[str, Any]) -> dict[str, Any]:
    """What the logs of the Dask job whose worker was killed for memory say, read from its output.

    The job runs dask-mpi under ``srun --label``: the scheduler's log lines start with ``0:``, the
    worker's and its nanny's with ``1:``; the client's (``breakfix_killed.py``) are not labelled.

    Parameters
    ----------
    run : dict
        The lesson's run record of the case (``killed``): its ``output`` is the job's output file.

    Returns
    -------
    dict
        ``task`` (the key the client's ``KilledWorker`` names) and ``tries`` (on how many workers it
        says the task ran), ``restarts`` (the nanny's ``exceeded N% memory budget. Restarting...``
        lines), ``terminate_pct`` (that N), ``memory_limit_MB`` and ``threads`` (the worker's
        ``Memory:`` and ``Threads:`` lines), ``base_MB`` (what the worker held before any block, as
        the program printed it), ``chunk_mb`` (the program's block size), ``total_mb`` (the data it
        went through: blocks x block size, whole blocks in this run) and ``blamed`` (every task
        the scheduler marked as failed because workers died running it). None where a line is missing.
    """
    output = run.get("output", "")
    message = re.search(r"KilledWorker: Attempted to run task (.+?) on (\d+) different workers", output)
    task: Any = None
    if message:
        try:
            task = ast.literal_eval(message.group(1))  # the key's repr: 'name-token' or ('name-token', 3)
        except (ValueError, SyntaxError):
            task = message.group(1)
    memory = re.search(r"^1: .*\bMemory:\s+([\d.]+) (B|kiB|MiB|GiB|TiB)\s*$", output, flags=re.MULTILINE)
    threads = re.search(r"^1: .*\bThreads:\s+(\d+)\s*$", output, flags=re.MULTILINE)
    kills = re.findall(r"^1: .*exceeded (\d+)% memory budget\. Restarting", output, flags=re.MULTILINE)
    base = re.search(r"holding (\d+) MiB before any block", output)
    chunk = re.search(r"^(\d+) blocks of (\d+) MB", output, flags=re.MULTILINE)
    return {
        "task": task,
        "tries": int(message.group(2)) if message else None,
        "restarts": len(kills),
        "terminate_pct": int(kills[0]) if kills else None,
        "memory_limit_MB": _mib(*memory.groups()) if memory else None,
        "threads": int(threads.group(1)) if threads else None,
        "base_MB": int(base.group(1)) if base else None,
        "chunk_mb": int(chunk.group(2)) if chunk else None,
        "total_mb": int(chunk.group(1)) * int(chunk.group(2)) if chunk else None,
        "blamed": re.findall(r"^0: .*Task (.+?) marked as failed because \d+ workers died", output, flags=re.MULTILINE),
    }


def _commands(script: str) -> str:
    """A job script's commands, comments left out (an option in a comment is not given)."""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


def _dask_memory_limit_mb(value: str) -> float:
    """dask-mpi's ``--memory-limit`` in MiB, as Dask reads it; Wrong for one that ignores the job's memory."""
    text = value.strip("'\"")
    try:
        fraction = float(text)
    except ValueError:
        fraction = None
    if fraction == 0:  # parse_memory_limit: 0 is no limit at all
        raise Wrong(
            f"--memory-limit {text}: 0 means no limit, so the nanny never acts and Slurm kills the whole step "
            "instead; give the worker a size (1GiB) within the job's memory"
        )
    if text == "auto" or (fraction is not None and fraction <= 1):
        raise Wrong(
            f"--memory-limit {text}: Dask sizes that from the memory of the machine it runs on, not from what "
            "Slurm gave the job; give the worker a size (1GiB) within the job's memory"
        )
    try:
        return parse_bytes(text) / 2**20
    except ValueError:
        raise Wrong(f"--memory-limit {text}: not a size Dask reads; write it as 300MiB or 1GiB") from None


def _fits(script: str, facts: dict[str, Any]) -> str:
    """Why the worker of the fixed ``breakfix-killed.sh`` would still be killed or paused, or '' when it fits."""
    commands = _commands(script)

    def arg(name: str) -> str | None:
        found = re.findall(rf"--{name}[=\s]+(\S+)", commands)
        return found[-1] if found else None

    cpus_text = sbatch_option(script, "cpus-per-task") or "1"
    if not cpus_text.isdigit():
        return f"--cpus-per-task={cpus_text}: give the CPUs per task as a whole number"
    cpus = int(cpus_text)
    # dask-mpi passes --nthreads on to the Nanny; without it the Nanny runs CPU_COUNT threads, the CPUs srun binds.
    threads_arg = (arg("nthreads") or "$SLURM_CPUS_PER_TASK").strip("'\"")
    chunk_arg = arg("chunk-mb") or "400"
    total_arg = arg("total-mb") or "800"  # breakfix_killed.py's defaults
    terminate = re.findall(r"DASK_DISTRIBUTED__WORKER__MEMORY__TERMINATE=['\"]?([^'\"\s]*)", commands)
    if terminate and not re.fullmatch(r"0?\.\d*[1-9]\d*|1(\.0*)?", terminate[-1]):
        return (
            f"DASK_DISTRIBUTED__WORKER__MEMORY__TERMINATE={terminate[-1]} turns the nanny's kill off: the worker "
            "then grows until Slurm kills the whole step, and no log says which worker or why; keep it"
        )
    limit_arg = arg("memory-limit")
    if limit_arg is None:
        return (
            "the worker needs a --memory-limit of its own: without one Dask sizes it from the machine's memory "
            "(auto), and Slurm kills the step before the nanny acts"
        )
    if not threads_arg.isdigit() and "SLURM_CPUS_PER_TASK" not in threads_arg:
        return f'--nthreads {threads_arg}: give a number, or "$SLURM_CPUS_PER_TASK" as the script does'
    if not chunk_arg.isdigit() or not total_arg.isdigit():
        return f"--chunk-mb {chunk_arg} --total-mb {total_arg}: give the sizes as whole numbers of MB"
    if facts["total_mb"] and int(total_arg) < facts["total_mb"]:
        return (
            f"--total-mb {total_arg}: the job had {facts['total_mb']} MB of data to go through; leaving some out "
            "makes it fit by computing less. Go through all of it, in smaller blocks"
        )
    threads = cpus if "SLURM_CPUS_PER_TASK" in threads_arg else int(threads_arg)
    chunk = int(chunk_arg)
    limit = _dask_memory_limit_mb(limit_arg)
    base = facts["base_MB"] or INTERPRETER_MB
    need = base + threads * chunk
    if need > PAUSE * limit:
        return (
            f"{threads} thread(s) x blocks of {chunk} MB, plus the {base} MB the worker holds at rest, is {need} MB: "
            f"more than {PAUSE:.0%} of its {limit:.0f} MiB limit, where it pauses (and at "
            f"{TERMINATE:.0%} its nanny kills it): make the blocks smaller, or the limit bigger"
        )
    per_cpu, per_node = sbatch_option(script, "mem-per-cpu"), sbatch_option(script, "mem")
    for size in (per_cpu, per_node):
        if size is not None and not re.fullmatch(r"\s*[\d.]+\s*[KMGT]?[nc]?\s*", size, flags=re.IGNORECASE):
            return f"{size}: not a memory size sbatch reads; write it as 600M or 1G"
    if per_cpu is not None:
        room, what = memory_mb(per_cpu) * cpus, f"--mem-per-cpu={per_cpu} x {cpus} CPU(s)"
        need_slurm = limit + NANNY_MB
    elif per_node is not None:  # the node's memory, for the scheduler's rank too
        room, what = memory_mb(per_node), f"--mem={per_node}"
        need_slurm = limit + NANNY_MB + INTERPRETER_MB
    else:
        return "say how much memory the job needs (#SBATCH --mem-per-cpu=, before the first command)"
    if need_slurm > room:
        return (
            f"{what} gives the worker's rank {room:.0f} MB, less than its {limit:.0f} MiB limit plus about "
            f"{NANNY_MB} MB for its nanny: Slurm would kill the step before the nanny acts"
        )
    return ""


@check(Q6)
def check_q6(diagnosis, fixed, killed) -> str:
    """Check the diagnosis of the Dask job that failed with KilledWorker, and its fixed job script.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"task": ..., "restarts": ..., "memory_limit_MB": ...}}``,
        read from the job's output with code.
    fixed : dict
        What ``try_fix(...)`` returned for your fixed job script.
    killed : dict
        The lesson's run record of the failed job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(killed, "killed", "killed")
    facts = killed_facts(run)
    require(diagnosis, "diagnosis")
    said = plain(diagnosis, dict, "diagnosis").get("cause")
    if isinstance(said, str) and said.strip().lower() in SYMPTOMS:
        raise Wrong(f"cause {said!r} is what the client saw, not why: read the worker's log (1:) for why it died")
    evidence = _diagnosis(diagnosis, run, "memory")
    task = evidence.get("task")
    if task is None:
        raise Wrong("the evidence needs 'task': the key the client's KilledWorker names")
    if task != facts["task"] and str(task).strip("'\"") != str(facts["task"]):
        if task in facts["blamed"] or str(task) in facts["blamed"]:
            raise Wrong(
                "that task was marked as failed too, but it is not the one the client's KilledWorker names: "
                "read the task from the KilledWorker line"
            )
        raise Wrong("task is not the one the client's KilledWorker names: read its key from the job's output")
    restarts = int(_number(evidence, "restarts"))
    if restarts != facts["restarts"]:
        raise Wrong(
            f"restarts: {restarts} is not how many times the nanny restarted the worker in this run; count its "
            "'exceeded ... memory budget. Restarting' lines (rank 1)"
        )
    limit = _number(evidence, "memory_limit_MB")
    expected = facts["memory_limit_MB"]
    if expected is not None and not _close(limit, expected, 0.01):
        if facts["terminate_pct"] and _close(limit, expected * facts["terminate_pct"] / 100, 0.01):
            raise Wrong(
                f"memory_limit_MB: that is the {facts['terminate_pct']}% at which the nanny kills, not the "
                "limit: read the worker's 'Memory:' line"
            )
        if _close(limit, expected * 2**20 / 1e6, 0.01):
            raise Wrong("memory_limit_MB: the worker's log says MiB (2**20 bytes); keep its number, do not convert")
        raise Wrong("memory_limit_MB is not the worker's limit: read its 'Memory:' line (rank 1), in MiB")
    fixed, script = _script(fixed, "fixed")
    problem = _fits(script, facts)
    if problem:
        raise Wrong(f"your fixed script: {problem}")
    tried = f"{facts['restarts']} memory kills of a worker limited to {facts['memory_limit_MB']:.0f} MiB"
    ran = _ran_ok(fixed, "job script")
    counted = re.search(r"of (\d+) numbers", str(fixed.get("output", "")))
    if fixed.get("ran") and facts["total_mb"] and (not counted or int(counted.group(1)) != facts["total_mb"] * 2**17):
        raise Wrong(
            f"your fixed job did not go through all {facts['total_mb']} MB ({facts['total_mb'] * 2**17} numbers): "
            "fit the same data in smaller blocks"
        )
    return tried + ran


# --------------------------------------------------------------------------- Q2: an MPI job that hangs


def hang_facts(run: dict[str, Any], program: str = "breakfix_ring.py") -> dict[int, int]:
    """The line of ``program`` every rank was waiting in, from the stack dumps in the job's output.

    The dumps are faulthandler's (``File "...", line N in <module>``, most recent call first),
    each line labelled with its rank by ``srun --label`` (``0: ``).
    """
    lines: dict[int, int] = {}
    for match in re.finditer(
        rf"^\s*(\d+):\s+File \"[^\"]*{re.escape(program)}\", line (\d+)", run.get("output", ""), flags=re.MULTILINE
    ):
        lines.setdefault(int(match.group(1)), int(match.group(2)))  # the first dump of each rank
    return lines


@check(Q2)
def check_q2(diagnosis, fixed_program, hang) -> str:
    """Check where every rank of the hung MPI job waited, and run the fixed program for real.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {rank: line number, ...}}``.
    fixed_program : str
        The fixed program's source; the check runs it on 3 ranks with ``mpiexec``.
    hang : dict
        The lesson's run record of the hung job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(hang, "hang", "hang")
    facts = hang_facts(run)
    evidence = _diagnosis(diagnosis, run, "deadlock")
    where = {
        plain(int(k) if isinstance(k, str) and k.strip().isdigit() else k, int, "a rank"): plain(
            v, int, "a line number"
        )
        for k, v in evidence.items()
    }
    if set(where) != set(facts):
        raise Wrong(f"the evidence should give a line for every rank that dumped its stack: ranks {sorted(facts)}")
    for rank, line in sorted(where.items()):
        if line != facts[rank]:
            raise Wrong(f"rank {rank} was not waiting at line {line}: read its own stack dump (most recent call first)")
    result = mpicheck.run_answer(fixed_program, "fixed_program", n=3, collect=["received"], timeout=60)
    for rank in range(3):
        got = plain(result.values[rank]["received"], np.ndarray, f"rank {rank}'s `received`")
        if got.size == 0 or not mpicheck.same(float(got.flat[0]), float((rank - 1) % 3)):
            first = f"{got.flat[0]:.0f}" if got.size else "nothing"
            raise Wrong(f"rank {rank}'s `received` holds the block of rank {first}, not that of its left neighbour")
    return "every rank waited in a send nobody received; your fixed program ran on 3 ranks and passed the ring"


# --------------------------------------------------------------------------- case threads (Q7): oversubscription

#: The program of case 7 (one worker of one thread when its script does not say).
THREADS_PROGRAM = "breakfix_threads.py"

_COUNT_LINE = re.compile(
    r"threads that compute: (\d+) workers x (\d+) threads x (\d+) BLAS threads = (\d+) on (\d+) CPUs"
)
#: A value in a job script: $((...)) (may hold spaces), a quoted string, or a word.
_VALUE = r"(\$\(\([^)]*\)\)|\"[^\"]*\"|'[^']*'|\S+)"
_WORKER_LINE = re.compile(r"^worker \d+: may use (\d+) CPUs; Dask threads (\d+), BLAS threads (\d+)", re.MULTILINE)
#: The CPUs a fixed script is also read with: a job's share of a site's 128-core node.
SHARE_CPUS = 16


def threads_facts(run: dict[str, Any]) -> dict[str, Any]:
    """The threads a run of ``breakfix_threads.py`` started against its CPUs, and its CPU efficiency.

    From the program's output: the CPUs its task may use (``os.sched_getaffinity``) and its
    node has (``os.cpu_count()``), each
    worker's Dask and BLAS threads, and ``threads`` = the sum over workers of Dask threads x BLAS
    threads (its ``threads that compute`` line). From ``sacct``'s row of the job: ``AllocCPUS``,
    ``TotalCPU_s``, ``Elapsed_s`` and ``CPU_efficiency`` = TotalCPU / (Elapsed x AllocCPUS), as
    seff computes it (None where there is no accounting, or Elapsed is 0).
    """
    output = run.get("output", "")
    task = re.search(r"os\.sched_getaffinity\(0\): (\d+) CPUs, os\.cpu_count\(\): (\d+)", output)
    workers = [tuple(int(x) for x in match) for match in _WORKER_LINE.findall(output)]
    work = re.search(r"^work: .*? in ([\d.]+) s", output, flags=re.MULTILINE)
    row = next((r for r in _rows(run) if r.get("JobID") == str(run.get("job_id"))), None)
    alloc = int(row["AllocCPUS"]) if row and row.get("AllocCPUS", "").isdigit() else None
    total = seconds(row["TotalCPU"]) if row and row.get("TotalCPU") else None
    elapsed = seconds(row["Elapsed"]) if row and row.get("Elapsed") else None
    return {
        "cpus": int(task.group(1)) if task else None,
        "node_cpus": int(task.group(2)) if task else None,
        "workers": len(workers),
        "threads": sum(dask * blas for _, dask, blas in workers) if workers else None,
        "counted": _COUNT_LINE.search(output) is not None,
        "AllocCPUS": alloc,
        "TotalCPU_s": total,
        "Elapsed_s": elapsed,
        "CPU_efficiency": total / (elapsed * alloc) if total is not None and elapsed and alloc else None,
        "work_s": float(work.group(1)) if work else None,
    }


def _script_commands(script: str) -> list[str]:
    """The commands of a job script after its ``#SBATCH`` header: continuations joined, comments dropped."""
    body = script.splitlines()[len(sbatch_header(script).splitlines()) :]
    joined = re.sub(r"\\\n", " ", "\n".join(body))
    commands: list[str] = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        commands.extend(part.strip() for part in line.split(";") if part.strip())
    return commands


def _bash_arithmetic(expression: str, what: str) -> int:
    """Bash's integer arithmetic on numbers: + - * / (integer division) and parentheses."""
    operators = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__, ast.Div: int.__floordiv__}

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return operators[type(node.op)](value(node.left), value(node.right))
        raise Wrong(f"{what}: the check reads numbers and $SLURM_CPUS_PER_TASK in $((...)), nothing else")

    try:
        return value(ast.parse(expression.strip(), mode="eval").body)
    except (SyntaxError, ZeroDivisionError) as exc:
        raise Wrong(f"{what}: bash cannot compute that ({exc})") from None


def _thread_count(text: str, cpus: int, what: str, nproc: int | None = None) -> int:
    """A thread count as a job script writes it: ``4``, ``"$SLURM_CPUS_PER_TASK"``, ``$((SLURM_CPUS_PER_TASK / 2))``.

    ``$SLURM_CPUS_PER_TASK`` (any spelling: ``${...}``, ``${...:-N}``) is the job's ``cpus``; ``$(nproc)`` is
    ``nproc`` (default ``cpus``): coreutils' nproc prints ``OMP_NUM_THREADS`` instead when that is exported.
    """
    value = text.strip().strip("\"'")
    value = re.sub(r"\$\(nproc\)", str(cpus if nproc is None else nproc), value)
    value = re.sub(r"\$\{SLURM_CPUS_PER_TASK(:-\d+)?\}|\$SLURM_CPUS_PER_TASK\b", str(cpus), value)
    arithmetic = re.fullmatch(r"\$\(\((.*)\)\)", value)
    if arithmetic:
        return _bash_arithmetic(re.sub(r"\$?\bSLURM_CPUS_PER_TASK\b", str(cpus), arithmetic.group(1)), f"{what}={text}")
    if not value.isdigit():
        raise Wrong(
            f"{what}={text}: write a number or $SLURM_CPUS_PER_TASK (the CPUs of each task), so the count "
            "follows the allocation"
        )
    return int(value)


def thread_layout(script: str, job_cpus: int | None = None) -> dict[str, Any]:
    """What case 7's job script starts, read from its text: the task's CPUs and every thread count.

    The task's CPUs: ``srun --cpus-per-task`` (or ``SRUN_CPUS_PER_TASK``), never more than the
    job's (srun refuses: "More processors requested than permitted"); without either, the job's:
    Slurm 22.05 to 23.02 do not pass the job's ``--cpus-per-task`` on to srun, but a step
    without ``--exact`` is ``--whole`` (src/srun/libsrun/launch.c) and task/affinity binds its
    one task to every CPU of the job on the node (shown on the virtual cluster: mask 0x3 of a
    ``-c 2`` job). ``job_cpus`` replaces the script's ``#SBATCH --cpus-per-task`` (what the
    script would start with another allocation). ``$(nproc)`` is ``OMP_NUM_THREADS`` where
    the script exported it before the ``srun`` line (coreutils' nproc honours it), else the
    job's CPUs. Workers and threads per worker: the program's ``--workers`` and
    ``--threads-per-worker`` (1 each when absent). BLAS threads of each worker: the program's
    workers are started by a Dask Nanny, which sets ``OMP_NUM_THREADS`` and
    ``OPENBLAS_NUM_THREADS`` to 1 (``distributed.nanny.pre-spawn-environ``) unless the
    environment already sets them; OpenBLAS reads ``OPENBLAS_NUM_THREADS`` first and starts no
    more threads than its task's CPUs; an OpenMP runtime (MKL, numba, scikit-learn's) starts
    ``OMP_NUM_THREADS``, whatever the CPUs. ``blas`` is the larger of the two.
    """
    short = re.findall(r"^#SBATCH\s+-c\s*(\S+)", sbatch_header(script), flags=re.MULTILINE)
    asked = sbatch_option(script, "cpus-per-task") or (short[-1] if short else "1")
    if job_cpus is None:
        job_cpus = _thread_count(asked, 1, "--cpus-per-task")
    env: dict[str, str] = {}
    exported: set[str] = set()
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "SRUN_CPUS_PER_TASK")
    launch = None
    for command in _script_commands(script):
        words = command.split()
        if words[0] == "unset":
            for name in words[1:]:
                env.pop(name, None)
            continue
        is_export = words[0] == "export"
        assignments = re.findall(rf"(?:^|\s)([A-Z_]+)={_VALUE}", command)
        if THREADS_PROGRAM in command and "srun" in words:
            launch = command
            prefix = command[: command.index("srun")]
            env.update({k: v for k, v in re.findall(rf"([A-Z_]+)={_VALUE}", prefix) if k in names})
            break
        for name, value in assignments:
            if name in names and (is_export or name in exported):
                env[name] = value
                exported.add(name)
    if launch is None:
        raise Wrong(f"your fixed script has no `srun ... {THREADS_PROGRAM}` line: keep the program, change its counts")
    srun_part, _, program_part = launch.partition(THREADS_PROGRAM)
    for option in re.findall(r"--export=(\S+)", srun_part):
        env.update({k: v for k, v in re.findall(r"([A-Z_]+)=([^,\s]+)", option) if k in names})
    step_cpus = re.search(rf"(?:^|\s)(?:--cpus-per-task[=\s]+|-c\s*){_VALUE}", srun_part)
    if step_cpus:
        cpus = _thread_count(step_cpus.group(1), job_cpus, "srun --cpus-per-task")
    elif "SRUN_CPUS_PER_TASK" in env:
        cpus = _thread_count(env["SRUN_CPUS_PER_TASK"], job_cpus, "SRUN_CPUS_PER_TASK")
    else:
        cpus = job_cpus  # 22.05 to 23.02: a --whole step; 23.11 on: srun reads SLURM_CPUS_PER_TASK
    if cpus > job_cpus:
        raise Wrong(
            f"srun --cpus-per-task={cpus} asks for more CPUs than the job's {job_cpus}: srun cannot make the step "
            "(More processors requested than permitted); give it $SLURM_CPUS_PER_TASK"
        )
    omp_nproc = _thread_count(env["OMP_NUM_THREADS"], job_cpus, "OMP_NUM_THREADS") if "OMP_NUM_THREADS" in env else None

    def arg(name: str) -> int:
        found = re.findall(rf"--{name}(?:=|\s+){_VALUE}", program_part)
        return _thread_count(found[-1], job_cpus, f"--{name}", omp_nproc) if found else 1

    openblas, omp = (
        _thread_count(env[name], job_cpus, name) if name in env else 1
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    )
    return {
        "job_cpus": job_cpus,
        "cpus": cpus,
        "step_told": bool(step_cpus) or "SRUN_CPUS_PER_TASK" in env,
        "nproc_is_omp": omp_nproc is not None and "nproc" in program_part,
        "workers": arg("workers"),
        "threads_per_worker": arg("threads-per-worker"),
        "openblas": min(openblas, cpus),
        "omp": omp,
        "blas": max(min(openblas, cpus), omp),
    }


@check(Q7)
def check_q7(diagnosis, fixed, threads) -> str:
    """Check the diagnosis of the job slowed by too many threads, and its fixed job script.

    Parameters
    ----------
    diagnosis : dict
        ``{"cause": ..., "job_id": ..., "evidence": {"AllocCPUS": ..., "threads": ..., "CPU_efficiency": ...}}``,
        read from the run record with code (``CPU_efficiency`` as a fraction: TotalCPU / (Elapsed x AllocCPUS)).
    fixed : dict
        What ``try_fix(...)`` returned for your fixed job script.
    threads : dict
        The lesson's run record of the slow job.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    run = _record(threads, "threads", "threads")
    facts = threads_facts(run)
    evidence = _diagnosis(diagnosis, run, "oversubscription")
    if facts["AllocCPUS"] is not None and int(_number(evidence, "AllocCPUS")) != facts["AllocCPUS"]:
        raise Wrong("AllocCPUS is not what this job was given: read sacct's AllocCPUS column of the job's row")
    said = int(_number(evidence, "threads"))
    if said != facts["threads"]:
        raise Wrong(
            f"threads: {said} is not what this job started; count every layer from its output: "
            "workers x threads per worker x BLAS threads (its 'threads that compute' line)"
        )
    if facts["CPU_efficiency"] is not None:
        efficiency = _number(evidence, "CPU_efficiency")
        if efficiency > 1.5:
            raise Wrong("CPU_efficiency as a fraction, please (0.9, not 90): TotalCPU / (Elapsed x AllocCPUS)")
        if abs(efficiency - facts["CPU_efficiency"]) > 0.02:
            raise Wrong(
                "CPU_efficiency is not this job's: TotalCPU / (Elapsed x AllocCPUS), from sacct's row of the job, "
                "in seconds"
            )
    fixed, script = _script(fixed, "fixed")
    layout = thread_layout(script)
    if facts["node_cpus"] is not None and layout["job_cpus"] > facts["node_cpus"]:
        raise Wrong(
            f"--cpus-per-task={layout['job_cpus']}: the nodes have {facts['node_cpus']} CPUs (os.cpu_count() in the "
            "output), so the job would never start; fit the threads to the CPUs instead"
        )
    for name in ("workers", "threads_per_worker"):
        if layout[name] < 1:
            raise Wrong(
                f"--{name.replace('_', '-')} is {layout[name]} with {layout['job_cpus']} CPUs: nothing would run"
            )
    started = layout["workers"] * layout["threads_per_worker"] * layout["blas"]
    if started > layout["cpus"]:
        why = (
            f"{layout['workers']} workers x {layout['threads_per_worker']} threads x {layout['blas']} BLAS threads "
            f"= {started} threads on the {layout['cpus']} CPU(s) its task gets"
        )
        if layout["omp"] > layout["openblas"]:
            why += f"; OMP_NUM_THREADS={layout['omp']} is still exported, and every OpenMP library reads it"
        raise Wrong(f"your fixed script still oversubscribes: {why}. Set every count from $SLURM_CPUS_PER_TASK")
    # The same script given a share of a 128-core node: counts that follow the allocation grow and still fit.
    share = thread_layout(script, job_cpus=SHARE_CPUS)
    grown = share["workers"] * share["threads_per_worker"] * share["blas"]
    if grown > share["cpus"] or grown <= started:
        nproc = (
            "; `$(nproc)` prints OMP_NUM_THREADS when it is exported (coreutils), not the CPUs" * share["nproc_is_omp"]
        )
        raise Wrong(
            f"your counts do not follow the allocation: with --cpus-per-task={SHARE_CPUS} (a share of a 128-core "
            f"node) this script would start {share['workers']} workers x {share['threads_per_worker']} threads x "
            f"{share['blas']} BLAS threads = {grown} on {share['cpus']} CPUs{nproc}. Set every count from "
            "$SLURM_CPUS_PER_TASK"
        )
    ran_ok = _ran_ok(fixed, "job script")  # Wrong when it ran and did not complete
    if fixed.get("ran"):
        ran = threads_facts(fixed)
        if ran["threads"] is None or ran["cpus"] is None:
            raise Wrong("your fixed job printed no worker lines: keep the program, change only its counts")
        if ran["threads"] > ran["cpus"]:
            raise Wrong(f"your fixed job still started {ran['threads']} threads that compute on {ran['cpus']} CPUs")
    return (
        f"{facts['threads']} threads on {facts['AllocCPUS'] or facts['cpus']} CPUs; your script runs {started} "
        f"on {layout['cpus']}" + ran_ok
    )


__all__ = [
    "QUESTIONS",
    "RECORDED",
    "check_q1",
    "check_q2",
    "check_q3",
    "check_q4",
    "check_q5",
    "check_q6",
    "check_q7",
    "check_q8",
    "killed_facts",
    "memory_mb",
    "seconds",
    "threads_facts",
]
