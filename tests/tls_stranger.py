"""Another user's attempts to run code on a Dask scheduler, and the owner's (tests only).

Usage: python tls_stranger.py ADDRESS SENTINEL [--owner CREDENTIALS_DIR | --owner SCHEDULER_FILE.json]

Each attempt connects a client to ADDRESS and asks every worker to create the
file SENTINEL-<attempt> (what an attacker's ``client.run(...)`` would do),
then prints one line: ``<attempt>: ran a task`` or ``<attempt>: refused (...)``.
A stranger tries three ways: plain TCP to the port, TLS without a certificate
(and trusting any server), TLS with a certificate of their own. With
``--owner``, the owner's client connects with the job's credentials instead (given a scheduler
file: the way a notebook does, ``hpclab.cluster.start(path)``, which finds them beside it).
Run it with a clean environment: Dask's TLS settings must not be inherited.
"""

import ssl
import sys
from pathlib import Path

from distributed import Client
from distributed.security import Security


class NoCertificate(Security):
    """A TLS client that presents no certificate and accepts any server."""

    def get_connection_args(self, role):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return {"ssl_context": context, "require_encryption": True, "extra_conn_args": {}}


def touch(path: str) -> str:
    Path(path).touch()
    return path


def attempt(name: str, address: str, security, sentinel: str, scheduler_file: str | None = None) -> None:
    target = f"{sentinel}-{name}"
    try:
        if scheduler_file:
            import hpclab.cluster

            client = hpclab.cluster.start(scheduler_file, quiet=True, timeout=8)
        else:
            client = Client(address, security=security, timeout=8)
        with client:
            client.run(touch, target)
    except Exception as exc:  # noqa: BLE001  (any failure to connect is a refusal)
        print(f"{name}: refused ({type(exc).__name__}: {str(exc)[:120]})", flush=True)
        return
    print(f"{name}: ran a task{' (created ' + target + ')' if Path(target).exists() else ''}", flush=True)


def main() -> None:
    address, sentinel = sys.argv[1], sys.argv[2]
    host_port = address.split("://", 1)[-1]
    if "--owner" in sys.argv:
        import hpclab.tls

        given = sys.argv[sys.argv.index("--owner") + 1]
        if given.endswith(".json"):
            attempt("owner", address, None, sentinel, scheduler_file=given)
        else:
            attempt("owner", address, hpclab.tls.security_from(given), sentinel)
        return
    attempt("plain-tcp", f"tcp://{host_port}", Security(require_encryption=False), sentinel)
    attempt("tls-without-certificate", f"tls://{host_port}", NoCertificate(), sentinel)
    attempt("tls-own-certificate", f"tls://{host_port}", Security.temporary(), sentinel)


if __name__ == "__main__":
    main()
