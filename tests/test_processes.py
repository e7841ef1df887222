"""hpclab.processes: the one way hpclab stops what it started."""

from __future__ import annotations

import mmap
import subprocess
import sys
import time

import psutil

from hpclab import processes

# A parent that starts a grandchild in its own group and ignores SIGTERM: the worst case.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def test_stop_session_stops_a_stubborn_leader_and_its_grandchild():
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, start_new_session=True)
    grandchild = int(proc.stdout.readline())
    processes.stop_session(proc, grace=1)
    assert proc.poll() is not None
    assert not processes.alive(grandchild)


def test_stop_returns_nothing_once_every_target_is_gone():
    sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)]
    assert processes.stop([p.pid for p in sleepers], grace=2, reap=5) == []
    assert all(p.poll() is not None for p in sleepers)
    assert processes.stop([sleepers[0].pid]) == []  # already gone: nothing to do, no error


def test_a_zombie_is_not_alive():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    assert not processes.alive(proc.pid)


def test_with_marker_and_mapped_paths_find_a_process_by_what_it_holds(tmp_path):
    shared = tmp_path / "hpclab-test-mapped.bin"
    shared.write_bytes(b"\0" * mmap.PAGESIZE)
    code = (
        f"import mmap, time\nf = open({str(shared)!r}, 'r+b')\nm = mmap.mmap(f.fileno(), 0)\n"
        "print('mapped', flush=True)\ntime.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "marker-for-" + tmp_path.name], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline() == "mapped\n"
        assert [p.pid for p in processes.with_marker("marker-for-" + tmp_path.name)] == [proc.pid]
        assert str(shared) in processes.mapped_paths("hpclab-test-mapped")
    finally:
        proc.kill()
        proc.wait()
