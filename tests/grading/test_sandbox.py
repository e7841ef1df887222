"""The grader's sandbox, proved with hostile submissions built here.

Every test that runs something hostile first asserts the sandbox is really on
(a dedicated uid, the process limit in force, its own namespaces) and skips
otherwise: unsandboxed, a fork bomb or ``kill(-1)`` as root would take the
machine down. Network isolation is proved by what the sandbox sees (only
``lo``), never by sending anything anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from hpclab.grading.execute import OUTPUT_LIMIT, execute
from hpclab.grading.sandbox import Limits, Sandbox, unavailable_reason
from tests.support import (
    ROOT,  # noqa: E402
    hpclab_grade,
)
from tests.support.notebooks import answer, exercise, solved

EXERCISES = ROOT / "exercises"
LESSON = "01-parallel-concepts"
PROCESS_LIMIT = 100  # small: the fork bomb below stops here (lesson 01 needs far fewer)


def require_sandbox() -> None:
    """Skip unless a sandbox with a dedicated uid can be made (root, Linux, bubblewrap)."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sandbox tests: {reason}")
        pytest.skip(reason)
    if os.geteuid() != 0:
        pytest.skip("the hostile tests need root: only then does every submission get a uid of its own")


PROBE = r"""
import json, os, resource, socket
def home():
    try:
        return sorted(os.listdir("/root")) if os.path.isdir("/root") else None
    except PermissionError:
        return "hidden"


def writable(path):
    try:
        with open(path, "a"):
            pass
        return True
    except OSError:
        return False
import hpclab
print(json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(),
    "nproc": resource.getrlimit(resource.RLIMIT_NPROC), "cpu": resource.getrlimit(resource.RLIMIT_CPU),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "host": socket.gethostbyname(socket.gethostname()),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "course_writable": writable(hpclab.__file__),
    "packages_writable": writable(os.path.join(os.path.dirname(os.__file__), "os.py")),
    "cwd_writable": writable("sandbox-probe.txt"),
    "tmp_writable": writable("/tmp/probe"), "shm_writable": writable("/dev/shm/probe"),
    "scratch_writable": writable(os.path.join(os.environ["HPCLAB_SCRATCH"], "probe")),
    "no_new_privs": [l.split()[1] for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0],
    "cap_eff": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0],
    "root_home": home(),
}))
"""


