"""``hpclab bench``: the course's speed claims, measured side by side in one run.

Tests check correctness only (the machines are shared and noisy); how much
faster one way is than another is measured here, on the machine at hand, with
both sides timed alternately in the same run and the median kept. Each line
prints the two medians and their ratio; nothing is asserted about them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask
import dask.array as da
import distributed
import numpy as np

from hpclab import cluster, handoff, mpi, tls
from hpclab.errors import SetupError, UsageError
from hpclab.handoff.worker import STATE_ATTRIBUTE
from hpclab.tools.deps import LOCK
from hpclab.tools.measure import Comparison, side_by_side

if TYPE_CHECKING:
    from mpi4py import MPI

#: The source checkout this module runs from (src/hpclab/tools/bench.py -> the folder holding src/):
#: the ``setup`` benchmark installs it, as a learner's fresh clone would be installed.
SOURCE_ROOT = Path(__file__).resolve().parents[3]


def numpy_vs_loop(size: int = 1_000_000, repeats: int = 5) -> Comparison:
    """Lesson 01: a Python loop against NumPy for a sum of squares."""
    x = np.random.default_rng(0).random(size)

    def loop() -> None:
        total = 0.0
        for value in x.tolist():
            total += value * value

    def vectorised() -> None:
        np.dot(x, x)

    return side_by_side(f"sum of squares, {size:,} numbers", ("Python loop", loop), ("NumPy", vectorised), repeats)


def _slow_is_prime(n: int) -> bool:
    """Try every factor up to n/2, no early exit: even work per number, all pure Python (GIL-bound)."""
    return n > 1 and sum(1 for f in range(2, n // 2) if n % f == 0) == 0


def futures_vs_serial(count: int = 40, start: int = 2_000_000, repeats: int = 3) -> Comparison:
    """Lesson 02: prime counting, serial against Dask futures on this machine's cores."""
    numbers = range(start, start + count)
    workers = cluster.available_cores()
    with cluster.start(n_workers=workers, threads_per_worker=1, quiet=True) as client:

        def serial() -> None:
            sum(map(_slow_is_prime, numbers))

        def futures() -> None:
            sum(client.gather(client.map(_slow_is_prime, numbers, pure=False)))

        futures()  # warm the workers up
        return side_by_side(
            f"prime test of {count} numbers", ("serial", serial), (f"futures, {workers} workers", futures), repeats
        )


# mpi4py's own ping-pong (warm-up iterations, then the mean of the timed ones),
# run on two ranks; rank 0 prints one line per message size.
_PING_PONG = """
import sys
from mpi4py.bench import main
main(["pingpong", *sys.argv[1:]])
"""


def parse_pingpong(text: str) -> dict[int, float]:
    """Message size (bytes) -> mean round-trip time (s), from ``python -m mpi4py.bench pingpong`` output."""
    times: dict[int, float] = {}
    for line in text.splitlines():
        fields = line.replace("|", " ").split()
        if len(fields) >= 3 and fields[0].isdigit():
            times[int(fields[0])] = float(fields[2])
    return times


def pingpong_times(sizes: tuple[int, int], *, pickled: bool, warmup: int = 3, rounds: int = 20) -> dict[int, float]:
    """Run ``mpi4py.bench pingpong`` on 2 ranks for message sizes ``sizes[0]..sizes[1]`` (powers of 2)."""
    args = [
        "-m",
        str(sizes[0]),
        "-n",
        str(sizes[1]),
        "-s",
        str(warmup),
        "-l",
        str(rounds),
        "--skip-large",
        str(warmup),
        "--loop-large",
        str(rounds),
        *(["-p"] if pickled else []),
    ]
    result = mpi.run(_PING_PONG, 2, args=args, timeout=180)
    times = parse_pingpong(result.stdout.get(0, ""))
    if not times:
        raise SetupError(
            f"mpi4py.bench pingpong printed no timings:\n{result.stdout.get(0, '')}\n{result.failure_report()}"
        )
    return times


