"""Every job script runs on the virtual Slurm cluster and prints the right result."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hpclab.slurm import jobs as slurmjob
from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

SCRIPTS = sorted((ROOT / "jobscripts").glob("*.sh"))
SHELL_FILES = SCRIPTS + sorted((ROOT / "jobscripts" / "site").glob("*.sh"))


@pytest.mark.parametrize("path", SHELL_FILES, ids=lambda p: p.name)
def test_script_parses(path):
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", SHELL_FILES, ids=lambda p: p.name)
def test_script_passes_shellcheck(path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (`apt-get install shellcheck`; CI installs it)")
    proc = subprocess.run(["shellcheck", "-x", str(path.relative_to(ROOT))], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("path", [p for p in SCRIPTS if p.name != "common.sh"], ids=lambda p: p.name)
def test_script_follows_house_style(path):
    text = path.read_text()
    assert "set -euo pipefail" in text
    assert "jobscripts/common.sh" in text, "load the site profile through common.sh"
    for banned in ("--account=", "--partition=", "--reservation=", "module load", "ib0"):
        assert banned not in text, f"{banned!r} is site-specific: put it in jobscripts/site/*.sh"
    for line in text.splitlines():
        if line.startswith("#SBATCH"):
            assert "#" in line[len("#SBATCH") :], f"explain this header inline: {line}"


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("jobs") as spec:
        yield spec


def _run(cluster, tmp_path, name: str, *args: str, timeout: float = 240) -> str:
    job_id = vcluster.submit(
        cluster, f"jobscripts/{name}", cwd=ROOT, args=list(args), sbatch_options=[f"--output={tmp_path}/%x-%j.out"]
    )
    job = vcluster.wait(cluster, job_id, timeout=timeout)
    output = job.output()
    assert job.ok, f"{name} ended {job.state} {job.exit_code}:\n{output[-3000:]}"
    return output


WORKER_LINE = re.compile(r"^worker on (node\d): CPUs ([\d,]+), (\d+) threads?(?:, memory limit (\d+) MiB)?$", re.M)


def _workers(out: str) -> list[dict]:
    """The ``worker on ...`` lines that hpclab.binding.describe printed, one dict per worker."""
    return [
        {
            "host": host,
            "cpus": [int(c) for c in cpus.split(",")],
            "threads": int(threads),
            "memory_mib": int(memory) if memory else None,
        }
        for host, cpus, threads, memory in WORKER_LINE.findall(out)
    ]


def _assert_layout(out: str, *, workers: int, cpus: int, threads: int, memory_mib: int | None = None):
    """Every Dask worker may use exactly ``cpus`` CPUs, with the threads and memory asked for.

    A step with as many tasks as CPUs binds each task to its own ``--cpus-per-task`` CPUs.
    dask-mpi steps start two ranks more than the job has tasks (``--overcommit``): Slurm
    then binds no task to particular CPUs, and each sees its node's allocated CPUs.
    """
    found = _workers(out)
    assert len(found) == workers, out[-3000:]
    for w in found:
        assert len(w["cpus"]) == cpus, f"a worker is bound to {w['cpus']}, its task asked for {cpus} CPUs:\n{out}"
        assert w["threads"] == threads, out[-3000:]
        if memory_mib is not None:
            assert w["memory_mib"] == memory_mib, out[-3000:]


def _assert_tls(out: str) -> None:
    """The job's Dask cluster spoke TLS on the cluster network, and the job removed its credentials."""
    assert re.search(r"^scheduler: tls://10\.213\.78\.\d+:\d+$", out, re.M), out[-3000:]
    assert not list((ROOT / "results").glob("dask-*.tls")), "the job must remove its credentials"


