"""dlgrade's benchmarks, one command: writes bench/RESULTS.md (and bench/results.json).

    python bench/run.py            # full: 5 runs each, 100 submissions in the batch (3 runs), ~1 hour
    python bench/run.py --quick    # 3 runs; the 100-submission batch once, 2 workers only (~15 min)

Every figure is a wall-clock time of a whole command in a fresh process (interpreter start and
imports included) unless the table says otherwise; tables give the median, min and max over the
runs. Peer tools run in the same loop, one after another on the same input, so each run yields
a ratio and the table gives the ratios' median.

1. Peer comparison: five numpy exercises (bench/peer/) graded by dlgrade (sandbox on), by
   nbgrader's ``autograde``, by bare pytest and by Otter-Grader's ``otter run``, for a correct, a
   buggy and an endless-loop submission; every tool gives each test TIMEOUT seconds, except Otter,
   which has no per-test timeout: each ``otter run`` is stopped at OTTER_GUARD seconds instead.
   nbgrader, pytest, pytest-timeout and otter-grader are installed with pip into
   bench/.venv-nbgrader (created on the first run, with the same numpy and torch as dlgrade's
   environment; the bench goes on without Otter if it does not install).
2. Full course (hw1-hw6, the reference as the submission): cold (``dlgrade grade`` in a new
   process) and warm (a batch worker's state: course, numpy and torch already loaded).
3. Batch: N copies of the full course with ``dlgrade batch`` on 1 and 2 workers, and the compute
   floor: the same checks and reports without the sandbox (bench/inproc.py floor).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv-nbgrader"
PEER = BENCH / "peer"
VARIANTS = ("correct", "buggy", "loop")
PEER_MODULES = ("activations", "gradcheck", "cnn", "attention")
TIMEOUT = 5  # seconds per test, the same for every tool that has a per-test timeout
# `otter run` has no timeout at all (per test, per cell or per run; `otter grade --timeout` limits a
# whole Docker container). This limit on the whole command only makes the bench terminate: the loop
# submission costs the other tools five timed-out tests (25 s) plus their usual time, and a finishing
# `otter run` took 9-20 s here at a load average of 8 on 2 cores, so 60 s stops nothing but a runaway.
OTTER_GUARD = 12 * TIMEOUT
OTTER = "otter-grader[grading]>=7,<8"  # the extra: what Otter's own grading environment installs (ipykernel)


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc: a Jupyter kernel runs in a session of its own, so
    killing the command's process group would leave it spinning."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True,
          limit: float | None = None, ok: tuple[int, ...] = (0, 1)) -> tuple[float, subprocess.CompletedProcess]:
    """Runs ``cmd`` to its end, or, given a ``limit``, kills it and everything it started after
    ``limit`` seconds (return code -9, ``stderr`` says so). ``ok``: the exit codes of a run that
    measured something (1: pytest with failing tests; dlgrade's own commands pass (0,))."""
    started = time.perf_counter()
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            for pid in [proc.pid, *_descendants(proc.pid)]:  # parent first: it starts nothing new
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            stdout, stderr = proc.communicate()
            stderr += f"\n[bench] killed after {limit} s"
    seconds = time.perf_counter() - started
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    killed = limit is not None and done.returncode == -9
    if check and done.returncode not in ok and not killed:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-2000:]}")
    return seconds, done


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# --------------------------------------------------------------------------- environment
def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    from grader.runners import isolation

    mode = isolation.detect()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "os": platform.platform(),
            "sandbox": f"mode '{mode.name}': " + ", ".join(mode.promises),
            "load_before": os.getloadavg()}


# --------------------------------------------------------------------------- 0. the yardstick
TORCH_IMPORT = [sys.executable, "-c", "import numpy, torch"]


def torch_import(runs: int) -> list[float]:
    """``python -c "import numpy, torch"``: every figure is also given as a multiple of this, so that
    a machine's speed (or its load) cancels out of the comparison."""
    times = []
    for _ in range(runs):
        seconds, _ = timed(TORCH_IMPORT)
        times.append(seconds)
    log(f"python -c 'import numpy, torch': {', '.join(f'{t:.2f}' for t in times)} s")
    return times