def probe_sandbox(limits: Limits) -> dict:
    """What a kernel in a real sandbox sees of itself (uid, limits, network, processes, writable paths)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    with Sandbox(EXERCISES, limits) as box:
        run = execute(nb, EXERCISES, timeout=120, cell_timeout=60, allow_errors=True, sandbox=box)
        uid = box.uid
    texts = [o.get("text", "") for o in run.notebook.cells[0].outputs]
    assert run.status == "ok" and texts, (run.status, run.message, run.notebook.cells[0].outputs)
    seen = json.loads(texts[0])
    seen["outer_uid"] = uid
    return seen


def assert_sandbox_active(seen: dict, limits: Limits) -> None:
    assert seen["uid"] == seen["euid"] == seen["outer_uid"] != 0
    assert seen["nproc"] == [limits.processes, limits.processes]
    assert seen["cap_eff"] == "0000000000000000" and seen["no_new_privs"] == "1"
    assert seen["interfaces"] == ["lo"]


@pytest.fixture(scope="module")
def sandbox_seen():
    require_sandbox()
    limits = Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT, cpu_seconds=120)
    seen = probe_sandbox(limits)
    assert_sandbox_active(seen, limits)
    return seen


@pytest.mark.slow
def test_a_sandbox_has_its_own_uid_limits_and_no_capabilities(sandbox_seen):
    assert sandbox_seen["uid"] >= 1000
    assert sandbox_seen["cpu"] == [120, 120]


@pytest.mark.slow
def test_the_sandbox_network_is_loopback_only_and_its_host_name_is_127_0_0_1(sandbox_seen):
    # Proved by what exists inside, never by sending anything.
    assert sandbox_seen["interfaces"] == ["lo"]
    assert sandbox_seen["host"] == "127.0.0.1"


@pytest.mark.slow
def test_the_sandbox_sees_only_its_own_processes(sandbox_seen):
    assert os.getpid() not in sandbox_seen["pids"] or len(sandbox_seen["pids"]) < 10
    assert sandbox_seen["pids"][0] == 1 and len(sandbox_seen["pids"]) < 10


@pytest.mark.slow
def test_the_course_and_packages_are_read_only_and_scratch_is_writable(sandbox_seen):
    assert not sandbox_seen["course_writable"] and not sandbox_seen["packages_writable"]
    assert sandbox_seen["cwd_writable"] and sandbox_seen["tmp_writable"]
    assert sandbox_seen["shm_writable"] and sandbox_seen["scratch_writable"]
    assert not (EXERCISES / "sandbox-probe.txt").exists()  # the working folder is a private copy
    # The instructor's home stays hidden, but for the folders the sandbox must expose (Python, the course).
    exposed = {
        Path(p).relative_to("/root").parts[0]
        for p in (sys.base_prefix, sys.prefix, ROOT)
        if Path(p).is_relative_to("/root") and Path(p) != Path("/root")
    }
    seen = sandbox_seen["root_home"]
    assert seen in (None, "hidden") or set(seen) <= exposed, seen


@pytest.mark.slow
def test_a_flood_of_output_is_cut_and_the_next_cell_still_runs(sandbox_seen):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("for _ in range(60):\n    print('x' * 1_000_000)"),
            nbformat.v4.new_code_cell("print('after the flood')"),
        ]
    )
    with Sandbox(EXERCISES, Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT)) as box:
        run = execute(nb, EXERCISES, timeout=180, cell_timeout=120, allow_errors=True, sandbox=box)
    kept = sum(len(o.get("text", "")) for o in run.notebook.cells[0].outputs)
    assert kept <= OUTPUT_LIMIT + 2_000_000  # at most one message past the limit before the cut
    assert "output of this cell cut" in run.notebook.cells[0].outputs[-1]["text"]
    assert run.notebook.cells[1].outputs[0]["text"] == "after the flood\n"


# ------------------------------------------------------------------ a hostile room


def _course_digest() -> dict[str, str]:
    """A hash of every file of the course tree a submission could try to change (and the packages it uses)."""
    import numpy

    files = [
        p
        for top in ("src", "exercises", "solutions")
        for p in sorted((ROOT / top).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    files += [Path(numpy.__file__), Path(os.__file__)]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


CHECKS_FILE = ROOT / "src" / "hpclab" / "checks" / "concepts.py"

WRITES_COURSE = f"""
import os, numpy
attempts = {{}}
for target in [{str(CHECKS_FILE)!r}, numpy.__file__, os.__file__, {str(ROOT / "exercises" / f"{LESSON}.ipynb")!r}]:
    try:
        with open(target, "a") as fh:
            fh.write("\\ndef check_q3(*a):\\n    return True\\n")
        attempts[target] = "written"
    except OSError as exc:
        attempts[target] = type(exc).__name__
for target in [{str(ROOT / "src" / "hpclab" / "checks" / "evil.py")!r}, {str(ROOT / "evil.txt")!r}]:
    try:
        open(target, "w").write("evil")
        attempts[target] = "written"
    except OSError as exc:
        attempts[target] = type(exc).__name__
print(attempts)
"""

KILLS_PARENT = """
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
"""

SIGNALS_OTHERS = f"""
import os, signal
for pid in (1, {os.getpid()}, {os.getppid()}):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as exc:
        print(pid, type(exc).__name__)
import subprocess
sleeper = subprocess.Popen(["sleep", "60"])
os.kill(-1, signal.SIGKILL)  # everything this uid may signal but itself: here, only the sleeper
print("sleeper", sleeper.wait())
"""

MEMORY_HOG = """
import time
hog = []
for _ in range(30):  # 3 GiB at most, even if nothing stopped it; the limit is 1 GiB
    hog.append(b"x" * (100 * 2**20))
    time.sleep(0.05)
time.sleep(600)  # hold it: only the watchdog's kill may end this cell, however slow the machine
"""

FLOODS_OUTPUT = """
import os
for _ in range(40):
    print("flood " * 200_000)
os.write(1, b"x" * 20_000_000)  # straight to the file descriptor, past Python's sys.stdout
"""

FORK_BOMB = f"""
import os, resource, time
soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
# Never fork unless the process limit is really in force for an unprivileged uid.
if os.getuid() == 0 or not 0 < hard <= {PROCESS_LIMIT}:
    raise SystemExit(f"no process limit in force (uid {{os.getuid()}}, RLIMIT_NPROC {{soft}}/{{hard}}): not forking")
children = 0
try:
    while children < 1000:
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        children += 1
except OSError as exc:
    print("fork refused after", children, type(exc).__name__)
