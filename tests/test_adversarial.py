"""The adversarial suite: hostile submissions (tests/attacks/) graded through the real sandbox.

For every attack: it gains nothing on what it attacks, the judge finishes (and reports no
internal error: an attack is the student's failure), no process it started survives, no file it
wrote outside the grading folders remains, and the reports show its text escaped.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from grader import pipeline
from grader.runners.inprocess import InProcessRunner
from grader.runners.isolation import detect
from grader.manifest import load_manifest
from grader.pipeline import Course, grade
from grader.report import terminal_summary, write_reports
from grader.results import Results
from grader.runners.base import Limits
from grader.runners.sandbox import OUTPUT_CAP, SandboxRunner
from helpers import ROOT, SEED, course

ATTACKS = Path(__file__).parent / "attacks"
MLP = ("two_layer_forward", "xor_params", "mlp_forward", "collapse_linear")
CHECK_TIMEOUT = 2      # seconds per check in the course copy the attacks are graded against
IMPORT_TIMEOUT = 30    # torch imports slowly on a busy machine
GRADE_BUDGET = 60      # a judge still busy after this long counts as hung
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
JUDGE_PATH = re.compile(r"site-packages|/grader/|dlgrade_child|/dlgrade/runtime")
# Lines of the checks' source: none may appear in what a student reads (hidden checks' code).
CHECK_LINES = {line.strip() for p in (ROOT / "grader" / "checks").glob("*.py")
               for line in p.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 30}
# Every mode gives the same guarantees (docs/sandbox.md), so every attack runs in every mode;
# tests/test_modes.py runs this file again in the modes this machine can produce.
MODE = detect()


# --------------------------------------------------------------------------- courses
def course_copy(folder: Path, check_timeout: float, import_timeout: float) -> Course:
    """The course with short timeouts. Its root stays the real one: that is what the child must not see."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "assignments.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(timeout: )\d+(\})", rf"\g<1>{check_timeout}\g<2>", text)
    text = re.sub(r"(import_timeout: )\d+", rf"\g<1>{import_timeout}", text)
    (folder / "assignments.yaml").write_text(text, encoding="utf-8")
    return Course(ROOT, load_manifest(folder / "assignments.yaml"), course().checks)


@pytest.fixture(scope="module")
def fast_course(tmp_path_factory) -> Course:
    return course_copy(tmp_path_factory.mktemp("fast-course"), CHECK_TIMEOUT, IMPORT_TIMEOUT)


@pytest.fixture(scope="module")
def patient_course(tmp_path_factory) -> Course:
    """For the attack that must meet the CPU limit before the wall clock."""
    return course_copy(tmp_path_factory.mktemp("patient-course"), 20, IMPORT_TIMEOUT)


@pytest.fixture(scope="module")
def impatient_course(tmp_path_factory) -> Course:
    """For the attack that never finishes importing."""
    return course_copy(tmp_path_factory.mktemp("impatient-course"), CHECK_TIMEOUT, 2)


# --------------------------------------------------------------------------- grading one attack
@dataclass
class Graded:
    results: Results
    elapsed: float
    marker: str
    runners: list[SandboxRunner]
    out: Path
    out_existed: bool = False

    def checks(self, functions=None):
        return [c for c in self.results.checks if functions is None or c.function in functions]

    def statuses(self, functions=None) -> set[str]:
        return {c.status for c in self.checks(functions)}

    def text(self) -> str:
        """Everything the submission could get into the results."""
        return "\n".join(f"{c.message}\n{c.output}" for c in self.results.checks)


def materialize(name: str, dest: Path, fill: dict[str, str], module: str = "mlp") -> Path:
    """Copy an attack into a submission folder, with its placeholders filled in."""
    source = ATTACKS / name
    if source.is_dir():
        shutil.copytree(source, dest)
        for path in list(dest.rglob("*.attack")):
            path.rename(path.with_suffix(""))
    else:
        dest.mkdir(parents=True)
        shutil.copyfile(source.with_suffix(".py"), dest / f"{module}.py")
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix in (".py", ".pth"):
            text = path.read_text(encoding="utf-8")
            for key, value in fill.items():
                text = text.replace(key, value)
            path.write_text(text, encoding="utf-8")
    return dest


