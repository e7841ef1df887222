"""Checks for lesson 09b-mpi-heat-equation: Cartesian grids, halo datatypes, overlap, MPI-IO.

Every answer is a whole MPI program in a string; the check runs it on
:data:`RANKS` ranks and compares what each rank holds (or, for MPI-IO, the file
it wrote) with values the check computes itself with NumPy.

Ranks of a Cartesian communicator made with ``reorder=True`` may be numbered
differently from ``COMM_WORLD``, so the questions on the 2 x 2 grid ask each
rank to keep its ``coords``: the check reads which block a rank owns from them.
The structure a question asks for (a derived datatype, non-blocking messages,
work placed between posting the messages and waiting for them) is read from the
program's syntax tree, never from its text, so a comment that names a call
does not count.
"""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

import numpy as np

from hpclab.checks import Question, Wrong, check
from hpclab.checks.mpicheck import (
    DEFAULT_TIMEOUT,
    calls_in_program,
    expect,
    numbers_in,
    parse_program,
    run_answer,
    run_traced,
    show,
    validate_program,
)

LESSON = "09b-mpi-heat-equation"
RANKS = 4
GRID = (2, 2)  # what MPI.Compute_dims(4, 2) gives
Q1 = Question(LESSON, "q1", "a Cartesian grid of ranks", points=1, level=1)
Q2 = Question(LESSON, "q2", "a column halo as a derived datatype", points=2, level=2)
Q3 = Question(LESSON, "q3", "a non-blocking 2-D halo exchange", points=2, level=2)
Q4 = Question(LESSON, "q4", "overlapped time steps equal the serial ones", points=3, level=3)
Q5 = Question(LESSON, "q5", "write the field with collective MPI-IO", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5]

# Q2: four ranks side by side, each owning 4 rows x 3 columns of a 4 x 12 field.
STRIP_ROWS, STRIP_COLS = 4, 3
# Q3 and Q5: a 6 x 8 field cut into 2 x 2 blocks of 3 x 4.
FIELD_SHAPE = (6, 8)
BLOCK = (FIELD_SHAPE[0] // GRID[0], FIELD_SHAPE[1] // GRID[1])
# Q4: a 10 x 10 field, 5 x 5 per rank, STEPS explicit steps with ALPHA.
HEAT_N, STEPS, ALPHA = 10, 4, 0.2

POST_CALLS = {"Isend", "Irecv", "isend", "irecv", "Isendrecv"}
WAIT_CALLS = {"Waitall", "waitall", "Wait", "wait"}


def labelled_field(shape: tuple[int, int]) -> np.ndarray:
    """``g[i, j] = 100 i + j``: every value says where it came from."""
    i, j = np.indices(shape)
    return (100.0 * i + j).astype(float)


def heat_initial(n: int = HEAT_N) -> np.ndarray:
    """The Q4 starting field (given in the question): ``arange(n * n) % 7`` as floats."""
    return (np.arange(n * n, dtype=float) % 7).reshape(n, n)


def heat_serial(n: int = HEAT_N, steps: int = STEPS) -> np.ndarray:
    """The serial answer to Q4: explicit steps with the outer ring held fixed."""
    u = heat_initial(n)
    for _ in range(steps):
        c = u[1:-1, 1:-1]
        u[1:-1, 1:-1] = c + ALPHA * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * c)
    return u


def _require_call(program: str, name: str, calls: set[str] | tuple[str, ...], why: str) -> None:
    """:class:`Wrong` with ``why`` unless the program's code really calls one of ``calls``."""
    if not calls_in_program(program, name) & set(calls):
        raise Wrong(f"`{name}` should call {' or '.join(f'`{c}`' for c in sorted(calls))}: {why}")


def _coords_of(result, name: str) -> dict[int, tuple[int, int]]:
    """Each rank's ``coords``, checked to be a proper tiling of the 2 x 2 grid."""
    found = {}
    for rank in range(RANKS):
        value = result.values[rank]["coords"]
        try:
            coords = tuple(int(c) for c in value)
        except (TypeError, ValueError):
            raise Wrong(
                f"rank {rank}'s coords = {show(value)}: keep cart.Get_coords(cart.Get_rank()), a pair like [0, 1]"
            ) from None
        if len(coords) != 2 or not all(0 <= c < g for c, g in zip(coords, GRID)):
            raise Wrong(f"rank {rank}'s coords = {show(value)} is not a position on the {GRID[0]} x {GRID[1]} grid")
        found[rank] = coords
    if len(set(found.values())) != RANKS:
        raise Wrong(
            f"`{name}`: two ranks claim the same place on the grid ({found}); "
            "take coords from the Cartesian communicator, cart.Get_coords(cart.Get_rank())"
        )
    return found