def _version(python: str, dist: str) -> str:
    done = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "not installed"


def versions(venv_python: str | None) -> dict[str, str]:
    import numpy
    import torch

    from grader import __version__

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "grader"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    found = {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch.__version__,
             "dlgrade": f"{__version__} ({commit.stdout.strip() or 'no git'}{', modified' if dirty else ''})"}
    for dist in ("nbgrader", "pytest", "pytest-timeout", "otter-grader"):
        found[dist] = _version(venv_python, dist) if venv_python else "not measured"
    if venv_python:
        found["numpy (peer venv)"] = _version(venv_python, "numpy")
        found["torch (peer venv)"] = _version(venv_python, "torch")
    return found


def ensure_venv() -> tuple[str | None, str]:
    """bench/.venv-nbgrader with nbgrader, pytest, pytest-timeout and dlgrade's numpy and torch, then
    Otter-Grader in a second step: if Otter does not install, the other peers are still measured and
    the reason is kept (otter-not-installed.txt) for every later run's notes until the venv is deleted."""
    import numpy
    import torch

    python = VENV / "bin" / "python"
    # The pins again in Otter's step: pip must not move numpy or torch to satisfy Otter's dependencies.
    pins = [f"numpy=={numpy.__version__}", f"torch=={torch.__version__.split('+')[0]}"]
    wanted = ["nbgrader", "pytest", "pytest-timeout", *pins, OTTER]
    stamp = VENV / "dlgrade-bench.json"
    otter_problem = VENV / "otter-not-installed.txt"
    if python.exists() and stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return str(python), otter_problem.read_text() if otter_problem.is_file() else ""
    log(f"creating {VENV.relative_to(ROOT)} and installing {' '.join(wanted)} with pip")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted[:-1]], check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        return None, f"installing the peer tools failed: {(exc.stderr or exc.stdout or '')[-600:]}"
    otter_problem.unlink(missing_ok=True)
    problem = ""
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", OTTER, *pins], capture_output=True,
                          text=True)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        why = " ".join(line for line in said if line.startswith("ERROR")) or said[-1]  # pip's verdict
        problem = (f"Otter-Grader was not measured: `pip install {OTTER}` failed "
                   f"(delete {VENV.relative_to(ROOT)} to try again): {why[-600:]}")
        otter_problem.write_text(problem)
    stamp.write_text(json.dumps(wanted))
    return str(python), problem


def venv_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


# --------------------------------------------------------------------------- 1. peer comparison
def _passed(tool: str, done: subprocess.CompletedProcess) -> str:
    if tool == "dlgrade":
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return f"{data['passed']}/{data['total']}"
    passed = re.search(r"(\d+) passed", done.stdout)
    failed = re.search(r"(\d+) failed", done.stdout)
    p, f = int(passed.group(1)) if passed else 0, int(failed.group(1)) if failed else 0
    return f"{p}/{p + f}"


def _otter_passed(results: Path, done: subprocess.CompletedProcess) -> str:
    """Otter's results.json (Gradescope's format): one entry with a max_score per test file."""
    if done.returncode == -9:
        return f"none reported: killed at the {OTTER_GUARD} s guard"
    try:
        tests = [t for t in json.loads(results.read_text())["tests"] if "max_score" in t]
    except (OSError, ValueError, KeyError):
        return f"no results.json (exit {done.returncode})"
    return f"{sum(t['score'] == t['max_score'] for t in tests)}/{len(tests)}"


def _nbgrader_passed(python: str, course: Path, variant: str) -> str:
    code = ("from nbgrader.api import Gradebook\n"
            f"with Gradebook('sqlite:///{course}/gradebook.db') as gb:\n"
            f"    sub = gb.find_submission_notebook('peer', 'peer', {variant!r})\n"
            "    print(f'{sum(g.score == g.max_score for g in sub.grades)}/{len(sub.grades)}')\n")
    return subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=course).stdout.strip()


