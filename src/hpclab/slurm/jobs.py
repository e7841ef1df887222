"""Submit a Slurm batch job and wait for it, through any way of running Slurm's commands.

The virtual cluster runs ``sbatch`` inside its login node's namespaces; on a
real site (``hpclab site-check``) the commands run directly. Both hand a
*runner* here: a function that runs one command line and returns the
completed process.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpclab.errors import HpclabError

#: Runs one command line (``["sbatch", ...]``) where Slurm is, and returns the completed process
#: with its output as text; it must not raise on a non-zero exit status (the caller reads it).
Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]

TERMINAL_STATES = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "BOOT_FAIL",
    "DEADLINE",
    "PREEMPTED",
}

# Pending reasons that no amount of waiting fixes (a reason may go on, e.g. "...:node[3-4]").
NEVER_STARTS = (
    "PartitionTimeLimit",
    "PartitionNodeLimit",
    "PartitionConfig",
    "BadConstraints",
    "ReqNodeNotAvail, UnavailableNodes",
    "InvalidAccount",
    "InvalidQOS",
    "DependencyNeverSatisfied",
)


class JobError(HpclabError, RuntimeError):
    """A job could not be submitted, can never start, or ran out of time; the message says which."""


@dataclass
class Job:
    """A finished batch job: its state, exit code and output file, and where the state was read."""

    id: str
    state: str
    exit_code: str
    stdout_path: Path
    #: "sacct" when the site's accounting recorded the end (what learners read too), else "squeue"
    source: str = "squeue"

    @property
    def ok(self) -> bool:
        """Whether the job completed with exit code 0 and no signal (Slurm's ``0:0``).

        Both are read: the state says the job ran to its end (not cancelled, out of time or
        memory), the exit code says the script itself succeeded.
        """
        return self.state == "COMPLETED" and self.exit_code == "0:0"

    def output(self) -> str:
        """The job's standard output as text; empty when the file is not there (yet, or any more).

        Undecodable bytes are replaced, so a job that printed binary noise still shows what it said.
        """
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""


def submit(run: Runner, script: str, *, args: Sequence[str] = (), sbatch_options: Sequence[str] = ()) -> str:
    """``sbatch --parsable`` a script through ``run``; return the job id.

    ``--parsable`` prints the id alone (``id;cluster`` on a federation), so no
    locale or Slurm version changes what is read. ``sbatch_options`` go before
    the script, ``args`` after it (the script's own arguments).

    Raises
    ------
    JobError
        sbatch refused the script; the message holds what sbatch said.
    """
    proc = run(["sbatch", "--parsable", *sbatch_options, script, *args])
    if proc.returncode != 0:
        raise JobError(f"sbatch {script} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip().split(";")[0]


def _number(value: Any) -> int:
    """Newer Slurm wraps numbers as ``{"set": true, "number": 3}``."""
    return value.get("number", 0) if isinstance(value, dict) else value


def _exit_code(value: Any) -> str:
    """Slurm's "code:signal" from squeue's JSON: a raw wait status (22.05), or an object (23.02 and later)."""
    if isinstance(value, int):
        return f"{value >> 8}:{value & 0x7F}"
    if isinstance(value, dict):
        code = value.get("return_code", 0)
        signal = value.get("signal", {}).get("id", 0)
        return f"{_number(code)}:{_number(signal)}"
    return "?"


def _first(value: Any) -> str:
    """A state field: a string (22.05) or a list of flags, main state first (23.02 and later)."""
    return (value[0] if value else "UNKNOWN") if isinstance(value, list) else str(value or "UNKNOWN")


def _output_path(job: dict[str, Any]) -> str:
    """Where the job's stdout goes: squeue's JSON holds the pattern as given (empty: Slurm's default).

    The replacements sbatch documents for file names are applied (``%j`` job id,
    ``%x`` name, ``%u`` user, ``%A``/``%a`` array job and task, ``%N`` first
    node, ``%%``); a relative name is relative to the job's working directory.
    """
    pattern = str(job.get("standard_output") or "slurm-%j.out")
    array_task = job.get("array_task_id")
    values = {
        "j": str(job.get("job_id", "")),
        "x": str(job.get("name", "")),
        "u": str(job.get("user_name", "")),
        "A": str(job.get("array_job_id") or job.get("job_id", "")),
        "a": str(array_task if isinstance(array_task, int) else ""),
        "N": str(job.get("batch_host", "")),
        "%": "%",
    }
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "%" and i + 1 < len(pattern) and pattern[i + 1] in values:
            out.append(values[pattern[i + 1]])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return str(Path(str(job.get("current_working_directory") or "/")) / "".join(out))


def parse_squeue_json(text: str, job_id: str) -> dict[str, str]:
    """State, reason, exit code and output file of one job, from ``squeue --json``.

    Slurm 22.05 ignores ``--jobs`` with ``--json`` and lists every job, so the
    job is picked by id here. Empty when the job is not listed.
    """
    for job in json.loads(text).get("jobs", []):
        if str(job.get("job_id")) == str(job_id):
            return {
                "JobState": _first(job.get("job_state")),
                "Reason": str(job.get("state_reason") or "None"),
                "ExitCode": _exit_code(job.get("exit_code")),
                "StdOut": _output_path(job),
            }
    return {}


def job_fields(run: Runner, job_id: str) -> dict[str, str]:
    """A job's ``JobState``, ``Reason``, ``ExitCode`` and ``StdOut``, from Slurm's structured output.

    ``squeue --json`` (Slurm 21.08 and later) knows jobs until ``MinJobAge``
    after they end; later, state and exit code come from accounting
    (``sacct``), when the site has it. Empty when neither knows the job.
    """
    proc = run(["squeue", "--json", "--states", "all", "--jobs", job_id])
    if proc.returncode == 0 and proc.stdout.lstrip().startswith("{"):
        fields = parse_squeue_json(proc.stdout, job_id)
        if fields:
            return fields
    line = run(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "State,ExitCode"]).stdout.strip()
    if "|" in line:
        state, _, code = line.splitlines()[0].partition("|")
        return {"JobState": state.split()[0], "ExitCode": code}
    return {}


def accounted_end(run: Runner, job_id: str) -> tuple[str, str] | None:
    """A finished job's state and exit code as the site's accounting recorded them (``sacct``).

    None on a site without accounting, or while accounting has not recorded the end yet
    (slurmctld tells slurmdbd a moment after the job ends).
    """
    proc = run(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"])
    if proc.returncode != 0:
        return None
    for line in proc.stdout.splitlines():
        got, _, rest = line.partition("|")
        state, _, code = rest.partition("|")
        state = (state.split() or ["UNKNOWN"])[0]
        if got == str(job_id) and state in TERMINAL_STATES:
            return state, code
    return None


def wait(run: Runner, job_id: str, timeout: float = 300, where: str = "this cluster") -> Job:
    """Poll Slurm (:func:`job_fields`) until the job ends; return it (``sbatch --wait`` adds ~10 s per job).

    The end state and exit code are the accounting's (``sacct``, :func:`accounted_end`) where
    the site keeps accounting and has recorded the end, else ``squeue``'s; ``Job.source`` says which.

    A job that can never start, or is still running after ``timeout`` s, is
    cancelled rather than left in the queue. ``where`` names the cluster in
    the message of a job that asks for more than it has.

    Raises
    ------
    JobError
        The job can never start, did not end within ``timeout``, or Slurm no
        longer knows it; the message says which.
    """
    deadline = time.monotonic() + timeout
    while True:
        fields = job_fields(run, job_id)
        if not fields:
            raise JobError(
                f"Slurm no longer knows job {job_id} (it ended and was purged, and there is no "
                "accounting to ask): see its output file, and wait for jobs sooner"
            )
        state = fields.get("JobState", "UNKNOWN")
        if state in TERMINAL_STATES:
            stdout = Path(fields.get("StdOut") or "/nonexistent")
            accounted = accounted_end(run, job_id)
            if accounted is not None:
                return Job(job_id, accounted[0], accounted[1], stdout, source="sacct")
            return Job(job_id, state, fields.get("ExitCode", "?"), stdout)
        reason = fields.get("Reason", "None")
        if state == "PENDING" and any(reason.startswith(never) for never in NEVER_STARTS):
            run(["scancel", job_id])
            why = (
                "a job it depends on ended in a way its --dependency does not accept (afterok: one failed; "
                "use afterany to run whatever happened)"
                if reason.startswith("DependencyNeverSatisfied")
                else f"it asks for more than {where} has"
            )
            raise JobError(f"job {job_id} can never start ({reason}): {why}; it was cancelled")
        if time.monotonic() > deadline:
            run(["scancel", job_id])
            raise JobError(
                f"job {job_id} did not finish within {timeout:g} s (state {state}, reason {reason}); it was cancelled"
            )
        time.sleep(0.25)
