"""The course in a real browser: JupyterLab as `make lab` starts it, driven by Playwright in Debian's chromium.

A smoke set, one JupyterLab server and one browser for the whole module: lesson
00 and solution 00 run cell by cell from the Run menu (no errors, every check
✅, `%%mpirun` output in rank order), the Dask dashboard opens through
jupyter-server-proxy and the dask-labextension panel, and a long cell is
interrupted from the toolbar while the cluster keeps working. The browser only
talks to 127.0.0.1 (anything else is aborted and fails the test). Screenshots
go to results/screenshots/ (or $HPCLAB_SCREENSHOTS), printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import psutil
import pytest

from tests.support import ROOT, chromium, require_browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# JupyterLab user settings for the test server only: every cell in the page (no virtual
# scrolling), nothing saved behind our back, no news or update prompts.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
WAIT_MS = 600_000  # a guard against hanging only; nothing here is a speed claim
INTERRUPT_CELLS = [
    "import time\nimport hpclab.cluster\n"
    "client = hpclab.cluster.start(n_workers=2, threads_per_worker=1, memory_limit='1GiB')\n"
    "print('link:', client.dashboard_link)",
    "print('long cell started', flush=True)\nfor _ in range(36_000):\n    time.sleep(0.1)",
    "print('result:', client.submit(sum, [1, 2, 3]).result())",
    "client.close()\nprint('closed')",
    # Work for the dashboard to draw: small tasks until told to stop (the dashboard test).
    "import threading\nworking = threading.Event()\nworking.set()\n"
    "def busy():\n    while working.is_set():\n"
    "        client.gather(client.map(lambda i: time.sleep(0.02) or i, range(40), pure=False))\n"
    "threading.Thread(target=busy, daemon=True).start()\nprint('working')",
    "working.clear()\nprint('stopped')",
]
# How many pixels of a page's Bokeh canvases (inside their shadow roots) are in colour: task bars,
# progress bars, memory bars. Axes, grid lines, tick labels and the background are grey or white,
# so a plot with nothing drawn in it counts (almost) zero.
COLOURED_PIXELS = """() => {
  let coloured = 0;
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'CANVAS' && el.width && el.height) {
        const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
        for (let i = 0; i < d.length; i += 4) {
          const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
          if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
        }
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return coloured;
}"""
DRAWN = 2_000  # coloured pixels: a few task bars; an empty plot has none
# True once every code cell of the visible notebook has run, or as soon as one shows a traceback.
ALL_RAN = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return false;
  const outputs = [...nb.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText);
  if (outputs.some(t => t.includes('Traceback (most recent call last)'))) return true;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
}"""
# The status bar says "<kernel> | Idle" once the notebook's kernel is connected and ready.
KERNEL_IDLE = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
  .some(e => /\\|\\s*Idle$/.test(e.textContent.trim()))"""
NO_KERNEL = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
  .some(e => /No Kernel/.test(e.textContent))"""
