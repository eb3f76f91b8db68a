"""Attacks on the sandbox itself (issue: a sandbox that holds wherever the course is graded).

Each was written first as an attack on the old unshare + chroot sandbox and seen to succeed there
(or, for the channels between students, on a sandbox without IPC namespaces and seccomp); each
must now gain 0, change no file outside its run folder and leave no process or IPC object behind,
in every mode: tests/test_modes.py runs this file again as a normal user and without namespaces.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
from pathlib import Path

import pytest

from grader.runners.isolation import detect
from helpers import ROOT, SEED, course
from test_adversarial import MLP, Graded, assert_contained, run_attack

MODE = detect()


def _digests(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def _judge_files() -> list[Path]:
    import grader

    package = Path(grader.__file__).parent
    return [ROOT / "assignments.yaml", *sorted((ROOT / "grader" / "templates").glob("*.j2")),
            *sorted((ROOT / "grader" / "checks").glob("*.py")), *sorted((package / "templates").glob("*.j2"))]


def test_the_mode_is_the_one_this_machine_should_give():
    expected = os.environ.get("DLGRADE_EXPECT_MODE")
    if expected is None and os.geteuid() == 0:
        expected = "namespaces"
    if expected is None:
        pytest.skip("set by tests/modes.py")
    assert MODE.name == expected, MODE


def test_the_classic_chroot_escape_reaches_nothing(tmp_path, monkeypatch, fast_course):
    g = run_attack("chroot_escape", tmp_path, monkeypatch, fast_course)
    assert_contained(g)
    assert "escaped" not in g.text()


def test_the_judge_is_not_reachable_through_proc(tmp_path, monkeypatch, fast_course):
    before = _digests(_judge_files())
    g = run_attack("judge_through_proc", tmp_path, monkeypatch, fast_course)
    assert_contained(g)
    assert "read the reference" not in g.text() and "wrote the judge's template" not in g.text()
    assert _digests(_judge_files()) == before


def test_the_judges_files_cannot_be_patched(tmp_path, monkeypatch, fast_course):
    before = _digests(_judge_files())
    g = run_attack("patch_judge_files", tmp_path, monkeypatch, fast_course)
    assert_contained(g)
    assert "patched" not in g.text(), g.text()[:500]
    assert _digests(_judge_files()) == before
    report = (g.out / "report.md").read_text(encoding="utf-8")
    assert g.marker not in report and g.results.score == 0


def test_a_setsid_daemon_does_not_outlive_the_grade(tmp_path, monkeypatch, fast_course):
    import time

    g = run_attack("setsid_daemon", tmp_path, monkeypatch, fast_course)
    assert_contained(g)  # no process named after the marker is left
    time.sleep(0.5)  # a surviving daemon would write now
    assert json.loads((g.out / "results.json").read_text(encoding="utf-8"))["score"] == 0


def test_signals_never_reach_the_judge(tmp_path, monkeypatch, fast_course):
    g = run_attack("signal_the_judge", tmp_path, monkeypatch, fast_course)
    assert_contained(g)  # and this test process, the judge, is still here to say so


# --------------------------------------------------------------------------- between students
def _host_ipc(key: int) -> list[str]:
    """System V objects with this key, as the host sees them (the judge's IPC namespace)."""
    found = []
    for kind in ("shm", "msg", "sem"):
        try:
            rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        found += [f"{kind}: {r.split()[:2]}" for r in rows if r.split() and int(r.split()[0]) == key]
    return found


def _no_ipc_left(marker: str) -> None:
    key = int.from_bytes(marker.encode()[-4:], "little") & 0x7FFFFFFF
    assert not _host_ipc(key), _host_ipc(key)
    if Path("/dev/mqueue").is_dir():
        assert not list(Path("/dev/mqueue").glob(f"*{marker}*"))
    assert not [p for p in Path("/proc/net/unix").read_text().splitlines() if marker in p]


def _pair(tmp_path, monkeypatch, fast_course, together: bool) -> tuple[Graded, Graded]:
    """The writer and the reader, one after the other or at the same time, with one seed."""
    marker = f"dlgrade-attack-{uuid.uuid4().hex[:12]}"
    fill = {"__MARKER__": marker}
    box: dict[str, Graded] = {}

    def grade(name: str) -> None:
        box[name] = run_attack(name, tmp_path / name, monkeypatch, fast_course, fill=fill, seed=SEED)

    if together:
        writer = threading.Thread(target=grade, args=("ipc_cache_writer",))
        writer.start()
        import time

        time.sleep(1.0)  # the writer's child has started publishing
        grade("ipc_cache_reader")
        writer.join(120)
    else:
        grade("ipc_cache_writer")
        grade("ipc_cache_reader")
    return box["ipc_cache_writer"], box["ipc_cache_reader"]


@pytest.mark.parametrize("together", [False, True], ids=["one_after_the_other", "at_the_same_time"])
def test_students_share_no_channel(together, tmp_path, monkeypatch, fast_course):
    writer, reader = _pair(tmp_path, monkeypatch, fast_course, together)
    # The writer computes right answers (the judge's reading of its source gives it no point: it
    # imports ctypes) and shows the channels it tried.
    right = [c for c in writer.checks(["two_layer_forward"]) if c.message.strip().endswith("only computes.")]
    assert right == writer.checks(["two_layer_forward"]), "the writer's answers were not all right"
    said = writer.text()
    for channel in ("shm", "msg", "sem", "mqueue", "keyring"):
        assert f"{channel}: refused" in said or channel == "keyring" and "keyring" not in said, (channel, said)
    assert "found an answer" not in reader.text()
    assert_contained(reader)
    for g in (writer, reader):
        _no_ipc_left(g.marker)


def test_a_student_holding_processes_does_not_starve_another(tmp_path, monkeypatch, fast_course):
    """The old sandbox counted processes per user: a submission holding the free slots made a
    correct student graded at the same time score 0. Limits are per child now."""
    box: dict = {}
    hog = threading.Thread(target=lambda: box.setdefault(
        "hog", run_attack("hold_processes", tmp_path / "hog", monkeypatch, fast_course)))
    hog.start()
    import time

    time.sleep(2.0)  # the hog is holding what it could get
    from grader.pipeline import grade

    honest = grade(fast_course, ROOT / "reference", seed=SEED, modules=["mlp"])
    hog.join(120)
    assert honest.score == honest.max_score, [(c.id, c.message[:200]) for c in honest.checks if c.score == 0]
    held = [int(n) for n in re.findall(r"holding (\d+) processes", box["hog"].text())]
    # 64 per child; where the uid is shared (no namespaces, a normal user) the cap is 64 on top of
    # what the uid had when the child started, so a few of the judge's own may come and go.
    assert held and max(held) <= 64 + 16, held
    assert_contained(box["hog"], MLP)


@pytest.fixture(scope="module")
def fast_course(tmp_path_factory):
    from test_adversarial import CHECK_TIMEOUT, IMPORT_TIMEOUT, course_copy

    return course_copy(tmp_path_factory.mktemp("fast-course"), CHECK_TIMEOUT, IMPORT_TIMEOUT)


def test_course_is_the_real_one():
    """The attacks are graded against the real course root: the place the child must not see."""
    assert (ROOT / "reference" / "mlp.py").is_file() and course().root == ROOT
