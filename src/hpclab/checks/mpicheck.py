"""Grade a learner's MPI program: run it for real, then compare what every rank holds.

An MPI answer is a program (a string of Python source) that runs under
``mpiexec -n 4``. :func:`run_answer` runs it through :func:`hpclab.mpi.run` with
a short timeout and turns the ways it can go wrong into a :class:`Wrong` with a
hint: a deadlock (stopped after the timeout), a rank that raised (with that
rank's error line), or a failed launch. :func:`expect` then compares each
rank's variables with the expected values and names the first rank that
differs ("rank 2 received 10 but expected 30").

A program can hold the right values without moving them: each rank may compute
what it should have received and send a dummy message for show.
:func:`run_traced` runs the program with ``MPI.COMM_WORLD`` (and the
communicators made from it) and ``MPI.File`` replaced by subclasses that write
down every message sent, every broadcast and every MPI-IO write, so a check can
ask who sent what to whom (:func:`require_sent`).
"""

from __future__ import annotations

import ast
import io
import math
import numbers
import pickle
import re
import tempfile
import tokenize
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np

from hpclab import mpi
from hpclab.checks import Wrong, calls_in_source, require

DEFAULT_TIMEOUT = 20.0

_DEADLOCK_HINT = (
    "Usually every rank is waiting in recv/Recv (or in a blocking Send of a large message) for a "
    "partner that is itself waiting. Order the calls so one side sends while the other receives, "
    "or use Sendrecv, or Isend/Irecv followed by Waitall."
)


def validate_program(program: object, name: str) -> str:
    """The learner's program text; NotAttempted if blank, :class:`Wrong` if it is not a string."""
    require(program, name)
    if not isinstance(program, str) or not program.strip():
        raise Wrong(
            f"`{name}` should be a string holding your whole program (put it between triple quotes "
            f"'''...'''), not {type(program).__name__} {show(program, 40)}"
        )
    return program


def run_answer(
    program: object,
    name: str,
    *,
    n: int = 4,
    collect: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    args: Iterable[str] = (),
) -> mpi.MPIResult:
    """Run the learner's ``program`` on ``n`` ranks and return the result if it finished cleanly.

    Raises NotAttempted for a blank answer and :class:`Wrong` for anything that is
    not a clean run: not a string, a deadlock, a rank that raised, a failed launch.
    """
    program = validate_program(program, name)
    result = mpi.run(program, n, timeout=timeout, collect=list(collect), args=list(args), check=False)
    if result.timed_out:
        raise Wrong(
            f"your program did not finish within {timeout:g} s on {n} ranks and was stopped: "
            f"a deadlock? {_DEADLOCK_HINT}"
        )
    if result.returncode != 0:
        raise Wrong(crash_report(result))
    missing = [rank for rank in range(n) if rank not in result.values]
    if collect and missing:
        raise Wrong(f"ranks {missing} ended without reporting their variables; did the program call sys.exit()?")
    for rank in range(n):
        for var, value in result.values.get(rank, {}).items():
            if isinstance(value, str) and value == mpi.NOT_DEFINED:
                raise Wrong(
                    f"rank {rank} has no variable `{var}`: define it at the top level of the program on "
                    "every rank (not inside a function); use None where a rank has nothing to hold"
                )
            if isinstance(value, str) and value.startswith("<hpclab: cannot pickle"):
                raise Wrong(f"rank {rank}'s `{var}` cannot be sent back to the notebook ({value}); store plain values")
    return result


