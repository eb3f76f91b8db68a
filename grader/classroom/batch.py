"""Grading a whole class: one entry per student, parallel workers, resumable, then a gradebook.

Layout of ``--out``:
    batch.json                     the batch's seed and selection (a resumed batch reuses them)
    students/<id>/results.json     written atomically; its presence means "graded"
    students/<id>/report.html
    gradebook.csv                  one row per student, in the columns Canvas imports
    class_report.html              histogram, pass rates, common failures, timeouts and errors

A broken entry (unreadable, zip bomb, an archive without modules, a loose file that is not a
submission) gets a results.json with status ``invalid`` and a message, and the batch goes on.
With ``--roster`` (a Canvas export, see roster.py) the gradebook has one row per roster student,
carrying the roster's IDs; folders that match nobody are listed, not imported.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import HarnessError, SubmissionError
from ..i18n import tr
from ..pipeline import Course, grade, load_course, new_seed, warm_judge
from ..report import INSTRUCTOR_LOG, write_reports
from ..results import has_results, read_entry, write_entry_failure, write_json_atomic, write_text_atomic
from ..runners import isolation
from ..runners.sandbox import SandboxBroken
from ..staging.archive import has_code, unpack_zip
from ..statuses import EntryStatus
from .gradebook import write_gradebook
from .roster import assignment_columns, match, read_roster

SUBMISSION_SUFFIXES = (".zip", ".ipynb")


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


def discover(submissions: Path) -> list[Entry]:
    """One entry per student: a folder, a .zip or a notebook; ids from the entry names.

    Anything else at that level (``notes.txt``, a ``mlp.py`` dropped next to the folders, a
    dangling link) is an entry too, graded as ``invalid`` with a message, not skipped silently.
    Hidden files (``.DS_Store``) are the only ones left out.
    """
    if not submissions.is_dir():
        raise HarnessError(f"{submissions}: not a folder; pass the folder holding one entry per student")
    entries = []
    for path in sorted(submissions.iterdir()):
        if path.name.startswith("."):
            continue
        is_submission = path.suffix in SUBMISSION_SUFFIXES and not path.is_dir()
        entries.append(Entry(path.stem if is_submission else path.name, path))
    seen: dict[str, Path] = {}
    for e in entries:
        if e.student in seen:
            raise HarnessError(f"{submissions}: two entries for student {e.student!r} "
                               f"({seen[e.student].name} and {e.path.name}); keep one")
        seen[e.student] = e.path
    return entries


# --------------------------------------------------------------------------- one student
def grade_entry(course_root: str, student: str, path: str, out_dir: str, seed: int,
                assignment_ids: list[str] | None, lang: str = "en", unsandboxed: bool = False) -> dict[str, Any]:
    """Grade one student (in a worker process); write its reports; return a small summary."""
    course = _worker_course(Path(course_root))
    target = Path(out_dir) / "students" / student
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="dlgrade-entry-"))
    try:
        submission = Path(path)
        if not submission.exists():
            raise SubmissionError(f"{submission.name}: the entry does not exist (a broken link?)")
        if not submission.is_dir() and submission.suffix not in SUBMISSION_SUFFIXES:
            raise SubmissionError(f"{submission.name}: a loose file next to the student folders, not a "
                                  "submission; put each student's work in a folder, a .zip or a .ipynb "
                                  "named after the student, or move this file out of the class folder")
        if submission.suffix == ".zip" and not submission.is_dir():
            submission = unpack_zip(submission, tmp)
            if not has_code(submission):
                raise SubmissionError(f"{Path(path).name}: no modules or notebooks in the archive "
                                      "(no .py or .ipynb file); the student should hand in their "
                                      "modules (mlp.py, ...) or notebook (hw1.ipynb) zipped")
        # Other students' entries and reports must not exist in this student's view.
        others = [Path(path).resolve().parent, Path(out_dir).resolve()]
        results = grade(course, submission, assignment_ids=assignment_ids, seed=seed, label=student,
                        hidden=others, unsandboxed=unsandboxed)
        # Reports first, results.json last: its presence is what marks the student as done.
        paths = write_reports(results, target, lang)
        return {"student": student, "status": EntryStatus.GRADED, "score": results.score,
                "max_score": results.max_score, "seconds": time.perf_counter() - started,
                "results": str(paths["json"])}
    except SandboxBroken:
        raise  # the machine's fault, not this student's: stop the batch (it resumes where it stopped)
    except HarnessError as exc:
        write_entry_failure(target, student, EntryStatus.INVALID, exc.text, seed)
        return {"student": student, "status": EntryStatus.INVALID, "message": str(exc), "message_zh": exc.text.zh,
                "seconds": time.perf_counter() - started}
    except Exception:  # the judge failed on this student: recorded, and the batch goes on
        return record_internal_error(target, student, seed, traceback.format_exc(), started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def record_internal_error(target: Path, student: str, seed: int, trace: str, started: float) -> dict[str, Any]:
    """A student the judge could not grade: results.json says so (no traceback in it), the
    traceback goes to the instructor's log beside it."""
    message = tr("grading_failed")
    write_text_atomic(target / INSTRUCTOR_LOG, f"Not for students: the grader failed on {student}.\n\n{trace}")
    write_entry_failure(target, student, EntryStatus.INTERNAL_ERROR, message, seed)
    return {"student": student, "status": EntryStatus.INTERNAL_ERROR, "message": message.en, "message_zh": message.zh,
            "seconds": time.perf_counter() - started}


