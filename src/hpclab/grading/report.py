"""What a graded room tells learners and the instructor.

Three views of one grading run (:class:`hpclab.grading.results.Outcome`): a feedback
file per learner (each question, its status, the check's hint), a room report
(pass rate per question and the commonest statuses, on the terminal, as
Markdown and as a plot), and a gradebook (one row per learner, one column per
question) for a spreadsheet or an LMS import.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hpclab.grading.results import Outcome
from hpclab.grading.status import STATUSES, Status

#: How a learner's feedback shows each status (a status not here, such as a grader error, as it is).
STATUS_WORDS: dict[str, str] = {
    Status.PASSED: "✅ passed",
    Status.FAILED: "❌ failed",
    Status.NOT_ATTEMPTED: "⏳ not attempted",
    Status.ERROR: "💥 error",
    Status.TIMEOUT: "⏱ timeout",
    Status.KERNEL_DIED: "☠ kernel died",
    Status.INVALID_NOTEBOOK: "🚫 invalid notebook",
}
# Each status's colour in the room plot.
_COLOURS = {
    Status.PASSED: "#2ca02c",
    Status.FAILED: "#d62728",
    Status.NOT_ATTEMPTED: "#bbbbbb",
    Status.ERROR: "#ff7f0e",
    Status.TIMEOUT: "#9467bd",
    Status.KERNEL_DIED: "#8c564b",
    Status.INVALID_NOTEBOOK: "#7f7f7f",
}


@dataclass(frozen=True)
class QuestionStats:
    lesson: str
    question: str
    title: str
    level: str
    learners: int
    passed: int
    statuses: Counter

    @property
    def pass_rate(self) -> float:
        return self.passed / self.learners if self.learners else 0.0


def _title(outcome: Outcome, lesson: str | None, qid: str) -> str:
    release = outcome.releases.get(lesson) if lesson else None
    for question in release.questions if release else []:
        if question.id == qid:
            return question.title
    return ""


def question_stats(outcome: Outcome) -> list[QuestionStats]:
    """Per lesson and question: how many learners, how many passed, which statuses."""
    found: dict[tuple[str, str], list] = {}
    for graded in outcome.graded.values():
        for row in graded.rows:
            if row.question != "*":
                found.setdefault((graded.lesson or "?", row.question), []).append(row)
    stats = []
    for (lesson, qid), rows in found.items():
        counts = Counter(r.status for r in rows)
        stats.append(
            QuestionStats(
                lesson, qid, _title(outcome, lesson, qid), rows[0].level, len(rows), counts[Status.PASSED], counts
            )
        )
    return stats


def _commonest(counts: Counter, n: int = 3) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.most_common(n))


def room_table(outcome: Outcome) -> str:
    """The room report for the terminal: one line per question, hardest questions easy to spot."""
    stats = question_stats(outcome)
    if not stats:
        return "room report: no question was graded"
    lessons = {s.lesson for s in stats}
    name = (lambda s: s.question) if len(lessons) == 1 else (lambda s: f"{s.lesson} {s.question}")
    width = max(len("question"), *(len(name(s)) for s in stats))
    header = f"{'question':<{width}}  {'level':<5}  {'passed':>9}  commonest statuses"
    lines = [
        f"room report ({len(outcome.graded)} submissions, {', '.join(sorted(lessons))})",
        header,
        "-" * len(header),
    ]
    for s in stats:
        lines.append(
            f"{name(s):<{width}}  {s.level:<5}  {s.passed:>3}/{s.learners:<3}{s.pass_rate:>4.0%}"
            f"  {_commonest(s.statuses)}"
        )
    return "\n".join(lines)


def plot_room(outcome: Outcome, path: str | os.PathLike) -> Path:
    """A stacked bar per question: how many learners got each status (saved as PNG)."""
    import matplotlib  # noqa: PLC0415  heavy, and only the room plot needs it

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415  after choosing the Agg backend above
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415  heavy, only the room plot needs it

    stats = question_stats(outcome)
    labels = [s.question if len({x.lesson for x in stats}) == 1 else f"{s.lesson}\n{s.question}" for s in stats]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.8 * len(stats) + 2), 3.5))
    bottom = [0] * len(stats)
    for status in STATUSES:
        heights = [s.statuses.get(status, 0) for s in stats]
        if any(heights):
            ax.bar(labels, heights, bottom=bottom, label=status, color=_COLOURS[status])
            bottom = [b + h for b, h in zip(bottom, heights)]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("learners")
    ax.set_title("How the room did, question by question")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_room_report(outcome: Outcome, path: str | os.PathLike) -> tuple[Path, Path]:
    """The room report as Markdown at ``path``, with its plot beside it (same name, .png)."""
    path = Path(path)
    image = plot_room(outcome, path.with_suffix(".png"))
    stats = question_stats(outcome)
    lines = [
        "# Room report",
        "",
        f"{len(outcome.graded)} submissions graded ({'sandboxed' if outcome.sandboxed else 'NOT sandboxed'}).",
        "",
        f"![Statuses per question]({image.name})",
        "",
        "| lesson | question | title | level | passed | pass rate | commonest statuses |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in stats:
        lines.append(
            f"| {s.lesson} | {s.question} | {s.title} | {s.level} | {s.passed}/{s.learners} | "
            f"{s.pass_rate:.0%} | {_commonest(s.statuses)} |"
        )
    if outcome.problems:
        lines += ["", "## Notes", ""] + [f"- {p}" for p in outcome.problems]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, image


def _safe_name(submission: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(submission).stem).strip("_") or "submission"


def feedback_markdown(outcome: Outcome, submission: str) -> str:
    """One learner's feedback: score, then each question with its status and what to look at."""
    graded = outcome.graded[submission]
    rows = [r for r in graded.rows if r.question != "*"]
    score, total = sum(r.points for r in rows), sum(r.max_points for r in rows)
    lines = [f"# Feedback for {Path(submission).name}", ""]
    if graded.lesson:
        lines.append(f"Lesson **{graded.lesson}**: **{score} of {total} points**.")
    if not rows:
        lines += ["", "This notebook could not be graded: " + (graded.note or "see your instructor") + "."]
    else:
        lines += ["", "| question | level | points | status | what to look at |", "|---|---|---|---|---|"]
        for row in rows:
            title = _title(outcome, graded.lesson, row.question)
            hint = graded.hints.get(row.question, "").replace("|", "\\|").replace("\n", " ")
            label = f"{row.question} {title}".strip()
            lines.append(
                f"| {label} | {row.level} | {row.points}/{row.max_points} | "
                f"{STATUS_WORDS.get(row.status, row.status)} | {hint} |"
            )
    if graded.note and rows:
        lines += ["", f"Note: {graded.note.replace(str(submission) + ': ', '')}"]
    return "\n".join(lines) + "\n"


