"""The stranger who tries to use someone else's Dask cluster: shared by the local and the Slurm TLS tests."""

from __future__ import annotations

from tests.support import ROOT

# A program run as another user's process would be: it tries each way in and reports what happened.
STRANGER = ROOT / "tests" / "tls_stranger.py"
# The ways in it tries, in the order it reports them.
STRANGER_WAYS = ("plain-tcp", "tls-without-certificate", "tls-own-certificate")
