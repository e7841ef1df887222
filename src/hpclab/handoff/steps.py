"""One MPI step on every worker at once, from the client: what happened where.

Every MPI step (open a port, one round of merging, call ``func``) runs on all
workers of the phase at the same moment, each in its worker's MPI thread
(:func:`hpclab.handoff.worker.in_mpi_thread`). A partner that died or raised
inside a collective leaves the others blocked in MPI; so each worker is asked
separately, and the :class:`StepOutcome` sorts the answers into ok, errors, stuck
(inside MPI past the timeout), frozen (not even the event loop answers), lost
(the worker is gone) and refused (it could not take part, or the phase was called off).

A phase step (:func:`hpclab.handoff.worker.step_call`) first waits in a barrier for
all its workers; as soon as one answers that it cannot take part (or is gone), the
others are told to leave that barrier (:func:`~hpclab.handoff.worker.call_off`), so no
worker is left inside a collective that a partner never reaches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hpclab.handoff.errors import HandoffError
from hpclab.handoff.worker import call_off, in_mpi_thread, mpi_status

FROZEN_GRACE = 10.0  # seconds past the timeout before a worker that does not answer at all counts as frozen


@dataclass
class StepOutcome:
    """What one MPI step did on every worker it ran on."""

    ok: dict[str, Any]
    errors: dict[str, BaseException]
    stuck: dict[str, str]
    lost: dict[str, BaseException]  # the worker could not be reached or died during the step
    frozen: set = field(default_factory=set)  # stuck workers whose event loop does not answer either
    refused: dict[str, str] = field(default_factory=dict)  # took no part: could not, or the phase was called off


class AttemptFailed(HandoffError):
    """One attempt of the MPI phase failed; ``outcome`` says where, ``retry`` whether another may succeed.

    ``where`` maps each worker of the attempt to ``(host, pid, COMM_WORLD size)``
    once the caller knows it (empty until then).
    """

    def __init__(self, message: str, outcome: StepOutcome, retry: bool):
        super().__init__(message)
        self.outcome = outcome
        self.retry = retry
        self.where: dict[str, tuple[Any, Any, Any]] = {}


_TELLING: set[asyncio.Future] = set()  # call_off messages on their way


async def _call_off(client, token: str, workers: list[str]) -> None:
    """Tell these workers that phase ``token`` is off; best effort (a lost worker cannot be told)."""
    try:
        await client._run(call_off, token, workers=workers, on_error="return")
    except Exception:  # noqa: BLE001, S110  they leave the barrier at their timeout anyway
        pass


async def _run_each(
    client,
    step: Callable,
    args_by_worker: Mapping[str, tuple],
    timeout: float | None,
    what: str,
    phase: str | None = None,
) -> dict[str, Any]:
    """``client.run`` on each worker separately, so one that never answers cannot hold up the others.

    With ``phase`` (its token), the first worker that refuses, fails before MPI or is lost calls
    the phase off on the others, which are waiting for it in the phase's barrier.
    """
    calls = {
        address: asyncio.ensure_future(
            client._run(in_mpi_thread, step, {address: args}, timeout, what, workers=[address], on_error="return")
        )
        for address, args in args_by_worker.items()
    }
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout + FROZEN_GRACE
    pending = set(calls.values())
    called_off = False
    while pending:
        left = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
        done, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            break
        if phase is not None and not called_off and pending and any(_not_ok(call) for call in done):
            called_off = True
            telling = asyncio.ensure_future(_call_off(client, phase, [a for a, c in calls.items() if c in pending]))
            _TELLING.add(telling)  # asyncio keeps only a weak reference to a running task
            telling.add_done_callback(_TELLING.discard)
    results: dict[str, Any] = {}
    for address, call in calls.items():
        if call in pending:
            call.cancel()
            results[address] = (
                "frozen",
                f"{what}, and not answering at all: its event loop is blocked "
                "(an MPI call that holds the GIL, e.g. a pickle-based comm.allreduce)",
            )
        elif call.exception() is not None:
            results[address] = call.exception()
        else:
            results[address] = call.result().get(address, OSError("no answer"))
    return results


def _not_ok(call: asyncio.Future) -> bool:
    """Did this worker's answer say it took no part, or is the worker gone?"""
    if call.cancelled() or call.exception() is not None:
        return True
    answer = next(iter(call.result().values()), None)
    return not (isinstance(answer, tuple) and answer[0] == "ok")


def everywhere(
    client,
    step: Callable,
    args_by_worker: Mapping[str, tuple],
    timeout: float | None,
    what: str,
    phase: str | None = None,
) -> StepOutcome:
    """Run ``step(dask_worker, state, *args)`` in the MPI thread of every worker named in ``args_by_worker``.

    ``what`` names the step in messages about stuck workers; ``timeout``
    bounds the step on each worker; ``phase``: the token of a phase step, called off on
    every worker as soon as one cannot take part.
    """
    results = client.sync(_run_each, client, step, dict(args_by_worker), timeout, what, phase)
    outcome = StepOutcome({}, {}, {}, {})
    for address in args_by_worker:
        result = results[address]
        if isinstance(result, BaseException):
            outcome.lost[address] = result
        elif result[0] == "ok":
            outcome.ok[address] = result[1]
        elif result[0] == "error":
            outcome.errors[address] = result[1]
        elif result[0] == "refused":
            outcome.refused[address] = result[1]
        else:
            outcome.stuck[address] = result[1]
            if result[0] == "frozen":
                outcome.frozen.add(address)
    return outcome


def raise_if_failed(outcome: StepOutcome, what: str) -> None:
    """Raise AttemptFailed unless the step worked on every worker."""
    if outcome.lost or outcome.stuck:
        # A worker that raised while its partners wait inside a collective is func's own error: no retry.
        retry = bool(outcome.lost) or not outcome.errors
        parts = [f"worker {a} was lost ({type(e).__name__}: {e})" for a, e in outcome.lost.items()]
        parts += [f"worker {a} is stuck in {s}" for a, s in outcome.stuck.items()]
        parts += [f"worker {a} raised {e!r}" for a, e in outcome.errors.items()]
        raise AttemptFailed(f"{what}: " + "; ".join(parts), outcome, retry=retry)
    if outcome.errors:
        address, error = next(iter(outcome.errors.items()))
        raise AttemptFailed(f"{what}: worker {address} raised {error!r}", outcome, retry=False)
    if outcome.refused:  # no MPI call was made anywhere: the phase can simply run again
        parts = [f"worker {a} took no part ({why})" for a, why in outcome.refused.items()]
        raise AttemptFailed(f"{what}: " + "; ".join(parts), outcome, retry=True)


def worker_status(client, workers: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """Each worker's :func:`~hpclab.handoff.worker.mpi_status` (``None``: every worker of the cluster,
    found by the same call); AttemptFailed if one is lost or stuck."""
    status = client.run(mpi_status, workers=None if workers is None else list(workers), on_error="return")
    lost = {a: s for a, s in status.items() if isinstance(s, BaseException)}
    missing = [a for a in workers or () if a not in status]
    if lost or missing:
        outcome = StepOutcome({}, {}, {}, {**lost, **{a: OSError("no answer") for a in missing}})
        raise_if_failed(outcome, "asking the workers about MPI")
    stuck = {a: s["stuck"] for a, s in status.items() if s.get("stuck")}
    if stuck:
        raise_if_failed(StepOutcome({}, {}, stuck, {}), "before the MPI phase")
    return status