def write_feedback(outcome: Outcome, folder: str | os.PathLike) -> list[Path]:
    """A Markdown feedback file per learner in ``folder`` (named after the submission)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for submission in outcome.graded:
        name = _safe_name(submission)
        stem, n = name, 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        path = folder / f"{name}.md"
        path.write_text(feedback_markdown(outcome, submission), encoding="utf-8")
        written.append(path)
    return written


def write_gradebook(outcome: Outcome, path: str | os.PathLike) -> Path:
    """One row per learner, one column of points per question, then total and maximum."""
    stats = question_stats(outcome)
    several = len({s.lesson for s in stats}) > 1
    columns = [(s.lesson, s.question) for s in stats]
    heading = [f"{lesson} {q}" if several else q for lesson, q in columns]
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", "lesson", *heading, "total", "max_total", "graded"])
        for submission, graded in outcome.graded.items():
            points = {(graded.lesson or "?", r.question): r.points for r in graded.rows}
            rows = [r for r in graded.rows if r.question != "*"]
            writer.writerow(
                [
                    submission,
                    graded.lesson or "",
                    *[points.get(c, "") for c in columns],
                    sum(r.points for r in rows),
                    sum(r.max_points for r in rows),
                    "yes" if rows else "no",
                ]
            )
    return path