def pickle_vs_buffer(nbytes: int = 8 * 1024**2, rounds: int = 20, repeats: int = 3) -> Comparison:
    """Lesson 08: a 2-rank ping-pong of a NumPy array, send/recv (pickle) against Send/Recv (mpi4py.bench)."""

    def one(pickled: bool) -> Callable[[], float]:
        return lambda: pingpong_times((nbytes, nbytes), pickled=pickled, rounds=rounds)[nbytes]

    return side_by_side(
        f"ping-pong of {nbytes / 1024**2:g} MiB, per round trip",
        ("send/recv (pickle)", one(True)),
        ("Send/Recv (buffer)", one(False)),
        repeats,
    )


_HANDOFF = """
import os
import sys
import tempfile
import time

import numpy as np
from dask_mpi import initialize

initialize(interface="lo", nthreads=1, dashboard=False, dashboard_address="127.0.0.1:0",
           local_directory=tempfile.gettempdir())

import dask.array as da
import distributed
from mpi4py import MPI

from hpclab import handoff

n, repeats = int(sys.argv[1]), int(sys.argv[2])


def partial_sum(pieces, blocks, comm):
    local = np.array([sum(float(b.sum()) for b in blocks)])
    total = np.zeros(1)
    comm.Allreduce(local, total, op=MPI.SUM)
    return float(total[0])


def from_disk(pieces, blocks, comm, folder):
    # The MPI side of the disk route: each rank reads its share of the files.
    _, mine = handoff.read_my_share(folder, comm.Get_rank(), comm.Get_size())
    local = np.array([sum(float(b.sum()) for b in mine)])
    total = np.zeros(1)
    comm.Allreduce(local, total, op=MPI.SUM)
    return float(total[0])


with distributed.Client() as client:
    client.wait_for_workers(MPI.COMM_WORLD.Get_size() - 2, timeout=120)
    x = client.persist(da.random.default_rng(0).random((n, n), chunks=(n // 6, n)))
    distributed.wait(x)
    expected = float(x.sum().compute())
    memory, disk = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        totals = handoff.run_on_workers(client, x, partial_sum, mpi=True)
        memory.append(time.perf_counter() - start)
        assert all(abs(t - expected) < 1e-6 * abs(expected) for t in totals.values())
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            handoff.write_pieces(x, folder)
            totals = handoff.run_on_workers(client, x, from_disk, mpi=True, args=(folder,))
            disk.append(time.perf_counter() - start)
            assert all(abs(t - expected) < 1e-6 * abs(expected) for t in totals.values())
    memory_s, disk_s = float(np.median(memory)), float(np.median(disk))
"""


def _seconds(values: dict[str, object], name: str) -> float:
    """A time in seconds that an MPI program left in its variable ``name`` (:func:`hpclab.mpi.run`'s ``collect``)."""
    value = values.get(name)
    if not isinstance(value, int | float):
        raise SetupError(f"the benchmark program left {name} = {value!r}, not a number of seconds")
    return float(value)


def disk_vs_memory_handoff(n: int = 10_000, repeats: int = 3) -> Comparison:
    """Lesson 11: hand a persisted array to MPI code through files, or in place in the workers."""
    with tls.credentials() as dask_tls:  # over TLS, as the lessons' and jobs' dask-mpi clusters
        result = mpi.run(
            _HANDOFF,
            5,
            args=[str(n), str(repeats)],
            collect=["memory_s", "disk_s"],
            timeout=300,
            env={**os.environ, **dask_tls},
        )
    values = result.values[1]  # rank 1 runs the client code
    return Comparison(
        f"hand a {n}x{n} array ({n * n * 8 / 1e6:.0f} MB) to MPI and sum it",
        "through files",
        _seconds(values, "disk_s"),
        "in memory (hpclab.handoff)",
        _seconds(values, "memory_s"),
        repeats,
    )


def _tcp_and_tls_clients(
    memory_limit: str = "1GiB",
) -> tuple[contextlib.ExitStack, distributed.Client, distributed.Client]:
    """Two local clusters of two one-thread workers each: plain TCP (``security=False``) and TLS (the default)."""
    stack = contextlib.ExitStack()
    plain, secure = (
        stack.enter_context(
            cluster.client(n_workers=2, threads_per_worker=1, memory_limit=memory_limit, quiet=True, security=security)
        )
        for security in (False, True)
    )
    for c in (plain, secure):
        c.wait_for_workers(2, timeout=120)
    return stack, plain, secure


