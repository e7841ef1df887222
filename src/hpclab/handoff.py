"""Hand data prepared by Dask to MPI code, without copying it between machines.

Dask is good at loading, cleaning and reshaping data; some algorithms (a
stencil, a solver, legacy MPI code) need MPI's tight coupling. Two routes
connect them:

* **In memory** (:func:`placement`, :func:`run_on_workers`): under
  ``dask-mpi`` every Dask worker *is* an MPI rank, so a function sent to a
  worker can call MPI on the blocks that already sit in that worker's memory.
  Nothing is copied: each call is pinned to the worker that holds its blocks.
* **On disk** (:func:`write_pieces`, :func:`read_my_share`): Dask writes one
  ``.npy`` file per block plus ``index.json``; any MPI program (started later,
  with any number of ranks) reads its contiguous share back.

The order of blocks is always *chunk order*: C order over the chunk grid
(block (0, 0), (0, 1), ..., (1, 0), ...), partition order for dataframes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

from hpclab.errors import HpclabError

INDEX_FILE = "index.json"
_PERSIST_HINT = "persist it first: x = client.persist(x); distributed.wait(x)"


class HandoffError(HpclabError, RuntimeError):
    """The collection or the cluster cannot be handed over as asked; the message says what to do."""


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


# --------------------------------------------------------------- placement


def _is_dataframe(collection: Any) -> bool:
    return hasattr(collection, "npartitions") and not hasattr(collection, "chunks")


def _key_index(key: Any) -> tuple[int, ...]:
    """The block index at the end of a Dask key ('name', i, j) -> (i, j)."""
    if isinstance(key, tuple) and len(key) > 1 and all(isinstance(k, int) for k in key[1:]):
        return tuple(int(k) for k in key[1:])
    raise HandoffError(f"cannot read a block index from the Dask key {key!r}; is this a dask array or dataframe?")


def _futures_by_index(collection: Any) -> dict[tuple[int, ...], Any]:
    """The persisted collection's futures keyed by block index; HandoffError unless all are finished."""
    from distributed import futures_of

    if not (hasattr(collection, "chunks") or _is_dataframe(collection)):
        raise HandoffError(
            f"expected a dask array or dask dataframe, got {type(collection).__name__}; "
            "wrap other data in da.from_array(...) or dd.from_pandas(...)"
        )
    futures = futures_of(collection)
    expected = _n_blocks(collection)
    if not futures or len(futures) != expected:
        raise HandoffError(
            f"the collection is not persisted on the cluster ({len(futures)} of {expected} blocks "
            f"are held by workers); {_PERSIST_HINT}"
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


def _n_blocks(collection: Any) -> int:
    if _is_dataframe(collection):
        return int(collection.npartitions)
    return int(np.prod(collection.numblocks, dtype=int))


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


def _workers(client) -> list[str]:
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def _placed(client, collection) -> tuple[dict[str, list[Piece]], dict[str, list[Any]]]:
    """Pieces and their futures per worker, in chunk order; every worker present."""
    futures = _futures_by_index(collection)
    who_has = client.who_has(list(futures.values()))
    holder: dict[tuple[int, ...], str] = {}
    for index, future in futures.items():
        holders = who_has.get(future.key) or who_has.get(str(future.key)) or ()
        if not holders:
            raise HandoffError(
                f"no worker holds block {index} any more (a worker died, or the data were released); {_PERSIST_HINT}"
            )
        holder[index] = sorted(holders)[0]  # a replicated block counts once, on a fixed worker
    if _is_dataframe(collection):
        ordered = _dataframe_pieces(client, futures, holder)
    else:
        ordered = _array_pieces(collection, futures)
    pieces: dict[str, list[Piece]] = {address: [] for address in _workers(client)}
    blocks: dict[str, list[Any]] = {address: [] for address in pieces}
    for piece, future in ordered:
        address = holder[piece.index]
        pieces.setdefault(address, []).append(piece)
        blocks.setdefault(address, []).append(future)
    return pieces, blocks


def placement(client, collection) -> dict[str, list[Piece]]:
    """Which worker holds which piece of a *persisted* collection, pieces in chunk order.

    Every worker of the cluster appears, with ``[]`` if it holds nothing.
    Raises :class:`HandoffError` if the collection is not persisted or not yet
    computed.
    """
    return _placed(client, collection)[0]


# ------------------------------------------------------------ in memory


def _mpi_status() -> dict[str, Any]:
    """Runs on a worker: is this process an initialized MPI rank? (Never initializes MPI itself.)"""
    import sys

    module = sys.modules.get("mpi4py.MPI")
    if module is None or not module.Is_initialized() or module.Is_finalized():
        return {"mpi": False}
    world = module.COMM_WORLD
    return {
        "mpi": True,
        "size": world.Get_size(),
        "rank": world.Get_rank(),
        "thread": module.Query_thread(),
        "multiple": module.THREAD_MULTIPLE,
    }


def _world_ranks(client, workers: Sequence[str]) -> dict[str, int]:
    """Each worker's rank in MPI_COMM_WORLD; HandoffError unless all are ranks of one MPI job."""
    status = client.run(_mpi_status, workers=list(workers))
    not_mpi = sorted(address for address, s in status.items() if not s["mpi"])
    if not_mpi:
        raise HandoffError(
            f"the workers are not MPI ranks of one job ({len(not_mpi)} of {len(status)} have no MPI, "
            f"e.g. {not_mpi[0]}): mpi=True needs workers started by dask-mpi inside one MPI job "
            "(`mpiexec -n 5 python -m mpi4py program.py` with dask_mpi.initialize(), or srun in a batch "
            "job). On a LocalCluster use mpi=False, or the disk route (write_pieces / read_my_share)."
        )
    sizes = {s["size"] for s in status.values()}
    ranks = [s["rank"] for s in status.values()]
    if len(sizes) != 1 or len(set(ranks)) != len(ranks):
        raise HandoffError(
            "the workers are not MPI ranks of one job: they report COMM_WORLD sizes "
            f"{sorted(sizes)} and ranks {sorted(ranks)} (one job has one size and distinct ranks). "
            "Start all workers with dask-mpi in a single mpiexec/srun."
        )
    low = sorted(address for address, s in status.items() if s["thread"] < s["multiple"])
    if low:
        raise HandoffError(
            f"MPI on worker {low[0]} was initialized without MPI_THREAD_MULTIPLE, but the handoff calls MPI "
            "from a worker thread. Do not lower mpi4py.rc.thread_level (its default is 'multiple'), or use "
            "an MPI library built with thread support."
        )
    return {address: s["rank"] for address, s in status.items()}


def comm_order(pieces: Mapping[str, Sequence[Piece]], world_ranks: Mapping[str, int]) -> list[str]:
    """Workers in communicator rank order: by the chunk-order position of the first piece each holds;
    workers holding nothing come last, by their world rank."""
    # Block indices sort in chunk order (C order over the grid; partition order for dataframes).
    first = {address: min(p.index for p in held) for address, held in pieces.items() if held}
    holding = sorted(first, key=first.get)
    empty = sorted((a for a in pieces if a not in first), key=lambda a: world_ranks.get(a, 0))
    return holding + empty


def _call_on_worker(
    func: Callable,
    pieces: list[Piece],
    blocks: list[Any],
    group_ranks: list[int] | None,
    tag: int,
    args: tuple,
    kwargs: dict,
) -> Any:
    """Runs on one worker: build the communicator (collective over the workers only), call func, free it."""
    if group_ranks is None:
        return func(pieces, list(blocks), None, *args, **kwargs)
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    group = world.Get_group().Incl(group_ranks)
    try:
        comm = world.Create_group(group, tag)
    finally:
        group.Free()
    try:
        return func(pieces, list(blocks), comm, *args, **kwargs)
    finally:
        comm.Free()


def run_on_workers(
    client,
    collection,
    func: Callable,
    *,
    mpi: bool = False,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Call ``func(pieces, blocks, comm, *args, **kwargs)`` once on every worker; return ``{address: result}``.

    ``pieces``/``blocks`` are the worker's own :class:`Piece` descriptions and
    data (NumPy arrays, or pandas objects for dataframes) in chunk order. Each
    call is pinned to its worker and takes that worker's block futures, so no
    data moves between workers. Workers holding nothing are called too, with
    empty lists, so collective MPI calls inside ``func`` cannot deadlock.

    ``comm`` is None unless ``mpi=True``; then every worker must be an MPI rank
    of one job (dask-mpi) and ``comm`` is a fresh communicator of exactly the
    workers, in the order of :func:`comm_order`: comm rank 0 holds the first
    block in chunk order, rank 1 the first block not on rank 0, ...; workers
    with no blocks get the last ranks. It is freed when ``func`` returns.

    An exception in ``func`` is raised here. With MPI, the other workers may
    then wait forever inside a collective: let the program end (under
    ``python -m mpi4py`` the whole job aborts) and pass ``timeout`` (seconds)
    to bound the wait.
    """
    pieces, futures = _placed(client, collection)
    group_ranks = None
    order = list(pieces)
    if mpi:
        world = _world_ranks(client, list(pieces))
        order = comm_order(pieces, world)
        group_ranks = [world[address] for address in order]
    tag = uuid.uuid4().int % 30_000  # Create_group tags must stay below MPI_TAG_UB (>= 32767)
    name = getattr(func, "__name__", "func")
    token = uuid.uuid4().hex
    calls = {
        address: client.submit(
            _call_on_worker,
            func,
            pieces[address],
            futures[address],
            group_ranks,
            tag,
            tuple(args),
            dict(kwargs or {}),
            key=f"handoff-{name}-{token}-{n}",
            workers=[address],
            allow_other_workers=False,
            pure=False,
        )
        for n, address in enumerate(order)
    }
    from distributed import as_completed

    try:
        for finished in as_completed(list(calls.values()), timeout=timeout):
            if finished.status == "error":
                break  # gather raises it now: do not wait for partners that may never return
    except TimeoutError:
        stuck = sum(1 for f in calls.values() if not f.done())
        raise TimeoutError(
            f"run_on_workers: {stuck} of {len(calls)} calls of {name} did not finish within {timeout:g} s"
            + (
                " (with mpi=True, a worker waiting in a collective that a partner never reaches never returns)"
                if mpi
                else ""
            )
        ) from None
    results = client.gather(list(calls.values()))
    return dict(zip(calls, results))


# ---------------------------------------------------------------- on disk


def _write_block(block: np.ndarray, path: str) -> str:
    np.save(path, np.asarray(block), allow_pickle=False)
    return path


def write_pieces(collection, folder: str | Path) -> Path:
    """Write each block of a dask array to ``folder`` as ``block-i-j.npy`` plus an ``index.json``.

    The blocks are written by the workers in parallel (or by the local
    scheduler). ``index.json`` records shape, dtype, chunks and, for every
    block in chunk order, its index, offset, shape, key and file name.
    Returns the folder.
    """
    import dask

    if _is_dataframe(collection):
        raise HandoffError(
            "write_pieces writes dask arrays; turn the dataframe into one first: "
            "df.to_dask_array(lengths=True) (numeric columns only)"
        )
    if not hasattr(collection, "chunks") or not hasattr(collection, "to_delayed"):
        raise HandoffError(f"write_pieces expects a dask array, got {type(collection).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / INDEX_FILE).exists():
        (folder / INDEX_FILE).unlink()  # a half-written folder must never look complete
    for old in folder.glob("block-*.npy"):
        old.unlink()
    starts = [list(accumulate(c, initial=0)) for c in collection.chunks]
    delayed_blocks = collection.to_delayed()
    keys = collection.__dask_keys__()
    entries, writes = [], []
    for index in np.ndindex(*collection.numblocks):
        index = tuple(int(i) for i in index)
        name = "block-" + "-".join(map(str, index)) + ".npy" if index else "block.npy"
        key = keys
        for i in index:
            key = key[i]
        writes.append(dask.delayed(_write_block)(delayed_blocks[index], str(folder / name)))
        entries.append(
            {
                "index": list(index),
                "offset": [starts[d][i] for d, i in enumerate(index)],
                "shape": [collection.chunks[d][i] for d, i in enumerate(index)],
                "key": str(key),
                "file": name,
            }
        )
    dask.compute(*writes)
    meta = {
        "shape": [int(s) for s in collection.shape],
        "dtype": np.dtype(collection.dtype).str,
        "chunks": [list(map(int, c)) for c in collection.chunks],
        "blocks": entries,
    }
    (folder / INDEX_FILE).write_text(json.dumps(meta, indent=1))
    return folder


def read_index(folder: str | Path) -> dict[str, Any]:
    """The ``index.json`` that :func:`write_pieces` wrote, with a clear error if it is missing."""
    path = Path(folder) / INDEX_FILE
    if not path.is_file():
        raise HandoffError(
            f"{path} does not exist: write the blocks first with hpclab.handoff.write_pieces(x, {str(folder)!r}) "
            "(and let it finish: index.json is written last)"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise HandoffError(f"{path} is not valid JSON ({exc}); write the blocks again with write_pieces") from None


def share(n_blocks: int, rank: int, size: int) -> range:
    """The block numbers (chunk order) rank ``rank`` of ``size`` reads: a contiguous, even split."""
    if size < 1 or not 0 <= rank < size:
        raise HandoffError(f"rank {rank} of size {size} is impossible: need size >= 1 and 0 <= rank < size")
    base, extra = divmod(n_blocks, size)
    start = rank * base + min(rank, extra)
    return range(start, start + base + (1 if rank < extra else 0))


def read_my_share(folder: str | Path, rank: int, size: int) -> tuple[list[Piece], list[np.ndarray]]:
    """The pieces and blocks rank ``rank`` of ``size`` should read from a :func:`write_pieces` folder.

    Blocks are split contiguously in chunk order (the first ranks get one
    more when they do not divide evenly); a rank may get none.
    """
    meta = read_index(folder)
    pieces, blocks = [], []
    for number in share(len(meta["blocks"]), rank, size):
        entry = meta["blocks"][number]
        path = Path(folder) / entry["file"]
        if not path.is_file():
            raise HandoffError(
                f"{path} is listed in {INDEX_FILE} but missing; write the blocks again with write_pieces"
            )
        block = np.load(path, allow_pickle=False)
        pieces.append(
            Piece(
                index=tuple(entry["index"]),
                offset=tuple(entry["offset"]),
                shape=tuple(entry["shape"]),
                key=entry["key"],
            )
        )
        blocks.append(block)
    return pieces, blocks
