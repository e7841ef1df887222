"""Checks for lesson 08-mpi-point-to-point: send/recv, Send/Recv, deadlocks, rings and halos.

Every answer is a whole MPI program in a string; the check runs it on
:data:`RANKS` ranks and compares what each rank holds afterwards. Where a
question is about moving data (all but Q2's datatype), the check also watches the
messages (:func:`hpclab.checks.mpicheck.run_traced`): a rank that works out what
it should have received, while a dummy message goes by, does not pass.
"""

from __future__ import annotations

import ast

import numpy as np

from hpclab.checks import Question, Wrong, check
from hpclab.checks.mpicheck import (
    DEFAULT_TIMEOUT,
    calls_in_program,
    carrying,
    carrying_all,
    carrying_number,
    expect,
    parse_program,
    require_any_call,
    require_calls,
    require_sent,
    run_traced,
    validate_program,
)

LESSON = "08-mpi-point-to-point"
RANKS = 4
Q1 = Question(LESSON, "q1", "send a Python object", points=1, level=1)
Q2 = Question(LESSON, "q2", "a NumPy buffer with an explicit datatype", points=1, level=1)
Q3 = Question(LESSON, "q3", "fix the deadlocking swap", points=2, level=2)
Q4 = Question(LESSON, "q4", "receive from any source", points=2, level=2)
Q5 = Question(LESSON, "q5", "a non-blocking ring", points=2, level=2)
Q6 = Question(LESSON, "q6", "a 1-D halo exchange", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6]

MESSAGE = {"from": 0, "primes": [2, 3, 5, 7]}
SWAP_SIZE = 50_000  # float64 values: 400 kB, far above the size MPI sends without waiting
CELLS = 5  # cells each rank owns in the halo exchange
#: Calls that send a message; Q3 and Q6 need at least one of them in the code (comments do not count).
SEND_CALLS = (
    *("Sendrecv", "sendrecv", "Send", "send", "Isend", "isend"),  # the first six are named in the hint
    *("Sendrecv_replace", "Isendrecv", "Isendrecv_replace", "Ssend", "ssend", "Issend", "issend"),
    *("Bsend", "bsend", "Ibsend", "ibsend", "Rsend", "Irsend"),
)
#: Point-to-point calls that block until their message is on its way; Q5 asks for none of them.
BLOCKING_P2P = frozenset(
    {"Send", "send", "Recv", "recv", "Sendrecv", "sendrecv", "Sendrecv_replace", "Ssend", "ssend", "Bsend", "bsend"}
)