def _error_line(stderr: str) -> str:
    """The exception line of a Python traceback ('ValueError: ...'), plus where in the program."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    skip = ("Traceback", "Abort(", "During handling", "The above exception")
    errors = [line.strip() for line in lines if not line[0].isspace() and not line.startswith(skip)]
    message = errors[-1] if errors else (lines[-1].strip() if lines else "an error")
    where = ""
    for index, line in enumerate(lines):
        found = re.match(r'\s*File "[^"]*program\.py", line (\d+)', line)
        if found:
            after = lines[index + 1] if index + 1 < len(lines) else ""
            code = after.strip() if after.startswith("    ") and not after.lstrip().startswith("File ") else ""
            where = f" (line {found.group(1)} of your program" + (f": `{code}`)" if code else ")")
    return message + where


def crash_report(result: mpi.MPIResult) -> str:
    """What went wrong in a run that did not end cleanly, as a hint for the learner.

    Names the first rank that raised, with its error line and where in the program
    ("rank 2 raised ValueError: ... (line 7 of your program: `x = ...`)"), and the
    other ranks that failed too; without a Python error, the launcher's last lines.
    Shared with checks that run their own MPI job (:mod:`hpclab.checks.handoff`).

    Parameters
    ----------
    result : hpclab.mpi.MPIResult
        A finished run whose return code is not 0.

    Returns
    -------
    str
        One line for a :class:`~hpclab.checks.Wrong`.
    """
    raised = [rank for rank in range(result.n) if "Traceback" in result.stderr.get(rank, "")]
    if raised:
        first = raised[0]
        others = f"; ranks {', '.join(map(str, raised))} all failed" if len(raised) > 1 else ""
        return f"rank {first} raised {_error_line(result.stderr[first])}{others}"
    tail = " ".join(result.launcher_output.strip().splitlines()[-2:])
    return (
        f"the MPI job failed (exit code {result.returncode}) without a Python error"
        + (f": {tail}" if tail else "")
        + "; run it with hpclab.mpi.run(program, 4) to see its output"
    )


def same(got: object, expected: object, rel: float = 1e-9) -> bool:
    """Equal, treating numbers and NumPy arrays by value (a 1-element array equals its number)."""
    if expected is None or got is None:
        return got is None and expected is None
    if isinstance(expected, Mapping):
        return (
            isinstance(got, Mapping)
            and set(got) == set(expected)
            and all(same(got[k], expected[k], rel) for k in expected)
        )
    if isinstance(expected, str):
        return isinstance(got, str) and got == expected
    if isinstance(expected, (np.ndarray, int, float, np.number)) and not isinstance(expected, bool):
        if isinstance(got, (str, bytes, Mapping)):
            return False
        try:
            a = np.asarray(got, dtype=float)
            b = np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            return False
        if a.size != b.size or (a.ndim > 1 or b.ndim > 1) and a.shape != b.shape:
            return False
        return bool(np.allclose(a.ravel(), b.ravel(), rtol=rel, atol=1e-12))
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(expected)
            and all(same(g, e, rel) for g, e in zip(got, expected))
        )
    return bool(got == expected)


def show(value: object, width: int = 90) -> str:
    """A short readable form of a value for a feedback message."""
    if isinstance(value, np.ndarray):
        if value.size > 8 and value.size and np.all(value == value.flat[0]):
            text = f"an array of {value.size} × {value.flat[0].item()!r}"
        else:
            text = np.array2string(value, threshold=12, edgeitems=4, separator=", ")
    elif isinstance(value, float) and math.isfinite(value):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def expect(
    result: mpi.MPIResult,
    expected: Mapping[int, Mapping[str, object]],
    *,
    verb: str = "holds",
    rel: float = 1e-9,
) -> None:
    """Raise :class:`Wrong` naming the first rank whose variable differs from ``expected[rank]``."""
    for rank in sorted(expected):
        held = result.values.get(rank, {})
        for name, want in expected[rank].items():
            if name not in held:
                raise ValueError(f"the check did not collect `{name}`; pass it in run_answer(collect=...)")
            got = held[name]
            if not same(got, want, rel):
                raise Wrong(f"rank {rank} {verb} {name} = {show(got)} but expected {show(want)}")


def parse_program(program: str, name: str) -> ast.Module:
    """The program's syntax tree, or :class:`Wrong` pointing at the line Python cannot read.

    Checks that read a program's structure (which calls it makes, where) parse it
    with this, so that a syntax error is a hint, not a crash of the check.

    Parameters
    ----------
    program : str
        The learner's program.
    name : str
        The variable that holds it, for the message.

    Returns
    -------
    ast.Module
        The syntax tree.

    Raises
    ------
    Wrong
        When ``program`` is not valid Python ("`name` is not valid Python (... on line 3 ...)").
    """
    try:
        return ast.parse(program)
    except SyntaxError as exc:
        where = f" on line {exc.lineno} of your program" if exc.lineno else ""
        code = f": `{exc.text.strip()}`" if exc.text and exc.text.strip() else ""
        raise Wrong(f"`{name}` is not valid Python ({exc.msg}{where}{code})") from None


def code_only(program: str) -> str:
    """The program's code with comments, strings and whitespace removed.

    A substring test on this text ("does it use MPI.MAX?") cannot be satisfied by a
    comment or a string that merely mentions the name.
    """
    skip = {
        tokenize.COMMENT,
        tokenize.STRING,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(program).readline))
    except (tokenize.TokenError, SyntaxError):
        return ""
    return "".join(token.string for token in tokens if token.type not in skip)


def calls_in_program(program: str, name: str = "program") -> set[str]:
    """The names of every function or method the learner's program calls.

    ``comm.Send(...)`` and ``MPI.COMM_WORLD.Send(...)`` give ``Send``, ``print(...)``
    gives ``print``. Read from the syntax tree, so comments and strings never count.
    Unlike :func:`hpclab.checks.calls_in_source`, a program that is not valid Python
    is a :class:`Wrong` that points at the line.

    Parameters
    ----------
    program : str
        The learner's program.
    name : str
        The variable that holds it, for the message.

    Returns
    -------
    set of str
        The called names.

    Raises
    ------
    Wrong
        When ``program`` is not valid Python.
    """
    parse_program(program, name)  # a SyntaxError becomes a Wrong that points at the line
    return calls_in_source(program)


def require_calls(program: str, name: str, *calls: str) -> None:
    """Raise :class:`Wrong` if the program's code (not its comments or strings) never uses one of ``calls``."""
    program = validate_program(program, name)
    parse_program(program, name)
    code = code_only(program)
    missing = [call for call in calls if call.replace(" ", "") not in code]
    if missing:
        raise Wrong(f"`{name}` should use {', '.join(f'`{c}`' for c in missing)} as the question asks")