def run_attack(name: str, tmp_path: Path, monkeypatch, graded_course: Course, *,
               modules: tuple[str, ...] = ("mlp",), limits: Limits | None = None,
               fill: dict[str, str] | None = None, prepare: Callable[[Path], None] | None = None,
               seed: int = SEED) -> Graded:
    marker = f"dlgrade-attack-{uuid.uuid4().hex[:12]}"
    out = tmp_path / "out"
    sub = materialize(name, tmp_path / "sub", {"__MARKER__": marker, "__ROOT__": str(ROOT),
                                               "__OUT__": str(out), **(fill or {})})
    if prepare:
        prepare(sub)
    runners: list[SandboxRunner] = []

    class Recording(SandboxRunner):
        """The default runner, remembered so that the test can look for what it left behind."""

        def __init__(self, *args, **kwargs):
            if limits is not None:
                kwargs["limits"] = limits
            super().__init__(*args, **kwargs)
            runners.append(self)

    monkeypatch.setattr(pipeline, "SandboxRunner", Recording)
    box: dict = {}

    def work():
        try:
            box["results"] = grade(graded_course, sub, seed=seed, modules=list(modules))
        except BaseException as exc:  # reported below: the judge itself must never fail
            box["error"] = exc

    started = time.perf_counter()
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(GRADE_BUDGET)
    elapsed = time.perf_counter() - started
    assert not worker.is_alive(), f"the judge did not finish grading {name} within {GRADE_BUDGET} s"
    assert "error" not in box, f"the judge crashed on {name}: {box.get('error')!r}"
    graded = Graded(box["results"], elapsed, marker, runners, out, out_existed=out.exists())
    write_reports(graded.results, out)
    return graded


# --------------------------------------------------------------------------- what every attack must not achieve
def leftover_processes(needles: list[str]) -> list[str]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmdline for n in needles):
            found.append(f"{entry.name}: {cmdline[:160]}")
    return found


