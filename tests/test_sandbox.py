"""The child process: plain data only, timeouts kill and restart, crashes and prints are contained."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.child import wire
from grader.runners.sandbox import SandboxRunner

STUDENT = '''
import numpy as np

def double(x):
    print("doubling", x.shape)
    return x * 2

def forever():
    while True:
        pass

def divide():
    return helper()

def helper():
    return 1 / 0

def todo():
    raise NotImplementedError("hw0 demo.todo")

def mutate(x):
    x[0] = 99.0
    return x.sum()

def leave():
    import os
    os._exit(3)

def lying_array():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros(3).view(Liar)

def an_object():
    class Thing:
        def __repr__(self):
            return "<thing>"
    return Thing()

def flood():
    print("\\x1b[31m" + "x" * 100000)
    return 1.0
'''


@pytest.fixture
def runner(tmp_path):
    (tmp_path / "demo.py").write_text(STUDENT)
    with SandboxRunner(tmp_path) as r:
        assert r.load("demo", 30).status == "ok"
        yield r


def test_values_and_prints_come_back_as_plain_data(runner):
    reply = runner.call("demo", "double", [np.arange(3.0)], {}, 10)
    assert reply.status == "ok"
    assert type(reply.value) is np.ndarray and reply.value.tolist() == [0.0, 2.0, 4.0]
    assert "doubling (3,)" in reply.output


def test_timeout_kills_the_child_and_a_new_one_serves_the_next_call(runner):
    started = time.perf_counter()
    reply = runner.call("demo", "forever", [], {}, 1.0)
    assert reply.status == "timeout"
    assert time.perf_counter() - started < 3
    assert runner.call("demo", "double", [np.ones(2)], {}, 10).status == "ok"
    assert runner.children_started == 2


def test_exception_carries_only_student_frames(runner):
    reply = runner.call("demo", "divide", [], {}, 10)
    assert reply.status == "raised" and reply.exc_type == "ZeroDivisionError"
    assert [f["function"] for f in reply.traceback] == ["divide", "helper"]
    assert all(f["file"] == "demo.py" for f in reply.traceback)


def test_not_implemented_is_flagged(runner):
    reply = runner.call("demo", "todo", [], {}, 10)
    assert reply.status == "raised" and reply.not_implemented


def test_echoed_arguments_reveal_mutation(runner):
    reply = runner.call("demo", "mutate", [np.zeros(3)], {}, 10, echo_args=True)
    assert reply.args_after[0][0] == 99.0


def test_os_exit_is_a_crash_not_a_hang(runner):
    reply = runner.call("demo", "leave", [], {}, 10)
    assert reply.status == "crashed" and "status 3" in reply.message
    assert runner.call("demo", "double", [np.ones(1)], {}, 10).status == "ok"


def test_subclasses_and_objects_do_not_cross_as_themselves(runner):
    liar = runner.call("demo", "lying_array", [], {}, 10).value
    assert isinstance(liar, wire.ArraySubclass) and liar.type_name == "Liar"
    thing = runner.call("demo", "an_object", [], {}, 10).value
    assert isinstance(thing, wire.Opaque) and thing.text == "<thing>"


def test_output_is_capped_and_stripped_of_control_characters(runner):
    reply = runner.call("demo", "flood", [], {}, 10)
    assert reply.status == "ok" and len(reply.output) < 5000
    assert "\x1b" not in reply.output and "[output truncated]" in reply.output


def test_child_environment_is_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    (tmp_path / "envy.py").write_text("import os\ndef env():\n    return dict(os.environ)\n"
                                      "def cwd():\n    return os.getcwd()\n")
    with SandboxRunner(tmp_path) as r:
        env = r.call("envy", "env", [], {}, 10).value
        cwd = r.call("envy", "cwd", [], {}, 10).value
    assert "SECRET_TOKEN" not in env and env["OMP_NUM_THREADS"] == "1"
    assert cwd != os.getcwd() and "dlgrade" in cwd and "work" in cwd  # its private working folder


def test_wire_rejects_object_dtypes():
    frame = wire.dumps({"value": np.array([1, "a"], dtype=object)})
    head, payload = frame[8:8 + int.from_bytes(frame[:4], "big")], frame[8 + int.from_bytes(frame[:4], "big"):]
    decoded = wire.loads(head, payload)
    assert isinstance(decoded["value"], wire.Opaque)


def test_wire_round_trips_nested_values():
    value = {"a": (np.float32(1.5), [1, 2.5, float("nan")]), "b": np.arange(6, dtype=np.int32).reshape(2, 3)}
    frame = wire.dumps(value)
    hlen = int.from_bytes(frame[:4], "big")
    back = wire.loads(frame[8:8 + hlen], frame[8 + hlen:])
    assert back["a"][0] == np.float32(1.5) and back["a"][0].dtype == np.float32
    assert np.isnan(back["a"][1][2]) and isinstance(back["a"], tuple)
    assert back["b"].dtype == np.int32 and back["b"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_sandbox_works_from_a_virtual_environment(tmp_path, request):
    """Students install into a venv (often under /tmp): the child must still find its Python."""
    import subprocess
    import sys

    import shutil
    import tempfile

    # World-readable, as a venv must be for a child that runs as a dedicated uid without namespaces.
    home = Path(tempfile.mkdtemp(prefix="dlgrade-venv-"))
    home.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "demo.py").write_text("def one():\n    return 1.0\n")
    script = ("import sys; from pathlib import Path; from grader.runners.sandbox import SandboxRunner\n"
              f"r = SandboxRunner(Path({str(tmp_path / 'sub')!r}))\n"
              "print(r.load('demo', 30).status, r.call('demo', 'one', [], {}, 30).value); r.close()")
    run = subprocess.run([str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.split() == ["ok", "1.0"], run.stdout + run.stderr
