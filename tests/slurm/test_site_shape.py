"""The job scripts at a production site's shape: nodes of 2 x 20 cores and 192 GB, on this small machine.

The virtual nodes advertise what the reference site's nodes have (``vcluster.SITE_SHAPE``), so
the patterns written for such nodes run as they would there: ``--cpus-per-task=40 --exclusive``,
the dask-mpi ``--ntasks=$((SLURM_NTASKS + 2)) --overcommit``, a rank per core. What is asserted
comes from inside the jobs (Slurm's variables, each task's CPU mask, what the programs print);
the CPUs are this machine's few cores taken in turns, so nothing here is a timing.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster

CPUS, SOCKETS, MEMORY_MB = (vcluster.SITE_SHAPE[k] for k in ("cpus", "sockets", "memory_mb"))
PER_SOCKET = CPUS // SOCKETS


@pytest.fixture(scope="module")
def site():
    with running_vcluster("siteshape", nodes=2, **vcluster.SITE_SHAPE) as spec:
        yield spec


def _job(site, tmp_path, script: str, *options: str, args: tuple[str, ...] = (), timeout: float = 300) -> str:
    job_id = vcluster.submit(
        site, script, cwd=ROOT, args=list(args), sbatch_options=[f"--output={tmp_path}/%x-%j.out", *options]
    )
    job = vcluster.wait(site, job_id, timeout=timeout)
    out = job.output()
    assert job.ok, f"{script} {' '.join(options)} ended {job.state} {job.exit_code}:\n{out[-3000:]}"
    return out


@pytest.mark.slurm
@pytest.mark.slow
def test_nodes_advertise_the_sites_shape_without_cgroups(site):
    nodes = vcluster.run_command(site, ["sinfo", "-h", "-N", "-o", "%N %c %m %X %Y"], cwd="/").stdout.split("\n")
    assert [line.split() for line in nodes if line] == [
        [node, str(CPUS), str(MEMORY_MB), str(SOCKETS), str(PER_SOCKET)] for node in ("node1", "node2")
    ]
    assert len(os.sched_getaffinity(0)) < CPUS, "this test is about a machine smaller than the site's nodes"
    config = vcluster.run_command(site, ["scontrol", "show", "config"], cwd="/").stdout
    assert re.search(r"^TaskPlugin\s+= task/affinity$", config, re.M), config
    assert "cgroup" not in " ".join(re.findall(r"^(?:ProctrackType|TaskPlugin|JobAcctGatherType)\s+=.*", config, re.M))


PROBE = (
    "import os, socket; "
    "status = open('/proc/self/status').read(); "
    "print('probe', socket.gethostname(), os.environ['SLURM_LOCALID'], "
    "','.join(map(str, sorted(os.sched_getaffinity(0)))), "
    "status.split('Cpus_allowed_list:')[1].split()[0])"
)


@pytest.mark.slurm
@pytest.mark.slow
def test_tasks_are_bound_to_the_node_cpus_slurm_chose_and_run_on_this_machines(site):
    """4 tasks of 10 CPUs fill a node: each sees its own 10 node CPUs; the kernel runs them on the host's."""
    out = vcluster.run_command(
        site, ["srun", "-N1", "-n4", "-c10", "--mem-per-cpu=100M", sys.executable, "-c", PROBE], cwd="/"
    ).stdout
    tasks = re.findall(r"^probe (node\d) (\d) ([\d,]+) (\S+)$", out, re.M)
    assert len(tasks) == 4, out
    seen = [set(map(int, cpus.split(","))) for _, _, cpus, _ in tasks]
    assert all(len(cpus) == 10 for cpus in seen), out
    assert set().union(*seen) == set(range(CPUS)), f"4 x 10 CPUs must fill the {CPUS}-CPU node once: {out}"
    # Slurm's block:cyclic default: each task's CPUs on one socket.
    assert all(len({cpu // PER_SOCKET for cpu in cpus}) == 1 for cpus in seen), out
    for _, _, _, allowed in tasks:  # what the kernel enforces: CPUs this machine has
        assert _cpu_list(allowed) <= os.sched_getaffinity(0), out


def _cpu_list(text: str) -> set[int]:
    """The kernel's list format: ``0-3,8`` -> {0, 1, 2, 3, 8}."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


WORKER = re.compile(r"^worker on (node\d): CPUs ([\d,]+), (\d+) threads?, memory limit (\d+) MiB$", re.M)


@pytest.mark.slurm
@pytest.mark.slow
def test_dask_mpi_with_whole_exclusive_nodes_and_overcommit(site, tmp_path):
    """The reference site's pattern: --cpus-per-task=40 --exclusive, two more ranks with --overcommit."""
    # 500 MB per CPU: 40 of them stay below this machine's memory, which Dask caps a worker's limit at.
    options = (f"--cpus-per-task={CPUS}", "--exclusive", "--mem-per-cpu=500M")
    out = _job(site, tmp_path, "jobscripts/gridsearch.sh", *options, timeout=420)
    match = re.search(r"held-out accuracy ([\d.]+); 8 candidates searched in [\d.]+ s on 2 workers", out)
    assert match and float(match.group(1)) > 0.95, out[-3000:]
    workers = WORKER.findall(out)
    assert sorted(host for host, *_ in workers) == ["node1", "node2"], out[-3000:]
    for _, cpus, threads, memory in workers:
        # Each worker's task holds a whole node: all 40 CPUs, a thread on each, and its share of
        # the job's memory (--mem-per-cpu=500M x 40, of which Dask keeps 90 %).
        assert cpus == ",".join(map(str, range(CPUS))), out[-3000:]
        assert int(threads) == CPUS, out[-3000:]
        assert int(memory) == round(500 * CPUS * 0.9), out[-3000:]
    assert re.search(r"^scheduler: tls://10\.213\.97\.\d+:\d+$", out, re.M), out[-3000:]


@pytest.mark.slurm
@pytest.mark.slow
def test_a_rank_per_core_on_two_full_nodes(site, tmp_path):
    """mpi-hello.sh with 40 ranks on each node: every rank on a core of its own."""
    out = _job(site, tmp_path, "jobscripts/mpi-hello.sh", f"--ntasks-per-node={CPUS}", "--mem-per-cpu=100M")
    ranks = re.findall(r"^hello from rank (\d+) of (\d+) on (node\d) \(CPUs ([\d,]+)\)$", out, re.M)
    assert len(ranks) == 2 * CPUS and {size for _, size, _, _ in ranks} == {str(2 * CPUS)}, out[-3000:]
    for node in ("node1", "node2"):
        cpus = sorted(int(c) for _, _, host, c in ranks if host == node)
        assert cpus == list(range(CPUS)), f"{node}: one rank per CPU: {out[-3000:]}"
    n = 2 * CPUS
    assert f"ring ok: sum of received ranks = {n * (n - 1) // 2}" in out
    assert "hosts: node1 node2" in out


@pytest.mark.slurm
@pytest.mark.slow
def test_exclusive_job_gets_the_whole_node_and_its_memory(site, tmp_path):
    """--exclusive: the job holds all 40 CPUs of its node and, with --mem-per-cpu, 40 times that."""
    body = (
        'echo "cpus=$SLURM_CPUS_ON_NODE pernode=$SLURM_JOB_CPUS_PER_NODE mem=$SLURM_MEM_PER_CPU"; '
        f'srun -n1 --cpus-per-task="$SLURM_CPUS_ON_NODE" {sys.executable} -c "{PROBE}"'
    )
    job_id = vcluster.run_command(
        site,
        ["sbatch", "--parsable", f"--output={tmp_path}/excl-%j.out", "--exclusive", "-N1", "-n1", "--mem-per-cpu=500M"]
        + ["--wrap", body],
        cwd=str(tmp_path),
    ).stdout.strip()
    job = vcluster.wait(site, job_id, timeout=120)
    out = job.output()
    assert job.ok, out
    assert f"cpus={CPUS} pernode={CPUS} mem=500" in out, out
    probe = re.search(r"^probe node\d 0 ([\d,]+) ", out, re.M)
    assert probe and probe.group(1) == ",".join(map(str, range(CPUS))), out
    detail = vcluster.run_command(site, ["scontrol", "show", "job", job_id], cwd="/").stdout
    assert re.search(rf"\bmem={CPUS * 500}M\b", detail), detail


# What `up` writes for such a shape (no cluster needed).
SHAPE = vcluster.Spec(nodes=2, **vcluster.SITE_SHAPE)


def test_slurm_conf_describes_the_sites_node():
    line = vcluster.node_line(SHAPE, "node1")
    assert f"CPUs={CPUS} Boards=1 SocketsPerBoard={SOCKETS} CoresPerSocket={PER_SOCKET} ThreadsPerCore=1" in line
    assert f"RealMemory={MEMORY_MB}" in line
    conf = vcluster.slurm_conf(SHAPE)
    assert f"DefMemPerCPU={MEMORY_MB // CPUS}" in conf
    assert "SlurmdParameters=config_overrides" in conf and "TaskPlugin=task/affinity\n" in conf


def test_slurmd_is_shown_the_sites_topology_and_cpus_fold_onto_the_hosts():
    assert vcluster.hwloc_topology(SHAPE, "node1") == f"package:{SOCKETS} core:{PER_SOCKET} pu:1"
    assert vcluster.hwloc_topology(vcluster.Spec(), "node1") is None  # the host's own CPUs: the real topology
    host = SHAPE.node_cpus("node1")
    assert SHAPE.cpu_map("node1") == [host[i % len(host)] for i in range(CPUS)]
    assert SHAPE.oversubscribed and not vcluster.Spec().oversubscribed
    assert "map=(" not in vcluster.task_prolog(SHAPE), "the CPU library, not the prolog, moves tasks here"


def test_a_shape_that_cannot_be_split_over_its_sockets_is_refused():
    with pytest.raises(vcluster.VClusterError, match="41 CPUs per node cannot be split evenly over 2 socket"):
        vcluster.preflight(vcluster.Spec(cpus=41, sockets=2))