def peer(runs: int, python: str | None, work: Path) -> dict[str, Any]:
    subs: dict[str, Path] = {}
    tests: dict[str, Path] = {}
    for v in VARIANTS:
        code = PEER / "submissions" / v / "peer.py"
        subs[v] = work / "dlgrade" / v
        subs[v].mkdir(parents=True)
        for module in PEER_MODULES:  # the same code under each course module name
            shutil.copyfile(code, subs[v] / f"{module}.py")
        tests[v] = work / "pytest" / v
        tests[v].mkdir(parents=True)
        shutil.copyfile(code, tests[v] / "peer.py")
        shutil.copyfile(PEER / "test_peer.py", tests[v] / "test_peer.py")
        (tests[v] / "pytest.ini").write_text("[pytest]\n")
    course = work / "nbgrader"
    otter = work / "otter"
    notes = []
    tools: dict[str, Callable[[str], list[str]]] = {
        "dlgrade": lambda v: [sys.executable, str(PEER / "dlgrade_peer.py"), str(subs[v]), "--out",
                              str(work / "out" / v), "--seed", "1", "--timeout", str(TIMEOUT)]}
    cwd = {"dlgrade": None}
    env = {"dlgrade": None}
    limit: dict[str, float] = {}
    if python:
        tools["pytest"] = lambda v: [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout",
                                     str(TIMEOUT)]
        env["pytest"] = venv_env()
        built = subprocess.run([python, str(PEER / "nbgrader_course.py"), str(course), str(TIMEOUT),
                                *[str(PEER / "submissions" / v) for v in VARIANTS]],
                               capture_output=True, text=True, env=venv_env())
        if built.returncode == 0:
            tools["nbgrader"] = lambda v: [str(VENV / "bin" / "nbgrader"), "autograde", "peer", "--student", v,
                                           "--force"]
            cwd["nbgrader"] = course
            env["nbgrader"] = venv_env()
        else:
            notes.append(f"nbgrader course setup failed: {built.stderr[-600:]}")
        if (VENV / "bin" / "otter").is_file():
            built = subprocess.run([python, str(PEER / "otter_course.py"), str(otter),
                                    *[str(PEER / "submissions" / v) for v in VARIANTS]],
                                   capture_output=True, text=True, env=venv_env())
            if built.returncode == 0:
                tools["otter"] = lambda v: [str(VENV / "bin" / "otter"), "run", "--autograder", "autograder.zip",
                                            "--output-dir", str(otter / "out" / v), "--no-logo",
                                            str(otter / "submissions" / v / "peer.py")]
                cwd["otter"] = otter
                env["otter"] = venv_env()
                limit["otter"] = OTTER_GUARD
                for v in VARIANTS:
                    (otter / "out" / v).mkdir(parents=True)
            else:
                notes.append(f"Otter assignment setup failed: {built.stderr[-600:]}")
    else:
        notes.append("nbgrader and pytest were not measured: the peer venv could not be installed")
    times: dict[str, dict[str, list[float]]] = {v: {t: [] for t in tools} for v in VARIANTS}
    passed: dict[str, dict[str, str]] = {v: {} for v in VARIANTS}
    killed: dict[str, dict[str, int]] = {v: {t: 0 for t in tools} for v in VARIANTS}
    order = list(tools)
    for run in range(runs):
        for v in VARIANTS:
            for tool in order[run % len(order):] + order[:run % len(order)]:  # rotate: no tool always first
                if tool == "otter":  # a killed run writes none: never count the previous run's
                    (otter / "out" / v / "results.json").unlink(missing_ok=True)
                seconds, done = timed(tools[tool](v), cwd=cwd.get(tool) or tests[v], env=env[tool],
                                      limit=limit.get(tool))
                times[v][tool].append(seconds)
                killed[v][tool] += done.returncode == -9
                if tool == "otter":
                    passed[v][tool] = _otter_passed(otter / "out" / v / "results.json", done)
                elif tool != "nbgrader":
                    passed[v][tool] = _passed(tool, done)
            log(f"peer run {run + 1}/{runs} {v}: " + ", ".join(f"{t} {times[v][t][-1]:.2f} s" for t in order))
    if "nbgrader" in tools:
        for v in VARIANTS:
            passed[v]["nbgrader"] = _nbgrader_passed(python, course, v)
    ratios = {v: {t: stats([other / mine for other, mine in zip(times[v][t], times[v]["dlgrade"])])
                  for t in tools if t != "dlgrade"} for v in VARIANTS}
    return {"times": {v: {t: stats(x) for t, x in times[v].items()} for v in VARIANTS}, "raw": times,
            "ratios": ratios, "passed": passed, "notes": notes, "timeout": TIMEOUT, "killed": killed,
            "guard": OTTER_GUARD if "otter" in tools else None}


