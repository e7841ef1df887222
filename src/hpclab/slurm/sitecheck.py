"""``hpclab site-check``: before a workshop, prove the course works on a real site.

Run on the site's login node, from the course root, with the site profile
(``HPCLAB_SITE``) the workshop will use. It submits the smallest job of each
kind the course relies on, reads what happened inside them, and prints one
row per check with a fix for every failure:

* MPI across two nodes (``jobscripts/mpi-hello.sh``), one CPU per rank;
* binding: a step told ``--cpus-per-task`` gets that many CPUs, a one-CPU
  step exactly one (``jobscripts/site-probe.sh binding``);
* memory: a job over its ``--mem`` is stopped (``site-probe.sh memory``);
* the course doctor on two compute nodes: MPI library, launcher, network
  interface (``site-probe.sh doctor``);
* a dask-mpi job on two nodes (``jobscripts/primes-2nodes.sh``);
* a dask-jobqueue worker job (``jobscripts/jobqueue.sh``).

All jobs are submitted at once and waited for together, within one time limit.
How each job ended is read from the site's accounting (``sacct``) where it keeps
one, as learners will read it, else from ``squeue``; the rows say which.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hpclab.doctor.findings import FAIL, OK, SYMBOL, Finding
from hpclab.errors import SetupError
from hpclab.slurm import jobs

PASS = OK  # a row passes or fails (FAIL); the site check has no warnings

#: CPUs per task the binding probe asks for (the smallest count that tells binding from none).
BINDING_CPUS = 2

#: The range the dask-mpi probe counts primes in: small, so the job takes seconds.
PRIMES = (1_000_000, 1_000_500)

#: Each probe's name (what ``hpclab site-check NAME`` selects) and its row's title.
TITLES = {
    "mpi": "MPI on 2 nodes",
    "binding": "CPU binding",
    "memory": "memory limit",
    "doctor": "doctor on compute nodes",
    "dask-mpi": "dask-mpi on 2 nodes",
    "jobqueue": "dask-jobqueue workers",
}


def row(name: str, status: str, seen: str, fix: str = "") -> Finding:
    """One row of the table, as the doctor's :class:`~hpclab.doctor.findings.Finding`: section = check, message = what was seen."""
    return Finding(section=name, status=status, message=seen, fix=fix)


@dataclass(frozen=True)
class Probe:
    """A job to submit and the function that judges its output."""

    name: str
    script: str
    args: tuple[str, ...]
    options: tuple[str, ...]
    judge: Callable[[jobs.Job, str], Finding]


# ------------------------------------------------------------------ judges


def judge_mpi(job: jobs.Job, out: str) -> Finding:
    """mpi-hello.sh: every rank says hello, on at least 2 hosts, ranks of a node on different CPUs, ring closed."""
    name = TITLES["mpi"]
    ranks = re.findall(r"hello from rank (\d+) of (\d+) on (\S+) \(CPUs ([\d,]+)\)", out)
    if not ranks:
        return row(
            name,
            FAIL,
            f"no rank said hello (job {job.state})",
            "set SLURM_MPI_TYPE in the site profile to what `srun --mpi=list` offers, and build "
            "mpi4py against the site's MPI (docs/on-a-cluster.md, Installing on a cluster)",
        )
    sizes = {int(size) for _, size, _, _ in ranks}
    if sizes != {len(ranks)}:
        return row(
            name,
            FAIL,
            f"ranks report sizes {sorted(sizes)} for {len(ranks)} ranks",
            "every rank thinks it is alone: srun and the MPI library do not speak the same PMI; "
            "set SLURM_MPI_TYPE in the site profile (pmi2 or pmix)",
        )
    hosts = {host for _, _, host, _ in ranks}
    if len(hosts) < 2:
        return row(
            name,
            FAIL,
            f"all ranks ran on {', '.join(sorted(hosts))}",
            "the partition gave one node: choose a partition with two nodes free (SBATCH_PARTITION)",
        )
    if "ring ok" not in out:
        return row(
            name,
            FAIL,
            "the ranks started but the ring exchange did not finish",
            "MPI cannot reach the other node: check the interconnect settings in the site profile",
        )
    # Bound ranks of one node hold different CPUs (a core's hardware threads count as its own).
    for host in hosts:
        held = [set(cpus.split(",")) for _, _, h, cpus in ranks if h == host]
        if any(a & b for i, a in enumerate(held) for b in held[i + 1 :]):
            return row(
                name,
                FAIL,
                f"ranks on {host} share CPUs: they are not bound to their own",
                "the site does not bind tasks (TaskPlugin=task/none?): ranks may share cores; "
                "ask the admins, or add --cpu-bind=cores to srun",
            )
    return row(name, PASS, f"{len(ranks)} ranks on {len(hosts)} nodes, each on CPUs of its own")


