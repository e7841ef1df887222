"""Execute a notebook in a fresh kernel, safely: used by the grader and the tests.

Kernels talk over IPC sockets in a private temporary directory (TCP ports
race when many notebooks run at once), run in the notebook's own folder, are
interrupted when a cell runs too long, and are always shut down afterwards.
"""

from __future__ import annotations

import asyncio
import enum
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hpclab.checks import MIME_TYPE
from hpclab.grading.build import CHECK_TAG
from hpclab.grading.sandbox import Sandbox, remove_tree


class RunStatus(enum.StrEnum):
    """How one notebook run ended (the grader turns these into each question's :class:`~hpclab.grading.Status`)."""

    OK = "ok"
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel-died"
    ERROR = "error"


# The error name a cell interrupted for running past ``cell_timeout`` carries.
CELL_TIMEOUT = "CellTimeout"
# Output one cell may keep (characters of its output messages, metadata included); the rest is dropped
# with a note, so a cell printing without end cannot fill the grader's memory.
OUTPUT_LIMIT = 1_000_000
# Output the whole notebook may produce: past it, every cell's further output is dropped but for the
# check cells' own (each still within OUTPUT_LIMIT), so many cells each just under the limit cannot add up.
NOTEBOOK_OUTPUT_LIMIT = 20_000_000
# Messages that end a cell or say what runs: never dropped, whatever the budget.
_ALWAYS_KEPT = ("status", "execute_input")


@dataclass
class Execution:
    """The executed notebook and how the run ended."""

    notebook: nbformat.NotebookNode
    status: RunStatus
    elapsed: float
    message: str = ""
    timed_out_cells: list[int] = field(default_factory=list)
    # Cell index -> the status of its execute_reply ("ok", "error", "aborted"); a cell missing here
    # never finished (the kernel died or the notebook ran out of time first).
    replies: dict[int, str] = field(default_factory=dict)
    cut_cells: list[int] = field(default_factory=list)  # cells whose output was cut (see OUTPUT_LIMIT)
    # Cell index -> every check report (``watch_mime`` data) the cell sent, as the messages arrived:
    # also those later cleared, rewritten or dropped by the cap. The kernel cannot take one back.
    reports: dict[int, list] = field(default_factory=dict)


def grading_kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a kernel that runs a notebook to grade or test it.

    This interpreter's ``bin/`` first (the kernel and what it starts use this environment),
    Jupyter's platform folders, inline plots (never a window), no debugger warnings; then
    ``extra``. (Not :func:`hpclab.tools.kernel.kernel_env`, the environment a registered
    JupyterLab kernel starts with.)
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    if extra:
        env.update(extra)
    return env


def message_size(msg: dict) -> int:
    """Characters in a kernel message's content and binary buffers: every string, key and number counted,
    without serialising it again (a huge message is not copied)."""
    size = sum(len(b) for b in msg.get("buffers") or [])
    stack = [msg.get("content", {})]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            size += 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            size += 1 + len(item)
            stack.extend(item)
        elif isinstance(item, (str, bytes, bytearray, memoryview)):
            size += len(item) + 2
        else:
            size += 8  # a number, True, False or None
    return size


def _cut_note(text: str):
    return nbformat.v4.new_output("stream", name="stderr", text=f"[hpclab: {text}]\n")


_DISPLAYS = ("display_data", "execute_result", "update_display_data")


