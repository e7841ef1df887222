"""Which worker holds which block of a persisted collection: :class:`Piece` and :func:`placement`.

The order of blocks is always *chunk order*: C order over the chunk grid
(block (0, 0), (0, 1), ..., (1, 0), ...), partition order for dataframes.
Nothing here moves data: the scheduler says who holds each block, and a
dataframe's partition shapes are asked of the workers that hold them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from hpclab.handoff.errors import PERSIST_HINT, HandoffError


@dataclass(frozen=True)
class Piece:
    """One block of an array (or partition of a dataframe), as seen by the worker holding it.

    ``index`` is the block's position in the chunk grid (``(partition,)`` for a
    dataframe); ``offset`` is the global position of its first element (for a
    dataframe: ``(first row, 0)``, or ``(first row,)`` for a series); ``shape``
    is the block's shape; ``key`` is the Dask key as a string.
    """

    index: tuple[int, ...]
    offset: tuple[int, ...]
    shape: tuple[int, ...]
    key: str


def is_dataframe(collection: Any) -> bool:
    """True for a dask dataframe or series (partitions, no chunks), False for a dask array."""
    return hasattr(collection, "npartitions") and not hasattr(collection, "chunks")


def worker_addresses(client) -> list[str]:
    """The addresses of every worker of the client's cluster, sorted."""
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def _key_index(key: Any) -> tuple[int, ...]:
    """The block index at the end of a Dask key ('name', i, j) -> (i, j)."""
    if isinstance(key, tuple) and len(key) > 1 and all(isinstance(k, int) for k in key[1:]):
        return tuple(int(k) for k in key[1:])
    raise HandoffError(f"cannot read a block index from the Dask key {key!r}; is this a dask array or dataframe?")


def _n_blocks(collection: Any) -> int:
    if is_dataframe(collection):
        return int(collection.npartitions)
    return int(np.prod(collection.numblocks, dtype=int))


def _futures_by_index(collection: Any) -> dict[tuple[int, ...], Any]:
    """The persisted collection's futures keyed by block index; HandoffError unless all are finished."""
    from distributed import futures_of  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    if not (hasattr(collection, "chunks") or is_dataframe(collection)):
        raise HandoffError(
            f"expected a dask array or dask dataframe, got {type(collection).__name__}; "
            "wrap other data in da.from_array(...) or dd.from_pandas(...)"
        )
    futures = futures_of(collection)
    expected = _n_blocks(collection)
    if not futures or len(futures) != expected:
        raise HandoffError(
            f"the collection is not persisted on the cluster ({len(futures)} of {expected} blocks "
            f"are held by workers); {PERSIST_HINT}"
        )
    by_index = {_key_index(f.key): f for f in futures}
    pending = [f for f in futures if f.status != "finished"]
    if pending:
        failed = [f for f in pending if f.status == "error"]
        if failed:
            raise HandoffError(f"computing block {failed[0].key!r} failed: {failed[0].exception()!r}")
        raise HandoffError(
            f"{len(pending)} of {len(futures)} blocks are still being computed; wait for them: "
            "distributed.wait(x) after x = client.persist(x)"
        )
    return by_index


def _array_pieces(collection: Any, futures: Mapping[tuple[int, ...], Any]) -> list[tuple[Piece, Any]]:
    starts = [list(accumulate(c, initial=0)) for c in collection.chunks]
    pieces = []
    for index in np.ndindex(*collection.numblocks):
        index = tuple(int(i) for i in index)
        future = futures[index]
        piece = Piece(
            index=index,
            offset=tuple(starts[d][i] for d, i in enumerate(index)),
            shape=tuple(collection.chunks[d][i] for d, i in enumerate(index)),
            key=str(future.key),
        )
        pieces.append((piece, future))
    return pieces


def _dataframe_pieces(
    client, futures: Mapping[tuple[int, ...], Any], holder: Mapping[tuple[int, ...], str]
) -> list[tuple[Piece, Any]]:
    """Partition shapes are not known ahead: ask each holder for its partitions' shapes (no data moves)."""
    order = sorted(futures)
    shape_futures = [
        client.submit(
            lambda part: tuple(int(s) for s in part.shape),
            futures[index],
            workers=[holder[index]],
            allow_other_workers=False,
            pure=False,
        )
        for index in order
    ]
    shapes = client.gather(shape_futures)
    rows = list(accumulate((s[0] for s in shapes), initial=0))
    pieces = []
    for position, (index, shape) in enumerate(zip(order, shapes)):
        offset = (rows[position],) + (0,) * (len(shape) - 1)
        pieces.append((Piece(index=index, offset=offset, shape=shape, key=str(futures[index].key)), futures[index]))
    return pieces


def placed(
    client, collection, workers: Sequence[str] | None = None, who_has: Mapping[Any, Sequence[str]] | None = None
) -> tuple[dict[str, list[Piece]], dict[str, list[Any]]]:
    """Pieces and their futures per worker, in chunk order; every worker present.

    Parameters
    ----------
    client : distributed.Client
        The client of the cluster holding the collection.
    collection : dask array or dask dataframe
        A persisted collection, every block computed.
    workers : sequence of str, optional
        Every worker's address, when the caller already knows them (saves asking the scheduler).
    who_has : mapping, optional
        The scheduler's answer to who holds each block's key, when the caller already asked.

    Returns
    -------
    tuple of dict
        ``(pieces, futures)``: for every worker address, the :class:`Piece`
        objects it holds and their futures, in chunk order (``[]`` for a
        worker that holds nothing).

    Raises
    ------
    HandoffError
        The collection is not persisted, not yet computed, or a block has no holder.
    """
    futures = _futures_by_index(collection)
    if who_has is None:
        who_has = client.who_has(list(futures.values()))
    holder: dict[tuple[int, ...], str] = {}
    for index, future in futures.items():
        holders = who_has.get(future.key) or who_has.get(str(future.key)) or ()
        if not holders:
            raise HandoffError(
                f"no worker holds block {index} any more (a worker died, or the data were released); {PERSIST_HINT}"
            )
        holder[index] = sorted(holders)[0]  # a replicated block counts once, on a fixed worker
    if is_dataframe(collection):
        ordered = _dataframe_pieces(client, futures, holder)
    else:
        ordered = _array_pieces(collection, futures)
    pieces: dict[str, list[Piece]] = {address: [] for address in sorted(workers or worker_addresses(client))}
    blocks: dict[str, list[Any]] = {address: [] for address in pieces}
    for piece, future in ordered:
        address = holder[piece.index]
        pieces.setdefault(address, []).append(piece)
        blocks.setdefault(address, []).append(future)
    return pieces, blocks


def placement(client, collection) -> dict[str, list[Piece]]:
    """Which worker holds which piece of a *persisted* collection, pieces in chunk order.

    Look before you hand over: the answer is what :func:`run_on_workers` will
    give each worker as its ``pieces``. Nothing is computed or moved; the
    scheduler knows where every block lives.

    Parameters
    ----------
    client : distributed.Client
        The client of the cluster holding the collection.
    collection : dask array or dask dataframe
        A collection persisted on that cluster (``x = client.persist(x)``;
        ``distributed.wait(x)``).

    Returns
    -------
    dict of str to list of Piece
        For every worker address of the cluster, the pieces it holds in chunk
        order; a worker that holds nothing appears with ``[]``.

    Raises
    ------
    HandoffError
        The collection is not a dask array or dataframe, is not persisted, is
        not yet computed, or a block is no longer held by any worker.
    """
    return placed(client, collection)[0]
