"""JupyterHub on the virtual cluster, in real browser pages: each learner's JupyterLab is a Slurm job.

A smoke set (issue 26, items 3-5): `hpclab hub up`'s hub on the login node, batchspawner's
SlurmSpawner, three learners logged in at once from three browsers (Debian's chromium, each
its own profile, loopback only: the hub is reached through the forwarder on 127.0.0.1).
Each learner's server must be a Slurm job of that learner on a compute node; each learner
runs lesson 00's cluster cells in the registered "Python (hpclab)" kernel, and their dashboard
draws live tasks through the hub (`/user/NAME/proxy/PORT/status`) and from the Dask panel
(Task Stream, Progress); a learner on the same node cannot use another's cluster. The hub, its
jobs and the cluster are always stopped, also on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

import hpclab
from hpclab.slurm import hub, vcluster
from tests.course.test_browser import (
    KERNEL_IDLE,
    WAIT_MS,
    _cell,
    _run_cell,
    dashboard_draws,
)
from tests.support import CHROMIUM, CHROMIUM_FLAGS, ROOT, require_browser, require_slurm

SPEC = vcluster.Spec(state=Path("/run/hpclab-vcluster-test-hub"), prefix="hpthub", subnet="10.213.99")
LESSON_CELLS = ["l00-cores", "l00-session", "l00-layout", "l00-client", "l00-threads", "l00-dashboard", "l00-tiny"]
WHO = (
    "import getpass, socket, sys\n"
    "print('user:', getpass.getuser(), 'host:', socket.gethostname(), 'scheduler:', client.scheduler.address, "
    "'python:', sys.executable)"
)
BUSY = (
    "import threading, time\nworking = threading.Event()\nworking.set()\n"
    "def busy():\n    while working.is_set():\n"
    "        client.gather(client.map(lambda i: time.sleep(0.02) or i, range(40), pure=False))\n"
    "threading.Thread(target=busy, daemon=True).start()\nprint('working')"
)
STOP = "working.clear()\nprint('stopped')"
# Learner B, on the same compute node, tries learner A's scheduler three ways (as tests/tls_stranger.py).
STRANGER = """import ssl
from pathlib import Path
from distributed import Client
from distributed.security import Security

class NoCertificate(Security):
    def get_connection_args(self, role):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return {"ssl_context": context, "require_encryption": True, "extra_conn_args": {}}

address = Path("a-scheduler.txt").read_text().strip()
ways = {
    "plain TCP": (address.replace("tls://", "tcp://"), None),
    "TLS without a certificate": (address, NoCertificate()),
    "TLS with a certificate of my own": (address, Security.temporary()),
}
for way, (where, security) in ways.items():
    try:
        with Client(where, security=security, timeout=8) as c:
            c.run(lambda: 1)
        print(f"{way}: ran a task")
    except Exception as exc:
        print(f"{way}: refused ({type(exc).__name__})")
print("done")"""
SPAWN_MS = 300_000  # a guard against hanging only: a server that has not started in 5 minutes never will
KERNEL = {"name": "hpclab", "display_name": "Python (hpclab)", "language": "python"}

# The hub tests; the forwarder's own test needs root only.
INSIDE_SERVER = """import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
conn, _ = server.accept()
conn.recv(100)
conn.sendall(b"pong from inside")
conn.close()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL  # the course kernel `hpclab hub up` registered, as on a site's hub
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def _lesson_cells() -> list[str]:
    lesson = nbformat.read(ROOT / "notebooks" / "00-setup.ipynb", as_version=4)
    by_id = {cell.get("id"): cell.source for cell in lesson.cells}
    return [by_id[cell_id] for cell_id in LESSON_CELLS]


def _give(learner: vcluster.Learner, name: str, text: str) -> None:
    """A file in a learner's home, theirs alone (as if they had made it)."""
    path = learner.home / name
    path.write_text(text)
    os.chown(path, learner.uid, learner.gid)
    path.chmod(0o600)


def _servers() -> list[tuple[str, str, str, str]]:
    """(job id, user, state, node) of every learner's server job, from squeue."""
    out = vcluster.run_command(SPEC, ["squeue", "-h", "-n", hub.JOB_NAME, "-o", "%i %u %T %N"], cwd="/").stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