"""


@pytest.fixture(scope="module")
def hostile_room(tmp_path_factory, sandbox_seen):
    room = tmp_path_factory.mktemp("hostile-room")
    everything = ("q1", "q2", "q3", "q4", "q5")
    nbformat.write(solved(exercise(LESSON), LESSON, *everything), room / "correct.ipynb")
    wrong = solved(exercise(LESSON), LESSON, *everything)
    answer(wrong, "s01-q3-answer", "def amdahl(serial_fraction, p):\n    return p\n")
    nbformat.write(wrong, room / "wrong.ipynb")
    for name, code in [
        ("writes-course", WRITES_COURSE),
        ("kills-parent", KILLS_PARENT),
        ("signals-others", SIGNALS_OTHERS),
        ("memory-hog", MEMORY_HOG),
        ("fork-bomb", FORK_BOMB),
        ("floods-output", FLOODS_OUTPUT),
    ]:
        nbformat.write(answer(solved(exercise(LESSON), LESSON, "q1"), "s01-q2-answer", code), room / f"{name}.ipynb")
    nbformat.write(
        solved(exercise(LESSON), LESSON, *everything), room / "zz-correct-after.ipynb"
    )  # graded after the hostile ones

    before = _course_digest()
    out = room / "scores.csv"
    proc = hpclab_grade(
        str(room),
        str(out),
        "--cell-timeout",
        "60",
        "--timeout",
        "180",
        "--jobs",
        "2",
        "--memory",
        "1",
        "--max-procs",
        str(PROCESS_LIMIT),
        release=EXERCISES,
        cwd=room,
        timeout=900,
    )
    after = _course_digest()
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = {(Path(r["submission"]).name, r["question"]): r["status"] for r in rows}
    return table, proc, before, after


def _statuses(table, name):
    return [table[(name, q)] for q in ("q1", "q2", "q3", "q4", "q5")]


@pytest.mark.slow
def test_the_hostile_room_is_graded_and_the_grader_survives(hostile_room):
    table, proc, _, _ = hostile_room
    assert proc.returncode == 0, proc.stderr
    assert "(sandboxed)" in proc.stdout and "WITHOUT a sandbox" not in proc.stderr
    assert _statuses(table, "correct.ipynb") == ["passed"] * 5
    assert _statuses(table, "zz-correct-after.ipynb") == ["passed"] * 5
    assert _statuses(table, "wrong.ipynb") == ["passed", "passed", "failed", "passed", "passed"]


@pytest.mark.slow
def test_writes_into_the_course_and_packages_change_nothing(hostile_room):
    table, _, before, after = hostile_room
    assert before == after
    assert not (ROOT / "src" / "hpclab" / "checks" / "evil.py").exists() and not (ROOT / "evil.txt").exists()
    # Its own later questions were graded by the real checks, not by the check it tried to write.
    assert _statuses(table, "writes-course.ipynb")[2:] == ["not-attempted"] * 3


@pytest.mark.slow
def test_killing_the_parent_or_every_process_it_may_signal_stops_only_that_submission(hostile_room):
    table, _, _, _ = hostile_room
    assert _statuses(table, "kills-parent.ipynb")[0] == "passed"
    assert table[("kills-parent.ipynb", "q2")] == "error"  # EPERM: the parent is not its own
    # kill(-1) spares the caller itself: only the sleeper it started dies, and the grader does not.
    signals = _statuses(table, "signals-others.ipynb")
    assert signals[0] == "passed" and "passed" not in signals[1:]


@pytest.mark.slow
def test_a_memory_hog_is_stopped_at_its_limit(hostile_room):
    table, proc, _, _ = hostile_room
    assert _statuses(table, "memory-hog.ipynb") == ["passed"] + ["kernel-died"] * 4
    assert "memory-hog.ipynb: stopped by the grader" in proc.stderr and "over the limit of 1.00 GiB" in proc.stderr


@pytest.mark.slow
def test_a_flood_of_output_does_not_stop_the_room(hostile_room):
    table, proc, _, _ = hostile_room
    assert _statuses(table, "floods-output.ipynb")[0] == "passed"
    assert "passed" not in _statuses(table, "floods-output.ipynb")[1:]
    assert len(proc.stdout) + len(proc.stderr) < 100_000  # none of it reached the grader's own output


@pytest.mark.slow
def test_a_fork_bomb_stops_at_the_process_limit(hostile_room):
    table, _, _, _ = hostile_room
    q1, q2 = _statuses(table, "fork-bomb.ipynb")[:2]
    assert q1 == "passed" and q2 in ("error", "not-attempted", "kernel-died")


@pytest.mark.slow
def test_a_fork_bomb_is_refused_at_the_process_limit(sandbox_seen):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FORK_BOMB)])
    with Sandbox(EXERCISES, Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT)) as box:
        run = execute(nb, EXERCISES, timeout=120, cell_timeout=60, allow_errors=True, sandbox=box)
        stopped = box.stopped
    text = "".join(o.get("text", "") for o in run.notebook.cells[0].outputs)
    assert "fork refused after" in text, (run.status, run.message, stopped, run.notebook.cells[0].outputs)
    assert int(text.split("fork refused after")[1].split()[0]) < PROCESS_LIMIT


@pytest.mark.slow
def test_the_leak_check_sees_what_a_sandboxed_submission_starts(sandbox_seen):
    import threading
    import time

    from tests.support import procs

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import subprocess, time\nsubprocess.Popen(['sleep', '61.5'], start_new_session=True)\ntime.sleep(8)"
            )
        ]
    )
    seen: list[str] = []

    def look() -> None:
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            seen.extend(line for line in procs.tagged(os.environ[procs.TAG]).values() if "sleep 61.5" in line)
            time.sleep(0.5)

    watcher = threading.Thread(target=look)
    watcher.start()
    with Sandbox(EXERCISES, Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT)) as box:
        execute(nb, EXERCISES, timeout=120, cell_timeout=60, allow_errors=True, sandbox=box)
    watcher.join()
    assert seen, "the sleeper the submission started was not found by its tag"
    assert not [line for line in procs.tagged(os.environ[procs.TAG]).values() if "sleep 61.5" in line]


@pytest.mark.slow
def test_a_dask_cluster_with_tls_runs_in_the_sandbox(sandbox_seen):
    """Dask's temporary certificates (TLS by default for the course's clusters) work inside."""
    pytest.importorskip("cryptography", reason="Security.temporary() needs cryptography (not installed)")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from distributed import Client, LocalCluster\n"
                "from distributed.security import Security\n"
                "security = Security.temporary()\n"
                "with LocalCluster(n_workers=1, threads_per_worker=1, protocol='tls', security=security,\n"
                "                  dashboard_address=None) as cluster, Client(cluster, security=security) as client:\n"
                "    print(client.submit(sum, [1, 2, 3]).result(), cluster.scheduler_address[:6])"
            )
        ]
    )
    with Sandbox(EXERCISES, Limits(memory=3 * 1024**3, processes=PROCESS_LIMIT * 3)) as box:
        run = execute(nb, EXERCISES, timeout=180, cell_timeout=120, allow_errors=True, sandbox=box)
    outputs = run.notebook.cells[0].outputs
    assert any(o.get("text", "").startswith("6 tls://") for o in outputs), outputs


# ------------------------------------------------------------------ what a submission can see and hold


def _run_in_sandbox(code: str, limits: Limits, *, cell_timeout: float = 60, readable=()):
    """Run one cell in a real sandbox; (its text output, the run, why the watchdog stopped it)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    with Sandbox(EXERCISES, limits, readable=list(readable)) as box:
        run = execute(
            nb, EXERCISES, timeout=cell_timeout + 60, cell_timeout=cell_timeout, allow_errors=True, sandbox=box
        )
        stopped = box.stopped
    outputs = run.notebook.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs) + "".join(o.get("evalue", "") for o in outputs)
    return text, run, stopped


