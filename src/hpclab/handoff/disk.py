"""The disk route: Dask writes one ``.npy`` file per block plus ``index.json``; MPI ranks read their share.

The two sides never run at the same time: any MPI program, started later
with any number of ranks, reads back a contiguous share of the blocks
(:func:`share`), so the folder doubles as a checkpoint. The MPI side needs
only NumPy (reading never imports Dask).
"""

from __future__ import annotations

import json
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

from hpclab.handoff.blocks import Piece, is_dataframe
from hpclab.handoff.errors import HandoffError

INDEX_FILE = "index.json"


def _write_block(block: np.ndarray, path: str) -> str:
    np.save(path, np.asarray(block), allow_pickle=False)
    return path


def write_pieces(collection, folder: str | Path) -> Path:
    """Write each block of a dask array to ``folder`` as ``block-i-j.npy`` plus an ``index.json``.

    The blocks are written by the workers in parallel (or by the local
    scheduler). ``index.json`` records shape, dtype, chunks and, for every
    block in chunk order, its index, offset, shape, key and file name; it is
    written last, so a folder with an index is complete. Old blocks in the
    folder are removed first.

    Parameters
    ----------
    collection : dask.array.Array
        The array to write (persisted or not).
    folder : str or Path
        Where to write; made if missing.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    HandoffError
        ``collection`` is a dask dataframe (turn it into an array first:
        ``df.to_dask_array(lengths=True)``) or not a dask array at all.
    """
    import dask  # noqa: PLC0415  heavy: MPI ranks of the disk route import hpclab.handoff without Dask

    if is_dataframe(collection):
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
    more when they do not divide evenly); a rank may get none. Only NumPy is
    needed: an MPI program reads its share without Dask.

    Parameters
    ----------
    folder : str or Path
        A folder :func:`write_pieces` wrote.
    rank : int
        This process's rank, ``0 <= rank < size`` (e.g. ``comm.rank``).
    size : int
        How many ranks share the blocks (e.g. ``comm.size``).

    Returns
    -------
    tuple of (list of Piece, list of numpy.ndarray)
        This rank's pieces and their blocks, in chunk order (both empty when
        the rank gets none).

    Raises
    ------
    HandoffError
        ``index.json`` is missing or not valid JSON, a listed block file is
        missing, or ``rank``/``size`` are impossible.
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