def _add_one(x: int) -> int:
    """The smallest task worth sending: what a round trip costs is then the overhead alone."""
    return x + 1


def tls_task_round_trip(rounds: int = 200, repeats: int = 5) -> Comparison:
    """docs/security.md: what TLS costs a small task: submit, run on a worker, result back."""
    stack, plain, secure = _tcp_and_tls_clients()
    with stack:

        def one(c: distributed.Client) -> Callable[[], float]:
            def run() -> float:
                start = time.perf_counter()
                for i in range(rounds):
                    c.submit(_add_one, i, pure=False).result()
                return (time.perf_counter() - start) / rounds

            return run

        for c in (plain, secure):
            one(c)()  # warm up: connections open, functions cached
        return side_by_side(
            f"task round trip (mean of {rounds})", ("plain TCP", one(plain)), ("TLS", one(secure)), repeats
        )


def _ones(nbytes: int) -> np.ndarray:
    """An array of ``nbytes`` bytes, made on the worker that runs this (so only the transfer is timed)."""
    return np.ones(nbytes // 8)


def tls_worker_transfer(mib: int = 64, repeats: int = 5) -> Comparison:
    """docs/security.md: what TLS costs moving data: an array made on one worker, needed by the other."""
    nbytes = mib * 1024**2
    stack, plain, secure = _tcp_and_tls_clients(memory_limit=f"{max(1, 4 * mib // 1024 + 1)}GiB")
    with stack:

        def one(c: distributed.Client) -> Callable[[], float]:
            first, second = sorted(c.scheduler_info()["workers"])

            def run() -> float:
                data = c.submit(_ones, nbytes, workers=[first], allow_other_workers=False, pure=False)
                distributed.wait(data)  # made, not yet moved: only the transfer is timed
                start = time.perf_counter()
                got = c.submit(len, data, workers=[second], allow_other_workers=False, pure=False).result()
                seconds = time.perf_counter() - start
                assert got == nbytes // 8
                del data
                return seconds

            return run

        for c in (plain, secure):
            one(c)()
        return side_by_side(
            f"{mib} MiB from one worker to another", ("plain TCP", one(plain)), ("TLS", one(secure)), repeats
        )


def _local_sum(
    pieces: Sequence[handoff.Piece], blocks: Sequence[np.ndarray], comm: MPI.Intracomm
) -> tuple[float, float]:
    """Sum this worker's blocks, Allreduce the partial sums; also report the seconds the local sum took."""
    from mpi4py import MPI  # noqa: PLC0415  runs on an MPI worker; importing MPI at module top would initialise it

    start = time.perf_counter()
    local = np.array([sum(float(b.sum()) for b in blocks)], dtype=float)
    seconds = time.perf_counter() - start
    total = np.zeros(1)
    comm.Allreduce(local, total, op=MPI.SUM)
    return float(total[0]), seconds


def mpi_cluster_vs_compute(n: int = 10_000, workers: int = 3, repeats: int = 3) -> Comparison:
    """Lesson 11: in memory on ``cluster.start(mpi=True)`` workers against the computation alone (no copy).

    The slowest worker's own time for summing its blocks, measured inside the call, is what no
    handoff can beat; the whole ``run_on_workers(..., mpi=True)`` call (communicator reused after
    the warm-up) is set against it. The ratio printed is the call's time over the computation's:
    how many times the computation alone the whole call takes.
    """
    with cluster.client(n_workers=workers, threads_per_worker=1, mpi=True, quiet=True) as client:
        x = client.persist(da.random.default_rng(0).random((n, n), chunks=(max(1, n // (2 * workers)), n)))
        distributed.wait(x)
        handoff.run_on_workers(client, x, _local_sum, mpi=True, timeout=600)  # warm-up: builds the communicator
        compute, whole = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            results = handoff.run_on_workers(client, x, _local_sum, mpi=True, timeout=600)
            whole.append(time.perf_counter() - start)
            compute.append(max(seconds for _, seconds in results.values()))
    return Comparison(
        f"sum a {n}x{n} array ({n * n * 8 / 1e6:.0f} MB) on start(mpi=True), {workers} workers",
        "in memory, whole call",
        statistics.median(whole),
        "computation alone",
        statistics.median(compute),
        repeats,
    )


#: On each worker: seconds the latest :func:`_scale` or :func:`_scale_on_disk` spent computing.
_LAST_COMPUTE: dict[str, float] = {}


def _scale(pieces: Sequence[handoff.Piece], blocks: Sequence[np.ndarray], comm: MPI.Intracomm) -> list[np.ndarray]:
    """The MPI step of the round trip: every block doubled, one result block per piece (timed here)."""
    start = time.perf_counter()
    out = [block * 2.0 for block in blocks]
    _LAST_COMPUTE["seconds"] = time.perf_counter() - start
    return out


def _scale_on_disk(
    pieces: Sequence[handoff.Piece], blocks: Sequence[np.ndarray], comm: MPI.Intracomm, folder: str, out: str
) -> int:
    """The same step by the disk route: read this rank's share, double it, write one file per block."""
    shares, mine = handoff.read_my_share(folder, comm.Get_rank(), comm.Get_size())
    start = time.perf_counter()
    scaled = [block * 2.0 for block in mine]
    _LAST_COMPUTE["seconds"] = time.perf_counter() - start
    for piece, block in zip(shares, scaled):
        np.save(Path(out) / f"{piece.index[0]}.npy", block)
    return len(scaled)


def _last_compute() -> float:
    return _LAST_COMPUTE.get("seconds", 0.0)


def roundtrip_vs_compute(n: int = 10_000, workers: int = 3, repeats: int = 3) -> list[Comparison]:
    """Lesson 11: Dask -> MPI -> Dask, on ``cluster.start(mpi=True)`` workers.

    The MPI step doubles every block. Three ways are timed alternately: the computation alone
    (the slowest worker's own time inside the step: the same function on the same blocks, already
    in place), the in-memory route there and back (:func:`hpclab.handoff.run_to_array`: the result
    stays on the workers), and the disk route (:func:`hpclab.handoff.write_pieces`, the step reads
    its share and writes its result, Dask reads the files back). Both routes end with the same Dask
    step, a sum, so both are whole round trips. The first row's ratio is the ``run_to_array``
    call's time over the computation's (issue 29's goal: 1.2 at most); the second's, the disk
    route's over the in-memory one's.
    """
    with cluster.client(n_workers=workers, threads_per_worker=1, mpi=True, quiet=True) as client:
        x = client.persist(da.random.default_rng(0).random((n, n), chunks=(max(1, n // (2 * workers)), n)))
        distributed.wait(x)
        expected = 2.0 * float(x.sum().compute())
        handoff.run_on_workers(client, x, _local_sum, mpi=True, timeout=600)  # warm-up: builds the communicator
        compute, memory, memory_call, disk = [], [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            back = handoff.run_to_array(client, x, _scale, timeout=600)
            memory_call.append(time.perf_counter() - start)
            total = float(back.sum().compute())
            memory.append(time.perf_counter() - start)
            compute.append(max(client.run(_last_compute).values()))
            del back
            if not np.isclose(total, expected):
                raise SetupError(f"the in-memory round trip summed to {total}, not {expected}")
            with tempfile.TemporaryDirectory(prefix="hpclab-bench-roundtrip-") as folder:
                out = Path(folder) / "out"
                out.mkdir()
                start = time.perf_counter()
                handoff.write_pieces(x, Path(folder) / "in")
                handoff.run_on_workers(
                    client, x, _scale_on_disk, mpi=True, args=(str(Path(folder) / "in"), str(out)), timeout=600
                )
                rows = x.chunks[0]
                read = [
                    da.from_delayed(dask.delayed(np.load)(str(out / f"{i}.npy")), (h, n), dtype=float)
                    for i, h in enumerate(rows)
                ]
                total = float(da.concatenate(read).sum().compute())
                disk.append(time.perf_counter() - start)
            if not np.isclose(total, expected):
                raise SetupError(f"the disk round trip summed to {total}, not {expected}")
    size = f"{n}x{n} ({n * n * 8 / 1e6:.0f} MB)"
    return [
        Comparison(
            f"double a {size} in MPI, back as a dask array, {workers} start(mpi=True) workers",
            "in memory, run_to_array call",
            statistics.median(memory_call),
            "computation alone",
            statistics.median(compute),
            repeats,
        ),
        Comparison(
            f"Dask -> MPI -> Dask round trip of a {size}, then a Dask sum",
            "through files",
            statistics.median(disk),
            "in memory (run_to_array)",
            statistics.median(memory),
            repeats,
        ),
    ]


def communicator_build(workers: Sequence[int] = (2, 4, 8), repeats: int = 1) -> list[Comparison]:
    """Lesson 11: growing a communicator over N ``start(mpi=True)`` workers (ceil(log2 N) rounds), and reusing it."""
    rows = []
    for n in workers:
        with cluster.client(n_workers=n, threads_per_worker=1, mpi=True, quiet=True) as client:
            built, reused = [], []
            for _ in range(repeats):
                client.run(lambda dask_worker, name=STATE_ATTRIBUTE: setattr(dask_worker, name, None))  # forget it
                info = handoff.communicator(client, timeout=300)
                built.append(info["seconds"])
                start = time.perf_counter()
                handoff.communicator(client, timeout=300)
                reused.append(time.perf_counter() - start)
        rows.append(
            Comparison(
                f"communicator over {n} MPI workers ({info['rounds']} rounds)",
                "grown (Accept/Connect/Merge)",
                statistics.median(built),
                "reused",
                statistics.median(reused),
                repeats,
            )
        )
    return rows


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for the JupyterLab the setup benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install_and_serve(root: Path, venv: Path, index_options: list[str], timeout: float = 900) -> float:
    """Seconds from nothing to JupyterLab answering: make a venv, install the lock, start the server.

    The setup a learner goes through after cloning (``make lab``, less the data).
    """
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=timeout)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            *index_options,
            "-c",
            str(root / LOCK),
            f"{root}[mpich,test]",
        ],
        check=True,
        timeout=timeout,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            str(venv / "bin" / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.token=bench",
            f"--ServerApp.root_dir={venv}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2)
                return time.perf_counter() - start
            except OSError:
                if server.poll() is not None:
                    raise SetupError(
                        f"JupyterLab in {venv} exited with {server.returncode} before it answered"
                    ) from None
                time.sleep(0.2)
        raise SetupError(f"JupyterLab in {venv} did not answer within 120 s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def setup_index_vs_wheelhouse(wheelhouse: str | None = None, repeats: int = 1) -> Comparison:
    """docs/setup.md, Which install, where: a fresh install of the lock from the package index, and from a wheelhouse, to a serving JupyterLab.

    Without ``wheelhouse`` one is made first (``make wheelhouse``, not timed).
    Needs the package index for the first side; pip's cache makes repeats faster.
    """
    root = SOURCE_ROOT
    with tempfile.TemporaryDirectory(prefix="hpclab-bench-setup-") as tmp:
        folder = Path(wheelhouse) if wheelhouse else Path(tmp) / "wheelhouse"
        if not wheelhouse:
            subprocess.run(
                ["make", "-C", str(root), "wheelhouse", f"WHEELHOUSE_DIR={folder}"],
                check=True,
                capture_output=True,
                timeout=1800,
            )
        runs = iter(range(10**6))
        return side_by_side(
            "fresh clone to JupyterLab answering",
            ("from the index", lambda: _install_and_serve(root, Path(tmp) / f"v{next(runs)}", [])),
            (
                "from the wheelhouse",
                lambda: _install_and_serve(
                    root, Path(tmp) / f"v{next(runs)}", ["--no-index", "--find-links", str(folder)]
                ),
            ),
            repeats,
        )


def grading_sandbox_cost(lesson: str = "01-parallel-concepts", repeats: int = 3) -> Comparison:
    """docs/grading.md, The sandbox: one submission (the lesson's solution) graded without and with the sandbox."""
    import nbformat  # noqa: PLC0415  ~1 s (jsonschema); only this on-request benchmark reads notebooks

    from hpclab.grading import find_release_dir, grade_one  # noqa: PLC0415  the grading stack: only `bench sandbox` grades
    from hpclab.grading.sandbox import Limits, unavailable_reason  # noqa: PLC0415  the grading stack: only `bench sandbox` grades

    reason = unavailable_reason()
    if reason:
        raise SetupError(f"no sandbox to measure here: {reason}")
    release_dir = find_release_dir()
    solution = nbformat.read(release_dir.parent / "solutions" / f"{lesson}.ipynb", as_version=4)
    exercise = nbformat.read(release_dir / f"{lesson}.ipynb", as_version=4)
    answers = {c.id: c.source for c in solution.cells}
    for cell in exercise.cells:
        if cell.id.endswith("-answer") and cell.id in answers:
            cell.source = answers[cell.id]
    with tempfile.TemporaryDirectory(prefix="hpclab-bench-grade-") as tmp:
        path = Path(tmp) / f"{lesson}.ipynb"
        nbformat.write(exercise, path)

        def graded(limits: Limits | None) -> None:
            rows = grade_one(path, release_dir, {}, None, 600, 180, limits).rows
            if not all(r.status == "passed" for r in rows):
                raise SetupError(f"the solution of {lesson} did not pass: {[r.status for r in rows]}")

        return side_by_side(
            f"grade one {lesson} submission",
            ("unsandboxed", lambda: graded(None)),
            ("sandboxed", lambda: graded(Limits())),
            repeats,
        )


def grade_room_vs_nbgrader(**options: Any) -> list[Comparison]:
    """docs/grading.md, nbgrader side by side: one room graded by nbgrader's autograde and by ``hpclab grade``."""
    from hpclab.tools import gradebench  # noqa: PLC0415  the grading stack and nbformat: only `bench grade-room` grades

    return gradebench.grade_room_vs_nbgrader(**options)


#: A benchmark gives one comparison, or several rows (``commbuild``: one per worker count).
Benchmark = Callable[..., Comparison | list[Comparison]]

BENCHMARKS: dict[str, Benchmark] = {
    "numpy": numpy_vs_loop,
    "futures": futures_vs_serial,
    "pingpong": pickle_vs_buffer,
    "handoff": disk_vs_memory_handoff,
    "tls-task": tls_task_round_trip,
    "tls-transfer": tls_worker_transfer,
    "mpicluster": mpi_cluster_vs_compute,
    "roundtrip": roundtrip_vs_compute,
    "commbuild": communicator_build,
}
#: Run only when named (`hpclab bench setup`): minutes long, and it downloads from the index.
ON_REQUEST: dict[str, Benchmark] = {
    "setup": setup_index_vs_wheelhouse,
    "sandbox": grading_sandbox_cost,
    "grade-room": grade_room_vs_nbgrader,
}
#: Keyword arguments of each benchmark for ``--quick``: small sizes, one repeat.
QUICK: dict[str, dict[str, Any]] = {
    "numpy": {"size": 200_000, "repeats": 3},
    "futures": {"count": 12, "start": 100_000, "repeats": 1},
    "pingpong": {"nbytes": 1024**2, "rounds": 5, "repeats": 1},
    "handoff": {"n": 600, "repeats": 1},
    "tls-task": {"rounds": 20, "repeats": 1},
    "tls-transfer": {"mib": 16, "repeats": 1},
    "mpicluster": {"n": 600, "workers": 2, "repeats": 1},
    "roundtrip": {"n": 600, "workers": 2, "repeats": 1},
    "commbuild": {"workers": (2, 3), "repeats": 1},
    "grade-room": {"size": 4},
}


def run_benchmarks(names: Sequence[str] | None = None, *, quick: bool = False) -> list[Comparison]:
    """Run the named benchmarks (default: all), smaller with ``quick``."""
    known = {**BENCHMARKS, **ON_REQUEST}
    chosen = list(names) if names else list(BENCHMARKS)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise UsageError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(known)}")
    results: list[Comparison] = []
    for name in chosen:
        result = known[name](**(QUICK.get(name, {}) if quick else {}))
        results.extend(result if isinstance(result, list) else [result])  # some benchmarks give several rows
    return results


def render_comparisons(results: Sequence[Comparison]) -> str:
    """A table: each comparison's two medians and the ratio between them."""
    lines = [f"{'comparison':<46} {'baseline':>30} {'contender':>34} {'ratio':>7}"]
    for r in results:
        lines.append(
            f"{r.name:<46} {r.baseline + f' {r.baseline_s:.4g} s':>30} "
            f"{r.contender + f' {r.contender_s:.4g} s':>34} {r.ratio:>6.1f}x"
        )
    lines.append("ratio = baseline time / contender time, medians of alternating runs on this machine, now.")
    return "\n".join(lines)