def require_any_call(program: str, name: str, *calls: str) -> None:
    """Raise :class:`Wrong` unless the program really calls one of ``calls`` (e.g. ``comm.Send(...)``).

    Only calls in the code count: a comment or a string that mentions ``send`` does not.
    """
    program = validate_program(program, name)
    if not calls_in_program(program, name) & set(calls):
        shown = ", ".join(f"`{c}`" for c in calls[:6]) + (" or another send" if len(calls) > 6 else "")
        raise Wrong(
            f"`{name}` should move the data with MPI messages (call {shown}), "
            "not compute the other ranks' values itself"
        )


# --------------------------------------------------------------------------- traffic

#: The variable each rank's traffic comes back in (see :func:`run_traced`).
TRAFFIC = "_hpclab_traffic"

#: One rank's record of one message, broadcast or write: ``call`` (the method), ``data`` (a copy of what
#: it carried, None where the rank had nothing to give), and ``to`` and ``tag`` (a message: the
#: receiver's rank in ``COMM_WORLD``) or ``root`` (a broadcast, the same way). A collective of
#: :data:`_COLLECTIVES` has ``gave`` and ``got`` instead: what this rank put in and what the call left it.
Event = dict[str, Any]

#: Methods that send a message: the name of their data argument (the first) and of their tag (the third).
_SENDS: dict[str, tuple[str, str]] = {
    **{m: ("obj", "tag") for m in ("send", "ssend", "bsend", "isend", "issend", "ibsend")},
    **{m: ("buf", "tag") for m in ("Send", "Ssend", "Bsend", "Rsend", "Isend", "Issend", "Ibsend", "Irsend")},
    "sendrecv": ("sendobj", "sendtag"),
    "Sendrecv": ("sendbuf", "sendtag"),
    "Isendrecv": ("sendbuf", "sendtag"),
    "Sendrecv_replace": ("buf", "sendtag"),
    "Isendrecv_replace": ("buf", "sendtag"),
}
#: Broadcasts: their data is the first argument, the root the second.
_BROADCASTS = ("bcast", "Bcast", "Ibcast")
#: MPI-IO writes: where their buffer is (``Write_at(offset, buf)``: second).
_WRITES: dict[str, int] = {
    **{m: 0 for m in ("Write", "Write_all", "Write_all_begin", "Write_ordered", "Write_ordered_begin")},
    **{m: 0 for m in ("Write_shared", "Iwrite", "Iwrite_all", "Iwrite_shared")},
    **{m: 1 for m in ("Write_at", "Write_at_all", "Write_at_all_begin", "Iwrite_at", "Iwrite_at_all")},
}
#: Collectives that deal out, gather or combine data: where their send buffer and receive buffer are
#: (None: a pickle-based call, which returns what it delivers). Recorded with what the rank gave and got; a
#: non-blocking one (``Iallreduce``) with what it gave only (``got`` None: its data arrive at the Wait).
_COLLECTIVES: dict[str, tuple[int, int | None]] = {
    **{m: (0, 1) for m in ("Scatter", "Scatterv", "Gather", "Gatherv", "Allgather", "Allgatherv")},
    **{m: (0, 1) for m in ("Allreduce", "Reduce", "Alltoall")},
    **{m: (0, 1) for m in ("Iscatter", "Iscatterv", "Igather", "Igatherv", "Iallgather", "Iallgatherv")},
    **{m: (0, 1) for m in ("Iallreduce", "Ireduce", "Ialltoall")},
    **{m: (0, None) for m in ("scatter", "gather", "allgather", "allreduce", "reduce", "alltoall")},
}
#: The blocking buffer collectives (the others in :data:`_COLLECTIVES` are their non-blocking forms).
_BLOCKING_NAMES = frozenset(
    ("Scatter", "Scatterv", "Gather", "Gatherv", "Allgather", "Allgatherv", "Allreduce", "Reduce", "Alltoall")
)
#: Collectives whose send buffer holds one block per rank (mpi4py reads a count there per block).
_BLOCKS_SENT = frozenset({"Scatter", "Scatterv", "Alltoall"})
#: Collectives whose receive buffer holds one block per rank.
_BLOCKS_RECEIVED = frozenset({"Gather", "Gatherv", "Allgather", "Allgatherv", "Alltoall"})
#: Methods that make a new communicator from a traced one; it is traced too.
_MAKERS = ("Dup", "Clone", "Split", "Split_type", "Create", "Create_group", "Create_cart")