@pytest.fixture(scope="module")
def the_hub():
    """The virtual cluster and `hpclab hub up`'s hub on it, on a free loopback port; both always stopped."""
    require_browser()
    require_slurm(SPEC)
    try:
        hub.proxy_command(hub.Hub(SPEC))
    except hub.HubError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the hub tests: {exc}")
        pytest.skip(str(exc))
    started = time.monotonic()
    vcluster.up(SPEC, reuse=False)
    try:
        running = hub.Hub(SPEC, port=_free_port())
        hub.up(running)
        print(f"\ncluster and hub up in {time.monotonic() - started:.1f} s")
        try:
            yield running
        finally:
            hub.down(running)
            left = vcluster.run_command(SPEC, ["squeue", "-h", "-o", "%i %u %j"], cwd="/", check=False).stdout
            assert not left.strip(), f"jobs left after `hub down`: {left}"
    finally:
        vcluster.down(SPEC)


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.browser
def test_config_names_every_learner_and_the_course_kernel(the_hub):
    text = (the_hub.private / "jupyterhub_config.py").read_text()
    for learner in vcluster.learners(SPEC):
        assert repr(learner.name) in text
    assert "batchspawner.SlurmSpawner" in text and "runuser -u {username} --" in text
    spec = json.loads((the_hub.kernels / "share/jupyter/kernels/hpclab/kernel.json").read_text())
    assert spec["display_name"] == "Python (hpclab)"
    # A learner on a compute node runs the kernel's Python, and it has the course's packages.
    ran = vcluster.run_command(
        SPEC,
        [spec["argv"][0], "-c", "import dask, hpclab, jupyterlab, mpi4py; print(hpclab.__file__)"],
        host=SPEC.node_names[0],
        user="learner1",
    )
    assert ran.stdout.strip() == hpclab.__file__, ran
    assert (the_hub.private.stat().st_mode & 0o777) == 0o700  # the password, the token, the database


