"""Shared fixtures: the course root, notebook timing table, and the leak check.

Helpers that tests import (the course root, virtual clusters, the browser) live in the
``tests.support`` package: pytest loads this file as a plugin, not as a module to import.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import ROOT, RUN_TAG, procs

os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
# Make the venv's python, jupyter and mpiexec win over anything on PATH.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Course data (hpclab.data): the small size in a private folder, made on first use. Set here,
# before any kernel starts, because kernels inherit os.environ.
DATA_DIR = tempfile.mkdtemp(prefix="hpclab-data-")
os.environ["HPCLAB_DATA"] = DATA_DIR
os.environ["HPCLAB_DATA_SIZE"] = "small"
os.environ.pop("HPCLAB_AIR_SOURCE", None)  # generated data only: tests never download
# CI runs as root; Open MPI's launcher refuses root unless asked (hpclab.mpi passes this on).
if os.geteuid() == 0:
    os.environ["HPCLAB_MPI_AS_ROOT"] = "1"

NOTEBOOK_TIMES: dict[str, tuple[float, str]] = {}


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def notebook_times() -> dict[str, tuple[float, str]]:
    return NOTEBOOK_TIMES


def pytest_sessionfinish(session, exitstatus):
    """Principle 6: fail the run if any kernel, Dask or MPI process outlived it."""
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    if getattr(session.config, "workerinput", None) is not None:
        return
    left = procs.leftovers(RUN_TAG)
    if left:
        procs.kill(left)
        lines = "\n".join(f"  pid {pid}: {cmd[:160]}" for pid, cmd in left.items())
        session.config._hpclab_leaks = lines
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if NOTEBOOK_TIMES:
        tr = terminalreporter
        tr.section("notebook execution times")
        total = 0.0
        for name, (seconds, status) in sorted(NOTEBOOK_TIMES.items()):
            tr.write_line(f"{name:<45} {seconds:7.1f} s  {status}")
            total += seconds
        tr.write_line(f"{'total':<45} {total:7.1f} s")
    screenshots = getattr(config, "_hpclab_screenshots", None)
    if screenshots:
        terminalreporter.section("browser screenshots")
        terminalreporter.write_line(str(screenshots))
    leaks = getattr(config, "_hpclab_leaks", None)
    if leaks:
        terminalreporter.section("processes left running (now killed)", red=True)
        terminalreporter.write_line("These processes were started during the run and not stopped:\n" + leaks)
