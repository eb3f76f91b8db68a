"""Each layer of the sandbox, seen from inside a child and from results.json; the template's hygiene;
the refusal where no sandbox is possible. tests/test_modes.py runs this file in every mode."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.runners import isolation
from grader.child import confine
from grader.pipeline import grade
from grader.runners.sandbox import SandboxRunner, shared_template
from helpers import ROOT, SEED, course

MODE = isolation.detect()

# One function per thing the seccomp filter must refuse: each returns the errno it got (0: allowed).
PROBE = r'''
import ctypes, errno, os, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
X86 = platform.machine() == "x86_64"
NR = {"ptrace": 101, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
      "perf_event_open": 298, "setns": 308, "personality": 135} if X86 else {}

def _errno(result):
    return 0 if result >= 0 else ctypes.get_errno()

def ptrace():
    return _errno(libc.syscall(NR["ptrace"], 0, 0, 0, 0))  # PTRACE_TRACEME

def keyctl():
    return _errno(libc.syscall(NR["keyctl"], 0, -4, 0))  # KEYCTL_GET_KEYRING_ID of @u

def add_key():
    return _errno(libc.syscall(NR["add_key"], b"user", b"probe", b"x", 1, -4))

def request_key():
    return _errno(libc.syscall(NR["request_key"], b"user", b"probe", None, -4))

def mount():
    return _errno(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None))

def umount():
    return _errno(libc.umount2(b"/tmp", 2))

def unshare():
    return _errno(libc.unshare(0x00020000))  # CLONE_NEWNS

def unshare_user():
    return _errno(libc.unshare(0x10000000))  # CLONE_NEWUSER: a fresh set of capabilities

def setns():
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    return _errno(libc.syscall(NR["setns"], fd, 0))

def bpf():
    return _errno(libc.syscall(NR["bpf"], 0, None, 0))

def perf_event_open():
    attr = ctypes.create_string_buffer(128)
    return _errno(libc.syscall(NR["perf_event_open"], attr, 0, -1, -1, 0))

def tiocsti():
    fd = os.open("/dev/null", os.O_RDWR)
    char = ctypes.c_char(b"x")
    return _errno(libc.ioctl(fd, 0x5412, ctypes.byref(char)))

def personality():
    return _errno(libc.syscall(NR["personality"], 0x0040000))  # ADDR_NO_RANDOMIZE

def shmget():
    return _errno(libc.shmget(0, 4096, 0o1000 | 0o600))

def msgget():
    return _errno(libc.msgget(0, 0o1000 | 0o600))

def mq_open():
    return _errno(libc.mq_open(b"/probe", os.O_CREAT | os.O_RDWR, 0o600, None))

def socket_unix():
    import socket
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
    except OSError as exc:
        return exc.errno
    return 0

def chroot():
    return _errno(libc.chroot(b"/tmp"))

def personality_query():  # reading the personality stays allowed
    return _errno(libc.syscall(NR["personality"], ctypes.c_ulong(0xFFFFFFFF)))

def computes():  # and numpy and torch still work
    import numpy as np, torch
    return float(np.linalg.norm(np.ones(4))) + float(torch.ones(4).sum())
'''
DENIED = ("ptrace", "keyctl", "add_key", "request_key", "mount", "umount", "unshare", "unshare_user", "setns",
          "bpf", "perf_event_open", "tiocsti", "personality", "shmget", "msgget", "mq_open", "socket_unix",
          "chroot")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.py").write_text(PROBE, encoding="utf-8")
    with SandboxRunner(folder, hidden=(ROOT,)) as runner:
        yield runner


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe's syscall numbers are x86_64's")
@pytest.mark.parametrize("call", DENIED)
def test_seccomp_refuses(call, probe):
    reply = probe.call("probe", call, [], {}, 30)
    assert reply.status == "ok", reply.message
    assert reply.value == errno.EPERM, (call, reply.value, os.strerror(reply.value or 0))


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe's syscall numbers are x86_64's")
def test_what_computing_needs_stays_allowed(probe):
    assert probe.call("probe", "personality_query", [], {}, 30).value == 0
    assert probe.call("probe", "computes", [], {}, 30).value == pytest.approx(6.0)


def test_the_filter_lists_what_the_issue_names():
    """personality and ioctl are filtered by argument (a query and other ioctls stay allowed): the
    probes above show those two refused."""
    for name in ("ptrace", "keyctl", "add_key", "request_key", "mount", "umount2", "unshare", "setns", "bpf",
                 "perf_event_open"):
        assert name in confine.SECCOMP_DENY


def test_results_json_shows_the_observed_layers(tmp_path):
    results = grade(course(), ROOT / "reference", seed=SEED, modules=["mlp"])
    sandbox = results.to_dict()["sandbox"]
    layers = sandbox["layers"]
    assert sandbox["mode"] == MODE.name and not sandbox["unsandboxed"]
    assert layers["no_capabilities"] and layers["no_new_privs"] and layers["seccomp"] and layers["sockets_denied"]
    assert layers["unprivileged_user"]
    assert sandbox["observed"]["capabilities"]["CapEff"] == "0000000000000000"
    if MODE.namespaces:
        assert all(layers[k] for k in ("pid_namespace", "network_namespace", "ipc_namespace", "filesystem_view"))
    if MODE.root and MODE.name != "unsandboxed":
        assert layers["dedicated_uid"] and sandbox["observed"]["uid"].startswith("a dedicated uid")
    if MODE.name in ("landlock", "dropped-uid"):
        assert layers["landlock"] == (MODE.landlock_abi > 0)
    assert sandbox["limits"] in ("cgroup v2", "cgroup v1", "rlimit")
    json.dumps(sandbox)  # plain data


def test_a_broken_promise_is_an_error_not_a_downgrade():
    observed = {"status": {"CapEff": ["0000000000000000"], "CapPrm": ["0"], "CapInh": ["0"], "CapAmb": ["0"],
                           "CapBnd": ["0"], "NoNewPrivs": ["0"], "Seccomp": ["0"], "Uid": ["0"]},
                "namespaces": isolation.judge_namespaces(), "uid_map": [["0", "0", "4294967295"]],
                "reachable": [str(ROOT)], "socket_denied": False}
    mode = isolation.Mode("namespaces", True, bwrap="bwrap")
    problems = " | ".join(isolation.verify(observed, mode, 1900000000, {}))
    for words in ("no_new_privs", "seccomp", "runs as root", "shares the judge's pid namespace",
                  f"can read {ROOT}", "sockets"):
        assert words in problems, (words, problems)


# --------------------------------------------------------------------------- the template
def test_the_template_forks_with_one_thread_and_never_held_student_code(tmp_path):
    """Fork safety: the template imported torch and torch._dynamo but runs one thread. And what one
    student's code imported or changed is absent from the next student's fork."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (first / "perceptron.py").write_text("SECRET = 42\n")
    (first / "mlp.py").write_text("import mailbox, numpy, torch, perceptron\nnumpy.dlgrade_left_behind = 1\n"
                                  "torch.dlgrade_left_behind = 1\ndef f():\n    return 1.0\n")
    (second / "mlp.py").write_text("import sys, numpy, torch\ndef f():\n    return ['mailbox' in sys.modules, "
                                   "hasattr(numpy, 'dlgrade_left_behind'), hasattr(torch, 'dlgrade_left_behind'), "
                                   "sorted(m for m in sys.modules if m in ('mlp', 'perceptron'))]\n")
    with SandboxRunner(first) as runner:
        assert runner.call("mlp", "f", [], {}, 30).value == 1.0
        template = runner.template
        assert template.hello["threads"] == 1
    with SandboxRunner(second) as runner:
        assert runner.template is template
        assert runner.call("mlp", "f", [], {}, 30).value == [False, False, False, ["mlp"]]


