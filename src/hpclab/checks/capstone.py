"""Checks for lesson 12-capstone: clean and reduce with Dask, then smooth and average with MPI.

The Dask answers (Q1, Q2) are functions of a DataArray, checked against NumPy
on the same data. The MPI answers (Q3, Q4) are functions
``f(pieces, blocks, comm, ...)`` as :func:`hpclab.handoff.run_on_workers`
calls them; the check pastes the function's source into a short program and
runs it for real on 3 MPI ranks with an awkward layout: rank 0 holds blocks 0
and 3, rank 1 holds nothing, rank 2 holds blocks 1 and 2. Q4's halo exchange
must also be point-to-point: its syntax tree may not call a collective that
moves data (allgather, bcast, alltoall, ...) inside a loop, where it would run
on every sweep; one before the loop (the owner map) is fine. A reduction in the
sweep loop (a convergence test: ``comm.allreduce(change, op=MPI.MAX)``) is fine
too as long as it reduces a few numbers: the check hands ``smooth`` a
communicator that counts the values every reduction carries, so an allreduce
that carries the halo rows themselves is caught.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import numpy as np
from dask import is_dask_collection

from hpclab import mpi
from hpclab.checks import NotAttempted, Question, Wrong, check, mpicheck, plain, require
from hpclab.handoff import Piece

LESSON = "12-capstone"
Q1 = Question(LESSON, "q1", "clean the readings with Dask", points=1, level=1)
Q2 = Question(LESSON, "q2", "reduce to a map in row blocks", points=2, level=2)
Q3 = Question(LESSON, "q3", "an area-weighted mean with Allreduce", points=2, level=2)
Q4 = Question(LESSON, "q4", "Jacobi smoothing with a halo exchange", points=3, level=3)
Q5 = Question(LESSON, "q5", "put the blocks back together", points=1, level=1)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]

#: Readings outside this range (in K) are broken; the lesson's fill value is -9999.
VALID_K = (180.0, 340.0)
KELVIN = 273.15


# --------------------------------------------------------------------------- references


def reference_clean(air):
    """NaN where a reading is outside :data:`VALID_K`, then Kelvin to degrees Celsius (lazy)."""
    return air.where((air > VALID_K[0]) & (air < VALID_K[1])) - KELVIN


def reference_smooth(field: np.ndarray, sweeps: int) -> np.ndarray:
    """``sweeps`` Jacobi sweeps: each inner point becomes the mean of its 4 neighbours; edges stay."""
    a = np.array(field, dtype=float)
    for _ in range(sweeps):
        new = a.copy()
        new[1:-1, 1:-1] = (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:]) / 4
        a = new
    return a


def reference_area_mean(field: np.ndarray, lat: np.ndarray) -> float:
    """Mean of a (lat, lon) map with each row weighted by cos(latitude): grid cells shrink poleward."""
    weights = np.cos(np.radians(np.asarray(lat, dtype=float)))
    return float((weights[:, None] * field).sum() / (weights.sum() * field.shape[1]))


# --------------------------------------------------------------------------- helpers


def _source(func, name: str) -> str:
    """The source of the learner's function, for pasting into an MPI program."""
    require(func, name)
    if not callable(func):
        raise Wrong(f"`{name}` should be a function, not {type(func).__name__}")
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        raise Wrong(
            f"cannot read the source of `{name}`: define it with `def {name}(...)` in a notebook cell"
        ) from None
    if "raise NotImplementedError" in source:
        raise NotAttempted(f"write the body of `{name}` (replace `raise NotImplementedError()`), then run this cell")
    if source.lstrip().startswith("lambda") or f"def {func.__name__}" not in source:
        raise Wrong(f"define `{name}` with `def {name}(...)`: a lambda cannot be sent to the MPI ranks as text")
    return source


# Three ranks, four row blocks of a 10 x 7 map: placed unevenly and out of order on purpose.
_SHAPE = (10, 7)
_LAT = np.linspace(70.0, 20.0, _SHAPE[0])
_BOUNDS = [(0, 3), (3, 5), (5, 8), (8, 10)]
_OWNER = {0: [0, 3], 1: [], 2: [1, 2]}