def _outside_tmp(prefix: str, near: Path) -> Path:
    """A folder outside /tmp (pytest's rooms are there, private in every sandbox anyway), as a room would be.

    Made beside ``near`` when that is writable, else in /var/tmp; 0755 with 0644 files, like any folder
    made under the usual umask: only the sandbox may keep a submission out.
    """
    import tempfile

    parent = near if os.access(near, os.W_OK) else Path("/var/tmp")
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    folder.chmod(0o755)
    return folder


# A course-looking name that is no course setting must stay out too. Spelled in two parts: test_config
# fails on any HPCLAB_ name used in the course but not listed, and listing this one would let it through.
UNLISTED = "HPCLAB" + "_TEST_SECRET_TOKEN"
SECRETS = {UNLISTED: "hpclab-secret-4711", "AWS_SECRET_ACCESS_KEY": "aws-secret-4711"}

LOOKS_AROUND = r"""
import json, os, sys
import hpclab.data

def look(path):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, "rb") as fh:
            return "read " + repr(fh.read(40))
    except OSError as exc:
        return type(exc).__name__

targets = TARGETS
print(json.dumps({
    "seen": {path: look(path) for path in targets},
    "course_root": str(hpclab.data.course_root()),
    "env": {name: value for name, value in os.environ.items()},
}))
"""