def _probe_counts(section: str) -> list[tuple[int, int]]:
    """(CPUs, cores) of each ``probe HOST CPUS CORES`` line."""
    return [(int(c), int(k)) for c, k in re.findall(r"^probe \S+ (\d+) (\d+)$", section, re.M)]


def judge_binding(job: jobs.Job, out: str, cpus: int = 2) -> Finding:
    """site-probe.sh binding: told -> ``cpus`` CPUs, a 1-CPU step -> one core, and what extra tasks get."""
    name = TITLES["binding"]
    parts = dict(re.findall(r"^== (\w+)\n(.*?)(?=^== |\Z)", out, re.M | re.S))
    told, one, plain = (_probe_counts(parts.get(k, "")) for k in ("told", "one", "plain"))
    if not told or not one or not plain:
        return row(
            name,
            FAIL,
            f"the probe did not run to the end (job {job.state} {job.exit_code})",
            "see the probe job's output; it needs the course environment on the compute nodes",
        )
    if any(c < cpus for c, _ in told):
        return row(
            name,
            FAIL,
            f"a step told --cpus-per-task={cpus} got {[c for c, _ in told]} CPUs",
            "tasks do not get the CPUs they ask for: Dask workers would fight over cores",
        )
    if one[0][1] != 1:  # a core, with however many hardware threads it has
        return row(
            name,
            FAIL,
            f"a one-CPU step may run on {one[0][0]} CPUs of {one[0][1]} cores",
            "the site does not bind tasks to their CPUs (TaskPlugin=task/none): workers and ranks "
            "may share cores; our job scripts still work, but measured speedups mislead",
        )
    fewest = min(c for c, _ in plain)
    inherit = (
        "an srun with extra tasks inherits --cpus-per-task"
        if fewest >= cpus
        else f"an srun with extra tasks gets {fewest} CPU(s) per task unless told: always pass --cpus-per-task to srun"
    )
    return row(name, PASS, f"told: {told[0][0]} CPUs, one-CPU step: 1 core; {inherit}")


def judge_memory(job: jobs.Job, out: str) -> Finding:
    """site-probe.sh memory: a step that grabs 4x its job's memory must be killed for it, visibly."""
    name = TITLES["memory"]
    if "survived" in out:
        return row(
            name,
            FAIL,
            "a step held 4x its job's --mem and was not stopped",
            "the site does not enforce --mem: a worker that runs away can take a whole node; "
            "set Dask's memory_limit (our job scripts do) and warn learners",
        )
    if "holding" not in out:
        return row(
            name,
            FAIL,
            f"the probe never started its allocation (job {job.state} {job.exit_code})",
            "see the probe job's output; it needs the course environment on the compute nodes",
        )
    said = re.search(r"exceed\w* (job )?memory limit|oom[- ]kill|out of memory", out, re.I)
    if job.state != "OUT_OF_MEMORY" and not said:
        return row(
            name,
            FAIL,
            f"the probe ended {job.state} {job.exit_code} (from {job.source}) without Slurm saying why",
            "see the probe job's output: something else stopped it",
        )
    return row(name, PASS, f"a step over its --mem was killed for it (job {job.state}, from {job.source})")


