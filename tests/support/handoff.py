"""What the handoff test programs print, checked the same way wherever they ran; and a killer of workers.

tests/handoff_programs/handoff_scenarios.py prints one ``label: value`` line
per check; dask-mpi under mpiexec (tests/test_handoff.py), Slurm jobs and
``cluster.start(mpi=True)`` workers (tests/test_mpi_cluster.py) must all pass
:func:`assert_handoff_output`. :func:`kill_the_victim` SIGKILLs the worker that
names itself in a file, for the tests that lose a worker in the MPI phase.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest


def kill_the_victim(victim_file: Path, killed: dict) -> threading.Thread:
    """A thread that waits for a worker to write its pid into ``victim_file`` and SIGKILLs it.

    First it creates ``victim_file.done`` (so the next attempt runs unharmed), then gives the
    victim's partners a second to reach their MPI call or finish. The pid goes into
    ``killed["pid"]``; a test asserts it is there, or it proves nothing.
    """

    def killer() -> None:
        deadline = time.monotonic() + 120
        while not victim_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if victim_file.exists():
            Path(str(victim_file) + ".done").touch()
            time.sleep(1.0)
            killed["pid"] = int(victim_file.read_text())
            os.kill(killed["pid"], signal.SIGKILL)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread


def output_lines(output: str) -> dict[str, str]:
    """``{label: value}`` for every ``label: value`` line of a handoff program's output."""
    return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in output.splitlines() if ":" in line}


def assert_handoff_output(out: str, workers: int) -> None:
    """Every scenario of handoff_scenarios.py agreed with NumPy on ``workers`` workers."""
    lines = output_lines(out)
    assert lines["workers"] == str(workers), out
    total, numpy_total = re.search(r"total=([\d.]+) numpy=([\d.]+) agree=True", lines["allreduce"]).groups()
    assert float(total) == pytest.approx(float(numpy_total))
    assert lines["comm order follows chunk order"] == "True", out
    assert lines["halo"] == "blocks=7 match=True", out
    assert lines["way back"] == "placed=True chunks=True match=True", out
    assert lines["uneven"] == f"holders=1 empty={workers - 1} called={workers} agree=True holder_is_rank0=True", out
    assert lines["uneven halo"] == "match=True", out
