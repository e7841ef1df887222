"""hpclab vcluster up and down, each test with a cluster of its own (test_vcluster shares one).

Kept apart from test_vcluster so that no test here depends on running before
that module's shared cluster exists: only one slurmctld may run at a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from hpclab import processes
from hpclab.slurm import vcluster
from tests.support import require_slurm

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
