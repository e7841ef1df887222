"""What Slurm's accounting says about a finished job: ``sacct`` read into records, and ``hpclab seff``.

``sacct`` is how a learner finds out why a job ended (its ``State``: COMPLETED,
FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED) and what it used (``Elapsed``,
``TotalCPU``, ``MaxRSS``). Many sites install ``seff``, a summary of CPU and
memory used against requested; Debian 12's Slurm has none, so
:func:`efficiency` and ``hpclab seff JOBID`` give one in its spirit, from
``sacct`` alone.

Everything runs through a *runner* (:data:`hpclab.slurm.jobs.Runner`):
:func:`local_runner` on a real site's login node, ``vcluster.runner(spec)`` on
the virtual cluster.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from hpclab.errors import HpclabError, SetupError
from hpclab.slurm import jobs

#: The columns read from ``sacct`` (``--format``), in this order.
FIELDS = (
    "JobID",
    "JobName",
    "User",
    "Account",
    "State",
    "ExitCode",
    "ElapsedRaw",
    "TimelimitRaw",
    "TotalCPU",
    "AllocCPUS",
    "NNodes",
    "NTasks",
    "NodeList",
    "MaxRSS",
    "MaxRSSNode",
    "ReqMem",
    "AllocTRES",
)

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


class AccountingError(HpclabError, RuntimeError):
    """``sacct`` cannot tell: no accounting on this site, or no such job; the message says what to do."""


def parse_size(text: str, default_unit: str = "") -> int | None:
    """Bytes in one of Slurm's sizes: ``214520K``, ``4821M``, ``1.50G``, ``0``; None when empty.

    ``default_unit`` applies to a bare number (``AllocTRES``'s ``mem=4821M`` has one,
    ``MaxRSS`` of ``0`` does not need one).
    """
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGTP]?)[nc]?\s*", text or "")
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2) or default_unit])


def parse_duration(text: str) -> float | None:
    """Seconds in one of Slurm's durations: ``00:00.173``, ``01:02:03``, ``2-01:02:03``; None when empty.

    ``TotalCPU`` is ``[DD-[HH:]]MM:SS.mmm``; ``Elapsed`` is ``[DD-]HH:MM:SS``.
    """
    text = (text or "").strip()
    match = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
    if not match:
        return None
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def format_duration(seconds: float) -> str:
    """``[D-]HH:MM:SS`` as Slurm prints it."""
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{text}" if days else text


def format_size(size: float) -> str:
    """Bytes as Slurm-ish binary units: ``209.50 MB``, ``4.71 GB``."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.2f} {unit}"
    return f"{size:.0f} B"


def _tres(text: str) -> dict[str, str]:
    """``billing=2,cpu=2,mem=9642M,node=1`` as a dict."""
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


@dataclass(frozen=True)
class Record:
    """One row of ``sacct``: the job (``step == ""``) or one of its steps (``batch``, ``extern``, ``0``...)."""

    job_id: str  # the job's id, without the step: 1234 for 1234.batch
    step: str  # "" for the job itself
    name: str
    user: str
    account: str
    state: str  # the main word: CANCELLED for "CANCELLED by 24001"
    state_text: str  # as sacct printed it
    exit_code: str  # "code:signal"
    elapsed: float  # seconds
    time_limit: float | None  # seconds; None when unlimited (or for a step)
    total_cpu: float | None  # seconds of CPU (user + system) used
    cpus: int
    nodes: int
    tasks: int | None
    node_list: str
    max_rss: int | None  # bytes: the largest resident memory of one task (steps only)
    max_rss_node: str
    req_mem: int | None  # bytes, as ReqMem shows it
    alloc_mem: int | None  # bytes allocated to the job (or step) on all its nodes, from AllocTRES
    raw: dict[str, str] = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        """``1234`` or ``1234.batch``, as sacct shows it."""
        return f"{self.job_id}.{self.step}" if self.step else self.job_id


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def parse_sacct(text: str, fields: tuple[str, ...] = FIELDS) -> list[Record]:
    """Records from ``sacct --parsable2 --noheader --format=<fields>`` (``|`` between columns)."""
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        values = line.split("|")
        if len(values) != len(fields):
            raise AccountingError(f"sacct printed {len(values)} columns where {len(fields)} were asked for: {line!r}")
        row = dict(zip(fields, values, strict=True))
        job_id, _, step = row.get("JobID", "").partition(".")
        limit = _int(row.get("TimelimitRaw", ""))
        tres = _tres(row.get("AllocTRES", ""))
        records.append(
            Record(
                job_id=job_id,
                step=step,
                name=row.get("JobName", ""),
                user=row.get("User", ""),
                account=row.get("Account", ""),
                state=(row.get("State", "").split() or ["UNKNOWN"])[0],
                state_text=row.get("State", ""),
                exit_code=row.get("ExitCode", ""),
                elapsed=float(_int(row.get("ElapsedRaw", "")) or 0),
                time_limit=None if limit is None else limit * 60.0,
                total_cpu=parse_duration(row.get("TotalCPU", "")),
                cpus=_int(row.get("AllocCPUS", "")) or 0,
                nodes=_int(row.get("NNodes", "")) or 0,
                tasks=_int(row.get("NTasks", "")),
                node_list=row.get("NodeList", ""),
                max_rss=parse_size(row.get("MaxRSS", "")),
                max_rss_node=row.get("MaxRSSNode", ""),
                req_mem=parse_size(row.get("ReqMem", ""), "M"),
                alloc_mem=parse_size(tres["mem"], "M") if "mem" in tres else None,
                raw=row,
            )
        )
    return records


