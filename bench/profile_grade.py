"""Where the time of one full-course grade goes: the profile behind bench/NOTES.md.

    python bench/profile_grade.py [--runs 3]

Grades the full course (the reference as the submission) in a warm judge process, as a batch
worker does, and splits the wall clock into: starting children, the child's work per request
(student code, drivers, imports inside the child, the wire both ways) and the judge's own work
(oracles, comparisons, reports). Then the same grade without the sandbox (the compute floor),
the interpreter-level costs the sandbox pays per submission, and the slowest checks.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _python_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-B", "-c", code], check=True, env={"OMP_NUM_THREADS": "1"})
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    from grader.runners import sandbox
    from grader.classroom.batch import _warm_worker
    from grader.runners.inprocess import InProcessRunner
    from grader.pipeline import grade, load_course

    _warm_worker(str(ROOT))
    course = load_course(ROOT)
    submission = ROOT / "reference"
    grade(course, submission, seed=1)  # warm-up: the judge's own lazy imports (torch._dynamo...)

    spent: dict[str, list[float]] = defaultdict(list)
    spawn, request = sandbox.SandboxRunner._spawn, sandbox.SandboxRunner._request

    def timed_spawn(self):
        started = time.perf_counter()
        child = spawn(self)
        spent["spawn (fork+exec, namespaces)"].append(time.perf_counter() - started)
        return child

    def timed_request(self, req, timeout):
        started = time.perf_counter()
        reply = request(self, req, timeout)
        spent[f"child: {req['op']} {req.get('module', '')}".strip()].append(time.perf_counter() - started)
        return reply

    sandbox.SandboxRunner._spawn, sandbox.SandboxRunner._request = timed_spawn, timed_request
    walls = []
    for _ in range(runs):
        spent_before = {k: len(v) for k, v in spent.items()}
        started = time.perf_counter()
        results = grade(course, submission, seed=1)
        walls.append(time.perf_counter() - started)
    sandbox.SandboxRunner._spawn, sandbox.SandboxRunner._request = spawn, request
    wall = statistics.median(walls)
    per_run = {k: sum(v) / runs for k, v in spent.items()}
    child = sum(v for k, v in per_run.items() if k.startswith("child"))
    print(f"warm full-course grade, sandbox on: {wall:.2f} s (median of {runs}); {len(results.checks)} checks")
    print(f"  child round trips (student code, drivers, child imports, wire): {child:.2f} s")
    for key, value in sorted(per_run.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {key:45s} {value:6.2f} s")
    print(f"  judge's own work (oracles, comparisons, staging, reports): {wall - child:.2f} s")

    floor = []
    for _ in range(runs):
        started = time.perf_counter()
        inproc = grade(course, submission, seed=1, runner_factory=InProcessRunner)
        floor.append(time.perf_counter() - started)
    print(f"same grade without the sandbox (compute floor): {statistics.median(floor):.2f} s")
    alexnet = sum(c.duration_s for c in inproc.checks if ".build_alexnet." in c.id)
    print(f"  of which the four build_alexnet checks (61M-parameter model): {alexnet:.2f} s")
    gan = sum(c.duration_s for c in inproc.checks if c.function == "gan_train_step")
    print(f"  of which gan_train_step's checks: {gan:.2f} s")
    print("  slowest checks, sandbox on:")
    for c in sorted(results.checks, key=lambda c: -c.duration_s)[:8]:
        print(f"    {c.id:55s} {c.duration_s:6.2f} s")

    base = _python_seconds("import numpy", runs)
    torch_s = _python_seconds("import numpy, torch", runs)
    optim = _python_seconds("import torch; torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)", runs)
    print("interpreter costs a fresh child pays (python -I -B, median):")
    print(f"  start + import numpy: {base:.2f} s; + import torch: {torch_s - base:.2f} s; "
          f"+ first torch.optim optimizer (imports torch._dynamo): {optim - torch_s:.2f} s")


if __name__ == "__main__":
    main()
