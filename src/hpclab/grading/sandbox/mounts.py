"""A sandbox's file system: built from nothing by bubblewrap mounts, an allowlist.

Never the host's whole ``/``: the system folders (:data:`SYSTEM_PATHS`, and
``/sys`` for the machine's layout, without its network list), Python itself
and the virtual environment, the ``hpclab`` package folder alone (from an
editable install, ``src/hpclab``, never the course folder around it), the
course's data and the lessons' notebooks and job scripts (:data:`COURSE_PARTS`),
all read-only. ``solutions/`` is an empty folder there (so
:func:`hpclab.data.course_root` still finds the course); other submissions,
the grader's working folder and its output files exist nowhere inside. The
writable places are memory: ``/tmp`` (with the home and scratch folders),
``/dev/shm`` and the working directory (a fresh copy of the release folder,
at the release folder's path) are tmpfs mounts of at most the memory limit
each; bubblewrap's own mounts (its root, ``/dev``, ``/sys/class/net``) are made
read-only once all is mounted (in a user namespace they would belong to the
submission). The kernel's socket folder is bound writable at its own path, so
grader and kernel both reach it.
"""

from __future__ import annotations

import os
import site
import stat
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

import hpclab
from hpclab.data import course_root

INSIDE_SCRATCH = "/tmp/hpclab-scratch"
INSIDE_HOME = "/tmp/hpclab-home"
INSIDE_SEED = "/run/hpclab"  # read-only inside: the release copy and the home the sandbox starts from
# Read-only, whole: the system. Symbolic links among them (merged /usr) stay links.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
# The course folder's parts a kernel may read besides the release and the data: the lessons and
# job scripts (learners have both); solutions/ is bound as an empty folder.
COURSE_PARTS = ("notebooks", "jobscripts")
FOLDER_SIZE = 1 << 20  # an empty read-only folder's tmpfs: room for the mount points bound into it


def _others_can_enter(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return bool(mode & stat.S_IXOTH and mode & stat.S_IROTH)
    return bool(mode & stat.S_IROTH)


def _depth(path: str) -> int:
    return len(Path(path).parts)


class Mounts:
    """bwrap mount options that build the sandbox's file system from nothing: an allowlist.

    Each mount is kept with its place inside; :meth:`args` emits them parents
    first, and makes every folder on the way to a mount point that no mount
    provides as an empty folder others may enter (bwrap's own are 0700, which
    the sandbox's uid could not cross). Only the mounted paths exist inside:
    a course folder holding ``src/hpclab`` shows ``src/hpclab`` and nothing else.
    """

    def __init__(self) -> None:
        self._ops: list[tuple[str, list[str]]] = []  # (place inside, bwrap options)
        self._places: set[str] = set()
        self._read_only: set[str] = set()  # places bound read-only from the same host path
        self._bound: set[str] = set()  # places bound from the same host path: their folders exist
        self._frozen: list[str] = []  # bwrap's own mounts made read-only once everything is mounted

    def _add(self, place: str, args: list[str]) -> None:
        if place not in self._places:
            self._places.add(place)
            self._ops.append((place, args))

    def _under_read_only(self, place: str) -> bool:
        return any(Path(place).is_relative_to(top) for top in self._read_only)

    def system(self, path: str) -> None:
        """A system folder as it is on the host (a symbolic link stays a link)."""
        if os.path.islink(path):
            self._add(path, ["--symlink", os.readlink(path), path])
        elif os.path.isdir(path):
            self.read_only(Path(path))

    def read_only(self, path: Path, *, place: str | None = None) -> None:
        """``path`` readable inside, at ``place`` (default: the same path).

        A folder other users may not enter (a 0700 temporary folder holding
        the data) becomes an enterable empty folder with its contents bound in.
        """
        path = Path(os.path.abspath(path))
        place = place or str(path)
        if place == str(path) and self._under_read_only(place):
            return  # already there, inside a folder bound whole
        if path.is_dir() and not _others_can_enter(path):
            self.folder(place)
            for child in sorted(path.iterdir()):
                self._add(f"{place}/{child.name}", ["--ro-bind", str(child), f"{place}/{child.name}"])
            return
        self._add(place, ["--ro-bind", str(path), place])
        if place == str(path):
            self._read_only.add(place)
            self._bound.add(place)

    def writable(self, path: Path) -> None:
        """``path`` bound writable at the same place (the kernel's socket folder)."""
        self._add(str(path), ["--bind", str(path), str(path)])
        self._bound.add(str(path))

    def folder(self, place: str) -> None:
        """An empty folder others may enter and nobody inside may write.

        A small tmpfs of its own, made read-only once everything is mounted: a
        plain ``--dir`` lies in whatever holds it, and where that is the
        sandbox's ``/tmp`` (a course cloned under /tmp) a submission in a user
        namespace owns it and could write there.
        """
        self.tmpfs(place, FOLDER_SIZE, perms="0755")
        self.freeze(place)

    def tmpfs(self, place: str, size: int, *, perms: str = "1777") -> None:
        """A writable tmpfs of at most ``size`` bytes, shared like /tmp (1777) unless ``perms`` says otherwise."""
        self._add(place, ["--perms", perms, "--size", str(size), "--tmpfs", place])

    def special(self, place: str, *args: str) -> None:
        """A bwrap mount of its own kind (``--dev``, ``--proc``) at ``place``."""
        self._add(place, [*args, place])

    def freeze(self, place: str) -> None:
        """Make the mount at ``place`` read-only after all others (not the mounts below it).

        bwrap's root, ``--dev``, plain ``--tmpfs`` and :meth:`folder` mounts are writable, and
        in a user namespace they belong to the submission: unlimited memory
        nobody counts, and files planted where the course's folders appear.
        """
        if place not in self._frozen:
            self._frozen.append(place)

    def args(self) -> list[str]:
        """The bwrap options, parents first, then the ``--remount-ro`` of every frozen mount."""
        out: list[str] = []
        made: set[str] = set()
        for place, args in sorted(self._ops, key=lambda op: _depth(op[0])):
            for parent in reversed(Path(place).parents[:-1]):  # not "/"
                name = str(parent)
                if name in made or name in self._places or self._inside_bound(name):
                    continue
                made.add(name)
                out += ["--perms", "0755", "--dir", name]
            made.add(place)
            out += args
        for place in self._frozen:
            out += ["--remount-ro", place]
        return out

    def _inside_bound(self, name: str) -> bool:
        """True when ``name`` lies in a folder bound from the host: it exists there (or nowhere)."""
        return any(Path(name).is_relative_to(top) for top in self._bound)


def _package_dir() -> Path:
    """The ``hpclab`` package folder: from an editable install, ``src/hpclab`` in the course folder."""
    return Path(hpclab.__file__).resolve().parent


def _site_dirs() -> list[Path]:
    """Where this Python finds packages: site-packages of the environment and of the base Python."""
    found = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return [Path(p) for p in dict.fromkeys(found) if os.path.isdir(p)]


def _pth_folders(site_dirs: Iterable[Path]) -> list[Path]:
    """Folders that ``.pth`` files put on the kernel's ``sys.path`` (other editable installs)."""
    folders = []
    for site_dir in site_dirs:
        for pth in sorted(site_dir.glob("*.pth")):
            try:
                lines = pth.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", "import ", "import\t")):
                    folder = (site_dir / line).resolve()
                    if folder.is_dir():
                        folders.append(folder)
    return folders


def _needed_paths() -> list[Path]:
    """What the kernel must read besides the system: this Python, its packages and ``hpclab``.

    Never the grader's working folder or anything else on its ``sys.path``
    (pytest's, ``python -m``'s): the kernel builds its own. A ``.pth`` folder
    holding ``hpclab`` (``src/`` of the editable install, or a course folder
    installed whole) is not bound: only the package folder is, so the
    solutions and submissions beside it stay out.
    """
    package = _package_dir()
    paths = [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        *_site_dirs(),
        package,
    ]
    for folder in _pth_folders(_site_dirs()):
        if not package.is_relative_to(folder) and not (folder / "solutions").is_dir():
            paths.append(folder)
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))


