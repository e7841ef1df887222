"""Every job script runs on the virtual Slurm cluster and prints the right result."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, running_vcluster
from hpclab import vcluster

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
    proc = subprocess.run(["shellcheck", "-x", str(path.relative_to(ROOT))],
                          capture_output=True, text=True, cwd=ROOT)
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
            assert "#" in line[len("#SBATCH"):], f"explain this header inline: {line}"


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("jobs") as spec:
        yield spec


def _run(cluster, tmp_path, name: str, *args: str, timeout: float = 240) -> str:
    job_id = vcluster.submit(cluster, f"jobscripts/{name}", cwd=ROOT, args=list(args),
                             sbatch_options=[f"--output={tmp_path}/%x-%j.out"])
    job = vcluster.wait(cluster, job_id, timeout=timeout)
    output = job.output()
    assert job.ok, f"{name} ended {job.state} {job.exit_code}:\n{output[-3000:]}"
    return output


@pytest.mark.slurm
@pytest.mark.slow
def test_mpi_hello_runs_four_ranks_on_both_nodes(cluster, tmp_path):
    out = _run(cluster, tmp_path, "mpi-hello.sh")
    ranks = sorted(int(m) for m in re.findall(r"hello from rank (\d+) of 4", out))
    assert ranks == [0, 1, 2, 3]
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
    assert re.search(r"^39 primes between 1000000 and 1000500 \[.* on 4 workers; hosts: node\d\]", out, re.M), out


@pytest.mark.slurm
@pytest.mark.slow
def test_primes_with_dask_mpi_uses_workers_on_both_nodes(cluster, tmp_path):
    out = _run(cluster, tmp_path, "primes-2nodes.sh", "1000000", "1000500")
    assert re.search(r"^39 primes between 1000000 and 1000500 \[.* on 2 workers; hosts: node1 node2\]", out, re.M), out


@pytest.mark.slurm
@pytest.mark.slow
def test_dask_mpi_cli_serves_a_client_that_connects_by_scheduler_file(cluster, tmp_path):
    out = _run(cluster, tmp_path, "dask-mpi-cli.sh")
    assert "sum of squares = 328350 from 2 workers on node1 node2" in out
    assert not list(ROOT.glob("scheduler-*.json")), "the job must remove its scheduler file"


@pytest.mark.slurm
@pytest.mark.slow
def test_gridsearch_with_dask_mpi_finds_a_good_model(cluster, tmp_path):
    out = _run(cluster, tmp_path, "gridsearch.sh")
    match = re.search(r"held-out accuracy ([\d.]+); 8 candidates searched in [\d.]+ s on 2 workers", out)
    assert match, out[-3000:]
    assert float(match.group(1)) > 0.95


@pytest.mark.slurm
@pytest.mark.slow
def test_pi_scaling_array_and_summary(cluster):
    proc = vcluster.run(cluster, ["bash", "jobscripts/pi-scaling.sh", "400000"], cwd=str(ROOT))
    match = re.search(r"array job (\d+) \(3 tasks: 1 2 4 ranks\), summary job (\d+)\nresults: (\S+)", proc.stdout)
    assert match, proc.stdout + proc.stderr
    results = Path(match.group(3)).parent
    try:
        job = vcluster.wait(cluster, match.group(2), timeout=300)
        summary = job.output()
        assert job.ok, summary
        rows = re.findall(r"^\s+(\d+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)", summary, re.M)
        assert [r[0] for r in rows] == ["1", "2", "4"], summary
        assert rows[0][1:] == ("1.00", "1.00")  # speedup and efficiency of the baseline
        assert "strong scaling; Amdahl's law" in summary
    finally:
        shutil.rmtree(results, ignore_errors=True)


@pytest.mark.slurm
@pytest.mark.slow
def test_jobqueue_submits_worker_jobs_that_join(cluster, tmp_path):
    out = _run(cluster, tmp_path, "jobqueue.sh")
    assert "#SBATCH" in out and "sum of squares = 328350 from 2 worker jobs on" in out
    shutil.rmtree(ROOT / "results" / "jobqueue-logs", ignore_errors=True)


@pytest.mark.slurm
@pytest.mark.slow
def test_jupyter_on_a_compute_node_prints_the_tunnel_and_serves(cluster, tmp_path):
    job_id = vcluster.submit(cluster, "jobscripts/jupyter.sh", cwd=ROOT,
                             sbatch_options=[f"--output={tmp_path}/%x-%j.out", "--export=ALL,HPCLAB_JUPYTER_SMOKE=1"])
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
    match = re.search(r"^area-weighted mean (-?[\d.]+) °C \(NumPy (-?[\d.]+)\) on 2 workers; hosts: node1 node2$",
                      out, re.M)
    assert match, out[-3000:]
    assert match.group(1) == match.group(2)