_COURSE: Course | None = None


def _worker_course(root: Path) -> Course:
    global _COURSE
    if _COURSE is None or _COURSE.root != root:
        _COURSE = load_course(root)
    return _COURSE


def _warm_worker(course_root: str, unsandboxed: bool = False) -> None:
    """Worker start-up: pay for the course, numpy, torch and the sandbox's template once per
    worker, not per student (the template imports in its own process, alongside)."""
    from ..pipeline import hidden_paths
    from ..runners.sandbox import start_template

    course = _worker_course(Path(course_root))
    start_template(hidden_paths(course), unsandboxed, preload=True)
    warm_judge()


# --------------------------------------------------------------------------- the batch
def batch_settings(out: Path, seed: int | None, assignment_ids: list[str] | None) -> dict[str, Any]:
    """The first run fixes the seed and selection; a resumed run must reuse them."""
    path = out / "batch.json"
    if path.is_file():
        settings = json.loads(path.read_text(encoding="utf-8"))
        if seed is not None and seed != settings["seed"]:
            raise HarnessError(f"{path}: this batch was started with seed {settings['seed']}; "
                               "pass the same --seed, or --force to regrade everyone with a new one")
        return settings
    settings = {"seed": new_seed() if seed is None else seed, "assignments": assignment_ids}
    write_json_atomic(path, settings)
    return settings


def run_batch(course: Course, submissions: Path, out: Path, *, workers: int = 1, seed: int | None = None,
              assignment_ids: list[str] | None = None, force: bool = False,
              progress: Callable[[str], None] | None = None, executor: str = "local",
              scheduler: str | None = None, lang: str = "en", roster: Path | None = None,
              roster_column: str | None = None, missing: str = "empty",
              canvas_columns: dict[str, str] | None = None, unsandboxed: bool = False) -> dict[str, Any]:
    """Grade every entry of ``submissions`` not graded yet, then write the gradebook and class report.

    With ``roster`` (a Canvas export) the gradebook has a row per roster student, matched by
    ``roster_column`` or by SIS Login ID, ID, SIS User ID; ``missing`` ("empty" or "zero") is the
    score of roster students without a submission; ``canvas_columns`` names assignment columns.

    ``executor="local"`` (the default) grades on this machine with ``workers`` processes;
    ``executor="dask"`` sends one task per student to the Dask scheduler at ``scheduler`` (or to a
    local cluster of ``workers`` processes when it is None). Every task grades with the same sandbox
    and writes the same per-student files; the driver writes the gradebook as for a local batch.
    """
    # The roster, the options and the sandbox are checked before grading: a typo (or a machine
    # that cannot sandbox) must not cost a whole batch.
    mode = isolation.detect(unsandboxed)
    if workers > 1 and mode.name == "dropped-uid" and not mode.private_scratch:
        # Two children at once could pass files through /tmp: one student at a time here.
        (progress or _stderr_progress)(f"note: the '{mode.name}' sandbox without Landlock cannot keep two "
                                       "children's /tmp apart; grading one student at a time\n")
        workers = 1
    if missing not in ("empty", "zero"):
        raise HarnessError(f"--missing {missing!r}: use 'empty' or 'zero'")
    class_roster = read_roster(roster) if roster is not None else None
    columns = assignment_columns(course.manifest, class_roster, canvas_columns)
    if roster_column is not None and class_roster is None:
        raise HarnessError("--roster-column needs --roster: the Canvas export to match folder names against")
    if class_roster is not None:
        match(class_roster, [], roster_column)  # an unknown column fails here, before any grading
    out.mkdir(parents=True, exist_ok=True)
    if force and (out / "batch.json").exists():
        (out / "batch.json").unlink()
    settings = batch_settings(out, seed, assignment_ids)
    entries = discover(submissions)
    todo = [e for e in entries if force or not has_results(out / "students" / e.student)]
    show = progress or _stderr_progress
    done = len(entries) - len(todo)
    started = time.perf_counter()
    summaries: list[dict[str, Any]] = []
    # Absolute paths: a Dask worker runs in another folder (or on another machine).
    root = os.path.abspath(course.root)
    args = [(root, e.student, os.path.abspath(e.path), os.path.abspath(out), settings["seed"],
             settings["assignments"], lang, unsandboxed) for e in todo]
    if executor == "local":
        if scheduler:
            raise HarnessError("--scheduler is for --executor dask; the local executor runs on this machine")
        results = _run_local(args, workers, root, unsandboxed)
    elif executor == "dask":
        results = _run_dask(args, scheduler, workers, root, unsandboxed)
    else:
        raise HarnessError(f"unknown executor {executor!r}: use 'local' or 'dask'")
    for summary in results:
        summaries.append(summary)
        show(_progress_line(done + len(summaries), len(entries), len(summaries), len(todo), started))
    if todo:
        show("\n")
    class_data = collect(out, entries, course)
    matching = match(class_roster, [e.student for e in entries], roster_column) if class_roster else None
    write_gradebook(out / "gradebook.csv", class_data, course, columns, class_roster, matching, missing,
                    settings["assignments"])
    from .class_report import write_class_report

    unmatched = matching.unmatched if matching else []
    write_class_report(out / "class_report.html", class_data, course, lang, unmatched)
    return {"students": len(entries), "graded_now": len(todo), "skipped": len(entries) - len(todo),
            "seed": settings["seed"], "class": class_data, "unmatched": unmatched,
            "roster_without_submission": (len(class_roster.students) - len(matching.by_entry)
                                          if class_roster and matching else None)}