def _bounded_client(output_limit: int, notebook_limit: int, exempt_tag: str | None, watch_mime: str | None = None):
    """An nbclient NotebookClient that keeps at most ``output_limit`` characters of output per cell and
    ``notebook_limit`` for the notebook (cells tagged ``exempt_tag`` only count against their own limit).

    Every iopub message a cell sends counts, whatever nbclient does with it: outputs with their
    metadata, display updates (which rewrite earlier outputs), comm traffic (widget state kept in the
    notebook's metadata). Cells whose output was cut are listed in ``cut_cells``. Every ``watch_mime``
    value a cell displays is kept in ``reports``, whatever happens to the output afterwards.
    """
    from nbclient import NotebookClient  # noqa: PLC0415  heavy: only a notebook run needs it

    class BoundedClient(NotebookClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.cut_cells: list[int] = []
            self._hpclab_used: dict[int, int] = {}  # cell index -> characters received
            self._hpclab_total = 0
            self.reports: dict[int, list] = {}

        def process_message(self, msg, cell, cell_index):
            if msg.get("msg_type") in _ALWAYS_KEPT:
                return super().process_message(msg, cell, cell_index)
            if watch_mime and msg.get("msg_type") in _DISPLAYS:
                data = msg.get("content", {}).get("data")
                if isinstance(data, dict) and watch_mime in data:
                    self.reports.setdefault(cell_index, []).append(data[watch_mime])
            size = message_size(msg)
            used = self._hpclab_used.get(cell_index, 0)
            exempt = exempt_tag is not None and exempt_tag in cell.get("metadata", {}).get("tags", [])
            reason = ""
            if used + size > output_limit:
                reason = f"output of this cell cut after {output_limit:,} characters"
            elif not exempt and self._hpclab_total + size > notebook_limit:
                reason = f"output of this cell cut: the notebook's output passed {notebook_limit:,} characters"
            if reason:
                if cell_index not in self.cut_cells:
                    self.cut_cells.append(cell_index)
                    cell.outputs.append(_cut_note(reason))
                self._hpclab_used[cell_index] = output_limit + 1  # nothing more from this cell
                return None
            self._hpclab_used[cell_index] = used + size
            self._hpclab_total += size
            return super().process_message(msg, cell, cell_index)

        def handle_comm_msg(self, outs, msg, cell_index):
            try:
                super().handle_comm_msg(outs, msg, cell_index)
            except Exception as exc:  # a malformed widget message from the notebook must not stop the run
                self.log.warning("ignored a comm message nbclient could not handle: %s", exc)

    return BoundedClient


def _kernel_manager(sockets: Path, sandbox: Sandbox | None):
    """An AsyncKernelManager over IPC in ``sockets``; with a sandbox, its kernel starts inside it."""
    from jupyter_client.manager import AsyncKernelManager  # noqa: PLC0415  heavy: only a notebook run needs it

    cls = AsyncKernelManager
    if sandbox is not None:
        box: Sandbox = sandbox  # the kernel manager below launches its kernels in it

        class SandboxedKernelManager(AsyncKernelManager):
            async def _async_launch_kernel(self, kernel_cmd, **kw):
                if self.kernel_spec is None:
                    raise RuntimeError("jupyter_client launched a kernel without a kernel spec")
                # The kernel signals its own process group inside the sandbox: a signal to bwrap
                # from outside would not reach it.
                self.kernel_spec.interrupt_mode = "message"
                box.allow(sockets)
                # ipykernel exits when its parent is pid 1, and inside the sandbox it is (bwrap's
                # reaper): no parent poller; bwrap --die-with-parent ties the kernel to the grader.
                kw.update(independent=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                await super()._async_launch_kernel(box.command(kernel_cmd, sockets), **kw)
                # The local provisioner's kernel process (jupyter_client declares it untyped, as None).
                process: subprocess.Popen | None = getattr(self.provisioner, "process", None)
                if process is None:
                    raise RuntimeError(f"no kernel process to sandbox from provisioner {self.provisioner!r}")
                box.started(process.pid, process.stderr)

        cls = SandboxedKernelManager
    km = cls(kernel_name="python3", transport="ipc", ip=str(sockets / "kernel"))
    km.connection_file = str(sockets / "kernel.json")
    return km


async def _execute(
    nb,
    cwd: Path,
    timeout: float,
    cell_timeout: float,
    allow_errors: bool,
    env: dict[str, str],
    sandbox: Sandbox | None = None,
    limits: tuple[int, int] = (OUTPUT_LIMIT, NOTEBOOK_OUTPUT_LIMIT),
) -> Execution:
    from nbclient.exceptions import (  # noqa: PLC0415  heavy: only a notebook run needs it
        CellExecutionError,
        DeadKernelError,
    )

    timed_out: list[int] = []
    marker = {
        "ename": CELL_TIMEOUT,
        "evalue": f"this cell ran longer than {cell_timeout:g} s and was interrupted",
        "traceback": [f"{CELL_TIMEOUT}: this cell ran longer than {cell_timeout:g} s and was interrupted"],
    }

    replies: dict[int, str] = {}

    def on_done(cell, cell_index, execute_reply=None, **_):
        content = (execute_reply or {}).get("content", {})
        replies[cell_index] = str(content.get("status", ""))
        # nbclient hands our marker back as the reply of a cell it interrupted for
        # running too long: exact, whatever the cell itself raised or printed.
        if content.get("ename") == CELL_TIMEOUT:
            timed_out.append(cell_index)
            cell.outputs.append(nbformat.v4.new_output("error", **marker))

    begin = time.monotonic()
    sockets = tempfile.mkdtemp(prefix="hpclab-kernel-")
    try:
        km = _kernel_manager(Path(sockets), sandbox)
        client = _bounded_client(*limits, exempt_tag=CHECK_TAG, watch_mime=MIME_TYPE)(
            nb,
            km=km,
            timeout_func=lambda cell: cell_timeout,
            interrupt_on_timeout=True,
            error_on_timeout=marker,
            allow_errors=allow_errors,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd)}},
            on_cell_executed=on_done,
            shutdown_kernel="immediate",
            # The kernel is ready and no cell has run: its socket folder is the grader's again.
            on_notebook_start=None if sandbox is None else lambda **_: sandbox.seal(Path(sockets)),
        )
        status, message = RunStatus.OK, ""
        try:
            await asyncio.wait_for(client.async_execute(env=env), timeout)
        except TimeoutError:
            status, message = RunStatus.TIMEOUT, f"the notebook did not finish within {timeout:g} s"
        except DeadKernelError as exc:
            status, message = RunStatus.KERNEL_DIED, f"the kernel died ({exc})"
        except CellExecutionError as exc:
            status, message = RunStatus.ERROR, str(exc)
        finally:
            try:
                if km.has_kernel:
                    # A polite shutdown lets the kernel close its Dask clusters and run its atexit
                    # handlers (a lesson's virtual cluster goes down there), also after a cell raised;
                    # jupyter_client kills the kernel's process group if it hangs. A kernel that ran
                    # out of time or died gets no such chance.
                    await km.shutdown_kernel(now=status in (RunStatus.TIMEOUT, RunStatus.KERNEL_DIED))
                else:
                    await km.cleanup_resources()
            except Exception:  # the kernel may already be gone; never mask the result
                pass
    finally:
        remove_tree(Path(sockets))  # however deep a sandbox nested folders there
    if timed_out and status in (RunStatus.OK, RunStatus.ERROR):
        status, message = (
            RunStatus.TIMEOUT,
            f"cells {timed_out} ran longer than {cell_timeout:g} s and were interrupted",
        )
    cut = list(getattr(client, "cut_cells", []))
    reports = dict(getattr(client, "reports", {}))
    return Execution(nb, status, time.monotonic() - begin, message, timed_out, replies, cut, reports)


