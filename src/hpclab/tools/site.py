"""The course as a static website (``make site``): every lesson with the outputs CI's run saved, offline.

CI already runs every lesson notebook (tests/course/test_notebooks.py); that run
saves each executed notebook under ``build/executed/`` with a stamp (when it ran
green, on which versions, from which source). The site reuses those outputs, so
nothing runs twice: a lesson whose saved copy is missing or older than its
source is shown without outputs, and the build says so (``--execute-missing``
runs just those first).

The build stages a Sphinx project in ``build/site-src/`` from ``site/`` (the
configuration and the pages written for the site), the lessons, the exercises
(never the solutions, unless ``--solutions``: the instructor's copy), the job
scripts, the instructor notes and ``docs/``; Sphinx (myst-nb, the book theme)
writes HTML that needs no network: its scripts, styles and fonts ship in the
theme's wheels, math is MathML written at build time, and search reads a local
index. :func:`check_links` then proves every internal link and anchor resolves
and lists the external ones for a maintainer to check online.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html.parser
import json
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

#: Where the lesson runs save executed notebooks and their stamps (relative to the course root).
EXECUTED = Path("build") / "executed"
#: The packages a stamp records, besides Python itself.
STAMP_PACKAGES = ("hpclab", "dask", "distributed", "numpy", "pandas", "xarray", "mpi4py", "mpich", "dask-ml")
#: The Sphinx project is staged here (relative to the course root).
STAGING = Path("build") / "site-src"
#: The page of external links a built site lists for a maintainer to check online.
EXTERNAL_LINKS = "external-links.txt"

#: The pages of docs/ for learners (the site lists them under "Guides"); the rest are for instructors.
LEARNER_DOCS = ("setup", "on-a-cluster", "troubleshooting", "security")

_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^)\s]+)\)")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def save_executed(source: Path, notebook: nbformat.NotebookNode, root: Path, elapsed: float) -> Path:
    """Save a lesson's executed notebook, and a stamp of the green run, for the website.

    Parameters
    ----------
    source
        The committed notebook that ran (``notebooks/02-dask-futures.ipynb``).
    notebook
        The executed notebook, outputs and all.
    root
        The course root; the copy goes to ``build/executed/<folder>/<name>``.
    elapsed
        How long the run took, in seconds.

    Returns
    -------
    Path
        The saved notebook; its stamp is beside it, with ``.json`` for ``.ipynb``.
    """
    out = root / EXECUTED / source.parent.name / source.name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    stamp = {
        "notebook": f"{source.parent.name}/{source.name}",
        "ran": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": round(elapsed, 1),
        "source_sha256": _digest(source),
        "commit": _commit(root),
        "python": platform.python_version(),
        "versions": {name: v for name in STAMP_PACKAGES if (v := _version(name))},
    }
    out.with_suffix(".json").write_text(json.dumps(stamp, indent=1) + "\n")
    return out


def executed_copy(source: Path, root: Path) -> tuple[nbformat.NotebookNode, dict] | None:
    """The saved executed notebook of ``source`` and its stamp, if saved from the source as it is now."""
    saved = root / EXECUTED / source.parent.name / source.name
    stamp_file = saved.with_suffix(".json")
    if not (saved.is_file() and stamp_file.is_file()):
        return None
    stamp = json.loads(stamp_file.read_text())
    if stamp.get("source_sha256") != _digest(source):
        return None
    return nbformat.read(saved, as_version=4), stamp


def _stamp_text(stamp: dict | None) -> str:
    if stamp is None:
        return (
            "```{note}\nShown without outputs: this lesson had not run green since it last changed when "
            "the site was built. Run it in JupyterLab to see them.\n```\n"
        )
    versions = ", ".join(f"{name} {v}" for name, v in stamp["versions"].items())
    commit = f" at commit `{stamp['commit']}`" if stamp.get("commit") else ""
    return (
        f"```{{admonition}} Last ran green\n:class: hpclab-stamp\n"
        f"The outputs below come from the course's tests: {stamp['ran']}{commit}, in "
        f"{stamp['elapsed_s']:.0f} s, with Python {stamp['python']}, {versions}.\n```\n"
    )


@dataclass
class Staged:
    """What the staging step put in the Sphinx project."""

    lessons: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    without_outputs: list[str] = field(default_factory=list)
    solutions: bool = False


def _resolves(target: str, page: Path, staging: Path) -> bool:
    """Whether a Markdown link target from ``page`` (in the staging tree) points at something staged."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("#", "mailto:")):
        return True
    if not parts.path:
        return True
    path = (page.parent / unquote(parts.path)).resolve()
    return path.is_relative_to(staging.resolve()) and path.exists()


