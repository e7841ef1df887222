"""What tests import: the course root, the run's leak-check tag, virtual clusters, the browser."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import procs

ROOT = Path(__file__).resolve().parents[2]
# Every process this test run starts inherits the tag; conftest's leak check looks for it.
RUN_TAG = procs.tag_this_run()


def slurm_spec(name: str, **shape):
    """A virtual-cluster shape private to one test module (never a learner's cluster)."""
    from hpclab.slurm import vcluster

    subnet = {
        "jobs": "10.213.78",
        "life": "10.213.79",
        "doctor": "10.213.82",
        "handoff": "10.213.83",
        "nodes": "10.213.84",
        "site": "10.213.85",
        "heat": "10.213.87",
        "tls": "10.213.91",
        "accounts": "10.213.72",
        "acct": "10.213.73",
        "mpicluster": "10.213.93",
        "siteshape": "10.213.97",
        "layouts": "10.213.95",
    }[name]
    return vcluster.Spec(state=Path(f"/run/hpclab-vcluster-test-{name}"), prefix=f"hpt{name}", subnet=subnet, **shape)


@contextlib.contextmanager
def running_vcluster(name: str, **shape):
    """A virtual Slurm cluster for one test module: up now, always down afterwards."""
    from hpclab.slurm import vcluster

    spec = slurm_spec(name, **shape)
    require_slurm(spec)
    vcluster.up(spec, reuse=False)  # never share (and then take down) another run's cluster
    try:
        yield spec
    finally:
        vcluster.down(spec)


def require_slurm(spec) -> None:
    """Skip (a learner without root) or fail (CI) when the virtual cluster cannot start."""
    from hpclab.slurm import vcluster

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


#: Headless, and quiet: no background networking, component updates, sync or QUIC.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-quic",
]


@contextlib.contextmanager
def chromium(profile: Path, allowed, *, blocked: list | None = None, width: int = 1400, height: int = 1000):
    """Debian's chromium driven by Playwright, fresh profile ``profile``; a browser context.

    Every request whose URL ``allowed(url)`` refuses is aborted (and its URL appended to
    ``blocked``): the tests talk to loopback and ``file://`` only. Always closed afterwards.
    """
    require_browser()
    from playwright.sync_api import sync_playwright

    def route(request_route) -> None:
        if allowed(request_route.request.url):
            request_route.continue_()
        else:
            if blocked is not None:
                blocked.append(request_route.request.url)
            request_route.abort()

    pw = sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            context.route("**/*", route)
            yield context
        finally:
            context.close()
    finally:
        pw.stop()


@contextlib.contextmanager
def cli_scheduler_and_worker(path: Path, env: dict[str, str] | None = None):
    """A scheduler and one worker started with Dask's own CLI on loopback, found by scheduler file ``path``.

    ``env`` is their whole environment (a job's TLS configuration, say); both are stopped afterwards.
    """
    common = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=path.parent, env=env)
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(path),
        ],
        **common,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                "--scheduler-file",
                str(path),
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--memory-limit",
                "1GiB",
            ],
            **common,
        )
        yield path
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def hpclab_grade(target, out, *more: str, cwd, release=None, timeout: float = 600, env: dict[str, str] | None = None):
    """Run ``hpclab grade TARGET --out OUT --release RELEASE --no-progress MORE...`` as an instructor would.

    ``release`` is the course's own ``exercises/`` unless given; the completed process.
    """
    where = release if release is not None else ROOT / "exercises"
    args = ("grade", str(target), "--out", str(out), "--release", str(where), "--no-progress", *more)
    return hpclab_cli(*args, cwd=cwd, timeout=timeout, env=env)


def hpclab_cli(*args: str, cwd, timeout: float = 600, env: dict[str, str] | None = None):
    """Run ``hpclab ARGS...`` as a user would (this Python's ``-m hpclab.cli``); the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "hpclab.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )
