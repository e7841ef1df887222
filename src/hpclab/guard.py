"""Keep a notebook's Dask workers alive through a kernel interrupt, and no longer than the kernel.

Pressing Interrupt in Jupyter sends SIGINT to the kernel's whole process
group. The worker processes of a LocalCluster are the kernel's children and
share that group, so without help they all die and the next ``result()`` waits
forever for workers that will never come back (dask/distributed#1925).

:func:`hpclab.cluster.start` loads this module as a Dask preload twice:

* in each **nanny** (which runs inside the kernel, on Dask's event-loop
  thread): :func:`hold_sigint_for_children` blocks SIGINT on that thread, so
  the worker processes it spawns start with SIGINT blocked and cannot be killed
  by an interrupt that arrives while they are still starting up;
* in each **worker** process, restarted ones included: :func:`detach_from_kernel`
  drops any SIGINT that arrived during start-up, moves the worker into a
  session of its own (out of the kernel's process group, so group signals no
  longer reach it; SIGINT stays ignored where that is impossible) and starts
  :func:`exit_with_parent`, a watchdog that ends the worker as soon as the
  kernel is gone, however it went (shutdown, restart, SIGKILL).
"""

from __future__ import annotations

import os
import signal
import threading
import time

from distributed import Nanny  # costs nothing here: Dask loads this module as a preload

_BLOCKABLE = hasattr(signal, "pthread_sigmask")


def hold_sigint_for_children() -> None:
    """Block SIGINT on the calling thread; processes it spawns inherit the block.

    Harmless for the kernel itself: Python runs signal handlers in the main
    thread only, which keeps receiving SIGINT as before.
    """
    if _BLOCKABLE and threading.current_thread() is not threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def leave_process_group() -> bool:
    """Start a new session for this process; False if it cannot (already a leader, or no setsid)."""
    if not hasattr(os, "setsid"):
        return False
    try:
        os.setsid()
    except PermissionError:  # already a process-group leader
        return False
    return True


def exit_with_parent(parent_pid: int | None = None, interval: float = 0.5) -> threading.Thread:
    """Start a daemon thread that ends this process once ``parent_pid`` has gone.

    When the parent dies its children are re-parented, so ``os.getppid()``
    changes; that is checked every ``interval`` seconds. (Dask has its own pipe
    for this; the watchdog does not depend on Dask internals.)
    """
    parent = os.getppid() if parent_pid is None else parent_pid

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    thread = threading.Thread(target=watch, name="hpclab: exit with the kernel", daemon=True)
    thread.start()
    return thread


def detach_from_kernel() -> None:
    """Make this (worker) process immune to the kernel's interrupts but not outlive it."""
    main = threading.current_thread() is threading.main_thread()
    # Ignoring also discards a SIGINT that arrived while it was blocked at start-up.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    if leave_process_group() and previous is not None:
        # Out of the kernel's group its interrupts cannot reach us: put Python's handler back,
        # so programs the worker starts (mpiexec, ...) do not inherit an ignored SIGINT.
        signal.signal(signal.SIGINT, previous)
    if _BLOCKABLE:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    exit_with_parent()


def dask_setup(dask_object) -> None:
    """Preload entry point: Dask calls it with the Nanny (in the kernel) or the Worker (its own process)."""
    if isinstance(dask_object, Nanny):
        hold_sigint_for_children()
    else:
        detach_from_kernel()
