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


def test_down_removes_namespaces_daemons_and_state():
    spec = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-down"), prefix="hptdown", subnet="10.213.81", nodes=1)
    require_slurm(spec)
    vcluster.up(spec)
    pids = [int(p.read_text()) for p in (spec.state / "pids").glob("*.pid")]
    assert "hptdown-node1" in _netns()
    vcluster.down(spec)
    assert "hptdown" not in _netns()
    assert not spec.state.exists()
    assert not [p for p in pids if processes.alive(p)]


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
            assert len(daemons) == 3, daemons  # slurmctld, slurmd, munged
            _cli_python(setup + "vcluster.down(spec)")
            assert "hptcycle" not in _netns()
            gone = [pid for pid in daemons if not psutil.pid_exists(pid)]
            assert gone == daemons, f"down returned while {set(daemons) - set(gone)} still existed"
    finally:
        _cli_python(setup + "vcluster.down(spec)")