@pytest.fixture(scope="module")
def looked_around(sandbox_seen):
    """A room and the grader's outputs outside /tmp, secrets in its environment, and a submission looking."""
    import shutil

    from hpclab.data import data_root

    room = _outside_tmp("hpclab-room-", Path("/var/tmp"))
    outputs = _outside_tmp("hpclab-grader-out-", ROOT.parent)
    try:
        nbformat.write(solved(exercise(LESSON), LESSON, "q1", "q2", "q3", "q4", "q5"), room / "peer.ipynb")
        (outputs / "feedback").mkdir(mode=0o755)
        for name in ("scores.csv", "gradebook.csv", "report.html", "feedback/peer.md"):
            (outputs / name).write_text("submission,question,status\npeer.ipynb,q1,passed\n")
            (outputs / name).chmod(0o644)
        targets = [
            str(ROOT / "solutions"),
            str(ROOT / "solutions" / f"{LESSON}.ipynb"),
            str(ROOT / "instructors"),
            str(ROOT / "tests"),
            str(ROOT / "README.md"),
            str(room),
            str(room / "peer.ipynb"),
            *(str(outputs / name) for name in ("scores.csv", "gradebook.csv", "report.html", "feedback/peer.md")),
            str(outputs),
            str(ROOT),
            str(ROOT / "src"),
        ]
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(room)  # the grader's working folder: the room, as docs/grading.md's example runs it
            for name, value in SECRETS.items():
                mp.setenv(name, value)
            code = LOOKS_AROUND.replace("TARGETS", repr(targets))
            limits = Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT)
            text, run, _ = _run_in_sandbox(code, limits, readable=[data_root()])
        assert run.status == "ok", (run.status, run.message, text)
        seen = json.loads(text)
        return seen, room, outputs
    finally:
        shutil.rmtree(room, ignore_errors=True)
        shutil.rmtree(outputs, ignore_errors=True)


@pytest.mark.slow
def test_a_submission_cannot_read_the_solutions_the_room_or_the_graders_outputs(looked_around):
    seen, room, outputs = looked_around
    files = seen["seen"]
    assert files[str(ROOT / "solutions")] == []  # an empty folder: course_root() still finds the course
    assert seen["course_root"] == str(ROOT)
    hidden = [p for p in files if p not in (str(ROOT), str(ROOT / "src"), str(ROOT / "solutions"))]
    assert {p: files[p] for p in hidden} == {p: "FileNotFoundError" for p in hidden}
    # Of the course folder only what a kernel needs: the package (not src/ around it), the lessons, the data.
    assert files[str(ROOT / "src")] == ["hpclab"]
    assert set(files[str(ROOT)]) <= {"src", "exercises", "notebooks", "jobscripts", "solutions", "data", ".venv"}


@pytest.mark.slow
def test_the_graders_secrets_do_not_reach_a_submission(looked_around):
    from tests.support import procs

    env = looked_around[0]["env"]
    assert not set(SECRETS) & set(env), sorted(env)
    assert not any(value in SECRETS.values() for value in env.values())
    assert env[procs.TAG] == os.environ[procs.TAG]  # the leak check still finds what a submission starts
    assert env["HOME"].startswith("/tmp/") and env["HPCLAB_SANDBOXED"] == "1"


def test_the_kernels_environment_is_an_allowlist():
    from hpclab.grading.sandbox import passed_env

    grader = {
        **SECRETS,
        "SSH_AUTH_SOCK": "/run/user/0/ssh",
        "GITHUB_TOKEN": "ghp_x",
        "PYTHONPATH": "/work/course",
        "HPCLAB_BWRAP": "/usr/bin/bwrap",
        "PATH": "/venv/bin:/usr/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
        "HPCLAB_DATA_SIZE": "small",
        "HPCLAB_TEST_RUN": "tag",
    }
    kept = passed_env(grader)
    assert kept == {
        "PATH": "/venv/bin:/usr/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
        "HPCLAB_DATA_SIZE": "small",
        "HPCLAB_TEST_RUN": "tag",
    }


SMALL_LIMIT = 320 * 2**20  # bytes: a kernel needs about a third of it