@check(Q1)
def check_q1(message_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``message_program``: a Python dictionary sent from rank 0 to rank 3 with ``send`` and ``recv``.

    Runs the program on 4 ranks: rank 3 must hold the dictionary in ``message``, every other rank None, and rank 0
    must have sent it to rank 3.

    Parameters
    ----------
    message_program : str
        Your whole MPI program, as a string: it must use ``comm.send`` and ``comm.recv``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(message_program, "message_program", ".send(", ".recv(")
    result, traffic = run_traced(message_program, "message_program", n=RANKS, collect=["message"], timeout=timeout)
    expect(result, {r: {"message": MESSAGE if r == 3 else None} for r in range(RANKS)}, verb="received")
    require_sent(traffic, 0, 3, "message", f"the dictionary {MESSAGE}", carrying(MESSAGE))
    return "rank 3 got the whole dictionary; pickle did the packing"


#: MPI datatypes that describe a NumPy int32 (dtype "i") buffer.
INT32_TYPES = {"INT", "SIGNED_INT", "INT32_T"}
#: The tag the question asks the message to carry.
Q2_TAG = 7


def _names(tree: ast.AST) -> dict[str, ast.expr]:
    """What each plain name was last assigned in the program (``spec = [data, MPI.INT]``, ``TAG = 7``)."""
    aliases: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            aliases[node.targets[0].id] = node.value
    return aliases


def _resolve(node: ast.expr | None, aliases: dict[str, ast.expr]) -> ast.expr | None:
    """Follow a chain of names to the expression first assigned to them (at most 10 steps)."""
    for _ in range(10):
        if isinstance(node, ast.Name) and node.id in aliases:
            node = aliases[node.id]
        else:
            break
    return node


def _buffer_calls(tree: ast.AST, method: str) -> list[ast.Call]:
    """Every ``<something>.<method>(...)`` call in the program."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method
    ]


def buffer_datatypes(program: str, method: str) -> list[str | None]:
    """The datatype named in each ``comm.<method>([buf, TYPE], ...)`` call: "INT", "?" (not MPI.X), None (none).

    Names are followed to what they were assigned: ``spec = [data, MPI.INT]; comm.Send(spec, ...)``
    and ``INT32 = MPI.INT32_T`` count, and so does ``from mpi4py.MPI import INT``.
    """
    tree = parse_program(program, "buffer_program")
    aliases = _names(tree)
    imported = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "mpi4py.MPI"
        for alias in node.names
    }
    found: list[str | None] = []
    for node in _buffer_calls(tree, method):
        buf = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "buf"), None)
        buf = _resolve(buf, aliases)
        if not isinstance(buf, (ast.List, ast.Tuple)) or len(buf.elts) < 2:
            found.append(None)
            continue
        kind = _resolve(buf.elts[-1], aliases)
        if isinstance(kind, ast.Attribute):
            found.append(kind.attr)
        elif isinstance(kind, ast.Name) and kind.id in imported:
            found.append(imported[kind.id])
        else:
            found.append("?")
    return found


def send_tags(program: str) -> list[object]:
    """The tag of each ``Send`` call, as a value where the code spells one out (``tag=7``, ``TAG = 7``, ``3 + 4``).

    A ``Send`` without a tag sends tag 0 (mpi4py's default); a tag the program only computes while it
    runs (from the rank, say) is given as the string ``"?"``.
    """
    tree = parse_program(program, "buffer_program")
    aliases = _names(tree)
    tags: list[object] = []
    for node in _buffer_calls(tree, "Send"):
        tag = next((k.value for k in node.keywords if k.arg == "tag"), None)
        if tag is None and len(node.args) >= 3:
            tag = node.args[2]  # Send(buf, dest, tag)
        if tag is None:
            tags.append(0)
            continue
        resolved = _resolve(tag, aliases)
        try:
            tags.append(ast.literal_eval(resolved) if resolved is not None else "?")
        except ValueError:
            tags.append("?")
    return tags


@check(Q2)
def check_q2(buffer_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``buffer_program``: a NumPy int32 buffer sent with ``Send`` (tag 7) and ``Recv``, naming the MPI datatype.

    Every ``Send`` and ``Recv`` must name a datatype that describes 32-bit integers (directly or through a name),
    and every ``Send`` must carry tag 7; the check then runs the program on 4 ranks and compares every rank's
    ``buffer`` (dtype ``'i'``), and rank 1 must have sent the eight values to rank 2.

    Parameters
    ----------
    buffer_program : str
        Your whole MPI program, as a string: it must call ``comm.Send`` and ``comm.Recv``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(buffer_program, "buffer_program")
    require_any_call(program, "buffer_program", "Send")
    require_any_call(program, "buffer_program", "Recv")
    for method in ("Send", "Recv"):
        for kind in buffer_datatypes(program, method):
            if kind is None:
                raise Wrong(
                    f"your comm.{method} lets mpi4py guess the datatype from the array; the question asks "
                    f"you to name it: comm.{method}([array, MPI.<type>], ...), with the MPI type that "
                    "matches a dtype 'i' (32-bit integer) buffer"
                )
            if kind not in INT32_TYPES:
                raise Wrong(
                    f"comm.{method} names the datatype {kind!r}, which does not describe the 32-bit integers "
                    "of a dtype 'i' buffer: MPI.INT (or MPI.INT32_T) does"
                )
    for tag in send_tags(program):
        if tag == "?":
            raise Wrong(
                f"the check reads the tag from your code and cannot tell what your comm.Send's tag is: "
                f"write it as tag={Q2_TAG} (or a name you set to {Q2_TAG})"
            )
        if tag != Q2_TAG:
            raise Wrong(
                f"your comm.Send sends with tag {tag!r} (a Send without tag= sends tag 0); the question asks for "
                f"tag={Q2_TAG}, so that a receiver can pick this message out by its tag"
            )
    result, traffic = run_traced(buffer_program, "buffer_program", n=RANKS, collect=["buffer"], timeout=timeout)
    for rank in range(RANKS):
        got = result.values[rank]["buffer"]
        if not isinstance(got, np.ndarray) or got.dtype != np.dtype("i"):
            kind = got.dtype if isinstance(got, np.ndarray) else type(got).__name__
            raise Wrong(
                f"rank {rank}'s buffer is {kind}, expected a NumPy array of dtype 'i' (int32, matching MPI.INT)"
            )
    expected = {r: {"buffer": np.arange(1, 9) if r == 2 else np.zeros(8)} for r in range(RANKS)}
    expect(result, expected, verb="received")
    require_sent(traffic, 1, 2, "buffer", f"1 to 8 with tag {Q2_TAG}", carrying(np.arange(1, 9), tag=Q2_TAG))
    return "eight int32 values went straight from one buffer into the other"


@check(Q3)
def check_q3(fixed_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``fixed_program``: large arrays swapped between pairs of ranks without the deadlock.

    Runs the program on 4 ranks (0 with 1, 2 with 3): each rank must hold its partner's array in ``received``,
    sent by the partner.

    Parameters
    ----------
    fixed_program : str
        Your whole MPI program, as a string: the fixed swap, which must send with an MPI call.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_any_call(fixed_program, "fixed_program", *SEND_CALLS)
    result, traffic = run_traced(fixed_program, "fixed_program", n=RANKS, collect=["received"], timeout=timeout)
    expected = {r: {"received": np.full(SWAP_SIZE, float(r ^ 1))} for r in range(RANKS)}
    expect(result, expected, verb="received")
    for rank in range(RANKS):
        require_sent(
            traffic,
            rank,
            rank ^ 1,
            "received array",
            f"its own array of {SWAP_SIZE} × {float(rank)!r}",
            carrying_all(np.full(SWAP_SIZE, float(rank))),
        )
    return "each pair swapped its arrays without waiting on each other"


@check(Q4)
def check_q4(arrivals_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``arrivals_program``: rank 0 receives from any source and records who sent each message.

    Runs the program on 4 ranks: rank 0's ``arrivals`` must map each sender to its value and tag, the other ranks
    hold None; each sender must have sent its value with that tag.

    Parameters
    ----------
    arrivals_program : str
        Your whole MPI program, as a string: it must use ``ANY_SOURCE`` and ``Status``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(arrivals_program, "arrivals_program", "ANY_SOURCE", "Status")
    result, traffic = run_traced(arrivals_program, "arrivals_program", n=RANKS, collect=["arrivals"], timeout=timeout)
    want = {source: (100 * source, source) for source in range(1, RANKS)}
    expect(result, {r: {"arrivals": want if r == 0 else None} for r in range(RANKS)})
    for source, (value, tag) in want.items():
        require_sent(
            traffic,
            source,
            0,
            "arrivals",
            f"{value} with tag {tag}",
            carrying(value, tag=tag),
        )
    return "rank 0 took the messages in whatever order they came and still knew who sent each"


@check(Q5)
def check_q5(ring_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``ring_program``: every rank swaps its rank number with both ring neighbours, without blocking.

    Runs the program on 4 ranks and compares every rank's ``from_left`` and ``from_right``, each sent by that
    neighbour.

    Parameters
    ----------
    ring_program : str
        Your whole MPI program, as a string: it must use ``Isend``, ``Irecv`` and ``Waitall`` (or their
        lower-case, pickle-based forms) and no blocking send or receive.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(ring_program, "ring_program")
    called = calls_in_program(program, "ring_program")
    for wanted, why in (
        ({"Isend", "isend"}, "`Isend` to send without blocking"),
        ({"Irecv", "irecv"}, "`Irecv` to receive without blocking"),
        ({"Waitall", "waitall"}, "one `Waitall` for all four: `MPI.Request.Waitall(requests)`"),
    ):
        if not called & wanted:
            raise Wrong(f"`ring_program` should use {why}, as the question asks")
    blocking = sorted(called & BLOCKING_P2P)
    if blocking:
        raise Wrong(
            f"`ring_program` also calls {', '.join(f'`{b}`' for b in blocking)}, which blocks: the question asks for "
            "all four transfers as Isend/Irecv requests, finished by one Waitall"
        )
    result, traffic = run_traced(
        ring_program, "ring_program", n=RANKS, collect=["from_left", "from_right"], timeout=timeout
    )
    expected = {r: {"from_left": (r - 1) % RANKS, "from_right": (r + 1) % RANKS} for r in range(RANKS)}
    expect(result, expected, verb="received")
    for rank in range(RANKS):
        for side, neighbour in (("from_left", (rank - 1) % RANKS), ("from_right", (rank + 1) % RANKS)):
            require_sent(traffic, neighbour, rank, side, f"its rank number {neighbour}", carrying(neighbour))
    return "all four messages per rank were in flight at once, and nobody waited for anybody"


def halo_expected(rank: int, size: int = RANKS) -> dict[str, np.ndarray]:
    """What rank ``rank`` holds after the halo exchange of x**2 on CELLS cells per rank."""
    x = np.arange(rank * CELLS - 1, (rank + 1) * CELLS + 1, dtype=float)
    u = x**2
    if rank == 0:
        u[0] = 0.0
    if rank == size - 1:
        u[-1] = 0.0
    return {"u": u, "laplacian": u[:-2] - 2 * u[1:-1] + u[2:]}


@check(Q6)
def check_q6(halo_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``halo_program``: a 1-D halo exchange that fills every rank's ghost cells from its neighbours.

    Runs the program on 4 ranks and compares every rank's ``u`` (owned cells and ghosts, 0 beyond the ends of the
    global array) and ``laplacian``; each rank must have sent its first owned value to the left neighbour and its
    last to the right one.

    Parameters
    ----------
    halo_program : str
        Your whole MPI program, as a string: it must send with MPI messages.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_any_call(halo_program, "halo_program", *SEND_CALLS)
    result, traffic = run_traced(halo_program, "halo_program", n=RANKS, collect=["u", "laplacian"], timeout=timeout)
    expect(result, {r: halo_expected(r) for r in range(RANKS)})
    for rank in range(RANKS):
        owned = halo_expected(rank)["u"]
        for neighbour, value in ((rank - 1, owned[1]), (rank + 1, owned[-2])):
            if 0 <= neighbour < RANKS:
                require_sent(
                    traffic,
                    rank,
                    neighbour,
                    "ghost cell",
                    f"rank {rank}'s edge value {value:g}",
                    carrying_number(value),
                )
    return "ghost cells filled from both neighbours; the stencil now works across rank borders"
