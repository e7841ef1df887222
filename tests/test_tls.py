"""TLS by default: a stranger's client cannot run a task on a cluster the course starts; the owner's can.

Everything here listens and connects on 127.0.0.1 only. The job scripts'
clusters are proved the same way on the virtual Slurm cluster (test_tls_jobs.py).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hpclab import cluster, tls
from tests.support import cli_scheduler_and_worker
from tests.support.tls import STRANGER, STRANGER_WAYS


def _clean_env() -> dict[str, str]:
    """The environment of another user's process: none of our Dask TLS settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}


def strangers(address: str, sentinel: Path, owner: Path | None = None) -> dict[str, str]:
    """Run tls_stranger.py as a separate process; {attempt: 'ran' | 'refused'}."""
    argv = [sys.executable, str(STRANGER), address, str(sentinel)] + (["--owner", str(owner)] if owner else [])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = {}
    for line in proc.stdout.splitlines():
        name, _, outcome = line.partition(": ")
        found[name] = "ran" if outcome.startswith("ran a task") else "refused"
    return found


def _ran(sentinel: Path, way: str) -> bool:
    return Path(f"{sentinel}-{way}").exists()


@pytest.mark.slow
def test_a_local_cluster_refuses_a_strangers_client_and_serves_its_owner(tmp_path):
    sentinel = tmp_path / "pwned"
    with cluster.client(n_workers=1, threads_per_worker=1, memory_limit="1GiB", quiet=True) as c:
        address = c.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert all(w.startswith("tls://127.0.0.1:") for w in c.scheduler_info()["workers"])
        outcome = strangers(address, sentinel)
        assert outcome == {way: "refused" for way in STRANGER_WAYS}
        assert not any(_ran(sentinel, way) for way in STRANGER_WAYS)
        # The owner's client (this one) runs tasks as before.
        assert c.submit(sum, [1, 2, 3]).result() == 6
        assert c.run(lambda: 1) == {w: 1 for w in c.scheduler_info()["workers"]}
        # The dashboard stays plain HTTP on loopback, reachable as before.
        assert c.dashboard_link.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(c.dashboard_link, timeout=30) as page:
            assert page.status == 200


@pytest.mark.slow
def test_plain_tcp_is_an_explicit_opt_out_that_anyone_can_use(tmp_path, capsys):
    """The check above can fail: without TLS a stranger's client runs its task."""
    sentinel = tmp_path / "pwned"
    with cluster.client(n_workers=1, threads_per_worker=1, memory_limit="1GiB", security=False) as c:
        assert c.scheduler.address.startswith("tcp://127.0.0.1:")
        outcome = strangers(c.scheduler.address, sentinel)
        assert outcome["plain-tcp"] == "ran" and _ran(sentinel, "plain-tcp")
    assert "plain TCP, no TLS" in capsys.readouterr().out


def test_security_must_be_true_or_false():
    with pytest.raises(ValueError, match="security must be True"):
        cluster.security_options("yes")
    assert cluster.security_options(True) == {"security": True, "protocol": "tls://"}
    assert cluster.security_options(False) == {"protocol": "tcp://"}