# --------------------------------------------------------------------------- Q1


@check(Q1)
def check_q1(cart_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``cart_program``: a 2-D Cartesian communicator, each rank's coordinates and its four neighbours.

    Looks for ``Compute_dims``, ``Create_cart`` and ``Shift``, runs the program on 4 ranks, and checks every rank's
    ``dims``, ``rank``, ``coords`` and ``neighbours`` (north, south, west, east; ``MPI.PROC_NULL`` beyond an edge).

    Parameters
    ----------
    cart_program : str
        Your whole MPI program, as a string: it must call ``Compute_dims``, ``Create_cart`` and ``Shift``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(cart_program, "cart_program")
    _require_call(program, "cart_program", {"Compute_dims"}, "let MPI choose the grid for the ranks it has")
    _require_call(program, "cart_program", {"Create_cart"}, "build the Cartesian communicator")
    _require_call(program, "cart_program", {"Shift"}, "ask the communicator for the neighbours")
    result = run_answer(
        program, "cart_program", n=RANKS, collect=["dims", "rank", "coords", "neighbours"], timeout=timeout
    )
    expect(result, {r: {"dims": list(GRID)} for r in range(RANKS)})
    held = result.values
    cart_ranks = {}
    for world_rank in range(RANKS):
        value = held[world_rank]["rank"]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise Wrong(f"rank {world_rank} holds rank = {show(value)}; keep cart.Get_rank(), a whole number")
        cart_ranks[world_rank] = int(value)
    if sorted(cart_ranks.values()) != list(range(RANKS)):
        raise Wrong(
            f"the ranks in the Cartesian communicator are {sorted(cart_ranks.values())}, "
            f"expected 0..{RANKS - 1}: keep `rank = cart.Get_rank()`"
        )
    coords = _coords_of(result, "cart_program")
    at = {coords[w]: cart_ranks[w] for w in range(RANKS)}
    for world_rank in range(RANKS):
        row, col = coords[world_rank]
        if (row * GRID[1] + col) != cart_ranks[world_rank]:
            raise Wrong(
                f"cart rank {cart_ranks[world_rank]} holds coords {[row, col]}: take them from "
                "cart.Get_coords(rank) of that same rank"
            )
        got = held[world_rank]["neighbours"]
        want = [at.get((row - 1, col)), at.get((row + 1, col)), at.get((row, col - 1)), at.get((row, col + 1))]
        if not isinstance(got, (list, tuple)) or len(got) != 4:
            raise Wrong(
                f"cart rank {cart_ranks[world_rank]} holds neighbours = {show(got)}; expected four numbers "
                "(north, south, west, east)"
            )

        def edge(value):
            return -1 if value is None else value

        fixed = [edge(w) for w in want]
        given = [-1 if isinstance(g, (int, np.integer)) and g < 0 else g for g in got]
        if given != fixed and given in (
            [fixed[1], fixed[0], *fixed[2:]],
            [*fixed[:2], fixed[3], fixed[2]],
            [fixed[1], fixed[0], fixed[3], fixed[2]],
        ):
            raise Wrong(
                f"cart rank {cart_ranks[world_rank]} at {[row, col]} has neighbours {show(list(got))}: two "
                "sides are swapped. Shift(0, 1) gives (north, south) and Shift(1, 1) (west, east): "
                "first the rank you receive from, then the one you send to"
            )
        for side, g, w in zip(("north", "south", "west", "east"), got, want):
            if w is None:
                if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g >= 0:
                    raise Wrong(
                        f"cart rank {cart_ranks[world_rank]} at {[row, col]} has no {side} neighbour, so "
                        f"that entry should be MPI.PROC_NULL (what Shift gives at an edge), not {show(g)}"
                    )
            elif g != w:
                raise Wrong(
                    f"cart rank {cart_ranks[world_rank]} at {[row, col]} has {side} = {show(g)} but its "
                    f"{side} neighbour is rank {w}: Shift(0, 1) gives (north, south), Shift(1, 1) "
                    "(west, east)"
                )
    return "four ranks on a 2 x 2 grid, each knows its neighbours, and the edges have PROC_NULL"


# --------------------------------------------------------------------------- Q2


def strip_expected(rank: int, size: int = RANKS) -> np.ndarray:
    """Rank ``rank``'s padded block after the column-halo exchange of Q2."""
    g = labelled_field((STRIP_ROWS, STRIP_COLS * size))
    c0 = rank * STRIP_COLS
    u = np.zeros((STRIP_ROWS + 2, STRIP_COLS + 2))
    u[1:-1, 1:-1] = g[:, c0 : c0 + STRIP_COLS]
    if rank > 0:
        u[1:-1, 0] = g[:, c0 - 1]
    if rank < size - 1:
        u[1:-1, -1] = g[:, c0 + STRIP_COLS]
    return u


@check(Q2)
def check_q2(column_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``column_program``: a column halo exchanged with a derived datatype and ``Sendrecv``.

    Looks for ``Create_vector`` (or ``Create_subarray``), ``Commit`` and ``Sendrecv``, runs the program on 4 ranks
    side by side, and compares every rank's padded block ``u``: ghost columns filled, ghost rows left alone.

    Parameters
    ----------
    column_program : str
        Your whole MPI program, as a string: it must describe the column with a committed derived datatype and swap
        it with ``Sendrecv``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(column_program, "column_program")
    _require_call(
        program,
        "column_program",
        {"Create_vector", "Create_subarray"},
        "describe a column of the block with a derived datatype instead of copying it",
    )
    _require_call(program, "column_program", {"Commit"}, "a derived datatype must be committed before use")
    _require_call(program, "column_program", {"Sendrecv"}, "swap the columns with Sendrecv, as the question asks")
    result = run_answer(program, "column_program", n=RANKS, collect=["u"], timeout=timeout)
    for rank in range(RANKS):
        got = result.values[rank]["u"]
        if not isinstance(got, np.ndarray) or got.shape != (STRIP_ROWS + 2, STRIP_COLS + 2):
            kind = f"shape {got.shape}" if isinstance(got, np.ndarray) else type(got).__name__
            raise Wrong(
                f"rank {rank}'s u is {kind}, expected a {STRIP_ROWS + 2} x {STRIP_COLS + 2} NumPy array "
                "(the block with one ghost layer)"
            )
        want = strip_expected(rank)
        if not np.allclose(got, want):
            for label, where in (
                ("west ghost column u[1:-1, 0]", np.s_[1:-1, 0]),
                ("east ghost column u[1:-1, -1]", np.s_[1:-1, -1]),
                ("owned block u[1:-1, 1:-1]", np.s_[1:-1, 1:-1]),
            ):
                if not np.allclose(got[where], want[where]):
                    raise Wrong(
                        f"rank {rank}'s {label} is {show(got[where])} but expected {show(want[where])}; "
                        "a column of the padded block is rows × 1 value, one every nx + 2 values"
                    )
            raise Wrong(f"rank {rank}'s ghost rows changed: u = {show(got)}; only the ghost columns should")
    return "one column datatype, and no copies: MPI picked the values out of the 2-D array itself"


# --------------------------------------------------------------------------- Q3


def block_expected(coords: tuple[int, int]) -> np.ndarray:
    """The padded block of the rank at ``coords`` after a full halo exchange (corners stay 0)."""
    g = labelled_field(FIELD_SHAPE)
    (ny, nx), (row, col) = BLOCK, coords
    r0, c0 = row * ny, col * nx
    u = np.zeros((ny + 2, nx + 2))
    u[1:-1, 1:-1] = g[r0 : r0 + ny, c0 : c0 + nx]
    if row > 0:
        u[0, 1:-1] = g[r0 - 1, c0 : c0 + nx]
    if row < GRID[0] - 1:
        u[-1, 1:-1] = g[r0 + ny, c0 : c0 + nx]
    if col > 0:
        u[1:-1, 0] = g[r0 : r0 + ny, c0 - 1]
    if col < GRID[1] - 1:
        u[1:-1, -1] = g[r0 : r0 + ny, c0 + nx]
    return u


def _side_report(rank: int, got: np.ndarray, want: np.ndarray) -> str:
    for label, where in (
        ("north ghost row u[0, 1:-1]", np.s_[0, 1:-1]),
        ("south ghost row u[-1, 1:-1]", np.s_[-1, 1:-1]),
        ("west ghost column u[1:-1, 0]", np.s_[1:-1, 0]),
        ("east ghost column u[1:-1, -1]", np.s_[1:-1, -1]),
        ("owned block u[1:-1, 1:-1]", np.s_[1:-1, 1:-1]),
    ):
        if not np.allclose(got[where], want[where]):
            return f"rank {rank}'s {label} is {show(got[where])} but expected {show(want[where])}"
    return f"rank {rank}'s corners changed (u = {show(got)}); a 5-point stencil needs no corner ghosts, leave them 0"


@check(Q3)
def check_q3(exchange_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``exchange_program``: a non-blocking halo exchange on the 2 x 2 grid of ranks.

    Looks for ``Create_cart``, ``Isend``, ``Irecv`` and ``Waitall``, runs the program on 4 ranks, and compares every
    rank's padded block ``u`` (placed by its ``coords``) with the expected ghost rows and columns; the corners stay
    0.

    Parameters
    ----------
    exchange_program : str
        Your whole MPI program, as a string: it must call ``Create_cart``, ``Isend``, ``Irecv`` and ``Waitall``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(exchange_program, "exchange_program")
    _require_call(program, "exchange_program", {"Create_cart"}, "put the ranks on the 2 x 2 Cartesian grid")
    _require_call(program, "exchange_program", {"Isend", "isend"}, "send the halos without blocking")
    _require_call(program, "exchange_program", {"Irecv", "irecv"}, "receive the halos without blocking")
    _require_call(program, "exchange_program", {"Waitall", "waitall"}, "wait for all the messages in one call")
    result = run_answer(program, "exchange_program", n=RANKS, collect=["coords", "u"], timeout=timeout)
    coords = _coords_of(result, "exchange_program")
    shape = (BLOCK[0] + 2, BLOCK[1] + 2)
    for rank in range(RANKS):
        got = result.values[rank]["u"]
        if not isinstance(got, np.ndarray) or got.shape != shape:
            kind = f"shape {got.shape}" if isinstance(got, np.ndarray) else type(got).__name__
            raise Wrong(f"rank {rank}'s u is {kind}, expected a {shape[0]} x {shape[1]} NumPy array")
        want = block_expected(coords[rank])
        if not np.allclose(got, want):
            raise Wrong(_side_report(rank, got, want) + f" (the rank at coords {list(coords[rank])})")
    return "eight messages per rank in flight at once, and every ghost came from the right neighbour"


# --------------------------------------------------------------------------- Q4


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    return {node.name: node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _calls_in(node: ast.AST, functions: dict[str, ast.AST], seen: frozenset = frozenset()) -> set[str]:
    """Names called in ``node``, following calls to the program's own functions."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name:
                names.add(name)
                if name in functions and name not in seen:
                    names |= _calls_in(functions[name], functions, seen | {name})
    return names


def _writes_numbers(node: ast.AST) -> bool:
    """True if ``node`` stores the result of arithmetic into an array (``new[a:b] = u[...] + ...``, ``x[i] += 1``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign):
            targets, value = sub.targets, sub.value
        elif isinstance(sub, ast.AugAssign):
            targets, value = [sub.target], sub.value
            if isinstance(sub.target, ast.Subscript):
                return True
        else:
            continue
        stores = any(isinstance(t, ast.Subscript) for target in targets for t in ast.walk(target))
        if stores and any(isinstance(v, (ast.BinOp, ast.UnaryOp)) for v in ast.walk(value)):
            return True
    return False


def _computes(node: ast.AST, functions: dict[str, ast.AST], seen: frozenset = frozenset()) -> bool:
    """True if ``node`` does numerical work on arrays, itself or in a function of the program's that it calls.

    Work is arithmetic stored into an array (the stencil update writing ``new[...]``); a ``pass``, a
    ``print``, a ``time.sleep`` or a plain assignment is not.
    """
    if _writes_numbers(node):
        return True
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in functions and name not in seen and _computes(functions[name], functions, seen | {name}):
                return True
    return False


def overlaps(program: str, name: str = "program") -> bool:
    """True if some block of statements posts messages, then computes on arrays, then waits.

    Statements count by what they call, following the program's own helper
    functions: ``requests = start_exchange(u)`` posts if ``start_exchange``
    calls ``Isend``/``Irecv``. A statement that posts *and* waits (a helper that
    does the whole exchange) overlaps nothing. Only arithmetic stored into an
    array between posting and waiting (``update(u, new, ...)``, ``lap[...] = ...``)
    counts as work: ``pass``, ``print`` or ``time.sleep`` there overlaps nothing.
    """
    tree = parse_program(program, name)
    functions = _functions(tree)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list) or not statements or not isinstance(statements[0], ast.stmt):
                continue
            kinds = []
            for statement in statements:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    kinds.append("def")
                    continue
                calls = _calls_in(statement, functions)
                posts, waits = bool(calls & POST_CALLS), bool(calls & WAIT_CALLS)
                if posts and waits:
                    kinds.append("both")
                elif posts:
                    kinds.append("post")
                elif waits:
                    kinds.append("wait")
                else:
                    kinds.append("work" if _computes(statement, functions) else "idle")
            for i, kind in enumerate(kinds):
                if kind != "post":
                    continue
                for k in range(i + 1, len(kinds)):
                    if kinds[k] in ("wait", "both"):
                        if "work" in kinds[i + 1 : k]:
                            return True
                        break
    return False


@check(Q4)
def check_q4(step_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``step_program``: heat-equation steps that overlap the halo exchange with work, and equal the serial ones.

    Reads the program's syntax tree for messages posted, then other work, then the wait; runs the program on 4 ranks
    and compares every rank's ``block`` (its owned points, placed by its ``coords``) with the serial answer.

    Parameters
    ----------
    step_program : str
        Your whole MPI program, as a string: it must call ``Isend``, ``Irecv`` and ``Waitall``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(step_program, "step_program")
    _require_call(program, "step_program", {"Isend", "isend"}, "send the halos without blocking")
    _require_call(program, "step_program", {"Irecv", "irecv"}, "receive the halos without blocking")
    _require_call(program, "step_program", {"Waitall", "waitall"}, "wait for all the messages in one call")
    if not overlaps(program, "step_program"):
        raise Wrong(
            "the program waits for its messages before doing any work (between posting and Waitall it computes "
            "nothing: a pass, a print or a sleep is not work): post the Isend/Irecv, then update the points that "
            "need no ghost, and only then call Waitall (and update the block's outer ring)"
        )
    result = run_answer(program, "step_program", n=RANKS, collect=["coords", "block"], timeout=timeout)
    coords = _coords_of(result, "step_program")
    reference = heat_serial()
    ny, nx = HEAT_N // GRID[0], HEAT_N // GRID[1]
    for rank in range(RANKS):
        got = result.values[rank]["block"]
        if not isinstance(got, np.ndarray) or got.shape != (ny, nx):
            kind = f"shape {got.shape}" if isinstance(got, np.ndarray) else type(got).__name__
            raise Wrong(f"rank {rank}'s block is {kind}, expected its {ny} x {nx} owned points (no ghosts)")
        row, col = coords[rank]
        want = reference[row * ny : (row + 1) * ny, col * nx : (col + 1) * nx]
        if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
            bad = [tuple(int(v) for v in p) for p in np.argwhere(~np.isclose(got, want, rtol=1e-12, atol=1e-12))]
            gi0, gj0 = row * ny, col * nx

            def on_edge(p, gi0=gi0, gj0=gj0):
                return gi0 + p[0] in (0, HEAT_N - 1) or gj0 + p[1] in (0, HEAT_N - 1)

            def on_ring(p):
                return p[0] in (0, ny - 1) or p[1] in (0, nx - 1)

            # The first wrong value of a step shows up where the mistake is; later steps spread it inward.
            if any(on_edge(p) for p in bad):
                i, j = next(p for p in bad if on_edge(p))
                why = "it is a fixed boundary point of the whole field and must keep its starting value"
            elif any(on_ring(p) for p in bad):
                i, j = next(p for p in bad if on_ring(p))
                why = (
                    "it is on the block's outer ring: update the ring only after Waitall, with the fresh ghosts "
                    "(and check that each ghost came from the right neighbour)"
                )
            else:
                i, j = bad[0]
                why = "it needs no ghost: check the stencil, ALPHA, and that each step reads only the old field"
            raise Wrong(
                f"after {STEPS} steps, rank {rank} (coords {[row, col]}) has {got[i, j]:.6g} at global point "
                f"({gi0 + i}, {gj0 + j}) but the serial answer is {want[i, j]:.6g}; {why}; "
                f"{len(bad)} of its {ny * nx} points differ"
            )
    return f"{STEPS} overlapped steps on 4 ranks give the serial field to the last digit"


# --------------------------------------------------------------------------- Q5


@check(Q5)
def check_q5(io_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``io_program``: the whole field written to one file with collective MPI-IO.

    Looks for ``MPI.File.Open`` and a collective write, runs the program on 4 ranks with the file's path as
    ``sys.argv[1]``, and compares the file's float64 values with the global 6 x 8 field in row-major order. Each
    rank must have written its own 3 x 4 block through MPI-IO.

    Parameters
    ----------
    io_program : str
        Your whole MPI program, as a string: it must open the file with ``MPI.File.Open`` and write collectively.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(io_program, "io_program")
    _require_call(program, "io_program", {"Open"}, "open the file with MPI.File.Open on the communicator")
    _require_call(
        program,
        "io_program",
        {"Write_all", "Write_at_all", "Write_ordered", "Write_all_begin", "Write_at_all_begin"},
        "write with a collective call, so MPI can combine every rank's pieces",
    )
    with tempfile.TemporaryDirectory(prefix="hpclab-check-io-") as tmp:
        path = Path(tmp) / "field.bin"
        _, traffic = run_traced(program, "io_program", n=RANKS, timeout=timeout, args=[str(path)])
        if not path.exists():
            raise Wrong(
                "your program finished but wrote no file at sys.argv[1]: open it with MPI.MODE_WRONLY | MPI.MODE_CREATE"
            )
        data = np.fromfile(path, dtype=np.float64)
    want = labelled_field(FIELD_SHAPE)
    if data.size != want.size:
        raise Wrong(
            f"the file holds {data.size} float64 values ({data.size * 8} bytes), expected {want.size} "
            f"({FIELD_SHAPE[0]} x {FIELD_SHAPE[1]}): did every rank write its block, once?"
        )
    got = data.reshape(FIELD_SHAPE)
    if not np.array_equal(got, want):
        i, j = (int(v) for v in np.argwhere(got != want)[0])
        raise Wrong(
            f"the file has {got[i, j]:g} at row {i}, column {j} of the field, but that point is {want[i, j]:g}; "
            "each rank's file view must put its block at its place in the field (Create_subarray(sizes, "
            "subsizes, starts) in C order, with starts = coords × block shape)"
        )
    _require_blocks_written(traffic, want)
    return "four ranks, one collective write, and the file is the global field in row-major order"


def _require_blocks_written(traffic: dict[int, list[dict]], field: np.ndarray) -> None:
    """:class:`Wrong` unless every rank wrote one block of ``field`` (a different one each) with MPI-IO calls."""
    blocks = {
        (bi, bj): field[bi * BLOCK[0] : (bi + 1) * BLOCK[0], bj * BLOCK[1] : (bj + 1) * BLOCK[1]]
        for bi in range(GRID[0])
        for bj in range(GRID[1])
    }
    owner: dict[tuple[int, int], int] = {}
    for rank in range(RANKS):
        written = numbers_in(event for event in traffic[rank] if "Write" in event["call"] or "write" in event["call"])
        place = next(
            (where for where, block in blocks.items() if sorted(written) == sorted(block.ravel())),
            None,
        )
        if place is None:
            raise Wrong(
                f"the file is right, but rank {rank} wrote {written.size} value(s) through MPI-IO "
                f"({show(written, 50)}), not one {BLOCK[0]} x {BLOCK[1]} block of the field: every rank writes its "
                "own block with the collective call; nobody writes the file for the others"
            )
        if place in owner:
            raise Wrong(
                f"ranks {owner[place]} and {rank} both wrote the block at grid position {place}: each rank "
                "writes the block it owns"
            )
        owner[place] = rank