def judge_doctor(job: jobs.Job, out: str) -> Finding:
    """site-probe.sh doctor: the course doctor on two nodes, every finding without a failure."""
    name = TITLES["doctor"]
    reports, decoder = [], json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"^\{", out, re.M)):  # one report per task, maybe indented
        try:
            reports.append(decoder.raw_decode(out, start)[0])
        except ValueError:
            continue
    if not reports:
        return row(
            name,
            FAIL,
            f"no doctor report (job {job.state})",
            "install the course environment where compute nodes see it (HPCLAB_VENV)",
        )
    for report in reports:
        for finding in report["findings"]:
            if finding["status"] == "fail":
                return row(name, FAIL, f"{report['host']}: {finding['message']}", finding.get("fix", ""))
    hosts = sorted({r["host"] for r in reports})
    return row(name, PASS, f"no problems on {', '.join(hosts)}")


def _count_primes(low: int, high: int) -> int:
    """Primes in LOW..HIGH (inclusive), counted here by trial division: what the job must report."""
    return sum(n > 1 and all(n % f for f in range(2, math.isqrt(n) + 1)) for n in range(low, high + 1))


def judge_dask_mpi(job: jobs.Job, out: str, low: int = PRIMES[0], high: int = PRIMES[1]) -> Finding:
    """primes-2nodes.sh on a small range: the right count from workers on two nodes."""
    name = TITLES["dask-mpi"]
    match = re.search(rf"^(\d+) primes between {low} and {high} \[.* on (\d+) workers; hosts: (.*)\]$", out, re.M)
    if not match:
        return row(
            name,
            FAIL,
            f"no result (job {job.state} {job.exit_code})",
            "set HPCLAB_IFACE in the site profile to the interface the nodes share (`ip -br addr`)",
        )
    want = _count_primes(low, high)
    if int(match.group(1)) != want:
        return row(name, FAIL, f"counted {match.group(1)} primes, not {want}", "see the job's output")
    hosts = match.group(3).split()
    if len(hosts) < 2:
        return row(name, FAIL, f"workers only on {hosts}", "use a partition where two nodes are free")
    return row(name, PASS, f"{match.group(2)} workers on {' '.join(hosts)}")


def judge_jobqueue(job: jobs.Job, out: str) -> Finding:
    """jobqueue.sh: two worker jobs joined the driver's scheduler."""
    name = TITLES["jobqueue"]
    match = re.search(r"sum of squares = 328350 from (\d+) worker jobs on (.*)$", out, re.M)
    if not match:
        return row(
            name,
            FAIL,
            f"no result (job {job.state} {job.exit_code})",
            "the worker jobs did not join: HPCLAB_IFACE must be reachable from the compute nodes, "
            "and the account and partition (SBATCH_*) must allow more than one job",
        )
    return row(name, PASS, f"{match.group(1)} worker jobs on {match.group(2).strip()}")


def probes(results: str) -> list[Probe]:
    """The jobs of a site check, their output in the folder ``results``."""
    out = f"--output={results}/%x-%j.out"
    return [
        Probe("mpi", "jobscripts/mpi-hello.sh", (), (out,), judge_mpi),
        Probe(
            "binding",
            "jobscripts/site-probe.sh",
            ("binding",),
            (out, "--nodes=1", "--ntasks=1", f"--cpus-per-task={BINDING_CPUS}"),
            lambda job, text: judge_binding(job, text, cpus=BINDING_CPUS),
        ),
        Probe(
            "memory", "jobscripts/site-probe.sh", ("memory",), (out, "--ntasks=1", "--mem-per-cpu=100M"), judge_memory
        ),
        Probe(
            "doctor", "jobscripts/site-probe.sh", ("doctor",), (out, "--nodes=2", "--ntasks-per-node=1"), judge_doctor
        ),
        Probe("dask-mpi", "jobscripts/primes-2nodes.sh", tuple(map(str, PRIMES)), (out,), judge_dask_mpi),
        Probe("jobqueue", "jobscripts/jobqueue.sh", (), (out,), judge_jobqueue),
    ]