def local_runner(timeout: float = 60) -> jobs.Runner:
    """Run Slurm's commands here, on a real site's login node.

    Raises
    ------
    SetupError
        There is no ``sacct`` here.
    """
    if shutil.which("sacct") is None:
        raise SetupError(
            "there is no sacct here: run this on the cluster's login node "
            "(or, for the virtual cluster, `sudo hpclab seff --vcluster JOBID`)"
        )
    return lambda argv: subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def _no_accounting(said: str) -> bool:
    return bool(re.search(r"accounting storage is disabled|slurmdbd.*(not|n't) (running|respond)", said, re.I))


def sacct(run: jobs.Runner, job_id: str) -> list[Record]:
    """The job's record and its steps' records, from ``sacct`` through ``run``.

    Raises
    ------
    AccountingError
        The site keeps no accounting, or does not know the job; the message says what to do.
    """
    job_id = str(job_id).strip()
    if not re.fullmatch(r"\d+(_\d+)?", job_id):
        raise AccountingError(f"{job_id!r} is not a job id: give the number sbatch printed (e.g. 1234)")
    proc = run(["sacct", "--jobs", job_id, "--allusers", "--parsable2", "--noheader", f"--format={','.join(FIELDS)}"])
    said = (proc.stderr or "").strip()
    if _no_accounting(said) or _no_accounting(proc.stdout or ""):
        raise AccountingError(
            f"this site has no accounting (sacct: {said or proc.stdout.strip()}): ask the site's admins for the "
            f"job's record, or, while a job runs, read its steps with `sstat -j {job_id}` and keep the numbers"
        )
    if "configuration source" in said:
        raise AccountingError(
            "Slurm's commands are here but no cluster's configuration (no slurm.conf): run this on the "
            "cluster's login node, or `sudo hpclab seff --vcluster JOBID` for the virtual cluster"
        )
    if proc.returncode != 0:
        raise AccountingError(f"sacct failed for job {job_id}: {said or proc.stdout.strip()}")
    records = [r for r in parse_sacct(proc.stdout) if r.job_id == job_id.split("_")[0] or r.id == job_id]
    if not records:
        raise AccountingError(
            f"Slurm's accounting knows no job {job_id}: check the id (`sacct -X` lists your jobs of today; "
            "older ones need `--starttime`, e.g. `sacct -X -S 2024-01-01`), and that you are on the cluster "
            "that ran it"
        )
    return records