@pytest.mark.slurm
@pytest.mark.slow
def test_mpi_hello_runs_four_ranks_on_both_nodes(cluster, tmp_path):
    out = _run(cluster, tmp_path, "mpi-hello.sh")
    ranks = sorted(int(m) for m in re.findall(r"hello from rank (\d+) of 4", out))
    assert ranks == [0, 1, 2, 3]
    # One CPU per rank (no --cpus-per-task), and the two ranks of a node on different CPUs.
    bound = re.findall(r"hello from rank \d+ of 4 on (node\d) \(CPUs ([\d,]+)\)", out)
    assert len(bound) == 4 and all("," not in cpus for _, cpus in bound), out
    for node in ("node1", "node2"):
        assert len({cpus for host, cpus in bound if host == node}) == 2, out
    assert "ring ok: sum of received ranks = 6 (expected 6)" in out
    assert "hosts: node1 node2" in out


@pytest.mark.slurm
@pytest.mark.slow
def test_pi_estimate_is_close(cluster, tmp_path):
    out = _run(cluster, tmp_path, "pi.sh", "400000")
    match = re.search(r"pi ~ ([\d.]+) .* from 400000 samples on 4 ranks", out)
    assert match, out
    assert abs(float(match.group(1)) - 3.14159) < 0.02


@pytest.mark.slurm
@pytest.mark.slow
def test_primes_on_one_node_uses_a_worker_per_cpu(cluster, tmp_path):
    out = _run(cluster, tmp_path, "primes-1node.sh", "1000000", "1000500")
    assert re.search(r"^39 primes between 1000000 and 1000500 \[.* on 2 workers; hosts: node\d\]", out, re.M), out
    # The task got both CPUs it asked for; its local workers share them, one thread each,
    # within the job's memory (--mem-per-cpu=1G x 2 CPUs).
    _assert_layout(out, workers=2, cpus=2, threads=1)
    assert sum(w["memory_mib"] for w in _workers(out)) <= 2048
    assert re.search(r"^scheduler: tls://127\.0\.0\.1:\d+$", out, re.M), out  # hpclab.cluster.start(): TLS


@pytest.mark.slurm
@pytest.mark.slow
def test_primes_with_dask_mpi_uses_workers_on_both_nodes(cluster, tmp_path):
    out = _run(cluster, tmp_path, "primes-2nodes.sh", "1000000", "1000500")
    assert re.search(r"^39 primes between 1000000 and 1000500 \[.* on 4 workers; hosts: node1 node2\]", out, re.M), out
    # Overcommitted (6 ranks on 2 x 2 CPUs): each worker sees its node's 2 CPUs; 1 thread each.
    _assert_layout(out, workers=4, cpus=2, threads=1, memory_mib=round(1024 * 0.9))
    _assert_tls(out)


@pytest.mark.slurm
@pytest.mark.slow
def test_dask_mpi_cli_serves_a_client_that_connects_by_scheduler_file(cluster, tmp_path):
    out = _run(cluster, tmp_path, "dask-mpi-cli.sh")
    assert "sum of squares = 328350 from 2 workers on node1 node2" in out
    _assert_layout(out, workers=2, cpus=1, threads=1, memory_mib=round(1024 * 0.9))
    _assert_tls(out)
    assert not list(ROOT.glob("scheduler-*.json")), "the job must remove its scheduler file"
    assert not list(ROOT.glob("scheduler-*.tls")), "the job must remove its credentials"


@pytest.mark.slurm
@pytest.mark.slow
def test_gridsearch_with_dask_mpi_finds_a_good_model(cluster, tmp_path):
    out = _run(cluster, tmp_path, "gridsearch.sh")
    match = re.search(r"held-out accuracy ([\d.]+); 8 candidates searched in [\d.]+ s on 2 workers", out)
    assert match, out[-3000:]
    assert float(match.group(1)) > 0.95
    _assert_layout(out, workers=2, cpus=2, threads=2, memory_mib=round(2048 * 0.9))
    _assert_tls(out)


PI_SCALING = re.compile(
    r"jobs (\d+) (\d+) (\d+) \(3 jobs: 1 2 4 ranks, (\d+) samples each\), summary job (\d+)\nresults: (\S+)"
)


def _cpus(per_node: str) -> int:
    """Total CPUs from SLURM_JOB_CPUS_PER_NODE, e.g. ``2(x2),1`` -> 5."""
    total = 0
    for part in per_node.split(","):
        count, _, repeat = part.partition("(x")
        total += int(count) * int(repeat.rstrip(")") or 1)
    return total