# Each rank builds the whole map inside a function and keeps only its own blocks, so
# the learner's function (pasted below this) cannot read the map instead of using MPI.
# The seed comes on the command line and is removed from sys.argv before their code runs.
_LAYOUT = f"""
import sys

import numpy as np
from mpi4py import MPI
from hpclab.handoff import Piece


def _hpclab_my_blocks(seed):
    whole = np.random.default_rng(seed).normal(15, 8, size={_SHAPE!r})
    bounds = {_BOUNDS!r}
    owner = {_OWNER!r}
    mine = [Piece(index=(b, 0), offset=(bounds[b][0], 0), shape=(bounds[b][1] - bounds[b][0], {_SHAPE[1]}),
                  key=f"b{{b}}") for b in owner[MPI.COMM_WORLD.rank]]
    return mine, [whole[p.offset[0]:p.offset[0] + p.shape[0]].copy() for p in mine]


comm = MPI.COMM_WORLD
lat = np.linspace({float(_LAT[0])!r}, {float(_LAT[-1])!r}, {_SHAPE[0]})
pieces, blocks = _hpclab_my_blocks(int(sys.argv.pop(1)))
del _hpclab_my_blocks
"""


def _whole_map(seed: int) -> np.ndarray:
    """The map the ranks of :data:`_LAYOUT` split between them for ``seed``."""
    return np.random.default_rng(seed).normal(15, 8, size=_SHAPE)


def _run(func, name: str, call: str, collect: list[str]) -> tuple[mpi.MPIResult, np.ndarray]:
    """Run the learner's function on a fresh random map; the result and that map (for the expected values)."""
    seed = int(np.random.default_rng().integers(2**31))
    program = _LAYOUT + "\n\n" + _source(func, name) + "\n\n" + call + "\n"
    return mpicheck.run_answer(program, name, n=3, collect=collect, args=[str(seed)]), _whole_map(seed)


#: Collectives that move data between every rank: fine once (the owner map), not on every sweep.
_COLLECTIVES = frozenset(
    {
        "allgather",
        "Allgather",
        "Allgatherv",
        "gather",
        "Gather",
        "Gatherv",
        "bcast",
        "Bcast",
        "scatter",
        "Scatter",
        "Scatterv",
        "alltoall",
        "Alltoall",
        "Alltoallv",
        "Alltoallw",
        "allreduce",
        "Allreduce",
        "reduce",
        "Reduce",
        "Reduce_scatter",
        "Reduce_scatter_block",
        "Iallgather",
        "Iallgatherv",
        "Igather",
        "Igatherv",
        "Ibcast",
        "Ialltoall",
        "Ialltoallv",
        "Iallreduce",
        "Ireduce",
        "scan",
        "Scan",
        "exscan",
        "Exscan",
    }
)
#: Reductions: in the sweep loop only for a few numbers (a convergence test), which the check measures.
_REDUCTIONS = frozenset({"allreduce", "Allreduce", "Iallreduce", "reduce", "Reduce", "Ireduce"})
#: At most this many values per sweep may go through reductions (a residual, a count, ...).
REDUCED_PER_SWEEP = 4
#: Q4's number of sweeps.
SWEEPS = 3