def test_credentials_are_private_and_never_reused(tmp_path):
    folder = tls.write_credentials(tmp_path / "scheduler-1.tls")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (tls.CERT_FILE, tls.KEY_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert "BEGIN CERTIFICATE" in (folder / tls.CERT_FILE).read_text()
    with pytest.raises(ValueError, match="already exists"):
        tls.write_credentials(folder)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(ValueError, match="readable by others"):
        tls.write_credentials(shared)


def test_credentials_refusing_a_running_jobs_folder_leave_it_alone(tmp_path):
    folder = tls.write_credentials(tmp_path / "scheduler-7.tls")  # a job's, still in use
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(ValueError, match="already exists"):
        with tls.credentials(folder):
            pass
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_group_readable_credentials_folder_is_refused_by_the_client(tmp_path):
    folder = tls.write_credentials(tmp_path / "job.tls")
    folder.chmod(0o750)
    with pytest.raises(ValueError, match="chmod 700"):
        tls.security_from(folder)


def test_credentials_sit_beside_the_scheduler_file():
    assert tls.beside("/shared/course/scheduler-42.json") == Path("/shared/course/scheduler-42.tls")


def test_dask_config_points_every_role_at_the_credentials(tmp_path):
    folder = tls.write_credentials(tmp_path / "job.tls")
    env = tls.dask_environment(folder)
    assert env["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] == "True"
    for role in ("SCHEDULER", "WORKER", "CLIENT"):
        assert env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__KEY"] == str(folder / tls.KEY_FILE)
    code = (
        "from distributed.security import Security; s = Security(); "
        "print(s.require_encryption, s.tls_ca_file, s.tls_worker_key)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**_clean_env(), **env}
    )
    assert proc.stdout.split() == ["True", str(folder / tls.CERT_FILE), str(folder / tls.KEY_FILE)], proc.stderr


def test_missing_credentials_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="is it still running"):
        tls.security_from(tmp_path)
    scheduler_file = tmp_path / "scheduler-7.json"
    scheduler_file.write_text(json.dumps({"address": "tls://127.0.0.1:1"}))
    with pytest.raises(ValueError, match="connect as the user who submitted the job"):
        cluster.security_for(scheduler_file)
    scheduler_file.write_text(json.dumps({"address": "tcp://127.0.0.1:1"}))
    assert cluster.security_for(scheduler_file) is None


def test_the_cli_writes_credentials_and_prints_dasks_configuration(tmp_path):
    folder = tmp_path / "scheduler-9.tls"
    proc = subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "tls", "job", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert f"export DASK_DISTRIBUTED__COMM__TLS__CA_FILE={folder / tls.CERT_FILE}" in proc.stdout
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    again = subprocess.run(
        [sys.executable, "-m", "hpclab.cli", "tls", "job", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.fixture
def tls_scheduler_file(tmp_path):
    """A scheduler and a worker started as a job does (Dask's CLI, TLS from the configuration only)."""
    path = tmp_path / "scheduler.json"
    env = {**_clean_env(), **tls.dask_environment(tls.write_credentials(tls.beside(path)))}
    with cli_scheduler_and_worker(path, env):
        yield path


@pytest.mark.slow
def test_a_scheduler_configured_like_a_job_refuses_strangers_and_the_owner_connects_by_file(tls_scheduler_file):
    address = cluster.scheduler_address(tls_scheduler_file)
    assert address.startswith("tls://127.0.0.1:")
    # The owner: hpclab.cluster finds the credentials beside the scheduler file.
    with cluster.client(tls_scheduler_file, quiet=True) as c:
        c.wait_for_workers(1, timeout=60)
        assert c.submit(pow, 2, 10).result() == 1024
    sentinel = tls_scheduler_file.parent / "pwned"
    assert strangers(address, sentinel) == {way: "refused" for way in STRANGER_WAYS}
    assert strangers(address, sentinel, owner=tls.beside(tls_scheduler_file)) == {"owner": "ran"}
    assert _ran(sentinel, "owner") and not any(_ran(sentinel, way) for way in STRANGER_WAYS)


@pytest.mark.slow
def test_the_jobqueue_demos_cluster_refuses_strangers_and_its_worker_job_joins(tmp_path):
    """SLURMCluster as jobscripts/programs/jobqueue_demo.py makes it; its worker job's command, run here."""
    import shlex

    from dask_jobqueue import SLURMCluster
    from distributed import Client
    from distributed.security import Security

    private = tmp_path / "jobqueue-tls"
    private.mkdir(mode=0o700)
    with SLURMCluster(
        cores=1,
        processes=1,
        memory="1GiB",
        security=Security.temporary(),
        shared_temp_directory=str(private),
        scheduler_options={"dashboard_address": "127.0.0.1:0", "host": "127.0.0.1"},
    ) as jq:
        address = jq.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        command = shlex.split(jq.job_script().strip().splitlines()[-1])
        files = [Path(command[command.index(flag) + 1]) for flag in ("--tls-ca-file", "--tls-cert", "--tls-key")]
        assert all(f.parent == private and stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
        worker = subprocess.Popen(
            command + ["--host", "127.0.0.1", "--no-dashboard"],
            env=_clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with Client(jq) as owner:
                owner.wait_for_workers(1, timeout=60)
                assert owner.submit(pow, 3, 3).result() == 27
                sentinel = tmp_path / "pwned"
                assert strangers(address, sentinel) == {way: "refused" for way in STRANGER_WAYS}
                assert not list(tmp_path.glob("pwned-*"))
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
