"""JupyterHub on the virtual cluster, as a centre runs it: ``hpclab hub up|down|status``.

Centres deliver notebook workshops through a JupyterHub on the login node whose spawner
submits each learner's JupyterLab as a Slurm job (batchspawner's ``SlurmSpawner``), so that
every learner's server, kernel and Dask cluster run on a compute node, as that learner. This
module runs exactly that on the virtual cluster (:mod:`hpclab.slurm.vcluster`), so an
instructor can rehearse it on a laptop and the tests can drive it in a real browser:

* the hub runs on the login node ``vhead`` (inside its namespaces), as root, as centres run it,
  with JupyterHub's own proxy, configurable-http-proxy from npm (``hub/package.json``);
* learners log in with the workshop's shared password (JupyterHub's
  ``SharedPasswordAuthenticator``; only the cluster's learner accounts are allowed);
* ``SlurmSpawner`` submits ``batchspawner-singleuser jupyterhub-singleuser`` as the learner
  (``runuser -u NAME --`` instead of sudo: the hub is root), the server starts on a compute
  node and tells the hub its port through the hub's API on vhead's address;
* the course environment is the kernel: JupyterLab and ``python3`` come from the course's
  venv, and ``Python (hpclab)`` is registered as a kernel too (what ``hpclab kernel install``
  writes on a site's hub);
* the browser on this machine reaches the hub like a learner's SSH tunnel: a small forwarder
  listens on ``127.0.0.1:PORT`` here and connects to the proxy inside vhead's network
  namespace (nothing listens on any other address of this machine).

``down`` stops the hub (which cancels the learners' jobs), the proxy and the forwarder, and
cancels any job of the hub that is left. docs/hub.md says how a centre sets up the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

import hpclab
from hpclab import processes
from hpclab.errors import HpclabError
from hpclab.slurm import vcluster

#: Inside vhead: the proxy's public side (on vhead's loopback), its REST API, the hub's own port.
PROXY_PORT = 8000
PROXY_API_PORT = 8001
HUB_PORT = 8081
#: The port the forwarder listens on, on this machine's 127.0.0.1 (``hpclab hub up --port``).
DEFAULT_PORT = 8000
#: The job name SlurmSpawner gives every learner's server (its default batch script's).
JOB_NAME = "spawner-jupyterhub"
#: The service whose token ``down`` and :func:`rehearse` use to stop servers through the hub's API.
SERVICE = "hpclab-hub"
CLONE_NEWNET = 0x40000000
#: The system's programs (Slurm's commands, runuser) for the hub and the learners' jobs.
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class HubError(HpclabError, RuntimeError):
    """The hub cannot be started, used or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class Hub:
    """One JupyterHub on one virtual cluster: where it keeps its files, the port it is reached on."""

    spec: vcluster.Spec = field(default_factory=vcluster.Spec)
    port: int = DEFAULT_PORT  # on this machine's 127.0.0.1 (the forwarder)
    venv: Path = Path(sys.prefix)  # the course environment: JupyterLab, the kernel, batchspawner
    proxy: Path | None = None  # configurable-http-proxy; default: hub/node_modules/.bin or PATH

    @property
    def folder(self) -> Path:
        """The hub's files (config, database, secrets, logs), inside the cluster's state folder."""
        return self.spec.state / "hub"

    @property
    def url(self) -> str:
        """Where a browser on this machine opens the hub."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def private(self) -> Path:
        """Root's alone (0700): the config, database, secrets, logs and pids.

        The rest of :attr:`folder` (the kernelspec, the learners' view of the environment) learners read.
        """
        return self.folder / "private"

    @property
    def password_file(self) -> Path:
        """The workshop's shared password."""
        return self.private / "password"

    @property
    def token_file(self) -> Path:
        """The API token of the :data:`SERVICE`."""
        return self.private / "service-token"

    @property
    def log(self) -> Path:
        """JupyterHub's log (the proxy's too)."""
        return self.private / "jupyterhub.log"

    @property
    def kernels(self) -> Path:
        """The prefix the ``Python (hpclab)`` kernelspec is installed under (``share/jupyter/kernels``)."""
        return self.folder / "kernels"

    def pidfile(self, name: str) -> Path:
        """Where ``jupyterhub``'s, the proxy's and the forwarder's pids are kept, for ``down``."""
        return self.private / f"{name}.pid"

    def password(self) -> str:
        """The shared password learners log in with."""
        try:
            return self.password_file.read_text().strip()
        except OSError:
            raise HubError("the hub is not up: start it with `hpclab hub up`") from None


def proxy_command(hub: Hub) -> Path:
    """configurable-http-proxy: ``hub.proxy``, else the course's ``hub/node_modules``, else on PATH."""
    if hub.proxy is not None:
        return hub.proxy
    root = Path(hpclab.__file__).resolve().parents[2]  # the course folder of an editable install
    local = root / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return local
    found = shutil.which("configurable-http-proxy")
    if found:
        return Path(found)
    raise HubError(
        f"configurable-http-proxy (JupyterHub's proxy) is not installed: run `make hub-proxy` "
        f"(npm ci in {root / 'hub'}; needs npm: `apt-get install npm`)"
    )


def closed_to_others(path: Path) -> list[Path]:
    """The folders on the way to ``path`` (and ``path``) that other users cannot enter or read.

    Learners' jobs run the course environment's Python, so every folder up to it must let
    others in (``o+x``), and the environment or the interpreter itself be readable and
    enterable or runnable (``o+rx``).
    """
    closed = []
    final = path.resolve()
    for folder in [*reversed(final.parents), final]:
        mode = folder.stat().st_mode
        need = stat.S_IXOTH | (stat.S_IROTH if folder == final else 0)
        if mode & need != need:
            closed.append(folder)
    return closed


def learner_python(hub: Hub) -> Path:
    """The Python the learners' jobs run: the course environment's, as every user may run it.

    Normally that is ``VENV/bin/python`` itself. A venv built on an interpreter other users
    cannot reach (pyenv's, under root's 0700 home, say) gets a view for them instead: a venv
    in the hub's folder made by a Python of the same version that everyone may run (the
    system's ``/usr/bin/python3.X``), which loads the course environment's packages (a
    ``.pth`` file adds its site-packages) and shares its ``share/`` and ``etc/`` (JupyterLab's
    extensions and the server extensions' settings). The same packages, the same kernel code;
    only the interpreter binary differs (the same CPython minor version, so the same ABI).

    Raises
    ------
    HubError
        The course environment's folders are closed to other users, or no runnable Python of
        the same version exists.
    """
    venv = hub.venv
    closed = closed_to_others(venv)
    if closed:
        raise HubError(
            f"the learners' jobs cannot read the course environment {venv}: {', '.join(map(str, closed))} "
            "shut other users out; `chmod o+rx` them (or put the environment where every user can read it)"
        )
    own = venv / "bin" / "python"
    if not closed_to_others(own):
        return own
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        if candidate.exists() and not closed_to_others(candidate):
            break
    else:
        raise HubError(
            f"other users cannot run {own.resolve()} (the interpreter the course environment was built on), "
            f"and there is no {version} they may run: build the environment from a Python every user can run"
        )
    view = hub.folder / "venv"
    subprocess.run([str(candidate), "-m", "venv", "--without-pip", str(view)], check=True, capture_output=True)
    site_packages = venv / "lib" / version / "site-packages"
    (view / "lib" / version / "site-packages" / "hpclab-course-env.pth").write_text(
        f"import site; site.addsitedir({str(site_packages)!r})\n"
    )
    for shared in ("share", "etc"):
        if (venv / shared).is_dir():
            (view / shared).symlink_to(venv / shared)
    return view / "bin" / "python"


def learner_names(spec: vcluster.Spec) -> list[str]:
    """The learner accounts of the virtual cluster, the only users allowed to log in."""
    return [learner.name for learner in vcluster.learners(spec)]


def config_text(hub: Hub, learners: Sequence[str], password: str, token: str, python: Path) -> str:
    """``jupyterhub_config.py`` for the hub on vhead: every setting says why (docs/hub.md).

    ``python`` is the interpreter the learners' jobs run (:func:`learner_python`).
    """
    spec, venv = hub.spec, hub.venv
    address = spec.address(spec.head)
    return f'''# Written by `hpclab hub up`; removed by `hpclab hub down` (hpclab.slurm.hub.config_text).
c = get_config()  # noqa: F821

# The public side of the proxy, on the login node's loopback only: learners come in through
# an SSH tunnel (here: `hpclab hub up`'s forwarder from this machine's 127.0.0.1:{hub.port}).
c.JupyterHub.bind_url = "http://127.0.0.1:{PROXY_PORT}"
# The hub's API on the login node's cluster address: the learners' servers on the compute
# nodes report their port and check logins here.
c.JupyterHub.hub_bind_url = "http://{address}:{HUB_PORT}"
c.ConfigurableHTTPProxy.command = [{str(proxy_command(hub))!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.pid_file = {str(hub.pidfile("proxy"))!r}
c.JupyterHub.db_url = "sqlite:///{hub.private / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(hub.private / "cookie_secret")!r}
# Stopping the hub stops every learner's server (scancel), so nothing outlives `hub down`.
c.JupyterHub.cleanup_servers = True

# A workshop's login: one shared password, handed out in the room, for the learner accounts
# only (JupyterHub >= 5.3). A centre uses PAM, LDAP or OAuth instead (docs/hub.md).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = {set(learners)!r}

# Stopping servers from `hpclab hub down` and the rehearsal's timings.
c.JupyterHub.services = [{{"name": "{SERVICE}", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "{SERVICE}", "scopes": ["admin:servers", "read:users"], "services": ["{SERVICE}"]}}
]

# Each learner's JupyterLab is a Slurm job on a compute node, submitted as that learner.
c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
c.SlurmSpawner.exec_prefix = "runuser -u {{username}} --"  # the hub is root: no sudo needed
c.SlurmSpawner.req_partition = "debug"
c.SlurmSpawner.req_nprocs = "1"
c.SlurmSpawner.req_runtime = "2:00:00"
# The course environment's Python runs the server (batchspawner-singleuser reports the port
# it picked to the hub, then runs jupyterhub-singleuser's script in the same interpreter).
c.SlurmSpawner.batchspawner_singleuser_cmd = "{python} -m batchspawner.singleuser"
c.Spawner.cmd = [{str(venv / "bin" / "jupyterhub-singleuser")!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120
# The course environment is the kernel: `python3` is its Python, and `Python (hpclab)` is
# registered as a site's hub would (hpclab kernel install --prefix ...).
c.Spawner.environment = {{
    "JUPYTER_PATH": {str(hub.kernels / "share" / "jupyter")!r},
    "VIRTUAL_ENV": {str(python.parent.parent)!r},
    "PATH": {os.pathsep.join([str(python.parent), str(venv / "bin"), *SYSTEM_PATH])!r},
}}
'''


def _hub_env(hub: Hub) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JUPYTER", "JPY_"))}
    env["PATH"] = os.pathsep.join([str(hub.venv / "bin"), *SYSTEM_PATH])
    env["VIRTUAL_ENV"] = str(hub.venv)
    return env


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _our_pid(pidfile: Path) -> int | None:
    """The running process in ``pidfile`` if it is still the one written there (not a reused pid)."""
    pid = _read_pid(pidfile)
    if pid is None or not processes.alive(pid):
        return None
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
    return pid if started <= pidfile.stat().st_mtime + 1 else None


def is_up(hub: Hub) -> bool:
    """Whether this hub's ``jupyterhub`` process is running."""
    return _our_pid(hub.pidfile("jupyterhub")) is not None


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(hub: Hub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    log = hub.log
    while time.monotonic() < deadline:
        if not is_up(hub):
            raise HubError(f"JupyterHub exited while starting; the end of {log}:\n{_log_tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{hub.url}hub/health", timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise HubError(f"JupyterHub did not answer at {hub.url} within {timeout:g} s; the end of {log}:\n{_log_tail(log)}")


def up(hub: Hub, timeout: float = 90) -> str:
    """Start JupyterHub on vhead, its proxy and the forwarder; return the status text.

    The virtual cluster must be up (``hpclab vcluster up``: it makes the learner accounts).

    Raises
    ------
    HubError
        The cluster is down, the proxy is not installed, learners could not run the course
        environment, the port is taken, or the hub did not start (the message holds its log's end).
    """
    spec = hub.spec
    if not vcluster.is_up(spec):
        raise HubError("the virtual cluster is down: start it first with `hpclab vcluster up`")
    if is_up(hub):
        return status(hub)
    proxy = proxy_command(hub)
    learners = learner_names(spec)
    if not learners:
        raise HubError("the virtual cluster has no learner accounts; restart it with `hpclab vcluster up`")
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", hub.port))
        except OSError:
            raise HubError(f"127.0.0.1:{hub.port} is taken on this machine: give another with --port") from None
    down(hub)  # the remains of an interrupted run
    try:
        hub.folder.mkdir(parents=True)
        hub.folder.chmod(0o755)  # learners' jobs read the kernelspec and the environment's view under it
        hub.private.mkdir(mode=0o700)
        hub.private.chmod(0o700)  # the config holds the password and the service's token
        password, token = secrets.token_urlsafe(12), secrets.token_hex(32)
        hub.password_file.write_text(password + "\n")
        hub.token_file.write_text(token + "\n")
        python = learner_python(hub)
        config = hub.private / "jupyterhub_config.py"
        config.write_text(config_text(Hub(spec, hub.port, hub.venv, proxy), learners, password, token, python))
        subprocess.run(
            [str(python), "-m", "hpclab.cli", "kernel", "install", "--prefix", str(hub.kernels)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with open(hub.log, "ab") as log:
            # From a folder the learners may enter: SlurmSpawner's sbatch, run as the learner, starts in it.
            proc = subprocess.Popen(
                vcluster.exec_argv(
                    spec, [str(hub.venv / "bin" / "jupyterhub"), "-f", str(config)], cwd=str(hub.folder)
                ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_hub_env(hub),
                start_new_session=True,
            )
        hub.pidfile("jupyterhub").write_text(f"{proc.pid}\n")
        with open(hub.private / "forwarder.log", "ab") as log:
            forwarder = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hpclab.slurm.hub",
                    "forward",
                    "--port",
                    str(hub.port),
                    "--netns",
                    f"/run/netns/{spec.netns(spec.head)}",
                    "--to",
                    f"127.0.0.1:{PROXY_PORT}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        hub.pidfile("forwarder").write_text(f"{forwarder.pid}\n")
        _wait_healthy(hub, timeout)
    except BaseException:
        down(hub)
        raise
    return status(hub)


def hub_jobs(spec: vcluster.Spec) -> list[str]:
    """Job ids of the learners' servers (every user's jobs named :data:`JOB_NAME`)."""
    proc = vcluster.run_command(spec, ["squeue", "-h", "-n", JOB_NAME, "-o", "%i"], cwd="/", check=False)
    return proc.stdout.split()


def down(hub: Hub) -> None:
    """Stop the hub (it cancels the learners' jobs), the proxy, the forwarder; remove the hub's files."""
    spec = hub.spec
    for name in ("forwarder", "jupyterhub", "proxy"):
        pid = _our_pid(hub.pidfile(name))
        if pid is not None:
            processes.stop([pid], grace=30 if name == "jupyterhub" else 3, reap=10)
    if vcluster.is_up(spec):
        left = hub_jobs(spec)
        if left:
            vcluster.run_command(spec, ["scancel", *left], cwd="/", check=False)
            deadline = time.monotonic() + 60
            while hub_jobs(spec) and time.monotonic() < deadline:
                time.sleep(0.5)
    shutil.rmtree(hub.folder, ignore_errors=True)


def status(hub: Hub) -> str:
    """One paragraph: is the hub up, where, who may log in and with what."""
    if not is_up(hub):
        return "hub: down (start it with `sudo hpclab hub up`, which starts the virtual cluster too if it is down)"
    learners = ", ".join(learner_names(hub.spec))
    jobs = vcluster.run_command(
        hub.spec, ["squeue", "-n", JOB_NAME, "-o", "%.10i %.10u %.8T %.10M %N"], cwd="/", check=False
    ).stdout.rstrip()
    return (
        f"hub: up at {hub.url} (JupyterHub on {hub.spec.head}, each learner's JupyterLab a Slurm job)\n"
        f"learners: {learners}; shared password: {hub.password()}\n"
        f"servers (squeue):\n{jobs}"
    )


# --- the way in: a forwarder from this machine's loopback into vhead's network namespace ---


def _enter_netns(path: str) -> None:
    """Move this (single-threaded) process into the network namespace at ``path`` (``setns(2)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def forward(port: int, netns: str, to: str) -> None:
    """Listen on this namespace's ``127.0.0.1:port``; pass each connection to ``to`` inside ``netns``.

    The listening socket is made first, here; the process then moves into ``netns``, so every
    connection it opens from then on starts there (a socket stays in the namespace it was
    made in). What an SSH tunnel to a login node does for a learner.
    """
    host, _, target = to.rpartition(":")
    listener = socket.create_server(("127.0.0.1", port))
    _enter_netns(netns)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(target))
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def serve() -> None:
        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


# --- rehearsal: time from login to a learner's JupyterLab answering ---


def login_until_lab(hub: Hub, name: str, password: str, timeout: float = 600) -> float:
    """Log ``name`` in as a browser does, wait until their JupyterLab answers; the seconds it took.

    From the login form's POST (which starts the server: a Slurm job) until ``/user/NAME/lab``
    returns JupyterLab's page through the hub's proxy, the OAuth hand-over included.
    """
    with requests.Session() as session:
        session.get(f"{hub.url}hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf", "")
        start = time.perf_counter()
        reply = session.post(
            f"{hub.url}hub/login",
            data={"username": name, "password": password, "_xsrf": xsrf},
            timeout=60,
        )
        failed = HubError(
            f"{name}'s server failed to start (the hub's log: {hub.log}; "
            f"the job's: jupyterhub_slurmspawner_JOBID.log in {name}'s home)"
        )
        if "/hub/login" in reply.url or reply.status_code in (401, 403):
            raise HubError(f"{name} could not log in (HTTP {reply.status_code} at {reply.url})")
        if reply.status_code >= 500:
            raise failed
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                page = session.get(f"{hub.url}user/{name}/lab", timeout=30)
                if page.status_code == 200 and f"/user/{name}/lab" in page.url and "jupyter-config-data" in page.text:
                    return time.perf_counter() - start
                if page.status_code >= 500:
                    raise failed
            time.sleep(0.25)
    raise HubError(f"{name}'s JupyterLab did not answer within {timeout:g} s; see `hpclab hub status`")


def stop_servers(hub: Hub, names: Sequence[str], timeout: float = 120) -> None:
    """Stop these learners' servers through the hub's API, and wait until their jobs are gone."""
    headers = {"Authorization": f"token {hub.token_file.read_text().strip()}"}
    for name in names:
        requests.delete(f"{hub.url}hub/api/users/{name}/server", headers=headers, timeout=60)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        users = [requests.get(f"{hub.url}hub/api/users/{n}", headers=headers, timeout=30).json() for n in names]
        if not any(u.get("servers") for u in users) and not hub_jobs(hub.spec):
            return
        time.sleep(0.5)
    raise HubError(f"the servers of {', '.join(names)} did not stop within {timeout:g} s")


def rehearse(hub: Hub, counts: Sequence[int] = (1, 3)) -> list[tuple[int, list[float]]]:
    """Time login -> JupyterLab answering for ``n`` learners at once, for each ``n`` in ``counts``.

    Each round logs its learners in at the same moment (one thread each), then stops their
    servers before the next round. Returns ``(n, [seconds per learner])`` per round.
    """
    names = learner_names(hub.spec)
    password = hub.password()
    rounds = []
    for n in counts:
        if n > len(names):
            raise HubError(f"{n} learners at once, but the cluster has {len(names)}: {', '.join(names)}")
        who = names[:n]
        try:
            with ThreadPoolExecutor(len(who)) as pool:
                times = list(pool.map(lambda name: login_until_lab(hub, name, password), who))
        finally:
            stop_servers(hub, who)
        rounds.append((n, times))
    return rounds


def render_rehearsal(rounds: Sequence[tuple[int, list[float]]]) -> str:
    """The rehearsal's timings as a small table: learners at once, each one's seconds, the slowest."""
    lines = ["learners at once | login -> JupyterLab answering, each (s) | slowest (s)", "---|---|---"]
    for n, times in rounds:
        lines.append(f"{n} | {', '.join(f'{t:.1f}' for t in times)} | {max(times):.1f}")
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hpclab.slurm.hub", description="the hub's forwarder (internal)")
    sub = parser.add_subparsers(dest="action", required=True)
    fwd = sub.add_parser("forward")
    fwd.add_argument("--port", type=int, required=True)
    fwd.add_argument("--netns", required=True)
    fwd.add_argument("--to", required=True)
    args = parser.parse_args(argv)
    forward(args.port, args.netns, args.to)


if __name__ == "__main__":
    _main()