HOLDS_MEMORY_FILES = """
import ctypes, os, time
chunk = b"\\0" * 2**24
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype, libc.shmat.argtypes = ctypes.c_void_p, [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]


def hold(i):
    # 64 MiB written, then mapped by no process: no process's RSS or PSS shows these pages.
    if KIND == "sysv":
        segment = libc.shmget(0, 2**26, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
        address = libc.shmat(segment, None, 0)
        ctypes.memset(address, 1, 2**26)
        libc.shmdt(ctypes.c_void_p(address))
        return
    if KIND in ("memfd", "mapped memfd"):
        fd = os.memfd_create(f"hog{i}")
    else:
        fd = os.open(f"/dev/shm/hog{i}", os.O_CREAT | os.O_WRONLY, 0o600)
    for _ in range(4):
        os.write(fd, chunk)
    if KIND == "mapped memfd":  # mapped (never touched: no PSS), then no fd left: only the mapping holds it
        libc.mmap(None, 2**26, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        os.close(fd)


try:
    for i in range(12):  # 12 times 64 MiB: 768 MiB at most, even if nothing stopped it
        hold(i)
        print("held", (i + 1) * 64, "MiB", flush=True)
except OSError as exc:  # /dev/shm is full (its size is the limit): keep what it holds
    print("refused", exc, flush=True)
time.sleep(600)  # hold it: only the watchdog's kill may end this cell
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["memfd", "mapped memfd", "shm", "sysv"])
def test_memory_held_in_memfd_shm_or_sysv_segments_is_stopped_at_the_limit(sandbox_seen, kind):
    code = f"KIND = {kind!r}\n" + HOLDS_MEMORY_FILES
    text, run, stopped = _run_in_sandbox(code, Limits(memory=SMALL_LIMIT, processes=PROCESS_LIMIT), cell_timeout=60)
    assert "over the limit of 0.31 GiB" in stopped and "files in memory" in stopped, (stopped, run.status, text)
    assert run.status == "kernel-died"
    assert "held 64 MiB" in text  # it did start holding memory before it was stopped


FILLS_A_FOLDER = """
import errno, os
from ipykernel.connect import get_connection_file
folder = {"tmp": "/tmp", "home": os.environ["HOME"], "scratch": os.environ["HPCLAB_SCRATCH"], "cwd": ".",
          "sockets": os.path.dirname(get_connection_file())}[WHERE]
path = os.path.join(folder, "big.bin")
mounts = [line.split() for line in open("/proc/self/mounts")]
point, kind = max(((m[1], m[2]) for m in mounts if os.path.realpath(folder).startswith(m[1].rstrip("/") + "/")
                   or os.path.realpath(folder) == m[1]), key=lambda m: len(m[0]))
print("on", kind, point, flush=True)
chunk = b"x" * 2**24
written = 0
try:
    with open(path, "wb", buffering=0) as fh:
        while written < 2**30:  # 1 GiB at most, whatever happens; the limit is 320 MiB
            written += fh.write(chunk)
            print("wrote", written, flush=True)
except OSError as exc:
    print("refused", errno.errorcode[exc.errno], "after", written, flush=True)
finally:
    if os.path.exists(path):
        os.unlink(path)
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["tmp", "home", "scratch", "cwd", "sockets"])
def test_a_file_bigger_than_the_limit_is_refused_or_stopped_and_never_reaches_the_disk(sandbox_seen, where):
    code = f"WHERE = {where!r}\n" + FILLS_A_FOLDER
    text, run, stopped = _run_in_sandbox(code, Limits(memory=SMALL_LIMIT, processes=PROCESS_LIMIT))
    wrote = [int(line.split()[1]) for line in text.splitlines() if line.startswith("wrote ")]
    assert max(wrote, default=0) <= SMALL_LIMIT, (text[-500:], stopped)
    refused = [line for line in text.splitlines() if line.startswith("refused")]
    if where == "sockets":  # the kernel's socket folder is the grader's once the kernel runs: on its disk
        assert refused and refused[0].split()[1:] == ["EACCES", "after", "0"], (text, stopped)
        return
    # A clear reason either way: the file system is full or the file too big, or the grader stopped it.
    assert (refused and refused[0].split()[1] in ("ENOSPC", "EFBIG")) or "over the limit" in stopped, (text, stopped)
    on = text.splitlines()[0].split()
    assert on[1] == "tmpfs", on  # in memory, never on the machine's disk


@pytest.mark.slow
def test_mpi_runs_in_the_sandbox(sandbox_seen):
    code = (
        "from hpclab import mpi\n"
        "result = mpi.run('from mpi4py import MPI\\nrank = MPI.COMM_WORLD.Get_rank()', n=2, collect=['rank'])\n"
        "print('ranks', sorted(v['rank'] for v in result.values.values()))"
    )
    text, run, stopped = _run_in_sandbox(code, Limits(memory=2 * 1024**3, processes=PROCESS_LIMIT))
    assert "ranks [0, 1]" in text, (run.status, text, stopped)


# ------------------------------------------------------------------ the watchdog cannot be turned off

