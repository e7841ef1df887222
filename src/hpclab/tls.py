"""TLS for every Dask cluster the course starts: only the owner's clients may run code on it.

Dask has no other authentication: whoever reaches a scheduler's port can
connect a client and run any function as the cluster's owner. On a shared
login node (hundreds of users on one loopback) or a cluster network (every
node of every user), that is anyone. With TLS, Dask's scheduler, workers and
clients prove to each other that they hold a certificate signed by the
cluster's own authority; a client without one is refused during the handshake.

* A local cluster gets fresh credentials that live only in memory
  (``distributed.security.Security.temporary()``; :func:`hpclab.cluster.start`).
* A batch job writes fresh credentials into a folder only its user can read
  (:func:`write_credentials`), on the shared filesystem beside its scheduler
  file (:func:`beside`), and points Dask's configuration at them
  (:func:`dask_environment`): dask-mpi builds its scheduler and workers
  without a ``security=`` argument, so they read TLS from the configuration.
  A notebook on the login node finds them beside the scheduler file
  (:func:`security_from`).

Not covered: the dashboard (plain HTTP) and MPI's own ports.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from hpclab.errors import SetupError, UsageError

CERT_FILE = "cert.pem"  # self-signed: it is also the cluster's certificate authority
KEY_FILE = "key.pem"
SUFFIX = ".tls"  # scheduler-42.json -> scheduler-42.tls/


def require_cryptography() -> None:
    """SetupError unless the ``cryptography`` package, which makes the credentials, is installed."""
    if importlib.util.find_spec("cryptography") is None:
        raise SetupError(
            "TLS credentials need the `cryptography` package: run `make install` again (or `pip install cryptography`)"
        )


def temporary():
    """New credentials for one cluster, in memory only: a self-signed certificate and its key."""
    from distributed.security import Security  # noqa: PLC0415  distributed is slow to import; every hpclab command loads tls

    require_cryptography()
    return Security.temporary()


def beside(scheduler_file: str | os.PathLike) -> Path:
    """The credentials folder that goes with a scheduler file: ``scheduler-42.json`` -> ``scheduler-42.tls``.

    One fixed place per scheduler file, on the filesystem every node of the
    job sees, so the job knows where to write its credentials and a notebook
    knows where to find them without being told.

    Parameters
    ----------
    scheduler_file : str or path
        The scheduler file a job's ``dask-mpi --scheduler-file`` writes.

    Returns
    -------
    pathlib.Path
        The folder next to it: the file's name with ``.tls`` for its suffix.
    """
    path = Path(scheduler_file)
    return path.with_name(path.stem + SUFFIX)


def _check_private(folder: Path) -> None:
    """Refuse a folder that someone else owns or that others may read or enter."""
    info = folder.stat()
    if info.st_uid != os.geteuid():
        raise UsageError(
            f"{folder} belongs to uid {info.st_uid}, not to you: credentials must be yours alone; "
            "remove it or choose another folder"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UsageError(
            f"{folder} is readable by others (mode {stat.S_IMODE(info.st_mode):o}): "
            f"`chmod 700 {folder}`, or remove it and let hpclab make it"
        )


def write_credentials(folder: str | os.PathLike, security=None) -> Path:
    """Write a cluster's certificate and key into ``folder`` (made with mode 0700, files 0600); return it.

    The folder must not exist yet, or be empty, yours and private: old
    credentials are never reused or overwritten. It belongs on a filesystem
    every node of the job sees (beside the scheduler file, not in a node-local
    ``$TMPDIR``); the job removes it when it ends.

    Parameters
    ----------
    folder : str or path
        Where to write ``cert.pem`` and ``key.pem``.
    security : distributed.Security, optional
        In-memory credentials to write; by default new :func:`temporary` ones.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    UsageError
        If ``security`` holds no in-memory credentials, or the folder exists
        and is not empty, not yours, or readable by others.
    SetupError
        If the ``cryptography`` package, which makes new credentials, is missing.
    """
    folder = Path(folder)
    security = temporary() if security is None else security
    pem = {CERT_FILE: security.tls_scheduler_cert, KEY_FILE: security.tls_scheduler_key}
    if not all(isinstance(v, str) and "-----BEGIN" in v for v in pem.values()):
        raise UsageError("write_credentials needs in-memory credentials, such as Security.temporary() makes")
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is reduced by the umask; this one must be exact
    except FileExistsError:
        if not folder.is_dir() or any(folder.iterdir()):
            raise UsageError(
                f"{folder} already exists and is not an empty folder: a job's credentials are new "
                "each time; remove it (a job that was killed may have left it) and try again"
            ) from None
    _check_private(folder)  # an empty folder that was there already must be yours and private
    for name, text in pem.items():
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
    return folder


def _files(folder: str | os.PathLike) -> tuple[Path, Path]:
    folder = Path(folder)
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if not (cert.is_file() and key.is_file()):
        raise UsageError(
            f"no TLS credentials in {folder} (expected {CERT_FILE} and {KEY_FILE}): the job writes "
            "them when it starts (`dask_tls` in jobscripts/common.sh); is it still running?"
        )
    return cert, key


def dask_environment(folder: str | os.PathLike) -> dict[str, str]:
    """Dask's configuration, as environment variables, for a cluster whose credentials are in ``folder``.

    Every process that inherits them (scheduler, workers and clients of a job
    step) speaks ``tls://`` with these credentials and refuses anything else.
    dask-mpi builds its scheduler and workers without a ``security=``
    argument, so the configuration is the way to give them TLS.

    Parameters
    ----------
    folder : str or path
        A folder holding credentials, as :func:`write_credentials` makes.

    Returns
    -------
    dict of str to str
        ``DASK_DISTRIBUTED__COMM__...`` variables: TLS required, the CA, and
        the certificate and key of every role.

    Raises
    ------
    UsageError
        If the folder holds no credentials.
    """
    cert, key = (str(p.resolve()) for p in _files(folder))
    env = {
        "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
        "DASK_DISTRIBUTED__COMM__DEFAULT_SCHEME": "tls",
        "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": cert,
    }
    for role in ("scheduler", "worker", "client"):
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role.upper()}__CERT"] = cert
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role.upper()}__KEY"] = key
    return env


@contextlib.contextmanager
def credentials(folder: str | os.PathLike | None = None) -> Iterator[dict[str, str]]:
    """``with credentials() as env:`` new credentials and the Dask configuration for them; removed afterwards.

    For a dask-mpi program started from here rather than by a job script
    (``hpclab.mpi.run(program, n=5, env={**os.environ, **env})``, or
    ``mpiexec`` in a notebook): what ``dask_tls`` does in a job. The folder
    is private and temporary unless ``folder`` is given (e.g.
    ``beside(scheduler_file)``, where a client finds them).

    Parameters
    ----------
    folder : str or path, optional
        Where to write the credentials; by default a new private temporary
        folder. Either way it is removed when the block ends.

    Yields
    ------
    dict of str to str
        The Dask configuration for them, as :func:`dask_environment` gives it:
        pass it in the environment of the programs that should use them.

    Raises
    ------
    UsageError
        If ``folder`` exists and is not an empty private folder of yours (then
        nothing in it is removed).
    SetupError
        If the ``cryptography`` package is missing.
    """
    made: Path | None = None
    if folder is None:
        made = Path(tempfile.mkdtemp(prefix="hpclab-tls-"))
        target = made / "credentials"
    else:
        target = Path(folder)
    try:
        # Refuses a folder that holds files already (a running job's): then nothing here is removed.
        written = write_credentials(target)
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise
    try:
        yield dask_environment(written)
    finally:
        shutil.rmtree(made if made is not None else target, ignore_errors=True)


def shell_exports(env: Mapping[str, str]) -> str:
    """``export NAME=value`` lines a shell can ``eval``."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def security_from(folder: str | os.PathLike):
    """A client's ``Security`` from a job's credentials folder, for ``Client(..., security=...)``.

    How a notebook on the login node reaches the TLS scheduler of a batch job:
    the job wrote its credentials (:func:`write_credentials`) into a folder
    only its user may read; a client that holds them is let in. The folder is
    refused unless it is yours and private, so nobody else's credentials, or
    credentials others could have copied, are used.

    Parameters
    ----------
    folder : str or path
        The job's credentials folder, usually ``beside(scheduler_file)``.

    Returns
    -------
    distributed.Security
        TLS required, with the job's certificate as the authority and as this
        client's certificate.

    Raises
    ------
    UsageError
        If the folder holds no credentials, is not yours, or others may read it.
    """
    from distributed.security import Security  # noqa: PLC0415  distributed is slow to import; every hpclab command loads tls

    folder = Path(folder)
    cert, key = _files(folder)
    _check_private(folder)
    return Security(require_encryption=True, tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key))


def scheme(address: str) -> str:
    """``tls`` for ``tls://10.0.0.1:8786``; ``tcp`` for a bare ``host:port`` (Dask's default scheme)."""
    return address.split("://", 1)[0] if "://" in address else "tcp"