def _unlink_missing(text: str, page: Path, staging: Path) -> str:
    """Links to what the site leaves out (solutions, source files) become their plain text."""

    def fix(match: re.Match) -> str:
        bang, label, target = match.groups()
        if bang or _resolves(target, page, staging):
            return match.group(0)
        if "solutions/" in target:
            return f"{label} (instructor's copy)"
        return label

    return _LINK.sub(fix, text)


def _retarget_jobscripts(text: str) -> str:
    """Links to a job script open its page (with the annotations), not the raw file."""
    return re.sub(r"(\]\((?:\.\./)*jobscripts/[\w.-]+)\.sh\)", r"\1.md)", text)


def _write_notebook(nb: nbformat.NotebookNode, out: Path, staging: Path) -> None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _unlink_missing(_retarget_jobscripts(cell.source), out, staging)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)


def _first_heading(text: str, default: str) -> str:
    match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else default


def _section(text: str, heading: str) -> str:
    """A ``## heading`` section of a Markdown file, without its heading line."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def _jobscript_page(script: Path, root: Path) -> str:
    text = script.read_text()
    lines = text.splitlines()
    intro = []
    for line in lines[1:]:
        if not line.startswith("# ") and line != "#":
            break
        intro.append(line[2:])
    about = " ".join(intro).replace("$", r"\$") or "A script of the course."  # a shell $VAR is not math
    page = [f"# `{script.name}`", "", about, ""]
    if "#SBATCH" in text:
        page += [
            "Every `#SBATCH` line carries its reason after the `#`. Submit it from the course root with "
            f"`sbatch jobscripts/{script.name}`.",
            "",
        ]
    page += [
        f"```{{literalinclude}} {script.name}",
        ":language: bash",
        "```",
        "",
    ]
    for program in sorted(set(re.findall(r"programs/([\w-]+\.py)", text))):
        if (root / "jobscripts" / "programs" / program).is_file():
            page += [
                f"## The program `{program}`",
                "",
                f"```{{literalinclude}} programs/{program}",
                ":language: python",
                "```",
                "",
            ]
    return "\n".join(page)


def _toctree(caption: str, entries: list[str], hidden: bool = False) -> str:
    options = f":caption: {caption}\n:maxdepth: 1\n" + (":hidden:\n" if hidden else "")
    return "```{toctree}\n" + options + "\n" + "\n".join(entries) + "\n```\n"


def stage(root: Path, staging: Path, solutions: bool = False) -> Staged:
    """Lay out the Sphinx project of the website in ``staging`` (emptied first).

    Parameters
    ----------
    root
        The course root.
    staging
        Where the Sphinx project goes.
    solutions
        Include the solutions (the instructor's copy).

    Returns
    -------
    Staged
        Which lessons have executed outputs and which are shown without.
    """
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(root / "site", staging, ignore=shutil.ignore_patterns("__pycache__"))
    staged = Staged(solutions=solutions)
    # Every folder first, so links between them can be checked while writing.
    shutil.copytree(root / "docs", staging / "docs")
    (staging / "instructors").mkdir()
    for note in sorted((root / "instructors").glob("*.md")):
        shutil.copy(note, staging / "instructors" / note.name)
    shutil.copytree(root / "jobscripts", staging / "jobscripts", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "CHANGELOG.md", "LICENSE"):
        shutil.copy(root / name, staging / name)
    folders = ["notebooks", "exercises"] + (["solutions"] if solutions else [])
    for folder in folders:
        (staging / folder).mkdir()
        for path in sorted((root / folder).glob("*.ipynb")):
            shutil.copy(path, staging / folder / path.name)  # placeholders; rewritten below
    scripts = sorted(p for p in (root / "jobscripts").glob("*.sh") if p.name != "common.sh")
    for script in scripts:
        (staging / "jobscripts" / f"{script.stem}.md").write_text(_jobscript_page(script, root))

    lessons = sorted((root / "notebooks").glob("*.ipynb"))
    key_points = ["# Key points", "", "The key points every lesson ends with, in one place.", ""]
    for lesson in lessons:
        copy = executed_copy(lesson, root)
        nb, stamp = copy if copy else (nbformat.read(lesson, as_version=4), None)
        (staged.executed if copy else staged.without_outputs).append(lesson.name)
        staged.lessons.append(lesson.stem)
        stamp_cell = nbformat.v4.new_markdown_cell(_stamp_text(stamp))
        stamp_cell.id = "site-stamp"
        nb.cells.insert(1, stamp_cell)
        title = _first_heading(nb.cells[0].source, lesson.stem)
        points = re.sub(r"^##\s+Key points\s*\n", "", nb.cells[-1].source.strip())
        key_points += [f"## {title}", "", f"[Read the lesson](notebooks/{lesson.name})", "", points, ""]
        _write_notebook(nb, staging / "notebooks" / lesson.name, staging)
    for folder in folders[1:]:
        for path in sorted((root / folder).glob("*.ipynb")):
            _write_notebook(nbformat.read(path, as_version=4), staging / folder / path.name, staging)

    readme = (root / "README.md").read_text()
    course_map = "# Course map\n\n" + _retarget_jobscripts(_section(readme, "Course map")) + "\n"
    pages = {
        "course-map.md": course_map,
        "key-points.md": "\n".join(key_points),
        "jobscripts/index.md": "# Job scripts\n\n"
        "The Slurm job scripts of the course, each with the reasons for its settings and the program it runs.\n\n"
        + _toctree("Job scripts", [f"{p.stem}" for p in scripts]),
    }
    for name, text in pages.items():
        (staging / name).write_text(text)
    for page in [*staging.glob("*.md"), *staging.glob("docs/**/*.md"), *staging.glob("instructors/*.md")]:
        page.write_text(_unlink_missing(_retarget_jobscripts(page.read_text()), page, staging))

    entries = []
    for lesson in lessons:
        number = lesson.stem.split("-", 1)[0]
        entries.append(f"notebooks/{lesson.stem}")
        if (staging / "exercises" / lesson.name).is_file():
            entries.append(f"Exercise {number} <exercises/{lesson.stem}>")
    docs = sorted(p.relative_to(staging).with_suffix("").as_posix() for p in (staging / "docs").glob("*.md"))
    guides = [d for d in (f"docs/{name}" for name in LEARNER_DOCS) if d in docs]
    docs = [d for d in docs if d != "docs/index" and d not in guides]
    reference = sorted(
        p.relative_to(staging).with_suffix("").as_posix() for p in (staging / "docs" / "reference").glob("*.md")
    )
    notes = [f"instructors/{p.stem}" for p in sorted((staging / "instructors").glob("*.md")) if p.stem != "README"]
    index = (staging / "index.md").read_text()
    index += "\n" + _toctree("Start here", ["setup", "learners", "course-map"])
    index += _toctree("Lessons and exercises", entries)
    index += _toctree("Guides", guides)
    index += _toctree("Reference", ["key-points", "glossary", "jobscripts/index", *reference])
    index += _toctree("Instructors", ["docs/index", *docs, "instructors/README", *notes, "CHANGELOG"])
    if solutions:
        index += _toctree(
            "Solutions",
            [
                f"Solution {p.stem.split('-', 1)[0]} <solutions/{p.stem}>"
                for p in sorted((staging / "solutions").glob("*.ipynb"))
            ],
        )
    index += _toctree("Hidden", ["README"], hidden=True)
    (staging / "index.md").write_text(index)
    return staged


def build(root: Path, out: Path, solutions: bool = False, staging: Path | None = None, jobs: str = "auto") -> Staged:
    """Stage the Sphinx project and write the website's HTML into ``out`` (emptied first).

    Parameters
    ----------
    root
        The course root.
    out
        Where the HTML goes.
    solutions
        Include the solutions (the instructor's copy).
    staging
        Where the Sphinx project is laid out (default: ``build/site-src`` in the course).
    jobs
        Sphinx's ``-j``: processes that read and write pages.

    Returns
    -------
    Staged
        Which lessons have executed outputs and which are shown without.
    """
    staging = staging or root / STAGING
    staged = stage(root, staging, solutions=solutions)
    if out.exists():
        shutil.rmtree(out)
    argv = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", jobs, "-d", str(staging / ".doctrees")]
    argv += ["-t", "solutions"] if solutions else []
    done = subprocess.run([*argv, str(staging), str(out)], cwd=staging, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sphinx-build failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    if done.stderr.strip():
        (out / "build-warnings.txt").write_text(done.stderr)
    return staged


class _Page(html.parser.HTMLParser):
    """The ids a page defines and the links it makes (href and src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and not (tag == "a" and name == "src"):
                self.links.append(value)


_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def check_links(site: Path) -> tuple[list[str], list[str]]:
    """Every internal link, anchor and asset of a built site, checked offline.

    Parameters
    ----------
    site
        The built site (``build/site``).

    Returns
    -------
    tuple of list of str
        The broken internal links (``page.html -> target: why``), and every
        external link, sorted, for a maintainer to check online.
    """
    pages: dict[Path, _Page] = {}
    for path in sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts):
        parser = _Page()
        parser.feed(path.read_text(errors="replace"))
        pages[path.resolve()] = parser
    broken, external = [], set()
    sources = [(p, link) for p, parsed in pages.items() for link in parsed.links]
    for css in site.rglob("*.css"):
        sources += [(css.resolve(), link) for link in _CSS_URL.findall(css.read_text(errors="replace"))]
    for page, link in sources:
        parts = urlsplit(link)
        if parts.scheme in ("http", "https") or link.startswith("//"):
            if parts.hostname not in ("127.0.0.1", "localhost"):  # a run's own dashboard: gone with the run
                external.add(link)
            continue
        if parts.scheme in ("data", "mailto", "javascript", "blob") or link.startswith("#") and not link[1:]:
            continue
        if parts.scheme:
            broken.append(f"{page.relative_to(site.resolve())} -> {link}: scheme {parts.scheme}")
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        where = f"{page.relative_to(site.resolve())} -> {link}"
        if not target.is_file():
            broken.append(f"{where}: no such file")
        elif parts.fragment and target.suffix == ".html":
            anchors = pages[target].ids if target in pages else set()
            if unquote(parts.fragment) not in anchors:
                broken.append(f"{where}: no anchor #{parts.fragment}")
    return sorted(set(broken)), sorted(external)


def main(argv: list[str] | None = None) -> int:
    """``python -m hpclab.tools.site``: build the website, check its links, list the external ones."""
    parser = argparse.ArgumentParser(prog="python -m hpclab.tools.site", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    parser.add_argument("--out", type=Path, default=Path("build/site"), help="where the site goes")
    parser.add_argument("--solutions", action="store_true", help="the instructor's copy, with the solutions")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = (root / args.out).resolve() if not args.out.is_absolute() else args.out
    start = time.monotonic()
    staged = build(root, out, solutions=args.solutions)
    broken, external = check_links(out)
    (out / EXTERNAL_LINKS).write_text("".join(f"{link}\n" for link in external))
    # One file to copy to a cluster or an internal mirror: unzip it anywhere and open index.html.
    archive = shutil.make_archive(str(out.parent / f"hpclab-{out.name}"), "zip", out.parent, out.name)
    print(
        f"site: {out}/index.html ({time.monotonic() - start:.0f} s; solutions {'in' if staged.solutions else 'left out'})"
    )
    print(f"  lessons with the outputs of their last green run: {len(staged.executed)} of {len(staged.lessons)}")
    if staged.without_outputs:
        print(f"  shown without outputs (run `make test` or their tests first): {', '.join(staged.without_outputs)}")
    print(f"  the same as one archive: {archive}")
    if (out / "build-warnings.txt").is_file():
        print(f"  Sphinx warned: see {out / 'build-warnings.txt'}")
    print(f"  external links, for a maintainer to check online: {len(external)} in {out / EXTERNAL_LINKS}")
    if broken:
        print(f"  BROKEN internal links ({len(broken)}):", *broken[:50], sep="\n    ")
        return 1
    print("  every internal link and anchor resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