def _pi_scaling(cluster, *env: str) -> tuple[re.Match, Path]:
    proc = vcluster.run_command(
        cluster, ["env", *env, "HPCLAB_SAMPLES=400000", "bash", "jobscripts/pi-scaling.sh"], cwd=str(ROOT)
    )
    match = PI_SCALING.search(proc.stdout)
    assert match, proc.stdout + proc.stderr
    assert match.group(4) == "400000", "the sample count comes from HPCLAB_SAMPLES when no argument is given"
    return match, Path(match.group(6)).parent


@pytest.mark.slurm
@pytest.mark.slow
def test_pi_scaling_runs_each_count_on_the_cpus_it_holds_then_summarises(cluster):
    match, results = _pi_scaling(cluster)
    try:
        job = vcluster.wait(cluster, match.group(5), timeout=300)
        summary = job.output()
        assert job.ok, summary
        rows = re.findall(r"^\s+(\d+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)", summary, re.M)
        assert [r[0] for r in rows] == ["1", "2", "4"], summary
        assert rows[0][1:] == ("1.00", "1.00")  # speedup and efficiency of the baseline
        assert "strong scaling; Amdahl's law" in summary
        assert "all 3 runs finished" in summary
        for ranks in (1, 2, 4):
            out = (results / f"ranks-{ranks}.out").read_text()
            held = re.search(r"^pi-scaling: (\d+) ranks, CPUs per node (\S+) on", out, re.M)
            assert held, out
            # Each job holds exactly the CPUs its ranks use: none idle.
            assert (int(held.group(1)), _cpus(held.group(2))) == (ranks, ranks), out
            assert re.search(rf"from 400000 samples on {ranks} ranks in", out), out
    finally:
        shutil.rmtree(results, ignore_errors=True)


@pytest.mark.slurm
@pytest.mark.slow
def test_pi_scaling_summary_runs_and_names_the_count_that_failed(cluster):
    """A run that never happens must not leave the summary pending forever (afterok would)."""
    match, results = _pi_scaling(cluster, "SBATCH_HOLD=1")  # every job held until we say
    one, two, four, summary_id = match.group(1, 2, 3, 5)
    try:
        vcluster.run_command(cluster, ["scancel", two], cwd="/")
        vcluster.run_command(cluster, ["scontrol", "release", one, four, summary_id], cwd="/")
        job = vcluster.wait(cluster, summary_id, timeout=300)
        summary = job.output()
        assert job.state == "FAILED", f"{job.state}: {summary}"  # the summary ran, and says it is incomplete
        assert "failed: 1 of 3 runs (ranks: 2)" in summary, summary
        rows = re.findall(r"^\s+(\d+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)", summary, re.M)
        assert [r[0] for r in rows] == ["1", "4"], summary  # the runs that finished, in a table
    finally:
        vcluster.run_command(cluster, ["scancel", one, two, four, summary_id], cwd="/", check=False)
        shutil.rmtree(results, ignore_errors=True)


def test_pi_scaling_defaults_to_a_problem_long_enough_to_time():
    """The old default (4 million samples) ran ~0.1 s per rank count: start-up, not the work, was timed.

    100 million samples take seconds on one core (pi.py draws them a million at a time, so memory
    stays at 16 MB); tests pass a small HPCLAB_SAMPLES instead.
    """
    text = (ROOT / "jobscripts" / "pi-scaling.sh").read_text()
    default = re.search(r'^samples="\$\{1:-\$\{HPCLAB_SAMPLES:-(\d+)\}\}"', text, re.M)
    assert default and int(default.group(1)) >= 100_000_000, "pi-scaling.sh: default sample count"
    assert "--array" not in text, "one job per count: an array's tasks all hold the largest count's CPUs"
    assert "afterany" in text and "afterok" not in text