# ------------------------------------------------------------------ running


def site_runner(
    root: str | Path, *, prefix: Sequence[str] = (), env: Mapping[str, str] | None = None, timeout: float = 60
) -> jobs.Runner:
    """Run Slurm commands with the site profile loaded, as learners submit.

    ``prefix`` runs them elsewhere: ``hpclab.slurm.vcluster.exec_argv(spec, [])``
    puts them on the virtual cluster's login node. ``env`` replaces this
    process's environment (e.g. to try another ``SBATCH_PARTITION``).
    """
    root = Path(root)
    if not (root / "jobscripts" / "common.sh").is_file():
        raise FileNotFoundError(
            f"{root} is not the course folder (it has no jobscripts/common.sh): run from the course root or pass --root"
        )
    if not prefix and shutil.which("sbatch") is None:
        raise SetupError(
            "there is no sbatch here: run the site check on the cluster's login node "
            "(or use --vcluster for the virtual cluster)"
        )
    profile = shlex.quote(str(root / "jobscripts" / "common.sh"))

    def run(argv: list[str]) -> subprocess.CompletedProcess:
        command = [*prefix, "bash", "-c", f'source {profile} >/dev/null && exec "$@"', "site-check", *argv]
        return subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=timeout, env=None if env is None else dict(env)
        )

    return run


def run_probes(
    run: jobs.Runner, root: str | Path, *, timeout: float = 600, only: list[str] | None = None
) -> list[Finding]:
    """Submit every probe through ``run``, wait for all (``timeout`` s in all), and judge each.

    A probe that cannot be submitted or does not finish in time is a failed
    row with the reason, never an exception: the instructor sees the whole
    table. Jobs still queued or running when this returns, or when it is
    interrupted, are cancelled.
    """
    root = Path(root)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix=".site-check-", dir=root) as results:
        chosen = [p for p in probes(results) if only is None or p.name in only]
        submitted: list[tuple[Probe, str | None, str]] = []
        try:
            for probe in chosen:
                try:
                    submitted.append(
                        (probe, jobs.submit(run, probe.script, args=probe.args, sbatch_options=probe.options), "")
                    )
                except (jobs.JobError, OSError, subprocess.TimeoutExpired) as exc:
                    submitted.append((probe, None, str(exc)))
            rows = [_judged(run, probe, job_id, problem, deadline) for probe, job_id, problem in submitted]
        finally:
            ids = [job_id for _, job_id, _ in submitted if job_id]
            if ids:
                run(["scancel", *ids])  # a no-op for jobs that have ended
    return rows


def _judged(run: jobs.Runner, probe: Probe, job_id: str | None, problem: str, deadline: float) -> Finding:
    """The row of one submitted (or refused) probe."""
    if job_id is None:
        return row(TITLES[probe.name], FAIL, problem, "check the site profile (account, partition)")
    try:
        job = jobs.wait(run, job_id, max(1.0, deadline - time.monotonic()))
    except jobs.JobError as exc:
        return row(
            TITLES[probe.name],
            FAIL,
            str(exc),
            "the queue is busy or the job hangs: try again with a reservation (SBATCH_RESERVATION)",
        )
    return probe.judge(job, job.output())


def findings_table(rows: list[Finding]) -> str:
    """The pass/fail table, with the fix under every failure and a last line that sums up."""
    width = max(len(r.section) for r in rows)
    lines = []
    for r in rows:
        lines.append(f"{SYMBOL[r.status]} {r.section:<{width}}  {r.message}")
        if r.status == FAIL and r.fix:
            lines.append(f"   {'':<{width}}  fix: {r.fix}")
    failed = sum(r.status == FAIL for r in rows)
    lines.append(
        f"{len(rows) - failed} of {len(rows)} checks passed"
        + ("" if not failed else ": fix the rows marked ❌ before the workshop")
    )
    return "\n".join(lines)
