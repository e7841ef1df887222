"""On the virtual Slurm cluster: a stranger's client cannot run a task on a job's Dask cluster; the owner's can.

Strangers connect from the login node (``vhead``) and from a compute node, the
places other users of a real cluster work from; every connection stays inside
the virtual cluster's own namespaces. Each job holds its cluster open until
the test releases it.
"""

from __future__ import annotations

import re
import stat
import sys
import time
from pathlib import Path

import pytest

from hpclab import cluster as hpclab_cluster
from hpclab.slurm import vcluster
from tests.support import ROOT, running_vcluster
from tests.support.tls import STRANGER, STRANGER_WAYS

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    with running_vcluster("tls") as spec:
        yield spec


def _wait_for(path: Path, cluster, job_id: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        state = vcluster.run_command(cluster, ["squeue", "-h", "-j", job_id, "-o", "%T"], cwd="/", check=False).stdout
        if not state.strip() or time.monotonic() > deadline:
            job = vcluster.wait(cluster, job_id, timeout=60)
            pytest.fail(f"job {job_id} never wrote {path} ({job.state}):\n{job.output()[-3000:]}")
        time.sleep(0.5)
    return path.read_text().strip()


def _attempts(cluster, host: str, address: str, sentinel: Path, owner: Path | None = None) -> dict[str, str]:
    argv = [sys.executable, str(STRANGER), address, str(sentinel)] + (["--owner", str(owner)] if owner else [])
    proc = vcluster.run_command(cluster, argv, host=host, cwd=str(ROOT), timeout=120)
    found = {}
    for line in proc.stdout.splitlines():
        name, _, outcome = line.partition(": ")
        found[name] = "ran" if outcome.startswith("ran a task") else "refused"
    return found


def _prove(cluster, address: str, credentials: Path, sentinel: Path, owner: Path | None = None) -> None:
    assert re.match(r"tls://10\.213\.91\.\d+:\d+$", address), address  # the cluster network, not loopback
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    for host in ("vhead", "node2"):
        assert _attempts(cluster, host, address, sentinel) == {way: "refused" for way in STRANGER_WAYS}, host
    assert not list(sentinel.parent.glob(sentinel.name + "-*"))
    # The owner, on the login node, with the job's credentials: a notebook there does this.
    assert _attempts(cluster, "vhead", address, sentinel, owner=owner or credentials) == {"owner": "ran"}
    assert Path(f"{sentinel}-owner").exists()


def test_a_dask_mpi_jobs_cluster_refuses_strangers_and_serves_its_owner(cluster, tmp_path):
    out, release = tmp_path / "address", tmp_path / "release"
    job_id = vcluster.submit(
        cluster,
        "tests/tls-hold-mpi.sh",
        cwd=ROOT,
        args=[str(out), str(release)],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out"],
    )
    credentials = ROOT / "results" / f"dask-{job_id}.tls"
    try:
        address = _wait_for(out, cluster, job_id)
        _prove(cluster, address, credentials, tmp_path / "pwned")
    finally:
        release.touch()
        job = vcluster.wait(cluster, job_id, timeout=120)
    assert job.ok, job.output()[-3000:]
    assert "owner in the job: 6" in job.output()
    assert not credentials.exists(), "the job must remove its credentials"


def test_without_tls_a_stranger_on_the_login_node_runs_a_task_on_the_jobs_workers(cluster, tmp_path):
    """The control: the proofs above can fail. The same job without dask_tls lets a stranger in."""
    out, release = tmp_path / "address", tmp_path / "release"
    job_id = vcluster.submit(
        cluster,
        "tests/tls-hold-mpi.sh",
        cwd=ROOT,
        args=[str(out), str(release)],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out", "--export=ALL,TLS_HOLD_PLAIN=1"],
    )
    try:
        address = _wait_for(out, cluster, job_id)
        assert address.startswith("tcp://10.213.91."), address
        assert _attempts(cluster, "vhead", address, tmp_path / "pwned")["plain-tcp"] == "ran"
        assert Path(f"{tmp_path / 'pwned'}-plain-tcp").exists()
    finally:
        release.touch()
        job = vcluster.wait(cluster, job_id, timeout=120)
    assert job.ok, job.output()[-3000:]


def test_the_dask_mpi_cli_jobs_cluster_refuses_strangers_and_its_owner_connects_by_file(cluster, tmp_path):
    job_id = vcluster.submit(
        cluster,
        "jobscripts/dask-mpi-cli.sh",
        cwd=ROOT,
        args=["tests/tls_hold.py"],
        sbatch_options=[f"--output={tmp_path}/%x-%j.out"],
    )
    scheduler_file = ROOT / f"scheduler-{job_id}.json"
    markers = [Path(f"{scheduler_file}.address"), Path(f"{scheduler_file}.release")]
    try:
        address = _wait_for(markers[0], cluster, job_id)
        assert address == hpclab_cluster.scheduler_address(scheduler_file)
        # The owner connects by the scheduler file, as a notebook on the login node does.
        _prove(cluster, address, scheduler_file.with_suffix(".tls"), tmp_path / "pwned", owner=scheduler_file)
    finally:
        markers[1].touch()
        job = vcluster.wait(cluster, job_id, timeout=120)
        for marker in markers:
            marker.unlink(missing_ok=True)
    assert job.ok, job.output()[-3000:]
    assert "owner in the job: 6" in job.output()
    assert not scheduler_file.exists() and not scheduler_file.with_suffix(".tls").exists()
