"""Submit a Slurm batch job and wait for it, through any way of running Slurm's commands.

The virtual cluster runs ``sbatch`` inside its login node's namespaces; on a
real site (``hpclab site-check``) the commands run directly. Both hand a
*runner* here: a function that runs one command line and returns the
completed process.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hpclab.errors import HpclabError

Runner = Callable[[list[str]], subprocess.CompletedProcess]

TERMINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                   "BOOT_FAIL", "DEADLINE", "PREEMPTED"}

# Pending reasons that no amount of waiting fixes.
NEVER_STARTS = {"PartitionTimeLimit", "PartitionNodeLimit", "PartitionConfig", "BadConstraints",
                "ReqNodeNotAvail, UnavailableNodes", "InvalidAccount", "InvalidQOS"}


class JobError(HpclabError, RuntimeError):
    """A job could not be submitted, can never start, or ran out of time; the message says which."""


@dataclass
class Job:
    """A finished batch job: its state, exit code and output file."""

    id: str
    state: str
    exit_code: str
    stdout_path: Path

    @property
    def ok(self) -> bool:
        return self.state == "COMPLETED" and self.exit_code == "0:0"

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""


def submit(run: Runner, script: str, *, args: Sequence[str] = (), sbatch_options: Sequence[str] = ()) -> str:
    """``sbatch --parsable`` a script; return the job id."""
    proc = run(["sbatch", "--parsable", *sbatch_options, script, *args])
    if proc.returncode != 0:
        raise JobError(f"sbatch {script} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip().split(";")[0]


def job_fields(run: Runner, job_id: str) -> dict[str, str]:
    """``scontrol show job -o`` as a dict (first value of each key).

    A job that ended long enough ago (``MinJobAge``) is gone from scontrol;
    then its state and exit code come from accounting (``sacct``), when the
    site has it. Empty when neither knows the job.
    """
    fields: dict[str, str] = {}
    for token in run(["scontrol", "show", "job", "-o", job_id]).stdout.split():
        key, _, value = token.partition("=")
        fields.setdefault(key, value)
    if not fields:
        line = run(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "State,ExitCode"]).stdout.strip()
        if "|" in line:
            state, _, code = line.splitlines()[0].partition("|")
            fields = {"JobState": state.split()[0], "ExitCode": code}
    return fields


def wait(run: Runner, job_id: str, timeout: float = 300, where: str = "this cluster") -> Job:
    """Poll ``scontrol`` until the job ends (``sbatch --wait`` adds ~10 s per job).

    A job that can never start, or is still running after ``timeout`` s, is
    cancelled and reported with :class:`JobError`.
    """
    deadline = time.monotonic() + timeout
    while True:
        fields = job_fields(run, job_id)
        if not fields:
            raise JobError(f"Slurm no longer knows job {job_id} (it ended and was purged, and there is no "
                           "accounting to ask): see its output file, and wait for jobs sooner")
        state = fields.get("JobState", "UNKNOWN")
        if state in TERMINAL_STATES:
            return Job(job_id, state, fields.get("ExitCode", "?"), Path(fields.get("StdOut", "/nonexistent")))
        reason = fields.get("Reason", "None")
        if state == "PENDING" and reason in NEVER_STARTS:
            run(["scancel", job_id])
            raise JobError(f"job {job_id} can never start ({reason}): it asks for more than {where} has; "
                           "it was cancelled")
        if time.monotonic() > deadline:
            run(["scancel", job_id])
            raise JobError(f"job {job_id} did not finish within {timeout:g} s "
                           f"(state {state}, reason {reason}); it was cancelled")
        time.sleep(0.25)
