"""What goes wrong in a handoff, and the hint every "not persisted" message carries."""

from __future__ import annotations

from hpclab.errors import HpclabError

PERSIST_HINT = "persist it first: x = client.persist(x); distributed.wait(x)"


class HandoffError(HpclabError, RuntimeError):
    """The collection or the cluster cannot be handed over as asked; the message says what to do."""


class HandoffTimeout(HandoffError, TimeoutError):
    """The MPI phase did not finish within the timeout (a worker is stuck in a collective)."""


class HandoffRetry(UserWarning):
    """An attempt of the MPI phase failed (a worker was lost or stuck); run_on_workers tries again."""