NESTS_IN_THE_SOCKET_FOLDER = r"""
import os
from ipykernel.connect import get_connection_file
os.chdir(os.path.dirname(get_connection_file()))
try:
    for _ in range(1200):  # deeper than Python's recursion limit: os.walk gave up on it
        os.mkdir("a")
        os.chdir("a")
    print("nested", flush=True)
except OSError as exc:
    print("refused", type(exc).__name__, flush=True)
os.chdir("/tmp")
"""


@pytest.mark.slow
def test_the_socket_folder_is_sealed_once_the_kernel_runs_and_the_watchdog_still_stops_a_hog(sandbox_seen):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(NESTS_IN_THE_SOCKET_FOLDER),
            nbformat.v4.new_code_cell(
                "import time\nx = b'\\1' * (700 * 2**20)\ntime.sleep(30)\nprint('still alive', len(x) >> 20)"
            ),
        ]
    )
    with Sandbox(EXERCISES, Limits(memory=SMALL_LIMIT, processes=PROCESS_LIMIT)) as box:
        run = execute(nb, EXERCISES, timeout=120, cell_timeout=60, allow_errors=True, sandbox=box)
        stopped = box.stopped
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in run.notebook.cells]
    assert texts[0].startswith("refused PermissionError"), texts
    assert "still alive" not in texts[1] and "over the limit" in stopped, (texts, stopped, run.status)
    assert run.status == "kernel-died"


UNMEASURABLE = r"""
import json, sys
from pathlib import Path
import nbformat
from hpclab.grading.execute import execute
from hpclab.grading.sandbox import Limits, Sandbox

code = '''
import os, time
from ipykernel.connect import get_connection_file
here = os.open(os.path.dirname(get_connection_file()), os.O_RDONLY)
for _ in range(40):  # 8000 characters: a path longer than PATH_MAX
    os.mkdir("b" * 200, dir_fd=here)
    here = os.open("b" * 200, os.O_RDONLY, dir_fd=here)
print("nested", flush=True)
time.sleep(60)
print("still running", flush=True)
'''
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
with Sandbox(Path(sys.argv[1]), Limits(memory=2**30)) as box:
    run = execute(nb, sys.argv[1], timeout=120, cell_timeout=90, allow_errors=True, sandbox=box)
    stopped = box.stopped
text = "".join(o.get("text", "") for o in run.notebook.cells[0].outputs)
print(json.dumps({"stopped": stopped, "status": run.status, "text": text}))
"""


@pytest.mark.slow
def test_what_the_watchdog_cannot_measure_stops_the_sandbox(sandbox_seen):
    import subprocess

    # Without root the socket folder stays the kernel's (its uid is yours): there it can nest
    # folders deeper than a path may be. As uid 65534 in a user namespace: bwrap's non-root mode.
    argv = ["unshare", "--user", "--map-user=65534", "--map-group=65534", sys.executable, "-c", UNMEASURABLE]
    env = {k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"} | {"HOME": "/nonexistent"}
    done = subprocess.run([*argv, str(EXERCISES)], capture_output=True, text=True, timeout=300, cwd="/", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert "nested" in seen["text"] and "still running" not in seen["text"], seen
    assert "could not be measured" in seen["stopped"] and seen["status"] == "kernel-died", seen


def _nest(top: Path, depth: int, name: str = "a") -> None:
    """``depth`` folders one in another under ``top`` (by relative steps: the whole path may be too long)."""
    here = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=here)
            below = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=here)
            os.close(here)
            here = below
        os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=here))
    finally:
        os.close(here)


def test_a_folder_nested_deeper_than_the_recursion_limit_is_counted_and_removed(tmp_path):
    from hpclab.grading.sandbox.files import folder_bytes

    top = tmp_path / "sockets"
    top.mkdir()
    _nest(top, 1200)
    assert folder_bytes(top, 2**40) >= 1201 * 4096  # every folder and the file at the bottom
    from hpclab.grading.sandbox import remove_tree

    remove_tree(top)
    assert not top.exists()


def test_a_path_too_long_to_look_at_is_an_error_never_skipped_and_is_still_removed(tmp_path):
    from hpclab.grading.sandbox.files import folder_bytes

    top = tmp_path / "sockets"
    top.mkdir()
    _nest(top, 40, name="b" * 200)  # 8000 characters: longer than PATH_MAX
    with pytest.raises(OSError):
        folder_bytes(top, 2**40)
    from hpclab.grading.sandbox import remove_tree

    remove_tree(top)
    assert not top.exists()


# ------------------------------------------------------------------ bwrap's own mounts are read-only