#: What this process sent, broadcast and wrote, in order (filled in the ranks by :func:`trace_mpi`).
_LOG: list[Event] = []

# Runs on every rank in place of the learner's program (which is at {path}): watch, run it, keep the log.
_TRACED_MAIN = """\
import runpy as _runpy
import sys as _sys

from hpclab.checks import mpicheck as _mpicheck

_mpicheck.trace_mpi()
_sys.argv[0] = {path!r}
_mpicheck.finish_trace(globals(), _runpy.run_path({path!r}, run_name="__main__"))
"""


def _argument(args: tuple, kwargs: dict, position: int, name: str, default: object = None) -> object:
    """A call's argument, given by position or by name."""
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _object_copy(obj: object) -> object:
    """What a pickle-based call (``send``, ``bcast``) delivers: the object, pickled and unpickled."""
    try:
        return pickle.loads(pickle.dumps(obj))
    except Exception:  # the call itself will fail the same way
        return f"<{type(obj).__name__}>"


def _message_parts(spec: object) -> tuple[object, object, object]:
    """A buffer argument's buffer, count and displacement, as mpi4py reads them (msgbuffer.pxi, mpi4py 4.1).

    ``array``, ``[array, MPI.INT]``, ``[array, count]``, ``[array, (count, displ)]``, ``[array, count, type]``,
    ``[array, (count, displ), type]``, ``[array, count, displ, type]``; a vector collective's ``counts`` and
    ``displs`` come back as the sequences they are. None where the argument gives none.
    """
    if not isinstance(spec, (list, tuple)) or not spec:
        return spec, None, None
    count: object = None
    displ: object = None
    if len(spec) == 2 and isinstance(spec[1], (numbers.Integral, list, tuple)):
        count = spec[1]  # [array, count] or [array, (count, displ)]; otherwise [array, datatype]
    elif len(spec) == 3:
        count = spec[1]
    elif len(spec) >= 4:
        count, displ = spec[1], spec[2]
    if isinstance(count, tuple) and len(count) == 2 and displ is None:
        count, displ = count
    elif isinstance(count, list) and len(count) == 2 and displ is None and len(spec) < 4:
        count, displ = count  # [array, [count, displ], type]: mpi4py reads a list the same way
    return spec[0], count, displ


def buffer_values(spec: object, blocks: int = 1) -> np.ndarray | None:
    """The values a buffer argument holds, as a flat copy, from its displacement for its count.

    ``array``, ``[array, MPI.INT]``, ``[array, count, type]``, ``[array, count, displ, type]``,
    ``[array, (count, displ), type]`` (count and displacement in elements of the array). ``blocks``: on
    the side of a collective that holds one block per rank (a Gather's receive buffer, a Scatter's
    send buffer), mpi4py reads the count as the count of each block, so ``blocks`` of them are read.
    A vector collective's counts and displacements (a list) give the whole buffer. None when the
    argument holds no plain values (``MPI.IN_PLACE``, a rank's None).
    """
    buf, count, displ = _message_parts(spec)
    try:
        values = np.array(buf, copy=True).ravel()
    except Exception:  # not a buffer: the call itself says so
        return None
    if values.dtype == object:
        return None
    start = int(displ) if isinstance(displ, numbers.Integral) else 0
    if isinstance(count, numbers.Integral):
        return values[start : start + int(count) * blocks]
    return values[start:]