# --------------------------------------------------------------------------- 2. full course
def full_course_submission(work: Path) -> Path:
    sub = work / "full-course"
    sub.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "reference").glob("*.py")):
        shutil.copyfile(path, sub / path.name)
    return sub


def full_course(runs: int, work: Path) -> dict[str, Any]:
    sub = full_course_submission(work)
    dlgrade = [*dlgrade_command(), "--course", str(ROOT), "grade", str(sub), "--seed", "1", "--out"]
    cold = []
    for run in range(runs):
        seconds, _ = timed([*dlgrade, str(work / "course-out")], ok=(0,))
        cold.append(seconds)
        log(f"full course cold {run + 1}/{runs}: {seconds:.2f} s")
    _, done = timed([sys.executable, str(BENCH / "inproc.py"), "warm", str(sub), str(runs)])
    warm = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"full course warm: {', '.join(f'{s:.2f}' for s in warm)} s")
    results = json.loads((work / "course-out" / "results.json").read_text())
    per_module: dict[str, float] = {}
    for c in results["checks"]:
        per_module[c["module"]] = per_module.get(c["module"], 0.0) + c["duration_s"]
    slowest = sorted(results["checks"], key=lambda c: -c["duration_s"])[:6]
    return {"cold": stats(cold), "warm": stats(warm), "raw": {"cold": cold, "warm": warm},
            "checks": len(results["checks"]), "score": f"{results['score']:g}/{results['max_score']:g}",
            "per_module": per_module, "slowest": [(c["id"], c["duration_s"]) for c in slowest]}


# --------------------------------------------------------------------------- 3. batch
def batch(runs: int, size: int, work: Path, one_worker: bool = True) -> dict[str, Any]:
    one = full_course_submission(work)
    subs = work / "class"
    for i in range(size):  # real copies: staging ignores symlinked modules
        shutil.copytree(one, subs / f"s{i:03d}")
    floor_env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    times: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "floor, 2 workers": []}
    for run in range(runs):
        # 1 worker takes about twice as long as 2 and is no target: measured in the first run only.
        for workers in ((1, 2) if run == 0 and one_worker else (2,)):
            out = work / f"batch-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            seconds, _ = timed([*dlgrade_command(), "--course", str(ROOT), "batch", str(subs),
                                "--out", str(out), "--workers", str(workers), "--seed", "1", "--force"], ok=(0,))
            times[f"{workers} worker{'s' if workers > 1 else ''}"].append(seconds)
            log(f"batch run {run + 1}/{runs}, {size} submissions, {workers} worker(s): {seconds:.1f} s")
        out = work / "batch-floor"
        shutil.rmtree(out, ignore_errors=True)
        seconds, _ = timed([sys.executable, str(BENCH / "inproc.py"), "floor", str(subs), str(out), "2"],
                           env=floor_env)
        times["floor, 2 workers"].append(seconds)
        log(f"batch run {run + 1}/{runs}, compute floor (no sandbox), 2 workers: {seconds:.1f} s")
    graded = sum(1 for p in (work / "batch-2" / "students").glob("*/results.json"))
    overhead = [s / f for s, f in zip(times["2 workers"], times["floor, 2 workers"])]
    return {"size": size, "times": {k: stats(v) for k, v in times.items() if v}, "raw": times,
            "overhead": stats(overhead), "graded": graded}


