"""The doctor's Slurm section: in a job or step? Does MPI see the ranks the launcher started?

The "rank 0 of 1" trap (``srun`` without PMI, or a launcher of another MPI)
shows only when MPI really starts, so :func:`probe_mpi` starts it in a
short-lived subprocess, never in the doctor's own process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping

from hpclab import processes
from hpclab.doctor.findings import FAIL, OK, WARN, Finding
from hpclab.mpi import PMI_FIX, launcher_view

# Runs in a subprocess: start MPI, report what this process sees, finish.
_PROBE = """
import json
from mpi4py import MPI
comm = MPI.COMM_WORLD
print(json.dumps({"rank": comm.Get_rank(), "size": comm.Get_size(), "host": MPI.Get_processor_name()}))
"""


def probe_mpi(timeout: float = 60) -> dict:
    """Start MPI in a subprocess and return the ``rank``, ``size`` and ``host`` it reports.

    The subprocess inherits this process's environment and its PMI file
    descriptor, so under ``srun --mpi=pmi2`` or ``mpiexec`` it joins the same
    job this task belongs to. On failure the dict has ``error`` instead.
    """
    keep = []
    fd = os.environ.get("PMI_FD", "")
    if fd.isdigit():
        try:
            os.fstat(int(fd))
            keep.append(int(fd))
        except OSError:
            pass
    proc = subprocess.Popen(
        [sys.executable, "-c", _PROBE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=keep,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        processes.stop_session(proc)
        return {"error": f"MPI did not start within {timeout:g} s (another task may not have started it)"}
    except BaseException:
        processes.stop_session(proc)
        raise
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    tail = "\n".join((err or out).strip().splitlines()[-5:])
    return {"error": f"starting MPI failed (exit {proc.returncode}): {tail or 'no output'}"}


def rank_finding(view: dict, seen: dict) -> Finding:
    """Compare the launcher's rank/size with what MPI reports (the "rank 0 of 1" trap)."""
    details = {"launcher": view, "mpi": seen}
    if "error" in seen:
        return Finding(
            "Slurm",
            FAIL,
            f"MPI could not start in this task: {seen['error']}",
            "run the same command with a one-rank job first; check the MPI section above and "
            "the site's MPI documentation",
            details,
        )
    said = f"MPI says rank {seen['rank']} of {seen['size']}"
    if not view:
        return Finding("Slurm", OK, f"{said} (one process started without a launcher, as expected)", details=details)
    by = f"{view['launcher']} started this as task {view['rank']} of {view['size']}"
    if view["size"] > 1 and seen["size"] == 1:
        fix = (
            PMI_FIX
            if view["launcher"] == "srun"
            else "start the program with the mpiexec of the MPI mpi4py loaded (see the MPI section; "
            "`hpclab.mpi.find_mpiexec()` or HPCLAB_MPIEXEC)"
        )
        why = (
            "srun did not hand the ranks to MPI (no PMI)"
            if view["launcher"] == "srun"
            else "the launcher belongs to a different MPI"
        )
        return Finding(
            "Slurm", FAIL, f"the 'rank 0 of 1' trap: {by}, but {said}: every task runs alone, {why}", fix, details
        )
    if seen["size"] != view["size"]:
        return Finding("Slurm", FAIL, f"{by}, but {said}: sizes differ", PMI_FIX, details)
    if seen["rank"] != view["rank"]:
        return Finding(
            "Slurm",
            WARN,
            f"{by}, but {said}: ranks are numbered differently",
            "use MPI's rank (comm.Get_rank()), not the launcher's task id",
            details,
        )
    return Finding("Slurm", OK, f"{by}, and {said}: MPI sees the ranks the launcher started", details=details)


def slurm_findings(env: Mapping[str, str], *, probe: bool | None = None, timeout: float = 60) -> list[Finding]:
    """Are we in a Slurm job or step, and does MPI see the ranks that were started?

    ``probe=None`` starts MPI (in a subprocess) only when a launcher started
    this process; ``True`` always, ``False`` never.
    """
    found = []
    job = env.get("SLURM_JOB_ID")
    view = launcher_view(env)
    if not job:
        found.append(Finding("Slurm", OK, "not inside a Slurm job (a laptop or a login node)"))
    else:
        shape = ", ".join(
            f"{label} {env[name]}"
            for name, label in (
                ("SLURM_JOB_NODELIST", "nodes"),
                ("SLURM_NTASKS", "tasks"),
                ("SLURM_CPUS_PER_TASK", "cpus per task"),
            )
            if env.get(name)
        )
        keys = {
            k: env[k]
            for k in sorted(env)
            if k.startswith("SLURM_")
            and k
            in (
                "SLURM_JOB_ID",
                "SLURM_STEP_ID",
                "SLURM_NTASKS",
                "SLURM_STEP_NUM_TASKS",
                "SLURM_PROCID",
                "SLURM_LOCALID",
                "SLURM_NODEID",
                "SLURM_JOB_NODELIST",
                "SLURM_MPI_TYPE",
                "SLURM_CPUS_PER_TASK",
            )
        }
        if view.get("launcher") == "srun":
            pmi = f"--mpi={view['pmi']}" if view["pmi"] else "the site's default --mpi"
            found.append(
                Finding(
                    "Slurm",
                    OK,
                    f"in job {job}, step {env['SLURM_STEP_ID']}: task {view['rank']} of "
                    f"{view['size']} on {env.get('SLURMD_NODENAME', socket.gethostname())} "
                    f"(srun with {pmi}; {shape})",
                    details=keys,
                )
            )
        else:
            found.append(
                Finding(
                    "Slurm",
                    OK,
                    f"inside Slurm job {job} ({shape}), outside any srun step: run "
                    "`srun hpclab doctor` to check what every task sees",
                    details=keys,
                )
            )
    if probe is None:
        probe = bool(view)
    if probe:
        found.append(rank_finding(view, probe_mpi(timeout)))
    elif not job:
        found.append(
            Finding(
                "Slurm",
                OK,
                "MPI ranks not checked (no launcher started this); in a job run "
                "`srun -n 2 hpclab doctor`, or `mpiexec -n 2 hpclab doctor --mpi` here",
            )
        )
    return found
