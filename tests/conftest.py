"""Shared fixtures: the course root, notebook timing table, and the leak check."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import procs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
# Make the venv's python, jupyter and mpiexec win over anything on PATH.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Course data (hpclab.data): the small size in a private folder, made on first use. Set here,
# before any kernel starts, because kernels inherit os.environ.
DATA_DIR = tempfile.mkdtemp(prefix="hpclab-data-")
os.environ["HPCLAB_DATA"] = DATA_DIR
os.environ["HPCLAB_DATA_SIZE"] = "small"
os.environ.pop("HPCLAB_AIR_SOURCE", None)  # generated data only: tests never download

NOTEBOOK_TIMES: dict[str, tuple[float, str]] = {}
RUN_TAG = procs.tag_this_run()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def slurm_spec(name: str, **shape):
    """A virtual-cluster shape private to one test module (never a learner's cluster)."""
    from hpclab import vcluster

    subnet = {
        "jobs": "10.213.78",
        "life": "10.213.79",
        "doctor": "10.213.82",
        "handoff": "10.213.83",
        "nodes": "10.213.84",
        "site": "10.213.85",
        "heat": "10.213.87",
        "mpicluster": "10.213.93",
    }[name]
    return vcluster.Spec(state=Path(f"/run/hpclab-vcluster-test-{name}"), prefix=f"hpt{name}", subnet=subnet, **shape)


@contextlib.contextmanager
def running_vcluster(name: str, **shape):
    """A virtual Slurm cluster for one test module: up now, always down afterwards."""
    from hpclab import vcluster

    spec = slurm_spec(name, **shape)
    require_slurm(spec)
    vcluster.up(spec, reuse=False)  # never share (and then take down) another run's cluster
    try:
        yield spec
    finally:
        vcluster.down(spec)


def require_slurm(spec) -> None:
    """Skip (a learner without root) or fail (CI) when the virtual cluster cannot start."""
    from hpclab import vcluster

    try:
        vcluster.preflight(spec)
    except vcluster.VClusterError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Slurm tests: {exc}")
        pytest.skip(str(exc))


CHROMIUM = "/usr/bin/chromium"  # Debian's package: Playwright's own browser downloads are never used


def require_browser() -> None:
    """Skip (a learner without chromium or playwright) or fail (CI) when the browser tests cannot run."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(
            f"Debian's chromium at {CHROMIUM} (`sudo apt-get install chromium`; "
            "`make test` installs it when run as root)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (`pip install -e '.[test]'`)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {message}")
        pytest.skip(message)


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
