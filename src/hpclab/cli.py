"""The ``hpclab`` command: a thin layer over the library.

Each subcommand's handler (``_build``, ``_grade``, ...) turns parsed arguments into one
library call and prints its result; what a command does lives in the module it calls
(``hpclab.grading``, ``hpclab.slurm``, ``hpclab.tools``, the learner's runtime), so a lesson,
a test or a job script can call the same function the command does. :func:`parser` is public:
the CLI reference page is generated from it.

Most modules are imported here at the top (each costs milliseconds). The few whose import pulls
in a heavy stack that the other subcommands do not need (the grader's nbformat and nbclient, the
benchmarks' dask and distributed) are imported by their own handler, so ``hpclab --help`` and
``hpclab build --check`` (run by the pre-commit hook) stay quick.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from hpclab import config, data, doctor, tls
from hpclab.errors import HpclabError, UsageError
from hpclab.slurm import accounting, hub, sitecheck, vcluster
from hpclab.tools import deps, kernel, reference
from hpclab.tools.lab import run_lab


def _build(args: argparse.Namespace) -> int:
    from hpclab.grading.build import build_all  # noqa: PLC0415  the grading stack (nbformat): ~1 s

    root = Path(args.root)
    changed = build_all(root / "solutions", root / "exercises", check=args.check)
    for path in changed:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    if args.check and changed:
        print("Exercises are out of date with solutions/: run `hpclab build` and commit the result.", file=sys.stderr)
        return 1
    if not changed:
        print("exercises/ is up to date")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from hpclab.grading import (  # noqa: PLC0415  the grading stack (nbformat, the checks' numpy): ~1 s
        grade,
        lms,  # noqa: PLC0415  loaded with the grading stack on the line above
        report,
        summary,
    )
    from hpclab.grading.sandbox import Limits  # noqa: PLC0415  loaded with the grading stack on the line above

    if bool(args.lms) != bool(args.roster):
        raise UsageError("--lms and --roster go together: the roster says which learner handed in which file")
    roster = lms.read_roster(args.roster) if args.roster else []  # before grading: a bad roster fails fast
    for name in ("jobs", "max_procs"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.memory <= 0 or args.timeout <= 0 or args.cell_timeout <= 0:
        raise UsageError("--memory, --timeout and --cell-timeout must be more than 0")
    limits = Limits(
        memory=int(args.memory * 1024**3), processes=args.max_procs, cpu_seconds=int(args.cpu_time or args.timeout + 60)
    )
    outcome = grade(
        args.submissions,
        release_dir=args.release,
        exercise=args.exercise,
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        jobs=args.jobs,
        progress=not args.no_progress,
        sandbox=not args.no_sandbox,
        limits=limits,
        out=args.out,
        resume=args.resume,
        hidden=args.hidden,
    )
    print(summary(outcome.rows))
    for problem in outcome.problems:
        print(f"note: {problem}", file=sys.stderr)
    out = Path(args.out)
    print("\n" + report.room_table(outcome))
    room_file, plot = report.write_room_report(outcome, args.report or out.with_name(out.stem + "-report.md"))
    book = report.write_gradebook(outcome, args.gradebook or out.with_name(out.stem + "-gradebook.csv"))
    print(f"\nroom report: {room_file} (plot: {plot}); gradebook: {book}")
    if args.feedback:
        written = report.write_feedback(outcome, args.feedback)
        print(f"feedback: {len(written)} file(s) in {args.feedback}")
    if args.lms:
        written_lms, lms_notes = lms.write_lms(
            outcome, roster, args.lms, args.lms_out or out.with_name(f"{out.stem}-{args.lms}.csv")
        )
        for note in lms_notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"{args.lms} gradebook to import: {written_lms} (docs/grading.md, 'Into Canvas or Moodle')")
    if outcome.skipped:
        print(f"\n{len(outcome.skipped)} submission(s) already in {args.out} were kept (--resume)")
    print(f"\nscores written to {args.out} ({'sandboxed' if outcome.sandboxed else 'NOT sandboxed'})")
    if outcome.ungraded:
        print(
            f"{len(outcome.ungraded)} submission(s) could not be graded: "
            + ", ".join(outcome.ungraded)
            + " (see the notes above)",
            file=sys.stderr,
        )
        return 1
    return 0


def _exchange(args: argparse.Namespace) -> int:
    from hpclab.grading import exchange  # noqa: PLC0415  the grading stack (nbformat, the checks' numpy): ~1 s

    names = args.learner or None
    if args.subcommand == "collect":
        done = exchange.collect_room(args.homes, args.lesson, args.into, path=args.path, names=names)
        verb, where = "collected", args.into
    else:
        done = exchange.return_feedback(args.feedback, args.homes, args.lesson, path=args.path, names=names)
        verb, where = "returned", f"the learners' homes ({args.path.format(lesson=args.lesson)})"
    for item in done:
        if item.problem:
            print(f"note: {item.problem}", file=sys.stderr)
    good = sum(1 for item in done if not item.problem)
    print(f"{verb} {good} of {len(done)} learners' files: {where}")
    return 0 if good == len(done) else 1


def _vcluster(args: argparse.Namespace) -> int:
    spec = vcluster.Spec()
    if args.action == "up":
        shape = vcluster.SITE_SHAPE if args.site_shape else {}
        spec = vcluster.Spec(
            nodes=args.nodes,
            dedicated=args.dedicated_cpus,
            cpus=shape.get("cpus"),
            sockets=shape.get("sockets", 1),
            memory_mb=shape.get("memory_mb"),
            local_tmp=args.local_tmp,
            shared_tmp=(os.getcwd(),),  # a course checked out under /tmp stays every host's
        )
    if args.action == "up":
        print(vcluster.up(spec))
    elif args.action == "down":
        vcluster.down(spec)
        print("virtual cluster: down, namespaces and state removed")
    elif args.action == "status":
        print(vcluster.status(spec))
    elif args.action == "login":
        who = f" as {args.user}" if args.user else ""
        print(f"You are on the virtual login node `vhead`{who}; `exit` to leave.")
        shell = "/bin/bash" if args.user else os.environ.get("SHELL", "/bin/bash")
        return subprocess.call(vcluster.exec_argv(spec, [shell], user=args.user))
    else:  # exec -- COMMAND
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            raise UsageError("usage: hpclab vcluster exec [--user NAME] -- COMMAND [ARGS...]")
        return subprocess.call(vcluster.exec_argv(spec, command, user=args.user))
    return 0


def _hub(args: argparse.Namespace) -> int:
    the_hub = hub.Hub(port=args.port) if args.action == "up" else hub.Hub()
    if args.action == "up":
        if not vcluster.is_up(the_hub.spec):
            print("starting the virtual cluster first (`hpclab vcluster up`) ...", flush=True)
            vcluster.up(the_hub.spec)
        print(hub.up(the_hub))
        if args.rehearse:
            print("\nrehearsal: learners log in, each JupyterLab is a Slurm job (a minute or two) ...", flush=True)
            print(hub.render_rehearsal(hub.rehearse(the_hub)))
    elif args.action == "down":
        hub.down(the_hub)
        print("hub: down (the learners' jobs cancelled); the virtual cluster stays up: `hpclab vcluster down`")
    else:
        print(hub.status(the_hub))
    return 0


def _deps(args: argparse.Namespace) -> int:
    if args.action == "moved":
        old, new = (
            deps.lock_versions(Path(path).read_text()) if Path(path).exists() else {} for path in (args.old, args.new)
        )
        lines = deps.moved(old, new)
        print("\n".join(lines) if lines else "nothing moved")
        return 0
    root = Path(args.root)
    if args.action == "check":
        problems = deps.out_of_step(root)
        for problem in problems:
            print(problem)
        print(
            "pyproject.toml, the lock and environment.yml agree"
            if not problems
            else f"{len(problems)} disagreement(s)",
            file=sys.stderr if problems else sys.stdout,
        )
        return 1 if problems else 0
    if args.action == "pin-conda":
        locked = deps.lock_versions((root / deps.LOCK).read_text())
        (root / "environment.yml").write_text(deps.pin_conda(root / "environment.yml", locked))
        print(f"environment.yml pinned to {deps.LOCK}")
    return 0


def _seff(args: argparse.Namespace) -> int:
    run = vcluster.runner(vcluster.Spec()) if args.vcluster else accounting.local_runner()
    print(accounting.efficiency(args.job_id, runner=run).report())
    return 0


def _site_check(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    prefix: list[str] = []
    if args.vcluster:
        prefix = vcluster.exec_argv(vcluster.Spec(), [], cwd=str(root))
    print(f"submitting the site check's jobs from {root} (each takes seconds once it starts) ...", flush=True)
    rows = sitecheck.run_probes(
        sitecheck.site_runner(root, prefix=prefix), root, timeout=args.timeout, only=args.only or None
    )
    print(sitecheck.findings_table(rows))
    return 0 if all(r.status == sitecheck.PASS for r in rows) else 1


def _data(args: argparse.Namespace) -> int:
    results = data.prepare(
        args.names or None, size=args.size, root=args.dir, force=args.force, progress=not args.no_progress
    )
    for r in results:
        how = f"made in {r.seconds:.1f} s" if r.made else "present, checksums match"
        print(f"{r.name:<16} {r.files:3d} files {r.bytes / 1e6:8.1f} MB  {how}")
    folder = results[0].folder.parent
    print(f"manifest: {folder / data.MANIFEST}")
    if args.download:
        print(f"NCEP sample: {data.download_air_temperature(folder.parent / 'downloads')}")
    if args.dir is not None:
        print(f"Lessons read it with: export {config.DATA}={folder.parent} {config.DATA_SIZE}={folder.name}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    found = doctor.report(mpi=True if args.mpi else None, timeout=args.timeout)
    if args.json:
        # One line per task when srun/mpiexec runs the doctor on many tasks at once.
        print(json.dumps(found.as_dict(), indent=None if found.task else 2))
    elif found.task and found.task["rank"] != 0:
        print(found.text(brief=True))  # task 0 prints the whole report; the others their ranks
    else:
        print(found.text())
    return 0 if found.ok else 1


def _bench(args: argparse.Namespace) -> int:
    from hpclab.tools import bench  # noqa: PLC0415  it imports dask.array, distributed and numpy: ~1 s

    print(bench.render_comparisons(bench.run_benchmarks(args.only or None, quick=args.quick)))
    return 0


def _tls(args: argparse.Namespace) -> int:
    folder = tls.write_credentials(args.folder)
    print(tls.shell_exports(tls.dask_environment(folder)), end="")
    return 0


def _kernel(args: argparse.Namespace) -> int:
    where = kernel.install(user=not args.system, prefix=args.prefix, name=args.name, display_name=args.display_name)
    print(f"kernel {args.name!r} ({args.display_name}) installed in {where}")
    print(
        f"In JupyterLab (JupyterHub, Open OnDemand): pick {args.display_name!r} in the Launcher, "
        "or Kernel > Change Kernel in an open notebook."
    )
    return 0


def _lab(args: argparse.Namespace) -> int:
    extra = args.jupyter_args[1:] if args.jupyter_args[:1] == ["--"] else args.jupyter_args
    run_lab(args.root, port=args.port, token=args.token, extra=extra)
    return 0  # not reached: JupyterLab replaced this process


def _reference(args: argparse.Namespace) -> int:
    return reference.main(["--root", str(args.root), *(["--check"] if args.check else [])], cli_parser=parser())


def parser() -> argparse.ArgumentParser:
    """The ``hpclab`` command's argument parser: every subcommand, its options and their help.

    Public so that the CLI reference page is generated from the parser itself, and cannot drift
    from what the command accepts. Each subcommand sets ``func``, the handler :func:`main` calls.
    """
    top = argparse.ArgumentParser(prog="hpclab", description="Tools for the hpclab course.")
    sub = top.add_subparsers(dest="subcommand", required=True)

    build = sub.add_parser("build", help="generate exercises/ from solutions/")
    build.add_argument("--root", default=".", help="course root holding solutions/ and exercises/ (default: .)")
    build.add_argument("--check", action="store_true", help="only report stale exercises; exit 1 if any")
    build.set_defaults(func=_build)

    grade = sub.add_parser(
        "grade",
        help="grade learner notebooks, each in a sandbox; write a CSV of scores",
        description="Exit status: 0 when every submission was graded, 1 when some could not be, "
        "2 for a usage or set-up error.",
    )
    grade.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    grade.add_argument("--out", default="scores.csv", help="CSV file to write (default: scores.csv)")
    grade.add_argument("--release", help="folder of released exercises (default: the course's exercises/)")
    grade.add_argument(
        "--exercise",
        help="grade every submission against this lesson, e.g. 02-dask-futures (a notebook whose metadata "
        "names another is noted)",
    )
    grade.add_argument(
        "--hidden",
        metavar="DIR",
        help="your folder of hidden checks (futures.py for hpclab.checks.futures...): each runs after the "
        "visible check of its question and counts as a question of its own (docs/grading.md, 'Hidden checks')",
    )
    grade.add_argument("--timeout", type=float, default=600, help="seconds allowed per notebook (default: 600)")
    grade.add_argument(
        "--cell-timeout",
        type=float,
        default=180,
        help="seconds allowed per cell before it is interrupted (default: 180; MPI checks take up to 90)",
    )
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default: 1)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--feedback", metavar="DIR", help="write one Markdown feedback file per learner into DIR")
    grade.add_argument(
        "--report",
        metavar="FILE",
        help="room report, Markdown with a PNG plot beside it (default: OUT-report.md next to --out)",
    )
    grade.add_argument(
        "--gradebook",
        metavar="FILE",
        help="one row per learner, one column per question (default: OUT-gradebook.csv next to --out)",
    )
    grade.add_argument(
        "--lms",
        choices=["canvas", "moodle"],
        help="also write a gradebook this LMS imports, learners matched through --roster (default: OUT-LMS.csv)",
    )
    grade.add_argument(
        "--roster", metavar="CSV", help="the learners for --lms: a CSV with the columns id, name and file"
    )
    grade.add_argument("--lms-out", metavar="FILE", help="where --lms writes its file (default: OUT-LMS.csv)")
    grade.add_argument(
        "--resume", action="store_true", help="keep the submissions --out already holds and grade only the others"
    )
    grade.add_argument(
        "--no-sandbox", action="store_true", help="run submissions with your own rights (only for notebooks you trust)"
    )
    grade.add_argument(
        "--memory",
        type=float,
        default=4,
        help="GiB of memory one submission may use in all: its processes, and the files it keeps in memory (its /tmp, /dev/shm, memfd) (default: 4)",
    )
    grade.add_argument(
        "--max-procs",
        type=int,
        default=512,
        help="processes and threads one submission may run (default: 512; needs root)",
    )
    grade.add_argument(
        "--cpu-time",
        type=int,
        default=None,
        help="CPU seconds each of a submission's processes may use (default: --timeout + 60)",
    )
    grade.set_defaults(func=_grade)

    coll = sub.add_parser(
        "collect",
        help="copy each learner's exercise from their home into a room folder, reading each as its learner "
        "(docs/grading.md, 'Collect and return')",
    )
    coll.add_argument("lesson", help="the lesson to collect, e.g. 02-dask-futures")
    coll.add_argument("--homes", default="/home", help="the folder of the learners' homes (default: /home)")
    coll.add_argument("--into", required=True, help="the room folder to write: one NAME.ipynb per learner")
    coll.add_argument("--path", default="hpclab/exercises/{lesson}.ipynb", help="where the exercise is in each home")
    coll.add_argument("--learner", action="append", help="only this learner (repeat for more)")
    coll.set_defaults(func=_exchange)

    ret = sub.add_parser(
        "return",
        help="put each learner's feedback file into their home, readable only by them, written as that learner",
    )
    ret.add_argument("lesson", help="the lesson the feedback is for")
    ret.add_argument("--feedback", required=True, help="the folder hpclab grade --feedback wrote (NAME.md each)")
    ret.add_argument("--homes", default="/home", help="the folder of the learners' homes (default: /home)")
    ret.add_argument("--path", default="hpclab/feedback/{lesson}.md", help="where the feedback goes in each home")
    ret.add_argument("--learner", action="append", help="only this learner (repeat for more)")
    ret.set_defaults(func=_exchange)

    dataset = sub.add_parser("data", help="the course datasets (made offline from seeded generators)")
    data_sub = dataset.add_subparsers(dest="action", required=True)
    prep = data_sub.add_parser("prepare", help="make the datasets now (e.g. on a login node before a job)")
    prep.add_argument("names", nargs="*", help="datasets to make (default: all): air_temperature, people, readings")
    prep.add_argument("--size", choices=["small", "full"], help="default: $HPCLAB_DATA_SIZE, else full")
    prep.add_argument("--dir", help="data folder (default: $HPCLAB_DATA, else data/ in the course root)")
    prep.add_argument("--force", action="store_true", help="make the data again even if it is there")
    prep.add_argument(
        "--download", action="store_true", help="also download the real NCEP air-temperature sample (needs internet)"
    )
    prep.add_argument("--no-progress", action="store_true", help="no progress bar")
    prep.set_defaults(func=_data)

    bench = sub.add_parser("bench", help="measure the course's speed claims side by side, on this machine")
    bench.add_argument(
        "only",
        nargs="*",
        help="benchmarks to run (default: all but setup, sandbox and grade-room): numpy futures "
        "pingpong handoff tls-task tls-transfer mpicluster commbuild, setup (minutes: a fresh install "
        "from the index and from a wheelhouse), sandbox (one submission graded without and with "
        "the grader's sandbox) and grade-room (a room of 20 lesson-02 submissions graded by nbgrader's "
        "autograde and by sandboxed hpclab grade --jobs 1 and 2; installs nbgrader in a venv of its own once)",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run")
    bench.set_defaults(func=_bench)

    vc = sub.add_parser("vcluster", help="a real Slurm cluster of virtual nodes on this machine (needs root)")
    vc_sub = vc.add_subparsers(dest="action", required=True)
    vc_up = vc_sub.add_parser("up", help="start the login node and the compute nodes")
    vc_up.add_argument("--nodes", type=int, default=2, help="compute nodes (default: 2)")
    vc_up.add_argument(
        "--dedicated-cpus",
        action="store_true",
        help="give each node its own share of this machine's CPUs instead of sharing them all "
        "(for measuring 1 node against 2)",
    )
    vc_up.add_argument(
        "--site-shape",
        action="store_true",
        help="nodes shaped like a production site's: 2 x 20 cores, 192 GB (oversubscribed onto this "
        "machine: job shapes are real, timings mean nothing)",
    )
    vc_up.add_argument(
        "--local-tmp",
        action="store_true",
        help="give every host a /tmp of its own, as a site's node-local disk (lesson 13: a file one node "
        "writes to /tmp is not there on the others); the folder you run it in stays shared, even under /tmp",
    )
    vc_sub.add_parser("down", help="stop everything and remove the namespaces")
    vc_sub.add_parser("status", help="is it up, and which nodes")
    vc_login = vc_sub.add_parser(
        "login", help="a shell on the login node, in this folder (as root), or in a learner's home (--user)"
    )
    vc_exec = vc_sub.add_parser("exec", help="run one command on the login node: exec -- sbatch job.sh")
    for parser in (vc_login, vc_exec):
        parser.add_argument(
            "--user", metavar="NAME", help="as this learner (learner1, learner2, learner3), from their home"
        )
    vc_exec.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    vc.set_defaults(func=_vcluster)

    hb = sub.add_parser(
        "hub",
        help="JupyterHub on the virtual cluster: each learner's JupyterLab a Slurm job (needs root; docs/hub.md)",
    )
    hb_sub = hb.add_subparsers(dest="action", required=True)
    hb_up = hb_sub.add_parser(
        "up", help="start the hub on the login node (and the virtual cluster, if it is down); print the password"
    )
    hb_up.add_argument(
        "--port",
        type=int,
        default=hub.DEFAULT_PORT,
        help=f"port on 127.0.0.1 to open it on (default: {hub.DEFAULT_PORT})",
    )
    hb_up.add_argument(
        "--rehearse",
        action="store_true",
        help="then time login -> JupyterLab answering for one learner, and for three at once",
    )
    hb_sub.add_parser("down", help="stop the hub, its proxy and every learner's server job")
    hb_sub.add_parser("status", help="is it up, the password, and the learners' server jobs")
    hb.set_defaults(func=_hub)

    dep = sub.add_parser("deps", help="the locked versions: check pyproject, lock and environment.yml agree")
    dep_sub = dep.add_subparsers(dest="action", required=True)
    for action, text in (
        ("check", "list what disagrees between pyproject.toml, the lock and environment.yml"),
        ("pin-conda", "pin environment.yml's packages to the lock's versions"),
    ):
        dep_sub.add_parser(action, help=text).add_argument("--root", default=".", help="course root (default: .)")
    dep_moved = dep_sub.add_parser("moved", help="what changed between two lock files (a missing file: empty)")
    dep_moved.add_argument("old")
    dep_moved.add_argument("new")
    dep.set_defaults(func=_deps)

    site = sub.add_parser(
        "site-check",
        help="before a workshop: submit one small job of each kind the course "
        "uses, and print a pass/fail table with fixes",
    )
    site.add_argument(
        "only", nargs="*", help="checks to run (default: all): mpi binding memory doctor dask-mpi jobqueue"
    )
    site.add_argument("--root", default=".", help="course root to submit from (default: .)")
    site.add_argument("--timeout", type=float, default=600, help="seconds to wait for each job (default: 600)")
    site.add_argument("--vcluster", action="store_true", help="check the virtual cluster (`hpclab vcluster up`)")
    site.set_defaults(func=_site_check)

    seff = sub.add_parser(
        "seff", help="a finished job's CPU and memory used against requested, from sacct (as seff, which Debian lacks)"
    )
    seff.add_argument("job_id", metavar="JOBID", help="the job's id, as sbatch printed it")
    seff.add_argument("--vcluster", action="store_true", help="a job of the virtual cluster (`hpclab vcluster up`)")
    seff.set_defaults(func=_seff)

    lab = sub.add_parser("lab", help="start JupyterLab for the course on 127.0.0.1 (what make lab runs)")
    lab.add_argument("--root", default=".", help="course folder to serve (default: .)")
    lab.add_argument("--port", type=int, help="port (default: Jupyter's, 8888 or the next free one)")
    lab.add_argument("--token", help="login token (default: a random one, printed in the link)")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="more jupyter lab options, after --")
    lab.set_defaults(func=_lab)

    kern = sub.add_parser("kernel", help="register this environment as a Jupyter kernel (JupyterHub, Open OnDemand)")
    kern_sub = kern.add_subparsers(dest="action", required=True)
    kern_install = kern_sub.add_parser("install", help="install the kernelspec (default: for this user)")
    kern_install.add_argument("--name", default=kernel.NAME, help=f"kernelspec name (default: {kernel.NAME})")
    kern_install.add_argument(
        "--display-name", default=kernel.DISPLAY_NAME, help=f"what JupyterLab shows (default: {kernel.DISPLAY_NAME!r})"
    )
    where = kern_install.add_mutually_exclusive_group()
    where.add_argument("--prefix", help="install into PREFIX/share/jupyter/kernels instead of the user's folder")
    where.add_argument("--system", action="store_true", help="install system-wide (needs write access)")
    kern.set_defaults(func=_kernel)

    tl = sub.add_parser("tls", help="TLS credentials for a batch job's Dask cluster (jobscripts/common.sh: dask_tls)")
    tl_sub = tl.add_subparsers(dest="action", required=True)
    tl_job = tl_sub.add_parser(
        "job",
        help="write new credentials into FOLDER (mode 0700) and print the Dask "
        "configuration that points at them, as shell export lines to eval",
    )
    tl_job.add_argument("folder", help="a new folder on a filesystem every node sees, beside the scheduler file")
    tl.set_defaults(func=_tls)

    doc = sub.add_parser("doctor", help="check MPI, Slurm, network and dashboard set-up; say how to fix problems")
    doc.add_argument("--json", action="store_true", help="machine-readable output")
    doc.add_argument(
        "--mpi",
        action="store_true",
        help="always start MPI (in a subprocess) to see its rank and size; automatic under srun/mpiexec",
    )
    doc.add_argument("--timeout", type=float, default=60, help="seconds allowed for MPI to start (default: 60)")
    doc.set_defaults(func=_doctor)

    ref = sub.add_parser("reference", help="write docs/reference/ (settings and this command) from the code")
    ref.add_argument("--root", type=Path, default=Path("."), help="course root holding docs/ (default: .)")
    ref.add_argument("--check", action="store_true", help="only compare the pages with the code; exit 1 if stale")
    ref.set_defaults(func=_reference)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run ``hpclab ARGV...`` (default: the process's arguments); return the exit status.

    An :class:`~hpclab.errors.HpclabError` or an ``OSError`` is the user's or the machine's
    problem, and its message already says what to do: it is printed in one line, status 2.
    Anything else is a bug in hpclab and keeps its traceback.
    """
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (HpclabError, OSError) as exc:  # ours carry the fix in the message; anything else is a bug: traceback
        print(f"hpclab {args.subcommand}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