# --------------------------------------------------------------------------- the report
def fmt(s: dict[str, float]) -> str:
    return f"{s['median']:.2f} | {s['min']:.2f} | {s['max']:.2f}"


def per_torch(seconds: float, data: dict[str, Any]) -> str:
    """A figure as a multiple of the torch import measured in the same run."""
    base = data["torch_import"]["median"]
    return f"{seconds / base:.2f}x"


def ratio_fmt(s: dict[str, float]) -> str:
    return f"{s['median']:.2f}x ({s['min']:.2f}-{s['max']:.2f})"


def verdict(ok: bool | str) -> str:
    if isinstance(ok, str):
        return ok
    return "holds" if ok else "**missed**"


def dlgrade_command() -> list[str]:
    """The installed console script, as users run it (not a pyenv shim in front of it); else the module."""
    script = Path(sys.executable).with_name("dlgrade")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "grader.cli"]


def _part_dates(data: dict[str, Any]) -> str:
    dates = data.get("dates", {})
    if len(set(dates.values())) <= 1:
        return ""
    return "; parts measured " + ", ".join(f"{part} {date}" for part, date in dates.items())


def report(data: dict[str, Any]) -> str:
    m, v = data["machine"], data["versions"]
    base = data["torch_import"]
    lines = ["# dlgrade benchmarks", "",
             f"Written by `python bench/run.py{' --quick' if data['quick'] else ''}` on {data['date']} "
             f"({data['minutes']:.0f} min{_part_dates(data)}). Wall-clock seconds of whole commands in fresh processes unless "
             "noted; median, min and max over the runs. Every figure is also given as a multiple of "
             "`python -c \"import numpy, torch\"` measured in the same run (the **torch import**), so that the "
             "machine's speed and load cancel out. Profile, what dominated and what changed it: "
             "[NOTES.md](NOTES.md).", "",
             "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory']}; {m['os']}",
             f"- sandbox: {m['sandbox']}",
             f"- load average before / after: {' '.join(f'{x:.2f}' for x in m['load_before'])} / "
             f"{' '.join(f'{x:.2f}' for x in m['load_after'])}",
             f"- the torch import: {fmt(base)} s (median | min | max of {base['n']} runs, spread over the run)",
             "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()), ""]
    targets = []
    if "peer" in data:
        p = data["peer"]
        tools = list(p["times"]["correct"])
        guard = p.get("guard")
        budget = f"Every test gets {p['timeout']} s"
        if guard:
            budget += (f", except in Otter, which has no per-test timeout: each `otter run` is killed at a "
                       f"{guard} s guard instead, and a figure it sets is marked")
        lines += ["## Peer comparison: five numpy exercises", "",
                  "sigmoid and its derivative, central-difference gradient, 5x5 convolution, 2x2 max pooling, "
                  "attention with a causal mask ([bench/peer/](peer/)); the same tests in each tool (dlgrade's "
                  "checks of those functions; [test_peer.py](peer/test_peer.py) for pytest, one cell per test "
                  "for nbgrader" + (", one test file in Otter's exception format per test for Otter" if guard else "")
                  + f"). {budget}. {data['runs']} runs.", "",
                  "| submission | tool | median s | min s | max s | x torch import | tests passed | "
                  "time vs dlgrade (same run) |", "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
        for variant in VARIANTS:
            for tool in tools:
                ratio = "1" if tool == "dlgrade" else ratio_fmt(p["ratios"][variant][tool])
                got = p["passed"][variant].get(tool, "")
                killed = p.get("killed", {}).get(variant, {}).get(tool, 0)
                if killed:  # the time is the guard's, not the tool's: it would never have finished
                    got += f" ({killed} of {p['times'][variant][tool]['n']} runs)"
                    ratio += f", set by the {guard} s guard"
                lines.append(f"| {variant} | {tool} | {fmt(p['times'][variant][tool])} | "
                             f"{per_torch(p['times'][variant][tool]['median'], data)} | {got} | {ratio} |")
        lines += ["", "dlgrade runs each check's student code in a sandboxed fork of its template; pytest runs "
                  "it in its own process, nbgrader in a Jupyter kernel, one cell per test" +
                  ("; Otter (`otter run`, its local grading without Docker) executes the submission and then "
                   "every test file in one cell of a Jupyter kernel and writes its results only at the end: a "
                   "submission that never returns gets no result at all" if guard else "") +
                  ". Every tool imports torch for the checks whose oracle is PyTorch.", ""]
        lines += [f"- {n}" for n in p["notes"]]
        if "nbgrader" in tools:
            r = p["ratios"]["correct"]["nbgrader"]["median"]
            targets.append(("five exercises: >= 10x faster than nbgrader autograde (correct submission)",
                            f"{r:.1f}x", r >= 10))
        if "pytest" in tools:
            r = p["ratios"]["correct"]["pytest"]["median"]
            targets.append(("five exercises: faster than bare pytest on the same tests (correct submission)",
                            f"pytest takes {r:.2f}x dlgrade's time", r > 1.0))
        extra = p["times"]["loop"]["dlgrade"]["median"] - p["times"]["correct"]["dlgrade"]["median"]
        # The checks the loop costs: those of the looping function (numerical_gradient), which pass
        # on the correct submission and time out here; the rest of the loop variant is correct.
        lost = [int(b) - int(a) for a, b in (p["passed"][v]["dlgrade"].split("/") for v in ("loop", "correct"))]
        looping = lost[0] - lost[1]
        targets.append(("an endless loop costs only its check's timeout",
                        f"+{extra:.1f} s for {looping} looping checks x {p['timeout']} s",
                        extra <= looping * p["timeout"] + 3))
    if "course" in data:
        c = data["course"]
        cold = c["cold"]["median"]
        lines += ["## Full course: one complete submission (hw1-hw6)", "",
                  f"{c['checks']} checks, score {c['score']}; {data['runs']} runs.", "",
                  "| mode | median s | min s | max s | x torch import |", "| --- | ---: | ---: | ---: | ---: |",
                  f"| cold: `dlgrade grade` in a new process | {fmt(c['cold'])} | {per_torch(cold, data)} |",
                  f"| warm: a batch worker's process (course, numpy, torch, template loaded) | {fmt(c['warm'])} | "
                  f"{per_torch(c['warm']['median'], data)} |", "",
                  "Seconds spent in each module's checks (one cold run, from results.json): " +
                  ", ".join(f"{k} {s:.2f}" for k, s in sorted(c["per_module"].items(), key=lambda kv: -kv[1])) + ".",
                  "Slowest checks: " + ", ".join(f"`{i}` {s:.2f}" for i, s in c["slowest"]) + ".", ""]
        targets.append(("full course, cold: at most 2.5x the torch import",
                        f"{cold:.2f} s = {per_torch(cold, data)}", cold <= 2.5 * base["median"]))
    if "batch" in data:
        b = data["batch"]
        n = b["size"]
        lines += [f"## Batch: {n} full-course submissions", "",
                  f"`dlgrade batch` over {n} copies of the full course ({b['graded']} graded), "
                  f"{data['batch_runs']} run(s) (1 worker: the first run only, not with --quick). The floor runs the same checks and "
                  "reports with no sandbox (`InProcessRunner`, bench/inproc.py).", "",
                  "| configuration | runs | median s | min s | max s | per submission s | per submission x torch "
                  "import |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for key, s_ in b["times"].items():
            lines.append(f"| {key} | {s_['n']} | {fmt(s_)} | {s_['median'] / n:.2f} | "
                         f"{per_torch(s_['median'] / n, data)} |")
        lines += ["", f"Isolation overhead (2 workers, sandbox / floor, same run): {ratio_fmt(b['overhead'])}.", ""]
        each = b["times"]["2 workers"]["median"] / n
        targets.append(("batch, 2 workers: at most 0.6x the torch import per full-course submission",
                        f"{each:.2f} s = {per_torch(each, data)} (100 submissions: {each * 100:.0f} s)",
                        each <= 0.6 * base["median"]))
        targets.append(("isolation overhead over the in-process compute floor: at most 1.2x",
                        f"{b['overhead']['median']:.2f}x", b["overhead"]["median"] <= 1.2))
    lines += ["## Targets (2-core machine, every sandbox layer on)", "", "| target | measured | |",
              "| --- | --- | --- |"]
    lines += [f"| {t} | {got} | {verdict(ok)} |" for t, got, ok in targets]
    lines += ["", "Why a target was missed and what would close the gap: [NOTES.md](NOTES.md).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="dlgrade benchmarks: writes bench/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="3 runs; the batch once, 2 workers only")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5, --quick 3)")
    parser.add_argument("--batch-size", type=int, help="submissions in the batch (default 100)")
    parser.add_argument("--batch-runs", type=int, help="runs of the batch (default 3)")
    parser.add_argument("--only", action="append", choices=("peer", "course", "batch"),
                        help="run only this part (repeatable)")
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from the results.json beside it, measuring nothing")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_name("results.json")
    if args.report_only:
        out.write_text(report(json.loads(raw.read_text(encoding="utf-8"))), encoding="utf-8")
        return 0
    runs = args.runs or (3 if args.quick else 5)
    # 100 even when quick: the target is per submission of a class, and with 10 the workers' start
    # (torch in the judge and in the template) weighs as much as the grading.
    size = args.batch_size or 100
    batch_runs = args.batch_runs or (1 if args.quick else 3)
    parts = args.only or ["peer", "course", "batch"]
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data: dict[str, Any] = {"quick": args.quick, "runs": runs, "batch_runs": batch_runs, "date": now,
                            "machine": machine(), "dates": {}}
    if args.only and raw.is_file():  # measure some parts again, keep the others' figures
        kept = json.loads(raw.read_text(encoding="utf-8"))
        data = {**kept, **{k: data[k] for k in ("quick", "date", "machine")}, "dates": kept.get("dates", {})}
        data.update({"runs": runs} if {"peer", "course"} & set(parts) else {})
        data.update({"batch_runs": batch_runs} if "batch" in parts else {})
    data["dates"].update({part: now for part in parts})
    python, problem = ensure_venv() if "peer" in parts else (None, "")
    data["versions"] = versions(python)
    def save() -> None:  # after every part: a long run that fails late keeps what it measured
        data["machine"]["load_after"] = os.getloadavg()
        data["minutes"] = (time.perf_counter() - started) / 60
        raw.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")

    yardstick: list[float] = torch_import(runs)

    def remeasure() -> None:  # the yardstick again after every part: load changes during a long run
        yardstick.extend(torch_import(max(1, runs // 2)))
        data["torch_import"] = stats(yardstick)

    data["torch_import"] = stats(yardstick)
    with tempfile.TemporaryDirectory(prefix="dlgrade-bench-") as tmp:
        work = Path(tmp)
        if "peer" in parts:
            data["peer"] = peer(runs, python, work / "peer")
            if problem:
                data["peer"]["notes"].append(problem)
            remeasure()
            save()
        if "course" in parts:
            data["course"] = full_course(runs, work / "course")
            remeasure()
            save()
        if "batch" in parts:
            data["batch"] = batch(batch_runs, size, work / "batch", one_worker=not args.quick)
            remeasure()
            save()
    out.write_text(report(data), encoding="utf-8")
    log(f"wrote {out} and {raw.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