@dataclass(frozen=True)
class Efficiency:
    """A job's use of what it was given: CPU time against CPUs x elapsed, peak memory against its request."""

    job: Record
    steps: tuple[Record, ...]

    @property
    def state(self) -> str:
        """The job's state (COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED, ...)."""
        return self.job.state

    @property
    def elapsed(self) -> float:
        """Wall-clock seconds from start to end."""
        return self.job.elapsed

    @property
    def cpu_used(self) -> float | None:
        """CPU seconds (user + system) all its steps used; None when sacct does not say."""
        return self.job.total_cpu

    @property
    def cpu_allocated(self) -> float:
        """CPU seconds the job held: its CPUs x its elapsed time."""
        return self.job.cpus * self.job.elapsed

    @property
    def cpu_efficiency(self) -> float | None:
        """``cpu_used / cpu_allocated`` (0..1); None when it cannot be told (no time, or no CPU figure)."""
        if self.cpu_used is None or self.cpu_allocated <= 0:
            return None
        return self.cpu_used / self.cpu_allocated

    @property
    def peak_step(self) -> Record | None:
        """The step whose task had the largest resident memory (MaxRSS)."""
        with_rss = [s for s in self.steps if s.max_rss is not None]
        return max(with_rss, key=lambda s: s.max_rss or 0) if with_rss else None

    @property
    def memory_used(self) -> int | None:
        """Bytes: the largest MaxRSS of any step (one task's peak resident memory)."""
        step = self.peak_step
        return step.max_rss if step else None

    @property
    def memory_requested(self) -> int | None:
        """Bytes the job was given on each node (AllocTRES's memory over its nodes)."""
        if self.job.alloc_mem is None or not self.job.nodes:
            return self.job.req_mem
        return self.job.alloc_mem // self.job.nodes

    @property
    def memory_efficiency(self) -> float | None:
        """``memory_used / memory_requested`` (may exceed 1 just before a kill); None when unknown."""
        if self.memory_used is None or not self.memory_requested:
            return None
        return self.memory_used / self.memory_requested

    @property
    def killed_for_memory(self) -> bool:
        """Whether the job ended for its memory: OUT_OF_MEMORY, or killed with its memory at its request.

        Slurm records OUT_OF_MEMORY only when the kernel's OOM killer acted inside the job's
        cgroup (task/cgroup). A site that enforces memory by polling instead
        (``JobAcctGatherParams=OverMemoryKill``, as the virtual cluster does) SIGKILLs the step:
        22.05 then records the job FAILED with exit code ``0:9`` (the step CANCELLED), and only
        the peak memory, at or over the request, tells why.
        """
        if self.state == "OUT_OF_MEMORY":
            return True
        killed = self.job.exit_code.endswith(":9") or any(s.state == "CANCELLED" for s in self.steps)
        efficiency = self.memory_efficiency
        return self.state in ("FAILED", "CANCELLED") and killed and efficiency is not None and efficiency >= 0.95

    def report(self) -> str:
        """The report ``hpclab seff`` prints, in the spirit of seff."""
        job = self.job
        lines = [
            f"Job ID: {job.job_id}",
            f"Job name: {job.name}",
            f"User/account: {job.user}/{job.account}",
            f"State: {job.state_text} (exit code {job.exit_code})",
            f"Nodes: {job.nodes} ({job.node_list})",
            f"CPUs: {job.cpus}",
            f"Elapsed: {format_duration(job.elapsed)}"
            + (f" of a {format_duration(job.time_limit)} limit" if job.time_limit else ""),
        ]
        if self.cpu_efficiency is None or self.cpu_used is None:
            lines.append("CPU efficiency: unknown (the job did not run, or sacct has no CPU time for it)")
        else:
            lines.append(
                f"CPU utilised: {format_duration(self.cpu_used)} of {format_duration(self.cpu_allocated)} "
                f"({job.cpus} CPU(s) x {format_duration(job.elapsed)})"
            )
            lines.append(f"CPU efficiency: {100 * self.cpu_efficiency:.1f}%")
        if self.memory_used is None or self.memory_requested is None:
            lines.append("Memory efficiency: unknown (no step recorded its memory: it may not have run)")
        else:
            step = self.peak_step
            where = f" (step {step.step} on {step.max_rss_node})" if step else ""
            lines.append(f"Memory utilised: {format_size(self.memory_used)}, the peak of one task{where}")
            lines.append(f"Memory requested: {format_size(self.memory_requested)} per node")
            lines.append(f"Memory efficiency: {100 * (self.memory_efficiency or 0):.1f}%")
        lines += self.advice()
        return "\n".join(lines)

    def advice(self) -> list[str]:
        """One line per thing worth knowing about how the job ended or what it asked for."""
        out = []
        if self.state == "OUT_OF_MEMORY":
            out.append("note: killed for using more memory than it asked for: ask for more (--mem) or use less")
        elif self.killed_for_memory:
            out.append(
                f"note: killed (state {self.state}, exit code {self.job.exit_code}) with its memory at its request: "
                "a step over its memory is killed, and where the site polls memory (OverMemoryKill, no cgroups) "
                "Slurm does not call that OUT_OF_MEMORY; the job's output says 'Exceeded job memory limit': "
                "ask for more (--mem) or use less"
            )
        elif self.state == "TIMEOUT":
            out.append("note: stopped at its time limit: ask for more time (--time), or checkpoint and resubmit")
        elif self.state == "FAILED":
            out.append("note: the script ended with a non-zero exit code: read the job's output file")
        if self.cpu_efficiency is not None and self.job.cpus > 1 and self.cpu_efficiency < 0.5:
            out.append(
                f"note: {self.job.cpus} CPUs were held but less than half of their time was used: "
                "ask for fewer, or check that the program runs in parallel"
            )
        return out


def efficiency(job_id: str, runner: jobs.Runner | None = None) -> Efficiency:
    """What a finished job used of what it was given, read from ``sacct``.

    Parameters
    ----------
    job_id
        The job's id, as ``sbatch`` printed it.
    runner
        Runs Slurm's commands (:data:`hpclab.slurm.jobs.Runner`): by default here
        (:func:`local_runner`); ``vcluster.runner(spec)`` on the virtual cluster.

    Returns
    -------
    Efficiency
        The job's record and its steps' records, with CPU and memory efficiency.

    Raises
    ------
    AccountingError
        The site keeps no accounting, or does not know the job.
    """
    records = sacct(runner or local_runner(), job_id)
    job = next((r for r in records if not r.step), records[0])
    return Efficiency(job=job, steps=tuple(r for r in records if r.step))


def has_accounting(run: jobs.Runner) -> bool:
    """Whether ``sacct`` answers through ``run`` (a site with accounting), rather than saying it has none."""
    try:
        proc = run(["sacct", "--noheader", "--parsable2", "-X", "--format=JobID", "--starttime=now"])
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and not _no_accounting(f"{proc.stdout}\n{proc.stderr}")
