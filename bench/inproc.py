"""Measurements that must run inside one judge process; bench/run.py starts each in a fresh one.

    python bench/inproc.py warm SUBMISSION RUNS     full course, worker already warm: JSON list of seconds
    python bench/inproc.py floor SUBMISSIONS OUT WORKERS
                                                    the batch's compute floor: the same checks without the
                                                    sandbox (InProcessRunner), WORKERS processes: JSON seconds
    python bench/inproc.py probe SUBMISSION MODULE  grade one module cold: JSON {seconds, judge_imported_torch}
"""
from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def warm(submission: Path, runs: int) -> list[float]:
    """Like a batch worker: course, numpy, torch and the template loaded once; each grade forks its own child."""
    from grader.classroom.batch import _warm_worker
    from grader.pipeline import grade, load_course
    from grader.report import write_reports

    _warm_worker(str(ROOT))
    course = load_course(ROOT)
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"dlgrade-bench-warm-{os.getpid()}"
    times = []
    for i in range(runs + 1):  # the first grade warms the rest (torch._dynamo, caches): not timed
        started = time.perf_counter()
        write_reports(grade(course, submission, seed=1), out)
        if i:
            times.append(time.perf_counter() - started)
    return times


def _floor_one(args: tuple[str, str, str]) -> float:
    from grader.classroom.batch import _worker_course
    from grader.runners.inprocess import InProcessRunner
    from grader.pipeline import grade
    from grader.report import write_reports

    student, path, out = args
    course = _worker_course(ROOT)
    started = time.perf_counter()
    results = grade(course, Path(path), seed=1, label=student, runner_factory=InProcessRunner)
    write_reports(results, Path(out) / "students" / student)
    return time.perf_counter() - started


def floor(submissions: Path, out: Path, workers: int) -> float:
    """Everything ``dlgrade batch`` does per student except the sandbox: the isolation overhead's baseline."""
    from grader.classroom.batch import _warm_worker, collect, discover
    from grader.classroom.gradebook import write_gradebook
    from grader.classroom.class_report import write_class_report
    from grader.pipeline import load_course

    started = time.perf_counter()
    course = load_course(ROOT)
    entries = discover(submissions)
    jobs = [(e.student, str(e.path), str(out)) for e in entries]
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm_worker, initargs=(str(ROOT),)) as pool:
        list(pool.map(_floor_one, jobs))
    class_data = collect(out, entries, course)
    write_gradebook(out / "gradebook.csv", class_data, course)
    write_class_report(out / "class_report.html", class_data, course)
    return time.perf_counter() - started


def probe(submission: Path, module: str) -> dict:
    """Grade one module in a cold judge: how long, and whether the judge had to import torch."""
    from grader.pipeline import grade, load_course

    started = time.perf_counter()
    results = grade(load_course(ROOT), submission, seed=1, modules=[module])
    return {"seconds": time.perf_counter() - started, "judge_imported_torch": "torch" in sys.modules,
            "checks": len(results.checks), "passed": sum(c.status == "passed" for c in results.checks)}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "warm":
        print(json.dumps(warm(Path(sys.argv[2]), int(sys.argv[3]))))
    elif mode == "floor":
        print(json.dumps(floor(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    elif mode == "probe":
        print(json.dumps(probe(Path(sys.argv[2]), sys.argv[3])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
