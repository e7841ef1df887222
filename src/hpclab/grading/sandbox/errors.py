"""The sandbox's one error: a sandbox could not be set up (or cleaned up) for a submission."""

from __future__ import annotations

from hpclab.errors import SetupError


class SandboxError(SetupError):
    """A sandbox could not be set up for a submission."""
