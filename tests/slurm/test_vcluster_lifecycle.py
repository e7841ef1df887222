"""hpclab vcluster up and down, each test with a cluster of its own (test_vcluster shares one).

Kept apart from test_vcluster so that no test here depends on running before
that module's shared cluster exists: only one slurmctld may run at a time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from hpclab import processes
from hpclab.slurm import vcluster
from tests.support import ROOT, require_slurm

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _netns() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def _getent() -> tuple[str, str]:
    return tuple(
        subprocess.run(["getent", db], capture_output=True, text=True, timeout=30).stdout for db in ("passwd", "group")
    )


def _ours(state: Path) -> list[str]:
    """Processes that mention the state folder (mariadbd's settings, munged's socket ...): none after down."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if any(str(state) in part for part in proc.info["cmdline"] or []):
            found.append(f"{proc.info['pid']}: {' '.join(proc.info['cmdline'])}")
    return found


def test_down_removes_namespaces_daemons_and_state():
    spec = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-down"), prefix="hptdown", subnet="10.213.81", nodes=1)
    require_slurm(spec)
    users = _getent()
    vcluster.up(spec)
    pids = {p.stem: int(p.read_text()) for p in (spec.state / "pids").glob("*.pid")}
    assert sorted(pids) == ["mariadbd", "munged", "slurmctld", "slurmd-node1", "slurmdbd"]
    assert (spec.mariadb / "mysqld.sock").is_socket() and (spec.homes / "learner1").is_dir()
    assert "hptdown-node1" in _netns()
    assert _getent() == users
    vcluster.down(spec)
    assert "hptdown" not in _netns()
    assert not spec.state.exists()
    assert not [p for p in pids.values() if processes.alive(p)]
    assert not _ours(spec.state)
    assert _getent() == users, "the machine's user database changed"


def _cli_python(code: str) -> None:
    """Run ``code`` in a separate Python that exits at once, as `hpclab vcluster up` does.

    Its daemons are then nobody's children here: they are re-parented, and
    reaped by someone else, exactly as after a learner's `sudo hpclab vcluster up`.
    """
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_up_and_down_back_to_back_leave_no_remains():
    spec = (
        "vcluster.Spec(state=Path('/run/hpclab-vcluster-test-cycle'), prefix='hptcycle', subnet='10.213.86', nodes=1)"
    )
    setup = f"from pathlib import Path; from hpclab.slurm import vcluster; spec = {spec}; "
    require_slurm(vcluster.Spec(state=Path("/run/hpclab-vcluster-test-cycle"), prefix="hptcycle", nodes=1))
    state = Path("/run/hpclab-vcluster-test-cycle")
    try:
        for _ in range(2):
            _cli_python(setup + "vcluster.up(spec, reuse=False)")
            daemons = [int(p.read_text()) for p in (state / "pids").glob("*.pid")]
            assert len(daemons) == 5, daemons  # slurmctld, slurmd, munged, mariadbd, slurmdbd
            _cli_python(setup + "vcluster.down(spec)")
            assert "hptcycle" not in _netns()
            gone = [pid for pid in daemons if not psutil.pid_exists(pid)]
            assert gone == daemons, f"down returned while {set(daemons) - set(gone)} still existed"
    finally:
        _cli_python(setup + "vcluster.down(spec)")


def test_local_tmp_is_each_hosts_own_and_down_removes_it():
    """``Spec(local_tmp=True)``: a file a job writes to /tmp on node1 is seen neither on node2 nor on the machine;
    a folder under /tmp named in ``shared_tmp`` (a course checked out in /tmp) is every host's and survives down."""
    shared = Path(tempfile.mkdtemp(prefix="hpclab-shared-", dir="/tmp"))
    shared.chmod(0o777)
    spec = vcluster.Spec(
        state=Path("/run/hpclab-vcluster-test-tmp"),
        prefix="hpttmp",
        subnet="10.213.89",
        local_tmp=True,
        # the course too (its Python runs the MPI job below), in case it is checked out under /tmp, as CI's is
        shared_tmp=(str(shared), str(ROOT)),
    )
    require_slurm(spec)
    name = f"hpclab-local-tmp-{spec.prefix}"

    def learner_on_node1(command: str) -> None:
        job = vcluster.submit(
            spec, f"--wrap={command}", cwd=spec.homes / "learner1", user="learner1", sbatch_options=["--nodelist=node1"]
        )
        assert vcluster.wait(spec, job, timeout=60).state == "COMPLETED", command

    try:
        vcluster.up(spec, reuse=False)
        # A job on node1 writes to its /tmp, as a learner: slurmd, slurmstepd and munge work as ever.
        learner_on_node1(f"echo from-node1 > /tmp/{name}")
        on_node1 = vcluster.run_command(spec, ["cat", f"/tmp/{name}"], host="node1", cwd="/").stdout
        assert on_node1 == "from-node1\n"
        assert (spec.tmp("node1") / name).is_file(), "node1's /tmp is its folder in the state folder"
        for host in ("node2", spec.head):
            seen = vcluster.run_command(spec, ["ls", "-A", "/tmp"], host=host, cwd="/").stdout.split()
            assert name not in seen, f"{host} sees node1's /tmp"
        assert not Path(f"/tmp/{name}").exists(), "the machine sees node1's /tmp"
        # Every host's /tmp is a sticky, world-writable folder, as /tmp is.
        for host in spec.node_names + [spec.head]:
            mode = vcluster.run_command(spec, ["stat", "-c", "%a", "/tmp"], host=host, cwd="/").stdout.strip()
            assert mode == "1777", (host, mode)
        # Two nodes' MPI ranks still meet (PMI through slurmstepd; shared memory is /dev/shm, not /tmp).
        program = "from mpi4py import MPI; c = MPI.COMM_WORLD; print(c.allreduce(c.Get_rank() + 1), c.Get_size())"
        mpi = vcluster.submit(
            spec,
            f"--wrap=srun {sys.executable} -c '{program}'",
            cwd=spec.state,
            sbatch_options=["--nodes=2", "--ntasks-per-node=1", f"--output={spec.state}/mpi-%j.out"],
        )
        ended = vcluster.wait(spec, mpi, timeout=120)
        assert ended.state == "COMPLETED", ended.output()
        assert ended.output().split() == ["3", "2", "3", "2"]
        # The shared folder under /tmp: what a job writes there on node1, node2 and the machine read.
        learner_on_node1(f"echo shared > {shared}/from-node1")
        assert (shared / "from-node1").read_text() == "shared\n"
        on_node2 = vcluster.run_command(spec, ["cat", f"{shared}/from-node1"], host="node2", cwd="/").stdout
        assert on_node2 == "shared\n"
    finally:
        vcluster.down(spec)
        kept = sorted(path.name for path in shared.iterdir())
        shutil.rmtree(shared)
    assert not spec.state.exists(), "down leaves no /tmp of a host behind"
    assert not Path(f"/tmp/{name}").exists()
    assert kept == ["from-node1"], "down removed what a job wrote in the shared folder"


def test_local_tmp_refuses_a_state_folder_in_tmp():
    """The hosts' own /tmp would hide a state folder under /tmp (munge's socket, slurm.conf): refused before anything starts."""
    spec = vcluster.Spec(state=Path("/tmp/hpclab-vcluster-test-tmp"), prefix="hpttmp", local_tmp=True)
    with pytest.raises(vcluster.VClusterError, match="hidden by the hosts' own /tmp"):
        vcluster.preflight(spec)
    assert not spec.state.exists()
