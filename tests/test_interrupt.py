"""A kernel interrupt stops the cell but not the Dask workers; the kernel's end still ends them.

Everything goes through jupyter_client, as JupyterLab and the grader do: a real
kernel, a real LocalCluster started in it by hpclab.cluster.start(), and
``interrupt_kernel()``, which sends SIGINT to the kernel's process group.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import psutil
import pytest

from hpclab.grading.execute import grading_kernel_env

pytestmark = pytest.mark.slow

START = (
    "import os, time, hpclab.cluster\n"
    "client = hpclab.cluster.start(n_workers=2, threads_per_worker=1, memory_limit='1GiB', quiet=True)\n"
    "print(os.getpid(), *sorted(client.run(os.getpid).values()))"
)
# An hour of short sleeps: the main thread looks at pending signals between them, whichever
# of the kernel's threads the operating system handed the SIGINT to.
LONG_CELL = "print('long cell started', flush=True)\nfor _ in range(36_000):\n    time.sleep(0.1)"
WAIT = 120  # seconds to wait for something that should happen at once: only a guard against hanging


class Kernel:
    """A real ipykernel over IPC sockets in a private folder, always shut down by the fixture."""

    def __init__(self, sockets: str):
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        self.log = Path(sockets) / "kernel.log"  # the kernel's own stderr: its log lines
        self._log_file = self.log.open("wb")  # open for the kernel's life: a restart reuses it
        self.km.start_kernel(env=grading_kernel_env(), cwd=sockets, stderr=self._log_file)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=WAIT)
        self.pids: set[int] = set()  # worker pids seen, for the clean-up on failure
        self.stderr: list[str] = []  # what the last collected request wrote to stderr

    def send(self, code: str) -> str:
        return self.kc.execute(code)

    def collect(self, msg_id: str, until: str | None = None) -> tuple[str, str | None]:
        """Printed output of one request and its error name, up to idle (or to the first ``until`` text)."""
        text, error = [], None
        self.stderr = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=WAIT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":  # stderr: Dask's log lines
                text.append(content["text"])
                if until and until in content["text"]:
                    return "".join(text), None
            elif kind == "stream":
                self.stderr.append(content["text"])
                if content["text"].strip() == "KeyboardInterrupt":
                    # IPython's other way of reporting an interrupt: when SIGINT lands while it
                    # formats a traceback, it prints the bare name on stderr instead of an error
                    # message (ipython/ipykernel#845). The cell stopped all the same.
                    error = "KeyboardInterrupt"
            elif kind == "error":
                error = content["ename"]
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(text), error

    def run(self, code: str) -> str:
        text, error = self.collect(self.send(code))
        assert error is None, f"{error} from {code!r}; output: {text}"
        return text

    def start_cluster(self) -> tuple[int, list[int]]:
        kernel_pid, *workers = map(int, self.run(START).split())
        self.pids.update(workers)
        return kernel_pid, workers

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
            self.km.cleanup_resources()
            self._log_file.close()
            gone(self.pids)
            for proc in _alive(self.pids):
                proc.kill()


def _alive(pids) -> list[psutil.Process]:
    found = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.NoSuchProcess:
            pass
    return found


def gone(pids) -> list[psutil.Process]:
    """Wait (up to WAIT s) for the processes to exit; return those still running."""
    _, alive = psutil.wait_procs(_alive(pids), timeout=WAIT)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def kernel():
    with tempfile.TemporaryDirectory(prefix="hpclab-kernel-") as sockets:
        k = Kernel(sockets)
        try:
            yield k
        finally:
            k.close()


def interrupt_long_cell(kernel: Kernel) -> str | None:
    """Run a long cell, interrupt it once it is running; the error name it ended with."""
    msg_id = kernel.send(LONG_CELL)
    kernel.collect(msg_id, until="long cell started")
    kernel.km.interrupt_kernel()
    text, error = kernel.collect(msg_id)
    if error is None and "KeyboardInterrupt caught in kernel" in kernel.log.read_text(errors="replace"):
        # The third way: SIGINT landed in ipykernel's own code around the cell, which logs it
        # and ends the request without an error message. The cell stopped all the same.
        error = "KeyboardInterrupt"
    if error is None:  # say what the kernel did instead
        print(f"interrupted cell ended without an error; stdout {text!r}, stderr {''.join(kernel.stderr)!r}")
        print("kernel log:", kernel.log.read_text(errors="replace")[-4000:])
    return error


def test_interrupted_cell_stops_and_the_same_client_still_computes(kernel):
    kernel_pid, workers = kernel.start_cluster()
    # The workers left the kernel's process group: the interrupt's SIGINT never reaches them.
    assert all(os.getpgid(w) != os.getpgid(kernel_pid) for w in workers)

    assert interrupt_long_cell(kernel) == "KeyboardInterrupt"

    assert kernel.run("print(client.submit(sum, [1, 2, 3]).result())").strip() == "6"
    assert kernel.run("print(*sorted(client.run(os.getpid).values()))").split() == [str(w) for w in workers]


def test_a_worker_the_nanny_restarts_is_safe_too(kernel):
    _, workers = kernel.start_cluster()
    os.kill(workers[0], signal.SIGKILL)  # as the kernel's OOM killer would
    assert gone([workers[0]]) == []
    # The nanny starts a new worker process; wait until two workers answer, the killed one not among them.
    restarted = set(
        map(
            int,
            kernel.run(
                "deadline = time.monotonic() + 120\n"
                "while time.monotonic() < deadline:\n"
                "    try:\n"
                "        pids = set(client.run(os.getpid).values())\n"
                "    except Exception:  # a worker that is just going away or starting\n"
                "        pids = set()\n"
                f"    if len(pids) == 2 and {workers[0]} not in pids:\n"
                "        break\n"
                "    time.sleep(0.2)\n"
                "print(*pids)"
            ).split(),
        )
    )
    kernel.pids.update(restarted)
    assert restarted - set(workers), "the nanny did not start a new worker"

    assert interrupt_long_cell(kernel) == "KeyboardInterrupt"

    assert kernel.run("print(client.submit(pow, 2, 10).result())").strip() == "1024"
    assert set(map(int, kernel.run("print(*client.run(os.getpid).values())").split())) == restarted


def _restart(kernel: Kernel, kernel_pid: int) -> None:
    kernel.km.restart_kernel(now=False)


def _shutdown(kernel: Kernel, kernel_pid: int) -> None:
    kernel.km.shutdown_kernel(now=False)


def _shutdown_now(kernel: Kernel, kernel_pid: int) -> None:
    kernel.km.shutdown_kernel(now=True)  # jupyter_client SIGKILLs the kernel's process group


def _sigkill(kernel: Kernel, kernel_pid: int) -> None:
    os.kill(kernel_pid, signal.SIGKILL)  # the kernel alone, no chance to clean up


@pytest.mark.parametrize(
    "end", [_restart, _shutdown, _shutdown_now, _sigkill], ids=["restart", "shutdown", "shutdown-now", "sigkill"]
)
def test_workers_end_with_the_kernel(kernel, end):
    kernel_pid, workers = kernel.start_cluster()
    assert interrupt_long_cell(kernel) == "KeyboardInterrupt"  # they survived this...
    end(kernel, kernel_pid)
    assert gone(workers) == [], "worker processes outlived their kernel"  # ...but not this
    assert gone([kernel_pid]) == []


def test_workers_do_not_pass_an_ignored_sigint_on_to_programs_they_start(kernel):
    kernel.start_cluster()
    # SigIgn bit 2 (SIGINT) of a program started from a task, as /proc reports it.
    code = (
        "import subprocess\n"
        "def sigign():\n"
        "    status = subprocess.run(['cat', '/proc/self/status'], capture_output=True, text=True).stdout\n"
        "    return next(l for l in status.splitlines() if l.startswith('SigIgn:')).split()[1]\n"
        "print(client.submit(sigign).result())"
    )
    mask = int(kernel.run(code).strip(), 16)
    assert not mask & (1 << (signal.SIGINT - 1))


START_MPI = (
    "import os, time, hpclab.cluster\n"
    "client = hpclab.cluster.start(n_workers=2, threads_per_worker=1, memory_limit='1GiB', quiet=True,"
    " mpi=True)\n"
    "print(os.getpid(), *sorted(client.run(os.getpid).values()))"
)


def test_mpi_workers_and_their_mpiexec_survive_an_interrupt_and_end_with_the_kernel(kernel):
    kernel_pid, *workers = map(int, kernel.run(START_MPI).split())
    kernel.pids.update(workers)
    launchers = [p.pid for w in workers for p in psutil.Process(w).parents() if p.name().startswith("mpiexec")]
    kernel.pids.update(launchers)
    assert len(launchers) == 2
    assert all(os.getpgid(p) != os.getpgid(kernel_pid) for p in workers + launchers)

    assert interrupt_long_cell(kernel) == "KeyboardInterrupt"
    assert kernel.run("print(*sorted(client.run(os.getpid).values()))").split() == [str(w) for w in workers]

    kernel.km.shutdown_kernel(now=True)  # no client.close(): the workers must notice the kernel is gone
    assert not gone(workers + launchers)