# The communicator Q4 hands to smooth: COMM_WORLD, counting the values each reduction carries
# (its list is collected from every rank after the run).
_COUNTING_COMM = """
_hpclab_reduced = []


def _hpclab_size(buf):
    if isinstance(buf, (list, tuple)) and buf and not np.isscalar(buf[0]):
        buf = buf[0]
    try:
        return int(np.size(buf))
    except Exception:
        return 1


class _HpclabCountingComm(MPI.Intracomm):
    def allreduce(self, sendobj, op=MPI.SUM):
        _hpclab_reduced.append(_hpclab_size(sendobj))
        return super().allreduce(sendobj, op)

    def reduce(self, sendobj, op=MPI.SUM, root=0):
        _hpclab_reduced.append(_hpclab_size(sendobj))
        return super().reduce(sendobj, op, root)

    def Allreduce(self, sendbuf, recvbuf, op=MPI.SUM):
        _hpclab_reduced.append(_hpclab_size(recvbuf))
        return super().Allreduce(sendbuf, recvbuf, op)

    def Iallreduce(self, sendbuf, recvbuf, op=MPI.SUM):
        _hpclab_reduced.append(_hpclab_size(recvbuf))
        return super().Iallreduce(sendbuf, recvbuf, op)

    def Reduce(self, sendbuf, recvbuf, op=MPI.SUM, root=0):
        _hpclab_reduced.append(_hpclab_size(sendbuf if recvbuf is None or self.rank != root else recvbuf))
        return super().Reduce(sendbuf, recvbuf, op, root)

    def Ireduce(self, sendbuf, recvbuf, op=MPI.SUM, root=0):
        _hpclab_reduced.append(_hpclab_size(sendbuf if recvbuf is None or self.rank != root else recvbuf))
        return super().Ireduce(sendbuf, recvbuf, op, root)


_hpclab_comm = _HpclabCountingComm(comm)
"""

