"""The ``hpclab`` command: a thin layer over the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _build(args: argparse.Namespace) -> int:
    from hpclab.build import build_all

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
    from hpclab.grade import grade, summary, write_csv

    rows, problems = grade(
        args.submissions, release_dir=args.release, exercise=args.exercise,
        timeout=args.timeout, cell_timeout=args.cell_timeout, jobs=args.jobs,
        progress=not args.no_progress,
    )
    write_csv(rows, args.out)
    print(summary(rows))
    for problem in problems:
        print(f"note: {problem}", file=sys.stderr)
    print(f"\nscores written to {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hpclab", description="Tools for the hpclab course.")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="generate exercises/ from solutions/")
    build.add_argument("--root", default=".", help="course root holding solutions/ and exercises/ (default: .)")
    build.add_argument("--check", action="store_true", help="only report stale exercises; exit 1 if any")
    build.set_defaults(func=_build)

    grade = sub.add_parser("grade", help="grade learner notebooks, write a CSV of scores")
    grade.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    grade.add_argument("--out", default="scores.csv", help="CSV file to write (default: scores.csv)")
    grade.add_argument("--release", help="folder of released exercises (default: the course's exercises/)")
    grade.add_argument("--exercise", help="lesson to grade against when a file's metadata is unreadable, e.g. 02-dask-futures")
    grade.add_argument("--timeout", type=float, default=300, help="seconds allowed per notebook (default: 300)")
    grade.add_argument("--cell-timeout", type=float, default=60, help="seconds allowed per cell before it is interrupted (default: 60)")
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default: 1)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.set_defaults(func=_grade)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, LookupError, OSError) as exc:  # our errors carry the fix in the message
        print(f"hpclab {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