WRITES_EVERYWHERE = r"""
import json, subprocess, sys, tempfile
from pathlib import Path
from hpclab.grading.sandbox import Limits, Sandbox, remove_tree

places = sys.argv[2:]
probe = (
    'for p in "$@"; do if (: > "$p/hpclab-probe") 2>/dev/null; then echo "$p"; fi; done; '
    "if unshare --user true 2>/dev/null; then echo nested-user-namespace; fi"
)
with Sandbox(Path(sys.argv[1]), Limits(memory=2**28)) as box:
    sockets = Path(tempfile.mkdtemp(prefix="hpclab-kernel-"))
    try:
        argv = box.command(["/bin/sh", "-c", probe, "probe", *places], sockets)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    finally:
        remove_tree(sockets)
print(json.dumps({"writable": done.stdout.split(), "status": done.returncode, "stderr": done.stderr[-2000:]}))
"""


def test_an_empty_folder_is_a_mount_of_its_own_made_read_only_after_what_is_bound_into_it():
    # A plain --dir lies in whatever holds it: under the sandbox's /tmp (a course cloned there) a
    # submission in a user namespace owns it. The end-to-end test below sees that only for such a clone.
    from hpclab.grading.sandbox.mounts import Mounts

    mounts = Mounts()
    mounts.tmpfs("/tmp", 2**20)
    mounts.folder("/tmp/course/solutions")
    mounts.special("/tmp/course/solutions/inner", "--proc")
    args = mounts.args()
    at = args.index("/tmp/course/solutions")  # its first mention: where it is made
    assert args[at - 1] == "--tmpfs" and args[at - 5 : at - 3] == ["--perms", "0755"], args
    assert args[-2:] == ["--remount-ro", "/tmp/course/solutions"], args
    assert args.index("/tmp/course/solutions/inner") < len(args) - 2, args


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["root", "user namespace"])
def test_only_the_tmpfs_mounts_are_writable_not_bwraps_own_root_dev_or_sys(sandbox_seen, mode):
    import subprocess

    places = ["/", "/dev", "/sys/class/net", str(ROOT / "solutions"), "/tmp", "/dev/shm", str(EXERCISES)]
    argv = [sys.executable, "-c", WRITES_EVERYWHERE, str(EXERCISES), *places]
    if mode == "user namespace":  # not root (uid 65534 in a user namespace of its own): bwrap makes one
        argv = ["unshare", "--user", "--map-user=65534", "--map-group=65534", *argv]
    env = {k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"} | {"HOME": "/nonexistent"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/", env=env)
    if mode == "user namespace" and "could not make namespaces" in done.stderr:
        pytest.skip(f"no unprivileged user namespaces here: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["status"] == 0, seen
    writable = [w for w in seen["writable"] if w != "nested-user-namespace"]
    assert writable == ["/tmp", "/dev/shm", str(EXERCISES)], seen
    if mode == "user namespace":  # bwrap --disable-userns; root mode cannot (docs/grading.md)
        assert "nested-user-namespace" not in seen["writable"], seen


# ------------------------------------------------------------------ the machine-wide memory floor


def test_the_memory_floor_is_a_gib_or_a_tenth_of_the_machine_whichever_is_more():
    from hpclab.grading.sandbox import memory_floor

    assert memory_floor(4 * 2**30) == 2**30
    assert memory_floor(100 * 2**30) == 10 * 2**30


def test_the_machines_memory_is_read_in_bytes(tmp_path):
    from hpclab.grading.sandbox.memory import _meminfo

    table = tmp_path / "meminfo"
    table.write_text("MemTotal:       24683652 kB\nMemAvailable:   22978176 kB\nHugePages_Total:       0\n")
    assert _meminfo(str(table)) == {"MemTotal": 24683652 * 1024, "MemAvailable": 22978176 * 1024, "HugePages_Total": 0}


@pytest.mark.slow
def test_a_sandbox_stops_when_the_machine_falls_under_its_memory_floor(sandbox_seen, tmp_path):
    import subprocess

    # A floor above all the memory the machine has stands for a machine running short.
    limits = Limits(memory=SMALL_LIMIT, processes=PROCESS_LIMIT, host_floor=2**60)
    with Sandbox(EXERCISES, limits) as box:
        sockets = tmp_path / "sockets"
        sockets.mkdir()
        argv = box.command(["/bin/sh", "-c", "sleep 60; echo still running"], sockets)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
        box.started(proc.pid)
        out, _ = proc.communicate(timeout=120)
        stopped = box.stopped
    assert "under the floor of" in stopped and "memory left" in stopped, (stopped, out)
    assert "still running" not in out and proc.returncode == -9, (proc.returncode, out)
