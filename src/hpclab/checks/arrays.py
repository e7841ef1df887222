"""Checks for lesson 03-dask-arrays: chunks, laziness, persist, rechunk, map_blocks."""

from __future__ import annotations

import numpy as np
from distributed import futures_of

from hpclab.checks import Question, Wrong, check, require, require_dask_array

LESSON = "03-dask-arrays"
Q1 = Question(LESSON, "q1", "an array in the blocks you chose", points=1, level=1)
Q2 = Question(LESSON, "q2", "a lazy reduction", points=1, level=1)
Q3 = Question(LESSON, "q3", "persist on the cluster", points=2, level=2)
Q4 = Question(LESSON, "q4", "rechunk into whole rows", points=2, level=2)
Q5 = Question(LESSON, "q5", "a block-wise function with map_blocks", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]


@check(Q1)
def check_q1(grid) -> str:
    """Check ``grid``: a lazy 6000 x 4000 Dask array of random numbers in [0, 1), in blocks of 1500 x 1000.

    Looks at the shape, the chunks and the dtype, at how the numbers are made (by Dask, block by block, not wrapped
    from a NumPy array made beforehand), and at the numbers of one block.

    Parameters
    ----------
    grid : dask.array.Array
        Your array, not computed.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(grid, "grid")
    grid = require_dask_array(grid, "grid")
    if grid.shape != (6000, 4000):
        raise Wrong(f"`grid` has shape {grid.shape}; it should be 6000 rows by 4000 columns")
    expected = ((1500,) * 4, (1000,) * 4)
    if grid.chunks != expected:
        raise Wrong(
            f"`grid.chunks` is {grid.chunks}: ask for blocks of 1500 rows by 1000 columns with chunks=(1500, 1000)"
        )
    if grid.dtype != np.float64:
        raise Wrong(f"`grid` holds {grid.dtype}; random numbers in [0, 1) are float64")
    if any(str(name).startswith("array-") for name in grid.__dask_graph__().layers):
        raise Wrong(
            "`grid` wraps a NumPy array that already holds every number (da.from_array): the numbers were "
            "made before Dask could split the work. Let Dask make them block by block with its own "
            "random generator, da.random.default_rng(...)"
        )
    block = np.asarray(grid.blocks[0, 0].compute())  # one block is enough to see what kind of numbers
    if (
        not (block.min() >= 0.0 and block.max() < 1.0)
        or not 0.45 < block.mean() < 0.55
        or not 0.27 < block.std() < 0.31
    ):
        raise Wrong(
            f"the first block runs from {block.min():.3g} to {block.max():.3g} with mean {block.mean():.3g}: "
            "`grid` should hold random numbers spread evenly over [0, 1), as a random generator "
            "(da.random.default_rng(...).random) makes them"
        )
    return f"{grid.npartitions} blocks of {grid.chunksize}, and not one number made yet"


@check(Q2)
def check_q2(col_means, data) -> str:
    """Check ``col_means``: the mean of every column of ``data``, as a lazy Dask array.

    It must be built from ``data``'s own task graph (not computed and wrapped again), hold one value per column, and
    match NumPy's column means once computed.

    Parameters
    ----------
    col_means : dask.array.Array
        Your lazy result, one mean per column.
    data : dask.array.Array
        The lesson's 2-d array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(col_means, "col_means")
    col_means = require_dask_array(col_means, "col_means")
    _require_built_from(col_means, data, "col_means", "data.mean(axis=0)")
    if col_means.shape != (data.shape[1],):
        raise Wrong(
            f"`col_means` has shape {col_means.shape}; one mean per column gives shape ({data.shape[1]},): "
            "average over axis=0 (down the rows)"
        )
    expected = data.compute().mean(axis=0)
    got = np.asarray(col_means.compute())
    if not np.allclose(got, expected):
        raise Wrong("the values differ from the mean of each column of `data`")
    return f"{len(col_means.dask)} tasks waiting, {col_means.shape[0]} means once computed"


