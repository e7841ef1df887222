"""The doctor's Dashboard section: where Dask's dashboard is, and the SSH tunnel to reach it from a laptop."""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from hpclab import config
from hpclab.cluster import DASK_DEFAULT_LINK, dashboard_link_template, jupyter_server
from hpclab.doctor.findings import FAIL, OK, WARN, Finding
from hpclab.errors import UsageError


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def tunnel_line(
    port: int | str, *, user: str, host: str, target: str = "127.0.0.1", jump: str | None = None, local_port: int = 8787
) -> str:
    """The ssh command that forwards ``localhost:local_port`` on a laptop to ``target:port`` seen from ``host``.

    Dask's dashboard listens on a cluster machine that a laptop's browser
    cannot reach directly; an SSH tunnel carries the connection there.
    Nothing is run: this only writes the line to type on the laptop.

    Parameters
    ----------
    port : int or str
        The dashboard's port on ``target`` (``"PORT"`` for a placeholder).
    user : str
        Your user name on the cluster.
    host : str
        The machine ssh logs in to (a login node, or a compute node).
    target : str
        Where the dashboard listens, as ``host`` sees it (default: ``host``'s own loopback,
        127.0.0.1, where the course's clusters put their dashboards).
    jump : str, optional
        A login node to go through first (``ssh -J``), for a ``host`` that a
        laptop cannot reach; ignored when it is ``host``.
    local_port : int
        The port to open on the laptop: then browse ``http://localhost:LOCAL_PORT/status``.

    Returns
    -------
    str
        For example ``ssh -J ada@login1 -L 8787:127.0.0.1:4321 ada@node7``.
    """
    via = f"-J {user}@{jump} " if jump and jump != host else ""
    return f"ssh {via}-L {local_port}:{target}:{port} {user}@{host}"


def read_scheduler_file(path: str | os.PathLike) -> dict:
    """``{"address", "host", "port", "dashboard"}`` from a Dask scheduler file; ValueError says what is wrong."""
    path = Path(path)
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"scheduler file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"scheduler file {path} is not readable JSON ({exc})") from None
    if not isinstance(info, dict) or not isinstance(info.get("address"), str):
        raise UsageError(f'scheduler file {path} has no "address" (is it really a Dask scheduler file?)')
    parts = urlsplit(info["address"])
    services = info.get("services")
    if not isinstance(services, dict):
        services = {}
    dashboard = services.get("dashboard")
    return {
        "address": info["address"],
        "host": parts.hostname or "",
        "port": parts.port,
        "dashboard": dashboard if isinstance(dashboard, int) else None,
    }


def dashboard_findings(env: Mapping[str, str]) -> list[Finding]:
    """Where the dashboard would be, and the SSH tunnel line to reach it from a laptop."""
    user, here = _user(), socket.gethostname()
    node = env.get("SLURMD_NODENAME", here) if env.get("SLURM_JOB_ID") else here
    login = env.get("SLURM_SUBMIT_HOST") if env.get("SLURM_JOB_ID") else None
    found = [
        Finding(
            "Dashboard",
            OK,
            "a local Dask cluster serves its dashboard at http://127.0.0.1:PORT/status; "
            "a free PORT is chosen each time (never a fixed one: login nodes are shared), read it "
            "from `client.dashboard_link`",
        )
    ]
    server = jupyter_server(env) or {}
    template = dashboard_link_template(env, server=server)
    if template != DASK_DEFAULT_LINK:
        where = f"the Jupyter server on port {server['port']}" if server.get("port") else "JupyterHub"
        link = template.replace("{port}", "PORT")
        found.append(
            Finding(
                "Dashboard",
                OK,
                f"this runs under {where}: hpclab's local clusters link their "
                f"dashboard through it ({link}), so the SSH tunnel to JupyterLab is the only one "
                "you need; the tunnel below is for clusters started outside JupyterLab",
                details={"link": link, "jupyter_port": server.get("port")},
            )
        )
    if login and login != node:
        line = tunnel_line("PORT", user=user, host=node, jump=login)
        where = f"through login node {login} to compute node {node}, if your site allows ssh to nodes running your job"
    else:
        line = tunnel_line("PORT", user=user, host=node)
        where = f"to {node}"
    found.append(
        Finding(
            "Dashboard",
            OK,
            f"from a laptop, tunnel {where}: `{line}`, then open "
            "http://localhost:8787/status (on your own laptop, just open the link)",
            details={"tunnel": line, "host": node, "jump": login},
        )
    )

    path = env.get(config.SCHEDULER_FILE)
    if path:
        try:
            info = read_scheduler_file(path)
        except ValueError as exc:
            found.append(
                Finding(
                    "Dashboard",
                    FAIL,
                    f"{config.SCHEDULER_FILE}: {exc}",
                    "start the scheduler first (e.g. `srun dask-mpi --scheduler-file "
                    f"$PWD/scheduler.json` in a job) and wait for the file, or unset "
                    f"{config.SCHEDULER_FILE}",
                )
            )
            return found
        if info["dashboard"] is None:
            found.append(
                Finding(
                    "Dashboard",
                    WARN,
                    f"the scheduler in {path} ({info['address']}) lists no dashboard",
                    "install bokeh where the scheduler runs",
                    details=info,
                )
            )
            return found
        local = info["host"] in ("127.0.0.1", "localhost", "::1", "")
        # The scheduler's node, reached through the login node, forwarding to that node's own
        # loopback: a dashboard on 127.0.0.1 (the course's) is reachable only from there.
        if local:
            line = tunnel_line(info["dashboard"], user=user, host=login or here)
        else:
            line = tunnel_line(info["dashboard"], user=user, host=info["host"], jump=login or here)
        found.append(
            Finding(
                "Dashboard",
                OK,
                f"scheduler file {path}: scheduler {info['address']}, dashboard port "
                f"{info['dashboard']} (not contacted); from a laptop: `{line}`, then open "
                "http://localhost:8787/status",
                details={**info, "tunnel": line},
            )
        )
    return found