def assert_contained(g: Graded, attacked: tuple[str, ...] = MLP, exempt: tuple[str, ...] = ()) -> None:
    mine = g.checks(attacked)
    assert mine, "no check of the attacked functions ran"
    gained = {c.id: c.status for c in mine if (c.status == "passed" or c.score) and c.id not in exempt}
    assert not gained, f"the attack gained points: {gained}"
    internal = {c.id: c.message[:300] for c in g.results.checks if c.status == "internal_error"}
    assert not internal, f"the attack caused internal errors (the judge's fault): {internal}"

    # No process survives: neither one named after the marker nor any copy of the child.
    needles = [g.marker] + [r.token for r in g.runners]
    deadline = time.time() + 5  # processes killed a moment ago may still be on their way out
    while (left := leftover_processes(needles)) and time.time() < deadline:
        time.sleep(0.1)
    assert not left, f"processes left behind: {left}"

    # No file outside the grading folders remains.
    for r in g.runners:
        assert not r.staged.exists(), f"the runner's folder {r.staged} was not removed"
    strays = []
    for folder in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"), ROOT,
                   ROOT / "exercises", Path.home(), Path.cwd()):
        if folder.is_dir():
            strays += [str(p) for p in folder.glob(f"*{g.marker}*")]
    assert not strays, f"stray files: {strays}"
    assert not g.out_existed, "something wrote into the report folder during grading"

    # Nothing hidden reaches the student: no path of the judge, no line of a check's source.
    for c in g.results.checks:
        for text in (c.message, getattr(c, "message_zh", ""), c.output):
            assert str(ROOT) not in text and not JUDGE_PATH.search(text), (c.id, text[:400])
            assert not [line for line in text.splitlines() if line.strip() in CHECK_LINES], (c.id, text[:400])

    # Reports: nothing from the submission is live HTML or a terminal escape.
    html = (g.out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    data = json.loads((g.out / "results.json").read_text(encoding="utf-8"))
    for c in data["checks"]:
        assert not CONTROL.search(c["output"] + c["message"]), f"control characters in {c['id']}"
        assert len(c["output"]) <= OUTPUT_CAP + 100
    assert not CONTROL.search(" ".join(data["staging"].get("dropped", [])))
    assert not CONTROL.search(terminal_summary(g.results))


# --------------------------------------------------------------------------- the attacks
@dataclass(frozen=True)
class Attack:
    name: str
    attacked: tuple[str, ...] = MLP
    modules: tuple[str, ...] = ("mlp",)
    statuses: frozenset[str] = frozenset({"failed", "error"})  # allowed on the attacked checks
    check: Callable[[Graded], None] | None = None
    limits: Limits | None = None
    course: str = "fast"


def only(status: str) -> Callable[[Graded], None]:
    def check(g: Graded) -> None:
        assert g.statuses() == {status}, g.statuses()
    return check


def messages_say(function: str, *words: str) -> Callable[[Graded], None]:
    def check(g: Graded) -> None:
        for c in g.checks([function]):
            assert any(w in c.message for w in words), (c.id, c.message[:400])
    return check


def all_of(*checks: Callable[[Graded], None]) -> Callable[[Graded], None]:
    def check(g: Graded) -> None:
        for one in checks:
            one(g)
    return check


def loop_is_cut_short(g: Graded) -> None:
    looping = g.checks(["two_layer_forward"])
    assert {c.status for c in looping} == {"timeout"}
    assert g.elapsed < len(looping) * CHECK_TIMEOUT + 15, g.elapsed


def import_loop_is_cut_short(g: Graded) -> None:
    assert g.statuses() == {"timeout"} and g.elapsed < 15, (g.statuses(), g.elapsed)


def memory_is_refused(g: Graded) -> None:
    assert g.statuses() == {"error"}
    assert all("MemoryError" in c.message for c in g.checks(["two_layer_forward", "xor_params", "mlp_forward"]))


def cpu_and_files_are_capped(g: Graded) -> None:
    lecture = next(c for c in g.results.checks if c.id == "hw1.mlp.two_layer_forward.lecture_xor")
    # Killed after 2 s of CPU, long before the check's 20 s on the wall clock (that would be a timeout).
    assert lecture.status == "error" and "killed by SIGKILL" in lecture.message, lecture.message
    opened = [int(n) for n in re.findall(r"opened (\d+) files", g.text())]
    assert opened and max(opened) < 256, opened  # RLIMIT_NOFILE


def forks_are_capped(g: Graded) -> None:
    forked = [int(n) for n in re.findall(r"forked (\d+)", g.text())]
    assert forked and max(forked) < 32, forked  # RLIMIT_NPROC (24 here) stopped the loop of 200


def disk_is_capped(g: Graded) -> None:
    # RLIMIT_FSIZE stops the 100 MB file; without namespaces the working folder is not writable at all.
    assert all(("File too large" if MODE.namespaces else "Permission denied") in c.message
               for c in g.checks(["two_layer_forward"])), [c.message for c in g.checks(["two_layer_forward"])]
    totals = [int(n) for n in re.findall(r"wrote (\d+) MB in total", g.text())]
    assert totals and max(totals) <= 256, totals  # the working folder is a 256 MB tmpfs


def output_is_capped(g: Graded) -> None:
    flooded = g.checks(["two_layer_forward", "xor_params", "mlp_forward"])
    assert all("[output truncated]" in c.output for c in flooded)
    assert all(not CONTROL.search(c.message.replace("\n", "")) for c in flooded)


def judge_not_held_by_prints(g: Graded) -> None:
    assert g.elapsed < 20, g.elapsed


def mutation_is_caught(g: Graded) -> None:
    for check_id in ("hw1.mlp.two_layer_forward.random", "hw1.mlp.mlp_forward.each_activation",
                     "hw1.mlp.collapse_linear.equals_identity_network"):
        c = next(c for c in g.results.checks if c.id == check_id)
        assert c.status == "failed" and "in place" in c.message, (check_id, c.message[:300])


def torch_is_refused(g: Graded) -> None:
    for function in MLP:
        assert any("uses torch" in c.message for c in g.checks([function])), function


def crashes_are_reported(g: Graded) -> None:
    for function in ("two_layer_forward", "mlp_forward"):
        assert all("killed by SIGSEGV" in c.message for c in g.checks([function])), function


def nothing_leaked(*words: str) -> Callable[[Graded], None]:
    def check(g: Graded) -> None:
        for word in words:
            assert word not in g.text(), word
    return check


def hostile_files_dropped(g: Graded) -> None:
    dropped = " ".join(g.results.staging["dropped"])
    for name in ("conftest.py", "sitecustomize.py", "usercustomize.py", "numpy.py", "torch.py", "numpy",
                 "grader", "mlp.pth", "helper_answers.py", "activations.py", "perceptron.py", "<img"):
        assert name in dropped, name
    assert g.results.staging["modules"] == ["mlp"]
    assert g.statuses(["sigmoid", "relu", "sign", "logic_gate"]) == {"not_attempted"}


def plant_hostile_names(sub: Path) -> None:
    """Entries git should not hold: links out of the submission, a folder named like a module,
    file names made of HTML and escape sequences."""
    (sub / "activations.py").symlink_to(ROOT / "reference" / "activations.py")
    (sub / "losses.py").symlink_to("/etc/passwd")
    (sub / "perceptron.py").mkdir()
    (sub / "perceptron.py" / "__init__.py").write_text("raise SystemExit\n")
    (sub / "<img src=x onerror=alert(1)>.py").write_text("x = 1\n")
    (sub / "\x1b[2J\x1b]0;pwned\x07.py").write_text("x = 1\n")


ALL = [
    Attack("patch_numpy_comparisons"),
    Attack("patch_builtins_math_torch"),
    Attack("lying_ndarray_subclass"),
    Attack("lying_objects"),
    Attack("nan_and_inf"),
    Attack("empty_and_broadcast_shapes"),
    Attack("read_reference_from_disk", check=nothing_leaked("found a reference")),
    Attack("read_hidden_checks", check=nothing_leaked("LEAKED", "@check(")),
    Attack("unmount_the_view"),
    Attack("stack_and_gc_snooping"),
    Attack("fake_results_output"),
    Attack("exit_at_import", check=only("error")),
    Attack("os_exit_at_import", check=only("error")),
    Attack("base_exceptions_in_calls", check=all_of(only("error"), messages_say(
        "mlp_forward", "KeyboardInterrupt", "SkipTest", "GeneratorExit", "Passed"))),
    Attack("atexit_and_daemon_threads"),
    Attack("ignore_signals_and_loop", statuses=frozenset({"failed", "error", "timeout"}), check=loop_is_cut_short),
    Attack("import_time_loop", statuses=frozenset({"timeout"}), check=import_loop_is_cut_short,
           course="impatient"),
    Attack("memory_bomb", check=memory_is_refused),
    Attack("exhaust_cpu_and_files", check=cpu_and_files_are_capped, limits=Limits(cpu_s=2), course="patient"),
    # Limits are per child (a cgroup, a user namespace or a dedicated uid): 24 here, to see them hold.
    Attack("fork_bomb", check=forks_are_capped, limits=Limits(processes=24)),
    Attack("disk_fill", check=disk_is_capped),
    Attack("output_flood_and_escapes", check=output_is_capped),
    Attack("printing_thread", check=judge_not_held_by_prints),
    Attack("mutate_inputs", check=mutation_is_caught),
    Attack("hostile_files", modules=("mlp", "activations", "perceptron"),
           check=hostile_files_dropped),
    Attack("random_answers"),
    Attack("forbidden_torch", check=torch_is_refused),
    Attack("forged_wire_answers", check=only("error")),
    Attack("native_crash", check=crashes_are_reported),
]


@pytest.mark.parametrize("attack", ALL, ids=[a.name for a in ALL])
def test_attack_gains_nothing(attack: Attack, tmp_path, monkeypatch, fast_course, impatient_course,
                              patient_course):
    graded_course = {"fast": fast_course, "impatient": impatient_course, "patient": patient_course}[attack.course]
    prepare = plant_hostile_names if attack.name == "hostile_files" else None
    g = run_attack(attack.name, tmp_path, monkeypatch, graded_course, modules=attack.modules,
                   limits=attack.limits, prepare=prepare)
    assert_contained(g, attack.attacked)
    assert g.statuses(attack.attacked) <= attack.statuses, g.statuses(attack.attacked)
    if attack.check:
        attack.check(g)
    if attack.name in ("fake_results_output", "atexit_and_daemon_threads"):
        time.sleep(0.5)  # a surviving writer would strike now
        assert json.loads((g.out / "results.json").read_text())["score"] == 0


def test_phoning_home_reaches_nobody(tmp_path, monkeypatch, fast_course):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("0.0.0.0", 0))
    server.listen(8)
    server.settimeout(0.2)
    calls: list[bytes] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                calls.append(conn.recv(100))

    threading.Thread(target=serve, daemon=True).start()
    try:
        g = run_attack("network_escape", tmp_path, monkeypatch, fast_course,
                       fill={"__PORT__": str(server.getsockname()[1])})
    finally:
        stop.set()
        time.sleep(0.3)
        server.close()
    assert_contained(g)
    assert not calls, calls