# --------------------------------------------------------------------------- executors
EntryArgs = tuple  # grade_entry's arguments, in order


def _run_local(args: list[EntryArgs], workers: int, course_root: str,
               unsandboxed: bool = False) -> Iterator[dict[str, Any]]:
    """Summaries as students finish, from this process or a pool of ``workers`` processes."""
    if workers <= 1 or len(args) <= 1:
        if len(args) > 1:  # as a pool's worker would: torch in the template once, not in every fork
            _warm_worker(course_root, unsandboxed)
        for a in args:
            yield grade_entry(*a)
        return
    todo, rounds = list(args), 0
    while todo:
        # A worker that dies (the kernel's OOM killer, a signal) breaks the whole pool and every
        # student not finished with it. Those get a second round in a fresh pool; the ones that
        # break that one too are then graded alone, and a student who breaks a pool alone is recorded
        # as an internal error. Everyone else is graded as usual.
        rounds += 1
        batch = todo if rounds <= 2 else todo[:1]
        broken: list[EntryArgs] = []
        with ProcessPoolExecutor(max_workers=min(workers, len(batch)) if rounds <= 2 else 1,
                                 initializer=_warm_worker, initargs=(course_root, unsandboxed)) as pool:
            futures = {pool.submit(grade_entry, *a): a for a in batch}
            pending: set[Future] = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    try:
                        yield f.result()
                    except BrokenProcessPool:
                        broken.append(futures[f])
        if rounds > 2 and broken:  # it broke a pool on its own: this student is the cause
            _, student, _, out_dir, seed = broken[0][:5]
            yield record_internal_error(Path(out_dir) / "students" / student, student, seed,
                                        "a grading worker died while grading this student alone (out of memory?)",
                                        time.perf_counter())
            broken = []
        graded = {a[1] for a in batch} - {a[1] for a in broken}
        todo = [a for a in todo if a[1] not in graded]


def _run_dask(args: list[EntryArgs], scheduler: str | None, workers: int,
              course_root: str, unsandboxed: bool = False) -> Iterator[dict[str, Any]]:
    """Summaries as students finish on a Dask distributed cluster.

    Assumes what a shared file system gives: every worker sees the course folder, the submissions
    and ``--out`` at the same absolute paths, and has the same dlgrade installed. Each task is
    ``grade_entry``: one sandboxed child per student on the worker, per-student files written
    there, results.json last; a task lost with its worker is rerun by Dask, which is safe because
    a student counts as graded only once results.json exists. Workers should run one task at a
    time (``dask worker ADDRESS --nthreads 1``): each task already has its own child process.
    """
    if not args:
        return
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise HarnessError("--executor dask needs dask.distributed: pip install 'dlgrade[dask]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        raise HarnessError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        try:
            client.run(_warm_worker, course_root, unsandboxed)
        except Exception as exc:
            raise HarnessError(f"the Dask workers cannot load the course at {course_root} ({exc}); they need "
                               "dlgrade installed and the course, submissions and --out at the same "
                               "paths (a shared file system)") from None
        batch_key = os.urandom(4).hex()
        futures = [client.submit(grade_entry, *a, key=f"dlgrade-{batch_key}-{a[1]}", pure=False) for a in args]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _progress_line(done: int, total: int, now: int, todo: int, started: float) -> str:
    elapsed = time.perf_counter() - started
    left = (todo - now) * elapsed / now if now else 0.0
    width = 30
    filled = int(width * done / total) if total else width
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} students, ~{left:.0f} s left "


def _stderr_progress(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def collect(out: Path, entries: list[Entry], course: Course) -> list[dict[str, Any]]:
    """Every student's results.json, in entry order (the gradebook's order)."""
    rows = []
    for e in entries:
        data = read_entry(out / "students" / e.student)
        data["student"] = e.student
        rows.append(data)
    return rows
