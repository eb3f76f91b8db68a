"""Mining a student bundle for solutions: ``python tests/mining.py BUNDLE OUT.json``.

Every function defined in the bundle outside exercises/ (module functions, methods, lambdas, nested
functions, the replays of recorded oracles, the code cells of the notebooks) is tried as the
implementation of every contract function whose required positional parameters it accepts (every
class as every contract class), and graded by the FULL grader of this checkout on that function's
hidden checks, the rest of the module being the reference. OUT.json lists what was tried and every
hidden check that passed: none may.

Runs in its own process (started by tests/test_bundle.py): the bundle's package is loaded under
another name, and each candidate runs in a forked child with a time limit, in a scratch folder, so
that a mined ``os._exit`` or a file written by a mined function cannot disturb anything else.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import os
import pkgutil
import select
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
ALIAS = "mined_bundle_grader"
SEED = 20261128
CANDIDATE_SECONDS = 60


@dataclass
class Candidate:
    label: str
    obj: Any  # a function or a class


@dataclass
class Target:
    module: str
    function: str
    is_class: bool
    required: int
    hidden: tuple  # CheckSpec of the function's hidden checks


# --------------------------------------------------------------------------- what the bundle defines
def load_bundle_package(bundle: Path) -> list[types.ModuleType]:
    """Every module of the bundle's grader package, imported under ALIAS (the full grader keeps its name)."""
    init = bundle / "grader" / "__init__.py"
    spec = importlib.util.spec_from_file_location(ALIAS, init, submodule_search_locations=[str(init.parent)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[ALIAS] = package
    spec.loader.exec_module(package)
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{ALIAS}."):
        modules.append(importlib.import_module(info.name))
    return modules


def _code_objects(code: types.CodeType):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _code_objects(const)


def _real_functions(modules: list[types.ModuleType]) -> dict[types.CodeType, list[Callable]]:
    """Functions reachable as module or class attributes, by their code object."""
    found: dict[types.CodeType, list[Callable]] = {}
    seen: set[int] = set()

    def add(obj: Any) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            add(obj.__func__)
        elif isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    add(f)
        elif isinstance(obj, types.FunctionType):
            found.setdefault(obj.__code__, []).append(obj)
            if hasattr(obj, "__wrapped__"):
                add(obj.__wrapped__)
        elif isinstance(obj, type):
            for value in vars(obj).values():
                add(value)

    for module in modules:
        for value in vars(module).values():
            if getattr(value, "__module__", None) == module.__name__ or isinstance(value, types.FunctionType):
                add(value)
    return found


def _guess(name: str, namespace: dict) -> Any:
    """A value for a nested function's free variable: the module's global, else the library it names."""
    if name in namespace:
        return namespace[name]
    aliases = {"np": "numpy", "F": "torch.nn.functional", "nn": "torch.nn"}
    try:
        return importlib.import_module(aliases.get(name, name))
    except Exception:
        return None


def candidates(bundle: Path) -> list[Candidate]:
    modules = load_bundle_package(bundle)
    real = _real_functions(modules)
    found: list[Candidate] = []
    classes: dict[int, Candidate] = {}
    for module in modules:
        path = Path(module.__file__)
        where = path.relative_to(bundle)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                classes.setdefault(id(value), Candidate(f"{where} class {value.__qualname__}", value))
        code = compile(path.read_text(encoding="utf-8"), module.__file__, "exec")
        for co in _code_objects(code):
            if co.co_name.startswith("<") and co.co_name != "<lambda>":
                continue  # comprehensions and the like: not callable on their own
            label = f"{where}:{co.co_firstlineno} {co.co_qualname}"
            objs = real.get(co)
            if objs:
                found += [Candidate(f"{label}" + (f" ({getattr(o, '__name__', '')})" if len(objs) > 1 else ""), o)
                          for o in objs]
                continue
            closure = tuple(types.CellType(_guess(n, vars(module))) for n in co.co_freevars)
            found.append(Candidate(label, types.FunctionType(co, vars(module), co.co_name, None, closure or None)))
    found += list(classes.values())
    found += notebook_candidates(bundle)
    return found


def notebook_candidates(bundle: Path) -> list[Candidate]:
    import nbformat

    found = []
    namespace = {"__builtins__": __builtins__}
    for path in sorted((bundle / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for index, cell in enumerate(nb.cells, start=1):
            if cell.cell_type != "code":
                continue
            try:
                code = compile(cell.source, f"{path.name} cell {index}", "exec")
            except SyntaxError:
                continue
            for co in _code_objects(code):
                if not co.co_name.startswith("<") or co.co_name == "<lambda>":
                    found.append(Candidate(f"notebooks/{path.name} cell {index} {co.co_qualname}",
                                           types.FunctionType(co, namespace, co.co_name)))
    return found


# --------------------------------------------------------------------------- what it is tried as
def targets(course: Any) -> list[Target]:
    found = []
    for _, module in course.manifest.modules:
        spec = importlib.util.spec_from_file_location(f"mined_reference_{module.name}",
                                                      ROOT / "reference" / f"{module.name}.py")
        reference = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(reference)
        for function in module.functions:
            hidden = tuple(c for c in module.checks if c.function == function and c.visibility == "hidden")
            obj = getattr(reference, function)
            if not hidden:
                continue
            if isinstance(obj, type):
                found.append(Target(module.name, function, True, 0, hidden))
                continue
            required = sum(1 for p in inspect.signature(obj).parameters.values()
                           if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
            found.append(Target(module.name, function, False, required, hidden))
    return found


def fits(candidate: Candidate, target: Target) -> bool:
    if isinstance(candidate.obj, type) or target.is_class:
        return isinstance(candidate.obj, type) and target.is_class
    try:
        inspect.signature(candidate.obj).bind(*([None] * target.required))
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- grading
class Grader:
    """The full grader with the reference loaded once; a candidate takes one function's place at a time."""

    def __init__(self, course: Any, staged_root: Path) -> None:
        from grader.runners.inprocess import InProcessRunner

        self.course, self.staged_root = course, staged_root
        self.runner = InProcessRunner(staged_root)
        for _, module in course.manifest.modules:
            reply = self.runner.load(module.name, module.import_timeout)
            assert reply.status == "ok", (module.name, reply.message)
        self.modules = self.runner._worker.modules

    def hidden_points(self, candidate: Candidate, target: Target) -> list[str]:
        """Ids of the target's hidden checks that pass with ``candidate`` in the function's place."""
        from grader.pipeline import PlannedModule, StagedSubmission, run_checks

        module = self.modules[target.module]
        original = getattr(module, target.function)
        setattr(module, target.function, candidate.obj)
        try:
            assignment, spec = self.course.manifest.module(target.module)
            staged = StagedSubmission(self.staged_root, self.staged_root, {target.module})
            results = run_checks(self.course, [PlannedModule(assignment, spec, target.hidden)], staged, self.runner,
                                 SEED)
        finally:
            setattr(module, target.function, original)
        return [r.id for r in results if r.status == "passed"]


# A uid per concurrent child, used by nothing else on the machine: what a mined function does with
# the rights it runs with (kill(-1) in grader/child/template.py's kill_uid, for one) reaches only that child.
CHILD_UID = 1_999_000_000
_REFUSED = ("kill", "killpg", "setuid", "setgid", "setresuid", "setresgid", "setgroups", "system", "execv",
            "execve", "execvp", "execvpe", "execl", "execlp", "posix_spawn", "posix_spawnp", "remove", "unlink",
            "rmdir", "removedirs", "rename", "replace", "chmod", "chown")


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError("not while mining the bundle")


def _confine(slot: int) -> None:
    """In the forked child, before any candidate runs: an unprivileged uid of its own (when run as root),
    and the OS calls that could reach other processes or files taken away (for when it is not)."""
    os.setpgid(0, 0)  # its own process group: whatever a mined function starts is ended with it
    if os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(CHILD_UID + slot, CHILD_UID + slot, CHILD_UID + slot)
        os.setresuid(CHILD_UID + slot, CHILD_UID + slot, CHILD_UID + slot)
    for name in _REFUSED:
        if hasattr(os, name):
            setattr(os, name, _refused)
    import shutil
    import subprocess

    shutil.rmtree = subprocess.Popen = _refused  # type: ignore[assignment]


def _start(grader: Grader, scratch: Path, candidate: Candidate, fitting: list[Target], slot: int) -> tuple[int, int]:
    """Fork a child that grades one candidate against its targets; (pid, read end of its answer pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    os.close(read)  # the child: never returns
    me = os.getpid()
    try:
        _confine(slot)
        os.chdir(scratch)
        passed = [f"{t.module}.{t.function}: {check_id}" for t in fitting for check_id in grader.hidden_points(candidate, t)]
        data = {"passed": passed}
    except BaseException as exc:  # noqa: BLE001 - a mined function may raise anything, even SystemExit
        data = {"passed": [], "problem": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        if os.getpid() == me:  # not a process some mined function forked, come back here
            with os.fdopen(write, "wb") as out:
                out.write(json.dumps(data).encode())
    finally:
        os._exit(0)


def _finish(pid: int, read: int, deadline: float) -> dict:
    try:
        return _answer(pid, read, deadline)
    finally:
        try:
            os.killpg(pid, 9)  # what the candidate left running (a forked child, a server loop)
        except (ProcessLookupError, PermissionError):
            pass


def _answer(pid: int, read: int, deadline: float) -> dict:
    chunks = []
    with os.fdopen(read, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                os.killpg(pid, 9)
                os.waitpid(pid, 0)
                return {"passed": [], "problem": f"no answer within {CANDIDATE_SECONDS} s"}
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    if not chunks:
        return {"passed": [], "problem": "the child ended without an answer (os._exit?)"}
    answer, _ = json.JSONDecoder().raw_decode(b"".join(chunks).decode())
    return answer


def _readable(folder: Path, writable: bool = False) -> None:
    """The forked children run as another uid: they read the reference copy and write in scratch."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if writable and path.is_dir() else (0o755 if path.is_dir() else 0o644))


def main(bundle: Path, out: Path, workers: int = 2) -> None:
    import shutil

    from grader.pipeline import load_course

    course = load_course(ROOT)
    found = candidates(bundle)
    wanted = targets(course)
    work = Path(tempfile.mkdtemp(prefix="dlgrade-mining-"))
    staged_root, scratch = work / "reference", work / "scratch"
    shutil.copytree(ROOT / "reference", staged_root)
    scratch.mkdir()
    for folder, writable in ((work, False), (staged_root, False), (scratch, True)):
        _readable(folder, writable)
    grader = Grader(course, staged_root)
    report: dict[str, Any] = {"candidates": len(found), "targets": len(wanted), "pairs": 0, "leaks": [],
                              "problems": [], "control": []}
    # Warm up with the reference itself, so that every import a passing run needs is done before the
    # children (another uid, no access to the interpreter's files perhaps) are forked.
    for target in wanted:
        reference = Candidate("reference", getattr(grader.modules[target.module], target.function))
        passed = grader.hidden_points(reference, target)
        if len(passed) != len(target.hidden):
            report["problems"].append(f"the reference passes {passed} of {target.module}.{target.function}'s hidden "
                                      "checks: the miner cannot tell a leak")
    started = time.monotonic()
    running: list[tuple[Candidate, int, int, float, int]] = []

    def collect(item: tuple[Candidate, int, int, float, int]) -> dict:
        candidate, pid, read, deadline, _ = item
        result = _finish(pid, read, deadline)
        report["leaks"] += [f"{candidate.label} as {p}" for p in result["passed"]]
        if result.get("problem"):
            report["problems"].append(f"{candidate.label}: {result['problem']}")
        return result

    # A positive control through the very same path (fork, other uid, refused calls): the reference sign.
    sign = next(t for t in wanted if (t.module, t.function) == ("perceptron", "sign"))
    control = Candidate("control", getattr(grader.modules["perceptron"], "sign"))
    pid, read = _start(grader, scratch, control, [sign], 0)
    report["control"] = _finish(pid, read, time.monotonic() + CANDIDATE_SECONDS)["passed"]
    try:
        for candidate in found:
            fitting = [t for t in wanted if fits(candidate, t)]
            if not fitting:
                continue
            report["pairs"] += len(fitting)
            if len(running) >= workers:
                collect(running.pop(0))
            slot = next(i for i in range(workers) if i not in {r[4] for r in running})
            pid, read = _start(grader, scratch, candidate, fitting, slot)
            running.append((candidate, pid, read, time.monotonic() + CANDIDATE_SECONDS, slot))
        while running:
            collect(running.pop(0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
