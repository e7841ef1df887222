"""The doctor's findings: what one check saw (:class:`Finding`) and all of them (:class:`Report`).

Each finding has a section (one of :data:`SECTIONS`), a status (:data:`OK`
fine, :data:`WARN` worth a look, :data:`FAIL` broken) and, unless it is fine,
the fix. ``hpclab site-check`` prints its rows as findings too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# The statuses are the verdicts hpclab.mpi.compare_launcher gives a launcher: one definition, there.
from hpclab.mpi import FAIL, OK, WARN

__all__ = ["FAIL", "OK", "SECTIONS", "SYMBOL", "WARN", "Finding", "Report", "plural"]

SYMBOL = {OK: "✅", WARN: "⚠️", FAIL: "❌"}
SECTIONS = ("Python", "MPI", "Slurm", "Network", "Dashboard", "Security")


def plural(n: int, noun: str) -> str:
    """``"1 worker"``, ``"2 workers"``: ``n`` and the noun, with an s unless ``n`` is 1."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: how it is (``ok``/``warn``/``fail``) and what to do."""

    section: str
    status: str
    message: str
    fix: str = ""
    details: dict = field(default_factory=dict)

    def text(self) -> str:
        """The finding's line, then its fix on the next (only when it is not ``ok``)."""
        line = f"  {SYMBOL[self.status]} {self.message}"
        if self.fix and self.status != OK:
            line += f"\n      fix: {self.fix}"
        return line


@dataclass
class Report:
    """Every finding, in section order; ``str(report)`` is the readable version."""

    host: str
    findings: list[Finding]
    task: dict = field(default_factory=dict)  # launcher's view when run as one task of many

    @property
    def ok(self) -> bool:
        """True when nothing is broken (warnings allowed)."""
        return not any(f.status == FAIL for f in self.findings)

    def counts(self) -> dict[str, int]:
        """How many findings have each status."""
        return {s: sum(f.status == s for f in self.findings) for s in (OK, WARN, FAIL)}

    def text(self, brief: bool = False) -> str:
        """One line per finding, grouped by section, each ⚠️/❌ with its fix.

        ``brief``: only the Slurm section and problems elsewhere, every line
        prefixed with the task number: what tasks other than the first print
        when srun runs the doctor on every task (srun mixes their lines).
        """
        where = self.host
        if self.task:
            where += f", task {self.task['rank']} of {self.task['size']} ({self.task['launcher']})"
        lines = [f"hpclab doctor on {where}"]
        for section in SECTIONS:
            chosen = [
                f for f in self.findings if f.section == section and (not brief or section == "Slurm" or f.status != OK)
            ]
            if chosen:
                lines.append(section)
                lines.extend(f.text() for f in chosen)
        c = self.counts()
        verdict = "nothing is broken" if self.ok else "something is broken: see the fix lines"
        lines.append(
            f"{plural(c[OK], 'check')} fine, {plural(c[WARN], 'warning')}, {plural(c[FAIL], 'problem')}: {verdict}"
        )
        if brief and self.task:
            lines = [f"[task {self.task['rank']}] {line}" for line in "\n".join(lines).splitlines()]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Plain data for ``--json``."""
        return {
            "host": self.host,
            "ok": self.ok,
            "counts": self.counts(),
            "task": self.task,
            "findings": [asdict(f) for f in self.findings],
        }

    def __str__(self) -> str:
        return self.text()