def test_secrets_and_ci_files_stay_out_of_reach(tmp_path, monkeypatch, fast_course):
    secret = f"ghp_{uuid.uuid4().hex}"
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    for name, value in (("GITHUB_TOKEN", secret), ("AWS_SECRET_ACCESS_KEY", secret), ("CI", "true"),
                        ("GITHUB_ENV", str(github_env)), ("GITHUB_OUTPUT", str(github_env))):
        monkeypatch.setenv(name, value)
    g = run_attack("steal_environment", tmp_path, monkeypatch, fast_course)
    assert_contained(g)
    assert secret not in g.text() and "GITHUB_ENV" not in g.text()
    assert github_env.read_text() == ""


def test_killing_everything_in_reach_stops_only_the_child(tmp_path, monkeypatch, fast_course):
    g = run_attack("kill_the_judge", tmp_path, monkeypatch, fast_course)
    assert_contained(g)


def test_inputs_memorised_from_another_run_gain_nothing_on_hidden_checks(tmp_path, monkeypatch, fast_course):
    """Inputs a student saw (printed into an earlier report) are useless: the next run draws new ones."""
    table = memorise_two_layer_forward(seed=SEED)
    fill = {"__TABLE__": repr(table)}
    hidden = ["hw1.mlp.two_layer_forward.random", "hw1.mlp.two_layer_forward.float32"]
    same = run_attack("memorized_inputs", tmp_path / "same", monkeypatch, fast_course, fill=fill, seed=SEED)
    assert {c.id: c.status for c in same.results.checks if c.id in hidden} == dict.fromkeys(hidden, "passed")
    fresh = run_attack("memorized_inputs", tmp_path / "fresh", monkeypatch, fast_course, fill=fill, seed=SEED + 1)
    # The lecture's example is visible by design: knowing its answer is fair.
    assert_contained(fresh, exempt=("hw1.mlp.two_layer_forward.lecture_xor",))


