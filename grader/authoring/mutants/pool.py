"""Grading workers for mutants: each grades module texts in-process with the course's checks, and is
killed and replaced when a mutant runs past its wall-clock budget."""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ...statuses import ReplyStatus, Status


def _unit_of(qualname: str) -> str:
    return qualname.split(".<locals>", 1)[0]


def _grade_source(course: Any, module: str, source: str, check_ids: list[str], seed: int, folder: Path,
                  stop_early: bool, trace: bool) -> dict:
    """Grade one module text with these checks in this process (a worker)."""
    from ...pipeline import run_one
    from ...runners.inprocess import InProcessRunner

    path = folder / f"{module}.py"
    path.write_text(source, encoding="utf-8")
    specs = {c.id: c for c in course.manifest.module(module)[1].checks}
    started = time.perf_counter()
    runner = InProcessRunner(folder)
    reply = runner.load(module, 60)
    if reply.status != ReplyStatus.OK:
        return {"results": [["import", reply.status, reply.message[:300], 0.0]], "ran": {},
                "seconds": time.perf_counter() - started}
    results, ran = [], {}
    real = os.path.realpath(path)
    for check_id in check_ids:
        units: set[str] = set()
        if trace:
            def profile(frame: Any, event: str, arg: Any, units: set[str] = units) -> None:
                if event == "call" and frame.f_code.co_filename == real:
                    units.add(_unit_of(frame.f_code.co_qualname))
            sys.setprofile(profile)
        try:
            result = run_one(course.checks[check_id], specs[check_id], runner, seed)
        finally:
            if trace:
                sys.setprofile(None)
        ran[check_id] = sorted(units)
        results.append([check_id, result.status, result.message[:300], result.duration_s])
        if stop_early and result.status != Status.PASSED:
            break
    runner.close()
    return {"results": results, "ran": ran, "seconds": time.perf_counter() - started}


def worker_main(conn: Connection, root: str, seed: int) -> None:
    """A grading worker: imports the course once, then grades what the parent sends."""
    import warnings

    warnings.simplefilter("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # numpy-only courses
        pass
    from ...pipeline import load_course

    course = load_course(Path(root))
    conn.send({"ready": True})  # the parent starts a mutant's clock only after this
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutant-") as tmp:
        n = 0
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            n += 1
            folder = Path(tmp) / str(n)  # a fresh folder: no stale bytecode or module
            folder.mkdir()
            answer = _grade_source(course, task["module"], task["source"], task["checks"], seed, folder,
                                   task["stop_early"], task["trace"])
            conn.send(answer)


class Pool:
    """Grading workers that can be killed and replaced when a mutant runs past its budget."""

    def __init__(self, root: Path, seed: int, size: int) -> None:
        self.root, self.seed = root, seed
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[tuple[Any, Connection] | None] = [None] * max(1, size)

    def _start(self, slot: int) -> tuple[Any, Connection]:
        parent, child = self.ctx.Pipe()
        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        os.environ.update({k: "1" for k in saved})  # two workers share the cores: one thread each
        try:
            process = self.ctx.Process(target=worker_main, args=(child, str(self.root), self.seed), daemon=True)
            process.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        # Importing torch and the checks takes a few seconds: not part of any mutant's budget.
        if not parent.poll(300):
            process.kill()
            from ...errors import HarnessError

            raise HarnessError("a mutant grading worker did not start within 300 s")
        try:
            parent.recv()
        except EOFError:
            from ...errors import HarnessError

            raise HarnessError("a mutant grading worker died while starting") from None
        self.workers[slot] = (process, parent)
        return process, parent

    def _get(self, slot: int) -> tuple[Any, Connection]:
        worker = self.workers[slot]
        return worker if worker is not None and worker[0].is_alive() else self._start(slot)

    def _kill(self, slot: int) -> None:
        worker = self.workers[slot]
        self.workers[slot] = None
        if worker is None:
            return
        process, conn = worker
        if process.is_alive():
            process.kill()
        process.join(timeout=10)
        conn.close()

    def run(self, tasks: list[dict], budget: float,
            done: Callable[[int, dict | None, float], None]) -> None:
        """Send every task to a free worker; ``done(index, answer or None on timeout/crash, seconds)``."""
        pending = list(range(len(tasks)))[::-1]
        busy: dict[int, tuple[int, float]] = {}  # slot -> (task index, started)
        while pending or busy:
            for slot in range(len(self.workers)):
                if slot not in busy and pending:
                    index = pending.pop()
                    _, conn = self._get(slot)
                    conn.send(tasks[index])
                    busy[slot] = (index, time.monotonic())
            live = {s: worker[1] for s in busy if (worker := self.workers[s]) is not None}
            conns: dict[object, int] = {c: s for s, c in live.items()}
            deadline = min(started for _, started in busy.values()) + budget
            ready = wait(list(live.values()), timeout=max(0.0, deadline - time.monotonic()))
            for ready_conn in ready:
                slot = conns[ready_conn]
                index, started = busy.pop(slot)
                try:
                    answer = live[slot].recv()
                except (EOFError, OSError):
                    answer = {"crash": True}
                    self._kill(slot)
                done(index, answer, time.monotonic() - started)
            now = time.monotonic()
            for slot, (index, started) in list(busy.items()):
                if now - started >= budget:
                    busy.pop(slot)
                    self._kill(slot)
                    done(index, None, now - started)

    def close(self) -> None:
        for slot, worker in enumerate(self.workers):
            if worker is not None:
                try:
                    worker[1].send(None)
                except OSError:
                    pass
                worker[0].join(timeout=5)
                self._kill(slot)