def _course_folder(release: Path) -> Path | None:
    """The course folder holding the release folder (``solutions/`` beside it), or None."""
    root = course_root(release)
    return root if (root / "solutions").is_dir() and release.is_relative_to(root) else None


def file_system(*, seed_root: Path, workdir: Path, sockets: Path, memory: int, readable: Iterable[Path]) -> Mounts:
    """The sandbox's file system: the allowlist this module's docstring describes.

    Parameters
    ----------
    seed_root
        The sandbox's own folder on the host: ``seed/`` (bound read-only at
        :data:`INSIDE_SEED`) and ``hosts`` (bound at ``/etc/hosts``).
    workdir
        The release folder: a tmpfs at its own path inside (filled from the seed).
    sockets
        The kernel's socket folder, bound writable at its own path.
    memory
        The size of each tmpfs mount (the sandbox's memory limit), in bytes.
    readable
        More paths to bind read-only where they exist (the data folder).

    Returns
    -------
    Mounts
        The mounts; :meth:`Mounts.args` gives bwrap's options.
    """
    mounts = Mounts()
    for system in SYSTEM_PATHS:
        mounts.system(system)
    mounts.read_only(seed_root / "hosts", place="/etc/hosts")
    mounts.special("/dev", "--dev")
    mounts.special("/proc", "--proc")
    mounts.read_only(Path("/sys"))  # hwloc (MPI) and BLAS read the machine's layout there
    # ... but its network list would name the host's interfaces, not the sandbox's.
    mounts.special("/sys/class/net", "--tmpfs")
    for place in ("/", "/dev", "/sys/class/net"):  # bwrap's own: read-only (/dev/shm is a mount of its own)
        mounts.freeze(place)
    mounts.tmpfs("/tmp", memory)  # home and scratch too
    mounts.tmpfs("/dev/shm", memory)
    mounts.tmpfs(str(workdir), memory)
    mounts.read_only(seed_root / "seed", place=INSIDE_SEED)
    for path in _needed_paths():
        mounts.read_only(path)
    course = _course_folder(workdir)
    if course is not None:
        mounts.folder(str(course / "solutions"))  # empty: course_root() finds the course by it
        for part in COURSE_PARTS:
            if (course / part).is_dir():
                mounts.read_only(course / part)
    for extra in readable:
        if Path(extra).exists():
            mounts.read_only(Path(extra).resolve())
    mounts.writable(sockets)
    return mounts