def test_a_timeout_costs_one_fork_and_the_template_stays(tmp_path):
    (tmp_path / "loop.py").write_text("def spin():\n    while True:\n        pass\ndef one():\n    return 1\n")
    with SandboxRunner(tmp_path) as runner:
        template = runner.template
        assert runner.call("loop", "spin", [], {}, 1.0).status == "timeout"
        assert runner.call("loop", "one", [], {}, 30).value == 1
        assert runner.children_started == 2 and runner.template is template and template.alive()


def test_a_dead_template_is_replaced(tmp_path):
    (tmp_path / "demo.py").write_text("def one():\n    return 1\n")
    template = shared_template(MODE, SandboxRunner.__init__.__defaults__[0], (ROOT,))
    template.proc.kill()
    template.proc.wait()
    with SandboxRunner(tmp_path, hidden=(ROOT,)) as runner:
        assert runner.call("demo", "one", [], {}, 60).value == 1
        assert runner.template is not template


# --------------------------------------------------------------------------- refusal
def test_no_sandbox_means_a_refusal_that_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(confine, "landlock_abi", lambda: 0)
    isolation._detect.cache_clear()
    try:
        with pytest.raises(isolation.SandboxUnavailable) as refused:
            isolation._detect(False, True, False)  # a normal user, namespaces refused, no Landlock
    finally:
        isolation._detect.cache_clear()
    message = str(refused.value)
    for words in ("no sandbox is possible", "namespaces: switched off", "landlock: not in this kernel",
                  "unprivileged user namespaces", "run dlgrade as root", "--unsandboxed"):
        assert words in message, (words, message)


def test_the_command_refuses_and_writes_nothing(tmp_path):
    """As the CLI sees it, for a normal user with neither namespaces nor Landlock: exit status 2,
    the reason on stderr, no report. (A root CI machine plays that user through tests/modes.py.)"""
    env = {**os.environ, "DLGRADE_NO_NAMESPACES": "1", "DLGRADE_NO_LANDLOCK": "1"}
    out = Path(tempfile.mkdtemp(prefix="dlgrade-refusal-"))
    out.chmod(0o777)
    command = [sys.executable, "-m", "grader.cli", "grade", str(ROOT / "reference"), "--out", str(out / "out"),
               "--assignment", "hw1"]
    if os.geteuid() == 0 and not MODE.namespaces:
        pytest.skip("a root judge without namespaces drops to a uid instead; the root run covers this test")
    if os.geteuid() == 0:
        command = [sys.executable, str(Path(__file__).parent / "modes.py"), "user", "--", *command]
    try:
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        written = (out / "out").exists()
        shutil.rmtree(out, ignore_errors=True)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no sandbox is possible" in run.stderr and "--unsandboxed" in run.stderr
    assert not written


def test_unsandboxed_says_so_in_every_report(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(ROOT / "reference"), "--out",
                          str(tmp_path), "--assignment", "hw1", "--unsandboxed", "--format", "gradescope",
                          "--format", "junit", "--format", "markdown"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "--unsandboxed" in run.stdout  # the warning, in the course's language
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data["sandbox"]["unsandboxed"] and data["sandbox"]["mode"] == "unsandboxed"
    for name in ("report.md", "report.html", "summary.md", "junit.xml", "gradescope_results.json"):
        assert "--unsandboxed" in (tmp_path / name).read_text(encoding="utf-8"), name


def test_templates_are_in_memory_before_any_student_code():
    from grader import report

    names = {p.name for p in Path(report.TEMPLATES).glob("*.j2")}
    env = report.environment()
    assert not env.auto_reload and set(env.loader.list_templates()) == names