#: Messages to chosen ranks (and neighbourhood collectives, which need a graph topology).
_POINT_TO_POINT = frozenset(
    {
        "send",
        "recv",
        "isend",
        "irecv",
        "sendrecv",
        "ssend",
        "issend",
        "bsend",
        "ibsend",
        "Send",
        "Recv",
        "Isend",
        "Irecv",
        "Sendrecv",
        "Sendrecv_replace",
        "Ssend",
        "Issend",
        "Bsend",
        "Ibsend",
        "Rsend",
        "Irsend",
        "Send_init",
        "Recv_init",
        "Mrecv",
        "Imrecv",
        "neighbor_allgather",
        "neighbor_alltoall",
        "Neighbor_allgather",
        "Neighbor_allgatherv",
        "Neighbor_alltoall",
        "Neighbor_alltoallv",
        "Neighbor_alltoallw",
    }
)


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _repeated(node: ast.AST) -> list[ast.AST]:
    """The parts of a loop evaluated on every pass (a for loop's iterable is evaluated once)."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return list(node.body)
    if isinstance(node, ast.While):
        return [node.test, *node.body]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        first, *rest = node.generators
        results = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return [*results, *first.ifs, *rest]
    return []


def collectives_in_loops(source: str) -> list[tuple[str, str, int]]:
    """``(called name, collective, line)`` for each data-moving collective called inside a loop.

    A call of a function defined inside ``source`` counts as the collectives that
    function calls (``called name`` is then the function's name). Read from the
    syntax tree, so comments and strings never count.
    """
    tree = ast.parse(source)
    defs = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inner = defs[1:] if defs and tree.body and defs[0] is tree.body[0] else defs
    calls_of = {
        d.name: {name for c in ast.walk(d) if isinstance(c, ast.Call) and (name := _call_name(c)) is not None}
        for d in inner
    }
    hidden = {name: sorted(calls & _COLLECTIVES) for name, calls in calls_of.items() if calls & _COLLECTIVES}
    changed = True
    while changed:  # a helper that calls a helper that calls a collective
        changed = False
        for name, calls in calls_of.items():
            reached = sorted({c for h in calls & set(hidden) for c in hidden[h]} | set(hidden.get(name, [])))
            if reached and hidden.get(name) != reached:
                hidden[name], changed = reached, True
    seen: set[int] = set()
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(tree):
        for part in _repeated(node):
            for call in ast.walk(part):
                if not isinstance(call, ast.Call) or id(call) in seen:
                    continue
                seen.add(id(call))
                name = _call_name(call)
                if name is None:
                    continue
                if name in _COLLECTIVES:
                    found.append((name, name, call.lineno))
                elif name in hidden:
                    found.append((name, hidden[name][0], call.lineno))
    return sorted(found, key=lambda item: item[2])


def _require_neighbour_halo(source: str, name: str) -> bool:
    """:class:`Wrong` if the halo is a collective on every sweep instead of messages to the neighbours.

    A reduction inside the loop is let through here (a convergence test is a sound pattern); the
    return value says whether there is one, so that the run can measure how much it carries.
    """
    try:
        found = collectives_in_loops(source)
    except SyntaxError:
        return False  # cannot happen for a function Python has defined; running it reports anything else
    moving = [item for item in found if item[1] not in _REDUCTIONS]
    if moving:
        called, collective, line = moving[0]
        via = f"`{called}` (which calls `{collective}`)" if called != collective else f"`{collective}`"
        raise Wrong(
            f"`{name}` calls {via} inside a loop (line {line} of `{name}`), so every sweep is a collective of "
            "all ranks (an allgather hands each rank every block's edges): traffic and waiting that grow with "
            "the number of ranks. "
            "Work out once, before the sweep loop, which rank holds the block above and below each of your "
            "blocks (one `comm.allgather` of your blocks' first and last rows is fine there), then on each "
            "sweep send your edge rows only to those ranks: `comm.Isend`/`comm.Irecv` and "
            "`MPI.Request.Waitall`, or `comm.Sendrecv` (a reduction of one number per sweep, such as a "
            "convergence test, is fine)"
        )
    return bool(found)


def _require_small_reductions(result: mpi.MPIResult, name: str, sweeps: int) -> None:
    """:class:`Wrong` if the reductions on some rank carried more than a few values per sweep (rows, not a residual)."""
    for rank in range(result.n):
        sizes: Any = result.values.get(rank, {}).get("_hpclab_reduced") or []
        carried = sum(int(n) for n in sizes)
        if carried > REDUCED_PER_SWEEP * sweeps:
            raise Wrong(
                f"on rank {rank} the reductions in `{name}` carried {carried} values over {sweeps} sweeps: "
                "that is the halo rows travelling through a collective of all ranks, not a convergence test. "
                "Reduce one number per sweep (comm.allreduce(change, op=MPI.MAX)) if you test convergence, "
                "and send the edge rows only to the ranks that hold the neighbouring blocks"
            )


# --------------------------------------------------------------------------- checks


@check(Q1)
def check_q1(clean, raw) -> str:
    """Check ``clean``: broken readings masked as NaN and the rest converted from Kelvin to °C, lazily.

    Calls ``clean(raw)``: the result must still be a Dask collection of the same shape, with NaN exactly where a
    reading lies outside 180–340 K, and the other readings minus 273.15.

    Parameters
    ----------
    clean : callable
        Your function: ``clean(air) -> xarray.DataArray``, lazy (no ``.values``, ``.load()`` or ``.compute()``).
    raw : xarray.DataArray
        The lesson's Dask-backed readings in K, broken ones included.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(clean, "clean")
    out = clean(raw)
    if out is None:
        raise Wrong("`clean` returned None: end it with `return ...`")
    if not is_dask_collection(out):
        raise Wrong(
            f"`clean(raw)` gave a {type(out).__name__} that is already computed; keep it lazy "
            "(use xarray's .where on the Dask-backed DataArray, no .values or .compute())"
        )
    if tuple(getattr(out, "shape", ())) != tuple(raw.shape):
        raise Wrong(
            f"`clean(raw)` has shape {getattr(out, 'shape', None)}; keep every reading ({raw.shape}), "
            "marking broken ones as NaN instead of dropping them"
        )
    got = np.asarray(out.values if hasattr(out, "values") else out.compute(), dtype=float)
    want = np.asarray(reference_clean(raw).values, dtype=float)
    broken = np.isnan(want)
    if np.nanmin(got) < -1000:
        raise Wrong("the -9999 fill values are still there: mask readings outside 180–340 K with .where(...)")
    if np.nanmean(got) > 200:
        raise Wrong(f"the mean is {np.nanmean(got):.1f}: still Kelvin? Subtract 273.15 to get °C")
    if not np.array_equal(np.isnan(got), broken):
        raise Wrong(
            f"{int(np.isnan(got).sum())} readings are NaN, but {int(broken.sum())} are broken "
            "(outside 180–340 K): mask exactly those"
        )
    if not np.allclose(got[~broken], want[~broken], atol=1e-3):
        raise Wrong("the good readings changed: only mask the broken ones, and convert K to °C by subtracting 273.15")
    return f"{int(broken.sum())} broken readings masked, the rest in °C, and nothing computed yet"


@check(Q2)
def check_q2(to_map, raw) -> str:
    """Check ``to_map``: the time mean of the cleaned readings, a lazy (lat, lon) map in blocks of whole rows.

    Calls ``to_map`` on ``raw`` cleaned by the reference: the map must be lazy, split along lat only (at least two
    row blocks), free of NaN, and equal to the mean over time that skips NaN.

    Parameters
    ----------
    to_map : callable
        Your function: ``to_map(air) -> xarray.DataArray``, lazy.
    raw : xarray.DataArray
        The lesson's raw readings; the check cleans them itself first.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(to_map, "to_map")
    cleaned = reference_clean(raw)
    out = to_map(cleaned)
    if out is None:
        raise Wrong("`to_map` returned None: end it with `return ...`")
    if not is_dask_collection(out):
        raise Wrong(
            f"`to_map` gave a {type(out).__name__} that is already computed; return the lazy "
            "DataArray (the notebook persists it on the workers)"
        )
    dims = tuple(getattr(out, "dims", ()))
    if dims != ("lat", "lon"):
        raise Wrong(f"the map has dimensions {dims}; average over 'time' to keep ('lat', 'lon')")
    lat_chunks, lon_chunks = out.chunks
    if len(lon_chunks) != 1:
        raise Wrong(
            f"the map is split along lon too ({len(lon_chunks)} chunks): keep whole rows "
            "with .chunk({'lat': rows, 'lon': -1})"
        )
    if len(lat_chunks) < 2:
        raise Wrong(
            "the map is one block; split it into row blocks with .chunk({'lat': rows, 'lon': -1}) "
            "so that several workers (MPI ranks) get a share"
        )
    want = np.nanmean(np.asarray(cleaned.values, dtype=float), axis=0)
    got = np.asarray(out.values, dtype=float)
    if np.isnan(got).any():
        raise Wrong("the map has NaN: the broken readings leaked into the mean (use .mean('time'), which skips NaN)")
    if not np.allclose(got, want, atol=1e-3):
        raise Wrong(
            f"the map differs from the time mean by up to {np.abs(got - want).max():.3g} °C; "
            "take the mean over 'time' of the cleaned readings"
        )
    return f"a {got.shape[0]} x {got.shape[1]} map in {len(lat_chunks)} row blocks"


@check(Q3)
def check_q3(area_mean) -> str:
    """Check ``area_mean``: the area-weighted mean of the whole map, on every rank, with Allreduce.

    Pastes your function's source into an MPI program and runs it on 3 ranks that hold the row blocks of a random
    map unevenly (one rank holds none): every rank must return the mean weighted by cos(latitude).

    Parameters
    ----------
    area_mean : callable
        Your function, defined with ``def`` in a cell: ``area_mean(pieces, blocks, comm, lat) -> float``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    _source(area_mean, "area_mean")
    result, full = _run(area_mean, "area_mean", "result = area_mean(pieces, blocks, comm, lat)", ["result"])
    want = reference_area_mean(full, _LAT)
    got = [result.values[rank]["result"] for rank in range(3)]
    if got[1] is None or got[0] is None:
        raise Wrong("area_mean returned None on some ranks: every rank must return the global mean")
    mpicheck.expect(result, {rank: {"result": want} for rank in range(3)}, verb="returned")
    return f"{want:.4f} on every rank, also on the one holding no blocks"


@check(Q4)
def check_q4(smooth) -> str:
    """Check ``smooth``: Jacobi sweeps over the whole map, with a halo exchange between neighbouring blocks.

    Refuses a data-moving collective (allgather, bcast, alltoall, ...) inside a loop, runs your function for 3
    sweeps on 3 ranks that hold the blocks unevenly, compares every block with NumPy, and requires point-to-point
    messages for the halo rows. A reduction of a few numbers per sweep (a convergence test) is fine: the check
    counts what every reduction on ``comm`` carries.

    Parameters
    ----------
    smooth : callable
        Your function, defined with ``def`` in a cell:
        ``smooth(pieces, blocks, comm, sweeps) -> list of numpy.ndarray``, one smoothed block per block, in the same
        order.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    source = _source(smooth, "smooth")
    _require_neighbour_halo(source, "smooth")
    call = _COUNTING_COMM + f"result = [np.asarray(b) for b in smooth(pieces, blocks, _hpclab_comm, {SWEEPS})]"
    result, full = _run(smooth, "smooth", call, ["result", "_hpclab_reduced"])
    _require_small_reductions(result, "smooth", SWEEPS)
    want = reference_smooth(full, SWEEPS)
    expected = {
        rank: {"result": [want[_BOUNDS[b][0] : _BOUNDS[b][1]] for b in blocks]} for rank, blocks in _OWNER.items()
    }
    for rank, blocks in _OWNER.items():
        got: Any = result.values[rank]["result"]  # the list of arrays the learner's smooth returned
        if len(got) != len(blocks):
            raise Wrong(
                f"rank {rank} holds {len(blocks)} blocks but smooth returned {len(got)}: "
                "return one smoothed block per block, in the same order"
            )
        for b, block in zip(blocks, got):
            start, stop = _BOUNDS[b]
            if block.shape != want[start:stop].shape:
                raise Wrong(
                    f"block {b} on rank {rank} came back with shape {block.shape}, expected {want[start:stop].shape}"
                )
            if not np.allclose(block[[0, -1]], want[[start, stop - 1]]) and np.allclose(
                block[1:-1], want[start + 1 : stop - 1]
            ):
                raise Wrong(
                    f"block {b} on rank {rank} is right inside but wrong in its first or last row: "
                    "those need the neighbouring rows of the blocks above and below (the halo), "
                    "which may live on another rank"
                )
    mpicheck.expect(result, expected, verb="returned")
    if not mpicheck.calls_in_program(source, "smooth") & _POINT_TO_POINT:
        raise Wrong(
            "the map is right, but `smooth` sends no point-to-point message: the halo rows should "
            "travel on every sweep from the rank holding a neighbouring block (`comm.Isend`/`comm.Irecv` "
            "and `MPI.Request.Waitall`, or `comm.Sendrecv`), not all at once before the sweeps"
        )
    return "3 sweeps match NumPy, with blocks spread unevenly (one rank holds none), edge rows sent to neighbours only"


@check(Q5)
def check_q5(assemble) -> str:
    """Check ``assemble``: the whole array put back together from the blocks the workers returned.

    Calls it on a small array whose blocks three workers hold out of order, one worker holding none.

    Parameters
    ----------
    assemble : callable
        Your function: ``assemble(where, blocks, shape) -> numpy.ndarray``, where ``where`` maps each worker to its
        list of ``Piece`` and ``blocks`` each worker to its blocks, in the same order.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(assemble, "assemble")
    full = np.arange(6 * 4, dtype=float).reshape(6, 4)
    where = {
        "tcp://a": [Piece((0, 0), (0, 0), (2, 4), "x0"), Piece((2, 0), (4, 0), (2, 4), "x2")],
        "tcp://b": [],
        "tcp://c": [Piece((1, 0), (2, 0), (2, 4), "x1")],
    }
    blocks = {
        address: [full[p.offset[0] : p.offset[0] + p.shape[0]] for p in pieces] for address, pieces in where.items()
    }
    got = assemble(where, blocks, full.shape)
    if got is None:
        raise Wrong("`assemble` returned None: end it with `return ...`")
    got = plain(got, np.ndarray, "assemble(where, blocks, shape)")
    if got.shape != full.shape:
        raise Wrong(f"the result has shape {got.shape}, expected {full.shape}")
    if not np.array_equal(got, full):
        raise Wrong(
            "the blocks are in the wrong places: put each block at its piece's offset, "
            "e.g. out[p.offset[0]:p.offset[0] + p.shape[0]] = block"
        )
    return "every block back at its offset, whichever worker held it"