CELLS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')].map(c => ({
  source: c.querySelector('.jp-InputArea-editor').innerText,
  output: [...c.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText).join('\\n'),
}))"""


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root: Path
    log: Path
    shots: Path
    offsite: list[str] = field(default_factory=list)  # requests the browser tried beyond loopback

    def open(self, page, path: str, workspace: str):
        """Open a notebook in a fresh workspace (nothing restored from other tests) and wait for its kernel."""
        page.goto(f"{self.url}lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}")
        page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)

    def close(self, page) -> None:
        """Shut the notebook's kernel down from the Kernel menu (the server would at the end anyway)."""
        _menu(page, "Kernel", "Shut Down Kernel")
        page.wait_for_function(NO_KERNEL, timeout=60_000)

    def shot(self, page, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(server: subprocess.Popen) -> None:
    """Stop JupyterLab (it shuts its kernels down), then make sure nothing it started is left."""
    try:
        family = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    _, alive = psutil.wait_procs(family, timeout=30)
    for proc in alive:
        proc.kill()


def _interrupt_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in INTERRUPT_CELLS]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request):
    """JupyterLab as `make lab` starts it (hpclab lab), on a free port with a token, over a copy of the course."""
    require_browser()
    base = tmp_path_factory.mktemp("lab")
    course = base / "course"
    for folder in ("notebooks", "solutions"):
        shutil.copytree(ROOT / folder, course / folder)
    (course / "scratch").mkdir()
    _interrupt_notebook(course / "scratch" / "interrupt.ipynb")
    settings = base / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    shots = Path(os.environ.get("HPCLAB_SCREENSHOTS", ROOT / "results" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    request.config._hpclab_screenshots = shots
    runtime = base / "runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(base / "config")}
    token = secrets.token_hex(16)
    log = base / "jupyter.log"
    argv = [
        sys.executable,
        "-m",
        "hpclab.cli",
        "lab",
        "--root",
        str(course),
        "--port",
        str(_free_port()),
        "--token",
        token,
        "--",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    with open(log, "w") as out:
        server = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=course)
    try:
        info_file = runtime / f"jpserver-{server.pid}.json"  # hpclab lab execs jupyter: same pid
        deadline = time.monotonic() + WAIT_MS / 1000
        while not info_file.exists():
            assert server.poll() is None, f"JupyterLab exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"JupyterLab did not start:\n{log.read_text()}"
            time.sleep(0.2)
        time.sleep(0.5)  # the file is written in one go, but give the writer a moment
        info = json.loads(info_file.read_text())
        yield Lab(info["url"], token, course, log, shots)
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    """Debian's chromium, headless, fresh profile, allowed to reach 127.0.0.1 only."""

    def loopback_only(url: str) -> bool:
        return url.startswith(("data:", "blob:")) or urlparse(url).hostname in ("127.0.0.1", "localhost")

    with chromium(tmp_path_factory.mktemp("chromium-profile"), loopback_only, blocked=lab.offsite) as context:
        yield context


@pytest.fixture
def page(browser, lab, request):
    page = browser.new_page()
    try:
        yield page
    finally:
        try:
            lab.shot(page, request.node.name)
        finally:
            page.close()
    assert not lab.offsite, f"the page tried to reach beyond 127.0.0.1: {lab.offsite}"


def _menu(page, menu: str, item: str) -> None:
    """Click a main-menu entry, as a learner would."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-item .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _run_all(page) -> list[dict]:
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_RAN, timeout=WAIT_MS)
    return page.evaluate(CELLS)


def _assert_no_errors(cells: list[dict]) -> None:
    broken = [c["source"][:60] for c in cells if "Traceback (most recent call last)" in c["output"]]
    assert not broken, f"cells with an error: {broken}"


def _cell(page, index: int):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(index)


def _run_cell(page, index: int, expect: str) -> str:
    """Run one cell with Shift+Enter, as a learner does, and wait until its output shows ``expect``."""
    cell = _cell(page, index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    output = cell.locator(".jp-OutputArea")
    output.filter(has_text=expect).wait_for(timeout=WAIT_MS)
    return output.inner_text()


def test_lesson_00_runs_in_the_browser_with_mpi_output_in_rank_order(page, lab):
    lab.open(page, "notebooks/00-setup.ipynb", "lesson00")
    cells = _run_all(page)
    _assert_no_errors(cells)
    mpirun = next(c for c in cells if c["source"].lstrip().startswith("%%mpirun"))
    ranks = [int(m) for m in re.findall(r"^\[rank (\d+)\] rank \d+ of 4", mpirun["output"], re.MULTILINE)]
    assert ranks == [0, 1, 2, 3], mpirun["output"]
    lab.close(page)


def test_solution_00_runs_in_the_browser_and_every_check_passes(page, lab):
    lab.open(page, "solutions/00-setup.ipynb", "solution00")
    cells = _run_all(page)
    _assert_no_errors(cells)
    checks = [c["output"] for c in cells if re.match(r"check_q\d+\(", c["source"].strip())]
    assert len(checks) == 4 and all(out.startswith("✅") for out in checks), checks
    lab.close(page)


def _drawn(frame, what: str) -> int:
    """Wait until ``frame``'s plots show coloured marks (tasks the notebook ran); return how many pixels."""
    try:
        frame.wait_for_function(f"() => ({COLOURED_PIXELS})() > {DRAWN}", timeout=WAIT_MS)
    except Exception as exc:
        raise AssertionError(f"{what}: nothing drawn (coloured pixels: {frame.evaluate(COLOURED_PIXELS)})") from exc
    return frame.evaluate(COLOURED_PIXELS)


def _panel_plot(page, panel, label: str, route: str):
    """Open ``label`` from the dask-labextension panel; the frame of its JupyterLab tab, once it is showing."""
    panel.locator(".dask-DashboardListing-item", has_text=re.compile(f"^{label}$", re.IGNORECASE)).first.click()
    frame = page.locator(f".lm-DockPanel iframe[src*='/{route}']")
    frame.wait_for(state="visible", timeout=WAIT_MS)
    found = frame.element_handle().content_frame()
    assert found is not None, f"{label}: its tab holds no frame"
    return found


def dashboard_draws(page, new_page, base: str, link: str, who: str, shot) -> None:
    """While tasks run: the status page at ``base + link`` (opened with ``new_page()``) and Task Stream
    and Progress opened from ``page``'s Dask panel with ``link`` must all draw coloured marks.
    ``shot(page, name)`` keeps a screenshot of each; ``who`` names the way in for the failure message."""
    status = new_page()
    try:
        status.goto(base.rstrip("/") + link)
        status.wait_for_function("() => document.title.includes('Dask')", timeout=WAIT_MS)
        _drawn(status.main_frame, f"the status page {who}")
        shot(status, "dask-status")
    finally:
        status.close()
    # dask-labextension: its sidebar panel takes the same link and offers the dashboard's plots,
    # each opened in a JupyterLab tab through the same proxy.
    page.locator(".jp-SideBar .lm-TabBar-tab[data-id='dask-dashboard-launcher']").click()
    panel = page.locator("#dask-dashboard-launcher")
    panel.locator("input").first.fill(link)
    panel.locator("input").first.press("Enter")
    panel.locator(".dask-DashboardListing-item", has_text="Task Stream").first.wait_for(timeout=WAIT_MS)
    for label, route in (("Task Stream", "individual-task-stream"), ("Progress", "individual-progress")):
        _drawn(_panel_plot(page, panel, label, route), f"{label} from the Dask panel {who}")
        shot(page, f"dask-panel-{route}")


def test_dashboard_draws_live_tasks_through_the_proxy_and_in_the_dask_panel(page, browser, lab):
    lab.open(page, "scratch/interrupt.ipynb", "dashboard")
    printed = _run_cell(page, 0, "link:")
    link = re.search(r"link: (\S+)", printed).group(1)
    assert re.fullmatch(r"/proxy/\d+/status", link), link  # relative: through JupyterLab's own port
    _run_cell(page, 4, "working")
    try:
        dashboard_draws(page, browser.new_page, lab.url, link, "through the proxy", lab.shot)
    finally:
        page.locator(".lm-DockPanel .lm-TabBar-tab", has_text="interrupt.ipynb").click()  # back to the notebook
        _run_cell(page, 5, "stopped")
        _run_cell(page, 3, "closed")
    lab.close(page)


def test_interrupted_cell_stops_and_the_cluster_keeps_working(page, lab):
    lab.open(page, "scratch/interrupt.ipynb", "interrupt")
    _run_cell(page, 0, "link:")
    try:
        cell = _cell(page, 1)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        cell.locator(".jp-OutputArea").filter(has_text="long cell started").wait_for(timeout=WAIT_MS)
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) [data-jp-item-name='interrupt'] button").click()
        cell.locator(".jp-OutputArea").filter(has_text="KeyboardInterrupt").wait_for(timeout=WAIT_MS)
        assert "result: 6" in _run_cell(page, 2, "result:")
    finally:
        _run_cell(page, 3, "closed")
    lab.close(page)