def test_a_summary_whose_dependency_can_never_be_met_is_reported_not_waited_for():
    """What the old afterok summary did after one failed run: pend forever. wait() says so at once."""
    squeue = {
        "jobs": [{"job_id": 9, "job_state": "PENDING", "exit_code": 0, "state_reason": "DependencyNeverSatisfied"}]
    }
    calls = []

    def run(argv):
        calls.append(argv[0])
        out = json.dumps(squeue) if argv[0] == "squeue" else ""
        return subprocess.CompletedProcess(argv, 0, out, "")

    with pytest.raises(slurmjob.JobError, match=r"can never start \(DependencyNeverSatisfied\): .*afterany"):
        slurmjob.wait(run, "9", timeout=30)
    assert calls[-1] == "scancel"


@pytest.mark.slurm
@pytest.mark.slow
def test_jobqueue_submits_worker_jobs_that_join(cluster, tmp_path):
    out = _run(cluster, tmp_path, "jobqueue.sh")
    assert "#SBATCH" in out and "sum of squares = 328350 from 2 worker jobs on" in out
    assert re.search(r"^scheduler: tls://10\.213\.78\.\d+:\d+$", out, re.M), out[-3000:]
    assert "--tls-ca-file" in out, "the worker jobs get the credentials' files"
    assert not list((ROOT / "results").glob("jobqueue-tls-*")), "the demo must remove its private folder"
    shutil.rmtree(ROOT / "results" / "jobqueue-logs", ignore_errors=True)


@pytest.mark.slurm
@pytest.mark.slow
def test_jupyter_on_a_compute_node_prints_the_tunnel_and_serves(cluster, tmp_path):
    job_id = vcluster.submit(
        cluster,
        "jobscripts/jupyter.sh",
        cwd=ROOT,
        sbatch_options=[f"--output={tmp_path}/%x-%j.out", "--export=ALL,HPCLAB_JUPYTER_SMOKE=1"],
    )
    job = vcluster.wait(cluster, job_id, timeout=180)
    out = job.output()
    assert job.ok, out[-3000:]
    match = re.search(r"ssh -N -L 8888:localhost:(\d+) -J \S+@vhead \S+@(node\d)", out)
    assert match, out[-3000:]
    assert f"JupyterLab is serving on {match.group(2)}:{match.group(1)}" in out


@pytest.mark.slurm
@pytest.mark.slow
def test_capstone_pipeline_smooths_in_worker_memory_on_both_nodes(cluster, tmp_path):
    out = _run(cluster, tmp_path, "capstone.sh", "10")
    difference = re.search(r"^max difference from NumPy: (\S+)$", out, re.M)
    assert difference and float(difference.group(1)) < 1e-9, out[-3000:]
    match = re.search(
        r"^area-weighted mean (-?[\d.]+) °C \(NumPy (-?[\d.]+)\) on 2 workers; hosts: node1 node2$", out, re.M
    )
    assert match, out[-3000:]
    assert match.group(1) == match.group(2)
    kept = re.search(
        r"^smoothed map kept on the workers \((\d+) blocks\); its area-weighted mean by Dask (-?[\d.]+) °C "
        r"\(NumPy (-?[\d.]+)\)$",
        out,
        re.M,
    )
    assert kept and kept.group(2) == kept.group(3), out[-3000:]  # Dask analysed MPI's result where it lay
    _assert_layout(out, workers=2, cpus=2, threads=2, memory_mib=round(2048 * 0.9))
    _assert_tls(out)


PROBE = "import os, socket; print('probe', socket.gethostname(), len(os.sched_getaffinity(0)))"


def _probe_job(cluster, tmp_path, body: str, *options: str) -> str:
    """A job of inline shell lines (``--wrap``); its output."""
    job_id = vcluster.run_command(
        cluster,
        ["sbatch", "--parsable", f"--output={tmp_path}/wrap-%j.out", *options, "--wrap", body],
        cwd=str(tmp_path),
    ).stdout.strip()
    job = vcluster.wait(cluster, job_id, timeout=120)
    assert job.ok, f"{job.state} {job.exit_code}: {job.output()}"
    return job.output()


