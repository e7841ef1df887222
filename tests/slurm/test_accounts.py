"""Learner accounts on the virtual cluster: real users inside it, nothing of the machine's changed.

Jobs run as the learner who submitted them, homes are private, and a learner cannot cancel
another's job. The cluster is private to this module (one slurmctld at a time: run the slurm
tests under `flock /tmp/hpclab-slurm.lock`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from hpclab.slurm import jobs, vcluster
from tests.support import require_slurm

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

SPEC = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-accounts"), prefix="hptaccounts", subnet="10.213.72")


def _getent(database: str) -> str:
    return subprocess.run(["getent", database], capture_output=True, text=True, timeout=30).stdout


@contextlib.contextmanager
def _cluster(spec: vcluster.Spec):
    require_slurm(spec)
    vcluster.up(spec, reuse=False)
    try:
        yield spec
    finally:
        vcluster.down(spec)


@pytest.fixture(scope="module")
def cluster():
    before = {db: _getent(db) for db in ("passwd", "group")}
    with _cluster(SPEC) as spec:
        yield spec, before
    assert {db: _getent(db) for db in ("passwd", "group")} == before, "down changed the machine's user database"


def test_learners_exist_inside_the_cluster_only(cluster):
    spec, before = cluster
    assert {db: _getent(db) for db in ("passwd", "group")} == before, "up changed the machine's user database"
    assert "learner1" not in Path("/etc/passwd").read_text()
    for host in (spec.head, *spec.node_names):
        line = vcluster.run_command(spec, ["getent", "passwd", "learner1"], host=host, cwd="/").stdout.strip()
        assert (
            line
            == f"learner1:x:{vcluster.FIRST_UID}:{vcluster.FIRST_UID}:hpclab learner:{spec.homes}/learner1:/bin/bash"
        )
        # the machine's own users are still known there (root runs the daemons)
        assert vcluster.run_command(spec, ["id", "-un", "0"], host=host, cwd="/").stdout.strip() == "root"
    who = vcluster.run_command(spec, ["bash", "-c", 'id -un; echo "$HOME"; pwd'], user="learner2").stdout.split()
    assert who == ["learner2", str(spec.homes / "learner2"), str(spec.homes / "learner2")]


def test_an_unknown_learner_is_refused_with_the_names(cluster):
    spec, _ = cluster
    with pytest.raises(vcluster.VClusterError, match="no learner 'alice'.*learner1, learner2, learner3"):
        vcluster.run_command(spec, ["id"], user="alice")


def test_homes_are_private(cluster):
    spec, _ = cluster
    one, two = vcluster.learners(spec)[:2]
    assert (one.home.stat().st_mode & 0o777, one.home.stat().st_uid) == (0o700, one.uid)
    vcluster.run_command(spec, ["bash", "-c", "echo mine > notes.txt"], user=one.name)
    assert (one.home / "notes.txt").stat().st_uid == one.uid
    for argv in (["ls", str(one.home)], ["cat", str(one.home / "notes.txt")]):
        proc = vcluster.run_command(spec, argv, user=two.name, check=False)
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, proc


def test_a_job_runs_as_the_learner_who_submitted_it(cluster):
    spec, _ = cluster
    person = vcluster.learner(spec, "learner3")
    script = person.home / "whoami.sh"  # where the learner can read it
    script.write_text("#!/bin/bash\n#SBATCH --nodes=2 --ntasks-per-node=1\nid -un\nsrun id -un\n")
    os.chown(script, person.uid, person.gid)
    job_id = vcluster.submit(spec, script, cwd=person.home, user=person.name)
    job = vcluster.wait(spec, job_id, timeout=120)
    assert job.ok, job
    assert job.stdout_path.parent == person.home and job.stdout_path.stat().st_uid == person.uid
    assert job.output().split() == ["learner3"] * 3
    users = vcluster.run_command(spec, ["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "User"], cwd="/").stdout
    assert users.strip() == "learner3"


def test_a_learner_cannot_cancel_another_learners_job(cluster):
    spec, _ = cluster
    job_id = jobs.submit(vcluster.runner(spec, spec.homes / "learner1", user="learner1"), "--wrap=sleep 300")
    try:
        refused = vcluster.run_command(spec, ["scancel", job_id], user="learner2", check=False)
        assert refused.returncode != 0 and "Access/permission denied" in refused.stderr, refused
        time.sleep(1)  # a cancel that went through would show by now
        state = jobs.job_fields(vcluster.runner(spec), job_id)["JobState"]
        assert state in ("PENDING", "RUNNING"), state
        vcluster.run_command(spec, ["scancel", job_id], user="learner1")
        assert vcluster.wait(spec, job_id, timeout=60).state == "CANCELLED"
    finally:
        vcluster.run_command(spec, ["scancel", job_id], cwd="/", check=False)
