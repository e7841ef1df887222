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

import re
from typing import Any

import numpy as np

from hpclab import checks
from hpclab.checks import Question, Wrong, check, mpicheck, plain, require
from hpclab.checks.breakfix_run import RECORDED

LESSON = "13-break-it-fix-it"
Q1 = Question(LESSON, "q1", "a job killed for memory", points=2, level=2)
Q2 = Question(LESSON, "q2", "an MPI job that hangs", points=3, level=3)
Q3 = Question(LESSON, "q3", "jobs that never start", points=1, level=1)
Q4 = Question(LESSON, "q4", "Dask workers that never arrive", points=2, level=2)
Q5 = Question(LESSON, "q5", "a job out of wall time", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]

#: Memory the Python interpreter and NumPy need besides the data a program holds, in MB.
INTERPRETER_MB = 100

#: The causes a diagnosis may name, and the spellings accepted for each.
CAUSES = {
    "memory": {"memory", "oom", "out of memory", "out_of_memory"},
    "time": {"time", "timeout", "wall time", "walltime", "time limit"},
    "deadlock": {"deadlock", "dead lock"},
    "network": {"network", "interface", "address", "unreachable"},
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
    while len(parts) < 3:
        parts.insert(0, 0.0)
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


def _short_reason(reason: str) -> str:
    return reason.split(",")[0].strip()


def _static_fix(job: dict[str, Any], options: list[str], pending: dict[str, Any]) -> str | None:
    """Why ``options`` would still leave ``job`` pending, read from the options and the recorded cluster; or None."""
    reason = _short_reason(job["reason"])
    text = " ".join(options)
    if reason == "PartitionTimeLimit":
        partition = re.search(r"(?:--partition[=\s]|-p\s*)(\S+)", text)
        limit = re.search(r"(?:--time[=\s]|-t\s*)(\S+)", text)
        if partition and partition.group(1) == pending["short_partition"]:
            if limit is None or seconds(limit.group(1)) > pending["short_max_s"]:
                return f"partition {partition.group(1)} still refuses a --time over its MaxTime"
        elif partition is None and limit is None:
            return "say either another partition or a --time the partition allows"
    if reason == "ReqNodeNotAvail":
        if any(node in text for node in pending["drained"]) and "--exclude" not in text:
            return f"the job still asks for a node that is drained ({', '.join(pending['drained'])})"
    if reason == "DependencyNeverSatisfied" and "afterok" in text:
        return "afterok still waits for a job that failed: it never will be satisfied"
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


__all__ = ["QUESTIONS", "RECORDED", "check_q1", "check_q2", "check_q3", "check_q4", "check_q5", "memory_mb", "seconds"]