def execute(
    nb: nbformat.NotebookNode,
    cwd: str | os.PathLike,
    *,
    timeout: float = 600,
    cell_timeout: float = 300,
    allow_errors: bool = False,
    env: dict[str, str] | None = None,
    sandbox: Sandbox | None = None,
    output_limit: int = OUTPUT_LIMIT,
    notebook_output_limit: int = NOTEBOOK_OUTPUT_LIMIT,
) -> Execution:
    """Run every cell of ``nb`` (in place) in a fresh kernel with ``cwd`` as working directory.

    The grader and the notebook tests run learners' and lessons' notebooks this way: the
    kernel talks over IPC sockets in a private folder (no TCP port races when notebooks run
    side by side), a cell that runs too long is interrupted and the next one runs, output
    is bounded, and the kernel is always shut down afterwards.

    Parameters
    ----------
    nb
        The notebook; its cells get their outputs in place.
    cwd
        The kernel's working directory.
    timeout
        Seconds the whole notebook may run.
    cell_timeout
        Seconds one cell may run before the kernel is interrupted (the cell gets a
        :data:`CELL_TIMEOUT` error and the next cell runs).
    allow_errors
        Go on after a cell that raises (else the run stops there with status :attr:`RunStatus.ERROR`).
    env
        Variables set for the kernel over :func:`grading_kernel_env`'s.
    sandbox
        An entered :class:`~hpclab.grading.sandbox.Sandbox`: the kernel and all it starts run in it.
    output_limit, notebook_output_limit
        Characters of output one cell, and the whole notebook, may keep (cells tagged
        ``check`` count only against their own limit); a cut cell ends with a note saying so.

    Returns
    -------
    Execution
        The notebook and how the run ended: ``status`` (:attr:`RunStatus.OK`, :attr:`RunStatus.TIMEOUT`,
        :attr:`RunStatus.KERNEL_DIED` or :attr:`RunStatus.ERROR`), the cells timed out, each cell's reply,
        the cells whose output was cut and every check report each cell sent.
        Never raises for what the notebook does.
    """
    env = grading_kernel_env(env)
    if sandbox is not None:
        env = sandbox.env(env)
    limits = (output_limit, notebook_output_limit)
    return asyncio.run(_execute(nb, Path(cwd).resolve(), timeout, cell_timeout, allow_errors, env, sandbox, limits))


def execute_file(path: str | os.PathLike, **kwargs) -> Execution:
    """Read a notebook file and run it in its own folder."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    return execute(nb, path.parent, **kwargs)