def _run(page, index: int) -> str:
    """Run one cell with Shift+Enter and wait until it has finished (its prompt shows a number); its output."""
    cell = _cell(page, index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputPrompt")
    deadline = time.monotonic() + WAIT_MS / 1000
    while not re.fullmatch(r"\[\d+\]:", prompt.inner_text().strip()):
        assert time.monotonic() < deadline, f"cell {index} did not finish"
        time.sleep(0.2)
    return cell.locator(".jp-OutputArea").inner_text()


def _what_happened(the_hub, page) -> str:
    """Where a learner's page is, what the queue holds, and the ends of the hub's and the jobs' logs."""
    jobs = vcluster.run_command(SPEC, ["squeue", "-o", "%i %u %T %R %N"], cwd="/", check=False).stdout
    logs = [f"== {path}\n{path.read_text(errors='replace')[-2000:]}" for path in sorted(SPEC.homes.glob("*/*.log"))]
    hub_log = the_hub.log.read_text(errors="replace").splitlines()[-60:]
    return "\n".join(
        [f"page: {page.url}\n{page.inner_text('body')[:600]}", f"squeue:\n{jobs}", *logs, "== hub log", *hub_log]
    )


@contextlib.contextmanager
def learners_browsers(names: list[str], allowed, blocked: list[str]):
    """One Debian chromium (tests.support's flags), a browser context per learner: cookies of their own.

    Every request ``allowed(url)`` refuses is aborted and its URL appended to ``blocked``.
    """
    require_browser()
    from playwright.sync_api import sync_playwright

    def route(request_route) -> None:
        if allowed(request_route.request.url):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            contexts = {}
            for name in names:
                contexts[name] = browser.new_context(viewport={"width": 1400, "height": 1000})
                contexts[name].route("**/*", route)
            yield contexts
        finally:
            browser.close()


def _login(context, the_hub, name: str):
    page = context.new_page()
    page.goto(f"{the_hub.url}hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", the_hub.password())
    page.click("#login_submit")
    return page


def _live_tasks_drawn(the_hub, context, page, name: str, node: str, shots: Path) -> str:
    """``name`` runs lesson 00's cluster cells and keeps it busy; the status page through the hub and
    Task Stream and Progress from the Dask panel must draw. Returns the scheduler's address; the
    cluster is left working (the caller stops it)."""
    page.goto(f"{the_hub.url}user/{name}/lab/tree/cluster.ipynb")
    page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)
    bar = page.evaluate("() => [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent)")
    assert any("Python (hpclab)" in text for text in bar), bar  # the registered course kernel
    outputs = [_run(page, i) for i in range(len(LESSON_CELLS))]
    assert not [o for o in outputs if "Traceback" in o], outputs
    who = _run_cell(page, len(LESSON_CELLS), "scheduler:")
    assert f"user: {name} host: {node}" in who, who
    kernel = json.loads((the_hub.kernels / "share/jupyter/kernels/hpclab/kernel.json").read_text())
    assert f"python: {kernel['argv'][0]}" in who, who  # the registered course kernel
    link = re.search(r"dashboard: (\S+)", "\n".join(outputs)).group(1)
    assert re.fullmatch(rf"/user/{name}/proxy/\d+/status", link), link
    scheduler = re.search(r"scheduler: (\S+)", who).group(1)
    assert scheduler.startswith("tls://127.0.0.1:"), scheduler
    _run_cell(page, len(LESSON_CELLS) + 1, "working")

    def shot(where, what: str) -> None:
        where.screenshot(path=str(shots / f"hub-{what}-{name}.png"), full_page=True)

    dashboard_draws(page, context.new_page, the_hub.url, link, f"under the hub ({name})", shot)
    return scheduler


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.browser
def test_three_learners_each_get_a_lab_that_is_their_job_and_the_dashboard_draws_through_the_hub(
    the_hub,
):
    people = {p.name: p for p in vcluster.learners(SPEC)}
    names = sorted(people)
    for person in people.values():
        _give(
            person, "cluster.ipynb", nbformat.writes(_notebook([*_lesson_cells(), WHO, BUSY, STOP, "client.close()"]))
        )
        _give(person, "stranger.ipynb", nbformat.writes(_notebook([STRANGER])))
    shots = Path(os.environ.get("HPCLAB_SCREENSHOTS", ROOT / "results" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    offsite: list[str] = []

    def loopback_only(url: str) -> bool:
        return url.startswith(("data:", "blob:")) or urlparse(url).hostname in ("127.0.0.1", "localhost")

    timings: dict[str, float] = {}
    with learners_browsers(names, loopback_only, offsite) as contexts:
        # All three log in at once: three Slurm jobs are submitted together.
        started = time.monotonic()
        pages = {name: _login(contexts[name], the_hub, name) for name in names}
        for name, page in pages.items():
            try:
                page.wait_for_url(re.compile(f"/user/{name}/lab"), timeout=SPAWN_MS)
                page.wait_for_selector("#jp-main-dock-panel", timeout=SPAWN_MS)
            except Exception as exc:
                page.screenshot(path=str(shots / f"hub-spawn-{name}.png"), full_page=True)
                raise AssertionError(f"{name}'s JupyterLab did not open:\n{_what_happened(the_hub, page)}") from exc
            timings[name] = time.monotonic() - started
        print(f"three logins -> three JupyterLabs: {', '.join(f'{n} {t:.1f} s' for n, t in timings.items())}")

        servers = _servers()
        assert sorted(user for _, user, _, _ in servers) == names, servers
        assert all(state == "RUNNING" and node in SPEC.node_names for _, _, state, node in servers), servers
        node_of = {user: node for _, user, _, node in servers}
        # Two of three learners share one of the two nodes: A runs a cluster there, B tries to use it.
        a, b = next((x, y) for x in names for y in names if x < y and node_of[x] == node_of[y])

        for name in names:  # every learner sees their own tasks drawn, through the hub and from the panel
            scheduler = _live_tasks_drawn(the_hub, contexts[name], pages[name], name, node_of[name], shots)
            try:
                if name == a:  # learner B, on the same node, is refused by A's cluster every way
                    _give(people[b], "a-scheduler.txt", scheduler + "\n")
                    other = contexts[b].new_page()
                    other.goto(f"{the_hub.url}user/{b}/lab/tree/stranger.ipynb")
                    other.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)
                    tried = _run_cell(other, 0, "done")
                    assert tried.count("refused") == 3 and "ran a task" not in tried, tried
                    other.close()
            finally:
                page = pages[name]
                page.locator(".lm-DockPanel .lm-TabBar-tab", has_text="cluster.ipynb").click()
                _run_cell(page, len(LESSON_CELLS) + 2, "stopped")
                _run(page, len(LESSON_CELLS) + 3)
        for name, one in pages.items():
            one.screenshot(path=str(shots / f"hub-lab-{name}.png"), full_page=True)
    assert not offsite, f"the pages tried to reach beyond 127.0.0.1: {offsite}"


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.browser
def test_sacct_lists_each_learners_server_job(the_hub):
    hub.stop_servers(the_hub, [p.name for p in vcluster.learners(SPEC)])
    out = vcluster.run_command(
        SPEC, ["sacct", "-X", "-n", "-a", "--name", hub.JOB_NAME, "-o", "User%20,State%20"], cwd="/"
    ).stdout
    users = sorted({line.split()[0] for line in out.splitlines() if line.strip()})
    assert users == sorted(p.name for p in vcluster.learners(SPEC)), out


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.browser
def test_rehearsal_times_one_login(the_hub):
    rounds = hub.rehearse(the_hub, counts=(1,))
    print("\n" + hub.render_rehearsal(rounds))
    assert [n for n, _ in rounds] == [1] and len(rounds[0][1]) == 1
    assert not hub.hub_jobs(SPEC)


def test_forwarder_reaches_a_port_inside_another_network_namespace():
    """The forwarder alone: this machine's loopback to a server on another network namespace's loopback."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("a network namespace of its own needs root, unshare (util-linux) and ip (iproute2)")
    inside = _free_port()
    server = subprocess.Popen(
        [
            "unshare",
            "--net",
            "sh",
            "-c",
            'ip link set lo up && exec "$0" -c "$1" "$2"',
            sys.executable,
            INSIDE_SERVER,
            str(inside),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    forwarder = None
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "listening"
        port = _free_port()
        forwarder = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hpclab.slurm.hub",
                "forward",
                "--port",
                str(port),
                "--netns",
                f"/proc/{server.pid}/ns/net",
                "--to",
                f"127.0.0.1:{inside}",
            ]
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(b"ping")
                    assert conn.recv(100) == b"pong from inside"
                    break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the forwarder did not listen"
                time.sleep(0.2)
        # Nothing listens on this machine's own loopback at the inside port: only the forwarder gets there.
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", inside), timeout=5):
            pass
    finally:
        for proc in (forwarder, server):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