def block_of(spec: object, rank: int, size: int) -> np.ndarray | None:
    """Rank ``rank``'s block of a buffer that holds one block per rank: equal blocks, or a vector's counts/displs.

    What an in-place ``Gather`` at the root contributes (its block of the receive buffer) and what an
    in-place ``Scatter`` at the root keeps (its block of the send buffer).
    """
    buf, count, displ = _message_parts(spec)
    if isinstance(count, (list, tuple, np.ndarray)) and len(count) == size:  # Gatherv/Scatterv: counts, displs
        counts = [int(c) for c in count]
        if isinstance(displ, (list, tuple, np.ndarray)) and len(displ) == size:
            displs = [int(d) for d in displ]
        else:
            displs = [sum(counts[:r]) for r in range(size)]
        whole = buffer_values(buf)
        return None if whole is None else whole[displs[rank] : displs[rank] + counts[rank]]
    whole = buffer_values(spec, blocks=size)
    if whole is None or size < 1:
        return whole
    per = whole.size // size
    return whole[rank * per : (rank + 1) * per]


def trace_mpi() -> None:
    """Replace ``MPI.COMM_WORLD`` and ``MPI.File`` with subclasses that log what the program sends and writes.

    Runs in an MPI rank, before the learner's program (see :func:`run_traced`). Every
    point-to-point send (``send``, ``Send``, ``Isend``, ``Sendrecv`` and the others), every
    broadcast and every MPI-IO write is recorded as an :data:`Event` in this process, with ranks
    translated to ``COMM_WORLD``'s; communicators made from a traced one (``Dup``, ``Split``,
    ``Create_cart``, ...) are traced too. The calls themselves are passed on unchanged.
    """
    from mpi4py import MPI  # noqa: PLC0415 -- starts MPI: only ever in a rank, never in the kernel

    world = MPI.COMM_WORLD
    world_group = world.Get_group()

    def world_rank(comm: Any, rank: object) -> int | None:
        if not isinstance(rank, numbers.Integral) or rank < 0:  # PROC_NULL, ANY_SOURCE: no one
            return None
        if comm == world:
            return int(rank)
        group = comm.Get_group()  # freed at once: a program may send millions of messages
        try:
            found = MPI.Group.Translate_ranks(group, [int(rank)], world_group)[0]
        finally:
            group.Free()
        return None if found == MPI.UNDEFINED else int(found)

    def packed(spec: list | tuple) -> np.ndarray:
        """What a message of a derived datatype carries (``[u, 1, column]``): MPI packs it for us."""
        buf, datatype = spec[0], spec[-1]
        base = datatype
        while not base.is_predefined:
            base = base.decode()[0]  # a vector's, a subarray's, ... element type (a struct: an error, below)
        if len(spec) == 3 and isinstance(spec[1], numbers.Integral):
            count = int(spec[1])
        else:
            count = max(1, np.asarray(buf).nbytes // datatype.extent)
        whole = datatype.Create_contiguous(count).Commit()
        try:
            out = bytearray(whole.Pack_size(1, world))
            whole.Pack(buf, out, 0, world)
        finally:
            whole.Free()
        return np.frombuffer(bytes(out), dtype=base.tocode()).copy()

    def carried(spec: object, blocks: int = 1) -> np.ndarray | None:
        """The values a buffer argument sends or writes: derived datatypes packed, counts and displacements kept.

        ``blocks``: see :func:`buffer_values`.
        """
        if spec is MPI.IN_PLACE or spec is MPI.BOTTOM:
            return None
        if isinstance(spec, (list, tuple)) and len(spec) >= 2 and isinstance(spec[-1], MPI.Datatype):
            if not spec[-1].is_predefined:
                try:
                    return packed(spec)
                except Exception:  # a struct, a buffer MPI cannot read: the call itself will say
                    return None
            spec = in_array_elements(spec)
        return buffer_values(spec, blocks)

    def in_array_elements(spec: list | tuple) -> object:
        """``spec`` with its count and displacement (in elements of its datatype) in elements of its array.

        They differ only where the datatype's size is not the array's item size: bytes sent as a wider type
        (``[raw_bytes, 2, MPI.DOUBLE]``) are read as that type, as MPI reads them; an array of wider items
        sent as bytes keeps its own values (``[floats, 16, MPI.BYTE]``: two floats).
        """
        buf, count, displ = _message_parts(spec)
        if not isinstance(count, numbers.Integral) and not isinstance(displ, numbers.Integral):
            return spec
        try:
            array = np.ascontiguousarray(buf).reshape(-1)
            size, item = spec[-1].Get_size(), array.dtype.itemsize
        except Exception:  # not a buffer: the call itself says so
            return spec
        if array.dtype == object or size == item or not item:
            return spec
        count, displ = (int(v) if isinstance(v, numbers.Integral) else None for v in (count, displ))
        if item < size or not all(v is None or v * size % item == 0 for v in (count, displ)):
            try:  # raw bytes sent as doubles, or a count that cuts the array's items: read them as MPI does
                return [array.view(np.dtype(spec[-1].tocode())), count, displ or 0, None]
            except Exception:  # no NumPy code for this type, or not a whole number of its items
                return spec
        return [array, None if count is None else count * size // item, (displ or 0) * size // item, None]

    class Traced:
        """What a traced communicator does besides the call: write it down."""

    def sending(name: str, data_name: str, tag_name: str) -> Callable[..., object]:
        def method(self: Any, *args: Any, **kwargs: Any) -> object:
            to = world_rank(self, _argument(args, kwargs, 1, "dest"))
            if to is not None:
                data = _argument(args, kwargs, 0, data_name)
                kept = _object_copy(data) if name[0].islower() else carried(data)
                tag = _argument(args, kwargs, 2, tag_name, 0)
                _LOG.append({"call": name, "to": to, "tag": tag, "data": kept})
            return getattr(super(Traced, self), name)(*args, **kwargs)

        return method

    def broadcasting(name: str) -> Callable[..., object]:
        def method(self: Any, *args: Any, **kwargs: Any) -> object:
            root = _argument(args, kwargs, 1, "root", 0)
            data = _argument(args, kwargs, 0, "obj" if name == "bcast" else "buf")
            kept = None
            if root == self.Get_rank():
                kept = _object_copy(data) if name == "bcast" else carried(data)
            _LOG.append({"call": name, "root": world_rank(self, root), "data": kept})
            return getattr(super(Traced, self), name)(*args, **kwargs)

        return method

    def collecting(name: str, send_at: int, receive_at: int | None) -> Callable[..., object]:
        def method(self: Any, *args: Any, **kwargs: Any) -> object:
            if receive_at is None:
                gave = _object_copy(_argument(args, kwargs, send_at, "sendobj"))
                out = getattr(super(Traced, self), name)(*args, **kwargs)
                _LOG.append({"call": name, "gave": gave, "got": _object_copy(out)})
                return out
            send = _argument(args, kwargs, send_at, "sendbuf")
            receive = _argument(args, kwargs, receive_at, "recvbuf")
            rank, size = self.Get_rank(), self.Get_size()
            blocking = name if name in _BLOCKING_NAMES else name[1].upper() + name[2:]  # Iallreduce: Allreduce
            # mpi4py reads a count on the side that holds one block per rank as the count of each block
            send_blocks = size if blocking in _BLOCKS_SENT else 1
            receive_blocks = size if blocking in _BLOCKS_RECEIVED else 1
            if send is MPI.IN_PLACE and blocking in _BLOCKS_RECEIVED and blocking != "Alltoall":
                gave = block_of(receive, rank, size)  # an in-place Gather: the root's block is already in place
            elif send is MPI.IN_PLACE:
                gave = carried(receive, receive_blocks)  # an in-place reduction: the values it starts from
            else:
                gave = carried(send, send_blocks)
            out = getattr(super(Traced, self), name)(*args, **kwargs)
            if blocking != name:
                got = None  # a non-blocking call: nothing has arrived yet
            elif receive is MPI.IN_PLACE and name in _BLOCKS_SENT:
                got = block_of(send, rank, size)  # an in-place Scatter: the root keeps its block where it is
            else:
                got = carried(receive, receive_blocks)
            _LOG.append({"call": name, "gave": gave, "got": got})
            return out

        return method

    def making(name: str) -> Callable[..., object]:
        def method(self: Any, *args: Any, **kwargs: Any) -> object:
            made = getattr(super(Traced, self), name)(*args, **kwargs)
            if isinstance(made, MPI.Cartcomm):
                return TracedCartcomm(made)
            if isinstance(made, MPI.Intracomm) and made != MPI.COMM_NULL:
                return TracedIntracomm(made)
            return made

        return method

    for name, (data_name, tag_name) in _SENDS.items():
        setattr(Traced, name, sending(name, data_name, tag_name))
    for name in _BROADCASTS:
        setattr(Traced, name, broadcasting(name))
    for name, (send_at, receive_at) in _COLLECTIVES.items():
        setattr(Traced, name, collecting(name, send_at, receive_at))
    for name in _MAKERS:
        setattr(Traced, name, making(name))

    def reduce_as(base: type, comm: Any) -> Any:
        """Pickle a traced communicator as mpi4py pickles the one it watches: COMM_WORLD by name, others not."""
        if comm is MPI.COMM_WORLD:
            return "COMM_WORLD"  # mpi4py.MPI.COMM_WORLD, this very object (its class says mpi4py.MPI, below)
        return base(comm).__reduce__()  # a communicator the program made: mpi4py's own "cannot serialize"

    class TracedIntracomm(Traced, MPI.Intracomm):
        def __reduce__(self) -> Any:
            return reduce_as(MPI.Intracomm, self)

    class TracedCartcomm(Traced, MPI.Cartcomm):
        def __reduce__(self) -> Any:
            return reduce_as(MPI.Cartcomm, self)

    setattr(TracedCartcomm, "Sub", making("Sub"))  # noqa: B010 -- a Cartcomm method only
    # What the program sees in its error messages and reprs: mpi4py's names ("'Intracomm' object has no attribute")
    for traced, base in ((TracedIntracomm, MPI.Intracomm), (TracedCartcomm, MPI.Cartcomm)):
        traced.__name__ = traced.__qualname__ = base.__name__
        traced.__module__ = base.__module__

    def writing(name: str, position: int) -> Callable[..., object]:
        def method(self: Any, *args: Any, **kwargs: Any) -> object:
            _LOG.append({"call": name, "data": carried(_argument(args, kwargs, position, "buf"))})
            return getattr(super(TracedFile, self), name)(*args, **kwargs)

        return method

    class TracedFile(MPI.File):
        pass

    TracedFile.__name__ = TracedFile.__qualname__ = MPI.File.__name__
    TracedFile.__module__ = MPI.File.__module__

    for name, position in _WRITES.items():
        setattr(TracedFile, name, writing(name, position))

    MPI.COMM_WORLD = TracedIntracomm(world)  # type: ignore[misc]
    MPI.File = TracedFile  # type: ignore[misc]


def finish_trace(namespace: dict[str, Any], program_globals: Mapping[str, Any]) -> None:
    """Give the traced run's namespace the learner's variables and, as :data:`TRAFFIC`, the log."""
    namespace.update(program_globals, **{TRAFFIC: list(_LOG)})


def run_traced(
    program: object,
    name: str,
    *,
    n: int = 4,
    collect: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    args: Iterable[str] = (),
) -> tuple[mpi.MPIResult, dict[int, list[Event]]]:
    """:func:`run_answer`, watching the program's MPI traffic: the result, and each rank's :data:`Event` list.

    The program runs as it would alone (its line numbers, ``sys.argv`` and ``__name__`` unchanged);
    :func:`trace_mpi` runs first in every rank.
    """
    program = validate_program(program, name)
    with tempfile.TemporaryDirectory(prefix="hpclab-check-") as tmp:
        path = Path(tmp) / "program.py"
        path.write_text(program)
        main = _TRACED_MAIN.format(path=str(path))
        result = run_answer(main, name, n=n, collect=[*collect, TRAFFIC], timeout=timeout, args=args)
    traffic = {rank: cast("list[Event]", result.values[rank].pop(TRAFFIC)) for rank in range(n)}
    return result, traffic


def sent(traffic: Mapping[int, list[Event]], source: int, dest: int) -> list[Event]:
    """The messages rank ``source`` sent to rank ``dest`` (ranks of ``COMM_WORLD``), in order."""
    return [event for event in traffic.get(source, []) if event.get("to") == dest]


def numbers_in(events: Iterable[Event]) -> np.ndarray:
    """Every number the events carried, one after the other, as float64 (other data left out)."""
    parts = []
    for event in events:
        try:
            values = np.asarray(event["data"], dtype=float).ravel()
        except (TypeError, ValueError):
            continue
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(0)


def describe(events: list[Event], limit: int = 3) -> str:
    """The events for a message: ``send of None (tag 0)``, at most ``limit`` of them."""
    shown = [
        f"{event['call']} of {show(event['data'], 40)}" + (f" (tag {event['tag']})" if "tag" in event else "")
        for event in events[:limit]
    ]
    more = f" and {len(events) - limit} more" if len(events) > limit else ""
    return "; ".join(shown) + more


def require_sent(
    traffic: Mapping[int, list[Event]],
    source: int,
    dest: int,
    holds: str,
    want: str,
    matches: Callable[[list[Event]], bool],
) -> None:
    """Raise :class:`Wrong` unless the messages rank ``source`` sent rank ``dest`` carry what ``dest`` holds.

    For a check whose values are already right: it tells a rank that received its values from
    one that computed them itself and sent something else ("rank 3 holds the right message, but
    rank 0 sent rank 3 only send of None (tag 0), not {...}").

    Parameters
    ----------
    traffic : mapping of int to list of Event
        Each rank's traffic, from :func:`run_traced`.
    source, dest : int
        The ranks (of ``COMM_WORLD``) the message should go from and to.
    holds : str
        What ``dest`` holds, for the message ("message", "ghost cells").
    want : str
        What the messages should have carried, for the message.
    matches : callable
        Whether the list of messages from ``source`` to ``dest`` carried it.
    """
    messages = sent(traffic, source, dest)
    if matches(messages):
        return
    what = f"sent rank {dest} only {describe(messages)}" if messages else f"sent rank {dest} no message at all"
    raise Wrong(
        f"rank {dest} holds the right {holds}, but rank {source} {what}, not {want}: the values must travel "
        f"in the messages, not be worked out on the rank that should receive them"
    )


def carrying(value: object, tag: object = None) -> Callable[[list[Event]], bool]:
    """For :func:`require_sent`: one of the messages carried ``value`` (with tag ``tag``, if given)."""
    return lambda events: any(same(e["data"], value) and (tag is None or e.get("tag") == tag) for e in events)


def carrying_all(values: np.ndarray) -> Callable[[list[Event]], bool]:
    """For :func:`require_sent`: one message carried ``values``, or the messages' numbers, one after the other, are it.

    A program may send more than the data (its length first, say): one message that carried it all counts.
    """
    return lambda events: same(numbers_in(events), values) or any(same(numbers_in([e]), values) for e in events)


def carrying_number(value: float) -> Callable[[list[Event]], bool]:
    """For :func:`require_sent`: some message carried the number ``value`` (alone or among others)."""
    return lambda events: bool(np.isclose(numbers_in(events), value, rtol=1e-9, atol=1e-12).any())


def _flat(value: object) -> np.ndarray | None:
    """A value's numbers as one flat float64 array (a list of arrays included), or None if it has none."""
    try:
        return (
            np.concatenate([np.asarray(part, dtype=float).ravel() for part in value])
            if isinstance(value, (list, tuple))
            else np.asarray(value, dtype=float).ravel()
        )
    except (TypeError, ValueError):
        return None


def require_delivered(
    traffic: Mapping[int, list[Event]], rank: int, calls: Iterable[str], name: str, held: object, side: str = "got"
) -> None:
    """Raise :class:`Wrong` unless what ``rank`` holds in ``name`` is what one of its collective ``calls`` moved.

    ``side="got"``: what the call delivered to the rank (a Scatter's piece, an Allreduce's sum);
    ``side="gave"``: what the rank put in (a Gather's contribution). Compared by value, flattened.
    A program that made none of these calls (a non-blocking variant, say) is not judged here.

    Parameters
    ----------
    traffic : mapping of int to list of Event
        Each rank's traffic, from :func:`run_traced`.
    rank : int
        The rank (of ``COMM_WORLD``).
    calls : iterable of str
        The collectives that should have moved it (``"Scatter"``, ``"scatter"``).
    name : str
        The variable, for the message.
    held : object
        What the rank holds (already found right by the check).
    side : {"got", "gave"}
        Which side of the call to compare.
    """
    calls = set(calls)
    events = [event for event in traffic.get(rank, []) if event["call"] in calls]
    want = _flat(held)
    if not events or want is None:
        return
    for event in events:
        moved = _flat(event[side])
        if moved is not None and same(moved, want):
            return
    first = events[0]
    if side == "got":
        what = f"its {first['call']} delivered {show(first['got'], 50)}"
        hint = "keep what the collective gives you; working it out on the rank itself is not the exercise"
    else:
        what = f"it gave its {first['call']} {show(first['gave'], 50)}"
        hint = "pass the collective the values themselves, not a stand-in"
    raise Wrong(f"rank {rank} holds the right {name}, but {what}: {hint}")