@check(Q3)
def check_q3(kept, data) -> str:
    """Check ``kept``: ``data`` persisted, its blocks computed and held in the workers' memory.

    Looks for one finished future per block (a graph with no task left to run), the chunks of ``data`` and the same
    sum.

    Parameters
    ----------
    kept : dask.array.Array
        ``data`` persisted on the running cluster.
    data : dask.array.Array
        The lesson's 2-d array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(kept, "kept")
    kept = require_dask_array(kept, "kept")
    futures = futures_of(kept)
    if not futures:
        raise Wrong("`kept` holds no results on the workers: call .persist() on `data` while the client is running")
    if len(kept.dask) != kept.npartitions or len(futures) != kept.npartitions:
        raise Wrong(
            f"`kept` still has {len(kept.dask)} tasks for {kept.npartitions} blocks: persist `data` itself, "
            "so that its graph is just one finished piece per block"
        )
    if kept.chunks != data.chunks or not np.isclose(float(kept.sum().compute()), float(data.sum().compute())):
        raise Wrong("`kept` does not hold the same numbers as `data`: persist `data` unchanged")
    return f"{len(futures)} blocks kept in worker memory, ready for the next computation"


@check(Q4)
def check_q4(rows, data) -> str:
    """Check ``rows``: ``data`` rechunked into blocks of 250 complete rows, with the same values.

    It must be built lazily from ``data``, keep its shape, and hold whole rows in every block.

    Parameters
    ----------
    rows : dask.array.Array
        Your rechunked array.
    data : dask.array.Array
        The lesson's 2-d array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(rows, "rows")
    rows = require_dask_array(rows, "rows")
    _require_built_from(rows, data, "rows", "data.rechunk(...)")
    n_rows, n_cols = data.shape
    if rows.shape != data.shape:
        raise Wrong(f"`rows` has shape {rows.shape}, but rechunking must keep the shape {data.shape}")
    if rows.chunks[1] != (n_cols,):
        raise Wrong(
            f"blocks of `rows` split the columns as {rows.chunks[1]}: each block must hold whole rows ({n_cols} columns)"
        )
    if rows.chunks[0] != (250,) * (n_rows // 250):
        raise Wrong(f"`rows` splits the rows as {rows.chunks[0][:5]}...; ask for 250 rows per block")
    if not np.array_equal(rows[::499].compute(), data[::499].compute()):
        raise Wrong("`rows` holds different numbers from `data`: rechunk changes the blocks, never the values")
    return f"{rows.npartitions} blocks of 250 complete rows, same values"


@check(Q5)
def check_q5(scale_block, scaled, data) -> str:
    """Check ``scale_block`` and ``scaled``: every block of ``data`` rescaled to run from 0 to 1, with ``map_blocks``.

    First calls ``scale_block`` on a small NumPy block, then checks that ``scaled`` comes from ``data``'s graph,
    keeps its chunks, and that every block is scaled by its own minimum and maximum.

    Parameters
    ----------
    scale_block : callable
        Your function: ``scale_block(block) -> numpy.ndarray``, the block minus its minimum, divided by its range.
    scaled : dask.array.Array
        ``scale_block`` applied to every block of ``data``, not computed.
    data : dask.array.Array
        The lesson's 2-d array.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(scale_block, "scale_block")
    block = np.array([[-2.0, 0.0], [6.0, 2.0]])
    got = scale_block(block.copy())
    expected_block = (block + 2.0) / 8.0
    if not isinstance(got, np.ndarray) or got.shape != block.shape:
        raise Wrong(f"scale_block should return a NumPy array of the block's shape {block.shape}, not {got!r}")
    if not np.allclose(got, expected_block):
        raise Wrong(
            f"scale_block({block.tolist()}) gave {np.round(got, 3).tolist()}, expected {expected_block.tolist()}"
        )
    require(scaled, "scaled")
    scaled = require_dask_array(scaled, "scaled")
    _require_built_from(scaled, data, "scaled", "data.map_blocks(scale_block)")
    if scaled.chunks != data.chunks:
        raise Wrong(f"`scaled` has chunks {scaled.chunks}; map_blocks on `data` keeps {data.chunks}")
    values, original = scaled.compute(), data.compute()
    for (r0, r1), (c0, c1) in _block_bounds(data.chunks):
        piece = original[r0:r1, c0:c1]
        want = (piece - piece.min()) / (piece.max() - piece.min())
        if not np.allclose(values[r0:r1, c0:c1], want):
            raise Wrong(
                f"block rows {r0}:{r1}, columns {c0}:{c1} is not scaled by its own min and max: "
                "apply scale_block to `data` with data.map_blocks(scale_block)"
            )
    return "every block runs from 0 to 1 on its own: map_blocks sees one block at a time"


def _require_built_from(result, data, name: str, how: str) -> None:
    """Wrong unless ``result``'s task graph starts from ``data``'s: computed from it lazily, not a copy."""
    if not set(data.__dask_graph__()) & set(result.__dask_graph__()):
        raise Wrong(
            f"`{name}` does not come from `data`'s task graph: build it lazily from `data` "
            f"(e.g. {how}) instead of computing the numbers and wrapping them again"
        )


def _block_bounds(chunks):
    """(start, stop) pairs of every block of a 2-d chunks tuple."""

    def edges(sizes):
        starts = np.cumsum((0,) + tuple(sizes))
        return list(zip(starts[:-1], starts[1:]))

    return [(r, c) for r in edges(chunks[0]) for c in edges(chunks[1])]