def memorise_two_layer_forward(seed: int) -> dict[str, list[float]]:
    """What a student could collect from one run: every input of two_layer_forward with its answer."""
    table: dict[str, list[float]] = {}

    class Recording(InProcessRunner):
        def call(self, module, function, args, kwargs, timeout, echo_args=False, forbid=()):
            reply = super().call(module, function, args, kwargs, timeout, echo_args, forbid)
            if function == "two_layer_forward" and reply.status == "ok":
                table[memo_key(*args)] = np.asarray(reply.value, dtype=np.float64).tolist()
            return reply

    grade(course(), ROOT / "reference", seed=seed, runner_factory=Recording, modules=["mlp"])
    assert table
    return table


def memo_key(*arrays) -> str:
    """The same key as tests/attacks/memorized_inputs.py computes."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        digest.update(str((a.dtype.str, a.shape)).encode() + np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def test_a_child_that_stops_reading_cannot_block_the_judge(tmp_path):
    """A large request to a child that shrank its pipe and stopped reading: the judge's write
    times out like any other wait instead of blocking."""
    shutil.copyfile(ATTACKS / "stop_reading_requests.py", tmp_path / "jam.py")
    box = {}

    def work():
        with SandboxRunner(tmp_path) as runner:
            assert runner.load("jam", 30).status == "ok"
            started = time.perf_counter()
            box["reply"] = runner.call("jam", "size", [np.zeros(1 << 18)], {}, 2.0)
            box["elapsed"] = time.perf_counter() - started

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the judge blocked writing to a child that stopped reading"
    assert box["reply"].status == "timeout" and box["elapsed"] < 5, box


def test_the_childs_root_holds_only_the_system_python_and_its_run_folder(monkeypatch):
    """The view is an allowlist: no copy of the course anywhere on the machine is in it (the
    instructor's working copy, a clone elsewhere, its git history), even with a venv inside it."""
    from grader.runners import isolation
    from grader.pipeline import hidden_paths

    mode = isolation.Mode("namespaces", True, bwrap="bwrap")
    run = Path("/tmp/dlgrade-run-x")

    def bound(prefix: str) -> tuple[set[str], list[str]]:
        monkeypatch.setattr(sys, "prefix", prefix)
        args = isolation.template_command(mode, ["python"], run / "runtime", run / "inbox",
                                          list(hidden_paths(course())), [])
        binds = {args[i + 1] for i, a in enumerate(args) if a in ("--bind", "--ro-bind")}
        tmpfs = [args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"]
        return binds, tmpfs

    homes = {str(Path(sys.base_prefix).resolve())}
    allowed = set(isolation.SYSTEM_DIRS) | homes | {str(run / "runtime"), str(run / "inbox"), "/dev/null"}
    assert bound(sys.prefix)[0] <= allowed | {str(Path(sys.prefix).resolve())}
    venv_in_course = ROOT / "reference"  # as if a venv lived inside the course folder
    binds, tmpfs = bound(str(venv_in_course))
    assert str(ROOT) not in binds and str(venv_in_course) in binds