@pytest.mark.slurm
@pytest.mark.slow
def test_a_step_gets_the_jobs_cpus_per_task_only_when_srun_is_told(cluster, tmp_path):
    """Slurm 22.05+: srun does not inherit --cpus-per-task; the job scripts pass it explicitly."""
    python = f'{sys.executable} -c "{PROBE}"'
    out = _probe_job(
        cluster,
        tmp_path,
        f"echo plain; srun --overcommit -n4 {python}; "
        f"echo told; srun --overcommit -n4 --cpus-per-task=$SLURM_CPUS_PER_TASK {python}",
        "--nodes=2",
        "--ntasks=2",
        "--cpus-per-task=2",
        "--mem-per-cpu=200M",
    )
    plain, told = out.split("told")
    assert re.findall(r"^probe node\d (\d+)$", plain, re.M) == ["1"] * 4, out
    assert re.findall(r"^probe node\d (\d+)$", told, re.M) == ["2"] * 4, out


@pytest.mark.slurm
@pytest.mark.slow
def test_a_one_cpu_step_is_bound_to_one_cpu(cluster, tmp_path):
    python = f'{sys.executable} -c "{PROBE}"'
    out = _probe_job(
        cluster,
        tmp_path,
        f"{python}; srun -n1 -c1 {python}",
        "--nodes=1",
        "--ntasks=1",
        "--cpus-per-task=2",
        "--mem-per-cpu=200M",
    )
    assert re.findall(r"^probe node\d (\d+)$", out, re.M) == ["2", "1"], out


@pytest.mark.slurm
@pytest.mark.slow
def test_a_job_over_its_memory_request_is_killed(cluster, tmp_path):
    grab = f"{sys.executable} -c \"import time; block = bytearray(600 * 2**20); time.sleep(8); print('survived')\""
    job_id = vcluster.run_command(
        cluster,
        ["sbatch", "--parsable", f"--output={tmp_path}/oom-%j.out", "--mem=150M", "--wrap", f"srun {grab}"],
        cwd=str(tmp_path),
    ).stdout.strip()
    job = vcluster.wait(cluster, job_id, timeout=120)
    out = job.output()
    assert not job.ok and "survived" not in out, out
    assert "exceeded memory limit" in out, out


DASK_MPI = re.compile(r"dask_mpi|programs/(gridsearch|capstone)\.py|primes\.py [^\n]*--mpi")


def test_every_dask_mpi_job_script_sets_up_tls_and_removes_it():
    """dask-mpi reads TLS from Dask's configuration: each script must call dask_tls, and clean up."""
    scripts = [p for p in SCRIPTS if DASK_MPI.search(p.read_text())]
    assert {p.name for p in scripts} >= {
        "primes-2nodes.sh",
        "primes-nodes.sh",
        "gridsearch.sh",
        "capstone.sh",
        "dask-mpi-cli.sh",
    }
    for path in scripts:
        text = path.read_text()
        assert re.search(r'^dask_tls "\$tls"$', text, re.M), f"{path.name} starts Dask without TLS"
        assert re.search(r"^trap '.*rm -rf [^']*\"\$tls\"", text, re.M), f"{path.name} leaves its credentials"
        assert "TMPDIR" not in text.split('dask_tls "$tls"')[0], "credentials go on the shared filesystem"


def test_every_job_script_asks_for_memory():
    for path in SCRIPTS:
        if path.name in ("common.sh", "pi-scaling.sh"):  # a library, and a script that only submits
            continue
        assert re.search(r"^#SBATCH --mem(-per-cpu)?=", path.read_text(), re.M), f"{path.name} asks for no memory"


def test_every_srun_of_a_multi_cpu_task_passes_its_cpus():
    """srun does not inherit --cpus-per-task from the job since Slurm 22.05: say it on the srun line."""
    for path in SCRIPTS:
        text = path.read_text()
        if not re.search(r"^#SBATCH --cpus-per-task=", text, re.M):
            continue
        for call in re.findall(r"^\s*srun\b(?:[^\n]*\\\n)*[^\n]*", text, re.M):
            assert '--cpus-per-task="$SLURM_CPUS_PER_TASK"' in call, f"{path.name}: {call}"
